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
 * The seed's call sites read as in its diff: get_vma_policy(), the use,
 * mpol_cond_put().  Each bug of the catalogue switched here is a separate
 * "if (mt_bug(...))" line next to the seed's: mpol-numa-maps-leak
 * (show_numa_map), mpol-migrate-leak (alloc_page_vma, as new_vma_page()
 * calls it), mpol-hugetlb-interleave-put (huge_zonelist),
 * mpol-set-no-mmap-sem (do_set_mempolicy), mpol-get-mempolicy-no-put and
 * mpol-get-mempolicy-early-unlock (do_get_mempolicy),
 * mpol-cond-copy-keeps-shared (mpol_cond_copy), mpol-mbind-no-get
 * (policy_vma) and mpol-unconditional-refs (the pre-seed "overkill":
 * get_vma_policy's get, every user's put).  mpol-shared-lookup-no-ref is
 * in shared_policy.c, mpol-swapin-multi-put and mpol-shm-vm-policy-get in
 * shmem.c.  The detectors are in mempolicy_audit.c and lib/core/access.h:
 * every load from a policy is a checked load (pol_read()).
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     task->alloc_lock (get_task_mm)
 *     sp->lock (shared-policy lookups and replaces)
 *       slab locks
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	/* Rule 1, and a put on a freed policy: reported, poison left alone. */
	if (!mpol_put_check(pol, where))
		return;
	if (__refcount_sub_and_test(1, &pol->refcnt, where))
		kmem_cache_free(policy_cache, pol);
}

struct mempolicy *mpol_cond_copy(struct mempolicy *tompol, struct mempolicy *frompol)
{
	struct mempolicy from;
	unsigned short flags;

	if (!mpol_needs_cond_ref(frompol))
		return frompol;

	/*
	 * The kernel's "*tompol = *frompol".  Field by field: the count is
	 * not copied (other users change it meanwhile, and nobody puts the
	 * copy), the rest does not change while the extra ref is held.
	 * "remove the MPOL_F_SHARED flag from the copy" (seed 000), so that
	 * no allocation of the readahead puts it; mpol-cond-copy-keeps-shared:
	 * the flag is copied, and every allocation puts the on-stack copy.
	 */
	from = pol_snapshot(frompol);
	flags = from.flags;
	refcount_set(&tompol->refcnt, 1);
	tompol->mode = from.mode;
	tompol->flags = mt_bug(MT_BUG_MPOL_COND_COPY_KEEPS_SHARED) ? flags :
			(unsigned short)(flags & ~MPOL_F_SHARED);
	tompol->v = from.v;
	mpol_cond_put(frompol);
	return tompol;
}

struct mempolicy *mpol_dup(struct mempolicy *old, int *err)
{
	struct mempolicy *new;

	*err = 0;
	if (!old)
		return NULL;
	new = kmem_cache_alloc(policy_cache);
	if (!new) {
		*err = -ENOMEM;
		return NULL;
	}
	/* "*new = *old; atomic_set(&new->refcnt, 1);": every flag is kept */
	*new = pol_snapshot(old);
	refcount_set(&new->refcnt, 1);
	return new;
}

bool mpol_equal(const struct mempolicy *a, const struct mempolicy *b)
{
	struct mempolicy x, y;

	if (!a || !b)
		return a == b;
	x = pol_snapshot(a);
	y = pol_snapshot(b);
	if (x.mode != y.mode || (x.flags & ~MPOL_F_SHARED) != (y.flags & ~MPOL_F_SHARED))
		return false;
	if (x.mode == MPOL_PREFERRED)
		return x.v.preferred_node == y.v.preferred_node;
	return x.v.nodes.bits == y.v.nodes.bits;
}

/* ---- lookup ---- */

static inline bool vma_is_pseudo(const struct vm_area_struct *vma)
{
	return vma && !vma_read(vma, vm_mm);
}

