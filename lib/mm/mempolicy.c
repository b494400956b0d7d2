// SPDX-License-Identifier: GPL-2.0-only
/*
 * mempolicy.c - memory policies and their reference counting, 2.6.24
 * (seeds 000 and 001: 000_0d12215afd56b0db.txt, 001_37705b9bdf8018ef.txt,
 * "mempolicy: rework mempolicy Reference Counting [yet again]"); see
 * mempolicy.h for the rules.  The shared-policy tree is in
 * shared_policy.c, the shmem paths in shmem.c.
 *
 * Where a policy is used, and what protects it:
 *   current's task policy       only current changes it (rule 2)
 *   another task's task policy  that task's mmap_sem, read (rule 3,
 *                               patch 1: do_set_mempolicy() writes it)
 *   a VMA's vm_policy           the mm's mmap_sem, read (rule 4)
 *   a shared (shmem) policy     the extra ref of the lookup, dropped by
 *                               mpol_cond_put() when finished (rule 5):
 *                               INTERLEAVE once the node is chosen, the
 *                               other modes after the allocation
 *   default_policy              never freed, never unref'd (rule 1)
 *
 * The model's node choice stands for the kernel's zonelists: a policy
 * gives a first node and, for MPOL_BIND, a node mask that lives in the
 * policy itself (2.6.24's custom zonelist), so a BIND policy is in use
 * until its allocation is done.
 *
 * Bugs of the catalogue switched here: mpol-numa-maps-leak
 * (show_numa_map), mpol-migrate-leak (new_vma_page),
 * mpol-hugetlb-interleave-put (huge_zonelist), mpol-set-no-mmap-sem
 * (do_set_mempolicy) and mpol-unconditional-refs (get_vma_policy and
 * mpol_lookup_put, the pre-seed "overkill").  mpol-shared-lookup-no-ref
 * is in shared_policy.c, mpol-swapin-multi-put in shmem.c.
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     task->alloc_lock (get_task_mm)
 *     sp->lock (shared-policy lookups and replaces)
 *       slab locks
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/thread.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"

#define current	mpol_current

struct mempolicy default_policy = {
	.refcnt = REFCOUNT_INIT(1),
	.mode = MPOL_PREFERRED,
	.flags = MPOL_F_LOCAL,
	.v = { .preferred_node = -1 },
};

struct kmem_cache *policy_cache;
__thread struct task_struct *mpol_current;

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
	if (mode >= MPOL_MAX || (nodes && (nodes->bits & ~NODE_MASK_ALL)) ||
	    ((mode == MPOL_BIND || mode == MPOL_INTERLEAVE) && (!nodes || !nodes->bits))) {
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
		pol->v.preferred_node = nodes && nodes->bits ? first_node(nodes) : -1;
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

/*
 * The user of a shared policy is about to drop its extra reference and
 * holds the last one: every tree node that owned the policy was deleted
 * (a replace of the range) while the user had it.  That is the race rule
 * 5 is for, seen to happen.
 */
static inline void mpol_note_last_ref(struct mempolicy *pol)
{
	if (refcount_read(&pol->refcnt) == 1)
		mt_count(MT_OVERLAPS);
}

struct mempolicy *mpol_cond_copy(struct mempolicy *tompol, struct mempolicy *frompol)
{
	if (!mpol_needs_cond_ref(frompol))
		return frompol;

	*tompol = *frompol;
	tompol->flags &= (unsigned short)~MPOL_F_SHARED;
	mpol_note_last_ref(frompol);
	__mpol_put(frompol, "mpol_cond_copy");
	return tompol;
}

/* ---- lookup ---- */

static inline bool vma_is_pseudo(const struct vm_area_struct *vma)
{
	return vma && !vma->vm_mm;
}

/*
 * mpol-unconditional-refs, the "overkill" of the attempt before the seed:
 * get_vma_policy() took a reference on every policy it found in an owner
 * (a task, a real VMA), and every user put it when finished.  A pseudo-VMA
 * carries a policy its builder already vouches for (a shared policy with
 * its extra ref, or an on-stack copy): no pair on that one, then or now;
 * the task policy a pseudo-VMA without a policy falls back to gets one.
 */
