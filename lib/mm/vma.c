// SPDX-License-Identifier: GPL-2.0-only
/*
 * vma.c - VMAs that can be used without mmap_sem: the VMA reference
 * counter of the speculative page fault series (seed 003,
 * 003_cf6d31174e8c4947.txt, "[PATCH v12 20/31] mm: introduce vma
 * reference counter"), and the VMA operations of mm/mmap.c the models
 * need (insert, detach, remove, split_vma, __vma_adjust's merge).
 *
 * Two protocols, chosen per job (vma_lookup, mm.h):
 *
 *  VMA_LOOKUP_RB_LOCK, the posted patch as it is written.  The
 *   speculative path finds its VMA in the mm's tree under mm->mm_rb_lock
 *   (the series' rwlock_t that protects mm_rb; a spinlock here) and takes
 *   its reference there with a plain increment: get_vma() is
 *   atomic_inc().  The tree holds a reference on each VMA in it, and the
 *   tree is only changed under mm_rb_lock for write, so a VMA found under
 *   the lock cannot have a zero count.  put_vma()'s last put frees the VMA
 *   at once: __free_vma() puts its policy and frees it, synchronously.
 *   The seed's words "a dedicated freeing service is required to manage
 *   it asynchronously" describe where the series goes next, not this
 *   patch's code.
 *
 *  VMA_LOOKUP_RCU, the series' next step.  The VMA is found under
 *   rcu_read_lock() without any lock (find_vma_rcu()); its count may
 *   already be zero, so the reference is taken with inc-not-zero (the
 *   case Jerome Glisse's review makes for kref), and the last put frees
 *   the VMA after a grace period (call_rcu() into __free_vma()), so that
 *   a reader inside its read side never sees it freed.
 *
 * Under rb_lock, vma-get-plain-inc and vma-free-no-rcu are the patch's own
 * code, and correct; they are bugs under the RCU lookup only.
 *
 * What both share: remove_vma() closes the VMA, fput()s vm_file and
 * clears it ("for sanity reason, in a minimal effort, the vm_file file
 * pointer is unset once the file pointer is put") and drops the tree's
 * reference with put_vma(); the policy is put in __free_vma(); and the
 * speculative path handles anonymous VMAs only ("the final goal is to
 * handle anonymous VMA in a speculative way and not file backed
 * mapping"): it tells them by vm_ops (vma_is_anonymous()), never reads
 * vm_file, and a file-backed VMA falls back to the fault under mmap_sem,
 * which holds the tree's reference on the file.
 *
 * __vma_adjust()'s merge (vma_merge() case 1: a mapping fills the hole
 * between prev and next, which become one VMA): next leaves the tree and
 * goes with put_vma(next) -- the seed's hunk, where the code before it
 * put next's policy and freed it at once under a speculative reader.
 *
 * Bugs of the catalogue switched here (lib/core/bugs.h): vma-free-no-rcu
 * (put_vma), vma-get-plain-inc (spf_get_vma), vma-file-after-fput
 * (handle_speculative_fault, remove_vma), vma-policy-put-early
 * (remove_vma, __free_vma), vma-adjust-free-next (__vma_adjust).
 *
 * Every load from a VMA, a file or a policy a speculative reader holds is
 * a checked load (vma_read(), lib/core/access.h).
 *
 * Locking:
 *   mm->mmap_sem (write)   insert_vm_struct(), detach_vma(), do_munmap(),
 *                          split_vma(), vma_merge_hole()
 *     mm->mm_rb_lock       the tree under rb_lock: changed for write,
 *                          looked up and referenced by readers under it
 *   mm->mmap_sem (any)     find_vma()
 *   rcu_read_lock()        find_vma_rcu(); the VMA array and the VMAs in
 *                          it stay in memory until the read side ends
 *
 * The VMA array.  A change makes a new array and publishes it; the old
 * one is freed after a grace period.  A VMA that goes after the last one
 * is appended in place while the array has room (vma_array_link(): the
 * slot, then the count with a release, which vma_array_search() loads
 * with an acquire), as an mmap() above every VMA mostly is; the SPF
 * series' tree under RCU is changed in place too.  Only when no new
 * array can be had (-ENOMEM; arrays are allocations that failure
 * injection can fail, as slab objects are) does detach_vma() change a
 * published array in place, one WRITE_ONCE() at a time, while RCU readers
 * search it: so every load of vma_array_search() from an array is a
 * READ_ONCE(), and what a reader sees there is always a sorted array of
 * live VMAs, with a duplicate or a neighbour for a moment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"

enum vma_lookup_protocol vma_lookup = VMA_LOOKUP_RCU;
unsigned int vma_max_map_count = 65530;	/* DEFAULT_MAX_MAP_COUNT */
const struct mm_split_ops *mm_split_ops;

