/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * refcount.h - the kernel's refcount_t, in user space, with its misuse
 * counted instead of warned about.
 *
 * Semantics and memory ordering follow include/linux/refcount.h:
 *  - the count saturates at REFCOUNT_SATURATED (INT_MIN / 2) on misuse and
 *    stays there, so a misused object leaks rather than being freed twice;
 *  - increments are relaxed; refcount_inc_not_zero_acquire() orders the
 *    caller's later loads after a successful increment, as a lookup of a
 *    SLAB_TYPESAFE_BY_RCU object needs before it rechecks the identity;
 *  - decrements are release, and the one that reaches zero is acquire, so
 *    the freeing thread sees every other holder's last writes.
 *
 * What is counted (the saturation types of the kernel's
 * refcount_warn_saturate()):
 *  - REFCOUNT_ADD_UAF, an increment of zero        -> refcount_inc_on_zero
 *  - REFCOUNT_SUB_UAF, a decrement of zero or of a
 *    saturated (negative) count                    -> refcount_underflow
 *  - REFCOUNT_ADD_OVF / ADD_NOT_ZERO_OVF, and
 *    REFCOUNT_DEC_LEAK (a plain dec to zero)        -> refcount_saturated (info)
 *
 * Every operation is a macro over a __refcount_*() function that takes
 * the caller's function name, so that a report says where it happened.
 *
 * Every operation is also a generic sync point (inject.h): a get is
 * preceded by "sync-refcount-get", where the thread may be delayed
 * between finding an object and taking its reference, and a put is
 * followed by "sync-refcount-put", where it may be delayed between
 * dropping its reference and whatever it does next -- the two gaps in
 * which a reference taken too late or dropped too early shows.
 */
#ifndef MT_REFCOUNT_H
#define MT_REFCOUNT_H

#include <limits.h>

#include "compiler.h"
#include "inject.h"
#include "locks.h"

typedef struct refcount_struct {
	int refs;		/* ATOMIC */
} refcount_t;

#define REFCOUNT_INIT(n)	{ .refs = (n) }
#define REFCOUNT_MAX		INT_MAX
#define REFCOUNT_SATURATED	(INT_MIN / 2)

enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t,
			    const char *where);

/* old + i and old - i without signed overflow (the kernel builds with -fno-strict-overflow). */
static inline int refcount_wrap_add(int old, int i)
{
	return (int)((unsigned int)old + (unsigned int)i);
}

static inline void refcount_set(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs, n, __ATOMIC_RELAXED);
}

/*
 * refcount_set_release - set the count with release ordering: for a
 * SLAB_TYPESAFE_BY_RCU object being (re)initialised, so that a reader
 * whose refcount_inc_not_zero_acquire() succeeds on the new count also
 * sees the new identity fields written before it.
 */
static inline void refcount_set_release(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs, n, __ATOMIC_RELEASE);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)__atomic_load_n(&r->refs, __ATOMIC_RELAXED);
}

/* The raw value, negative when saturated (for audits and reports). */
static inline int refcount_read_raw(const refcount_t *r)
{
	return __atomic_load_n(&r->refs, __ATOMIC_RELAXED);
}

static inline __must_check bool __refcount_add_not_zero_order(int i, refcount_t *r, int order,
						 const char *where)
{
	int old = __atomic_load_n(&r->refs, __ATOMIC_RELAXED);

	do {
		if (!old)
			break;
	} while (!__atomic_compare_exchange_n(&r->refs, &old, refcount_wrap_add(old, i), true,
					      order, __ATOMIC_RELAXED));
	if (unlikely(old < 0 || refcount_wrap_add(old, i) < 0))
		refcount_warn_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF, where);
	return old;
}

