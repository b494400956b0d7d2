/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mm.h - tasks, mm_structs, VMAs, files and pages: the ground the three
 * models stand on (mm.c, vma.c, page_alloc.c).
 *
 * Lock ordering (all models):
 *   mm->mmap_sem
 *     task->alloc_lock (task_lock)
 *     shared-policy sp->lock (mempolicy model)
 *     anon_vma->root->lock (anon_vma model)
 *       the slab's internal locks
 */
#ifndef MT_MM_H
#define MT_MM_H

#include "core/slab.h"
#include "lib/mm/mm_types.h"

extern struct kmem_cache *task_cachep;
extern struct kmem_cache *mm_cachep;
extern struct kmem_cache *vm_area_cachep;
extern struct kmem_cache *filp_cachep;
extern struct kmem_cache *page_cachep;
extern struct kmem_cache *page_frame_cachep;

/*
 * mm_core_init - create the caches of tasks, mms, VMAs, files and pages
 * (all SLAB_POISON).  mm_core_fini() destroys them, counting leaks.
 * Return: 0 or -ENOMEM.
 */
int mm_core_init(void);
void mm_core_fini(void);

/* ---- tasks (mm.c) ---- */

/* A task using @mm (its mm_users ref is handed over).  usage = 1. */
struct task_struct *task_create(struct mm_struct *mm);
void get_task_struct(struct task_struct *t);
void put_task_struct(struct task_struct *t);
static inline void task_lock(struct task_struct *t)
{
	spin_lock(&t->alloc_lock);
}
static inline void task_unlock(struct task_struct *t)
{
	spin_unlock(&t->alloc_lock);
}
/*
 * get_task_mm - the task's mm with an mm_users reference, or NULL when
 * the task has exited.  Context: task_lock taken inside.
 */
struct mm_struct *get_task_mm(struct task_struct *t);
/*
 * exit_mm - the task lets go of its mm (clears ->mm under task_lock) and
 * drops its mm_users reference.
 */
void exit_mm(struct task_struct *t);

/* ---- mm_struct (mm.c) ---- */

struct mm_struct *mm_alloc(void);	/* mm_users = 1, no VMA */
void mmget(struct mm_struct *mm);
bool mmget_not_zero(struct mm_struct *mm);
/* Drop a user; the last one runs exit_mmap() and frees the mm. */
void mmput(struct mm_struct *mm);

/*
 * mm_unmap_vma - called for each VMA leaving an mm (munmap, exit), after
 * it is detached and before remove_vma(): where the anon_vma model zaps
 * the VMA's pages and unlinks its anon_vmas (unmap_vmas() and
 * free_pgtables() in the kernel).  NULL when no model needs it.
 */
extern void (*mm_unmap_vma)(struct vm_area_struct *vma);

/* ---- VMAs (vma.c) ---- */

/* A new VMA of @mm, vm_ref_count = 1 (the mm's reference). */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
/* Free a VMA that was never inserted (vm_ref_count still 1). */
void vm_area_free_unused(struct vm_area_struct *vma);

/*
 * get_unmapped_area - a free range of @len bytes.
 * Context: mmap_sem held for write.
 */
unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long len);
/* Context: mmap_sem held for write.  Return: 0 or -ENOMEM. */
int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma);
/*
 * detach_vma - take @vma out of the mm's tree: new lookups no longer find
 * it; speculative readers that did see it notice vm_detached and the
 * sequence change.  Context: mmap_sem held for write.
 */
void detach_vma(struct mm_struct *mm, struct vm_area_struct *vma);
/*
 * remove_vma - close @vma, put its file (and clear vm_file), drop the
 * mm's reference.  Context: detached; mmap_sem held for write or the mm
 * has no user left.
 */
void remove_vma(struct vm_area_struct *vma);
/*
 * do_munmap - detach and remove the VMA that starts at @start.
 * Context: mmap_sem held for write.  Return: 0 or -EINVAL.
 */
int do_munmap(struct mm_struct *mm, unsigned long start);
/* Detach and remove every VMA.  Context: the mm's last user. */
void exit_mmap(struct mm_struct *mm);

/*
 * find_vma - the VMA containing @addr, or NULL.
 * Context: mmap_sem held (read or write).  The VMA lives while it is held.
 */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/*
 * find_vma_rcu - the same, without mmap_sem.
 * Context: rcu_read_lock() held.  The VMA's memory lives until the read
 * side ends; it may be detached, its count may be zero: take a reference
 * with get_vma() before using it past the read side.
 */