/* The vm_ops of a file mapping: what tells the speculative path "not anonymous". */
const struct vm_operations_struct generic_file_vm_ops = { .open = NULL };

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_zalloc(vm_area_cachep);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	CDS_INIT_LIST_HEAD(&vma->anon_vma_chain);
	refcount_set(&vma->vm_ref_count, 1);
	return vma;
}

void vm_area_free_unused(struct vm_area_struct *vma)
{
	mpol_put(vma->vm_policy);
	if (vma->vm_file)
		fput(vma->vm_file);
	kmem_cache_free(vm_area_cachep, vma);
}

void vm_write_begin(struct vm_area_struct *vma)
{
	__atomic_store_n(&vma->vm_sequence, vma->vm_sequence + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void vm_write_end(struct vm_area_struct *vma)
{
	__atomic_store_n(&vma->vm_sequence, vma->vm_sequence + 1, __ATOMIC_RELEASE);
}

void vma_set_bounds(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		    unsigned long pgoff)
{
	vm_write_begin(vma);
	WRITE_ONCE(vma->vm_start, start);
	WRITE_ONCE(vma->vm_end, end);
	WRITE_ONCE(vma->vm_pgoff, pgoff);
	vm_write_end(vma);
}

/* ---- the VMA array ---- */

static void vma_array_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct vma_array, rcu));
}

/* An array of @nr VMAs, with room for a few more to be appended. */
static struct vma_array *vma_array_alloc(unsigned int nr)
{
	struct vma_array *a;
	unsigned int cap = nr + nr / 2 + 4;

	if (mt_should_fail_alloc())
		return NULL;
	a = malloc(sizeof(*a) + cap * sizeof(a->vma[0]));

	if (a) {
		a->nr = nr;
		a->cap = cap;
	}
	return a;
}

/*
 * The mm_rb_lock of the posted patch: the tree is changed under it for
 * write, under rb_lock.  Called with mmap_sem held for write.
 */
static void mm_rb_write_lock(struct mm_struct *mm)
{
	if (vma_lookup == VMA_LOOKUP_RB_LOCK)
		spin_lock(&mm->mm_rb_lock);
}

static void mm_rb_write_unlock(struct mm_struct *mm)
{
	if (vma_lookup == VMA_LOOKUP_RB_LOCK)
		spin_unlock(&mm->mm_rb_lock);
}

static void vma_array_publish(struct mm_struct *mm, struct vma_array *new)
{
	struct vma_array *old = mm->mmap;

	rcu_assign_pointer(mm->mmap, new);
	call_rcu(&old->rcu, vma_array_free_rcu);
}

/*
 * Index of the first VMA ending above @addr.  Context: mmap_sem, or
 * rcu_read_lock() while detach_vma() may be shifting @a in place.
 */
