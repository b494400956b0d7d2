// SPDX-License-Identifier: GPL-2.0-only
/*
 * mempolicy.c - memory policies and their reference counting, 2.6.24
 * (seeds 000 and 001); see mempolicy.h for the rules.
 */
#include <errno.h>

#include "core/counters.h"
#include "lib/mm/mempolicy.h"

struct mempolicy default_policy = {
	.refcnt = REFCOUNT_INIT(1),
	.mode = MPOL_PREFERRED,
	.flags = MPOL_F_LOCAL,
	.v = { .preferred_node = -1 },
};

struct kmem_cache *policy_cache;

int mempolicy_init(void)
{
	policy_cache = kmem_cache_create("numa_policy", sizeof(struct mempolicy),
					 SLAB_POISON, NULL);
	return policy_cache ? 0 : -ENOMEM;
}

void mempolicy_fini(void)
{
	rcu_barrier();
	kmem_cache_destroy(policy_cache);
	policy_cache = NULL;
	refcount_set(&default_policy.refcnt, 1);
}

struct mempolicy *mpol_new(unsigned short mode, const nodemask_t *nodes, int *err)
{
	struct mempolicy *pol;

	*err = 0;
	if (mode == MPOL_DEFAULT)
		return NULL;
	if (mode >= MPOL_MAX || ((mode == MPOL_BIND || mode == MPOL_INTERLEAVE) &&
				 (!nodes || !nodes->bits))) {
		*err = -EINVAL;
		return NULL;
	}
	pol = kmem_cache_zalloc(policy_cache);
	if (!pol) {
		*err = -ENOMEM;
		return NULL;
	}
	refcount_set(&pol->refcnt, 1);
	pol->mode = mode;
	if (mode == MPOL_PREFERRED) {
		pol->v.preferred_node = nodes && nodes->bits ? __builtin_ctzl(nodes->bits) : -1;
		if (pol->v.preferred_node < 0)
			pol->flags |= MPOL_F_LOCAL;
	} else {
		pol->v.nodes = *nodes;
	}
	return pol;
}

void __mpol_put(struct mempolicy *pol, const char *where)
{
	/* Rule 1: never unref the system default policy. */
	if (unlikely(pol == &default_policy)) {
		mt_report(MT_REFCOUNT_UNDERFLOW, where,
			  "put on default_policy, which is never reference counted");
		return;
	}
	/* A put on a freed policy: reported, and its poison left alone. */
	if (__obj_check(pol, policy_cache, where) == OBJ_BAD)
		return;
	if (__refcount_sub_and_test(1, &pol->refcnt, where))
		kmem_cache_free(policy_cache, pol);
}

struct mempolicy *mpol_cond_copy(struct mempolicy *tompol, struct mempolicy *frompol)
{
	if (!mpol_needs_cond_ref(frompol))
		return frompol;

	*tompol = *frompol;
	tompol->flags &= (unsigned short)~MPOL_F_SHARED;
	__mpol_put(frompol, "mpol_cond_copy");
	return tompol;
}
