// SPDX-License-Identifier: GPL-2.0-only
/*
 * vma.c - VMAs that can be used without mmap_sem: the VMA reference
 * counter of the speculative page fault series (seed 003,
 * 003_cf6d31174e8c4947.txt, "mm: introduce vma reference counter").
 *
 * The protocol:
 *  - the mm's tree holds one reference on each VMA (vm_ref_count = 1 at
 *    vm_area_alloc());
 *  - a speculative reader finds a VMA under rcu_read_lock() without
 *    mmap_sem (find_vma_rcu()), takes a reference with get_vma() — an
 *    inc-not-zero, since the count may already have reached zero: the
 *    case Jerome Glisse's review makes for kref — and checks the VMA's
 *    sequence count and detached flag before trusting what it read;
 *  - remove_vma() closes the VMA, puts its file *synchronously* and
 *    clears vm_file ("for sanity reason ... the vm_file file pointer is
 *    unset once the file pointer is put"), then put_vma() (see there for
 *    the order of the put and the clear);
 *  - the last put_vma() frees the VMA after a grace period, through
 *    call_rcu() into __free_vma(), which puts the VMA's policy: a reader
 *    inside its read side never sees the VMA, or its policy, freed.
 *
 * Bugs of the catalogue switched here (lib/core/bugs.h): vma-free-no-rcu
 * (put_vma), vma-file-after-fput and vma-policy-put-early (remove_vma,
 * __free_vma), and vma-get-plain-inc (spf_get_vma(), the speculative
 * path's lookup, which is where the series takes its reference).
 *
 * Locking:
 *   mm->mmap_sem (write)   insert_vm_struct(), detach_vma(), do_munmap()
 *   mm->mmap_sem (any)     find_vma()
 *   rcu_read_lock()        find_vma_rcu(); the VMA array and the VMAs in
 *                          it stay in memory until the read side ends
 *
 * The VMA array.  A change makes a new array and publishes it; the old
 * one is freed after a grace period.  Only when no new array can be had
 * (-ENOMEM; arrays are allocations that failure injection can fail, as
 * slab objects are) does detach_vma() change a published array in place,
 * one WRITE_ONCE() at a time, while RCU readers search it: so every load
 * of vma_array_search() from an array is a READ_ONCE(), and what a reader
 * sees there is always a sorted array of live VMAs, with a duplicate or
 * a neighbour for a moment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"

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

/* ---- the VMA array ---- */

static void vma_array_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct vma_array, rcu));
}

static struct vma_array *vma_array_alloc(unsigned int nr)
{
	struct vma_array *a;

	if (mt_should_fail_alloc())
		return NULL;
	a = malloc(sizeof(*a) + nr * sizeof(a->vma[0]));

	if (a)
		a->nr = nr;
	return a;
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
	unsigned int lo = 0, hi = READ_ONCE(a->nr);

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vm_area_struct *vma = READ_ONCE(a->vma[mid]);

		if (READ_ONCE(vma->vm_end) <= addr)
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

int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vma_array *old = mm->mmap, *new;
	unsigned int i;

	lockdep_assert_held_write(&mm->mmap_sem);
	new = vma_array_alloc(old->nr + 1);
	if (!new)
		return -ENOMEM;
	i = vma_array_search(old, vma->vm_start);
	memcpy(new->vma, old->vma, i * sizeof(old->vma[0]));
	new->vma[i] = vma;
	memcpy(new->vma + i + 1, old->vma + i, (old->nr - i) * sizeof(old->vma[0]));
	vma->vm_mm = mm;
	mm->map_count++;
	vma_array_publish(mm, new);
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
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vma_array *a;
	unsigned int i;

	lockdep_assert_held(&mm->mmap_sem);
	a = mm->mmap;
	i = vma_array_search(a, addr);
	if (i < a->nr && a->vma[i]->vm_start <= addr)
		return a->vma[i];
	return NULL;
}

struct vm_area_struct *find_vma_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vma_array *a = rcu_dereference_check(mm->mmap, mt_lock_held(&mm->mmap_sem, 0));
	unsigned int i = vma_array_search(a, addr), nr = READ_ONCE(a->nr);
	struct vm_area_struct *vma;

	if (i >= nr)
		return NULL;
	vma = READ_ONCE(a->vma[i]);
	return READ_ONCE(vma->vm_start) <= addr ? vma : NULL;
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

unsigned int mm_audit_vmas(struct mm_struct *mm)
{
	struct vma_array *a;
	unsigned int n;

	down_read(&mm->mmap_sem);
	a = mm->mmap;
	n = a->nr;
	for (unsigned int i = 0; i < n; i++) {
		struct vm_area_struct *vma = a->vma[i];
		int have = refcount_read_raw(&vma->vm_ref_count);

		mt_count(MT_AUDITED_OBJECTS);
		if (have > 1)
			mt_report(MT_LEAKED_REFS, "mm_audit_vmas",
				  "vma %p [%#lx,%#lx) of mm %d: vm_ref_count %d, 1 owner (the tree)",
				  (void *)vma, vma->vm_start, vma->vm_end, mm->id, have);
		else if (have < 1)
			mt_report(MT_MISSING_REFS, "mm_audit_vmas",
				  "vma %p [%#lx,%#lx) of mm %d: vm_ref_count %d, 1 owner (the tree)",
				  (void *)vma, vma->vm_start, vma->vm_end, mm->id, have);
	}
	up_read(&mm->mmap_sem);
	return n;
}