static unsigned int vma_array_search(const struct vma_array *a, unsigned long addr)
{
	unsigned int lo = 0, hi = smp_load_acquire(&a->nr);	/* vma_array_link() */

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vm_area_struct *vma = READ_ONCE(a->vma[mid]);

		if (vma_read(vma, vm_end) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long len)
{
	unsigned long addr;

	lockdep_assert_held_write(&mm->mmap_sem);
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	addr = mm->free_area;
	mm->free_area += len + PAGE_SIZE;	/* a guard gap between VMAs */
	return addr;
}

/* Fill @new from @old with @vma inserted at its place.  @new has old->nr + 1 slots. */
static void vma_array_fill_insert(struct vma_array *new, const struct vma_array *old,
				  struct vm_area_struct *vma)
{
	unsigned int i = vma_array_search(old, vma->vm_start);

	memcpy(new->vma, old->vma, i * sizeof(old->vma[0]));
	new->vma[i] = vma;
	memcpy(new->vma + i + 1, old->vma + i, (old->nr - i) * sizeof(old->vma[0]));
}

/* Can @vma go into @a in place: room, and it goes after the last VMA? */
static bool vma_array_can_append(const struct vma_array *a, const struct vm_area_struct *vma)
{
	unsigned int nr = a->nr;

	if (nr == a->cap || (nr && vma_read(a->vma[nr - 1], vm_end) > vma->vm_start))
		return false;
	return true;
}

/*
 * Put @vma into @mm's array and count it: into @new (mm->mmap->nr + 1
 * slots), published in the old one's place, or, with @new NULL, appended
 * to the published array in place (vma_array_can_append()).  A reader
 * that loaded the count before the append sees the array without @vma,
 * one that loads it after sees the slot written.
 */
static void vma_array_link(struct mm_struct *mm, struct vma_array *new,
			   struct vm_area_struct *vma)
{
	struct vma_array *a = mm->mmap;

	if (new)
		vma_array_fill_insert(new, a, vma);
	else
		WRITE_ONCE(a->vma[a->nr], vma);
	mm_rb_write_lock(mm);
	mm->map_count++;
	if (new)
		vma_array_publish(mm, new);
	else
		smp_store_release(&a->nr, a->nr + 1);
	mm_rb_write_unlock(mm);
}

int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vma_array *new = NULL;

	lockdep_assert_held_write(&mm->mmap_sem);
	if (!vma_array_can_append(mm->mmap, vma) &&
	    !(new = vma_array_alloc(mm->mmap->nr + 1)))
		return -ENOMEM;
	vma->vm_mm = mm;
	vma_array_link(mm, new, vma);
	return 0;
}

void detach_vma(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vma_array *old = mm->mmap, *new;
	unsigned int i, j;

	lockdep_assert_held_write(&mm->mmap_sem);
	for (i = 0; i < old->nr && old->vma[i] != vma; i++)
		;
	if (i == old->nr)
		return;
	new = vma_array_alloc(old->nr - 1);
	mm_rb_write_lock(mm);
	if (!new) {
		/*
		 * Keep the tree consistent: shift in place (see the top of
		 * this file); readers see a duplicate or a neighbour for a
		 * moment, never garbage.
		 */
		for (j = i; j + 1 < old->nr; j++)
			WRITE_ONCE(old->vma[j], old->vma[j + 1]);
		WRITE_ONCE(old->nr, old->nr - 1);
	} else {
		memcpy(new->vma, old->vma, i * sizeof(old->vma[0]));
		memcpy(new->vma + i, old->vma + i + 1,
		       (old->nr - i - 1) * sizeof(old->vma[0]));
	}
	vm_write_begin(vma);
	WRITE_ONCE(vma->vm_detached, true);
	vm_write_end(vma);
	mm->map_count--;
	if (new)
		vma_array_publish(mm, new);
	mm_rb_write_unlock(mm);
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vma_array *a;
	struct vm_area_struct *vma;
	unsigned int i;

	lockdep_assert_held(&mm->mmap_sem);
	a = mm->mmap;
	i = vma_array_search(a, addr);
	if (i >= a->nr)
		return NULL;
	vma = a->vma[i];
	return vma_read(vma, vm_start) <= addr ? vma : NULL;
}

struct vm_area_struct *find_vma_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vma_array *a;
	unsigned int i, nr;
	struct vm_area_struct *vma;

	a = rcu_dereference_check(mm->mmap, mt_lock_held(&mm->mmap_sem, 0) ||
				  mt_lock_held(&mm->mm_rb_lock, 0));
	race_window("sync-rcu-dereference");
	i = vma_array_search(a, addr);
	nr = smp_load_acquire(&a->nr);
	if (i >= nr)
		return NULL;
	vma = READ_ONCE(a->vma[i]);
	return vma_read(vma, vm_start) <= addr ? vma : NULL;
}

unsigned int mm_nr_vmas(struct mm_struct *mm)
{
	lockdep_assert_held(&mm->mmap_sem);
	return mm->mmap->nr;
}

struct vm_area_struct *mm_vma_at(struct mm_struct *mm, unsigned int i)
{
	lockdep_assert_held(&mm->mmap_sem);
	return i < mm->mmap->nr ? mm->mmap->vma[i] : NULL;
}

struct vm_area_struct *const *mm_vmas(struct mm_struct *mm, unsigned int *nr)
{
	lockdep_assert_held(&mm->mmap_sem);
	*nr = mm->mmap->nr;
	return mm->mmap->vma;
}

/* ---- references and freeing ---- */

