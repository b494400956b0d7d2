/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shmem.h - shared memory segments (the tmpfs inodes behind shmget() and
 * mmap() of tmpfs files), reduced to what the mempolicy model needs
 * (seeds 000 and 001): a shared-policy tree per segment, the shmem VMA
 * operations that reach it (get_policy/set_policy), and the two page
 * allocation paths the seed changed, shmem_alloc_page() and
 * shmem_swapin().  A SHM_HUGETLB segment stands for a hugetlbfs inode:
 * its tree stays empty, its mappings' policies are their vm_policy.
 *
 * Lifetime: a segment's ->count is the inode's count: one reference for
 * whoever created it (the shm id table, until IPC_RMID) and one per VMA
 * mapping it (taken by shmem_map(), dropped by the VMA's ->close).  The
 * last shmem_put() frees the policy tree (mpol_free_shared_policy()) and
 * the segment.
 *
 * Lock ordering:
 *   mm->mmap_sem
 *     info->policy.lock (sp->lock)
 */
#ifndef MT_SHMEM_H
#define MT_SHMEM_H

#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shared_policy.h"

struct shmem_inode_info {
	refcount_t count;		/* creator's + one per mapping VMA */
	int id;
	unsigned long npages;		/* size of the object */
	bool huge;			/* SHM_HUGETLB: VM_HUGETLB VMAs, no tree in use */
	struct shared_policy policy;
};

/* shmat()'s vm_ops (ipc/shm.c), on every mapping of a segment. */
extern const struct vm_operations_struct shm_vm_ops;
/* tmpfs's own vm_ops, which shm_vm_ops pass on to for a tmpfs segment. */
extern const struct vm_operations_struct shmem_vm_ops;
/* The "shmem_inode_cache" (SLAB_POISON). */
extern struct kmem_cache *shmem_inode_cachep;
/* Pages swapin_readahead() reads around a swapped-out page (page-cluster). */
extern unsigned int swapin_readahead_pages;

/*
 * shmem_init - create the segment cache and the sp_node cache.
 * shmem_fini() destroys both, counting leaks.
 * Context: init / teardown, no segment in use.  Return: 0 or -ENOMEM.
 */
int shmem_init(void);
void shmem_fini(void);

/**
 * shmem_create - a new segment of @npages pages
 * @mode: the mode of its initial policy over the whole object (tmpfs's
 *	mpol= mount option), MPOL_DEFAULT for none; the tree builds its own
 *	policy (mpol_shared_policy_init())
 * @nodes: the nodes of that policy
 * @huge: a SHM_HUGETLB segment: hugetlbfs keeps no shared policies and
 *	has no mpol=, so @mode must be MPOL_DEFAULT
 *
 * Context: any.
 * Return: the segment with one reference (the creator's), or NULL (out of
 * memory, a bad policy, or a policy for a huge segment).
 */
struct shmem_inode_info *shmem_create(unsigned long npages, unsigned short mode,
				      const nodemask_t *nodes, bool huge);
/*
 * shmem_get - take a reference (also shm_open(), the ->open of a mapping
 * split_vma() makes).  Context: the caller holds one already,
 * or holds the lock of a table that does.
 * shmem_put - drop one; the last frees the policy tree and the segment.
 * Context: no VMA maps the segment when the last goes (the mappings hold
 * references); takes sp->lock then.
 */
void shmem_get(struct shmem_inode_info *info);
void shmem_put(struct shmem_inode_info *info);

/**
 * shmem_map - map the whole segment into @mm (shmat()): a new VMA with
 * shm_vm_ops, holding a segment reference
 * @shared: MAP_SHARED (VM_SHARED); otherwise a private mapping, whose
 *	write faults copy into anonymous pages allocated by the segment's
 *	shared policy (alloc_page_vma())
 *
 * Context: takes mm->mmap_sem for write.
 * Return: the start address, or 0 on allocation failure.
 */
unsigned long shmem_map(struct mm_struct *mm, struct shmem_inode_info *info, bool shared);

/* A checked load from a segment (lib/core/access.h). */
#define info_read(info, field)	obj_read((info), shmem_inode_cachep, field)

/* Is @vma a mapping of a shmem segment?  Its segment, or NULL. */
static inline struct shmem_inode_info *shmem_vma_info(const struct vm_area_struct *vma)
{
	return vma_read(vma, vm_ops) == &shm_vm_ops ? vma_read(vma, vm_private_data) : NULL;
}

/*
 * shmem_get_policy - tmpfs's vm_ops->get_policy: the shared policy of the
 * page at @addr, with the extra reference of mpol_shared_policy_lookup().
 * Context: the VMA's mmap_sem held for read.
 * Return: the policy with its extra reference, or NULL (no range).
 *
 * shmem_set_policy - tmpfs's vm_ops->set_policy: set the policy of the
 * pages @vma covers (the tree takes its own reference on @new).
 * Context: the VMA's mmap_sem held for write.
 * Return: 0 or -ENOMEM.
 */
struct mempolicy *shmem_get_policy(struct vm_area_struct *vma, unsigned long addr);
int shmem_set_policy(struct vm_area_struct *vma, struct mempolicy *new);

/**
 * shmem_alloc_page - a page for index @idx of the segment
 *
 * A pseudo-VMA carries the looked-up shared policy into alloc_page_vma(),
 * which drops its extra reference.
 * Context: mpol_current is the faulting task (its policy is the fallback).
 * Return: the page, or NULL.
 */
struct page *shmem_alloc_page(struct shmem_inode_info *info, unsigned long idx);

/**
 * shmem_swapin - read page @idx of the segment back from swap, with
 * readahead of swapin_readahead_pages pages
 *
 * One lookup serves every page of the readahead: the shared policy is
 * copied to the stack with mpol_cond_copy(), which drops the extra
 * reference, so that no allocation drops it again.
 * Context: as shmem_alloc_page().
 * Return: the page for @idx, or NULL.
 */
struct page *shmem_swapin(struct shmem_inode_info *info, unsigned long idx);

/*
 * swapin_readahead - read_swap_cache_async() for each page of the swap
 * cluster around @entry, every one at the same @addr (so on the same
 * node), each released at once (it would stay in the swap cache; the
 * model has none); then read_swap_cache_async(@entry), whose page is
 * returned.
 * Context: @vma's policy must survive every allocation (a pseudo-VMA
 * carrying an on-stack copy: see shmem_swapin()).
 * Return: the page for @entry, or NULL.
 */
struct page *swapin_readahead(unsigned long entry, struct vm_area_struct *vma,
			      unsigned long addr);

#endif /* MT_SHMEM_H */
