// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_slab - the slab and its detectors: typesafe reuse is immediate and
 * typesafe pages never change type under an RCU reader, while plain pages
 * do (type_confusion); poison finds a write after free; double free, use
 * after free, stale generations and leaks at destroy are counted.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/slab.h"
#include "core/thread.h"
#include "tests/tap.h"

struct thing {
	long id;
	long data[7];
};

static struct mt_region *R;
static uint64_t seed;

static uintptr_t page_of_ptr(const void *p)
{
	return (uintptr_t)p / MT_SLAB_PAGE_SIZE;
}

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

/* ---- the threaded reader/writer test ---- */

#define NSLOTS 64
/* Big objects: 15 to a page, so that pages empty and change hands. */
struct big {
	long id;
	char pad[1000];
};
static struct big *slots[NSLOTS];
static int stop;		/* ATOMIC */
static long free_seen;		/* ATOMIC: reader saw a freed typesafe object */
static long reader_checks;	/* ATOMIC */

struct rw_arg {
	struct kmem_cache *t, *other;
};

static void *reader(void *p)
{
	struct rw_arg *a = p;

	mt_thread_enter(2, 0, seed);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct big *t;

		rcu_read_lock();
		t = rcu_dereference(slots[mt_random_below(NSLOTS)]);
		if (t) {
			mt_delay(MT_DELAY_SPIN, 30000);
			if (obj_check(t, a->t) == OBJ_FREE_TYPESAFE)
				__atomic_fetch_add(&free_seen, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&reader_checks, 1, __ATOMIC_RELAXED);
		}
		rcu_read_unlock();
		rcu_quiescent_state();
	}
	mt_thread_leave();
	return NULL;
}

static void *writer(void *p)
{
	struct rw_arg *a = p;
	void *junk[256];

	mt_thread_enter(3, 0, seed);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned int i = mt_random_below(NSLOTS);
		struct big *old = rcu_xchg_pointer(&slots[i], NULL);

		/* typesafe: free at once, no grace period (that is the point) */
		if (old)
			kmem_cache_free(a->t, old);
		if (mt_random_below(64) == 0) {	/* empty every slot: pages empty */
			for (unsigned int j = 0; j < NSLOTS; j++) {
				old = rcu_xchg_pointer(&slots[j], NULL);
				if (old)
					kmem_cache_free(a->t, old);
			}
		}
		if (mt_random_below(2)) {
			struct big *n = kmem_cache_alloc(a->t);

			if (n) {
				n->id = i;
				rcu_assign_pointer(slots[i], n);
			}
		}
		/* churn another cache, so that pooled pages find new owners */
		if (mt_random_below(8) == 0) {
			int n = 0;

			for (; n < 256; n++)
				if (!(junk[n] = kmem_cache_alloc(a->other)))
					break;
			while (n--)
				kmem_cache_free(a->other, junk[n]);
		}
		rcu_quiescent_state();
	}
	for (unsigned int i = 0; i < NSLOTS; i++) {
		struct big *old = rcu_xchg_pointer(&slots[i], NULL);

		if (old) {
			synchronize_rcu();
			kmem_cache_free(a->t, old);
		}
	}
	mt_thread_leave();
	return NULL;
}

/*
 * Run a reader against a writer for at least @ms, then on until @enough()
 * says the run has shown what it must (or 10 s more have passed).
 */
static void reader_writer(struct kmem_cache *t, struct kmem_cache *other, int ms,
			  bool (*enough)(void))
{
	struct rw_arg a = { t, other };
	pthread_t r, w;
	uint64_t end = mt_now_ns() + (uint64_t)ms * 1000000u;

	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	free_seen = reader_checks = 0;
	pthread_create(&r, NULL, reader, &a);
	pthread_create(&w, NULL, writer, &a);
	while (mt_now_ns() < end || (!enough() && mt_now_ns() < end + 10000000000ull))
		usleep(10000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(r, NULL);
	pthread_join(w, NULL);
}

static bool typesafe_shown(void)
{
	return __atomic_load_n(&free_seen, __ATOMIC_RELAXED) > 0 &&
	       cnt(MT_SLAB_PAGES_RCU_FREED) > 0;
}

static bool confusion_shown(void)
{
	return cnt(MT_TYPE_CONFUSION) > 0;
}

/* A reader holding a freed typesafe object across kmem_cache_destroy(). */
struct destroy_arg {
	struct kmem_cache *c;
	struct thing *obj;
	int phase;		/* ATOMIC: 1 reader in, 2 destroy started, 3 done */
	bool destroying;	/* destroy had queued the page's RCU free when it looked */
	enum obj_status seen;
};

static void *destroy_reader(void *p)
{
	struct destroy_arg *d = p;

	mt_thread_enter(4, 0, seed);
	uint64_t queued = cnt(MT_CALL_RCU), until;

	rcu_read_lock();
	__atomic_store_n(&d->phase, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&d->phase, __ATOMIC_ACQUIRE) < 2)
		usleep(1000);
	/*
	 * Destroy is under way once it has handed the cache's typesafe page
	 * to call_rcu(): from then on it waits in rcu_barrier() for this
	 * read side, which holds the object.
	 */
	for (until = mt_now_ns() + 10000000000ull; cnt(MT_CALL_RCU) == queued && mt_now_ns() < until;)
		usleep(1000);
	d->destroying = cnt(MT_CALL_RCU) > queued;
	d->seen = obj_check(d->obj, d->c);
	rcu_read_unlock();
	mt_thread_leave();
	return NULL;
}

