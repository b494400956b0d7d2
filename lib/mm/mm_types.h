/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mm_types.h - the structures the models share, named and laid out as in
 * the kernel's include/linux/mm_types.h and sched.h, reduced to the fields
 * the modelled protocols touch.
 *
 * One struct vm_area_struct serves all three models, as in the kernel:
 * the mempolicy model (seeds 000/001) uses vm_policy and vm_ops, the
 * anon_vma model (seeds 002/004) anon_vma and anon_vma_chain, the VMA
 * model (seed 003) vm_ref_count, vm_sequence and vm_file.
 *
 * Addresses are model addresses: a VMA covers [vm_start, vm_end) of an
 * address space that exists only as numbers; pages are real memory.
 */
#ifndef MT_MM_TYPES_H
#define MT_MM_TYPES_H

#include <stdint.h>
#include <stdbool.h>
#include <urcu/list.h>

#include "core/locks.h"
#include "core/rcu.h"
#include "core/refcount.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ul << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define HPAGE_SHIFT	21

struct mempolicy;
struct anon_vma;
struct vm_area_struct;
struct mm_struct;
struct shmem_inode_info;

/* vm_flags */
#define VM_READ		0x00000001ul
#define VM_WRITE	0x00000002ul
#define VM_SHARED	0x00000008ul
#define VM_HUGETLB	0x00400000ul
#define VM_MERGEABLE	0x80000000ul	/* KSM may merge its pages */

/*
 * struct page - a real page frame and its metadata.
 * @_refcount: references (the allocation, page tables, isolations)
 * @_mapcount: page table mappings, -1 when unmapped (as in the kernel)
 * @mapping: for anon pages, the anon_vma | PAGE_MAPPING_ANON; ATOMIC
 * @mapping_gen: the anon_vma's generation when @mapping was set (a
 *	tagged pointer: lets a reader see that the anon_vma it reached
 *	through @mapping has since become another one)
 * @nid: the node the frame was allocated on
 * @frame: the frame, PAGE_SIZE bytes of real memory on @nid
 */
struct page {
	refcount_t _refcount;
	int _mapcount;			/* ATOMIC */
	unsigned long mapping;		/* ATOMIC */
	uint32_t mapping_gen;		/* ATOMIC */
	int nid;
	unsigned long index;
	void *frame;
	struct cds_list_head lru;	/* the model's LRU, under its lock */
	unsigned long flags;		/* PG_lru (vmscan.h), under the LRU's lock */
	unsigned long private;		/* a swap entry (shmem.c) */
};

#define PAGE_MAPPING_ANON	0x1ul

/*
 * struct file - an open file: only its count matters here.  Freed through
 * call_rcu() once the count drops to zero: late, as the kernel's fput()
 * leaves the final __fput() to task work.
 */
struct file {
	refcount_t f_count;
	unsigned long f_id;
	struct rcu_head f_rcu;
};

struct vm_operations_struct {
	void (*open)(struct vm_area_struct *vma);
	void (*close)(struct vm_area_struct *vma);
	/* mempolicy: shared policies of shmem VMAs (seed 001) */
	int (*set_policy)(struct vm_area_struct *vma, struct mempolicy *new);
	struct mempolicy *(*get_policy)(struct vm_area_struct *vma, unsigned long addr);
};

struct vm_area_struct {
	unsigned long vm_start;		/* protected by mmap_sem; read under RCU */
	unsigned long vm_end;
	unsigned long vm_pgoff;
	unsigned long vm_flags;
	struct mm_struct *vm_mm;
	const struct vm_operations_struct *vm_ops;
	void *vm_private_data;		/* shmem VMAs: the struct shmem_inode_info */

	/* mempolicy (seeds 000/001): protected by mmap_sem */
	struct mempolicy *vm_policy;

	/* anon_vma (seeds 002/004): protected by mmap_sem and the root lock */
	struct anon_vma *anon_vma;
	struct cds_list_head anon_vma_chain;

	/* seed 003: speculative page faults */
	refcount_t vm_ref_count;	/* the mm's + speculative users' */
	unsigned int vm_sequence;	/* ATOMIC: seqcount, odd while changing */
	bool vm_detached;		/* ATOMIC: removed from the mm's tree */
	struct file *vm_file;		/* ATOMIC: cleared by remove_vma(); never read speculatively */
	struct rcu_head vm_rcu;
};

/*
 * The VMA "tree": a sorted array of VMAs, published with
 * rcu_assign_pointer() and replaced whole under mmap_sem for write, so
 * that find_vma_rcu() can binary-search it without mmap_sem (the SPF
 * series' mm_rb under RCU, in its simplest form).  The old array is freed
 * after a grace period.  A VMA that goes after the last one, while the
 * array has room, is appended in place: its slot is written, then the
 * count (a release, read with an acquire).
 */
struct vma_array {
	unsigned int nr;		/* ATOMIC */
	unsigned int cap;		/* slots allocated */
	struct rcu_head rcu;
	struct vm_area_struct *vma[];
};

struct mm_struct {
	refcount_t mm_users;		/* tasks using it, and get_task_mm() users */
	struct rw_semaphore mmap_sem;
	/*
	 * seed 003 as posted: protects the tree for speculative readers
	 * (vma_lookup == VMA_LOOKUP_RB_LOCK); the series' rwlock_t
	 */
	spinlock_t mm_rb_lock;
	struct vma_array *mmap;		/* RCU; replaced under mmap_sem for write */
	int map_count;			/* protected by mmap_sem */
	unsigned long free_area;	/* next address for a new VMA; mmap_sem */
	struct task_struct *owner;
	int id;
};

struct task_struct {
	refcount_t usage;		/* get_task_struct()/put_task_struct() */
	int pid;
	spinlock_t alloc_lock;		/* task_lock(): protects ->mm */
	struct mm_struct *mm;
	/* seed 001: set by the task itself under mm->mmap_sem (write); others read it under it (read) */
	struct mempolicy *mempolicy;
	unsigned int il_next;		/* next node of an interleave task policy */
	bool exiting;			/* ATOMIC */
};

#endif /* MT_MM_TYPES_H */