static inline bool mpol_uncond_ref(const struct vm_area_struct *vma,
				   const struct mempolicy *pol)
{
	return mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS) && pol != &default_policy &&
	       !(pol->flags & MPOL_F_SHARED) &&
	       !(vma_is_pseudo(vma) && pol == vma->vm_policy);
}

/*
 * owner_policy - a policy just loaded from an owner (task->mempolicy,
 * vma->vm_policy) that the caller holds no reference on: the owner's lock
 * keeps it (rules 2-4).  This is the load KASAN would instrument: a
 * policy freed under the reader is reported here, and the reader goes on
 * with the system default rather than with poison.
 */
static struct mempolicy *owner_policy(struct mempolicy *pol, const char *where)
{
	if (!pol)
		return NULL;
	race_window("mpol-owner-load-to-use");
	if (!__mpol_valid(pol, where))
		return &default_policy;
	if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
		mpol_get(pol);		/* paired in mpol_lookup_put() */
	return pol;
}

struct mempolicy *get_vma_policy(struct task_struct *task, struct vm_area_struct *vma,
				 unsigned long addr)
{
	struct mempolicy *pol = NULL;

	if (vma && vma->vm_mm)
		lockdep_assert_held_read(&vma->vm_mm->mmap_sem);
	else if (task && task != current && task->mm)
		lockdep_assert_held_read(&task->mm->mmap_sem);

	if (vma) {
		if (vma->vm_ops && vma->vm_ops->get_policy) {
			/* shared: comes with the extra ref of the lookup */
			pol = vma->vm_ops->get_policy(vma, addr);
		} else if (vma_is_pseudo(vma)) {
			pol = vma->vm_policy;	/* vouched for by its builder */
		} else {
			pol = owner_policy(READ_ONCE(vma->vm_policy), __func__);
		}
	}
	if (!pol && task)
		pol = owner_policy(READ_ONCE(task->mempolicy), __func__);
	if (!pol)
		pol = &default_policy;
	return pol;
}

void mpol_lookup_put(struct vm_area_struct *vma, struct mempolicy *pol)
{
	if (mpol_uncond_ref(vma, pol)) {
		__mpol_put(pol, __func__);
		return;
	}
	if (mpol_needs_cond_ref(pol)) {
		mpol_note_last_ref(pol);
		__mpol_put(pol, __func__);
	}
}

/* Will mpol_lookup_put() drop a reference (the allocation's slow path)? */
static inline bool mpol_lookup_needs_put(const struct vm_area_struct *vma,
					 const struct mempolicy *pol)
{
	return mpol_needs_cond_ref(pol) || mpol_uncond_ref(vma, pol);
}

/* ---- node choice ---- */

static inline int numa_node_id(void)
{
	return mt_this_node;
}

/* Do interleaving by the task's il_next: only the task itself moves it. */
static unsigned int interleave_nodes(struct mempolicy *policy)
{
	struct task_struct *me = current;
	unsigned int nid = me->il_next;
	int next = next_node((int)nid, &policy->v.nodes);

	if (next >= MAX_NUMNODES)
		next = first_node(&policy->v.nodes);
	if (next < MAX_NUMNODES)
		me->il_next = (unsigned int)next;
	return nid;
}

/* Do static interleaving for a VMA with known offset. */
static unsigned int offset_il_node(struct mempolicy *pol,
				   struct vm_area_struct *vma, unsigned long off)
{
	unsigned int nnodes = (unsigned int)nodes_weight(&pol->v.nodes);
	unsigned int target, c;
	int nid = -1;

	if (!nnodes)
		return (unsigned int)numa_node_id();
	target = (unsigned int)(off % nnodes);
	c = 0;
	do {
		nid = next_node(nid, &pol->v.nodes);
		c++;
	} while (c <= target);
	return (unsigned int)nid;
}

