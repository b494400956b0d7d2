/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memory.h - page tables of anonymous VMAs, anonymous faults, the copy of
 * page tables at fork and their zap at munmap and exit (the parts of the
 * kernel's mm/memory.c the anon_vma model needs).
 *
 * A VMA's page table is a small array of page pointers indexed by page
 * offset, hung off vm_private_data (anonymous VMAs use it for nothing
 * else), with its own spinlock: the split page table lock of the kernel,
 * here one per VMA.  A pte holds a page reference and one _mapcount.
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     anon_vma->root->lock
 *       vma_pgtable(vma)->ptl      (fork: the parent's, then the child's)
 *         lru_lock
 */
#ifndef MT_MEMORY_H
#define MT_MEMORY_H

#include <errno.h>

#include "lib/mm/mm.h"

#define MT_PGTABLE_MAX	64	/* pages per VMA at most */

/*
 * struct vma_pgtable - the page table of one anonymous VMA
 * @ptl: protects @pte
 * @nr: pages the VMA covers
 * @pte: the page mapped at each page offset, or NULL
 */
struct vma_pgtable {
	spinlock_t ptl;
	unsigned int nr;
	struct page *pte[MT_PGTABLE_MAX];	/* protected by ->ptl */
};

/*
 * Migration entries (mm/migrate.c's swap-type ptes): while a page moves,
 * each pte that mapped it holds an entry naming it instead, so that a
 * fault finds no page to use (migration_entry_wait()) and the move can
 * put the new page where the entries are.  Here an entry is the page's
 * pointer with the low bit set; it holds neither a page reference nor a
 * _mapcount (try_to_unmap() dropped both), and a zap just clears it.
 */
#define PTE_MIGRATION	0x1ul

static inline bool pte_is_migration(const struct page *pte)
{
	return (uintptr_t)pte & PTE_MIGRATION;
}

static inline struct page *make_migration_entry(struct page *page)
{
	return (struct page *)((uintptr_t)page | PTE_MIGRATION);
}

static inline struct page *migration_entry_to_page(const struct page *pte)
{
	return (struct page *)((uintptr_t)pte & ~PTE_MIGRATION);
}

/* The "vma_pgtable" cache (SLAB_POISON), and a checked load from it. */
extern struct kmem_cache *pgtable_cachep;
#define pt_read(pt, field)	obj_read((pt), pgtable_cachep, field)

/*
 * vma_pgtable - the page table of an anonymous VMA of this model.
 * Context: the VMA is alive (mmap_sem, or linked to an anon_vma whose
 * root lock is held); it is freed after the VMA is unlinked.
 */
static inline struct vma_pgtable *vma_pgtable(const struct vm_area_struct *vma)
{
	return vma_read(vma, vm_private_data);
}

/* The page index a page mapped at @address of @vma has (linear_page_index). */
static inline unsigned long linear_page_index(const struct vm_area_struct *vma,
					      unsigned long address)
{
	return ((address - vma_read(vma, vm_start)) >> PAGE_SHIFT) + vma_read(vma, vm_pgoff);
}

/**
 * anon_memory_init - create the page table cache and install the
 * mm_unmap_vma hook (anon_unmap_vma()), so that munmap and exit zap the
 * pages and unlink the anon_vmas of every VMA they remove
 * Context: after mm_core_init(); before any anonymous VMA exists.
 * Return: 0 or -ENOMEM.
 */
int anon_memory_init(void);
/**
 * anon_memory_fini - remove the hook, destroy the page table cache
 * Context: every anonymous VMA is gone (mmput() of every mm).
 * Return: page tables still live (counted as leaked_objects{vma_pgtable}).
 */
unsigned long anon_memory_fini(void);

/**
 * anon_vma_setup - make @vma an anonymous VMA of @npages pages at @start
 * (vm_pgoff = start >> PAGE_SHIFT, as the kernel sets it for anonymous
 * mappings), with an empty page table
 * Context: @vma not yet inserted.
 * Return: 0 or -ENOMEM (nothing to undo: the VMA is as it was).
 */
int anon_vma_setup(struct vm_area_struct *vma, unsigned long start,
		   unsigned int npages);

/**
 * anon_vma_teardown_unused - free the page table of a VMA that was never
 * inserted and has no page (a failed fork or mmap), then the VMA itself
 * Context: @vma unlinked from its anon_vmas.
 */
void anon_vma_teardown_unused(struct vm_area_struct *vma);

/**
 * handle_mm_fault - fault in an anonymous page at @address of @vma
 * (do_anonymous_page): anon_vma_prepare(), a new page from
 * alloc_page_vma() (the node the VMA's policy, the faulting task's
 * (mpol_current) or the system default chooses: the local node when
 * none is set), page_add_new_anon_rmap() and the pte, under the page
 * table lock
 * Context: mmap_sem held for read; registered thread.
 * Return: 0 (mapped now), 1 (already mapped), -ENOMEM.
 */
int handle_mm_fault(struct vm_area_struct *vma, unsigned long address);

/**
 * copy_page_range - fork: map every page of @src into @dst too, each with
 * a page reference and a _mapcount (copy_one_pte, without COW: the
 * pages stay shared, which is all the anon_vma protocol needs)
 * Context: both mms' mmap_sem held for write; @dst already linked to its
 * anon_vmas by anon_vma_fork() (so rmap walkers can find it), not yet
 * visible to lookups.
 */
void copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);

/**
 * zap_vma_pages - unmap every page of @vma (unmap_vmas): clear the ptes
 * under the page table lock, page_remove_rmap() each page, take the ones
 * that became unmapped off the LRU, drop the ptes' page references
 * Context: mmap_sem held for write, or the mm has no user left.
 * Return: the number of pages unmapped.
 */
unsigned int zap_vma_pages(struct vm_area_struct *vma);

/**
 * anon_unmap_vma - the mm_unmap_vma hook: zap_vma_pages(), then
 * unlink_anon_vmas() (free_pgtables()), then free the page table (the
 * zap and the page table only for anonymous VMAs: no vm_ops)
 * Context: @vma detached; mmap_sem held for write or the mm's last user.
 */
void anon_unmap_vma(struct vm_area_struct *vma);

/**
 * vma_address - where @page would be mapped in @vma
 * Context: @vma alive; @page referenced.  Nothing says it IS mapped there:
 * the caller checks the pte under the page table lock.
 * Return: the address, or -EFAULT if its index falls outside the VMA.
 */
static inline unsigned long vma_address(const struct page *page,
					const struct vm_area_struct *vma)
{
	unsigned long index = page_read(page, index), pgoff = vma_read(vma, vm_pgoff);
	unsigned long address;

	if (index < pgoff)
		return -EFAULT;
	address = vma_read(vma, vm_start) + ((index - pgoff) << PAGE_SHIFT);
	if (address >= vma_read(vma, vm_end))
		return -EFAULT;
	return address;
}

#endif /* MT_MEMORY_H */
