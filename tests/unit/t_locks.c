// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_locks - held-lock tracking: each lock_rule check fires when the rule
 * is broken and stays silent when it is kept; a lock taken in freed
 * typesafe memory works, one in poisoned or reused memory is reported
 * and neither crashes nor hangs.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "core/counters.h"
#include "core/inject.h"
#include "core/locks.h"
#include "core/rcu.h"
#include "core/slab.h"
#include "tests/tap.h"

struct locked {
	spinlock_t lock;
	long payload[6];
};

static void locked_ctor(void *p)
{
	spin_lock_init(&((struct locked *)p)->lock);
}

static struct mt_region *R;

static uint64_t rule(void)
{
	return mt_counter_read(R, MT_LOCK_RULE);
}

struct wctx {
	struct rw_semaphore *sem;
	int done;
};

static void *rwsem_writer(void *arg)
{
	struct wctx *w = arg;

	down_write(w->sem);
	lockdep_assert_held_write(w->sem);
	up_write(w->sem);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A waiter's CPU time on an rwsem held for write much longer than a
 * spin: the waiter must sleep, whether the owner runs (the spin is
 * bounded) or sleeps (the spin stops at once).
 */
struct spin_ctx {
	struct rw_semaphore *sem;
	int started;
	uint64_t cpu_ns;
};

static void *spin_waiter(void *arg)
{
	struct spin_ctx *c = arg;
	uint64_t t0;

	mt_counters_attach(2, 0);
	t0 = mt_thread_cpu_ns();
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	down_write(c->sem);
	c->cpu_ns = mt_thread_cpu_ns() - t0;
	up_write(c->sem);
	mt_counters_detach();
	return NULL;
}

/* Hold @sem for write for @ms, asleep (marked off the CPU) or running. */
static uint64_t waiter_cpu_while_held(struct rw_semaphore *sem, bool asleep, unsigned int ms)
{
	struct spin_ctx c = { .sem = sem };
	uint64_t end;
	pthread_t t;

	down_write(sem);
	/* asleep before the waiter first looks, however late this thread runs */
	if (asleep)
		mt_off_cpu(true);
	pthread_create(&t, NULL, spin_waiter, &c);
	while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
		sched_yield();
	end = mt_now_ns() + (uint64_t)ms * 1000000u;
	if (asleep) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000 };

		nanosleep(&ts, NULL);
		mt_off_cpu(false);
	} else {
		while (mt_now_ns() < end)
			cpu_relax();
	}
	up_write(sem);
	pthread_join(t, NULL);
	return c.cpu_ns;
}

/* Window hooks: the test plays another thread in the middle of this one. */
static struct rw_semaphore *hook_sem;
static int hook_sync;

static void other_thread(const char *window)
{
	down_write(hook_sem);
	lockdep_assert_held_write(hook_sem);
	up_write(hook_sem);
	if (hook_sync)
		synchronize_rcu();
}

static void hook_site(void)
{
	race_window("t-locks-window");
}

