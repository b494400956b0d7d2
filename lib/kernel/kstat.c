// SPDX-License-Identifier: GPL-2.0-only
/*
 * kstat.c - /proc/vmstat and KSM counters; see kstat.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kstat.h"
#include "kernel/kutil.h"

int kv_read(const char *name, int64_t *v)
{
	static char text[16384];
	char p[256];
	size_t n;

	if (!strncmp(name, "ksm:", 4)) {
		char buf[64];

		snprintf(p, sizeof(p), "/sys/kernel/mm/ksm/%s", name + 4);
		if (kt_read_file(p, buf, sizeof(buf)) < 0)
			return -ENOENT;
		*v = strtoll(buf, NULL, 10);
		return 0;
	}
	if (kt_read_file("/proc/vmstat", text, sizeof(text)) < 0)
		return -ENOENT;
	n = strlen(name);
	for (char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ') {
			*v = strtoll(l + n + 1, NULL, 10);
			return 0;
		}
	return -ENOENT;
}

void kv_start(struct kv_set *s, const char *const *names, unsigned int n)
{
	memset(s, 0, sizeof(*s));
	s->n = n < KV_MAX ? n : KV_MAX;
	for (unsigned int i = 0; i < s->n; i++) {
		s->name[i] = names[i];
		s->present[i] = !kv_read(names[i], &s->start[i]);
		s->last[i] = s->max[i] = s->start[i];
	}
}

void kv_sample(struct kv_set *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		int64_t v;

		if (!s->present[i] || kv_read(s->name[i], &v))
			continue;
		s->last[i] = v;
		if (v > s->max[i])
			s->max[i] = v;
	}
}

static int find(const struct kv_set *s, const char *name)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->present[i] ? (int)i : -1;
	return -1;
}

int64_t kv_delta(const struct kv_set *s, const char *name)
{
	int i = find(s, name);

	return i < 0 ? -1 : s->last[i] - s->start[i];
}

int64_t kv_max(const struct kv_set *s, const char *name)
{
	int i = find(s, name);

	return i < 0 ? -1 : s->max[i];
}

bool kv_swap_on(void)
{
	char buf[4096];

	/* the first line is the header; any other is a swap area */
	return kt_read_file("/proc/swaps", buf, sizeof(buf)) > 0 && strchr(buf, '\n') &&
	       strchr(buf, '\n')[1] != '\0';
}
