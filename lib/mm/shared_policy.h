/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shared_policy.h - the shared-policy infrastructure of mm/mempolicy.c,
 * 2.6.24 (seeds 000 and 001): memory policies for ranges of a shared
 * memory object (a tmpfs/shm inode), looked up by page index.
 *
 * One struct shared_policy per shmem inode holds the ranges
 * [start, end) -> policy as sp_nodes, sorted and non-overlapping, under
 * the spinlock sp->lock (the kernel keeps an rb-tree; a sorted list is
 * the same structure for the few ranges a segment has here).
 *
 * References (seed 001, "MEMORY POLICY REFERENCE COUNTING", point 4):
 *  - each sp_node owns one reference on its policy; a policy may be owned
 *    by several nodes (a split range, or the same policy set twice);
 *  - sp_alloc() marks the policy MPOL_F_SHARED "for unref";
 *  - mpol_shared_policy_lookup() takes an extra reference under sp->lock
 *    and returns it to the caller, who drops it with mpol_cond_put() when
 *    finished, because a task with another mmap_sem may replace the range
 *    and drop the node's reference at any time.
 *
 * Lock ordering:
 *   mm->mmap_sem (of the task whose VMA maps the object)
 *     sp->lock
 *       the slab's internal locks (mpol_put() and sp_node frees under it)
 */
#ifndef MT_SHARED_POLICY_H
#define MT_SHARED_POLICY_H

#include "core/locks.h"
#include "core/slab.h"
#include "lib/mm/mempolicy.h"

struct sp_node {
	struct sp_node *next;		/* protected by sp->lock */
	unsigned long start, end;	/* page indices: [start, end) */
	struct mempolicy *policy;	/* one reference, owned by the node */
};

struct shared_policy {
	struct sp_node *root;		/* sorted by start; protected by ->lock */
	spinlock_t lock;
};

/* The "shared_policy_node" cache (SLAB_POISON). */
extern struct kmem_cache *sn_cache;
/* A checked load from a tree node (lib/core/access.h). */
#define sn_read(n, field)	obj_read((n), sn_cache, field)

/*
 * shared_policy_init - create the sp_node cache (the kernel's
 * numa_policy_init() does it with the policy cache).  shared_policy_fini()
 * destroys it, counting leaked_objects{shared_policy_node}.
 * Context: init / teardown (shmem_init() and shmem_fini() call them).
 * Return: 0 or -ENOMEM.
 */
int shared_policy_init(void);
void shared_policy_fini(void);

/**
 * mpol_shared_policy_init - set up an empty tree and, unless @mode is
 * MPOL_DEFAULT, a new policy of @mode and @nodes over [0, npages) (tmpfs's
 * mpol= mount option, which the superblock keeps as a mode and nodes)
 * @sp: the tree
 * @mode: the initial policy's mode
 * @nodes: its nodes
 * @npages: the size of the object
 *
 * As in 2.6.24, the policy is built here, owned by the tree alone: no
 * policy of the caller's is marked MPOL_F_SHARED or shared with it.
 * Context: @sp is not yet reachable by anyone.
 * Return: 0, -EINVAL (bad mode or nodes) or -ENOMEM (the tree is then
 * empty).
 */
int mpol_shared_policy_init(struct shared_policy *sp, unsigned short mode,
			    const nodemask_t *nodes, unsigned long npages);

/**
 * mpol_shared_policy_lookup - the policy for page @idx, with a reference
 * @sp: the tree
 * @idx: page index in the object
 *
 * Context: any; takes sp->lock.  The caller must drop the returned
 * reference with mpol_cond_put() (the policy is MPOL_F_SHARED) when it is
 * finished with it.
 * Return: the policy with an extra reference, or NULL if no range covers
 * @idx (the caller falls back to the task's or the system default).
 */
struct mempolicy *mpol_shared_policy_lookup(struct shared_policy *sp, unsigned long idx);

/**
 * mpol_set_shared_policy - set the policy of [pgoff, pgoff + npages)
 * @sp: the tree
 * @pgoff: first page index
 * @npages: number of pages
 * @npol: the new policy (the tree takes its own reference; the caller
 *	keeps its own), or NULL to remove the range's policy (MPOL_DEFAULT)
 *
 * Old ranges inside are deleted, ranges across the ends trimmed or split;
 * each deleted node's policy reference is put.
 * Context: the caller holds the mmap_sem (for write) of the mm whose VMA
 * maps the range; takes sp->lock.  May allocate (sleep) outside sp->lock.
 * Return: 0 or -ENOMEM.
 */
int mpol_set_shared_policy(struct shared_policy *sp, unsigned long pgoff,
			   unsigned long npages, struct mempolicy *npol);

/**
 * mpol_free_shared_policy - delete every range, putting each policy
 * Context: the object is being destroyed: no VMA maps it any more.
 */
void mpol_free_shared_policy(struct shared_policy *sp);

/**
 * mpol_shared_policy_walk - call @fn on each range, in order
 * Context: takes sp->lock; @fn runs under it and must not sleep or take
 * sp->lock.  For audits, tests and reports.
 * Return: the number of ranges.
 */
unsigned int mpol_shared_policy_walk(struct shared_policy *sp,
				     void (*fn)(const struct sp_node *n, void *arg),
				     void *arg);

#endif /* MT_SHARED_POLICY_H */
