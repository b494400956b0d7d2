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
 * Mappings are made as shmat() makes them (ipc/shm.c): the VMA gets
 * shm_vm_ops, whose get_policy/set_policy pass on to the file's own
 * vm_ops: shmem_vm_ops for a tmpfs segment (the shared-policy tree), and
 * for a SHM_HUGETLB segment hugetlbfs's, which has none, so that
 * shm_get_policy() returns the VMA's own vm_policy (protected by mmap_sem
 * like any VMA policy, no extra reference), as 2.6.24 after seed 000 did.
 *
 * Bugs of the catalogue switched here: mpol-swapin-multi-put (no
 * mpol_cond_copy(): every allocation of the readahead drops the one
 * extra reference), and mpol-shm-vm-policy-get (seed 000's own change
 * reverted: shm_get_policy() takes mpol_get() on the vm_policy fallback,
 * a reference that mpol_cond_put() never drops, for the policy is not
 * MPOL_F_SHARED).
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     sp->lock
 */
#include <errno.h>
#include <string.h>

#include "core/bugs.h"
#include "core/inject.h"
#include "lib/mm/memory.h"
#include "lib/mm/shmem.h"

struct kmem_cache *shmem_inode_cachep;
unsigned int swapin_readahead_pages = 4;
static int next_shmem_id = 1;	/* ATOMIC */

static void shm_open(struct vm_area_struct *vma);
static void shm_close(struct vm_area_struct *vma);
static int shm_set_policy(struct vm_area_struct *vma, struct mempolicy *new);
static struct mempolicy *shm_get_policy(struct vm_area_struct *vma, unsigned long addr);

/* The file's own vm_ops: tmpfs keeps a shared-policy tree per inode... */
const struct vm_operations_struct shmem_vm_ops = {
	.set_policy = shmem_set_policy,
	.get_policy = shmem_get_policy,
};

/* ...hugetlbfs (2.6.24) has no policy operations. */
static const struct vm_operations_struct hugetlb_vm_ops = {
	.set_policy = NULL,
	.get_policy = NULL,
};

/* What a shmat() mapping gets: ipc/shm.c's wrappers around the file's. */
const struct vm_operations_struct shm_vm_ops = {
	.open = shm_open,
	.close = shm_close,
	.set_policy = shm_set_policy,
	.get_policy = shm_get_policy,
};

/* The vm_ops of the segment's file (the kernel's sfd->vm_ops). */
static const struct vm_operations_struct *shm_file_vm_ops(const struct shmem_inode_info *info)
{
	return info_read(info, huge) ? &hugetlb_vm_ops : &shmem_vm_ops;
}

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

struct shmem_inode_info *shmem_create(unsigned long npages, unsigned short mode,
				      const nodemask_t *nodes, bool huge)
{
	struct shmem_inode_info *info;

	if (huge && mode != MPOL_DEFAULT)
		return NULL;	/* hugetlbfs has no mpol= */
	info = kmem_cache_zalloc(shmem_inode_cachep);
	if (!info)
		return NULL;
	refcount_set(&info->count, 1);
	info->id = __atomic_fetch_add(&next_shmem_id, 1, __ATOMIC_RELAXED);
	info->npages = npages;
	info->huge = huge;
	if (mpol_shared_policy_init(&info->policy, mode, nodes, npages)) {
		kmem_cache_free(shmem_inode_cachep, info);
		return NULL;
	}
	return info;
}

void shmem_get(struct shmem_inode_info *info)
{
	if (obj_access(info, shmem_inode_cachep))
		refcount_inc(&info->count);
}

