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
	char name[64];
	const char *p = list;

	*set = 0;
	while (p && *p) {
		size_t n = 0;
		int b;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		while (p[n] && p[n] != ',' && !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		b = mt_bug_lookup(name);
		if (b < 0) {
			if (bad)
				snprintf(bad, badlen, "%s", name);
			return -1;
		}
		*set |= 1u << b;
	}
	return 0;
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

int mt_bugs_expectation(mt_bugset_t set, bool all, mt_fired_fn fired, void *arg,
			double *first_s)
{
	bool expected = false, met = true;
	double first = -1;

	for (int b = 0; b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];
		int hit = 0;

		if (!(set & (1u << b)) || d->expect == MT_EXPECT_NONE)
			continue;
		expected = true;
		for (int i = 0; i < d->nfires; i++) {
			double t = -1;

			if (!fired(arg, d->fires[i], d->cache, &t))
				continue;
			hit++;
			if (t >= 0 && (first < 0 || t < first))
				first = t;
		}
		if (all && d->expect == MT_EXPECT_ALL ? hit < d->nfires : !hit)
			met = false;
	}
	if (first_s)
		*first_s = first;
	return expected ? met : -1;
}