/*
 * mpol-unconditional-refs, the "overkill" of the attempt before the seed:
 * get_vma_policy() took a reference on every policy it found in an owner
 * ("else if (!shared_pol && pol != current->mempolicy) mpol_get(pol)"),
 * and every user put it when finished ("if (pol != &default_policy &&
 * pol != current->mempolicy) __mpol_free(pol)").  A shared policy comes
 * with the lookup's reference and gets no second one; a pseudo-VMA
 * carries a policy its builder already vouches for (a shared policy with
 * its extra ref, or an on-stack copy that is no slab object): no pair on
 * that one in the model, which keeps the entry what docs/BUGS.md says it is,
 * correct and slow.
 */
static inline bool mpol_uncond_ref(const struct vm_area_struct *vma,
				   const struct mempolicy *pol)
{
	return pol != &default_policy && !(current && pol == task_read(current, mempolicy)) &&
	       !(pol_read(pol, flags) & MPOL_F_SHARED) &&
	       !(vma_is_pseudo(vma) && pol == vma_read(vma, vm_policy));
}

/* mpol-unconditional-refs: the user's put of the pair get_vma_policy() took. */
#define mpol_uncond_put(vma, pol) do {				\
	if (mpol_uncond_ref((vma), (pol)))			\
		__mpol_put((pol), __func__);			\
} while (0)

/*
 * The locks get_vma_policy() needs: the VMA's mm's mmap_sem (a real
 * VMA), and the fallback task's, when the task is not current (rule 2)
 * and its mm is another one (rule 3: numa_maps of another task).
 */
static void get_vma_policy_assert(struct task_struct *task, struct vm_area_struct *vma)
{
	struct mm_struct *vmm = vma ? vma_read(vma, vm_mm) : NULL;
	struct mm_struct *tmm = task && task != current ? task_read(task, mm) : NULL;

	if (vmm)
		lockdep_assert_held_read(&vmm->mmap_sem);
	if (tmm && tmm != vmm)
		lockdep_assert_held_read(&tmm->mmap_sem);
}

struct mempolicy *get_vma_policy(struct task_struct *task, struct vm_area_struct *vma,
				 unsigned long addr)
{
	struct mempolicy *pol = task ? task_read(task, mempolicy) : NULL;

	get_vma_policy_assert(task, vma);
	if (vma) {
		const struct vm_operations_struct *ops = vma_read(vma, vm_ops);
		struct mempolicy *vpol;

		if (ops && ops->get_policy)
			vpol = ops->get_policy(vma, addr);
		else
			vpol = vma_read(vma, vm_policy);
		if (vpol)
			pol = vpol;
	}
	if (!pol)
		return &default_policy;
	/*
	 * From the load to the use, only the owner's lock (rules 2-4) or the
	 * lookup's reference (rule 5) keeps the policy.  Every use is a
	 * checked load (pol_read()); here the policy is checked once more
	 * as a whole, and one freed under the reader is reported and
	 * replaced by the system default rather than used as poison.  A
	 * pseudo-VMA may carry an on-stack copy (mpol_cond_copy()): not slab
	 * memory, not checked.
	 */
	race_window("mpol-lookup-to-use");
	if (!obj_access_any(pol, policy_cache))
		return &default_policy;
	if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS) && mpol_uncond_ref(vma, pol))
		mpol_get(pol);	/* vma or other task's policy */
	return pol;
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
	unsigned int nid = task_read(me, il_next);
	nodemask_t nodes = pol_copy(policy, v.nodes);
	int next = next_node((int)nid, &nodes);

	if (next >= MAX_NUMNODES)
		next = first_node(&nodes);
	if (next < MAX_NUMNODES)
		WRITE_ONCE(me->il_next, (unsigned int)next);
	return nid;
}

/* Do static interleaving for a VMA with known offset. */
static unsigned int offset_il_node(struct mempolicy *pol,
				   struct vm_area_struct *vma, unsigned long off)
{
	nodemask_t nodes = pol_copy(pol, v.nodes);
	unsigned int nnodes = (unsigned int)nodes_weight(&nodes);
	unsigned int target, c;
	int nid = -1;

	if (!nnodes)
		return (unsigned int)numa_node_id();
	target = (unsigned int)(off % nnodes);
	c = 0;
	do {
		nid = next_node(nid, &nodes);
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
		off = vma_read(vma, vm_pgoff) >> (shift - PAGE_SHIFT);
		off += (addr - vma_read(vma, vm_start)) >> shift;
		return offset_il_node(pol, vma, off);
	}
	return interleave_nodes(pol);
}

