/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kstat.h - the kernel's event counters, as evidence that a kernel job's
 * paths ran: /proc/vmstat (numa_interleave, pgmigrate_success, pgfault,
 * pgdeactivate, pswpin ...) and KSM's sysfs counters (pages_sharing,
 * full_scans ...).  A kernel workload names the counters its coverage
 * needs and under which condition each can move (swap on, two real nodes,
 * huge pages reserved); the delta over the job, or the largest value
 * seen, says whether it did.
 */
#ifndef MT_KSTAT_H
#define MT_KSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_MAX	16

struct kv_set {
	unsigned int n;
	const char *name[KV_MAX];	/* "pgfault", or "ksm:pages_sharing" */
	bool present[KV_MAX];
	int64_t start[KV_MAX];
	int64_t last[KV_MAX];
	int64_t max[KV_MAX];		/* the largest value sampled */
};

/**
 * kv_read - the value of one counter: a /proc/vmstat key, or "ksm:NAME"
 * for /sys/kernel/mm/ksm/NAME
 * Return: 0, or -ENOENT when this kernel has no such counter.
 */
int kv_read(const char *name, int64_t *v);

/* Start @s with @names (static strings): their values now. */
void kv_start(struct kv_set *s, const char *const *names, unsigned int n);
/* Sample again: last and max move. */
void kv_sample(struct kv_set *s);
/* The delta of @name since the start; -1 if absent. */
int64_t kv_delta(const struct kv_set *s, const char *name);
/* The largest value of @name sampled; -1 if absent. */
int64_t kv_max(const struct kv_set *s, const char *name);

/* Is a swap device or file on (/proc/swaps has an entry)? */
bool kv_swap_on(void);

#endif /* MT_KSTAT_H */