/* Determine a node number for interleave. */
static inline unsigned int interleave_nid(struct mempolicy *pol,
					  struct vm_area_struct *vma,
					  unsigned long addr, int shift)
{
	if (vma) {
		unsigned long off;

		/*
		 * for small pages, there is no difference between
		 * shift and PAGE_SHIFT, so the bit-shift is safe.
		 * for huge pages, since vm_pgoff is in units of small
		 * pages, we need to shift off the always 0 bits to get
		 * a useful offset.
		 */
		off = vma->vm_pgoff >> (shift - PAGE_SHIFT);
		off += (addr - vma->vm_start) >> shift;
		return offset_il_node(pol, vma, off);
	}
	return interleave_nodes(pol);
}

/* The first node to allocate from, for a non-interleave policy. */
static int policy_node(const struct mempolicy *pol)
{
	int local = numa_node_id();

	switch (pol->mode) {
	case MPOL_PREFERRED:
		if (pol->flags & MPOL_F_LOCAL || pol->v.preferred_node < 0)
			return local;
		return pol->v.preferred_node;
	case MPOL_BIND:
		return node_isset(local, &pol->v.nodes) ? local : first_node(&pol->v.nodes);
	default:
		return local;
	}
}

/* The nodes an allocation may use: MPOL_BIND's mask, in the policy. */
static const nodemask_t *policy_nodemask(const struct mempolicy *pol)
{
	return pol->mode == MPOL_BIND ? &pol->v.nodes : NULL;
}

/*
 * __alloc_pages_nodemask - allocate from @nid, then (with a mask) from the
 * mask's other nodes in order: the mask is read until the allocation is
 * done, which is why a BIND policy stays referenced across it.
 */
static struct page *__alloc_pages_nodemask(int nid, const nodemask_t *nodemask)
{
	struct page *page;

	if (nid < 0 || nid >= MAX_NUMNODES)
		nid = numa_node_id();
	page = alloc_pages_node(nid);
	if (page || !nodemask)
		return page;
	for (int n = first_node(nodemask); n < MAX_NUMNODES; n = next_node(n, nodemask))
		if (n != nid && (page = alloc_pages_node(n)))
			return page;
	return NULL;
}

static struct page *alloc_page_interleave(unsigned int nid)
{
	return alloc_pages_node((int)nid);
}

/* ---- allocation paths ---- */

struct page *alloc_page_vma(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);
	struct page *page;

	if (unlikely(pol->mode == MPOL_INTERLEAVE)) {
		unsigned int nid;

		nid = interleave_nid(pol, vma, addr, PAGE_SHIFT);
		mpol_lookup_put(vma, pol);	/* finished with pol */
		return alloc_page_interleave(nid);
	}
	if (unlikely(mpol_lookup_needs_put(vma, pol))) {
		/*
		 * slow path: ref counted shared policy
		 */
		page = __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol));
		race_window("mpol-alloc-to-put");
		mpol_lookup_put(vma, pol);
		return page;
	}
	/*
	 * fast path:  default or task policy
	 */
	return __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol));
}

int mpol_fault_node(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);
	int nid;

	if (pol->mode == MPOL_INTERLEAVE)
		nid = (int)interleave_nid(pol, vma, addr, PAGE_SHIFT);
	else
		nid = policy_node(pol);
	mpol_lookup_put(vma, pol);
	return nid;
}

struct page *alloc_pages_current(void)
{
	/* current's own policy: only current changes it (rule 2) */
	struct mempolicy *pol = owner_policy(READ_ONCE(current->mempolicy), __func__);
	struct page *page;

	if (!pol)
		pol = &default_policy;
	if (pol->mode == MPOL_INTERLEAVE) {
		unsigned int nid = interleave_nodes(pol);

		mpol_lookup_put(NULL, pol);
		return alloc_page_interleave(nid);
	}
	page = __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol));
	mpol_lookup_put(NULL, pol);
	return page;
}