struct vm_area_struct *find_vma_rcu(struct mm_struct *mm, unsigned long addr);
/* A VMA by index, for walkers.  Context: mmap_sem held. */
unsigned int mm_nr_vmas(struct mm_struct *mm);
struct vm_area_struct *mm_vma_at(struct mm_struct *mm, unsigned int i);

/*
 * get_vma - take a reference on a VMA found under RCU: inc-not-zero.
 * Return: false if its count had already reached zero (it is being freed).
 */
bool get_vma(struct vm_area_struct *vma);
/*
 * put_vma - drop a VMA reference.  The last one frees the VMA after a
 * grace period (__free_vma() through call_rcu()), because speculative
 * readers may still be looking at it under RCU (seed 003).
 */
void put_vma(struct vm_area_struct *vma);
/* Put the VMA's policy and free it.  Context: no reader can reach it. */
void __free_vma(struct vm_area_struct *vma);

/*
 * mm_audit_vmas - at a quiesce point, every VMA in @mm's tree must hold
 * exactly the tree's reference: more is leaked_refs, less missing_refs.
 * Context: quiesce point (no speculative user holds a VMA).
 * Return: the number of VMAs audited.
 */
unsigned int mm_audit_vmas(struct mm_struct *mm);

/*
 * spf_get_vma - the speculative path's lookup: find the VMA of @addr
 * under RCU, take a reference (inc-not-zero), read its sequence, and
 * give up if it is detached or changing.
 * Context: registered RCU thread, no mmap_sem.
 * Return: the VMA with a reference (put_vma() it), or NULL: fall back.
 */
struct vm_area_struct *spf_get_vma(struct mm_struct *mm, unsigned long addr,
				   unsigned int *seq);
/*
 * spf_get_file - a reference on the file of a VMA the caller holds, taken
 * under RCU with get_file_rcu(); NULL if the VMA has none, or (with
 * *fallback set) if remove_vma() is putting it.
 */
struct file *spf_get_file(struct vm_area_struct *vma, bool *fallback);
/*
 * handle_speculative_fault - fault at @addr without mmap_sem (seed 003):
 * spf_get_vma(), then @fault with the VMA's policy (alive while the VMA
 * is: it is put in __free_vma()), then the file, then the sequence check.
 * Return: true if the fault completed; false: redo it under mmap_sem.
 */
bool handle_speculative_fault(struct mm_struct *mm, unsigned long addr,
			      void (*fault)(struct vm_area_struct *vma, struct mempolicy *pol,
					    unsigned long addr, void *arg),
			      void *arg);

/* vm_sequence: a seqcount per VMA, as the SPF series' vm_write_begin(). */
void vm_write_begin(struct vm_area_struct *vma);
void vm_write_end(struct vm_area_struct *vma);
/* Return: the sequence, or an odd value while a writer is inside. */
static inline unsigned int vm_read_begin(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->vm_sequence, __ATOMIC_ACQUIRE);
}
static inline bool vm_read_retry(const struct vm_area_struct *vma, unsigned int seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (seq & 1) || __atomic_load_n(&vma->vm_sequence, __ATOMIC_RELAXED) != seq;
}

/* ---- files (mm.c) ---- */

struct file *file_alloc(void);		/* f_count = 1 */
void get_file(struct file *f);
/* inc-not-zero, for a file found under RCU. */
bool get_file_rcu(struct file *f);
/* The last put frees the file after a grace period. */
void fput(struct file *f);

/* ---- pages (page_alloc.c) ---- */

/*
 * alloc_pages_node - a page whose frame is real memory on node @nid
 * (from a per-node pool placed with libnuma), _refcount 1, unmapped.
 * Return: NULL on (injected) failure.
 */
struct page *alloc_pages_node(int nid);
void get_page(struct page *page);
bool get_page_unless_zero(struct page *page);
/* The last put frees the frame and the page. */
void put_page(struct page *page);
static inline int page_mapcount(const struct page *page)
{
	return __atomic_load_n(&page->_mapcount, __ATOMIC_ACQUIRE) + 1;
}
static inline bool page_mapped(const struct page *page)
{
	return page_mapcount(page) > 0;
}

#endif /* MT_MM_H */
