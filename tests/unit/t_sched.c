// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_sched - the controlled scheduler: one thread at a time; the same seed
 * gives the same interleaving, another seed another; PCT with depth 1
 * never preempts, with depth 2 preempts once; a thread blocked on a lock
 * runs again once woken; a deadlock is reported and ends the run; the
 * first race reported freezes the trace at its step; the step bound stops
 * the run; a schedule's switches, followed, give the same interleaving;
 * the spinlock and rw_semaphore wrappers never deadlock a correct user.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/locks.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/rcu_sched.h"
#include "core/sched.h"
#include "tests/tap.h"

#define NTHREADS	3
#define ITERS		40
#define LOGMAX		(NTHREADS * ITERS * 4 + 16)

static struct mt_region *R;
static uint64_t seed;

/* What the threads do: each step appends its number to the log. */
static struct {
	char log[LOGMAX];
	int n;
	int running;		/* threads between two points: never more than one */
	int overlap;		/* times two were seen running */
	int lock_owner;		/* a lock the scheduler sees: -1 free */
	int in_lock, lock_overlap;
	int report_at;		/* thread 0 reports a race at this iteration, -1 never */
	bool use_lock;
	bool stop_seen;
} W;

static void note(int me)
{
	if (__atomic_add_fetch(&W.running, 1, __ATOMIC_SEQ_CST) > 1)
		W.overlap++;
	if (W.n < LOGMAX - 1)
		W.log[W.n++] = (char)('a' + me);
	__atomic_sub_fetch(&W.running, 1, __ATOMIC_SEQ_CST);
}

static void lock(int me)
{
	mt_sched_point(MT_PT_LOCK, "t-lock", &W.lock_owner);
	while (W.lock_owner >= 0)
		mt_sched_block(&W.lock_owner, "t-lock");
	W.lock_owner = me;
}

static void unlock(void)
{
	W.lock_owner = -1;
	mt_sched_wake(&W.lock_owner);
	mt_sched_point(MT_PT_SYNC, "t-unlock", &W.lock_owner);
}

static void *worker(void *p)
{
	int me = (int)(intptr_t)p;

	mt_sched_enter((unsigned int)me);
	for (int i = 0; i < ITERS && !mt_sched_stopping(); i++) {
		note(me);
		mt_sched_point(MT_PT_WINDOW, "t-window", NULL);
		if (W.use_lock) {
			lock(me);
			if (++W.in_lock > 1)
				W.lock_overlap++;
			note(me);
			mt_sched_point(MT_PT_WINDOW, "t-in-lock", NULL);
			W.in_lock--;
			unlock();
		}
		if (me == 0 && i == W.report_at)
			mt_report(MT_USE_AFTER_FREE, "t_sched", "a race at iteration %d", i);
	}
	W.stop_seen |= mt_sched_stopping();
	mt_sched_exit();
	return NULL;
}

/* One run; the log of its interleaving in @out. */
static void run(enum mt_sched_mode mode, uint64_t s, unsigned int depth, uint64_t max_steps,
		const struct mt_sched_switch *guide, unsigned int nguide,
		struct mt_sched_report *rep, char *out)
{
	struct mt_sched_conf c = { .mode = mode, .seed = s, .nthreads = NTHREADS, .depth = depth,
				   .steps = ITERS * NTHREADS * 2, .max_steps = max_steps,
				   .guide = guide, .nguide = nguide };
	pthread_t t[NTHREADS];
	bool lk = W.use_lock;
	int at = W.report_at;

	memset(&W, 0, sizeof(W));
	W.lock_owner = -1;
	W.use_lock = lk;
	W.report_at = at;
	if (mt_sched_start(&c))
		tap_bail("mt_sched_start");
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	mt_sched_go();
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	mt_sched_finish(rep);
	W.log[W.n] = '\0';
	strcpy(out, W.log);
}

static struct mt_sched_report rep, rep2;

static void deadlock_hook(void)
{
	_exit(42);
}

/* Two threads take two locks in opposite orders, under a schedule that deadlocks. */
static int aa[2] = { -1, -1 };

static void *abba(void *p)
{
	int me = (int)(intptr_t)p, first = me, second = !me;

	mt_sched_enter((unsigned int)me);
	mt_sched_point(MT_PT_LOCK, "abba", &aa[first]);
	while (aa[first] >= 0)
		mt_sched_block(&aa[first], "abba-first");
	aa[first] = me;
	mt_sched_point(MT_PT_WINDOW, "abba-between", NULL);
	while (aa[second] >= 0)
		mt_sched_block(&aa[second], "abba-second");
	aa[second] = me;
	aa[first] = aa[second] = -1;
	mt_sched_wake(&aa[0]);
	mt_sched_wake(&aa[1]);
	mt_sched_exit();
	return NULL;
}