void shmem_put(struct shmem_inode_info *info)
{
	if (!obj_access(info, shmem_inode_cachep))
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
	addr = get_unmapped_area(mm, info_read(info, npages) << PAGE_SHIFT);
	vma->vm_start = addr;
	vma->vm_end = addr + (info_read(info, npages) << PAGE_SHIFT);
	vma->vm_pgoff = 0;
	vma->vm_flags = VM_READ | VM_WRITE | (shared ? VM_SHARED : 0) |
			(info_read(info, huge) ? VM_HUGETLB : 0);
	vma->vm_ops = &shm_vm_ops;
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

/*
 * shm_open - ->open, from split_vma(): the new mapping's segment
 * reference.  Context: mmap_sem held for write.
 */
static void shm_open(struct vm_area_struct *vma)
{
	shmem_get(vma_read(vma, vm_private_data));
}

/*
 * shm_close - ->close, from remove_vma() (munmap, exit): drop the
 * mapping's segment reference (the last one frees the segment and its
 * tree).  Context: the VMA is detached; mmap_sem held for write or the
 * mm has no user left.
 */
static void shm_close(struct vm_area_struct *vma)
{
	shmem_put(vma_read(vma, vm_private_data));
}

static int shm_set_policy(struct vm_area_struct *vma, struct mempolicy *new)
{
	const struct vm_operations_struct *ops = shm_file_vm_ops(vma_read(vma, vm_private_data));
	int err = 0;

	if (ops->set_policy)
		err = ops->set_policy(vma, new);
	return err;
}

/*
 * ipc/shm.c's shm_get_policy() after seed 000: the file's get_policy, or
 * the VMA's own vm_policy with no reference ("else if (vma->vm_policy)
 * pol = vma->vm_policy;"): get_vma_policy() no longer expects one.
 */
static struct mempolicy *shm_get_policy(struct vm_area_struct *vma, unsigned long addr)
{
	const struct vm_operations_struct *ops = shm_file_vm_ops(vma_read(vma, vm_private_data));
	struct mempolicy *pol = NULL;

	if (ops->get_policy) {
		pol = ops->get_policy(vma, addr);
	} else if ((pol = vma_read(vma, vm_policy))) {
		/* mpol-shm-vm-policy-get: the code before seed 000 */
		if (mt_bug(MT_BUG_MPOL_SHM_VM_POLICY_GET))
			mpol_get(pol);	/* get_vma_policy() expects this */
	}
	return pol;
}

struct mempolicy *shmem_get_policy(struct vm_area_struct *vma, unsigned long addr)
{
	struct shmem_inode_info *info = vma_read(vma, vm_private_data);
	unsigned long idx = ((addr - vma_read(vma, vm_start)) >> PAGE_SHIFT) +
			    vma_read(vma, vm_pgoff);

	if (!obj_access(info, shmem_inode_cachep))
		return NULL;
	return mpol_shared_policy_lookup(&info->policy, idx);
}

int shmem_set_policy(struct vm_area_struct *vma, struct mempolicy *new)
{
	struct shmem_inode_info *info = vma_read(vma, vm_private_data);

	if (!obj_access(info, shmem_inode_cachep))
		return -EINVAL;
	return mpol_set_shared_policy(&info->policy, vma_read(vma, vm_pgoff),
				      (vma_read(vma, vm_end) - vma_read(vma, vm_start)) >> PAGE_SHIFT,
				      new);
}

/*
 * valid_swaphandles - the swap cluster around @entry: its first offset in
 * *@offset, the number of pages (page-cluster) as the return value.
 */
static unsigned int valid_swaphandles(unsigned long entry, unsigned long *offset)
{
	unsigned int nr = swapin_readahead_pages ? swapin_readahead_pages : 1;

	*offset = entry - entry % nr;
	return nr;
}

/*
 * read_swap_cache_async - the page for swap @entry: a new page from
 * alloc_page_vma(@vma, @addr), read from swap.  The model has no swap
 * cache, so every read allocates.
 */
static struct page *read_swap_cache_async(unsigned long entry, struct vm_area_struct *vma,
					  unsigned long addr)
{
	struct page *page = alloc_page_vma(vma, addr);

	if (page) {
		WRITE_ONCE(page->index, linear_page_index(vma, addr));
		page->private = entry;
	}
	return page;
}

struct page *swapin_readahead(unsigned long entry, struct vm_area_struct *vma,
			      unsigned long addr)
{
	unsigned long offset, end_offset;
	unsigned int nr_pages;
	struct page *page;

	/*
	 * "use the same "addr" to choose the same node for each swap read"
	 * (2.6.24): neighbouring swap pages likely came from the same node.
	 */
	nr_pages = valid_swaphandles(entry, &offset);
	for (end_offset = offset + nr_pages; offset < end_offset; offset++) {
		/* Ok, do the async read-ahead now */
		page = read_swap_cache_async(offset, vma, addr);
		if (!page)
			break;
		put_page(page);		/* page_cache_release() */
	}
	return read_swap_cache_async(entry, vma, addr);
}

struct page *shmem_swapin(struct shmem_inode_info *info, unsigned long idx)
{
	struct mempolicy mpol, *spol;
	struct vm_area_struct pvma;

	if (!obj_access(info, shmem_inode_cachep))
		return NULL;
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
	pvma.vm_end = PAGE_SIZE;	/* every read of the readahead at addr 0 */
	pvma.vm_pgoff = idx;
	pvma.vm_ops = NULL;
	pvma.vm_policy = spol;
	return swapin_readahead(idx, &pvma, 0);
}

struct page *shmem_alloc_page(struct shmem_inode_info *info, unsigned long idx)
{
	struct vm_area_struct pvma;
	struct page *page;

	if (!obj_access(info, shmem_inode_cachep))
		return NULL;
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
		WRITE_ONCE(page->index, idx);
	return page;
}