static inline void __refcount_add(int i, refcount_t *r, const char *where)
{
	int old = __atomic_fetch_add(&r->refs, i, __ATOMIC_RELAXED);

	if (unlikely(!old))
		refcount_warn_saturate(r, REFCOUNT_ADD_UAF, where);
	else if (unlikely(old < 0 || refcount_wrap_add(old, i) < 0))
		refcount_warn_saturate(r, REFCOUNT_ADD_OVF, where);
}

static inline __must_check bool __refcount_sub_and_test(int i, refcount_t *r, const char *where)
{
	int old = __atomic_fetch_sub(&r->refs, i, __ATOMIC_RELEASE);

	if (old > 0 && old == i) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	if (unlikely(old <= 0 || refcount_wrap_add(old, -i) < 0))
		refcount_warn_saturate(r, REFCOUNT_SUB_UAF, where);
	return false;
}

static inline void __refcount_dec(refcount_t *r, const char *where)
{
	int old = __atomic_fetch_sub(&r->refs, 1, __ATOMIC_RELEASE);

	if (unlikely(old <= 0))
		refcount_warn_saturate(r, REFCOUNT_SUB_UAF, where);
	else if (unlikely(old == 1))
		refcount_warn_saturate(r, REFCOUNT_DEC_LEAK, where);
}

/*
 * __refcount_inc_zero_live - an increment of a count for which zero is a
 * live state (an atomic_t that counts only some users, as 2.6.34's
 * anon_vma->external_refcount): 0 -> 1 is not a resurrection; saturation
 * and overflow are still reported.  A get: "sync-refcount-get" first.
 */
static inline void __refcount_inc_zero_live(refcount_t *r, const char *where)
{
	int old;

	race_window("sync-refcount-get");
	old = __atomic_fetch_add(&r->refs, 1, __ATOMIC_RELAXED);
	if (unlikely(old < 0 || old == REFCOUNT_MAX))
		refcount_warn_saturate(r, REFCOUNT_ADD_OVF, where);
}

__must_check bool __refcount_dec_not_one(refcount_t *r, const char *where);
__must_check bool __refcount_dec_and_lock(refcount_t *r, spinlock_t *lock,
					 const char *where);

#define __refcount_get_point()		race_window("sync-refcount-get")
#define __refcount_put_point()		race_window("sync-refcount-put")

#define refcount_add(i, r) do {						\
	__refcount_get_point();						\
	__refcount_add((i), (r), __func__);				\
} while (0)
#define refcount_inc(r)			refcount_add(1, (r))
#define refcount_add_not_zero(i, r) ({					\
	__refcount_get_point();						\
	__refcount_add_not_zero_order((i), (r), __ATOMIC_RELAXED, __func__); \
})
#define refcount_inc_not_zero(r)	refcount_add_not_zero(1, (r))
/* For SLAB_TYPESAFE_BY_RCU lookups: later loads ordered after the inc. */
#define refcount_inc_not_zero_acquire(r) ({				\
	__refcount_get_point();						\
	__refcount_add_not_zero_order(1, (r), __ATOMIC_ACQUIRE, __func__); \
})
#define refcount_sub_and_test(i, r) ({					\
	bool __rc_last = __refcount_sub_and_test((i), (r), __func__);	\
	__refcount_put_point();						\
	__rc_last;							\
})
#define refcount_dec_and_test(r)	refcount_sub_and_test(1, (r))
#define refcount_dec(r) do {						\
	__refcount_dec((r), __func__);					\
	__refcount_put_point();						\
} while (0)
#define refcount_dec_not_one(r) ({					\
	bool __rc_dec = __refcount_dec_not_one((r), __func__);		\
	__refcount_put_point();						\
	__rc_dec;							\
})
/*
 * refcount_dec_and_lock - drop a ref; if it was the last, return true
 * with @lock held (the kernel's, built on dec_not_one).
 */
#define refcount_dec_and_lock(r, l) ({					\
	bool __rc_locked = __refcount_dec_and_lock((r), (l), __func__);	\
	__refcount_put_point();						\
	__rc_locked;							\
})

#endif /* MT_REFCOUNT_H */
