// SPDX-License-Identifier: GPL-2.0-only
/*
 * shared_policy.c - policies for ranges of a shared memory object: the
 * shared-policy half of mm/mempolicy.c, 2.6.24 (seeds 000 and 001).
 *
 * A tmpfs/shm inode is mapped by tasks with distinct mmap_sems, so no
 * mmap_sem protects its policies: one task may replace a range while
 * another looks it up to allocate a page.  The tree's spinlock orders the
 * two, and the lookup takes an extra reference under it (point 4 of the
 * "MEMORY POLICY REFERENCE COUNTING" document of seed 001), marked by
 * MPOL_F_SHARED so that the user drops it with mpol_cond_put().
 *
 * The kernel keeps the ranges in an rb-tree (sp->root); a sorted singly
 * linked list has the same contract for the handful of ranges here.
 * sp_lookup(), sp_insert(), sp_delete(), sp_alloc() and
 * shared_policy_replace() keep the kernel's names and shapes.  Two later
 * fixes are applied, because the 2.6.24 code leaks or races where this
 * tool would rightly report it:
 *  - shared_policy_replace() fills the split node under sp->lock from the
 *    node it splits (the 2.6.24 code filled it before dropping the lock to
 *    restart, and could insert a stale range: "mempolicy: fix a race in
 *    shared_policy_replace()", 2012);
 *  - mpol_set_shared_policy() puts the node's policy reference when the
 *    replace fails ("mempolicy: fix refcount leak in
 *    mpol_set_shared_policy()", 2012).
 *
 * Bug of the catalogue switched here: mpol-shared-lookup-no-ref
 * (mpol_shared_policy_lookup() returns the policy without the extra ref).
 *
 * Lock ordering:
 *   mm->mmap_sem (write, for mpol_set_shared_policy())
 *     sp->lock
 *       slab locks (mpol_put() and sp_node frees happen under sp->lock,
 *       as sp_delete() does in the kernel)
 */
#include <errno.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/shared_policy.h"

struct kmem_cache *sn_cache;

int shared_policy_init(void)
{
	sn_cache = kmem_cache_create("shared_policy_node", sizeof(struct sp_node),
				     SLAB_POISON, NULL);
	return sn_cache ? 0 : -ENOMEM;
}

void shared_policy_fini(void)
{
	kmem_cache_destroy(sn_cache);
	sn_cache = NULL;
}

/*
 * sp_lookup - the first range overlapping [start, end), or NULL; @pprev
 * gets the link that points to it (for deletion and insertion).
 * Called with sp->lock held.
 */
static struct sp_node *sp_lookup(struct shared_policy *sp, unsigned long start,
				 unsigned long end, struct sp_node ***pprev)
{
	struct sp_node **pp = &sp->root, *n;

	lockdep_assert_held(&sp->lock);
	while ((n = *pp) && sn_read(n, end) <= start)
		pp = &n->next;
	if (pprev)
		*pprev = pp;
	return n && sn_read(n, start) < end ? n : NULL;
}

/* Insert @new at its place.  Called with sp->lock held; no overlap left. */
static void sp_insert(struct shared_policy *sp, struct sp_node *new)
{
	struct sp_node **pp = &sp->root;

	lockdep_assert_held(&sp->lock);
	while (*pp && sn_read(*pp, start) < new->start)
		pp = &(*pp)->next;
	new->next = *pp;
	/* sp->root is peeked at without the lock by the lookup */
	WRITE_ONCE(*pp, new);
}

/* Unlink the node *@pp and drop its reference.  Called with sp->lock held. */
static void sp_delete(struct shared_policy *sp, struct sp_node **pp)
{
	struct sp_node *n = *pp;

	lockdep_assert_held(&sp->lock);
	WRITE_ONCE(*pp, sn_read(n, next));
	mpol_put(sn_read(n, policy));
	kmem_cache_free(sn_cache, n);
}

static void sp_node_init(struct sp_node *n, unsigned long start, unsigned long end,
			 struct mempolicy *pol)
{
	n->next = NULL;
	n->start = start;
	n->end = end;
	mpol_get(pol);
	/*
	 * "for unref": lookups return it with an extra reference that
	 * mpol_cond_put() must drop.  Set before the node is inserted, so
	 * under sp->lock every reader sees the flag with the policy.
	 */
	if (!(pol_read(pol, flags) & MPOL_F_SHARED))
		pol->flags |= MPOL_F_SHARED;
	n->policy = pol;
}

/*
 * sp_alloc - a node for [start, end) owning a new reference on @pol,
 * which it marks MPOL_F_SHARED.
 * Context: the caller holds a reference on @pol (the installer's);
 * allocates, so not under sp->lock.
 * Return: the node, not yet inserted, or NULL.
 */
static struct sp_node *sp_alloc(unsigned long start, unsigned long end,
				struct mempolicy *pol)
{
	struct sp_node *n = kmem_cache_alloc(sn_cache);

	if (!n)
		return NULL;
	sp_node_init(n, start, end, pol);
	return n;
}

