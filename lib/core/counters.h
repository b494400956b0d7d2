/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * counters.h - race, leak and informational counters, in one table.
 *
 * Every detector in mmtorture ends in mt_report(): a generic check saw an
 * effect (a put on zero, poison, a changed generation, a missing lock...)
 * and counts it here.  The counters live in one struct mt_region that can
 * be placed in shared memory, so that the process running a job writes
 * them and its parent (the runner, the daemon) reads them live.
 *
 * Hot-path writes never share a cache line: each registered thread owns
 * one cache-line-aligned shard and updates it with plain relaxed
 * load/store pairs; readers sum the shards.  Threads that never attached
 * a shard (liburcu's call_rcu worker, for one) fall back to shard 0 with
 * atomic adds.
 *
 * Context: mt_count*() and mt_report() may be called from any thread, in
 * any context, including RCU read-side sections and call_rcu callbacks.
 */
#ifndef MT_COUNTERS_H
#define MT_COUNTERS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler.h"

/* Race kinds: any non-zero value fails a clean job. */
#define MT_RACE_KINDS(X)							\
	X(REFCOUNT_UNDERFLOW,	"refcount_underflow",	"a put on a zero or saturated count (refcount_t SUB_UAF)") \
	X(REFCOUNT_INC_ON_ZERO,	"refcount_inc_on_zero",	"an unconditional get on a zero count: resurrection (ADD_UAF)") \
	X(USE_AFTER_FREE,	"use_after_free",	"poison, a FREE state or a pooled page seen by a reader of a non-typesafe object") \
	X(TYPE_CONFUSION,	"type_confusion",	"a reader found memory that now belongs to another cache") \
	X(STALE_OBJECT,		"stale_object",		"a typesafe object was reused for another identity and used without a recheck") \
	X(DOUBLE_FREE,		"double_free",		"a free of an object that is not live") \
	X(LOCK_RULE,		"lock_rule",		"a path ran without the lock its rules require") \
	X(CRASH,		"crash",		"the job process died of a signal") \
	MT_KERNEL_KINDS(X)

/* Race kinds from the running kernel's log (lib/kernel/kmsg.h has the formats). */
#define MT_KERNEL_KINDS(X)							\
	X(KERNEL_BUG,		"kernel_bug",		"the kernel logged BUG: or kernel BUG at (a report of no other kind)") \
	X(KERNEL_WARNING,	"kernel_warning",	"the kernel logged WARNING: CPU: (a WARN_ON)") \
	X(KERNEL_REFCOUNT,	"kernel_refcount",	"the kernel logged refcount_t: (underflow, addition on 0, saturation)") \
	X(KERNEL_KASAN,		"kernel_kasan",		"the kernel logged BUG: KASAN:") \
	X(KERNEL_KFENCE,	"kernel_kfence",	"the kernel logged BUG: KFENCE:") \
	X(KERNEL_GPF,		"kernel_gpf",		"the kernel logged a general protection fault") \
	X(KERNEL_BAD_PAGE,	"kernel_bad_page",	"the kernel logged BUG: Bad page state or Bad page map") \
	X(KERNEL_BAD_RSS,	"kernel_bad_rss",	"the kernel logged BUG: Bad rss-counter state") \
	X(KERNEL_LIST_CORRUPTION, "kernel_list_corruption", "the kernel logged list_add or list_del corruption") \
	X(KERNEL_RCU_STALL,	"kernel_rcu_stall",	"the kernel logged an RCU stall") \
	X(KERNEL_LOCKUP,	"kernel_lockup",	"the kernel logged a soft or hard lockup") \
	X(KERNEL_HUNG_TASK,	"kernel_hung_task",	"the kernel logged a task blocked for too long")

/* Leak kinds: any non-zero value fails a clean job. */
#define MT_LEAK_KINDS(X)							\
	X(LEAKED_OBJECTS,	"leaked_objects",	"objects still live after teardown") \
	X(LEAKED_REFS,		"leaked_refs",		"references counted above the owners the audit found") \
	X(MISSING_REFS,		"missing_refs",		"references counted below the owners the audit found")

/* Informational counters: never a failure. */
#define MT_INFO_KINDS(X)							\
	X(RECHECK_CAUGHT,	"recheck_caught",	"rechecks that caught a reused or unmapped typesafe object") \
	X(OVERLAPS,		"overlaps",		"lookups seen to overlap a concurrent replace or free") \
	X(DELAYS_INJECTED,	"delays_injected",	"delays injected at race windows") \
	X(ALLOC_FAILS_INJECTED,	"alloc_failures_injected", "slab allocations failed on purpose") \
	X(GRACE_PERIODS,	"grace_periods",	"synchronize_rcu() calls completed") \
	X(CALL_RCU,		"call_rcu",		"callbacks queued with call_rcu()") \
	X(AUDITS,		"audits",		"refcount audits run at quiesce points") \
	X(AUDITED_OBJECTS,	"audited_objects",	"objects whose count an audit compared with its owners") \
	X(REMOTE_FREES,		"remote_frees",		"objects freed on another node than the one that allocated them") \
	X(REFCOUNT_SATURATED,	"refcount_saturated",	"operations on a saturated or overflowing refcount") \
	X(SLAB_PAGES_NEW,	"slab_pages_new",	"slab pages taken from the page pool") \
	X(SLAB_PAGES_FREED,	"slab_pages_freed",	"empty slab pages given back to the pool at once") \
	X(SLAB_PAGES_RCU_FREED,	"slab_pages_rcu_freed",	"empty typesafe slab pages given back after a grace period") \
	X(STUTTERS,		"stutters",		"times all workers parked together") \
	X(RECHECK_REUSED,	"recheck_reused",	"rechecks that caught a typesafe object reused for another identity") \
	X(KMSG_RECORDS,		"kmsg_records",		"kernel log records read during the job") \
	X(KMSG_LOST,		"kmsg_lost",		"times kernel log records were overwritten before they were read") \
	X(KMSG_USER_IGNORED,	"kmsg_user_ignored",	"records in a kernel format written by user space, not counted (kmsg_user=0)") \
	X(SLAB_UNATTRIBUTED,	"slab_unattributed",	"objects a merged kernel cache grew by, not attributable to the job")

enum mt_counter {
#define X(id, name, desc) MT_##id,
	MT_RACE_KINDS(X)
	MT_LEAK_KINDS(X)
	MT_INFO_KINDS(X)
#undef X
	MT_NCOUNTERS
};

enum mt_counter_class { MT_CLASS_RACE, MT_CLASS_LEAK, MT_CLASS_INFO };

#define MT_MAX_SHARDS	257	/* shard 0 is the shared fallback */
#define MT_MAX_OPS	32
#define MT_MAX_CACHES	16
#define MT_MAX_WINDOWS	96
#define MT_MAX_EVENTS	32
#define MT_MAX_NODES	16
#define MT_NAME_LEN	32

struct mt_shard {
	uint64_t c[MT_NCOUNTERS];
	uint64_t ops[MT_MAX_OPS];
	uint64_t cache_allocs[MT_MAX_CACHES];
	uint64_t cache_frees[MT_MAX_CACHES];
	uint64_t cache_remote_frees[MT_MAX_CACHES];
	uint64_t window_passes[MT_MAX_WINDOWS];	/* coverage: every pass of a window (inject.h) */
} __cacheline_aligned;

/* One detector firing, kept for the report (the first MT_MAX_EVENTS). */
struct mt_event {
	uint64_t t_ns;			/* since mt_region.t_start_ns */
	uint64_t step;			/* the controlled scheduler's step; 0 when free */
	uint32_t kind;			/* enum mt_counter */
	int32_t thread;			/* shard index, 0 if none */
	uint32_t ready;			/* ATOMIC: 1 once the text is written */
	char where[44];
	char what[140];
};

struct mt_cache_slot {
	char name[MT_NAME_LEN];
	uint32_t typesafe;
	uint32_t destroyed;		/* set by kmem_cache_destroy() */
	uint64_t leaked;		/* objects live at destroy */
};

/*
 * A race window, sync point or coverage point (inject.h), by name.  Its
 * passes are counted per shard (mt_shard.window_passes[slot]); @key is
 * the name's hash, written before @name is published, so that a site
 * can tell with one load that its cached slot is still its own.
 */
struct mt_window_slot {
	char name[MT_NAME_LEN + 8];
	uint64_t hits;			/* ATOMIC: delays injected here */
	uint64_t overlaps;		/* ATOMIC: delays during which another thread freed an object */
	uint32_t key;			/* ATOMIC: hash of name, 0 = unused */
	uint32_t required;		/* a protocol step the job must reach (mt_coverage_require()) */
};

/*
 * Runs under a controlled scheduler (sched.h): what the job's runs found,
 * kept by the job process as each run ends, for the verdict and replay.
 */
#define MT_RUN_RECS		128	/* runs recorded: those that detected or failed first */
#define MT_RUN_TRACE		256	/* steps kept of the first such run */
#define MT_RUN_SWITCHES		4096	/* its schedule's switches, up to its first problem */

struct mt_run_rec {
	uint32_t run;			/* its index in the job */
	uint32_t flags;			/* MT_RUN_* */
	uint64_t seed;
	uint64_t steps;
	uint64_t preemptions;
	uint64_t first_step;		/* the step of its first race or leak, 0 if none */
	uint64_t digest;		/* of its race, leak and op counts */
};

#define MT_RUN_DETECTED		0x1	/* the job's expectation was met in this run */
#define MT_RUN_PROBLEM		0x2	/* a race or leak was counted in this run */
#define MT_RUN_HIT_BOUND	0x4	/* it ended at its step bound */
#define MT_RUN_DEADLOCK		0x8	/* every thread blocked */
#define MT_RUN_CRASHED		0x10	/* its process died of a signal */

struct mt_run_step {
	uint64_t step;
	uint16_t thread;
	uint8_t kind;			/* enum mt_sched_kind */
	uint8_t preempt;
	char name[44];
	uint64_t obj;			/* the address, as a number: for telling objects apart */
};

struct mt_region_runs {
	uint32_t mode;			/* enum mt_sched_mode */
	uint32_t depth;			/* PCT's d */
	uint64_t k;			/* PCT's k: the steps the change points are drawn over */
	uint32_t planned, done;
	uint32_t detected, problems, hit_bound, deadlocks, crashed;
	uint64_t steps_min, steps_max, steps_sum;
	uint64_t preemptions_sum;
	uint64_t pairs_max;		/* distinct point pairs across a switch, most in one run */
	uint32_t nrecs;
	struct mt_run_rec recs[MT_RUN_RECS];
	uint32_t trace_run;		/* the run the trace is of */
	uint32_t ntrace;
	struct mt_run_step trace[MT_RUN_TRACE];
	uint32_t nswitches;
	struct mt_run_switch {
		uint64_t step;
		uint16_t to, from;
		uint8_t kind, preempt;
		char name[28];
	} switches[MT_RUN_SWITCHES];
};

#define MT_REGION_MAGIC		0x6d74726eu	/* "mtrn" */
#define MT_REGION_VERSION	2

/* What the job process is doing, for the process watching it. */
enum mt_phase {
	MT_PHASE_NONE,
	MT_PHASE_INIT,
	MT_PHASE_RUNNING,
	MT_PHASE_AUDIT,
	MT_PHASE_TEARDOWN,
	MT_PHASE_DONE,
	MT_PHASE_ERROR,			/* harness error: see error[] */
};

/* "start", "init", "running", "audit", "teardown", "done", "error" */
const char *mt_phase_name(uint32_t phase);

struct mt_region {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	uint64_t t_start_ns;		/* CLOCK_MONOTONIC when the job started */
	uint32_t phase;			/* ATOMIC: enum mt_phase */
	uint32_t nthreads;
	uint64_t seed;			/* the job seed actually used */
	uint64_t t_end_ns;		/* ATOMIC: since start, when workers stopped */
	char error[192];		/* harness error, when phase is ERROR */
	/*
	 * What the workload says of its run, for the verdict: coverage it
	 * did not reach (a clean job is INCONCLUSIVE with it), and a note
	 * the verdict carries (mt_region_set_unmet(), mt_region_add_note()).
	 */
	char unmet[192];
	char note[384];
	uint64_t first_ns[MT_NCOUNTERS];/* ATOMIC: first increment, since start; 0 = never */
	uint32_t ncaches;		/* ATOMIC */
	uint32_t nwindows;		/* ATOMIC */
	uint64_t nevents;		/* ATOMIC: events reported, kept or not */
	int32_t shard_node[MT_MAX_SHARDS];
	uint32_t shard_used[MT_MAX_SHARDS];
	char op_names[MT_MAX_OPS][MT_NAME_LEN];
	uint32_t nops;
	struct mt_cache_slot caches[MT_MAX_CACHES];
	struct mt_window_slot windows[MT_MAX_WINDOWS];
	struct mt_event events[MT_MAX_EVENTS];
	struct mt_shard shards[MT_MAX_SHARDS];
	struct mt_region_runs runs;	/* runs under a controlled scheduler */
};

/**
 * mt_region_create - map a zeroed counter region
 * @shared: map it MAP_SHARED so that a forked child's writes are seen
 *
 * Return: the region, or NULL with errno set.
 */
struct mt_region *mt_region_create(bool shared);
void mt_region_destroy(struct mt_region *r);
/* Zero every counter and restart the clock (before a new job). */
void mt_region_reset(struct mt_region *r);

/*
 * The process-wide current region: what mt_count() and the detectors
 * write to.  Set it before any worker starts.
 */
extern struct mt_region *mt_cur_region;
void mt_region_use(struct mt_region *r);

/**
 * mt_counters_attach - give the calling thread its own shard
 * @shard: 1..MT_MAX_SHARDS-1, unique among running threads
 * @node: the NUMA node the thread runs on, for per-node op counts
 */
void mt_counters_attach(unsigned int shard, int node);
void mt_counters_detach(void);
/* The calling thread's shard index, 0 when it has none. */
unsigned int mt_counters_shard(void);

extern __thread struct mt_shard *mt_my_shard;
/* Its index (1..MT_MAX_SHARDS-1), 0 for a thread that has none. */
extern __thread unsigned int mt_my_shard_idx;

static inline void mt_shard_add(uint64_t *own, uint64_t *shared, uint64_t n)
{
	if (likely(mt_my_shard))
		__atomic_store_n(own, __atomic_load_n(own, __ATOMIC_RELAXED) + n,
				 __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(shared, n, __ATOMIC_RELAXED);
}

void mt_note_first(enum mt_counter c);

/* Count n events of kind c: no message, for informational counters. */
static inline void mt_count_add(enum mt_counter c, uint64_t n)
{
	struct mt_region *r = mt_cur_region;

	if (unlikely(!r))
		return;
	mt_shard_add(mt_my_shard ? &mt_my_shard->c[c] : NULL,
		     &r->shards[0].c[c], n);
	if (unlikely(!__atomic_load_n(&r->first_ns[c], __ATOMIC_RELAXED)))
		mt_note_first(c);
}

static inline void mt_count(enum mt_counter c)
{
	mt_count_add(c, 1);
}

/* Count one operation of the running workload's kind @op. */
static inline void mt_ops_inc(unsigned int op)
{
	struct mt_region *r = mt_cur_region;

	if (likely(r && op < MT_MAX_OPS))
		mt_shard_add(mt_my_shard ? &mt_my_shard->ops[op] : NULL,
			     &r->shards[0].ops[op], 1);
}

/**
 * mt_report - a detector fired: count it and keep a line saying where
 * @c: the counter (a race or leak kind, normally)
 * @where: the function or path that saw the effect
 * @fmt: what it saw
 */
void mt_report(enum mt_counter c, const char *where, const char *fmt, ...)
	__printf(3, 4);
/* Races and leaks reported in this process (ATOMIC): the scheduler watches it. */
extern uint64_t mt_problem_reports;
/* The controlled scheduler's step (ATOMIC), kept with each event; 0 when free-running. */
extern uint64_t mt_step_now;
void mt_vreport(enum mt_counter c, const char *where, const char *fmt,
		va_list ap);

/* Reading, from any process that maps the region. */
uint64_t mt_counter_read(const struct mt_region *r, enum mt_counter c);
uint64_t mt_ops_read(const struct mt_region *r, unsigned int op);
uint64_t mt_ops_read_node(const struct mt_region *r, unsigned int op, int node);
uint64_t mt_ops_total(const struct mt_region *r);
int64_t mt_cache_live(const struct mt_region *r, unsigned int slot);
uint64_t mt_cache_allocs(const struct mt_region *r, unsigned int slot);
uint64_t mt_cache_remote_frees(const struct mt_region *r, unsigned int slot);
uint64_t mt_races_total(const struct mt_region *r);
uint64_t mt_leaks_total(const struct mt_region *r);

/*
 * The running workload's word on its run (see mt_region.unmet, .note),
 * and the text of a harness error it ran into (init), which the engine
 * reports instead of a bare errno.  Context: the job process.
 */
void mt_region_set_unmet(const char *fmt, ...) __printf(1, 2);
void mt_region_add_note(const char *fmt, ...) __printf(1, 2);
void mt_region_set_error(const char *fmt, ...) __printf(1, 2);

/* Registration of named things, shown in reports. */
int mt_region_cache_slot(const char *name, bool typesafe);
int mt_region_window_slot(const char *name);
void mt_region_set_op_names(struct mt_region *r, const char *const *names,
			    unsigned int n);

const char *mt_counter_name(enum mt_counter c);
const char *mt_counter_desc(enum mt_counter c);
enum mt_counter_class mt_counter_class(enum mt_counter c);
/* Return: the counter of that name, or -1. */
int mt_counter_lookup(const char *name);

uint64_t mt_now_ns(void);
/* The CPU time the calling thread has used, in ns. */
uint64_t mt_thread_cpu_ns(void);

#endif /* MT_COUNTERS_H */
