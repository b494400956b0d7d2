// SPDX-License-Identifier: GPL-2.0-only
/*
 * bugs.c - the bug catalogue table and name lookups.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bugs.h"

mt_bugset_t mt_bugs_enabled;

#define FIRES(...) \
	.nfires = (int)(sizeof((enum mt_counter[]){ __VA_ARGS__ }) / sizeof(enum mt_counter)), \
	.fires = { __VA_ARGS__ }

const struct mt_bug_desc mt_bug_table[MT_NBUGS] = {
#define X(id, n, m, s, e, c, d, ...) \
	[MT_BUG_##id] = { .name = n, .model = m, .seed = s, .desc = d,	\
			  .expect = MT_EXPECT_##e, .cache = c,		\
			  __VA_OPT__(FIRES(__VA_ARGS__)) },
	MT_BUGS(X)
#undef X
};

int mt_bug_lookup(const char *name)
{
	for (int i = 0; i < MT_NBUGS; i++)
		if (!strcmp(mt_bug_table[i].name, name))
			return i;
	return -1;
}

int mt_bugs_parse(const char *list, mt_bugset_t *set, char *bad, size_t badlen)
{
	const char *p = list;

	*set = 0;
	if (!*list)
		return 0;
	for (;;) {
		size_t n = strcspn(p, ","), skip = 0;
		char name[64];
		int b;

		while (skip < n && isspace((unsigned char)p[skip]))
			skip++;
		while (n > skip && isspace((unsigned char)p[n - 1]))
			n--;
		snprintf(name, sizeof(name), "%.*s", (int)(n - skip), p + skip);
		if (bad)
			snprintf(bad, badlen, "%s", name);
		if (n == skip)
			return MT_BUGS_EMPTY;
		b = mt_bug_lookup(name);
		if (b < 0)
			return MT_BUGS_UNKNOWN;
		if (*set & (1u << b))
			return MT_BUGS_TWICE;
		*set |= 1u << b;
		p += strcspn(p, ",");
		if (!*p++)
			return 0;
	}
}

void mt_bug_fires_str(const struct mt_bug_desc *b, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (b->expect == MT_EXPECT_NONE) {
		snprintf(buf, len, "none (expect=clean)");
		return;
	}
	for (int i = 0; i < b->nfires && off < len; i++) {
		const char *sep = i ? (b->expect == MT_EXPECT_ALL ? ", " : " / ") : "";

		if (b->fires[i] == MT_LEAKED_OBJECTS && b->cache)
			off += (size_t)snprintf(buf + off, len - off, "%s%s{%s}", sep,
						mt_counter_name(b->fires[i]), b->cache);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s", sep,
						mt_counter_name(b->fires[i]));
	}
}

int mt_bugs_expectation(mt_bugset_t set, enum mt_expect_mode mode, mt_fired_fn fired,
			void *arg, double *first_s, double *met_s)
{
	bool expected = false, met = true;
	double first = -1, met_at = -1;

	for (int b = 0; b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];
		bool every = mode != MT_EXPECT_SOME && d->expect == MT_EXPECT_ALL;
		double at = -1;
		int hit = 0, need = d->nfires;

		if (!(set & (1u << b)) || d->expect == MT_EXPECT_NONE)
			continue;
		expected = true;
		for (int i = 0; i < d->nfires; i++) {
			double t = -1;

			if (!fired(arg, d->fires[i], d->cache, &t)) {
				/* leaked_objects is counted at teardown: pending while running */
				need -= mode == MT_EXPECT_SO_FAR && d->fires[i] == MT_LEAKED_OBJECTS;
				continue;
			}
			hit++;
			if (t < 0)
				continue;
			if (first < 0 || t < first)
				first = t;
			if (at < 0 || (every ? t > at : t < at))
				at = t;
		}
		if (every ? !need || hit < need : !hit)
			met = false;
		else if (at > met_at)
			met_at = at;
	}
	if (first_s)
		*first_s = first;
	if (met_s)
		*met_s = expected && met ? met_at : -1;
	return expected ? met : -1;
}