static void deadlock(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		/* random interleavings: one of the first seeds deadlocks */
		for (uint64_t s = 1; s < 200; s++) {
			struct mt_sched_conf c = { .mode = MT_SCHED_RANDOM, .seed = s, .nthreads = 2 };
			pthread_t t[2];

			aa[0] = aa[1] = -1;
			mt_sched_deadlock_hook = deadlock_hook;
			mt_sched_start(&c);
			for (int i = 0; i < 2; i++)
				pthread_create(&t[i], NULL, abba, (void *)(intptr_t)i);
			mt_sched_go();
			for (int i = 0; i < 2; i++)
				pthread_join(t[i], NULL);
			mt_sched_finish(NULL);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42 && mt_counter_read(R, MT_LOCK_RULE) == 1,
	   "an AB-BA deadlock under the scheduler is reported (lock_rule %llu) and ends the run",
	   (unsigned long long)mt_counter_read(R, MT_LOCK_RULE));
}

/*
 * The lock wrappers under the scheduler: two spinlocks always taken in
 * one order and an rw_semaphore, by three threads, many schedules.  A
 * waiter that looks at the lock word before a scheduling point and
 * blocks on what it saw after it would wait for a release that already
 * happened: every thread blocked, a deadlock where there is none.
 */
static spinlock_t la, lb;
static struct rw_semaphore lsem;
static int in_a;

static void *lock_user(void *p)
{
	int me = (int)(intptr_t)p;

	mt_sched_enter((unsigned int)me);
	for (int i = 0; i < 20 && !mt_sched_stopping(); i++) {
		if ((i + me) % 3)
			down_read(&lsem);
		else
			down_write(&lsem);
		spin_lock(&la);
		if (++in_a > 1)
			W.lock_overlap++;
		mt_sched_point(MT_PT_WINDOW, "t-in-a", NULL);
		spin_lock(&lb);
		spin_unlock(&lb);
		in_a--;
		spin_unlock(&la);
		if ((i + me) % 3)
			up_read(&lsem);
		else
			up_write(&lsem);
	}
	mt_sched_exit();
	return NULL;
}

