// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory.c - page tables of anonymous VMAs, the anonymous fault, the copy
 * of page tables at fork and their zap when a VMA goes: the parts of the
 * kernel's mm/memory.c (do_anonymous_page, copy_page_range, unmap_vmas,
 * free_pgtables) that feed the anon_vma protocol of seeds 002 and 004.
 * See memory.h for the page table and its lock.
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     anon_vma->root->lock
 *       vma_pgtable(vma)->ptl  (fork: parent's then child's)
 *         lru_lock
 *
 * References: a pte holds one page reference and one _mapcount.  The
 * fault's allocation reference becomes the pte's; fork takes one more per
 * copied pte; the zap drops the pte's after taking a page whose last pte
 * it was off the LRU.  A migration entry (memory.h) holds neither: fork
 * copies it, the zap clears it.
 */
#include <errno.h>
#include <string.h>

#include "core/counters.h"
#include "core/inject.h"
#include "core/thread.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/memory.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"

struct kmem_cache *pgtable_cachep;

static int anon_split_prepare(struct vm_area_struct *new, struct vm_area_struct *vma);
static void anon_split_commit(struct vm_area_struct *new, struct vm_area_struct *vma,
			      unsigned long start, unsigned long end, unsigned long pgoff);

static const struct mm_split_ops anon_split_ops = {
	.prepare = anon_split_prepare,
	.commit = anon_split_commit,
};

int anon_memory_init(void)
{
	pgtable_cachep = kmem_cache_create("vma_pgtable", sizeof(struct vma_pgtable),
					   SLAB_POISON, NULL);
	if (!pgtable_cachep)
		return -ENOMEM;
	lru_init();
	mm_unmap_vma = anon_unmap_vma;
	mm_split_ops = &anon_split_ops;
	return 0;
}

unsigned long anon_memory_fini(void)
{
	unsigned long leaked = 0;

	if (mm_unmap_vma == anon_unmap_vma)
		mm_unmap_vma = NULL;
	if (mm_split_ops == &anon_split_ops)
		mm_split_ops = NULL;
	if (pgtable_cachep)
		leaked = kmem_cache_destroy(pgtable_cachep);
	pgtable_cachep = NULL;
	lru_fini();
	return leaked;
}

int anon_vma_setup(struct vm_area_struct *vma, unsigned long start,
		   unsigned int npages)
{
	struct vma_pgtable *pt;

	if (!npages || npages > MT_PGTABLE_MAX)
		return -EINVAL;
	pt = kmem_cache_alloc(pgtable_cachep);
	if (!pt)
		return -ENOMEM;
	spin_lock_init(&pt->ptl);
	pt->nr = npages;
	memset(pt->pte, 0, sizeof(pt->pte));
	vma->vm_start = start;
	vma->vm_end = start + ((unsigned long)npages << PAGE_SHIFT);
	vma->vm_pgoff = start >> PAGE_SHIFT;
	vma->vm_flags |= VM_READ | VM_WRITE | VM_MERGEABLE;
	vma->vm_private_data = pt;
	return 0;
}

static void vma_pgtable_free(struct vm_area_struct *vma)
{
	struct vma_pgtable *pt = vma_pgtable(vma);

	if (!pt)
		return;
	vma->vm_private_data = NULL;
	kmem_cache_free(pgtable_cachep, pt);
}

void anon_vma_teardown_unused(struct vm_area_struct *vma)
{
	vma_pgtable_free(vma);
	vm_area_free_unused(vma);
}

int handle_mm_fault(struct vm_area_struct *vma, unsigned long address)
{
	struct vma_pgtable *pt = vma_pgtable(vma);
	unsigned long idx = (address - vma_read(vma, vm_start)) >> PAGE_SHIFT;
	struct page *page;

	lockdep_assert_held_read(&vma_read(vma, vm_mm)->mmap_sem);
	if (!pt || idx >= pt_read(pt, nr))
		return -EFAULT;
	if (pt_read(pt, pte[idx]))
		return 1;
	if (anon_vma_prepare(vma))
		return -ENOMEM;
	page = alloc_page_vma(vma, address);	/* the VMA's (or task's) policy */
	if (!page)
		return -ENOMEM;

	spin_lock(&pt->ptl);
	if (pt_read(pt, pte[idx])) {
		/* another thread of the mm faulted it first */
		spin_unlock(&pt->ptl);
		put_page(page);
		return 1;
	}
	page_add_new_anon_rmap(page, vma, address);
	WRITE_ONCE(pt->pte[idx], page);	/* the allocation ref is the pte's */
	spin_unlock(&pt->ptl);
	return 0;
}

void copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct vma_pgtable *spt = vma_pgtable(src), *dpt = vma_pgtable(dst);

	lockdep_assert_held_write(&src->vm_mm->mmap_sem);
	lockdep_assert_held_write(&dst->vm_mm->mmap_sem);
	for (unsigned int i = 0; i < pt_read(spt, nr); i++) {
		struct page *page;

		/*
		 * Both locks, as copy_pte_range() takes them: migration
		 * replaces ptes under the page table lock and the root lock,
		 * not mmap_sem, and the child is already on the anon_vmas'
		 * lists for it to find.
		 */
		spin_lock(&spt->ptl);
		spin_lock(&dpt->ptl);
		page = pt_read(spt, pte[i]);
		if (page && pte_is_migration(page)) {
			/*
			 * copy_one_pte(): a migration entry is copied as it is;
			 * the child is on the anon_vma's list, after the parent,
			 * so remove_migration_ptes() replaces both.
			 */
			WRITE_ONCE(dpt->pte[i], page);
		} else if (page) {
			get_page(page);
			page_add_anon_rmap(page, dst,
					   vma_read(dst, vm_start) + ((unsigned long)i << PAGE_SHIFT));
			WRITE_ONCE(dpt->pte[i], page);
		}
		spin_unlock(&dpt->ptl);
		spin_unlock(&spt->ptl);
	}
}