/* The first node to allocate from, for a non-interleave policy. */
static int policy_node(const struct mempolicy *pol)
{
	struct mempolicy p = pol_snapshot(pol);
	int local = numa_node_id();

	switch (p.mode) {
	case MPOL_PREFERRED:
		if (p.flags & MPOL_F_LOCAL || p.v.preferred_node < 0)
			return local;
		return p.v.preferred_node;
	case MPOL_BIND:
		return node_isset(local, &p.v.nodes) ? local : first_node(&p.v.nodes);
	default:
		return local;
	}
}

/* The nodes an allocation may use: MPOL_BIND's mask, in the policy. */
static const nodemask_t *policy_nodemask(const struct mempolicy *pol)
{
	return pol_read(pol, mode) == MPOL_BIND ? &pol->v.nodes : NULL;
}

/*
 * The next node of the mask @nodemask, which lives in @pol (MPOL_BIND's
 * own): a checked load of the policy at each step, since the mask is read
 * until the allocation is done -- which is why a BIND policy stays
 * referenced across it.
 */
static int policy_mask_next(const struct mempolicy *pol, const nodemask_t *nodemask, int n)
{
	nodemask_t m = pol ? pol_copy(pol, v.nodes) : *nodemask;

	return next_node(n, &m);
}

/*
 * __alloc_pages_nodemask - allocate from @nid, then (with a mask) from the
 * mask's other nodes in order.  @pol is the policy the mask lives in (the
 * caller's reference or lock keeps it), or NULL for a mask of the caller's.
 */
static struct page *__alloc_pages_nodemask(int nid, const nodemask_t *nodemask,
					   const struct mempolicy *pol)
{
	struct page *page;

	if (nid < 0 || nid >= MAX_NUMNODES)
		nid = numa_node_id();
	page = alloc_pages_node(nid);
	if (page || !nodemask)
		return page;
	for (int n = policy_mask_next(pol, nodemask, -1); n < MAX_NUMNODES;
	     n = policy_mask_next(pol, nodemask, n))
		if (n != nid && (page = alloc_pages_node(n)))
			return page;
	return NULL;
}

static struct page *alloc_page_interleave(unsigned int nid)
{
	return alloc_pages_node((int)nid);
}

/* ---- allocation paths ---- */

/*
 * mpol-migrate-leak: 2.6.23's alloc_page_vma() dropped no reference at
 * all.  shmem_alloc_page() and shmem_swapin() put the policy of their
 * pseudo-VMA themselves then, so only the callers with a real shmem VMA
 * leaked the lookup's reference: new_vma_page() (page migration), and
 * the copy-on-write fault of a private tmpfs mapping.  The two
 * "if (mt_bug(MT_BUG_MPOL_MIGRATE_LEAK) ...) return" lines below are that
 * code: no put for a real VMA.
 */
struct page *alloc_page_vma(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);
	struct page *page;

	if (unlikely(pol_read(pol, mode) == MPOL_INTERLEAVE)) {
		unsigned int nid;

		nid = interleave_nid(pol, vma, addr, PAGE_SHIFT);
		if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
			mpol_uncond_put(vma, pol);
		if (mt_bug(MT_BUG_MPOL_MIGRATE_LEAK) && !vma_is_pseudo(vma))
			return alloc_page_interleave(nid);
		mpol_cond_put(pol);
		return alloc_page_interleave(nid);
	}
	if (unlikely(mpol_needs_cond_ref(pol) ||
		     (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS) && mpol_uncond_ref(vma, pol)))) {
		/*
		 * slow path: ref counted shared policy
		 */
		page = __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol), pol);
		race_window("mpol-alloc-to-put");
		if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
			mpol_uncond_put(vma, pol);
		if (mt_bug(MT_BUG_MPOL_MIGRATE_LEAK) && !vma_is_pseudo(vma))
			return page;
		mpol_cond_put(pol);
		return page;
	}
	/*
	 * fast path:  default or task policy
	 */
	return __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol), pol);
}

