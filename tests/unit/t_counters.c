// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_counters - the counter region: shards sum correctly under threads,
 * threads without a shard fall back to atomic adds, a forked child's
 * writes are read live by its parent, and reports keep their events.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/counters.h"
#include "tests/tap.h"

#define NTHREADS 6
#define NITER 300000

static struct mt_region *R;

static void *worker(void *arg)
{
	unsigned int idx = (unsigned int)(uintptr_t)arg;

	if (idx)
		mt_counters_attach(idx, (int)(idx % 2));
	for (int i = 0; i < NITER; i++) {
		mt_count(MT_OVERLAPS);
		mt_ops_inc(3);
	}
	mt_counters_detach();
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];

	R = mt_region_create(true);
	mt_region_use(R);

	ok(mt_counter_lookup("refcount_underflow") == MT_REFCOUNT_UNDERFLOW &&
	   mt_counter_lookup("no_such") == -1, "counters are looked up by name");
	ok(mt_counter_class(MT_LOCK_RULE) == MT_CLASS_RACE &&
	   mt_counter_class(MT_LEAKED_REFS) == MT_CLASS_LEAK &&
	   mt_counter_class(MT_RECHECK_CAUGHT) == MT_CLASS_INFO,
	   "race, leak and informational classes");
	ok(sizeof(struct mt_shard) % MT_CACHELINE == 0 &&
	   ((uintptr_t)&R->shards[1] - (uintptr_t)&R->shards[0]) % MT_CACHELINE == 0,
	   "shards are cache-line sized and aligned");

	/* threads 1..4 own shards; 0 and 5 share shard 0 with atomic adds */
	for (unsigned int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker,
			       (void *)(uintptr_t)(i == NTHREADS - 1 ? 0 : i));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	is_u64(mt_counter_read(R, MT_OVERLAPS), (uint64_t)NTHREADS * NITER,
	       "%d threads x %d increments sum exactly", NTHREADS, NITER);
	is_u64(mt_ops_read(R, 3), (uint64_t)NTHREADS * NITER, "op counts sum exactly");
	is_u64(R->shards[0].c[MT_OVERLAPS], 2ull * NITER,
	       "threads without a shard share shard 0");
	is_u64(mt_ops_read_node(R, 3, 1), 2ull * NITER, "per-node op counts (node 1: threads 1 and 3)");
	ok(mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
	   "informational counts are neither races nor leaks");

	/* a forked child writes, the parent reads the shared region */
	{
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			mt_counters_attach(7, 0);
			mt_report(MT_DOUBLE_FREE, "child", "double free of %s", "x");
			mt_count_add(MT_LEAKED_REFS, 5);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		is_u64(mt_counter_read(R, MT_DOUBLE_FREE), 1, "a child's report is read by the parent");
		is_u64(mt_leaks_total(R), 5, "a child's leak counts are read by the parent");
		ok(R->nevents == 1 && R->events[0].ready &&
		   !strcmp(R->events[0].where, "child") &&
		   !strcmp(R->events[0].what, "double free of x") && R->events[0].thread == 7,
		   "the event keeps where, what and the thread");
		ok(R->first_ns[MT_DOUBLE_FREE] > 0 && R->first_ns[MT_LOCK_RULE] == 0,
		   "time of first detection kept per kind");
	}

	for (int i = 0; i < MT_MAX_EVENTS + 10; i++)
		mt_report(MT_LOCK_RULE, "loop", "event %d", i);
	ok(mt_counter_read(R, MT_LOCK_RULE) == MT_MAX_EVENTS + 10 &&
	   R->nevents == MT_MAX_EVENTS + 11, "every report counts, past the kept events");

	mt_region_reset(R);
	ok(mt_counter_read(R, MT_OVERLAPS) == 0 && R->nevents == 0, "reset zeroes the region");

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
