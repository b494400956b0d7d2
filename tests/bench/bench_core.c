// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_core - what lib/core costs: slab alloc+free (typesafe, poisoned,
 * plain) against malloc+free, and refcount_t get/put against a bare
 * atomic pair, measured in the same run.  Not a test: it prints a table.
 *
 *   bench_core [seconds-per-row]     (default 0.5)
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/counters.h"
#include "core/rcu.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "core/thread.h"

#define BATCH 64

static double secs = 0.5;

static void row(const char *what, double ns, double base)
{
	printf("%-38s %10.1f %10.2f\n", what, ns, ns / base);
}

/* Run @fn in batches until @secs have passed; return ns per op. */
static double measure(void (*fn)(void *), void *arg, unsigned long ops_per_call)
{
	uint64_t t0 = mt_now_ns(), t, calls = 0;

	for (int i = 0; i < 1000; i++)	/* warm up */
		fn(arg);
	t0 = mt_now_ns();
	do {
		for (int i = 0; i < 256; i++)
			fn(arg);
		calls += 256;
		t = mt_now_ns();
	} while (t - t0 < (uint64_t)(secs * 1e9));
	return (double)(t - t0) / ((double)calls * (double)ops_per_call);
}

static void slab_pairs(void *arg)
{
	struct kmem_cache *c = arg;
	void *v[BATCH];

	for (int i = 0; i < BATCH; i++)
		v[i] = kmem_cache_alloc(c);
	for (int i = 0; i < BATCH; i++)
		kmem_cache_free(c, v[i]);
}

static void malloc_pairs(void *arg)
{
	void *v[BATCH];

	for (int i = 0; i < BATCH; i++)
		v[i] = malloc(128);
	for (int i = 0; i < BATCH; i++)
		free(v[i]);
	__asm__ __volatile__("" : : "r"(v) : "memory");
}

static refcount_t rc = REFCOUNT_INIT(1);
static int bare = 1;

static void refcount_pairs(void *arg)
{
	for (int i = 0; i < BATCH; i++) {
		refcount_inc(&rc);
		if (refcount_dec_and_test(&rc))
			abort();
	}
}

static void atomic_pairs(void *arg)
{
	for (int i = 0; i < BATCH; i++) {
		__atomic_fetch_add(&bare, 1, __ATOMIC_RELAXED);
		if (__atomic_sub_fetch(&bare, 1, __ATOMIC_RELEASE) == 0)
			abort();
	}
}

static void inc_not_zero_pairs(void *arg)
{
	for (int i = 0; i < BATCH; i++) {
		if (!refcount_inc_not_zero(&rc))
			abort();
		if (refcount_dec_and_test(&rc))
			abort();
	}
}

int main(int argc, char **argv)
{
	struct mt_region *R = mt_region_create(false);
	struct kmem_cache *ts, *po, *pl;
	double m;

	if (argc > 1)
		secs = atof(argv[1]);
	mt_region_use(R);
	mt_thread_enter(1, 0, 1);	/* a worker's own counter shard, as in a job */
	ts = kmem_cache_create("bench_typesafe", 128, SLAB_TYPESAFE_BY_RCU, NULL);
	po = kmem_cache_create("bench_poison", 128, SLAB_POISON, NULL);
	pl = kmem_cache_create("bench_plain", 128, 0, NULL);

	m = measure(malloc_pairs, NULL, BATCH);
	printf("%-38s %10s %10s\n", "operation (128-byte objects)", "ns/op", "vs base");
	printf("%-38s %10.1f %10s\n", "malloc+free (base)", m, "1.00");
	row("slab alloc+free, plain", measure(slab_pairs, pl, BATCH), m);
	row("slab alloc+free, SLAB_TYPESAFE_BY_RCU", measure(slab_pairs, ts, BATCH), m);
	row("slab alloc+free, SLAB_POISON", measure(slab_pairs, po, BATCH), m);
	m = measure(atomic_pairs, NULL, BATCH);
	printf("%-38s %10.1f %10s\n", "bare atomic inc+dec pair (base)", m, "1.00");
	row("refcount_inc+dec_and_test", measure(refcount_pairs, NULL, BATCH), m);
	row("refcount_inc_not_zero+dec_and_test", measure(inc_not_zero_pairs, NULL, BATCH), m);
	if (mt_races_total(R))
		printf("warning: the benchmark fired %llu race counters\n",
		       (unsigned long long)mt_races_total(R));

	kmem_cache_destroy(ts);
	kmem_cache_destroy(po);
	kmem_cache_destroy(pl);
	mt_thread_leave();
	mt_region_destroy(R);
	return 0;
}
