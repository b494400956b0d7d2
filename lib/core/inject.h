/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inject.h - making races happen: delays at named race windows, and
 * allocation failures.
 *
 * race_window("mpol-lookup-to-get") marks the spot between two steps of a
 * protocol where another thread's action would matter.  With the job's
 * probability, the thread spins, yields or sleeps there for a bounded
 * random time (as rcutorture's reader delays and KCSAN's udelay widen
 * windows).  Off, a window costs one load and a predicted branch.
 *
 * lib/core adds generic sync points of its own -- after every lock
 * release ("sync-unlock") and at the end of every RCU read-side section
 * ("sync-rcu-unlock") -- so that a gap nobody named (a reference taken
 * just after the lock that protected the lookup, a pointer used just
 * after the read side) is widened too; they have their own probability
 * (mt_inject_sync_prob()).
 *
 * Allocation failures (like failslab and /proc/self/fail-nth): slab
 * allocations fail with a probability, or the calling thread's Nth next
 * allocation fails, once, so that the error paths run.
 *
 * Every injection is counted (delays_injected, alloc_failures_injected),
 * and each window's hits are kept by name in the counter region.
 */
#ifndef MT_INJECT_H
#define MT_INJECT_H

#include <stdint.h>
#include <stdbool.h>

#include "compiler.h"

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

struct mt_window_site {
	const char *name;
	unsigned int gen;		/* mt_inject_gen when slot was looked up */
	int slot;			/* region slot, -1 if the window is disabled */
	bool sync;			/* a generic sync point ("sync-..."), set with slot */
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

#define race_window(wname) do {						\
	static struct mt_window_site __rw_site = { .name = (wname), .slot = -1 }; \
	if (unlikely(mt_inject_active))						\
		__race_window(&__rw_site);					\
} while (0)

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
