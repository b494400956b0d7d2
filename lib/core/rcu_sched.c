// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu_sched.c - RCU driven by the controlled scheduler; see rcu_sched.h.
 *
 * Each scheduled thread counts the read-side sections it has left
 * (exits[]) and says whether it is inside one.  A grace period's start is
 * a snapshot: the threads inside, and their exit counts; it has ended when
 * each of them has left once more.  Callbacks queued while no reader came
 * or went share one snapshot (a batch).  Only the thread whose turn it is
 * runs, so these counters need no atomics: the scheduler's hand-over
 * orders them (sched.c).
 */
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "rcu_sched.h"
#include "sched.h"

#define MAXT	MT_SCHED_MAX_THREADS

struct snapshot {
	uint64_t inside;		/* the threads inside at the start */
	uint64_t exits[MAXT];		/* their exit counts then */
};

struct cb {
	struct rcu_head *head;
	void (*func)(struct rcu_head *head);
	unsigned int batch;
};

static struct {
	unsigned int nworkers, active;
	bool inside[MAXT];
	uint64_t exits[MAXT];
	uint64_t reader_events;		/* entries and exits, all threads */
	struct snapshot *batches;	/* batch i's grace period */
	unsigned int nbatches, capbatches;
	uint64_t batch_events;		/* reader_events when the last batch was made */
	struct cb *q;			/* queued callbacks, in order */
	unsigned int qhead, qlen, qcap;
	uint64_t queued, ran;		/* callbacks ever queued, ever run */
	int gp_obj, cb_obj, barrier_obj;	/* what waiters block on */
} G;

static void snap(struct snapshot *s)
{
	s->inside = 0;
	for (unsigned int i = 0; i <= G.nworkers && i < MAXT; i++)
		if (G.inside[i]) {
			s->inside |= 1ull << i;
			s->exits[i] = G.exits[i];
		}
}

/* Has the grace period that started at @s ended? */
static bool ended(const struct snapshot *s)
{
	for (unsigned int i = 0; i <= G.nworkers && i < MAXT; i++)
		if ((s->inside & (1ull << i)) && G.exits[i] == s->exits[i])
			return false;
	return true;
}

void mt_rcu_sched_begin(unsigned int nworkers)
{
	free(G.batches);
	free(G.q);
	memset(&G, 0, sizeof(G));
	G.nworkers = nworkers;
	G.active = nworkers;
}

bool mt_rcu_sched_reading(void)
{
	return mt_sched_self >= 0 && G.inside[mt_sched_self];
}

static void rs_read_lock(void)
{
	int me = mt_sched_self;

	/* rcu.h counts the nesting before calling in: 1 is the outermost */
	if (me < 0 || mt_rcu_nesting != 1)
		return;
	mt_sched_point(MT_PT_RCU_LOCK, "rcu_read_lock", NULL);
	G.inside[me] = true;
	G.reader_events++;
}

static void rs_read_unlock(void)
{
	int me = mt_sched_self;

	if (me < 0 || mt_rcu_nesting != 1)
		return;
	G.inside[me] = false;
	G.exits[me]++;
	G.reader_events++;
	/* a grace period, or a batch of callbacks, may have ended */
	mt_sched_wake(&G.gp_obj);
	mt_sched_wake(&G.cb_obj);
}

static int rs_read_ongoing(void)
{
	return mt_rcu_nesting > 0;
}

static void rs_nothing(void)
{
}

static void rs_synchronize(void)
{
	struct snapshot s;

	if (mt_sched_self < 0)
		return;		/* after the run: no reader is left */
	mt_sched_point(MT_PT_GP, "synchronize_rcu", &G.gp_obj);
	snap(&s);
	while (!ended(&s))
		mt_sched_block(&G.gp_obj, "synchronize_rcu");
}

static void rs_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	if (!G.nbatches || G.batch_events != G.reader_events) {
		if (G.nbatches == G.capbatches) {
			G.capbatches = G.capbatches ? 2 * G.capbatches : 64;
			G.batches = realloc(G.batches, G.capbatches * sizeof(*G.batches));
			if (!G.batches)
				abort();
		}
		snap(&G.batches[G.nbatches++]);
		G.batch_events = G.reader_events;
	}
	if (G.qhead + G.qlen == G.qcap) {
		if (G.qhead) {
			memmove(G.q, G.q + G.qhead, G.qlen * sizeof(*G.q));
			G.qhead = 0;
		} else {
			G.qcap = G.qcap ? 2 * G.qcap : 256;
			G.q = realloc(G.q, G.qcap * sizeof(*G.q));
			if (!G.q)
				abort();
		}
	}
	G.q[G.qhead + G.qlen++] = (struct cb){ head, func, G.nbatches - 1 };
	G.queued++;
	mt_sched_wake(&G.cb_obj);
}

/* Run the oldest callback if its grace period has ended.  Return: whether one ran. */
static bool run_one(bool after_run)
{
	struct cb c;

	if (!G.qlen || (!after_run && !ended(&G.batches[G.q[G.qhead].batch])))
		return false;
	c = G.q[G.qhead++];
	G.qlen--;
	if (!after_run)
		mt_sched_point(MT_PT_CALLBACK, "rcu-callback", c.head);
	c.func(c.head);
	G.ran++;
	mt_sched_wake(&G.barrier_obj);
	return true;
}

void mt_rcu_sched_callbacks(void)
{
	for (;;) {
		if (run_one(false))
			continue;
		if (!G.active && !G.qlen)
			return;
		if (!G.active) {
			/* no worker left: every grace period is over */
			run_one(true);
			continue;
		}
		mt_sched_block(&G.cb_obj, "rcu-callbacks");
	}
}

void mt_rcu_sched_worker_done(void)
{
	if (G.active)
		G.active--;
	mt_sched_wake(&G.cb_obj);
}

static void rs_barrier(void)
{
	uint64_t target = G.queued;

	if (mt_sched_self < 0) {
		/* after the run: every grace period is over, the caller runs them */
		while (G.ran < target && run_one(true))
			;
		return;
	}
	while (G.ran < target)
		mt_sched_block(&G.barrier_obj, "rcu_barrier");
}

static void rs_defer(void (*fct)(void *p), void *p)
{
	rs_synchronize();
	fct(p);
}

const struct rcu_flavor_struct mt_rcu_sched_flavor = {
	.read_lock = rs_read_lock,
	.read_unlock = rs_read_unlock,
	.read_ongoing = rs_read_ongoing,
	.read_quiescent_state = rs_nothing,
	.update_call_rcu = rs_call_rcu,
	.update_synchronize_rcu = rs_synchronize,
	.update_defer_rcu = rs_defer,
	.thread_offline = rs_nothing,
	.thread_online = rs_nothing,
	.register_thread = rs_nothing,
	.unregister_thread = rs_nothing,
	.barrier = rs_barrier,
};