/* ---- per-thread slabs ---- */

struct cpu_arg {
	struct kmem_cache *pl, *po;
	struct thing *keep[40];		/* allocated here, freed by the other worker */
	struct thing *again, *first;
	long live_mid, walked_mid;
	bool lifo, uaf_seen, df_seen;
};

static void count_walk(void *obj, void *arg)
{
	(void)obj;
	(*(long *)arg)++;
}

static void *cpu_worker(void *p)
{
	struct cpu_arg *a = p;
	struct thing *x;

	mt_thread_enter(5, 0, seed);
	/* a plain cache: what a worker frees to its own page it reuses at once */
	a->first = kmem_cache_alloc(a->pl);
	kmem_cache_free(a->pl, a->first);
	a->again = kmem_cache_alloc(a->pl);
	a->lifo = a->again == a->first;
	for (int i = 0; i < 40; i++)
		a->keep[i] = kmem_cache_alloc(a->pl);
	/* objects on this thread's frozen page are walked, and counted live */
	a->walked_mid = 0;
	kmem_cache_walk_live(a->pl, count_walk, &a->walked_mid);
	a->live_mid = kmem_cache_live(a->pl);
	/* a poison cache: the freed object sits in this thread's quarantine */
	x = kmem_cache_alloc(a->po);
	kmem_cache_free(a->po, x);
	a->uaf_seen = obj_check(x, a->po) == OBJ_BAD;
	kmem_cache_free(a->po, x);
	a->df_seen = cnt(MT_DOUBLE_FREE) == 1;
	mt_thread_leave();
	return NULL;
}

static void *cpu_freer(void *p)
{
	struct cpu_arg *a = p;

	mt_thread_enter(6, 0, seed);
	for (int i = 0; i < 40; i++)
		kmem_cache_free(a->pl, a->keep[i]);
	mt_thread_leave();
	return NULL;
}

static void test_cpu_slabs(void)
{
	struct cpu_arg a = { 0 };
	struct mt_pool_stats before, after;
	pthread_t t;

	mt_region_reset(R);
	a.pl = kmem_cache_create("t_cpu_plain", sizeof(struct thing), 0, NULL);
	a.po = kmem_cache_create("t_cpu_poison", sizeof(struct thing), SLAB_POISON, NULL);
	mt_pagepool_stats(&before);
	pthread_create(&t, NULL, cpu_worker, &a);
	pthread_join(t, NULL);
	ok(a.lifo, "a worker's free to its own slab is its next allocation (%p, %p)",
	   (void *)a.first, (void *)a.again);
	ok(a.walked_mid == 41 && a.live_mid == 41,
	   "objects of a worker's frozen page are walked and counted live: %ld walked, %ld live",
	   a.walked_mid, a.live_mid);
	ok(a.uaf_seen && cnt(MT_USE_AFTER_FREE) == 1,
	   "a worker's freed poison object, in its own quarantine, reads as use_after_free");
	ok(a.df_seen, "freeing it again from the worker: double_free");
	ok(kmem_cache_live(a.pl) == 41, "after the worker left, its 41 objects are still live: %ld",
	   kmem_cache_live(a.pl));
	pthread_create(&t, NULL, cpu_freer, &a);
	pthread_join(t, NULL);
	ok(kmem_cache_live(a.pl) == 1,
	   "another worker freed 40 of them: 1 live (%ld), across the two threads' counts",
	   kmem_cache_live(a.pl));
	kmem_cache_free(a.pl, a.again);
	ok(kmem_cache_destroy(a.pl) == 0 && kmem_cache_destroy(a.po) == 0 && mt_leaks_total(R) == 0,
	   "both caches destroyed with nothing leaked: the workers' slabs and quarantine went back");
	mt_pagepool_stats(&after);
	ok(after.pages_free - before.pages_free == after.pages_total - before.pages_total,
	   "every page they used is back in the pool (%lu free of %lu)", after.pages_free,
	   after.pages_total);
}