int huge_zonelist(struct vm_area_struct *vma, unsigned long addr,
		  struct mempolicy **mpol, const nodemask_t **nodemask)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);

	*nodemask = NULL;
	if (pol->mode == MPOL_INTERLEAVE) {
		unsigned int nid;

		nid = interleave_nid(pol, vma, addr, HPAGE_SHIFT);
		/*
		 * mpol-hugetlb-interleave-put: the code before the seed,
		 * "__mpol_free(pol); finished with pol", whatever the policy:
		 * a task or VMA policy loses a reference it never got.
		 */
		if (mt_bug(MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT))
			__mpol_put(pol, __func__);
		else
			mpol_lookup_put(vma, pol);	/* finished with pol */
		*mpol = NULL;
		return (int)nid;
	}
	*mpol = pol;	/* unref needed after allocation */
	*nodemask = policy_nodemask(pol);
	return policy_node(pol);
}

struct page *dequeue_huge_page(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *mpol;
	const nodemask_t *nodemask;
	struct page *page;
	int nid;

	nid = huge_zonelist(vma, addr, &mpol, &nodemask);
	race_window("mpol-hugetlb-zonelist-to-dequeue");
	page = __alloc_pages_nodemask(nid, nodemask);
	if (mpol)
		mpol_lookup_put(vma, mpol);	/* the seed's mpol_cond_put(mpol) */
	return page;
}

/* Where @page would be mapped in @vma, or -EFAULT. */
static unsigned long page_address_in_vma(struct page *page, struct vm_area_struct *vma)
{
	unsigned long addr;

	if (page->index < vma->vm_pgoff)
		return -EFAULT;
	addr = vma->vm_start + ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
	if (addr < vma->vm_start || addr >= vma->vm_end)
		return -EFAULT;
	return addr;
}

struct page *new_vma_page(struct page *page, unsigned long private, int **result)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)private;
	unsigned long addr = page_address_in_vma(page, vma);
	struct mempolicy *pol;
	struct page *newpage;
	unsigned int nid;

	if (addr == (unsigned long)-EFAULT)
		addr = vma->vm_start;
	pol = get_vma_policy(current, vma, addr);
	if (pol->mode == MPOL_INTERLEAVE)
		nid = interleave_nid(pol, vma, addr, PAGE_SHIFT);
	else
		nid = (unsigned int)policy_node(pol);
	newpage = __alloc_pages_nodemask((int)nid, policy_nodemask(pol));
	/* mpol-migrate-leak: new_vma_page() never dropped the shared ref */
	if (!mt_bug(MT_BUG_MPOL_MIGRATE_LEAK))
		mpol_lookup_put(vma, pol);
	return newpage;
}

/* ---- set, mbind, get ---- */

/*
 * task_policy_replace - install @new as @t's policy; return the old one
 * for the caller to put.  Patch 1 of the series: with @t's mmap_sem held
 * for write, so that a reader of @t's policy holding it for read (another
 * task's numa_maps) never sees the old one freed.
 */
static struct mempolicy *task_policy_replace(struct task_struct *t, struct mempolicy *new)
{
	struct mempolicy *old = t->mempolicy;

	if (t->mm)
		lockdep_assert_held_write(&t->mm->mmap_sem);
	WRITE_ONCE(t->mempolicy, new);
	return old;
}

long do_set_mempolicy(unsigned short mode, const nodemask_t *nodes)
{
	struct task_struct *me = current;
	struct mm_struct *mm = me->mm;
	struct mempolicy *new, *old;
	bool locked = false;
	int err;

	new = mpol_new(mode, nodes, &err);
	if (err)
		return err;
	/*
	 * prevent changing our mempolicy while show_numa_maps()
	 * is using it.
	 * mpol-set-no-mmap-sem: the code before patch 1, without the lock.
	 */
	if (mm && !mt_bug(MT_BUG_MPOL_SET_NO_MMAP_SEM)) {
		down_write(&mm->mmap_sem);
		locked = true;
	}
	old = task_policy_replace(me, new);
	if (new && new->mode == MPOL_INTERLEAVE && nodes_weight(&new->v.nodes))
		me->il_next = (unsigned int)first_node(&new->v.nodes);
	race_window("mpol-set-replace-to-put");
	mpol_put(old);
	if (locked)
		up_write(&mm->mmap_sem);
	return 0;
}

/*
 * policy_vma - replace an anonymous VMA's policy; the old one is put.
 * Called with the mm's mmap_sem held for write.
 */
