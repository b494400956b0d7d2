/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inject.h - making races happen: delays at named race windows and at
 * generic sync points, allocation failures, and the coverage of both.
 *
 * race_window("mpol-lookup-to-get") marks the spot between two steps of a
 * protocol where another thread's action would matter.  With the job's
 * probability, the thread spins, yields or sleeps there for a bounded
 * random time (as rcutorture's reader delays and KCSAN's udelay widen
 * windows).
 *
 * Generic sync points need no name from the models: lib/core puts one
 * after every lock release ("sync-unlock"), at the end of every RCU
 * read-side section ("sync-rcu-unlock"), before every reference taken
 * ("sync-refcount-get": a get just after the lookup that found the
 * object) and after every reference dropped ("sync-refcount-put": a use
 * just after the put), and the models' checked loads put one after every
 * rcu_dereference() ("sync-rcu-dereference", lib/core/access.h).  A gap
 * nobody named is widened there too.  They have their own probability
 * (mt_inject_sync_prob()), and each kind its own slot, delays and
 * overlaps in the results; windows= selects them by name like any window.
 *
 * Coverage.  Every pass of a window or sync point is counted (per thread,
 * one store), also when delays are off; a delay during which another
 * thread freed an object is counted as an overlap of that window.
 * coverage_point("...") counts passes only (a step of a protocol that is
 * not a place to wait: a slab page leaving its cache).  A workload names
 * the steps its roles must reach with mt_coverage_require(): a clean job
 * that never reached one is INCONCLUSIVE, naming it.
 *
 * Allocation failures (like failslab and /proc/self/fail-nth): slab
 * allocations fail with a probability, or the calling thread's Nth next
 * allocation fails, once, so that the error paths run.
 *
 * Every injection is counted (delays_injected, alloc_failures_injected),
 * and each window's passes, delays and overlaps are kept by name in the
 * counter region.
 */
#ifndef MT_INJECT_H
#define MT_INJECT_H

#include <stdint.h>
#include <stdbool.h>

#include "compiler.h"
#include "counters.h"
#include "sched.h"

enum mt_delay_mode {
	MT_DELAY_SPIN,
	MT_DELAY_YIELD,
	MT_DELAY_SLEEP,
	MT_DELAY_MIX,		/* each delay picks one of the three */
};

struct mt_inject_conf {
	double delay_prob;		/* per pass of a named race window */
	double sync_delay_prob;		/* per pass of a generic sync point; < 0: see below */
	enum mt_delay_mode delay_mode;
	uint32_t delay_max_ns;		/* a delay lasts [0, max) ns */
	char windows[256];		/* comma list of enabled windows; "" = all */
	double alloc_fail_prob;
	uint64_t fail_nth;		/* arm each worker's Nth allocation; 0 = off */
};

/*
 * One place in the code that passes a window (a static per call site).
 * Several sites may share a name, and so a region slot.
 */
struct mt_window_site {
	const char *name;
	uint32_t key;			/* ATOMIC: hash of name, set before slot */
	int slot;			/* ATOMIC: region slot; valid while its key is ours */
	unsigned int gen;		/* ATOMIC: mt_inject_gen when enabled was computed */
	bool enabled;			/* delays apply here (windows=) */
	bool sync;			/* a generic sync point ("sync-...") */
};

extern uint64_t mt_delay_threshold;	/* 0: delays off */
extern uint64_t mt_sync_delay_threshold;	/* the same, at "sync-" windows */
/*
 * A hook called at every race window, for deterministic tests: the test
 * plays "the other thread" at the window it names.  NULL in jobs.
 */
extern void (*mt_window_hook)(const char *window);
extern int mt_inject_active;		/* delays on, or a hook set */
extern uint64_t mt_alloc_fail_threshold;
extern __thread uint64_t mt_fail_nth;	/* countdown; 0 = off */

/**
 * mt_inject_configure - set the job's injection parameters
 * Context: before workers start.  Window names are re-resolved.
 */
