// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_rcu - each RCU flavor passes a grace-period test: readers that hold an
 * object inside rcu_read_lock() across a writer's replace never see it
 * freed, with synchronize_rcu() and with call_rcu().  A control run
 * without the grace period shows that the readers would see it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/inject.h"
#include "core/locks.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/thread.h"
#include "tests/tap.h"

#define ALIVE 0xa11fe
#define DEAD 0xdead

struct obj {
	long magic;
	struct rcu_head rcu;
	struct obj *graveyard_next;
};

enum wmode { W_SYNC, W_CALL_RCU, W_NO_GP };

static struct obj *gp;
static int stop;			/* ATOMIC */
static long dead_seen;			/* ATOMIC */
static long reads;			/* ATOMIC */
static uint64_t seed;

static void obj_free_cb(struct rcu_head *h)
{
	struct obj *o = container_of(h, struct obj, rcu);

	o->magic = DEAD;
	free(o);
}

static void *reader(void *arg)
{
	mt_thread_enter((unsigned int)(uintptr_t)arg, 0, seed);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct obj *p;
		long a, b;

		rcu_read_lock();
		p = rcu_dereference(gp);
		a = __atomic_load_n(&p->magic, __ATOMIC_RELAXED);
		if (mt_random_below(4) == 0)
			mt_delay(MT_DELAY_SPIN, 20000);
		b = __atomic_load_n(&p->magic, __ATOMIC_RELAXED);
		rcu_read_unlock();
		rcu_quiescent_state();
		if (a != ALIVE || b != ALIVE)
			__atomic_fetch_add(&dead_seen, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&reads, 1, __ATOMIC_RELAXED);
	}
	mt_thread_leave();
	return NULL;
}

/*
 * Replace gp for @ms milliseconds.  W_NO_GP marks the old object dead at
 * once (and frees it only at the end, after the readers stop): the
 * control that shows the readers can see a dead object.
 */
static void run(enum wmode mode, int ms)
{
	pthread_t t[2];
	struct obj *graveyard = NULL;
	uint64_t end;

	gp = calloc(1, sizeof(*gp));
	gp->magic = ALIVE;
	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	dead_seen = reads = 0;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)(i + 2));
	rcu_register_thread();
	end = mt_now_ns() + (uint64_t)ms * 1000000u;
	while (mt_now_ns() < end || (mode == W_NO_GP && !dead_seen &&
				     mt_now_ns() < end + 4000000000ull)) {
		struct obj *n = calloc(1, sizeof(*n)), *old;

		n->magic = ALIVE;
		old = rcu_xchg_pointer(&gp, n);
		switch (mode) {
		case W_SYNC:
			synchronize_rcu();
			old->magic = DEAD;
			free(old);
			break;
		case W_CALL_RCU:
			call_rcu(&old->rcu, obj_free_cb);
			break;
		case W_NO_GP:
			__atomic_store_n(&old->magic, DEAD, __ATOMIC_RELAXED);
			old->graveyard_next = graveyard;
			graveyard = old;
			usleep(50);
			break;
		}
		rcu_quiescent_state();
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	rcu_barrier();
	rcu_unregister_thread();
	while (graveyard) {
		struct obj *o = graveyard->graveyard_next;

		free(graveyard);
		graveyard = o;
	}
	free(gp);
}

extern const struct rcu_flavor_struct urcu_memb_flavor, urcu_qsbr_flavor, urcu_mb_flavor,
	urcu_bp_flavor;
static const struct rcu_flavor_struct *const flavor_ops[MT_RCU_NFLAVORS] = {
	[MT_RCU_MEMB] = &urcu_memb_flavor,
	[MT_RCU_QSBR] = &urcu_qsbr_flavor,
	[MT_RCU_MB] = &urcu_mb_flavor,
	[MT_RCU_BP] = &urcu_bp_flavor,
};

int main(void)
{
	struct mt_region *R = mt_region_create(false);

	mt_region_use(R);
	seed = tap_seed(mt_seed_random());
	ok(mt_rcu_flavor_lookup("qsbr") == MT_RCU_QSBR && mt_rcu_flavor_lookup("x") < 0,
	   "flavors by name");

	for (int f = 0; f < MT_RCU_NFLAVORS; f++) {
		const char *name = mt_rcu_flavor_name(f);

		ok(mt_rcu_set_flavor(f) == 0 && mt_rcu_kind == (enum mt_rcu_flavor)f &&
		   mt_rcu == flavor_ops[f], "%s: flavor selected, its liburcu ops in use", name);
		mt_region_reset(R);
		run(W_SYNC, 300);
		ok(dead_seen == 0 && reads > 100,
		   "%s: %ld reads across synchronize_rcu() replaces, none saw a freed object",
		   name, reads);
		ok(mt_counter_read(R, MT_GRACE_PERIODS) > 10, "%s: %llu grace periods counted", name,
		   (unsigned long long)mt_counter_read(R, MT_GRACE_PERIODS));
		run(W_CALL_RCU, 300);
		ok(dead_seen == 0 && reads > 100,
		   "%s: %ld reads across call_rcu() frees, none saw a freed object", name, reads);
	}

	/* the control: the same readers without a grace period */
	mt_rcu_set_flavor(MT_RCU_MEMB);
	run(W_NO_GP, 300);
	ok(dead_seen > 0, "control: without a grace period readers saw %ld dead objects",
	   dead_seen);

	{
		mt_region_reset(R);
		rcu_register_thread();
		rcu_read_lock();
		ok(mt_rcu_set_flavor(MT_RCU_QSBR) == -EBUSY, "flavor cannot change under registered threads");
		synchronize_rcu();
		rcu_read_unlock();
		ok(mt_counter_read(R, MT_LOCK_RULE) == 1,
		   "synchronize_rcu() inside a read-side section is a lock_rule, and returns");
		rcu_read_lock();
		rcu_barrier();
		rcu_read_unlock();
		ok(mt_counter_read(R, MT_LOCK_RULE) == 2,
		   "rcu_barrier() inside a read-side section is a lock_rule, and returns");
		{
			spinlock_t s;

			spin_lock_init(&s);
			spin_lock(&s);
			synchronize_rcu();
			spin_unlock(&s);
		}
		ok(mt_counter_read(R, MT_LOCK_RULE) == 3 && mt_counter_read(R, MT_GRACE_PERIODS) == 1,
		   "synchronize_rcu() holding a spinlock is a lock_rule (the grace period still runs)");
		synchronize_rcu();
		rcu_barrier();
		ok(mt_counter_read(R, MT_LOCK_RULE) == 3, "outside both: silent");
		{
			static int x;
			int *p = &x, *q;

			rcu_read_lock();
			q = rcu_dereference_check(p, false);
			rcu_read_unlock();
			q = rcu_dereference_check(p, true);
			ok(q == &x && mt_counter_read(R, MT_LOCK_RULE) == 3,
			   "rcu_dereference_check inside a read side, or with the update lock: silent");
			q = rcu_dereference_check(p, false);
			ok(q == &x && mt_counter_read(R, MT_LOCK_RULE) == 4,
			   "rcu_dereference_check with neither: lock_rule");
		}
		rcu_unregister_thread();
	}

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
