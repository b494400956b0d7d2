// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_prng_inject - the PRNG repeats by seed; fail-the-Nth fails exactly
 * the Nth allocation; probabilistic failures and race-window delays are
 * injected at about the rate asked and counted; every pass of a window is
 * counted (coverage), delays during another thread's free are overlaps,
 * and the refcount and rcu_dereference sync points are passed.
 */
#include <pthread.h>
#include <stdio.h>

#include "core/access.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/refcount.h"
#include "core/locks.h"
#include "core/prng.h"
#include "core/slab.h"
#include "core/thread.h"
#include "tests/tap.h"

static void window_site(void)
{
	race_window("test-window");
}

static void other_site(void)
{
	race_window("other-window");
}

static int window_slot(const struct mt_region *r, const char *name)
{
	for (uint32_t i = 0; i < r->nwindows; i++)
		if (!strcmp(r->windows[i].name, name))
			return (int)i;
	return -1;
}

static struct kmem_cache *ovl_cache;
static volatile int ovl_stop;

/* Another thread that frees objects all along, for the overlaps. */
static void *freer(void *arg)
{
	mt_thread_enter(2, 0, 7);
	while (!__atomic_load_n(&ovl_stop, __ATOMIC_ACQUIRE)) {
		void *o = kmem_cache_alloc(ovl_cache);

		if (o)
			kmem_cache_free(ovl_cache, o);
	}
	mt_thread_leave();
	return NULL;
}

static void cov_site(void)
{
	coverage_point("test-step");
}

/*
 * Coverage: passes counted with delays off, a reset region re-registered,
 * required steps marked, overlaps counted when another thread frees
 * during a delay, and the sync points of refcount_t and
 * rcu_dereference_sync().
 */
