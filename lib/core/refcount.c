// SPDX-License-Identifier: GPL-2.0-only
/*
 * refcount.c - the out-of-line parts of refcount_t: saturation and its
 * reports, dec_not_one and dec_and_lock (lib/refcount.c in the kernel).
 */
#include "counters.h"
#include "refcount.h"

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t,
			    const char *where)
{
	refcount_set(r, REFCOUNT_SATURATED);

	switch (t) {
	case REFCOUNT_ADD_UAF:
		mt_report(MT_REFCOUNT_INC_ON_ZERO, where,
			  "refcount_t %p: addition on 0; use-after-free", (void *)r);
		break;
	case REFCOUNT_SUB_UAF:
		mt_report(MT_REFCOUNT_UNDERFLOW, where,
			  "refcount_t %p: underflow; use-after-free", (void *)r);
		break;
	case REFCOUNT_ADD_NOT_ZERO_OVF:
	case REFCOUNT_ADD_OVF:
		mt_report(MT_REFCOUNT_SATURATED, where,
			  "refcount_t %p: saturated; leaking memory", (void *)r);
		break;
	case REFCOUNT_DEC_LEAK:
		mt_report(MT_REFCOUNT_SATURATED, where,
			  "refcount_t %p: decrement hit 0; leaking memory", (void *)r);
		break;
	}
}

bool __refcount_dec_not_one(refcount_t *r, const char *where)
{
	int val = __atomic_load_n(&r->refs, __ATOMIC_RELAXED), new;

	do {
		/* zero, or saturated (any negative value): a put too many */
		if (unlikely(val <= 0)) {
			refcount_warn_saturate(r, REFCOUNT_SUB_UAF, where);
			return true;
		}
		if (val == 1)
			return false;
		new = val - 1;
	} while (!__atomic_compare_exchange_n(&r->refs, &val, new, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return true;
}

bool __refcount_dec_and_lock(refcount_t *r, spinlock_t *lock, const char *where)
{
	if (__refcount_dec_not_one(r, where))
		return false;

	__spin_lock(lock, where);
	if (!__refcount_sub_and_test(1, r, where)) {
		__spin_unlock(lock, where);
		return false;
	}
	return true;
}
