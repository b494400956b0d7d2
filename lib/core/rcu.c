// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu.c - flavor dispatch for liburcu.  All four flavor libraries are
 * linked; each exports its struct rcu_flavor_struct under a prefixed name,
 * so choosing a flavor is choosing a pointer.
 */
#include <errno.h>
#include <string.h>

#include "counters.h"
#include "locks.h"
#include "rcu.h"
#include "rcu_sched.h"

extern const struct rcu_flavor_struct urcu_memb_flavor;
extern const struct rcu_flavor_struct urcu_qsbr_flavor;
extern const struct rcu_flavor_struct urcu_mb_flavor;
extern const struct rcu_flavor_struct urcu_bp_flavor;

static const struct {
	const char *name;
	const struct rcu_flavor_struct *ops;
} flavors[MT_RCU_NFLAVORS + 1] = {
	[MT_RCU_MEMB] = { "memb", &urcu_memb_flavor },
	[MT_RCU_QSBR] = { "qsbr", &urcu_qsbr_flavor },
	[MT_RCU_MB]   = { "mb",   &urcu_mb_flavor },
	[MT_RCU_BP]   = { "bp",   &urcu_bp_flavor },
	[MT_RCU_SCHED] = { "sched", &mt_rcu_sched_flavor },
};

const char *const mt_rcu_flavor_names[MT_RCU_NFLAVORS + 1] = {
	[MT_RCU_MEMB] = "memb", [MT_RCU_QSBR] = "qsbr", [MT_RCU_MB] = "mb", [MT_RCU_BP] = "bp",
};

const struct rcu_flavor_struct *mt_rcu = &urcu_memb_flavor;
enum mt_rcu_flavor mt_rcu_kind = MT_RCU_MEMB;
__thread int mt_rcu_nesting;
__thread int mt_rcu_hidden;
__thread int mt_rcu_registered;
static int registered_threads;	/* ATOMIC */

int mt_rcu_set_flavor(enum mt_rcu_flavor f)
{
	if ((unsigned int)f > MT_RCU_SCHED)
		return -EINVAL;
	if (f == mt_rcu_kind)
		return 0;
	if (__atomic_load_n(&registered_threads, __ATOMIC_ACQUIRE))
		return -EBUSY;
	mt_rcu_kind = f;
	mt_rcu = flavors[f].ops;
	return 0;
}

const char *mt_rcu_flavor_name(enum mt_rcu_flavor f)
{
	return (unsigned int)f <= MT_RCU_SCHED ? flavors[f].name : "?";
}

int mt_rcu_flavor_lookup(const char *name)
{
	for (int i = 0; i < MT_RCU_NFLAVORS; i++)
		if (!strcmp(flavors[i].name, name))
			return i;
	return -1;
}

void rcu_register_thread(void)
{
	if (mt_rcu_registered++)
		return;
	__atomic_fetch_add(&registered_threads, 1, __ATOMIC_ACQ_REL);
	mt_rcu->register_thread();
}

void rcu_unregister_thread(void)
{
	if (!mt_rcu_registered || --mt_rcu_registered)
		return;
	mt_rcu->unregister_thread();
	__atomic_fetch_sub(&registered_threads, 1, __ATOMIC_ACQ_REL);
}

bool mt_block_begin(void)
{
	mt_off_cpu(true);
	if (mt_rcu_kind == MT_RCU_QSBR && mt_rcu_registered && !mt_rcu_nesting && !mt_rcu_hidden) {
		mt_rcu->thread_offline();
		return true;
	}
	return false;
}

void mt_block_done(bool went_offline)
{
	if (went_offline)
		mt_rcu->thread_online();
	mt_off_cpu(false);
}

/*
 * The rules of a call that waits for readers: not from inside a read-side
 * section (it would wait for itself: liburcu refuses, or deadlocks under
 * qsbr), and not holding a spinlock (a sleep in atomic context).
 * Return: false if the wait must not happen.
 */
static bool rcu_wait_checks(const char *what)
{
	if (unlikely(mt_rcu_nesting > 0)) {
		mt_report(MT_LOCK_RULE, what, "%s() inside an RCU read-side critical section", what);
		return false;
	}
	if (unlikely(mt_rcu_hidden > 0)) {
		mt_report(MT_LOCK_RULE, what,
			  "%s() in a window hook that interrupts a read-side section: it would wait for itself",
			  what);
		return false;
	}
	if (unlikely(mt_holds_spinlock()))
		mt_report(MT_LOCK_RULE, what, "%s() while holding a spinlock", what);
	return true;
}

void mt_rcu_report_unprotected(const char *what, const char *where)
{
	mt_report(MT_LOCK_RULE, where,
		  "%s dereferenced outside rcu_read_lock() and without the update-side lock", what);
}

void synchronize_rcu(void)
{
	if (!rcu_wait_checks("synchronize_rcu"))
		return;
	mt_off_cpu(true);	/* a waiter on a lock this thread holds need not spin */
	mt_rcu->update_synchronize_rcu();
	mt_off_cpu(false);
	mt_count(MT_GRACE_PERIODS);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	mt_count(MT_CALL_RCU);
	mt_rcu->update_call_rcu(head, func);
}

void rcu_barrier(void)
{
	if (!rcu_wait_checks("rcu_barrier"))
		return;
	mt_off_cpu(true);
	(*mt_rcu->barrier)();	/* parenthesised: barrier() is a macro */
	mt_off_cpu(false);
}
