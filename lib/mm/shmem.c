// SPDX-License-Identifier: GPL-2.0-only
/*
 * shmem.c - shared memory segments for the mempolicy model: the parts of
 * mm/shmem.c (2.6.24) that seeds 000 and 001 touch.  See shmem.h.
 *
 * shmem_alloc_page() and shmem_swapin() follow the seed's diff line by
 * line: a pseudo-VMA "that just contains the policy" carries the shared
 * policy into alloc_page_vma(); shmem_alloc_page() lets alloc_page_vma()
 * drop the extra reference, shmem_swapin() first copies the policy to the
 * stack with mpol_cond_copy() because its readahead allocates several
 * pages from the one lookup.
 *
 * Bug of the catalogue switched here: mpol-swapin-multi-put (no
 * mpol_cond_copy(): every allocation of the readahead drops the one
 * extra reference).
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     sp->lock
 */
#include <errno.h>
#include <string.h>

#include "core/bugs.h"
#include "core/inject.h"
#include "lib/mm/shmem.h"

struct kmem_cache *shmem_inode_cachep;
unsigned int swapin_readahead_pages = 4;
static int next_shmem_id = 1;	/* ATOMIC */

static void shmem_close(struct vm_area_struct *vma);

const struct vm_operations_struct shmem_vm_ops = {
	.close = shmem_close,
	.set_policy = shmem_set_policy,
	.get_policy = shmem_get_policy,
};

int shmem_init(void)
{
	if (shared_policy_init())
		return -ENOMEM;
	shmem_inode_cachep = kmem_cache_create("shmem_inode_cache",
					       sizeof(struct shmem_inode_info),
					       SLAB_POISON, NULL);
	if (!shmem_inode_cachep) {
		shared_policy_fini();
		return -ENOMEM;
	}
	return 0;
}

void shmem_fini(void)
{
	kmem_cache_destroy(shmem_inode_cachep);
	shmem_inode_cachep = NULL;
	shared_policy_fini();
}

struct shmem_inode_info *shmem_create(unsigned long npages, struct mempolicy *mpol,
				      bool huge)
{
	struct shmem_inode_info *info = kmem_cache_zalloc(shmem_inode_cachep);

	if (!info)
		return NULL;
	refcount_set(&info->count, 1);
	info->id = __atomic_fetch_add(&next_shmem_id, 1, __ATOMIC_RELAXED);
	info->npages = npages;
	info->huge = huge;
	if (mpol_shared_policy_init(&info->policy, mpol, npages)) {
		kmem_cache_free(shmem_inode_cachep, info);
		return NULL;
	}
	return info;
}

void shmem_get(struct shmem_inode_info *info)
{
	refcount_inc(&info->count);
}

void shmem_put(struct shmem_inode_info *info)
{
	if (!obj_valid(info, shmem_inode_cachep))
		return;		/* a put on a freed segment: reported */
	if (!refcount_dec_and_test(&info->count))
		return;
	/* shmem_delete_inode(): nobody maps it, nobody can look it up */
	mpol_free_shared_policy(&info->policy);
	kmem_cache_free(shmem_inode_cachep, info);
}

unsigned long shmem_map(struct mm_struct *mm, struct shmem_inode_info *info, bool shared)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);
	unsigned long addr;

	if (!vma)
		return 0;
	down_write(&mm->mmap_sem);
	addr = get_unmapped_area(mm, info->npages << PAGE_SHIFT);
	vma->vm_start = addr;
	vma->vm_end = addr + (info->npages << PAGE_SHIFT);
	vma->vm_pgoff = 0;
	vma->vm_flags = VM_READ | VM_WRITE | (shared ? VM_SHARED : 0) |
			(info->huge ? VM_HUGETLB : 0);
	vma->vm_ops = &shmem_vm_ops;
	vma->vm_private_data = info;
	shmem_get(info);		/* the mapping's reference */
	if (insert_vm_struct(mm, vma)) {
		up_write(&mm->mmap_sem);
		vma->vm_ops = NULL;	/* never opened: no ->close */
		shmem_put(info);
		vm_area_free_unused(vma);
		return 0;
	}
	up_write(&mm->mmap_sem);
	return addr;
}

/* ->close, from remove_vma() (munmap, exit): the mapping's reference. */
static void shmem_close(struct vm_area_struct *vma)
{
	shmem_put(vma->vm_private_data);
}

struct mempolicy *shmem_get_policy(struct vm_area_struct *vma, unsigned long addr)
{
	struct shmem_inode_info *info = vma->vm_private_data;
	unsigned long idx = ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;

	return mpol_shared_policy_lookup(&info->policy, idx);
}

int shmem_set_policy(struct vm_area_struct *vma, struct mempolicy *new)
{
	struct shmem_inode_info *info = vma->vm_private_data;

	return mpol_set_shared_policy(&info->policy, vma->vm_pgoff,
				      (vma->vm_end - vma->vm_start) >> PAGE_SHIFT, new);
}

struct page *swapin_readahead(unsigned long entry, struct vm_area_struct *vma,
			      unsigned long addr)
{
	struct page *first = NULL;
	unsigned int nr = swapin_readahead_pages ? swapin_readahead_pages : 1;

	for (unsigned int i = 0; i < nr; i++, addr += PAGE_SIZE) {
		/* read_swap_cache_async(entry + i, vma, addr) */
		struct page *page = alloc_page_vma(vma, addr);

		if (!page)
			continue;
		page->index = vma->vm_pgoff + i;
		page->private = entry + i;
		if (!first)
			first = page;
		else
			put_page(page);	/* would sit in the swap cache */
	}
	return first;
}

struct page *shmem_swapin(struct shmem_inode_info *info, unsigned long idx)
{
	struct mempolicy mpol, *spol;
	struct vm_area_struct pvma;

	spol = mpol_shared_policy_lookup(&info->policy, idx);
	/*
	 * mpol-swapin-multi-put: the looked-up policy goes into the
	 * readahead as it is, MPOL_F_SHARED still set, and each
	 * alloc_page_vma() of the readahead drops the one extra reference.
	 */
	if (!mt_bug(MT_BUG_MPOL_SWAPIN_MULTI_PUT))
		spol = mpol_cond_copy(&mpol, spol);

	/* Create a pseudo vma that just contains the policy */
	memset(&pvma, 0, sizeof(pvma));
	pvma.vm_start = 0;
	pvma.vm_end = (unsigned long)swapin_readahead_pages << PAGE_SHIFT;
	pvma.vm_pgoff = idx;
	pvma.vm_ops = NULL;
	pvma.vm_policy = spol;
	return swapin_readahead(idx, &pvma, 0);
}

struct page *shmem_alloc_page(struct shmem_inode_info *info, unsigned long idx)
{
	struct vm_area_struct pvma;
	struct page *page;

	/* Create a pseudo vma that just contains the policy */
	memset(&pvma, 0, sizeof(pvma));
	pvma.vm_start = 0;
	pvma.vm_end = PAGE_SIZE;
	pvma.vm_pgoff = idx;
	pvma.vm_ops = NULL;
	pvma.vm_policy = mpol_shared_policy_lookup(&info->policy, idx);

	/*
	 * alloc_page_vma() will drop the shared policy reference
	 */
	page = alloc_page_vma(&pvma, 0);
	if (page)
		page->index = idx;
	return page;
}