/* ---- references and freeing ---- */

bool get_vma(struct vm_area_struct *vma)
{
	return refcount_inc_not_zero(&vma->vm_ref_count);
}

void __free_vma(struct vm_area_struct *vma)
{
	/* vma-policy-put-early: remove_vma() already put it */
	if (!mt_bug(MT_BUG_VMA_POLICY_PUT_EARLY))
		mpol_put(vma->vm_policy);
	kmem_cache_free(vm_area_cachep, vma);
}

static void __free_vma_rcu(struct rcu_head *head)
{
	__free_vma(container_of(head, struct vm_area_struct, vm_rcu));
}

void put_vma(struct vm_area_struct *vma)
{
	if (!obj_valid(vma, vm_area_cachep))
		return;		/* a put on a freed VMA: reported, not written */
	if (!refcount_dec_and_test(&vma->vm_ref_count))
		return;
	if (mt_bug(MT_BUG_VMA_FREE_NO_RCU))
		__free_vma(vma);	/* the bug: speculative readers may be looking */
	else
		call_rcu(&vma->vm_rcu, __free_vma_rcu);
}

void remove_vma(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
	if (file) {
		/*
		 * The seed writes "fput(vma->vm_file); vma->vm_file = NULL;",
		 * and in the kernel that is safe because fput() defers the
		 * final __fput() to task work, which runs after remove_vma()
		 * has returned: the pointer is cleared before the file can go.
		 * The model's fput() frees after a grace period of its own, so
		 * it clears first and puts second, the order that deferral
		 * gives.  vma-file-after-fput: the pointer is never cleared,
		 * and a speculative reader holding the VMA finds the dead file.
		 */
		if (!mt_bug(MT_BUG_VMA_FILE_AFTER_FPUT))
			WRITE_ONCE(vma->vm_file, NULL);
		race_window("remove_vma-clear-to-fput");
		fput(file);
	}
	if (mt_bug(MT_BUG_VMA_POLICY_PUT_EARLY))
		mpol_put(vma->vm_policy);	/* the bug: before the grace period */
	put_vma(vma);
}

/* ---- the speculative fault ---- */

struct vm_area_struct *spf_get_vma(struct mm_struct *mm, unsigned long addr,
				   unsigned int *seq)
{
	struct vm_area_struct *vma;

	rcu_read_lock();
	vma = find_vma_rcu(mm, addr);
	if (!vma) {
		rcu_read_unlock();
		return NULL;
	}
	race_window("spf-lookup-to-get");
	/* the access KASAN would check: is this still a VMA? */
	if (!obj_valid(vma, vm_area_cachep)) {
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
	*seq = vm_read_begin(vma);
	rcu_read_unlock();
	if ((*seq & 1) || READ_ONCE(vma->vm_detached)) {
		mt_count(MT_OVERLAPS);
		put_vma(vma);
		return NULL;
	}
	return vma;
}

struct file *spf_get_file(struct vm_area_struct *vma, bool *fallback)
{
	struct file *file;

	*fallback = false;
	rcu_read_lock();
	file = READ_ONCE(vma->vm_file);
	if (file) {
		if (!obj_valid(file, filp_cachep)) {
			file = NULL;
			*fallback = true;
		} else if (!get_file_rcu(file)) {
			/* remove_vma() put it and has not cleared it yet */
			mt_count(MT_OVERLAPS);
			file = NULL;
			*fallback = true;
		}
	} else if (READ_ONCE(vma->vm_detached)) {
		mt_count(MT_OVERLAPS);	/* saw it cleared: the VMA is going */
		*fallback = true;
	}
	rcu_read_unlock();
	return file;
}

bool handle_speculative_fault(struct mm_struct *mm, unsigned long addr,
			      void (*fault)(struct vm_area_struct *vma, struct mempolicy *pol,
					    unsigned long addr, void *arg),
			      void *arg)
{
	struct vm_area_struct *vma;
	struct mempolicy *pol;
	struct file *file;
	unsigned int seq;
	bool fallback;

	vma = spf_get_vma(mm, addr, &seq);
	if (!vma)
		return false;

	race_window("spf-get-to-use");
	/* the policy lives as long as the VMA: it is put in __free_vma() */
	pol = READ_ONCE(vma->vm_policy);
	if (pol && !obj_valid(pol, policy_cache)) {
		put_vma(vma);
		return false;
	}
	fault(vma, pol, addr, arg);

	race_window("spf-use-to-file");
	file = spf_get_file(vma, &fallback);
	if (file)
		fput(file);
	if (vm_read_retry(vma, seq))
		fallback = true;	/* the VMA changed under us: redo under mmap_sem */
	put_vma(vma);
	return !fallback;
}

int do_munmap(struct mm_struct *mm, unsigned long start)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (!vma || vma->vm_start != start)
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
	for (unsigned int i = 0; i < nr; i++) {
		vm_write_begin(v[i]);
		WRITE_ONCE(v[i]->vm_detached, true);
		vm_write_end(v[i]);
	}
	mm->map_count = 0;
	vma_array_publish(mm, empty);
	for (unsigned int i = 0; i < nr; i++) {
		if (mm_unmap_vma)
			mm_unmap_vma(v[i]);
		remove_vma(v[i]);
	}
	up_write(&mm->mmap_sem);
	free(v);
}
