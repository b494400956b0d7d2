// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit.c - the census of live objects and their owners; see audit.h.
 * A sorted array of the live objects, searched for each owner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "counters.h"

struct census_entry {
	void *obj;
	int owners;
	const char *kind;	/* the first owner, for reports */
	const void *who;
};

struct mt_census {
	const struct mt_census_ops *ops;
	struct kmem_cache *cache;
	struct census_entry *e;
	unsigned long nr, cap;
	bool overflow;
};

static void census_add(void *obj, void *arg)
{
	struct mt_census *cs = arg;

	if (cs->nr == cs->cap) {
		cs->overflow = true;	/* cannot grow here: inside the cache lock */
		return;
	}
	cs->e[cs->nr++] = (struct census_entry){ .obj = obj };
}

static int census_cmp(const void *a, const void *b)
{
	const struct census_entry *x = a, *y = b;

	return (x->obj > y->obj) - (x->obj < y->obj);
}

static struct census_entry *census_find(const struct mt_census *cs, const void *obj)
{
	struct census_entry key = { .obj = (void *)obj };

	return cs->nr ? bsearch(&key, cs->e, cs->nr, sizeof(*cs->e), census_cmp) : NULL;
}

struct mt_census *mt_census_begin(struct kmem_cache *c, const struct mt_census_ops *ops)
{
	struct mt_census *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->ops = ops;
	cs->cache = c;
	do {
		free(cs->e);
		cs->cap = (unsigned long)kmem_cache_live(c) + 64;
		cs->e = calloc(cs->cap, sizeof(*cs->e));
		if (!cs->e) {
			free(cs);
			return NULL;
		}
		cs->nr = 0;
		cs->overflow = false;
		kmem_cache_walk_live(c, census_add, cs);
	} while (cs->overflow);		/* grew between the two calls: again */
	qsort(cs->e, cs->nr, sizeof(*cs->e), census_cmp);
	return cs;
}

static const char *describe(const struct mt_census *cs, const void *obj, char *buf, size_t len)
{
	buf[0] = '\0';
	if (cs->ops->describe) {
		buf[0] = ' ';
		buf[1] = '(';
		cs->ops->describe(obj, buf + 2, len - 3);
		snprintf(buf + strlen(buf), len - strlen(buf), ")");
	}
	return buf;
}

static const char *owner_str(const char *kind, const void *who, char *buf, size_t len)
{
	if (who)
		snprintf(buf, len, "%s %p", kind, who);
	else
		snprintf(buf, len, "%s", kind);
	return buf;
}

unsigned long mt_census_nr(const struct mt_census *cs)
{
	return cs ? cs->nr : 0;
}

bool mt_census_own(struct mt_census *cs, const void *obj, const char *kind, const void *who)
{
	struct census_entry *e;

	if (!cs || !obj)
		return true;
	e = census_find(cs, obj);
	if (!e) {
		char o[96];

		mt_report(MT_MISSING_REFS, cs->ops->where,
			  "%s holds a reference on %s %p, which is not live",
			  owner_str(kind, who, o, sizeof(o)), cs->ops->what, obj);
		return false;
	}
	if (!e->owners++) {
		e->kind = kind;
		e->who = who;
	}
	return true;
}

bool mt_census_live(const struct mt_census *cs, const void *obj)
{
	return census_find(cs, obj) != NULL;
}

void mt_census_foreach(struct mt_census *cs, void (*fn)(void *obj, void *arg), void *arg)
{
	for (unsigned long i = 0; i < cs->nr; i++)
		fn(cs->e[i].obj, arg);
}

unsigned long mt_census_end(struct mt_census *cs)
{
	const struct mt_census_ops *ops;
	unsigned long bad = 0;
	char d[128], o[96];

	if (!cs)
		return 0;
	ops = cs->ops;
	for (unsigned long i = 0; i < cs->nr; i++) {
		const struct census_entry *e = &cs->e[i];
		int have = ops->count(e->obj);

		mt_count(MT_AUDITED_OBJECTS);
		if (have == e->owners) {
			if (!have && ops->in_use && !ops->in_use(e->obj)) {
				bad++;
				mt_report(MT_LEAKED_REFS, ops->where,
					  "%s %p%s: live, used by nothing and held by nobody",
					  ops->what, e->obj, describe(cs, e->obj, d, sizeof(d)));
			}
			continue;
		}
		bad++;
		if (!e->owners && ops->orphan_is_leaked_object) {
			mt_report(MT_LEAKED_OBJECTS, ops->where,
				  "%s %p%s: count %d, no owner: lost", ops->what, e->obj,
				  describe(cs, e->obj, d, sizeof(d)), have);
			kmem_cache_count_leaked(cs->cache, 1);
		} else if (!e->owners)
			mt_report(MT_LEAKED_REFS, ops->where, "%s %p%s: count %d, no owner",
				  ops->what, e->obj, describe(cs, e->obj, d, sizeof(d)), have);
		else
			mt_report(have > e->owners ? MT_LEAKED_REFS : MT_MISSING_REFS, ops->where,
				  "%s %p%s: count %d, %d owner(s), first %s", ops->what, e->obj,
				  describe(cs, e->obj, d, sizeof(d)), have, e->owners,
				  owner_str(e->kind, e->who, o, sizeof(o)));
	}
	free(cs->e);
	free(cs);
	return bad;
}