int main(void)
{
	struct kmem_cache *ts, *po, *pl, *bts, *bpl;
	struct thing *a, *b;
	uint32_t g;

	R = mt_region_create(false);
	mt_region_use(R);
	seed = tap_seed(mt_seed_random());
	mt_prng_thread_seed(seed, 1);
	rcu_register_thread();

	errno = 0;
	ok(!kmem_cache_create("bad", 64, SLAB_TYPESAFE_BY_RCU | SLAB_POISON, NULL) &&
	   errno == EINVAL, "SLAB_TYPESAFE_BY_RCU with SLAB_POISON is refused (EINVAL)");

	ts = kmem_cache_create("t_typesafe", sizeof(struct thing), SLAB_TYPESAFE_BY_RCU, NULL);
	po = kmem_cache_create("t_poison", sizeof(struct thing), SLAB_POISON, NULL);
	pl = kmem_cache_create("t_plain", sizeof(struct thing), 0, NULL);
	ok(ts && po && pl, "three caches created");

	/* typesafe reuse */
	a = kmem_cache_alloc(ts);
	g = obj_gen(a);
	kmem_cache_free(ts, a);
	ok(obj_check(a, ts) == OBJ_FREE_TYPESAFE && cnt(MT_USE_AFTER_FREE) == 0,
	   "a freed typesafe object is still of its type, no report");
	b = kmem_cache_alloc(ts);
	ok(b == a, "typesafe: the freed object is reused by the same cache at once");
	ok(obj_gen(b) != g, "reuse changes the generation");
	ok(obj_check_gen(b, ts, g) == OBJ_BAD && cnt(MT_STALE_OBJECT) == 1,
	   "a handle from before the reuse is stale_object");
	ok(obj_check_gen(b, ts, obj_gen(b)) == OBJ_LIVE && cnt(MT_STALE_OBJECT) == 1,
	   "the current generation passes");
	kmem_cache_free(ts, b);

	/* live counts */
	{
		struct thing *v[100];

		for (int i = 0; i < 100; i++)
			v[i] = kmem_cache_alloc(pl);
		ok(kmem_cache_live(pl) == 100, "live count: 100 after 100 allocations");
		for (int i = 0; i < 60; i++)
			kmem_cache_free(pl, v[i]);
		ok(kmem_cache_live(pl) == 40, "live count: 40 after 60 frees");
		for (int i = 60; i < 100; i++)
			kmem_cache_free(pl, v[i]);
	}

	/* use after free, double free */
	mt_region_reset(R);
	a = kmem_cache_alloc(po);
	ok(obj_check(a, po) == OBJ_LIVE && mt_races_total(R) == 0, "a live object checks clean");
	kmem_cache_free(po, a);
	ok(((unsigned char *)a)[5] == POISON_FREE, "a freed SLAB_POISON object is poisoned");
	ok(obj_check(a, po) == OBJ_BAD && cnt(MT_USE_AFTER_FREE) == 1,
	   "reading a freed poisoned object: use_after_free");
	kmem_cache_free(po, a);
	is_u64(cnt(MT_DOUBLE_FREE), 1, "freeing it again: double_free");
	a = kmem_cache_alloc(pl);
	kmem_cache_free(pl, a);
	kmem_cache_free(pl, a);
	is_u64(cnt(MT_DOUBLE_FREE), 2, "double free in a plain cache (page gone to the pool)");
	ok(obj_check(a, pl) == OBJ_BAD && cnt(MT_USE_AFTER_FREE) == 2,
	   "a plain object whose page went back to the pool: use_after_free");

	/* write after free, found at the next allocation */
	mt_region_reset(R);
	{
		struct kmem_cache *w = kmem_cache_create("t_waf", sizeof(struct thing),
							 SLAB_POISON, NULL);
		struct thing *victim = kmem_cache_alloc(w), *x;
		int found = 0;

		kmem_cache_free(w, victim);
		victim->data[3] = 42;	/* the write after free */
		for (int i = 0; i < 1023; i++)	/* fill the quarantine behind it */
			kmem_cache_free(w, kmem_cache_alloc(w));
		x = kmem_cache_alloc(w);
		kmem_cache_free(w, x);		/* pushes the victim out */
		ok(cnt(MT_USE_AFTER_FREE) == 0, "not found while quarantined");
		for (int i = 0; i < 5000 && !found; i++) {
			x = kmem_cache_alloc(w);
			found = x == victim;
		}
		ok(found && cnt(MT_USE_AFTER_FREE) == 1,
		   "a write after free is found when the object is allocated again");
		ok(strstr(R->events[0].what, "write after free") != NULL, "report: %s",
		   R->events[0].what);
		kmem_cache_destroy(w);	/* leaks what the loop allocated */
	}

	/* leaks at destroy */
	mt_region_reset(R);
	{
		struct kmem_cache *lk = kmem_cache_create("t_leaky", 40, SLAB_POISON, NULL);
		void *x = kmem_cache_alloc(lk);

		kmem_cache_alloc(lk);
		kmem_cache_alloc(lk);
		kmem_cache_free(lk, x);
		is_u64(kmem_cache_destroy(lk), 2, "destroy returns the 2 objects still live");
		is_u64(cnt(MT_LEAKED_OBJECTS), 2, "leaked_objects counts them");
		ok(R->caches[0].leaked == 2 && !strcmp(R->caches[0].name, "t_leaky"),
		   "leaked_objects{t_leaky} = 2 in the region");
		ok(mt_races_total(R) == 0, "a leak is not a race");
	}
	mt_region_reset(R);
	{
		struct kmem_cache *clean = kmem_cache_create("t_clean", 40, SLAB_TYPESAFE_BY_RCU, NULL);

		for (int i = 0; i < 1000; i++)
			kmem_cache_free(clean, kmem_cache_alloc(clean));
		ok(kmem_cache_destroy(clean) == 0 && mt_leaks_total(R) == 0,
		   "a cache freed of everything reports no leak");
	}

	/* destroying a typesafe cache waits for the readers of its pages */
	mt_region_reset(R);
	{
		struct destroy_arg d = { 0 };
		struct kmem_cache *junk = kmem_cache_create("t_destroy_junk", sizeof(struct thing),
							    0, NULL);
		pthread_t t;
		void *fill[2048];
		int n = 0, taken = 0;

		d.c = kmem_cache_create("t_destroy_ts", sizeof(struct thing),
					SLAB_TYPESAFE_BY_RCU, NULL);
		d.obj = kmem_cache_alloc(d.c);
		kmem_cache_free(d.c, d.obj);
		pthread_create(&t, NULL, destroy_reader, &d);
		while (__atomic_load_n(&d.phase, __ATOMIC_ACQUIRE) < 1)
			usleep(1000);
		__atomic_store_n(&d.phase, 2, __ATOMIC_RELEASE);
		kmem_cache_destroy(d.c);	/* returns once the reader has left */
		/* the page may now go to another cache */
		for (; n < 2048; n++) {
			fill[n] = kmem_cache_alloc(junk);
			if (page_of_ptr(fill[n]) == page_of_ptr(d.obj)) {
				taken = 1;
				n++;
				break;
			}
		}
		pthread_join(t, NULL);
		ok(d.destroying && d.seen == OBJ_FREE_TYPESAFE && mt_races_total(R) == 0,
		   "a reader inside rcu_read_lock() across kmem_cache_destroy() still finds its "
		   "typesafe object (no type_confusion), destroy waiting for it meanwhile");
		ok(taken, "after destroy the page went back to the pool for another cache");
		while (n--)
			kmem_cache_free(junk, fill[n]);
		kmem_cache_destroy(junk);
	}

	test_cpu_slabs();

	/* typesafe pages under RCU readers */
	mt_region_reset(R);
	bts = kmem_cache_create("t_big_typesafe", sizeof(struct big), SLAB_TYPESAFE_BY_RCU, NULL);
	bpl = kmem_cache_create("t_big_plain", sizeof(struct big), 0, NULL);
	reader_writer(bts, po, 1000, typesafe_shown);
	ok(mt_races_total(R) == 0,
	   "typesafe: %ld reader checks inside rcu_read_lock across frees, no type_confusion or use_after_free",
	   reader_checks);
	ok(free_seen > 0 && cnt(MT_SLAB_PAGES_RCU_FREED) > 0,
	   "the readers did meet freed objects (%ld) while pages went back after grace periods (%llu)",
	   free_seen, (unsigned long long)cnt(MT_SLAB_PAGES_RCU_FREED));

	mt_region_reset(R);
	reader_writer(bpl, po, 500, confusion_shown);
	ok(cnt(MT_TYPE_CONFUSION) > 0,
	   "not typesafe: readers found %llu pages that became another cache's (type_confusion)",
	   (unsigned long long)cnt(MT_TYPE_CONFUSION));

	kmem_cache_destroy(bts);
	kmem_cache_destroy(bpl);
	kmem_cache_destroy(ts);
	kmem_cache_destroy(po);
	kmem_cache_destroy(pl);
	rcu_unregister_thread();
	{
		struct mt_pool_stats st;

		mt_pagepool_stats(&st);
		ok(st.pages_free == st.pages_total && st.pages_total > 0,
		   "every page is back in the pool after destroy (%lu pages)", st.pages_total);
	}
	mt_pagepool_release();
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