static void policy_vma(struct vm_area_struct *vma, struct mempolicy *new)
{
	struct mempolicy *old;

	lockdep_assert_held_write(&vma->vm_mm->mmap_sem);
	mpol_get(new);
	old = vma->vm_policy;
	WRITE_ONCE(vma->vm_policy, new);
	race_window("mpol-mbind-replace-to-put");
	mpol_put(old);
}

/*
 * mbind_range - apply @new to every VMA of [start, end).
 * Called with mm->mmap_sem held for write.
 *
 * A range over a shmem VMA and another VMA is refused: 2.6.24 would put
 * the one policy in a VMA and in a shared tree, where sp_alloc() marks it
 * MPOL_F_SHARED, and the VMA's users would then put a reference they
 * never took (fixed in 3.7 by "mempolicy: remove mempolicy sharing").
 */
static int mbind_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct mempolicy *new)
{
	unsigned int nr = mm_nr_vmas(mm), nvma = 0, nshared = 0;
	int err = -EFAULT;

	lockdep_assert_held_write(&mm->mmap_sem);
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *vma = mm_vma_at(mm, i);

		if (vma->vm_end <= start || vma->vm_start >= end)
			continue;
		nvma++;
		nshared += vma->vm_ops && vma->vm_ops->set_policy;
	}
	if (nshared && nvma > 1)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *vma = mm_vma_at(mm, i);
		unsigned long s, e;

		if (vma->vm_end <= start || vma->vm_start >= end)
			continue;
		s = start > vma->vm_start ? start : vma->vm_start;
		e = end < vma->vm_end ? end : vma->vm_end;
		if (vma->vm_ops && vma->vm_ops->set_policy) {
			/* what split_vma() would have left: the sub-range */
			struct vm_area_struct split = *vma;

			split.vm_start = s;
			split.vm_end = e;
			split.vm_pgoff = vma->vm_pgoff + ((s - vma->vm_start) >> PAGE_SHIFT);
			err = vma->vm_ops->set_policy(&split, new);
			if (err)
				return err;
			continue;
		}
		if (s != vma->vm_start || e != vma->vm_end)
			return -EINVAL;	/* no split_vma() in the model */
		policy_vma(vma, new);
		err = 0;
	}
	return err;
}

long do_mbind(unsigned long start, unsigned long len, unsigned short mode,
	      const nodemask_t *nodes)
{
	struct mm_struct *mm = current->mm;
	struct mempolicy *new;
	int err;

	if (!mm || !len || (start & ~PAGE_MASK))
		return -EINVAL;
	new = mpol_new(mode, nodes, &err);
	if (err)
		return err;
	down_write(&mm->mmap_sem);
	err = mbind_range(mm, start, start + ((len + PAGE_SIZE - 1) & PAGE_MASK), new);
	up_write(&mm->mmap_sem);
	mpol_put(new);		/* the installer's reference */
	return err;
}

static void get_policy_nodemask(const struct mempolicy *pol, nodemask_t *nodes)
{
	nodes->bits = 0;
	switch (pol->mode) {
	case MPOL_BIND:
	case MPOL_INTERLEAVE:
		*nodes = pol->v.nodes;
		break;
	case MPOL_PREFERRED:
		if (!(pol->flags & MPOL_F_LOCAL) && pol->v.preferred_node >= 0)
			node_set(pol->v.preferred_node, nodes);
		break;
	}
}

long do_get_mempolicy(int *policy, nodemask_t *nmask, unsigned long addr,
		      unsigned long flags)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma = NULL;
	struct mempolicy *pol;

	if (flags & ~(unsigned long)MPOL_F_ADDR)
		return -EINVAL;
	if (flags & MPOL_F_ADDR) {
		if (!mm)
			return -EFAULT;
		down_read(&mm->mmap_sem);
		vma = find_vma(mm, addr);
		if (!vma) {
			up_read(&mm->mmap_sem);
			return -EFAULT;
		}
		if (vma->vm_ops && vma->vm_ops->get_policy)
			pol = vma->vm_ops->get_policy(vma, addr);
		else
			pol = owner_policy(READ_ONCE(vma->vm_policy), __func__);
	} else if (addr) {
		return -EINVAL;
	} else {
		/* our own policy: nobody else changes it (rule 2) */
		pol = owner_policy(READ_ONCE(current->mempolicy), __func__);
	}
	if (!pol)
		pol = &default_policy;
	*policy = pol == &default_policy ? MPOL_DEFAULT : pol->mode;
	/*
	 * 2.6.24 dropped mmap_sem before reading the node mask, reading a
	 * VMA policy nothing protected any more (fixed in 2019 by taking a
	 * reference).  The model reads it under the lock, as rule 4 says.
	 */
	if (nmask)
		get_policy_nodemask(pol, nmask);
	mpol_lookup_put(vma, pol);
	if (vma)
		up_read(&mm->mmap_sem);
	return 0;
}

