/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcu_sched.h - the RCU the models run on under a controlled scheduler
 * (sched.h): a flavor of rcu.h whose grace periods and callbacks the
 * scheduler drives, so that a run is one interleaving, the same for the
 * same seed.
 *
 * The rule is RCU's own: a grace period that starts at a moment ends when
 * every reader that was inside a read-side section at that moment has
 * left it.  synchronize_rcu() blocks on the scheduler until then; a
 * callback of call_rcu() waits for the same, and runs on the run's
 * callback thread, a scheduled thread like the workers, when the
 * scheduler chooses it; rcu_barrier() waits until every callback queued
 * before it has run.  After the run (no scheduled thread left), every
 * grace period is over at once and rcu_barrier() runs what is queued on
 * the caller.
 *
 * Context: the engine's control thread sets it up and tears it down;
 * readers and updaters are the run's scheduled threads, or the control
 * thread once the run is over.
 */
#ifndef MT_RCU_SCHED_H
#define MT_RCU_SCHED_H

#include <stdbool.h>

#include "rcu.h"

extern const struct rcu_flavor_struct mt_rcu_sched_flavor;

/*
 * mt_rcu_sched_begin - a run starts: @nworkers workers, numbered 0..n-1
 * by the scheduler, and the callback thread, numbered n.
 */
void mt_rcu_sched_begin(unsigned int nworkers);
/* The callback thread's body: runs the callbacks whose grace periods ended. */
void mt_rcu_sched_callbacks(void);
/* A worker is done (before mt_sched_exit()): the callback thread ends after the last. */
void mt_rcu_sched_worker_done(void);
/* Whether the calling thread is inside a read-side section (for checks). */
bool mt_rcu_sched_reading(void);

#endif /* MT_RCU_SCHED_H */