int mpol_fault_node(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);
	int nid;

	if (pol_read(pol, mode) == MPOL_INTERLEAVE)
		nid = (int)interleave_nid(pol, vma, addr, PAGE_SHIFT);
	else
		nid = policy_node(pol);
	if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
		mpol_uncond_put(vma, pol);
	mpol_cond_put(pol);
	return nid;
}

struct page *alloc_pages_current(void)
{
	struct mempolicy *pol = task_read(current, mempolicy);

	/*
	 * No reference counting needed for current->mempolicy nor the system
	 * default policy (rules 1 and 2).  The loads are checked as KASAN
	 * would: a policy freed under its own task is reported.
	 */
	if (!pol || !obj_access_any(pol, policy_cache))
		pol = &default_policy;
	if (pol_read(pol, mode) == MPOL_INTERLEAVE)
		return alloc_page_interleave(interleave_nodes(pol));
	return __alloc_pages_nodemask(policy_node(pol), policy_nodemask(pol), pol);
}

int huge_zonelist(struct vm_area_struct *vma, unsigned long addr,
		  struct mempolicy **mpol, const nodemask_t **nodemask)
{
	struct mempolicy *pol = get_vma_policy(current, vma, addr);

	*nodemask = NULL;
	if (pol_read(pol, mode) == MPOL_INTERLEAVE) {
		unsigned int nid;

		nid = interleave_nid(pol, vma, addr, HPAGE_SHIFT);
		if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
			mpol_uncond_put(vma, pol);
		/*
		 * mpol-hugetlb-interleave-put: the code before the seed,
		 * "__mpol_free(pol); finished with pol", whatever the policy:
		 * a task or VMA policy loses a reference it never got.
		 */
		if (mt_bug(MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT))
			__mpol_put(pol, __func__);
		else
			mpol_cond_put(pol);	/* finished with pol */
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
	page = __alloc_pages_nodemask(nid, nodemask, mpol);
	if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS) && mpol)
		mpol_uncond_put(vma, mpol);
	mpol_cond_put(mpol);
	return page;
}

/* Where @page is mapped in @vma, or -EFAULT. */
static unsigned long page_address_in_vma(struct page *page, struct vm_area_struct *vma)
{
	unsigned long addr, index = page_read(page, index), pgoff = vma_read(vma, vm_pgoff);
	unsigned long start = vma_read(vma, vm_start);

	if (index < pgoff)
		return -EFAULT;
	addr = start + ((index - pgoff) << PAGE_SHIFT);
	if (addr < start || addr >= vma_read(vma, vm_end))
		return -EFAULT;
	return addr;
}

struct page *new_vma_page(struct page *page, unsigned long private, int **result)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)private;

	return alloc_page_vma(vma, page_address_in_vma(page, vma));
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
	struct mempolicy *old = task_read(t, mempolicy);
	struct mm_struct *mm = task_read(t, mm);

	if (mm)
		lockdep_assert_held_write(&mm->mmap_sem);
	WRITE_ONCE(t->mempolicy, new);
	return old;
}

long do_set_mempolicy(unsigned short mode, const nodemask_t *nodes)
{
	struct task_struct *me = current;
	struct mm_struct *mm = task_read(me, mm);
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
		WRITE_ONCE(me->il_next, (unsigned int)first_node(&new->v.nodes));
	race_window("mpol-set-replace-to-put");
	mpol_put(old);
	if (locked)
		up_write(&mm->mmap_sem);
	return 0;
}

/*
 * vma_policy_in_tree - are @vma's policies kept in a shared-policy tree
 * (a tmpfs/shm mapping), rather than in vm_policy (an anonymous VMA, a
 * SHM_HUGETLB mapping: hugetlbfs has no set_policy of its own)?
 */
static bool vma_policy_in_tree(const struct vm_area_struct *vma)
{
	const struct shmem_inode_info *info = shmem_vma_info(vma);

	return info && !info_read(info, huge);
}

/*
 * policy_vma - apply @new to a single VMA, as 2.6.24 did: the VMA's
 * set_policy() first (a shmem segment's tree), then the VMA holds its own
 * reference in vm_policy and the old one is put.
 * mpol-mbind-no-get: vm_policy gets the policy without that reference,
 * and do_mbind()'s put of the installer's frees it under the VMA.
 * Called with the mm's mmap_sem held for write.
 * Return: 0, or set_policy()'s error (nothing changed then).
 */