/* ---- numa_maps ---- */

static int nodelist_str(char *buf, size_t len, const nodemask_t *m)
{
	int n = 0;
	const char *sep = "";

	for (int nid = first_node(m); nid < MAX_NUMNODES; nid = next_node(nid, m)) {
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%s%d", sep, nid);
		sep = ",";
	}
	return n;
}

int mpol_to_str(char *buf, size_t len, const struct mempolicy *pol)
{
	if (!pol || pol == &default_policy)
		return snprintf(buf, len, "default");
	switch (pol->mode) {
	case MPOL_PREFERRED:
		if (pol->flags & MPOL_F_LOCAL || pol->v.preferred_node < 0)
			return snprintf(buf, len, "prefer=local");
		return snprintf(buf, len, "prefer=%d", pol->v.preferred_node);
	case MPOL_BIND:
	case MPOL_INTERLEAVE: {
		int n = snprintf(buf, len, "%s=", pol->mode == MPOL_BIND ? "bind" : "interleave");

		return n + nodelist_str(buf + n, len > (size_t)n ? len - (size_t)n : 0,
					&pol->v.nodes);
	}
	default:
		return snprintf(buf, len, "mode%u?", pol->mode);
	}
}

int show_numa_map(struct task_struct *task, struct vm_area_struct *vma,
		  char *buf, size_t len)
{
	struct mempolicy *pol;
	char buffer[64];

	lockdep_assert_held_read(&vma->vm_mm->mmap_sem);
	pol = get_vma_policy(task, vma, vma->vm_start);
	race_window("mpol-numa-maps-lookup-to-str");
	/* the dereference KASAN would check: only the mmap_sem protects it */
	if (!mpol_valid(pol))
		snprintf(buffer, sizeof(buffer), "<freed policy>");
	else
		mpol_to_str(buffer, sizeof(buffer), pol);
	/*
	 * mpol-numa-maps-leak: show_numa_maps() never dropped the extra
	 * reference of a shared policy (seed 001, point 5).
	 */
	if (!mt_bug(MT_BUG_MPOL_NUMA_MAPS_LEAK))
		mpol_lookup_put(vma, pol);
	return snprintf(buf, len, "%08lx %s%s%s\n", vma->vm_start, buffer,
			shmem_vma_info(vma) ? " file=shm" : " anon",
			vma->vm_flags & VM_HUGETLB ? " huge" : "");
}

int show_numa_maps(struct task_struct *task, char *buf, size_t len)
{
	struct mm_struct *mm = get_task_mm(task);
	unsigned int nr;
	size_t off = 0;

	if (!mm)
		return -ESRCH;
	down_read(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	for (unsigned int i = 0; i < nr; i++) {
		int n = show_numa_map(task, mm_vma_at(mm, i), buf + off, len - off);

		if (n > 0 && off + (size_t)n < len)
			off += (size_t)n;
	}
	up_read(&mm->mmap_sem);
	mmput(mm);
	return (int)nr;
}

void exit_mempolicy(struct task_struct *task)
{
	struct mempolicy *pol = task->mempolicy;

	WRITE_ONCE(task->mempolicy, NULL);
	mpol_put(pol);
}

/* ---- the refcount audit ---- */

/*
 * Two censuses (lib/core/audit.h): the live policies, owned by tasks,
 * VMAs, shared-policy tree nodes and the caller's tables; and the live
 * shmem segments, owned by the VMAs that map them and the caller's.
 */
struct mpol_audit {
	struct mt_census *pols;
	struct mt_census *segs;
};

static int policy_census_count(const void *obj)
{
	return refcount_read_raw(&((const struct mempolicy *)obj)->refcnt);
}

static void policy_census_describe(const void *obj, char *buf, size_t len)
{
	const struct mempolicy *pol = obj;

	snprintf(buf, len, "mode %u, flags %#x", pol->mode, pol->flags);
}

static const struct mt_census_ops policy_census_ops = {
	.what = "numa_policy",
	.where = "mpol_audit",
	.count = policy_census_count,
	.describe = policy_census_describe,
};

static int seg_census_count(const void *obj)
{
	return refcount_read_raw(&((const struct shmem_inode_info *)obj)->count);
}

static void seg_census_describe(const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "segment %d", ((const struct shmem_inode_info *)obj)->id);
}

