/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcu.h - the RCU the models run on: liburcu, with the flavor chosen at
 * run time per job, in this one place.
 *
 * The models call the kernel's neutral names (rcu_read_lock(),
 * synchronize_rcu(), call_rcu() ...); here they dispatch through
 * liburcu's struct rcu_flavor_struct of the flavor the job chose: memb
 * (membarrier), qsbr (quiescent-state based), mb (full barriers) or bp
 * (bulletproof, self-registering).  A job runs in its own process, so the
 * flavor is chosen once, before any thread registers.
 *
 * Rules, as liburcu states them:
 *  - Threads calling rcu_read_lock(), call_rcu() or synchronize_rcu() must
 *    be registered RCU threads (rcu_register_thread()).
 *  - Under qsbr a registered thread must announce quiescent states
 *    (rcu_quiescent_state()) and go offline around anything that blocks;
 *    the lock and delay helpers of lib/core do the latter themselves.
 *  - synchronize_rcu() and rcu_barrier() must not be called inside a
 *    read-side critical section (counted as a lock_rule, and the call
 *    returns without waiting) or holding a spinlock (counted as a
 *    lock_rule; the wait goes on).
 *
 * The read-side nesting depth is tracked per thread, so that lib/core can
 * tell "blocking inside an RCU read-side section" (a lock_rule) apart
 * from a plain blocking call.
 */
#ifndef MT_RCU_H
#define MT_RCU_H

#ifndef URCU_INLINE_SMALL_FUNCTIONS
#define URCU_INLINE_SMALL_FUNCTIONS	/* inline rcu_dereference() and friends */
#endif
#include <urcu/pointer.h>	/* rcu_dereference(), rcu_assign_pointer(), rcu_xchg_pointer() */
#include <urcu/call-rcu.h>	/* struct rcu_head; call_rcu(), rcu_barrier() */
#include <urcu/flavor.h>
#include <urcu/compiler.h>

#include "compiler.h"
#include "inject.h"

enum mt_rcu_flavor {
	MT_RCU_MEMB,
	MT_RCU_QSBR,
	MT_RCU_MB,
	MT_RCU_BP,
	MT_RCU_NFLAVORS,
	/* not a job file's choice: the controlled scheduler's (rcu_sched.h) */
	MT_RCU_SCHED = MT_RCU_NFLAVORS,
};

extern const struct rcu_flavor_struct *mt_rcu;
extern enum mt_rcu_flavor mt_rcu_kind;
extern __thread int mt_rcu_nesting;
/*
 * Read-side depth of the code a window hook interrupted: set aside while
 * the hook plays another thread (see __race_window()), but still real.
 */
extern __thread int mt_rcu_hidden;
extern __thread int mt_rcu_registered;

/**
 * mt_rcu_set_flavor - choose the flavor for this process
 *
 * Context: no thread may be registered with the previous flavor, and its
 * callbacks must have run (rcu_barrier()).
 * Return: 0, or -EBUSY if threads are still registered.
 */
int mt_rcu_set_flavor(enum mt_rcu_flavor f);
const char *mt_rcu_flavor_name(enum mt_rcu_flavor f);
/* The flavors' names, by enum mt_rcu_flavor, NULL-terminated (a job file's choices). */
extern const char *const mt_rcu_flavor_names[MT_RCU_NFLAVORS + 1];
/* Return: the flavor of that name, or -1. */
int mt_rcu_flavor_lookup(const char *name);

void rcu_register_thread(void);
void rcu_unregister_thread(void);

/* Context: registered thread.  Nests. */
static inline void rcu_read_lock(void)
{
	mt_rcu_nesting++;
	mt_rcu->read_lock();
}

static inline void rcu_read_unlock(void)
{
	mt_rcu->read_unlock();
	mt_rcu_nesting--;
	race_window("sync-rcu-unlock");
}

static inline bool rcu_read_lock_held(void)
{
	return mt_rcu_nesting > 0;
}

void mt_rcu_report_unprotected(const char *what, const char *where);

/*
 * rcu_dereference_check - rcu_dereference() of @p by a reader that must be
 * inside a read-side section unless @c holds (the update side's lock is
 * held), as the kernel's is under lockdep; otherwise a lock_rule.
 */
#define rcu_dereference_check(p, c) ({					\
	if (unlikely(!rcu_read_lock_held() && !(c)))			\
		mt_rcu_report_unprotected(#p, __func__);		\
	rcu_dereference(p);						\
})

/* A quiescent state: needed under qsbr, free under the other flavors. */
static inline void rcu_quiescent_state(void)
{
	if (mt_rcu_kind == MT_RCU_QSBR && mt_rcu_registered)
		mt_rcu->read_quiescent_state();
}

/*
 * Offline/online around a blocking wait.  Under qsbr a thread that blocks
 * while online would hold up every grace period; the others need nothing.
 */
static inline void rcu_thread_offline(void)
{
	if (mt_rcu_kind == MT_RCU_QSBR && mt_rcu_registered)
		mt_rcu->thread_offline();
}

static inline void rcu_thread_online(void)
{
	if (mt_rcu_kind == MT_RCU_QSBR && mt_rcu_registered)
		mt_rcu->thread_online();
}

/*
 * mt_block_begin - about to block (sleep, wait for a lock): off the CPU
 * (mt_off_cpu()), and under qsbr offline so that grace periods need not
 * wait for this thread -- unless it is inside a read-side section (one a
 * window hook set aside included), which the wait is then part of.
 * Whether blocking there is allowed is the caller's rule to check.
 * Return: whether the thread went offline (pass it to mt_block_done()).
 */
bool mt_block_begin(void);
void mt_block_done(bool went_offline);

/**
 * synchronize_rcu - wait for a grace period
 * Context: registered thread, outside any read-side section.
 */
void synchronize_rcu(void);
/* call_rcu() and rcu_barrier() keep the signatures urcu/call-rcu.h gives. */

#endif /* MT_RCU_H */