static int policy_vma(struct vm_area_struct *vma, struct mempolicy *new)
{
	const struct vm_operations_struct *ops = vma_read(vma, vm_ops);
	struct mempolicy *old = vma_read(vma, vm_policy);
	int err = 0;

	lockdep_assert_held_write(&vma_read(vma, vm_mm)->mmap_sem);
	if (ops && ops->set_policy)
		err = ops->set_policy(vma, new);
	if (!err) {
		if (!mt_bug(MT_BUG_MPOL_MBIND_NO_GET))
			mpol_get(new);
		WRITE_ONCE(vma->vm_policy, new);
		race_window("mpol-mbind-replace-to-put");
		mpol_put(old);
	}
	return err;
}

/* The first VMA of @mm ending above @addr, or NULL.  Context: mmap_sem held. */
static struct vm_area_struct *first_vma_above(struct mm_struct *mm, unsigned long addr)
{
	unsigned int nr;
	struct vm_area_struct *const *v = mm_vmas(mm, &nr);

	for (unsigned int i = 0; i < nr; i++)
		if (vma_read(v[i], vm_end) > addr)
			return v[i];
	return NULL;
}

/*
 * mbind_range - apply @new to every VMA of [start, end), splitting the
 * VMAs that reach out of it (split_vma(), as 2.6.24's mbind_range()
 * does; the new VMA gets a copy of the old policy, mpol_dup()).
 * Called with mm->mmap_sem held for write.
 *
 * A range over a tmpfs/shm VMA and a VMA of another kind is refused:
 * 2.6.24 would put the one policy in a VMA and in a shared tree, where
 * sp_alloc() marks it MPOL_F_SHARED, and the other VMA's users would then
 * put a reference they never took (fixed in 3.7 by "mempolicy: remove
 * mempolicy sharing").  Several pieces of tmpfs mappings are fine: their
 * vm_policy is never looked up, only put.
 */
static int mbind_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct mempolicy *new)
{
	unsigned int nr, nvma = 0, nshared = 0;
	struct vm_area_struct *const *v;
	unsigned long addr;
	int err = -EFAULT;

	lockdep_assert_held_write(&mm->mmap_sem);
	v = mm_vmas(mm, &nr);
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *vma = v[i];

		if (vma_read(vma, vm_end) <= start || vma_read(vma, vm_start) >= end)
			continue;
		nvma++;
		nshared += vma_policy_in_tree(vma);
	}
	if (nshared && nshared < nvma)
		return -EINVAL;
	/* by address: each split adds a VMA to the array */
	for (addr = start; addr < end;) {
		struct vm_area_struct *vma = first_vma_above(mm, addr);

		if (!vma || vma_read(vma, vm_start) >= end)
			break;
		err = 0;
		if (vma_read(vma, vm_start) < start)
			err = split_vma(mm, vma, start, 1);
		if (!err && vma_read(vma, vm_end) > end)
			err = split_vma(mm, vma, end, 0);
		if (!err)
			err = policy_vma(vma, new);
		if (err)
			break;
		addr = vma_read(vma, vm_end);
	}
	return err;
}

