/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched.h - a controlled scheduler: the threads of a run take turns, one
 * at a time, and at every scheduling point the scheduler chooses who runs
 * next.  The points are those the code already names: race windows, the
 * generic sync points, lock acquire and release, RCU read-side entry and
 * exit, grace-period waits, callbacks.  A blocking primitive tells the
 * scheduler whom it waits for (mt_sched_block()) instead of spinning or
 * sleeping, and whoever releases it wakes the waiters (mt_sched_wake()).
 *
 * Choosers:
 *   PCT     Burckhardt et al., "A Randomized Scheduler with Probabilistic
 *           Guarantees of Finding Bugs", ASPLOS 2010: each thread gets a
 *           random distinct priority d..d+n-1, d-1 change points are drawn
 *           uniformly over 1..k, the highest-priority runnable thread runs,
 *           and at the i-th change point the running thread drops to
 *           priority i.  A bug of depth d is found with probability at
 *           least 1/(n k^(d-1)) per run.
 *   RANDOM  a uniform choice among the runnable threads at every point.
 *   GUIDED  the switches of a schedule given as a list (shrinking: a
 *           schedule with fewer preemptions), otherwise the running thread
 *           goes on, and the lowest-numbered runnable one when it cannot.
 *
 * Every choice comes from the scheduler's own PRNG, seeded from the run's
 * seed: the same seed gives the same schedule, so a run replays exactly
 * as long as what the threads do depends on the schedule and the seed
 * alone.
 *
 * Context: mt_sched_start() and mt_sched_finish() on a thread that is not
 * scheduled (the engine's control thread); every other call on a
 * scheduled thread, between its mt_sched_enter() and mt_sched_exit().  In
 * free-running jobs mt_sched_on is 0 and nothing here is called.
 */
#ifndef MT_SCHED_H
#define MT_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

enum mt_sched_mode { MT_SCHED_FREE, MT_SCHED_PCT, MT_SCHED_RANDOM, MT_SCHED_GUIDED };

/* What a scheduling point is. */
enum mt_sched_kind {
	MT_PT_START,		/* a thread's first turn */
	MT_PT_WINDOW,		/* a named race window */
	MT_PT_SYNC,		/* a generic sync point (sync-unlock, sync-rcu-unlock, ...) */
	MT_PT_LOCK,		/* before a lock is taken */
	MT_PT_RCU_LOCK,		/* before an outermost rcu_read_lock() */
	MT_PT_GP,		/* a grace-period wait begins */
	MT_PT_CALLBACK,		/* an RCU callback is about to run */
	MT_PT_BLOCK,		/* the thread cannot go on: a lock, a grace period */
	MT_PT_EXIT,		/* the thread leaves */
	MT_PT_NKINDS
};

#define MT_SCHED_MAX_THREADS	64
#define MT_SCHED_TRACE		4096	/* steps kept before the first detection */
#define MT_SCHED_MAX_SWITCHES	65536	/* switches a schedule records */

/* One switch of a schedule: at @step the scheduler ran @to. */
struct mt_sched_switch {
	uint64_t step;
	uint16_t to;
	uint16_t from;		/* the thread that ran, at the point named below */
	uint8_t kind;		/* enum mt_sched_kind of that point */
	bool preempt;		/* the thread that ran could have gone on */
	const char *name;
};

struct mt_sched_conf {
	enum mt_sched_mode mode;
	uint64_t seed;
	unsigned int nthreads;	/* the scheduled threads, numbered 0.. */
	unsigned int depth;	/* PCT: d, the bug depth aimed at (>= 1) */
	uint64_t steps;		/* PCT: k, over which the change points are drawn */
	uint64_t max_steps;	/* the run's bound: threads are told to stop there */
	const struct mt_sched_switch *guide;	/* GUIDED: the switches to make */
	unsigned int nguide;
};

/* One step, as the trace keeps it. */
struct mt_sched_step {
	uint64_t step;
	uint16_t thread;
	uint8_t kind;		/* enum mt_sched_kind */
	bool preempt;		/* the scheduler switched here though the thread could go on */
	const char *name;	/* the window or point (static strings) */
	const void *obj;	/* the lock, the object, or NULL */
};

/* What a run's schedule was, once it is over. */
struct mt_sched_report {
	uint64_t steps;
	uint64_t preemptions;
	uint64_t switches;
	bool hit_bound;		/* the run ended because it reached max_steps */
	bool deadlock;		/* every thread left was blocked */
	uint64_t first_problem_step;	/* the step of the first race or leak, 0 if none */
	uint64_t pairs;		/* distinct (point, point) pairs seen across a switch */
	unsigned int ntrace;	/* steps in trace, oldest first, up to the first problem */
	struct mt_sched_step trace[MT_SCHED_TRACE];
	unsigned int nswitches;	/* the schedule, for shrinking */
	struct mt_sched_switch *switch_log;	/* malloc'd, nswitches of them */
};

extern int mt_sched_on;		/* a controlled scheduler runs this process's threads */
/*
 * A schedule to follow (a replay's, shrinking): set before the run's
 * process is forked, it makes the run GUIDED by these switches.
 */
extern const struct mt_sched_switch *mt_sched_guide;
extern unsigned int mt_sched_nguide;
/*
 * Called when every thread left is blocked, after the deadlock is reported
 * as a lock_rule: it must end the run (the default aborts).
 */
extern void (*mt_sched_deadlock_hook)(void);
extern __thread int mt_sched_self;	/* this thread's number, -1 if not scheduled */

/* Set up a run.  Return: 0, or -EINVAL. */
int mt_sched_start(const struct mt_sched_conf *conf);
/*
 * mt_sched_go - wait until the conf's nthreads threads have entered, then
 * give the first of them its turn.
 */
void mt_sched_go(void);
/*
 * mt_sched_finish - the run is over (every scheduled thread has left):
 * fill @rep (may be NULL) and stop scheduling.
 */
void mt_sched_finish(struct mt_sched_report *rep);
/*
 * mt_sched_snapshot - fill @rep with the run so far (the switch log is
 * handed over), for a run that ends where it stands (a deadlock).
 */
void mt_sched_snapshot(struct mt_sched_report *rep);

/* Join the run as thread @idx (0..nthreads-1): returns at its first turn. */
void mt_sched_enter(unsigned int idx);
/* Leave the run: the turn goes to another thread. */
void mt_sched_exit(void);

/* Is the calling thread one the controlled scheduler runs? */
static inline bool mt_sched_here(void)
{
	return unlikely(mt_sched_on) && mt_sched_self >= 0;
}

void __mt_sched_point(enum mt_sched_kind kind, const char *name, const void *obj);
/* A scheduling point: the scheduler may run another thread from here. */
static inline void mt_sched_point(enum mt_sched_kind kind, const char *name, const void *obj)
{
	if (mt_sched_here())
		__mt_sched_point(kind, name, obj);
}

/*
 * mt_sched_block - the caller cannot go on until @on is released: it is
 * blocked, another thread runs, and the caller returns once woken and
 * chosen again (it must then look again: another thread may have taken
 * what it waited for).
 */
void mt_sched_block(const void *on, const char *what);
/* Every thread blocked on @on may run again (it gets its turn later). */
void mt_sched_wake(const void *on);
/* The run has reached its bound: workers are to stop at their next operation. */
bool mt_sched_stopping(void);
/* The step the run is at. */
uint64_t mt_sched_step(void);
/*
 * mt_sched_running - the thread whose turn it is (-1 before the first),
 * and the last point it passed, in *@name: for a watchdog on another
 * thread, which may read a moment late.
 */
int mt_sched_running(const char **name);

const char *mt_sched_mode_name(enum mt_sched_mode m);
const char *mt_sched_kind_name(enum mt_sched_kind k);

#endif /* MT_SCHED_H */
