// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_refcount - refcount_t: every misuse event fires its counter and
 * saturates as the kernel's does; correct use stays silent.
 */
#include <pthread.h>

#include "core/counters.h"
#include "core/refcount.h"
#include "core/rcu.h"
#include "tests/tap.h"

static struct mt_region *R;

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

static void reset(void)
{
	mt_region_reset(R);
}

static uint64_t races(void)
{
	return mt_races_total(R);
}

#define NTHREADS 4
#define NITER 200000
static refcount_t shared_ref = REFCOUNT_INIT(1);

static void *getput(void *arg)
{
	for (int i = 0; i < NITER; i++) {
		refcount_inc(&shared_ref);
		if (refcount_dec_and_test(&shared_ref))
			__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(void)
{
	refcount_t r;
	spinlock_t lock;

	R = mt_region_create(false);
	mt_region_use(R);
	spin_lock_init(&lock);

	/* correct use */
	refcount_set(&r, 1);
	refcount_inc(&r);
	refcount_add(3, &r);
	ok(refcount_read(&r) == 5, "inc and add: 1 + 1 + 3 = 5");
	ok(!refcount_dec_and_test(&r), "dec_and_test above one returns false");
	ok(refcount_inc_not_zero(&r), "inc_not_zero on a live count succeeds");
	ok(refcount_inc_not_zero_acquire(&r), "inc_not_zero_acquire on a live count succeeds");
	ok(refcount_sub_and_test(5, &r) == false && refcount_read(&r) == 1,
	   "sub_and_test(5) from 6 leaves 1");
	ok(refcount_dec_and_test(&r), "dec_and_test of the last ref returns true");
	ok(!refcount_inc_not_zero(&r), "inc_not_zero on zero fails (no resurrection)");
	ok(refcount_read(&r) == 0, "inc_not_zero on zero leaves it zero");
	refcount_set(&r, 2);
	ok(!refcount_dec_and_lock(&r, &lock) && !spin_is_locked(&lock),
	   "dec_and_lock above one: false, lock not taken");
	ok(refcount_dec_and_lock(&r, &lock) && spin_is_locked(&lock) &&
	   mt_lock_held(&lock, MT_HELD_SPIN), "dec_and_lock of the last ref: true with the lock held");
	spin_unlock(&lock);
	ok(races() == 0, "correct use: no race counter fired");

	/* misuse: increment of zero */
	reset();
	refcount_set(&r, 0);
	refcount_inc(&r);
	is_u64(cnt(MT_REFCOUNT_INC_ON_ZERO), 1, "inc on zero counts refcount_inc_on_zero");
	ok(refcount_read_raw(&r) == REFCOUNT_SATURATED, "inc on zero saturates the count");
	ok(R->first_ns[MT_REFCOUNT_INC_ON_ZERO] != 0, "first detection time recorded");
	ok(R->nevents == 1 && R->events[0].kind == MT_REFCOUNT_INC_ON_ZERO &&
	   !strcmp(R->events[0].where, "main"), "event names the caller (main)");

	/* misuse: put on zero */
	reset();
	refcount_set(&r, 0);
	ok(!refcount_dec_and_test(&r), "dec_and_test on zero returns false");
	is_u64(cnt(MT_REFCOUNT_UNDERFLOW), 1, "dec_and_test on zero counts refcount_underflow");
	ok(refcount_read_raw(&r) == REFCOUNT_SATURATED, "underflow saturates");

	/* misuse: dec on a saturated count */
	reset();
	ok(!refcount_dec_and_test(&r), "dec_and_test on a saturated count returns false");
	is_u64(cnt(MT_REFCOUNT_UNDERFLOW), 1, "dec_and_test on a saturated count counts refcount_underflow");
	refcount_dec(&r);
	is_u64(cnt(MT_REFCOUNT_UNDERFLOW), 2, "refcount_dec on a saturated count counts refcount_underflow");
	ok(refcount_dec_not_one(&r) && cnt(MT_REFCOUNT_UNDERFLOW) == 3,
	   "dec_not_one on a saturated count counts refcount_underflow");
	refcount_set(&r, 0);
	ok(!refcount_dec_and_lock(&r, &lock) && !spin_is_locked(&lock) &&
	   cnt(MT_REFCOUNT_UNDERFLOW) == 4, "dec_and_lock on zero counts refcount_underflow, lock not taken");

	/* misuse: a put of more than is held, add on zero, inc_not_zero on a saturated count */
	reset();
	refcount_set(&r, 2);
	ok(!refcount_sub_and_test(3, &r) && cnt(MT_REFCOUNT_UNDERFLOW) == 1 &&
	   refcount_read_raw(&r) == REFCOUNT_SATURATED,
	   "sub_and_test(3) from 2 counts refcount_underflow and saturates");
	reset();
	refcount_set(&r, 0);
	refcount_add(2, &r);
	ok(cnt(MT_REFCOUNT_INC_ON_ZERO) == 1 && refcount_read_raw(&r) == REFCOUNT_SATURATED,
	   "add on zero counts refcount_inc_on_zero and saturates");
	reset();
	refcount_set(&r, 0);
	ok(!refcount_inc_not_zero_acquire(&r) && refcount_read(&r) == 0 && races() == 0,
	   "inc_not_zero_acquire on zero fails silently (a lookup losing the race)");
	refcount_set(&r, REFCOUNT_SATURATED);
	ok(refcount_inc_not_zero(&r) && refcount_read_raw(&r) == REFCOUNT_SATURATED &&
	   cnt(MT_REFCOUNT_SATURATED) == 1 && races() == 0,
	   "inc_not_zero on a saturated count stays saturated (refcount_saturated)");
	refcount_set_release(&r, 1);
	ok(refcount_read(&r) == 1, "set_release sets the count");

	/* misuse: plain dec to zero, overflow */
	reset();
	refcount_set(&r, 1);
	refcount_dec(&r);
	is_u64(cnt(MT_REFCOUNT_SATURATED), 1, "refcount_dec to zero is a leak (refcount_saturated)");
	ok(races() == 0, "a leaking dec is not a race");
	refcount_set(&r, REFCOUNT_MAX);
	refcount_inc(&r);
	ok(refcount_read_raw(&r) == REFCOUNT_SATURATED && cnt(MT_REFCOUNT_SATURATED) == 2,
	   "inc at REFCOUNT_MAX saturates (refcount_saturated)");
	refcount_inc(&r);
	ok(refcount_read_raw(&r) == REFCOUNT_SATURATED, "a saturated count stays saturated");
	reset();
	refcount_set(&r, REFCOUNT_MAX - 1);
	refcount_add(5, &r);
	ok(refcount_read_raw(&r) == REFCOUNT_SATURATED && cnt(MT_REFCOUNT_SATURATED) == 1 &&
	   races() == 0, "add past REFCOUNT_MAX saturates (refcount_saturated), not a race");

	/* concurrency: get/put pairs from threads never see zero */
	reset();
	{
		pthread_t t[NTHREADS];
		int zeroes = 0;

		for (int i = 0; i < NTHREADS; i++)
			pthread_create(&t[i], NULL, getput, &zeroes);
		for (int i = 0; i < NTHREADS; i++)
			pthread_join(t[i], NULL);
		ok(refcount_read(&shared_ref) == 1 && zeroes == 0 && races() == 0,
		   "%d threads x %d get/put pairs: count back to 1, no event", NTHREADS, NITER);
	}

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