long do_mbind(unsigned long start, unsigned long len, unsigned short mode,
	      const nodemask_t *nodes)
{
	struct mm_struct *mm = task_read(current, mm);
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

/* The node mask of @pol, as get_mempolicy() returns it: every load checked. */
static void get_policy_nodemask(const struct mempolicy *pol, nodemask_t *nodes)
{
	struct mempolicy p = pol_snapshot(pol);

	nodes->bits = 0;
	switch (p.mode) {
	case MPOL_BIND:
	case MPOL_INTERLEAVE:
		*nodes = p.v.nodes;
		break;
	case MPOL_PREFERRED:
		if (!(p.flags & MPOL_F_LOCAL) && p.v.preferred_node >= 0)
			node_set(p.v.preferred_node, nodes);
		break;
	}
}

long do_get_mempolicy(int *policy, nodemask_t *nmask, unsigned long addr,
		      unsigned long flags)
{
	struct mm_struct *mm = task_read(current, mm);
	struct vm_area_struct *vma = NULL;
	/* our own policy: nobody else changes it (rule 2) */
	struct mempolicy *pol = task_read(current, mempolicy);

	if (flags & ~(unsigned long)MPOL_F_ADDR)
		return -EINVAL;
	if (flags & MPOL_F_ADDR) {
		const struct vm_operations_struct *ops;

		if (!mm)
			return -EFAULT;
		down_read(&mm->mmap_sem);
		vma = find_vma(mm, addr);
		if (!vma) {
			up_read(&mm->mmap_sem);
			return -EFAULT;
		}
		/* no fallback to the task policy: MPOL_DEFAULT when none */
		ops = vma_read(vma, vm_ops);
		if (ops && ops->get_policy)
			pol = ops->get_policy(vma, addr);
		else
			pol = vma_read(vma, vm_policy);
	} else if (addr) {
		return -EINVAL;
	}
	if (!pol)
		pol = &default_policy;
	*policy = pol == &default_policy ? MPOL_DEFAULT : pol_read(pol, mode);
	/*
	 * 2.6.24 reads the mask here, under mmap_sem, and drops the lock at
	 * out: (seed 001's hunk).  mpol-get-mempolicy-early-unlock: 2.6.31
	 * (58568d2a8215, "cpuset,mm: update tasks' mems_allowed in time")
	 * dropped it before, to take task_lock() around the read of the mask,
	 * and so read a VMA policy that another thread of the process could
	 * mbind() away and free meanwhile -- the use after free fixed by
	 * 73223e4e2e38 ("mm/mempolicy.c: fix use after free when calling
	 * get_mempolicy", v4.13).
	 */
	if (vma && mt_bug(MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK)) {
		up_read(&mm->mmap_sem);
		vma = NULL;
	}
	race_window("mpol-get-mode-to-nodemask");
	if (nmask)
		get_policy_nodemask(pol, nmask);
	/*
	 * out: "mpol_cond_free(pol)", seed 001's first hunk: the extra
	 * reference of a shared policy.  mpol-get-mempolicy-no-put: the code
	 * before it, which dropped none.
	 */
	if (!mt_bug(MT_BUG_MPOL_GET_MEMPOLICY_NO_PUT))
		mpol_cond_put(pol);
	if (vma)
		up_read(&mm->mmap_sem);
	return 0;
}

/* ---- numa_maps ---- */

/*
 * A seq_file's buffer, as far as numa_maps needs one: the kernel writes
 * these lines with seq_puts() and seq_put_hex_ll()/seq_put_decimal_ull()
 * where it can (fs/proc/task_mmu.c), not through vsnprintf().  Like
 * snprintf(), @n counts what would have been written, and the text is
 * always terminated within @len.
 */
struct numa_seq {
	char *buf;
	size_t len;
	size_t n;
};

/*
 * Append @len bytes of @s, as much as fits with the terminator, and count
 * them all.  One copy, as the kernel's seq_write(): a store per character
 * through m->buf would make the compiler reload m->n after each one (a
 * char store may alias it).
 */
static void seq_write(struct numa_seq *m, const char *s, size_t len)
{
	size_t n = m->n;

	if (n + 1 < m->len) {
		size_t room = m->len - 1 - n;

		memcpy(m->buf + n, s, len < room ? len : room);
	}
	m->n = n + len;
}

static void seq_putc(struct numa_seq *m, char c)
{
	seq_write(m, &c, 1);
}

static void seq_puts(struct numa_seq *m, const char *s)
{
	seq_write(m, s, strlen(s));
}

static void seq_put_decimal(struct numa_seq *m, unsigned int u)
{
	char d[10];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + u % 10);
	while (u /= 10);
	seq_write(m, d + i, sizeof(d) - i);
}

/* "%08lx" */
static void seq_put_hex08(struct numa_seq *m, unsigned long v)
{
	char d[2 * sizeof(v)];
	size_t i = sizeof(d);

	do
		d[--i] = "0123456789abcdef"[v & 15];
	while ((v >>= 4));
	while (i > sizeof(d) - 8)
		d[--i] = '0';
	seq_write(m, d + i, sizeof(d) - i);
}