static void test_coverage(struct mt_region *R)
{
	struct mt_inject_conf conf = { .delay_prob = 1.0, .delay_mode = MT_DELAY_SLEEP,
				       .delay_max_ns = 200000 };
	pthread_t th;
	int slot;

	mt_inject_reset();
	mt_region_reset(R);
	for (int i = 0; i < 300; i++) {
		window_site();
		cov_site();
	}
	slot = window_slot(R, "test-window");
	ok(slot >= 0 && mt_window_passes(R, (unsigned int)slot) == 300 && R->windows[slot].hits == 0 &&
	   window_slot(R, "test-step") >= 0 &&
	   mt_window_passes(R, (unsigned int)window_slot(R, "test-step")) == 300,
	   "delays off: 300 passes of a window and of a coverage point counted, no delay");
	mt_region_reset(R);
	window_site();
	ok(window_slot(R, "test-window") == 0 && mt_window_passes(R, 0) == 1,
	   "a reset region: the site registers its window again, the pass is counted");
	ok(mt_coverage_require("never-passed") == 0 &&
	   R->windows[window_slot(R, "never-passed")].required &&
	   !mt_window_passes(R, (unsigned int)window_slot(R, "never-passed")) &&
	   !R->windows[0].required,
	   "mt_coverage_require: the step is registered, marked required, with no pass");

	mt_region_reset(R);
	ovl_cache = kmem_cache_create("ovl", 64, 0, NULL);	/* its slot in this region */
	mt_inject_configure(&conf);
	__atomic_store_n(&ovl_stop, 0, __ATOMIC_RELEASE);
	pthread_create(&th, NULL, freer, NULL);
	for (int i = 0; i < 50; i++)
		window_site();
	__atomic_store_n(&ovl_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	slot = window_slot(R, "test-window");
	ok(slot >= 0 && R->windows[slot].hits == 50 && R->windows[slot].overlaps > 0 &&
	   R->windows[slot].overlaps <= 50,
	   "a delay during which another thread freed an object is an overlap (%llu of 50)",
	   (unsigned long long)(slot >= 0 ? R->windows[slot].overlaps : 0));
	mt_inject_reset();
	mt_region_reset(R);
	for (int i = 0; i < 20; i++)
		window_site();
	slot = window_slot(R, "test-window");
	ok(slot >= 0 && !R->windows[slot].overlaps && !R->windows[slot].hits,
	   "no delay, no overlap");
	kmem_cache_destroy(ovl_cache);

	{
		refcount_t r = REFCOUNT_INIT(1);
		int a = 1, *p = &a, *q;

		mt_region_reset(R);
		refcount_inc(&r);
		(void)refcount_inc_not_zero(&r);
		refcount_dec(&r);
		(void)refcount_dec_and_test(&r);
		rcu_register_thread();
		rcu_read_lock();
		q = rcu_dereference_sync(p);
		rcu_read_unlock();
		rcu_unregister_thread();
		ok(window_slot(R, "sync-refcount-get") >= 0 && window_slot(R, "sync-refcount-put") >= 0 &&
		   mt_window_passes(R, (unsigned int)window_slot(R, "sync-refcount-get")) == 2 &&
		   mt_window_passes(R, (unsigned int)window_slot(R, "sync-refcount-put")) == 2 &&
		   window_slot(R, "sync-rcu-dereference") >= 0 && q == p,
		   "refcount gets and puts, and rcu_dereference_sync(), are sync points");
	}
}

struct fail_nth_arg {
	struct kmem_cache *cache;
	unsigned int idx;
	int failures, failed_at;
};

static void *fail_nth_worker(void *p)
{
	struct fail_nth_arg *a = p;
	void *objs[8] = { NULL };

	mt_thread_enter(a->idx, 0, 1);
	for (int i = 1; i < 8; i++) {
		objs[i] = kmem_cache_alloc(a->cache);
		if (!objs[i]) {
			a->failures++;
			a->failed_at = i;
		}
	}
	for (int i = 1; i < 8; i++)
		if (objs[i])
			kmem_cache_free(a->cache, objs[i]);
	mt_thread_leave();
	return NULL;
}

int main(void)
{
	struct mt_region *R = mt_region_create(false);
	struct mt_prng a, b, c;
	int same = 1, differ = 0;
	struct kmem_cache *k;
	void *objs[16];

	mt_region_use(R);

	mt_prng_seed(&a, 42, 1);
	mt_prng_seed(&b, 42, 1);
	mt_prng_seed(&c, 42, 2);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = mt_prng_next(&a), y = mt_prng_next(&b), z = mt_prng_next(&c);

		same &= x == y;
		differ += x != z;
	}
	ok(same, "same (seed, stream) gives the same sequence");
	ok(differ > 990, "another stream of the same seed diverges");
	mt_prng_seed(&c, 43, 1);
	mt_prng_seed(&a, 42, 1);
	ok(mt_prng_next(&a) != mt_prng_next(&c), "another seed diverges");
	{
		int hits = 0, below_ok = 1;
		uint64_t th = mt_prob_threshold(0.25);

		mt_prng_thread_seed(7, 0);
		for (int i = 0; i < 100000; i++) {
			hits += mt_random_chance(th);
			below_ok &= mt_random_below(10) < 10;
		}
		ok(hits > 24000 && hits < 26000, "chance(0.25) hits %d of 100000", hits);
		ok(below_ok, "random_below(n) stays below n");
		ok(!mt_random_chance(mt_prob_threshold(0)) &&
		   mt_random_chance(mt_prob_threshold(1)), "probabilities 0 and 1 are exact");
	}

	/* fail-the-Nth */
	k = kmem_cache_create("t_inject", 64, 0, NULL);
	for (int n = 1; n <= 5; n++) {
		int failed_at = 0, failures = 0;

		mt_fail_nth_set((uint64_t)n);
		for (int i = 1; i <= 10; i++) {
			objs[i] = kmem_cache_alloc(k);
			if (!objs[i]) {
				failures++;
				failed_at = i;
			}
		}
		ok(failures == 1 && failed_at == n, "fail_nth=%d fails exactly allocation %d", n,
		   failed_at);
		for (int i = 1; i <= 10; i++)
			if (objs[i])
				kmem_cache_free(k, objs[i]);
	}
	is_u64(mt_counter_read(R, MT_ALLOC_FAILS_INJECTED), 5, "each injected failure is counted");

	/* a job's fail_nth arms every worker that enters, each once */
	{
		struct mt_inject_conf conf = { .fail_nth = 3 };
		struct fail_nth_arg args[3];
		pthread_t tid[3];
		int exact = 0;

		mt_inject_configure(&conf);
		for (int i = 0; i < 3; i++) {
			args[i] = (struct fail_nth_arg){ .cache = k, .idx = (unsigned int)i + 1 };
			pthread_create(&tid[i], NULL, fail_nth_worker, &args[i]);
		}
		for (int i = 0; i < 3; i++) {
			pthread_join(tid[i], NULL);
			exact += args[i].failures == 1 && args[i].failed_at == 3;
		}
		ok(exact == 3, "job fail_nth=3: each of 3 workers fails exactly its 3rd allocation (%d did)",
		   exact);
		mt_inject_reset();
		mt_inject_thread_arm();
		objs[0] = kmem_cache_alloc(k);
		ok(objs[0] && !mt_fail_nth, "after reset, a thread that enters is not armed");
		if (objs[0])
			kmem_cache_free(k, objs[0]);
	}

	{
		struct mt_inject_conf conf = { .alloc_fail_prob = 0.5 };
		int fails = 0;

		mt_inject_configure(&conf);
		for (int i = 0; i < 2000; i++) {
			void *o = kmem_cache_alloc(k);

			if (o)
				kmem_cache_free(k, o);
			else
				fails++;
		}
		ok(fails > 850 && fails < 1150, "alloc_fail_prob=0.5 failed %d of 2000", fails);
		mt_inject_reset();
	}
	kmem_cache_destroy(k);

	/* race windows */
	{
		struct mt_inject_conf conf = { .delay_prob = 0.1, .delay_mode = MT_DELAY_SPIN,
					       .delay_max_ns = 1000 };
		uint64_t t0;

		mt_region_reset(R);
		for (int i = 0; i < 1000; i++)
			window_site();
		ok(mt_counter_read(R, MT_DELAYS_INJECTED) == 0, "delays off: a window injects nothing");
		mt_inject_configure(&conf);
		t0 = mt_now_ns();
		for (int i = 0; i < 5000; i++)
			window_site();
		{
			uint64_t d = mt_counter_read(R, MT_DELAYS_INJECTED);

			ok(d > 400 && d < 600, "delay=0.1: %llu delays in 5000 passes",
			   (unsigned long long)d);
			ok(R->nwindows == 1 && !strcmp(R->windows[0].name, "test-window") &&
			   R->windows[0].hits == d, "hits kept by window name");
		}
		ok(mt_now_ns() - t0 < 1000000000ull, "spin delays stay bounded");

		snprintf(conf.windows, sizeof(conf.windows), "other-window");
		mt_inject_configure(&conf);
		mt_region_reset(R);
		for (int i = 0; i < 2000; i++) {
			window_site();
			other_site();
		}
		{
			int tw = -1, ow = -1;

			for (uint32_t i = 0; i < R->nwindows; i++) {
				if (!strcmp(R->windows[i].name, "test-window"))
					tw = (int)i;
				if (!strcmp(R->windows[i].name, "other-window"))
					ow = (int)i;
			}
			ok(mt_counter_read(R, MT_DELAYS_INJECTED) > 0 && tw >= 0 && ow >= 0 &&
			   R->windows[tw].hits == 0 && R->windows[ow].hits > 0 &&
			   mt_window_passes(R, (unsigned int)tw) == 2000 &&
			   mt_window_passes(R, (unsigned int)ow) == 2000,
			   "windows= restricts delays to the named windows; both count their 2000 passes");
		}
		conf.windows[0] = '\0';
		conf.delay_mode = MT_DELAY_MIX;
		conf.delay_prob = 1.0;
		mt_inject_configure(&conf);
		mt_region_reset(R);
		t0 = mt_now_ns();
		for (int i = 0; i < 200; i++)
			window_site();
		ok(mt_counter_read(R, MT_DELAYS_INJECTED) == 200 &&
		   mt_now_ns() - t0 < 2000000000ull,
		   "delay=1, mode=mix: 200 bounded spin/yield/sleep delays");
		mt_inject_reset();
	}
	ok(mt_delay_mode_lookup("sleep") == MT_DELAY_SLEEP && mt_delay_mode_lookup("x") < 0,
	   "delay modes by name");

	/* the generic sync points: lock releases and ends of read sides */
	{
		struct mt_inject_conf conf = { .delay_prob = 0, .sync_delay_prob = 1.0,
					       .delay_mode = MT_DELAY_SPIN, .delay_max_ns = 100 };
		spinlock_t l;
		bool named = false;

		spin_lock_init(&l);
		mt_region_reset(R);
		mt_inject_configure(&conf);
		for (int i = 0; i < 10; i++) {
			spin_lock(&l);
			spin_unlock(&l);
			window_site();
		}
		for (uint32_t i = 0; i < R->nwindows; i++)
			named |= !strcmp(R->windows[i].name, "sync-unlock") && R->windows[i].hits == 10;
		ok(mt_counter_read(R, MT_DELAYS_INJECTED) == 10 && named,
		   "sync_delay=1, delay=0: a delay after each of 10 spin_unlock(), none at named windows");
		conf = (struct mt_inject_conf){ .delay_prob = 0.5, .sync_delay_prob = -1,
						.delay_mode = MT_DELAY_SPIN, .delay_max_ns = 100 };
		mt_inject_configure(&conf);
		ok(mt_sync_delay_threshold == mt_prob_threshold(0.05),
		   "sync_delay left unset is a tenth of delay");
		conf.delay_prob = 0;
		mt_inject_configure(&conf);
		mt_region_reset(R);
		spin_lock(&l);
		spin_unlock(&l);
		ok(!mt_inject_active && mt_counter_read(R, MT_DELAYS_INJECTED) == 0,
		   "delay=0 and sync_delay unset: no delay anywhere");
		mt_inject_reset();
	}

	test_coverage(R);
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