int mt_inject_configure(const struct mt_inject_conf *conf);
void mt_inject_reset(void);

/* The probability at the sync points: sync_delay_prob, or delay_prob / 10 when < 0. */
static inline double mt_inject_sync_prob(const struct mt_inject_conf *conf)
{
	return conf->sync_delay_prob < 0 ? conf->delay_prob / 10 : conf->sync_delay_prob;
}

/**
 * mt_inject_thread_arm - arm the calling thread's fail-the-Nth countdown
 * with the job's fail_nth (0 = off): its Nth next slab allocation fails,
 * once.  mt_thread_enter() calls it for every worker.
 */
void mt_inject_thread_arm(void);

void __race_window(struct mt_window_site *site);
void __race_window_register(struct mt_window_site *site);

/* Count a pass of @site (its slot resolved on first use, or after a reset). */
static inline void __window_pass(struct mt_window_site *site)
{
	struct mt_region *r = mt_cur_region;
	int slot = __atomic_load_n(&site->slot, __ATOMIC_ACQUIRE);

	if (unlikely(!r))
		return;
	if (likely(slot >= 0 && __atomic_load_n(&r->windows[slot].key, __ATOMIC_RELAXED) ==
				__atomic_load_n(&site->key, __ATOMIC_RELAXED)))
		mt_shard_add(mt_my_shard ? &mt_my_shard->window_passes[slot] : NULL,
			     &r->shards[0].window_passes[slot], 1);
	else
		__race_window_register(site);	/* counts this pass */
}

/*
 * Under a controlled scheduler a window is a scheduling point, every
 * time, and never a delay: who runs next is the scheduler's choice.
 */
void __race_window_sched(struct mt_window_site *site);

#define race_window(wname) do {						\
	static struct mt_window_site __rw_site = { .name = (wname), .slot = -1 }; \
	__window_pass(&__rw_site);						\
	if (mt_sched_here())							\
		__race_window_sched(&__rw_site);				\
	else if (unlikely(mt_inject_active))					\
		__race_window(&__rw_site);					\
} while (0)

/* A step of a protocol whose passes are counted, never delayed nor hooked. */
#define coverage_point(wname) do {					\
	static struct mt_window_site __rw_site = { .name = (wname), .slot = -1 }; \
	__window_pass(&__rw_site);						\
} while (0)

/**
 * mt_coverage_require - @name is a protocol step the running job must
 * reach: a clean job whose counter region shows no pass of it is
 * INCONCLUSIVE (lib/engine/result.c), naming the step.
 * Context: the control thread, with the job's region in use (a
 * workload's init).  Return: 0, or -1 when the region's table is full.
 */
int mt_coverage_require(const char *name);

/* Passes of window slot @slot of @r, summed over the shards.  Context: any. */
uint64_t mt_window_passes(const struct mt_region *r, unsigned int slot);

/* Set or clear the window hook (tests). */
void mt_window_hook_set(void (*hook)(const char *window));

/* Inject a delay now, unconditionally (tests, stutter jitter). */
void mt_delay(enum mt_delay_mode mode, uint32_t max_ns);

/* Arm the calling thread: its @n-th next allocation fails (1 = the next). */
static inline void mt_fail_nth_set(uint64_t n)
{
	mt_fail_nth = n;
}

/* Should this allocation fail?  Counts the injection if so. */
bool __mt_should_fail_alloc(void);
static inline bool mt_should_fail_alloc(void)
{
	if (likely(!mt_fail_nth && !mt_alloc_fail_threshold))
		return false;
	return __mt_should_fail_alloc();
}

const char *mt_delay_mode_name(enum mt_delay_mode m);
/* The modes' names, by enum mt_delay_mode, NULL-terminated (a job file's choices). */
extern const char *const mt_delay_mode_names[];
int mt_delay_mode_lookup(const char *name);

#endif /* MT_INJECT_H */