int mpol_shared_policy_init(struct shared_policy *sp, unsigned short mode,
			    const nodemask_t *nodes, unsigned long npages)
{
	struct mempolicy *newpol;
	int err;

	sp->root = NULL;
	spin_lock_init(&sp->lock);
	if (mode == MPOL_DEFAULT || !npages)
		return 0;
	newpol = mpol_new(mode, nodes, &err);
	if (!newpol)
		return err;
	/* Policy covers entire file */
	err = mpol_set_shared_policy(sp, 0, npages, newpol);
	mpol_put(newpol);
	return err;
}

struct mempolicy *mpol_shared_policy_lookup(struct shared_policy *sp, unsigned long idx)
{
	struct mempolicy *pol = NULL;
	struct sp_node *sn;

	/* the kernel's lockless "if (!sp->root.rb_node) return NULL" */
	if (!READ_ONCE(sp->root))
		return NULL;
	spin_lock(&sp->lock);
	sn = sp_lookup(sp, idx, idx + 1, NULL);
	if (sn) {
		pol = sn_read(sn, policy);
		/*
		 * The node owns a reference, so the policy is live here unless
		 * a reference was lost: KASAN would flag this read.
		 */
		if (!obj_access_any(pol, policy_cache))
			pol = NULL;
		else if (!mt_bug(MT_BUG_MPOL_SHARED_LOOKUP_NO_REF))
			mpol_get(pol);	/* the extra ref, under sp->lock */
		/* mpol-shared-lookup-no-ref: returned bare; a replace may free it */
	}
	spin_unlock(&sp->lock);
	/*
	 * From here only our reference keeps the policy: another task (with
	 * another mmap_sem) may replace the range and put the node's.
	 */
	if (pol)
		race_window("mpol-shared-lookup-to-use");
	return pol;
}

/*
 * shared_policy_replace - replace the policies of [start, end) by @new
 * (NULL: none).  Nodes inside are deleted (their reference put), nodes
 * across the ends trimmed; a node spanning the whole range is split in
 * two, which needs a node allocated outside the lock.
 * Context: the caller holds the mmap_sem (write) of a mm mapping the
 * object; takes sp->lock, drops it to allocate and restarts.  @new is
 * the caller's (from sp_alloc()): inserted, it belongs to the tree.
 * Return: 0 or -ENOMEM (nothing inserted; @new still the caller's).
 */
static int shared_policy_replace(struct shared_policy *sp, unsigned long start,
				 unsigned long end, struct sp_node *new)
{
	struct sp_node *n, **pp, *new2 = NULL;

restart:
	spin_lock(&sp->lock);
	n = sp_lookup(sp, start, end, &pp);
	/* Take care of old policies in the same range. */
	while (n && sn_read(n, start) < end) {
		if (sn_read(n, start) >= start) {
			if (sn_read(n, end) <= end) {
				sp_delete(sp, pp);	/* pp now links the next one */
				n = *pp;
				continue;
			}
			n->start = end;		/* trimmed at the head: stays sorted */
			break;
		}
		/* n starts before the range */
		if (sn_read(n, end) > end) {
			/* Old policy spanning the whole new range: split it. */
			if (!new2) {
				spin_unlock(&sp->lock);
				new2 = kmem_cache_alloc(sn_cache);
				if (!new2)
					return -ENOMEM;
				race_window("mpol-sp-replace-restart");
				goto restart;
			}
			/* filled under the lock from the node it splits */
			sp_node_init(new2, end, sn_read(n, end), sn_read(n, policy));
			n->end = start;
			new2->next = sn_read(n, next);
			WRITE_ONCE(n->next, new2);
			new2 = NULL;
			break;
		}
		n->end = start;			/* trimmed at the tail */
		pp = &n->next;
		n = *pp;
	}
	if (new)
		sp_insert(sp, new);
	spin_unlock(&sp->lock);
	if (new2)
		kmem_cache_free(sn_cache, new2);	/* bare: never filled */
	return 0;
}

int mpol_set_shared_policy(struct shared_policy *sp, unsigned long pgoff,
			   unsigned long npages, struct mempolicy *npol)
{
	struct sp_node *new = NULL;
	int err;

	if (npol) {
		new = sp_alloc(pgoff, pgoff + npages, npol);
		if (!new)
			return -ENOMEM;
	}
	err = shared_policy_replace(sp, pgoff, pgoff + npages, new);
	if (err && new) {
		mpol_put(new->policy);
		kmem_cache_free(sn_cache, new);
	}
	return err;
}

void mpol_free_shared_policy(struct shared_policy *sp)
{
	if (!READ_ONCE(sp->root))
		return;
	spin_lock(&sp->lock);
	while (sp->root)
		sp_delete(sp, &sp->root);
	spin_unlock(&sp->lock);
}

unsigned int mpol_shared_policy_walk(struct shared_policy *sp,
				     void (*fn)(const struct sp_node *n, void *arg),
				     void *arg)
{
	unsigned int nr = 0;

	spin_lock(&sp->lock);
	for (struct sp_node *n = sp->root; n; n = sn_read(n, next), nr++)
		fn(n, arg);
	spin_unlock(&sp->lock);
	return nr;
}