int main(void)
{
	spinlock_t s;
	struct rw_semaphore sem;

	R = mt_region_create(false);
	mt_region_use(R);
	rcu_register_thread();
	spin_lock_init(&s);
	init_rwsem(&sem);

	/* spinlock */
	spin_lock(&s);
	lockdep_assert_held(&s);
	ok(mt_lock_held(&s, MT_HELD_SPIN) && rule() == 0, "held spinlock: assertion silent");
	ok(!spin_trylock(&s), "trylock of a held spinlock fails");
	spin_unlock(&s);
	lockdep_assert_held(&s);
	is_u64(rule(), 1, "spinlock not held: lockdep_assert_held counts lock_rule");
	spin_unlock(&s);
	is_u64(rule(), 2, "unlock of a spinlock not held counts lock_rule");
	ok(R->events[1].where[0] && strstr(R->events[1].what, "not held"),
	   "the report says what: %s", R->events[1].what);

	/* rwsem */
	mt_region_reset(R);
	down_read(&sem);
	lockdep_assert_held_read(&sem);
	lockdep_assert_held(&sem);
	ok(rule() == 0, "held for read: read assertion silent");
	lockdep_assert_held_write(&sem);
	is_u64(rule(), 1, "held for read, asserted for write: lock_rule");
	up_read(&sem);
	down_write(&sem);
	lockdep_assert_held_read(&sem);
	lockdep_assert_held_write(&sem);
	is_u64(rule(), 1, "held for write satisfies both assertions");
	up_write(&sem);
	lockdep_assert_held(&sem);
	is_u64(rule(), 2, "not held: lock_rule");
	up_write(&sem);
	is_u64(rule(), 3, "up_write of an rwsem not held: lock_rule");

	/* sleeping with a spinlock, or inside an RCU read-side section */
	mt_region_reset(R);
	spin_lock(&s);
	down_read(&sem);
	up_read(&sem);
	spin_unlock(&s);
	is_u64(rule(), 1, "down_read under a spinlock: lock_rule");
	mt_region_reset(R);
	rcu_read_lock();
	down_read(&sem);	/* uncontended: might_sleep() all the same */
	up_read(&sem);
	rcu_read_unlock();
	is_u64(rule(), 1, "down_read inside an RCU read-side section, uncontended: lock_rule");
	rcu_read_lock();
	down_write(&sem);
	up_write(&sem);
	rcu_read_unlock();
	is_u64(rule(), 2, "down_write inside an RCU read-side section, uncontended: lock_rule");
	{
		pthread_t t;
		struct wctx w = { .sem = &sem };

		mt_region_reset(R);
		down_read(&sem);
		pthread_create(&t, NULL, rwsem_writer, &w);
		up_read(&sem);
		pthread_join(t, NULL);
		ok(w.done && rule() == 0, "a writer waiting on a reader, outside RCU: silent");
	}

	{
		/*
		 * Held 50 ms; the waiter may spin at most 100 µs and take the
		 * lock's wake: 10 ms of CPU would be a spin without end.  On
		 * a writer asleep it spins not at all, so it spends less than
		 * half of that.  The least of five tries each, so that a
		 * waiter preempted or slowed by a loaded machine does not
		 * decide.
		 */
		uint64_t run = UINT64_MAX, slept = UINT64_MAX;

		mt_counters_attach(1, 0);
		for (int i = 0; i < 5; i++) {
			uint64_t r = waiter_cpu_while_held(&sem, false, 50);
			uint64_t z = waiter_cpu_while_held(&sem, true, 50);

			run = r < run ? r : run;
			slept = z < slept ? z : slept;
		}
		mt_counters_detach();
		ok(run < 10000000, "a waiter on a running writer spins a bounded time, then sleeps "
		   "(%.3f ms of CPU in 50 ms)", (double)run / 1e6);
		ok(slept * 2 < run, "a waiter on a writer asleep stops spinning at once "
		   "(%.3f ms of CPU in 50 ms)", (double)slept / 1e6);
	}

	/* a window hook inside a read-side section, holding a spinlock */
	mt_region_reset(R);
	hook_sem = &sem;
	mt_window_hook_set(other_thread);
	rcu_read_lock();
	spin_lock(&s);
	hook_site();
	ok(rule() == 0 && mt_lock_held(&s, MT_HELD_SPIN),
	   "a window hook plays another thread: its down_write is not under our RCU or spinlock");
	hook_sync = 1;
	hook_site();
	ok(rule() == 1, "a hook that would wait for a grace period inside our read side: lock_rule");
	spin_unlock(&s);
	rcu_read_unlock();
	mt_window_hook_set(NULL);
	hook_sync = 0;

	/* lock order: AB then BA is an inversion, counted once, before any deadlock */
	mt_region_reset(R);
	mt_lock_order_reset();
	{
		spinlock_t a, b, c;

		spin_lock_init(&a);
		spin_lock_init(&b);
		spin_lock_init(&c);
		spin_lock(&a);
		spin_lock(&b);
		spin_unlock(&b);
		spin_unlock(&a);
		spin_lock(&a);
		spin_lock(&b);
		spin_unlock(&b);
		spin_unlock(&a);
		ok(rule() == 0, "the same order twice: silent");
		spin_lock(&b);
		spin_lock(&a);
		spin_unlock(&a);
		spin_unlock(&b);
		is_u64(rule(), 1, "b then a after a then b: an AB-BA inversion, lock_rule");
		ok(strstr(R->events[0].what, "&a (tests/unit/t_locks.c:") &&
		   strstr(R->events[0].what, "&b (tests/unit/t_locks.c:"),
		   "the report names both classes: %s", R->events[0].what);
		spin_lock(&b);
		spin_lock(&a);
		spin_unlock(&a);
		spin_unlock(&b);
		is_u64(rule(), 1, "the same inversion is counted once");
		spin_lock(&b);
		ok(spin_trylock(&a) && rule() == 1, "a trylock cannot deadlock: not an inversion");
		spin_unlock(&a);
		spin_unlock(&b);
		spin_lock(&c);
		down_write(&sem);
		up_write(&sem);
		spin_unlock(&c);
		mt_region_reset(R);
		down_read(&sem);
		spin_lock(&c);
		spin_unlock(&c);
		up_read(&sem);
		is_u64(rule(), 1, "rw_semaphores are ordered with spinlocks too");
		{
			spinlock_t same[2];

			mt_region_reset(R);
			for (int i = 0; i < 2; i++)
				spin_lock_init(&same[i]);	/* one class: one init site */
			spin_lock(&same[0]);
			spin_lock(&same[1]);
			spin_unlock(&same[1]);
			spin_unlock(&same[0]);
			spin_lock(&same[1]);
			spin_lock(&same[0]);
			spin_unlock(&same[0]);
			spin_unlock(&same[1]);
			ok(rule() == 0, "locks of one class nested either way: not ordered");
		}
	}
	mt_lock_order_reset();

	/* what an operation leaves held is counted, then released */
	mt_region_reset(R);
	mt_lockdep_assert_none_held("test");
	ok(rule() == 0 && mt_locks_held_count() == 0, "nothing held: end-of-op check silent");
	down_write(&sem);
	spin_lock(&s);
	mt_lockdep_assert_none_held("test");
	ok(rule() == 1 && mt_locks_held_count() == 0, "locks left held at the end of an op: lock_rule");
	ok(!spin_is_locked(&s), "the forgotten spinlock is released");
	{
		pthread_t t;
		struct wctx w = { .sem = &sem };

		pthread_create(&t, NULL, rwsem_writer, &w);
		pthread_join(t, NULL);
		ok(w.done, "the forgotten rw_semaphore is released: another thread takes it");
	}

	/* more holds than the tracker keeps: counted, and nothing stays taken */
	mt_region_reset(R);
	{
		spinlock_t many[40];
		int locked = 0;

		for (int i = 0; i < 40; i++) {
			spin_lock_init(&many[i]);
			spin_lock(&many[i]);
		}
		for (int i = 0; i < 40; i++)
			locked += spin_is_locked(&many[i]);
		ok(rule() == 8 && locked == 32,
		   "40 spinlocks, 32 tracked: 8 lock_rule, the untracked ones released (%d held)", locked);
		mt_lockdep_assert_none_held("test");
		locked = 0;
		for (int i = 0; i < 40; i++)
			locked += spin_is_locked(&many[i]);
		ok(locked == 0, "and the end-of-op check releases the rest");
	}

	/* locks in freed memory */
	{
		struct kmem_cache *ts = kmem_cache_create("t_locks_ts", sizeof(struct locked),
							  SLAB_TYPESAFE_BY_RCU, locked_ctor);
		struct kmem_cache *po = kmem_cache_create("t_locks_po", sizeof(struct locked),
							  SLAB_POISON, locked_ctor);
		struct kmem_cache *other = kmem_cache_create("t_locks_other", sizeof(struct locked),
							     0, NULL);
		struct locked *a, *b;
		void *fill[4096];
		int n = 0;

		mt_region_reset(R);
		a = kmem_cache_alloc(ts);
		kmem_cache_free(ts, a);
		spin_lock(&a->lock);
		ok(spin_is_locked(&a->lock), "lock in freed typesafe memory is still a lock");
		spin_unlock(&a->lock);
		ok(mt_races_total(R) == 0, "locking freed typesafe memory is no race");

		b = kmem_cache_alloc(po);
		kmem_cache_free(po, b);
		spin_lock(&b->lock);
		spin_unlock(&b->lock);
		is_u64(mt_counter_read(R, MT_USE_AFTER_FREE), 1,
		       "lock in poisoned memory: use_after_free, no hang");
		ok(((unsigned char *)b)[0] == POISON_FREE, "the bogus lock wrote nothing");

		/* the object freed (and poisoned) while its lock is held */
		mt_region_reset(R);
		b = kmem_cache_alloc(po);
		spin_lock(&b->lock);
		kmem_cache_free(po, b);
		spin_unlock(&b->lock);
		is_u64(mt_counter_read(R, MT_USE_AFTER_FREE), 1,
		       "unlock after the object was freed under its holder: use_after_free");
		ok(((unsigned char *)b)[0] == POISON_FREE && ((unsigned char *)b)[3] == POISON_FREE,
		   "the unlock wrote nothing into the freed memory");
		ok(mt_locks_held_count() == 0, "and the hold is gone");

		/* a page of a plain cache freed to the pool and taken by another */
		mt_region_reset(R);
		a = kmem_cache_alloc(other);
		kmem_cache_free(other, a);
		for (n = 0; n < 4096; n++) {
			fill[n] = kmem_cache_alloc(po);
			memset(fill[n], 0x11, sizeof(struct locked));
			if ((uintptr_t)fill[n] / MT_SLAB_PAGE_SIZE == (uintptr_t)a / MT_SLAB_PAGE_SIZE)
				break;
		}
		ok(n < 4096, "the freed page was taken by another cache");
		spin_lock(&a->lock);
		spin_unlock(&a->lock);
		ok(mt_counter_read(R, MT_TYPE_CONFUSION) + mt_counter_read(R, MT_USE_AFTER_FREE) == 1 &&
		   mt_counter_read(R, MT_TYPE_CONFUSION) <= 1,
		   "lock in a page now another cache's: reported (%s)", R->events[0].what);
		for (int i = 0; i <= n && i < 4096; i++)
			kmem_cache_free(po, fill[i]);
		kmem_cache_destroy(ts);
		kmem_cache_destroy(po);
		kmem_cache_destroy(other);
	}

	destroy_rwsem(&sem);
	rcu_unregister_thread();
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