static int seq_end(struct numa_seq *m)
{
	if (m->len)
		m->buf[m->n < m->len ? m->n : m->len - 1] = '\0';
	return (int)m->n;
}

static void mpol_seq(struct numa_seq *m, const struct mempolicy *pol)
{
	struct mempolicy p;
	const char *sep = "";

	if (!pol || pol == &default_policy) {
		seq_puts(m, "default");
		return;
	}
	p = pol_snapshot(pol);
	switch (p.mode) {
	case MPOL_PREFERRED:
		seq_puts(m, "prefer=");
		if (p.flags & MPOL_F_LOCAL || p.v.preferred_node < 0)
			seq_puts(m, "local");
		else
			seq_put_decimal(m, (unsigned int)p.v.preferred_node);
		return;
	case MPOL_BIND:
	case MPOL_INTERLEAVE:
		seq_puts(m, p.mode == MPOL_BIND ? "bind=" : "interleave=");
		for (int nid = first_node(&p.v.nodes); nid < MAX_NUMNODES;
		     nid = next_node(nid, &p.v.nodes)) {
			seq_puts(m, sep);
			seq_put_decimal(m, (unsigned int)nid);
			sep = ",";
		}
		return;
	default:
		seq_puts(m, "mode");
		seq_put_decimal(m, p.mode);
		seq_putc(m, '?');
	}
}

int mpol_to_str(char *buf, size_t len, const struct mempolicy *pol)
{
	struct numa_seq m = { buf, len, 0 };

	mpol_seq(&m, pol);
	return seq_end(&m);
}

int show_numa_map(struct task_struct *task, struct vm_area_struct *vma,
		  char *buf, size_t len)
{
	struct numa_seq m = { buf, len, 0 };
	struct mempolicy *pol;
	char buffer[64];

	lockdep_assert_held_read(&vma_read(vma, vm_mm)->mmap_sem);
	pol = get_vma_policy(task, vma, vma_read(vma, vm_start));
	race_window("mpol-numa-maps-lookup-to-str");
	/*
	 * The loads KASAN would check (pol_read()): only the mmap_sem (or a
	 * shared policy's extra reference) protects them.  A freed policy is
	 * reported and not used again.
	 */
	if (obj_access_any(pol, policy_cache)) {
		mpol_to_str(buffer, sizeof(buffer), pol);
	} else {
		strcpy(buffer, "<freed policy>");
		pol = &default_policy;
	}
	if (mt_bug(MT_BUG_MPOL_UNCONDITIONAL_REFS))
		mpol_uncond_put(vma, pol);
	/*
	 * mpol-numa-maps-leak: show_numa_maps() never dropped the extra
	 * reference of a shared policy (seed 001, point 5).
	 */
	if (!mt_bug(MT_BUG_MPOL_NUMA_MAPS_LEAK))
		mpol_cond_put(pol);
	seq_put_hex08(&m, vma_read(vma, vm_start));
	seq_putc(&m, ' ');
	seq_puts(&m, buffer);
	seq_puts(&m, shmem_vma_info(vma) ? " file=shm" : " anon");
	if (vma_read(vma, vm_flags) & VM_HUGETLB)
		seq_puts(&m, " huge");
	seq_putc(&m, '\n');
	return seq_end(&m);
}

int show_numa_maps(struct task_struct *task, char *buf, size_t len)
{
	struct mm_struct *mm = get_task_mm(task);
	struct vm_area_struct *const *v;
	unsigned int nr;
	size_t off = 0;

	if (!mm)
		return -ESRCH;
	down_read(&mm->mmap_sem);
	v = mm_vmas(mm, &nr);
	for (unsigned int i = 0; i < nr; i++) {
		int n = show_numa_map(task, v[i], buf + off, len - off);

		if (n > 0 && off + (size_t)n < len)
			off += (size_t)n;
	}
	up_read(&mm->mmap_sem);
	mmput(mm);
	return (int)nr;
}

void exit_mempolicy(struct task_struct *task)
{
	struct mempolicy *pol = task_read(task, mempolicy);

	WRITE_ONCE(task->mempolicy, NULL);
	mpol_put(pol);
}