bool get_vma(struct vm_area_struct *vma)
{
	if (!obj_access(vma, vm_area_cachep))
		return false;	/* a get on a freed VMA: reported */
	if (vma_lookup == VMA_LOOKUP_RB_LOCK) {
		/* the posted patch: atomic_inc() under mm_rb_lock */
		lockdep_assert_held(&vma_read(vma, vm_mm)->mm_rb_lock);
		refcount_inc(&vma->vm_ref_count);
		return true;
	}
	return refcount_inc_not_zero(&vma->vm_ref_count);
}

void __free_vma(struct vm_area_struct *vma)
{
	struct mempolicy *pol = vma_read(vma, vm_policy);

	/* vma-policy-put-early: remove_vma() already put it */
	if (!mt_bug(MT_BUG_VMA_POLICY_PUT_EARLY))
		mpol_put(pol);
	kmem_cache_free(vm_area_cachep, vma);
}

static void __free_vma_rcu(struct rcu_head *head)
{
	__free_vma(container_of(head, struct vm_area_struct, vm_rcu));
}

void put_vma(struct vm_area_struct *vma)
{
	if (!obj_access(vma, vm_area_cachep))
		return;		/* a put on a freed VMA: reported, not written */
	if (!refcount_dec_and_test(&vma->vm_ref_count))
		return;
	/*
	 * rb_lock: the posted patch frees at once; no reader can reach the
	 * VMA without the lock and a reference.  rcu: after a grace period.
	 */
	if (vma_lookup == VMA_LOOKUP_RB_LOCK || mt_bug(MT_BUG_VMA_FREE_NO_RCU))
		__free_vma(vma);
	else
		call_rcu(&vma->vm_rcu, __free_vma_rcu);
}

void remove_vma(struct vm_area_struct *vma)
{
	struct file *file = vma_read(vma, vm_file);
	const struct vm_operations_struct *ops = vma_read(vma, vm_ops);
	struct mempolicy *pol = vma_read(vma, vm_policy);

	if (ops && ops->close)
		ops->close(vma);
	if (file) {
		/*
		 * The seed's "fput(vma->vm_file); vma->vm_file = NULL;": the
		 * pointer is unset once the file is put.  Nothing reads it
		 * without mmap_sem: the speculative path leaves file-backed
		 * VMAs alone.  vma-file-after-fput: not unset.
		 */
		fput(file);
		race_window("remove_vma-fput-to-clear");
		if (!mt_bug(MT_BUG_VMA_FILE_AFTER_FPUT))
			WRITE_ONCE(vma->vm_file, NULL);
	}
	if (mt_bug(MT_BUG_VMA_POLICY_PUT_EARLY))
		mpol_put(pol);	/* the bug: before the VMA goes */
	put_vma(vma);
}

/* ---- split and merge (mm/mmap.c) ---- */

int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr,
	      int new_below)
{
	unsigned long start = vma_read(vma, vm_start), end = vma_read(vma, vm_end);
	unsigned long pgoff = vma_read(vma, vm_pgoff);
	bool anon_ops = mm_split_ops && !vma_read(vma, vm_ops);
	struct vm_area_struct *new;
	struct vma_array *arr;
	int err;

	lockdep_assert_held_write(&mm->mmap_sem);
	if ((vma_read(vma, vm_flags) & VM_HUGETLB) && (addr & ((1ul << HPAGE_SHIFT) - 1)))
		return -EINVAL;
	if (addr <= start || addr >= end)
		return -EINVAL;
	if ((unsigned int)mm->map_count >= vma_max_map_count)
		return -ENOMEM;
	new = vm_area_alloc(mm);
	if (!new)
		return -ENOMEM;
	/* most fields are the same, copy all, and then fixup */
	new->vm_start = new_below ? start : addr;
	new->vm_end = new_below ? addr : end;
	new->vm_pgoff = pgoff + ((new->vm_start - start) >> PAGE_SHIFT);
	new->vm_flags = vma_read(vma, vm_flags);
	new->vm_ops = vma_read(vma, vm_ops);
	new->vm_private_data = anon_ops ? NULL : vma_read(vma, vm_private_data);
	new->vm_policy = mpol_dup(vma_read(vma, vm_policy), &err);	/* 2.6.24's mpol_copy() */
	if (err)
		goto out_free;
	arr = vma_array_alloc(mm->mmap->nr + 1);
	err = -ENOMEM;
	if (!arr)
		goto out_free;
	if (anon_ops && (err = mm_split_ops->prepare(new, vma))) {
		free(arr);
		goto out_free;
	}
	new->vm_file = vma_read(vma, vm_file);
	if (new->vm_file)
		get_file(new->vm_file);
	if (new->vm_ops && new->vm_ops->open)
		new->vm_ops->open(new);

	race_window("split_vma-new-to-adjust");
	if (new_below) {
		unsigned long off = pgoff + ((addr - start) >> PAGE_SHIFT);

		if (anon_ops)
			mm_split_ops->commit(new, vma, addr, end, off);
		else
			vma_set_bounds(vma, addr, end, off);
	} else if (anon_ops) {
		mm_split_ops->commit(new, vma, start, addr, pgoff);
	} else {
		vma_set_bounds(vma, start, addr, pgoff);
	}
	vma_array_link(mm, arr, new);
	return 0;

out_free:
	vm_area_free_unused(new);
	return err;
}

