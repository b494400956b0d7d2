/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mempolicy.h - struct mempolicy and its reference counting, 2.6.24
 * (seeds 000 and 001: "mempolicy: rework mempolicy Reference Counting
 * [yet again]", and the "MEMORY POLICY REFERENCE COUNTING" section of
 * Documentation/vm/numa_memory_policy.txt it adds).
 *
 * The rules, from that document:
 *  1. the system default policy is never freed and never unref'd;
 *  2. the current task's policy needs no extra reference: only the task
 *     changes it;
 *  3. another task's policy needs none either: the reader holds that
 *     task's mmap_sem for read, and do_set_mempolicy() takes it for write;
 *  4. a VMA policy needs none: lookups hold mmap_sem for read, mbind()
 *     replaces under mmap_sem for write;
 *  5. a shared policy (shmem range) gets an extra reference at lookup,
 *     under the shared-policy spinlock, and MPOL_F_SHARED marks it so
 *     that mpol_cond_put() drops it when the user is finished.
 *
 * mpol_cond_copy() (mpol_cond_assign() in the RFC) copies a shared policy
 * to an on-stack policy without MPOL_F_SHARED and drops the extra ref,
 * for paths that allocate several pages from one lookup (shmem_swapin).
 */
#ifndef MT_MEMPOLICY_H
#define MT_MEMPOLICY_H

#include "core/refcount.h"
#include "core/slab.h"
#include "lib/mm/mm_types.h"

/* policy modes */
enum {
	MPOL_DEFAULT,
	MPOL_PREFERRED,
	MPOL_BIND,
	MPOL_INTERLEAVE,
	MPOL_MAX,
};

/* internal flags */
#define MPOL_F_SHARED	(1 << 0)	/* identify shared policies */
#define MPOL_F_LOCAL	(1 << 1)	/* preferred local allocation */

typedef struct {
	unsigned long bits;		/* nodes 0..MT_MAX_NODES-1 */
} nodemask_t;

static inline void node_set(int nid, nodemask_t *m)
{
	m->bits |= 1ul << nid;
}

static inline bool node_isset(int nid, const nodemask_t *m)
{
	return m->bits & (1ul << nid);
}

static inline int nodes_weight(const nodemask_t *m)
{
	return __builtin_popcountl(m->bits);
}

struct mempolicy {
	refcount_t refcnt;
	unsigned short mode;
	unsigned short flags;
	union {
		int preferred_node;	/* MPOL_PREFERRED; -1 = local */
		nodemask_t nodes;	/* MPOL_BIND, MPOL_INTERLEAVE */
	} v;
};

/* The system default: MPOL_PREFERRED, local.  Static; never freed. */
extern struct mempolicy default_policy;
/* The "numa_policy" cache (SLAB_POISON), created by mempolicy_init(). */
extern struct kmem_cache *policy_cache;

int mempolicy_init(void);
void mempolicy_fini(void);

/*
 * mpol_new - a new policy, refcnt 1 (the installer's reference).
 * Return: the policy, NULL for MPOL_DEFAULT (no policy), or an ERR value
 * via *err on bad arguments or allocation failure.
 */
struct mempolicy *mpol_new(unsigned short mode, const nodemask_t *nodes, int *err);

static inline void mpol_get(struct mempolicy *pol)
{
	if (pol)
		refcount_inc(&pol->refcnt);
}

/* Drop a reference; the last one frees the policy at once. */
void __mpol_put(struct mempolicy *pol, const char *where);
#define mpol_put(pol) do {				\
	struct mempolicy *__p = (pol);			\
	if (__p)					\
		__mpol_put(__p, __func__);		\
} while (0)

/* Does the policy need an explicit unref after use?  Only shared ones. */
static inline bool mpol_needs_cond_ref(const struct mempolicy *pol)
{
	return pol && (pol->flags & MPOL_F_SHARED);
}

#define mpol_cond_put(pol) do {				\
	struct mempolicy *__p = (pol);			\
	if (mpol_needs_cond_ref(__p))			\
		__mpol_put(__p, __func__);		\
} while (0)

/*
 * mpol_cond_copy - if @frompol needs a conditional unref, copy it to
 * @tompol, clear MPOL_F_SHARED in the copy and drop the extra reference.
 * Return: @tompol, or @frompol when no copy was needed.
 */
struct mempolicy *mpol_cond_copy(struct mempolicy *tompol, struct mempolicy *frompol);

#endif /* MT_MEMPOLICY_H */