static const struct mt_census_ops seg_census_ops = {
	.what = "shmem segment",
	.where = "mpol_audit",
	.count = seg_census_count,
	.describe = seg_census_describe,
};

struct mpol_audit *mpol_audit_begin(void)
{
	struct mpol_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->pols = mt_census_begin(policy_cache, &policy_census_ops);
	a->segs = mt_census_begin(shmem_inode_cachep, &seg_census_ops);
	if (!a->pols || !a->segs) {
		/* a harness failure, not the model's: audit nothing */
		fprintf(stderr, "mpol_audit: out of memory, audit skipped\n");
		mt_census_end(a->pols);
		mt_census_end(a->segs);
		free(a);
		return NULL;
	}
	return a;
}

void mpol_audit_owner(struct mpol_audit *a, struct mempolicy *pol,
		      const char *kind, const void *who)
{
	if (!a || !pol)
		return;
	if (pol == &default_policy) {
		/* installed as if it were a policy: it would be put one day */
		mt_report(MT_LEAKED_REFS, "mpol_audit", "%s %p owns default_policy",
			  kind, who);
		return;
	}
	mt_census_own(a->pols, pol, kind, who);
}

void mpol_audit_shmem(struct mpol_audit *a, struct shmem_inode_info *info,
		      int extra_refs)
{
	if (!a)
		return;
	while (extra_refs-- > 0)
		mt_census_own(a->segs, info, "a table of segments", NULL);
}

void mpol_audit_task(struct mpol_audit *a, struct task_struct *t)
{
	struct mm_struct *mm;
	unsigned int nr;

	if (!a)
		return;
	mpol_audit_owner(a, t->mempolicy, "task", t);
	mm = get_task_mm(t);
	if (!mm)
		return;
	down_read(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *vma = mm_vma_at(mm, i);
		struct shmem_inode_info *info = shmem_vma_info(vma);

		mpol_audit_owner(a, vma->vm_policy, "vma", vma);
		if (info)
			mt_census_own(a->segs, info, "vma", vma);	/* the mapping's reference */
	}
	up_read(&mm->mmap_sem);
	mmput(mm);
}

static void audit_sp_node(const struct sp_node *n, void *arg)
{
	mpol_audit_owner(arg, n->policy, "shared-policy node", n);
}

/* Every live segment's tree owns the policies of its ranges. */
static void audit_seg_tree(void *obj, void *arg)
{
	struct shmem_inode_info *info = obj;

	mpol_shared_policy_walk(&info->policy, audit_sp_node, arg);
}

unsigned long mpol_audit_end(struct mpol_audit *a)
{
	unsigned long bad;
	int dref;

	if (!a)
		return 0;
	mt_census_foreach(a->segs, audit_seg_tree, a);
	bad = mt_census_end(a->pols) + mt_census_end(a->segs);

	dref = refcount_read_raw(&default_policy.refcnt);
	mt_count(MT_AUDITED_OBJECTS);
	if (dref != 1) {
		bad++;
		mt_report(dref > 1 ? MT_LEAKED_REFS : MT_MISSING_REFS, "mpol_audit",
			  "default_policy: refcount %d, it is never reference counted", dref);
	}
	free(a);
	return bad;
}