bool vma_can_merge(const struct vm_area_struct *prev, const struct vm_area_struct *next)
{
	return vma_read(prev, vm_flags) == vma_read(next, vm_flags) &&
	       vma_read(prev, vm_ops) == vma_read(next, vm_ops) &&
	       vma_read(prev, vm_file) == vma_read(next, vm_file) &&
	       !vma_read(prev, vm_private_data) && !vma_read(next, vm_private_data) &&
	       !vma_read(prev, anon_vma) && !vma_read(next, anon_vma) &&
	       mpol_equal(vma_read(prev, vm_policy), vma_read(next, vm_policy));
}

int vma_merge_hole(struct mm_struct *mm, struct vm_area_struct *prev)
{
	struct vma_array *a = mm->mmap;
	struct vm_area_struct *next;
	struct file *file;
	unsigned int i;

	lockdep_assert_held_write(&mm->mmap_sem);
	for (i = 0; i + 1 < a->nr && a->vma[i] != prev; i++)
		;
	if (i + 1 >= a->nr)
		return -EINVAL;
	next = a->vma[i + 1];
	if (!vma_can_merge(prev, next))
		return -EINVAL;
	/*
	 * __vma_adjust(prev, prev->vm_start, next->vm_end, ...) with
	 * remove_next: prev grows over the hole and next; next leaves the
	 * tree first, so that nobody finds it any more.
	 */
	detach_vma(mm, next);
	vma_set_bounds(prev, vma_read(prev, vm_start), vma_read(next, vm_end),
		       vma_read(prev, vm_pgoff));
	file = vma_read(next, vm_file);
	if (file)
		fput(file);	/* next's reference on the file prev maps too */
	race_window("vma_adjust-remove-to-put");
	if (mt_bug(MT_BUG_VMA_ADJUST_FREE_NEXT)) {
		/* before the seed: "mpol_put(vma_policy(next)); vm_area_free(next);" */
		mpol_put(vma_read(next, vm_policy));
		kmem_cache_free(vm_area_cachep, next);
	} else {
		put_vma(next);
	}
	return 0;
}

/* ---- the speculative fault ---- */

/*
 * The posted patch's lookup: the tree under mm_rb_lock, the reference
 * taken there.  Return: the VMA with a reference, or NULL.
 */
static struct vm_area_struct *spf_find_get_rb(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	spin_lock(&mm->mm_rb_lock);
	vma = find_vma_rcu(mm, addr);	/* the array, read under the lock */
	if (vma && !get_vma(vma))
		vma = NULL;
	spin_unlock(&mm->mm_rb_lock);
	return vma;
}

/* The next step's lookup: RCU, inc-not-zero.  Return: as above. */
static struct vm_area_struct *spf_find_get_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	rcu_read_lock();
	vma = find_vma_rcu(mm, addr);
	if (!vma) {
		rcu_read_unlock();
		return NULL;
	}
	race_window("spf-lookup-to-get");
	if (!obj_access(vma, vm_area_cachep)) {
		rcu_read_unlock();
		return NULL;
	}
	if (mt_bug(MT_BUG_VMA_GET_PLAIN_INC)) {
		/* the bug: a plain increment resurrects a VMA already at zero */
		refcount_inc(&vma->vm_ref_count);
	} else if (!get_vma(vma)) {
		mt_count(MT_OVERLAPS);	/* found it as its last reference went */
		rcu_read_unlock();
		return NULL;
	}
	rcu_read_unlock();
	return vma;
}

