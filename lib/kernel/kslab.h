/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kslab.h - object counts of the running kernel's slab caches, as
 * evidence of leaks: a baseline before a kernel job, a measurement after
 * each cycle's teardown, and a judgement that separates a leak from the
 * machine's own noise.
 *
 * Counts come from /sys/kernel/slab/NAME/objects (SLUB), or from the
 * active_objs column of /proc/slabinfo.  Both count the free objects that
 * sit in per-CPU slabs as in use, so before every read the cache is
 * shrunk (/sys/kernel/slab/NAME/shrink: kmem_cache_shrink() flushes the
 * per-CPU slabs and sheaves); what is left is what is allocated.
 *
 * Merged caches: SLUB merges caches of the same size and flags; the name
 * is then a symlink to the merged cache (":0000048") and every name
 * linked to it shares its counts.  Such a cache is measured and reported,
 * with the names merged into it, but its growth cannot be attributed to
 * the job: it is not counted as leaked_objects (see docs/KERNEL.md).
 *
 * Noise band: the spread (max - min) of repeated samples, before the job
 * and in the window of each measurement; band = 2 * spread + 1 (the
 * stated margin).  Each read is the least of a window of reads: a read
 * only over-counts (kslab.c).  A leak is an excess over the baseline
 * beyond the band that grows at every measurement (one per cycle of the
 * job), steadily (the growths of the cycles differ by no more than the
 * band and half the least of them), by more than the band per cycle on
 * the whole: noise does not grow
 * with cycles, and a process of the machine that starts is one step, not
 * a growth at every cycle.
 *
 * Context: process context of the job process; not thread-safe (one
 * struct ks_set is used by one thread at a time).
 */
#ifndef MT_KSLAB_H
#define MT_KSLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_MAX_CACHES	8
#define KS_MAX_SERIES	64
#define KS_NAME_LEN	32

struct ks_cache {
	char name[KS_NAME_LEN];
	bool present;			/* the kernel has a cache of this name */
	bool merged;			/* an alias of a cache other names share */
	char target[64];		/* the merged cache, ":0000048" */
	char merged_with[192];		/* the other names of it */
	bool self_vmas;			/* subtract this process's own VMAs */
	int64_t base;			/* before the job (median of the samples) */
	int64_t spread;			/* the largest sample spread seen */
	unsigned int n;			/* measurements after the baseline */
	int64_t m[KS_MAX_SERIES];	/* each one, the median of its window */
	bool settled[KS_MAX_SERIES];	/* stable before its window was taken */
};

struct ks_set {
	char root[256];			/* "/sys/kernel/slab", or a test tree */
	char slabinfo[256];		/* "/proc/slabinfo", the fallback */
	bool sysfs;			/* counts from root/NAME/objects */
	unsigned int n;
	struct ks_cache c[KS_MAX_CACHES];
};

struct ks_verdict {
	bool leak;			/* an attributable cache leaked */
	bool unattributed;		/* a merged cache grew as a leak would */
	bool enough;			/* enough measurements to judge */
	int64_t excess;			/* the last measurement over the baseline */
	int64_t band;			/* the noise band */
};

/**
 * ks_init - find the caches @names in the kernel, and which are merged
 * @root: the slab directory, NULL for /sys/kernel/slab
 * @slabinfo: the fallback, NULL for /proc/slabinfo
 *
 * A name the kernel does not have is kept with present = false.
 * Return: 0, or -errno with @err naming what could not be read.
 */
int ks_init(struct ks_set *s, const char *root, const char *slabinfo,
	    const char *const *names, unsigned int n, char *err, size_t errlen);

/**
 * ks_read - shrink and read the object count of every present cache
 * @out: one count per cache of @s, in its order (absent caches: 0)
 *
 * Return: 0, or -errno (the count of some cache could not be read).
 */
int ks_read(struct ks_set *s, int64_t *out);

/**
 * ks_baseline - @samples reads @gap_ns apart: the baseline is their
 * median, their spread the first noise measured.
 * Return: 0 or -errno.
 */
int ks_baseline(struct ks_set *s, unsigned int samples, uint64_t gap_ns);

/**
 * ks_measure - after a teardown: poll until the counts stop moving by
 * more than the noise (deferred frees landed) or @settle_ns passed, then
 * take a window of @samples reads; its median is the measurement, its
 * spread widens the noise band.
 * @settled: set to whether the counts settled in time
 * Return: 0 or -errno.
 */
int ks_measure(struct ks_set *s, uint64_t settle_ns, unsigned int samples,
	       uint64_t gap_ns, bool *settled);

/**
 * ks_judge - leak or noise, for cache @c, needing @min_n measurements
 * Return: nothing; the verdict in @v.
 */
void ks_judge(const struct ks_cache *c, unsigned int min_n, struct ks_verdict *v);

/* Parse the active_objs of @name from slabinfo text.  Return: 0 or -ENOENT. */
int ks_parse_slabinfo(const char *text, const char *name, int64_t *objects);

/* The median of @n values (sorts a copy).  @n > 0. */
int64_t ks_median(const int64_t *v, unsigned int n);

/* The number of VMAs of this process (lines of /proc/self/maps), or -1. */
int64_t ks_self_vmas(void);

#endif /* MT_KSLAB_H */