unsigned int zap_vma_pages(struct vm_area_struct *vma)
{
	struct vma_pgtable *pt = vma_pgtable(vma);
	struct page *gathered[MT_PGTABLE_MAX];
	unsigned int n = 0;

	if (!pt)
		return 0;
	spin_lock(&pt->ptl);
	for (unsigned int i = 0; i < pt_read(pt, nr); i++) {
		struct page *page = pt_read(pt, pte[i]);

		if (!page)
			continue;
		if (pte_is_migration(page)) {
			/* a migration entry: the move in flight owns the page */
			WRITE_ONCE(pt->pte[i], NULL);
			continue;
		}
		WRITE_ONCE(pt->pte[i], NULL);
		page_remove_rmap(page);
		gathered[n++] = page;
	}
	spin_unlock(&pt->ptl);

	/* tlb_finish_mmu(): the gathered pages are released after the ptes */
	race_window("anon-zap-to-release");
	for (unsigned int i = 0; i < n; i++)
		put_page(gathered[i]);
	return n;
}

void anon_unmap_vma(struct vm_area_struct *vma)
{
	/*
	 * Only anonymous VMAs (vma_is_anonymous(): no vm_ops) have a page
	 * table of this model in vm_private_data; a shmem VMA keeps its
	 * inode there.  Any VMA may have anon_vma chains to unlink.
	 */
	bool anon = !vma_read(vma, vm_ops);

	if (anon)
		zap_vma_pages(vma);
	race_window("anon-zap-to-unlink");
	unlink_anon_vmas(vma);
	if (anon)
		vma_pgtable_free(vma);
}

/* ---- split_vma() of an anonymous VMA (mm_split_ops) ---- */

/*
 * A page table for @new, the part of @vma split_vma() cuts off, and
 * @new on every anon_vma @vma is on (anon_vma_clone(), as split_vma()
 * does since 2.6.34).  Context: mmap_sem held for write.
 * Return: 0, or -ENOMEM with @new as it was.
 */
static int anon_split_prepare(struct vm_area_struct *new, struct vm_area_struct *vma)
{
	struct vma_pgtable *npt = NULL;

	if (vma_pgtable(vma)) {
		npt = kmem_cache_alloc(pgtable_cachep);
		if (!npt)
			return -ENOMEM;
		spin_lock_init(&npt->ptl);
		npt->nr = (unsigned int)((new->vm_end - new->vm_start) >> PAGE_SHIFT);
		memset(npt->pte, 0, sizeof(npt->pte));
	}
	new->vm_private_data = npt;
	if (anon_vma_clone(new, vma)) {
		new->vm_private_data = NULL;
		if (npt)
			kmem_cache_free(pgtable_cachep, npt);
		return -ENOMEM;
	}
	new->anon_vma = vma_read(vma, anon_vma);
	return 0;
}

/*
 * Give @vma its new bounds and @new the ptes of its range, under the
 * locks an rmap walker takes (the root lock, then each page table lock):
 * a walker sees the page in the old VMA at its old place, or in one of
 * the two at its new one.  A pte keeps its page, its reference and its
 * _mapcount; page->index does not change (vm_pgoff follows the split).
 * Context: mmap_sem held for write.
 */
static void anon_split_commit(struct vm_area_struct *new, struct vm_area_struct *vma,
			      unsigned long start, unsigned long end, unsigned long pgoff)
{
	struct vma_pgtable *pt = vma_pgtable(vma), *npt = vma_pgtable(new);
	struct anon_vma *av = vma_read(vma, anon_vma), *root = av ? anon_vma_lock(av) : NULL;
	unsigned long old_start = vma_read(vma, vm_start);

	if (pt) {
		unsigned int moved = (unsigned int)((new->vm_start - old_start) >> PAGE_SHIFT);
		unsigned int shift = (unsigned int)((start - old_start) >> PAGE_SHIFT);
		unsigned int nr = (unsigned int)((end - start) >> PAGE_SHIFT);

		spin_lock(&pt->ptl);
		spin_lock(&npt->ptl);
		for (unsigned int i = 0; i < npt->nr; i++) {
			WRITE_ONCE(npt->pte[i], pt->pte[moved + i]);
			WRITE_ONCE(pt->pte[moved + i], NULL);
		}
		for (unsigned int i = 0; shift && i < nr; i++) {
			WRITE_ONCE(pt->pte[i], pt->pte[shift + i]);
			WRITE_ONCE(pt->pte[shift + i], NULL);
		}
		vma_set_bounds(vma, start, end, pgoff);
		WRITE_ONCE(pt->nr, nr);
		spin_unlock(&npt->ptl);
		spin_unlock(&pt->ptl);
	} else {
		vma_set_bounds(vma, start, end, pgoff);
	}
	if (root)
		anon_vma_unlock(root);
}