struct vm_area_struct *spf_get_vma(struct mm_struct *mm, unsigned long addr,
				   unsigned int *seq)
{
	struct vm_area_struct *vma = vma_lookup == VMA_LOOKUP_RB_LOCK ?
				     spf_find_get_rb(mm, addr) : spf_find_get_rcu(mm, addr);

	if (!vma)
		return NULL;
	*seq = vm_read_begin(vma);
	if ((*seq & 1) || vma_read(vma, vm_detached)) {
		mt_count(MT_OVERLAPS);
		put_vma(vma);
		return NULL;
	}
	return vma;
}

/*
 * vma-file-after-fput: the speculative path takes a file-backed VMA and
 * uses its vm_file, which remove_vma() may have put -- what the seed's
 * anonymous-only path never does.  The file is used as a fault would,
 * with no reference and no read side: only the VMA's reference is held.
 */
static void spf_use_file_bug(struct vm_area_struct *vma)
{
	struct file *file = vma_read(vma, vm_file);

	race_window("spf-file-load-to-use");
	if (file)
		(void)file_read(file, f_id);
}

bool handle_speculative_fault(struct mm_struct *mm, unsigned long addr,
			      void (*fault)(struct vm_area_struct *vma, struct mempolicy *pol,
					    unsigned long addr, void *arg),
			      void *arg)
{
	struct vm_area_struct *vma;
	struct mempolicy *pol;
	unsigned int seq;
	bool done, file_backed;

	vma = spf_get_vma(mm, addr, &seq);
	if (!vma)
		return false;
	/* only anonymous VMAs are handled speculatively: vm_ops, not vm_file */
	file_backed = vma_read(vma, vm_ops) != NULL;
	if (file_backed && !mt_bug(MT_BUG_VMA_FILE_AFTER_FPUT)) {
		put_vma(vma);
		return false;
	}

	race_window("spf-get-to-use");
	/* the policy lives as long as the VMA: it is put in __free_vma() */
	pol = vma_read(vma, vm_policy);
	if (pol && !obj_access(pol, policy_cache)) {
		put_vma(vma);
		return false;
	}
	fault(vma, pol, addr, arg);
	if (file_backed && mt_bug(MT_BUG_VMA_FILE_AFTER_FPUT))
		spf_use_file_bug(vma);

	race_window("spf-use-to-retry");
	/* the sequence unchanged, the VMA still in its mm: or redo under mmap_sem */
	done = spf_commit_check(vma, seq, __func__);
	put_vma(vma);
	return done;
}

int do_munmap(struct mm_struct *mm, unsigned long start)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (!vma || vma_read(vma, vm_start) != start)
		return -EINVAL;
	detach_vma(mm, vma);
	if (mm_unmap_vma)
		mm_unmap_vma(vma);
	remove_vma(vma);
	return 0;
}

void exit_mmap(struct mm_struct *mm)
{
	struct vma_array *old, *empty = vma_array_alloc(0);
	struct vm_area_struct **v;
	unsigned int nr;

	down_write(&mm->mmap_sem);
	old = mm->mmap;
	nr = old->nr;
	v = malloc((nr ? nr : 1) * sizeof(*v));
	if (!v || !empty) {
		free(v);
		free(empty);
		/* no memory for a new array: detach one by one */
		while (mm->mmap->nr) {
			struct vm_area_struct *vma = mm->mmap->vma[0];

			detach_vma(mm, vma);
			if (mm_unmap_vma)
				mm_unmap_vma(vma);
			remove_vma(vma);
		}
		up_write(&mm->mmap_sem);
		return;
	}
	memcpy(v, old->vma, nr * sizeof(*v));
	mm_rb_write_lock(mm);
	for (unsigned int i = 0; i < nr; i++) {
		vm_write_begin(v[i]);
		WRITE_ONCE(v[i]->vm_detached, true);
		vm_write_end(v[i]);
	}
	mm->map_count = 0;
	vma_array_publish(mm, empty);
	mm_rb_write_unlock(mm);
	for (unsigned int i = 0; i < nr; i++) {
		if (mm_unmap_vma)
			mm_unmap_vma(v[i]);
		remove_vma(v[i]);
	}
	up_write(&mm->mmap_sem);
	free(v);
}