static void lock_wrappers(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		spin_lock_init(&la);
		spin_lock_init(&lb);
		init_rwsem(&lsem);
		mt_sched_deadlock_hook = deadlock_hook;
		for (uint64_t s = 0; s < 300; s++) {
			struct mt_sched_conf c = { .mode = s % 2 ? MT_SCHED_RANDOM : MT_SCHED_PCT,
						   .seed = seed + s, .nthreads = NTHREADS,
						   .depth = 3, .steps = 400 };
			pthread_t t[NTHREADS];

			mt_sched_start(&c);
			for (int i = 0; i < NTHREADS; i++)
				pthread_create(&t[i], NULL, lock_user, (void *)(intptr_t)i);
			mt_sched_go();
			for (int i = 0; i < NTHREADS; i++)
				pthread_join(t[i], NULL);
			mt_sched_finish(NULL);
		}
		_exit(W.lock_overlap ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "spin_lock and down_read/down_write under 300 pct and random schedules: "
	   "no deadlock, never two inside (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ---- RCU under the scheduler ---- */

struct obj {
	bool dead;
	struct rcu_head rcu;
};

static struct obj *gp;			/* RCU-protected */
static struct obj objs[200];
static int nobj, violations;
static bool free_at_once;		/* the broken updater: no grace period */

static void mark_dead(struct rcu_head *h)
{
	container_of(h, struct obj, rcu)->dead = true;
}

static void *rcu_reader(void *p)
{
	mt_sched_enter(0);
	rcu_register_thread();
	for (int i = 0; i < 30; i++) {
		struct obj *o;

		rcu_read_lock();
		o = rcu_dereference(gp);
		mt_sched_point(MT_PT_WINDOW, "reader-holds", o);
		violations += o->dead;
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	mt_rcu_sched_worker_done();
	mt_sched_exit();
	return NULL;
}

static void *rcu_updater(void *p)
{
	mt_sched_enter(1);
	rcu_register_thread();
	for (int i = 0; i < 30 && nobj < (int)ARRAY_SIZE(objs); i++) {
		struct obj *o = &objs[nobj++], *old;

		o->dead = false;
		old = rcu_xchg_pointer(&gp, o);
		if (free_at_once) {
			old->dead = true;
		} else if (i % 2) {
			call_rcu(&old->rcu, mark_dead);
		} else {
			synchronize_rcu();
			old->dead = true;
		}
		mt_sched_point(MT_PT_WINDOW, "updater-next", NULL);
	}
	rcu_unregister_thread();
	mt_rcu_sched_worker_done();
	mt_sched_exit();
	return NULL;
}

static void *rcu_cb_thread(void *p)
{
	mt_sched_enter(2);
	mt_rcu_sched_callbacks();
	mt_sched_exit();
	return NULL;
}

/* One run of a reader against an updater; the violations seen. */
static int rcu_run(uint64_t s)
{
	struct mt_sched_conf c = { .mode = MT_SCHED_RANDOM, .seed = s, .nthreads = 3 };
	pthread_t t[3];

	nobj = 0;
	objs[0].dead = false;
	gp = &objs[nobj++];
	violations = 0;
	mt_rcu_sched_begin(2);
	mt_sched_start(&c);
	pthread_create(&t[0], NULL, rcu_reader, NULL);
	pthread_create(&t[1], NULL, rcu_updater, NULL);
	pthread_create(&t[2], NULL, rcu_cb_thread, NULL);
	mt_sched_go();
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	mt_sched_finish(NULL);
	rcu_barrier();		/* after the run: whatever is left runs here */
	return violations;
}

static void rcu(void)
{
	int bad = 0, broken = 0, dead = 0;

	if (mt_rcu_set_flavor(MT_RCU_SCHED))
		tap_bail("mt_rcu_set_flavor(sched)");
	for (uint64_t s = 0; s < 50; s++)
		bad += rcu_run(seed + s) > 0;
	for (int i = 0; i < nobj - 1; i++)
		dead += objs[i].dead;
	ok(!bad && dead == nobj - 1,
	   "scheduler's RCU: no reader saw its object die in 50 runs; every old one died (%d of %d)",
	   dead, nobj - 1);
	free_at_once = true;
	for (uint64_t s = 0; s < 50; s++)
		broken += rcu_run(seed + s) > 0;
	free_at_once = false;
	ok(broken > 0, "an updater that frees without a grace period is caught in %d of 50 runs", broken);
	mt_rcu_set_flavor(MT_RCU_MEMB);
}

int main(void)
{
	char a[LOGMAX], b[LOGMAX], c[LOGMAX];
	struct mt_sched_switch *sw;
	unsigned int nsw;

	R = mt_region_create(true);
	mt_region_use(R);
	seed = tap_seed(mt_seed_random());
	W.report_at = -1;

	run(MT_SCHED_RANDOM, seed, 0, 0, NULL, 0, &rep, a);
	ok(W.overlap == 0 && strlen(a) == NTHREADS * ITERS,
	   "random: one thread at a time (%d overlaps), every step of every thread ran (%zu)",
	   W.overlap, strlen(a));
	free(rep.switch_log);
	run(MT_SCHED_RANDOM, seed, 0, 0, NULL, 0, &rep, b);
	ok(!strcmp(a, b), "random: the same seed, the same interleaving");
	sw = rep.switch_log;
	nsw = rep.nswitches;
	run(MT_SCHED_RANDOM, seed + 1, 0, 0, NULL, 0, &rep2, c);
	ok(strcmp(a, c) != 0, "random: another seed, another interleaving");
	free(rep2.switch_log);
	ok(rep.switches > NTHREADS * 4 && rep.preemptions > 0 && rep.pairs > 0,
	   "random: %llu switches, %llu preemptions, %llu distinct point pairs",
	   (unsigned long long)rep.switches, (unsigned long long)rep.preemptions,
	   (unsigned long long)rep.pairs);

	run(MT_SCHED_GUIDED, 0, 0, 0, sw, nsw, &rep2, c);
	ok(!strcmp(a, c), "guided by a run's switches: the same interleaving");
	free(rep2.switch_log);
	free(sw);

	run(MT_SCHED_PCT, seed, 1, 0, NULL, 0, &rep, a);
	ok(rep.preemptions == 0 && W.overlap == 0,
	   "pct, depth 1: no preemption (%llu), each thread runs to its end by priority",
	   (unsigned long long)rep.preemptions);
	free(rep.switch_log);
	run(MT_SCHED_PCT, seed, 2, 0, NULL, 0, &rep, a);
	ok(rep.preemptions <= 1, "pct, depth 2: at most one preemption (%llu)",
	   (unsigned long long)rep.preemptions);
	free(rep.switch_log);
	run(MT_SCHED_PCT, seed, 2, 0, NULL, 0, &rep, b);
	ok(!strcmp(a, b), "pct: the same seed, the same schedule");
	free(rep.switch_log);

	W.use_lock = true;
	run(MT_SCHED_RANDOM, seed, 0, 0, NULL, 0, &rep, a);
	ok(W.lock_overlap == 0 && strlen(a) == 2 * NTHREADS * ITERS,
	   "a lock whose waiters block on the scheduler: never two inside (%d), every step ran",
	   W.lock_overlap);
	free(rep.switch_log);
	W.use_lock = false;

	W.report_at = 10;
	run(MT_SCHED_RANDOM, seed, 0, 0, NULL, 0, &rep, a);
	ok(rep.first_problem_step > 0 && rep.ntrace > 0 &&
	   rep.trace[rep.ntrace - 1].step == rep.first_problem_step &&
	   rep.trace[rep.ntrace - 1].thread == 0,
	   "the first race freezes the trace at its step (%llu), the reporting thread's",
	   (unsigned long long)rep.first_problem_step);
	free(rep.switch_log);
	W.report_at = -1;

	run(MT_SCHED_RANDOM, seed, 0, 50, NULL, 0, &rep, a);
	ok(rep.hit_bound && W.stop_seen && strlen(a) < NTHREADS * ITERS,
	   "the step bound stops the run: %llu steps, %zu of %d operations",
	   (unsigned long long)rep.steps, strlen(a), NTHREADS * ITERS);
	free(rep.switch_log);

	deadlock();
	lock_wrappers();
	rcu();
	mt_region_destroy(R);
	tap_done();
	return 0;
}
