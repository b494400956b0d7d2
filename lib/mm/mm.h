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

#include "core/access.h"
#include "core/slab.h"
#include "lib/mm/mm_types.h"

extern struct kmem_cache *task_cachep;
extern struct kmem_cache *mm_cachep;
extern struct kmem_cache *vm_area_cachep;
extern struct kmem_cache *filp_cachep;
extern struct kmem_cache *page_cachep;
extern struct kmem_cache *page_frame_cachep;

/*
 * Checked loads (lib/core/access.h) from the objects of these caches: a
 * load from an object another thread may have freed is a use; it is
 * checked as KASAN would check it, and reads as zero if it was bad.
 * vma_read() also takes an on-stack pseudo-VMA (shmem's), unchecked.
 */
#define vma_read(vma, field)	obj_read_any((vma), vm_area_cachep, field)
#define file_read(f, field)	obj_read((f), filp_cachep, field)
#define page_read(pg, field)	obj_read((pg), page_cachep, field)
#define mm_read(mm, field)	obj_read((mm), mm_cachep, field)
#define task_read(t, field)	obj_read((t), task_cachep, field)

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

/*
 * The lookup and freeing protocol of the speculative fault (seed 003),
 * chosen per job before any VMA exists (see vma.c):
 *  VMA_LOOKUP_RB_LOCK  the posted patch: the tree under mm->mm_rb_lock,
 *                      get_vma() a plain increment under it, the last
 *                      put_vma() frees at once;
 *  VMA_LOOKUP_RCU      the series' next step: find_vma_rcu() under RCU,
 *                      get_vma() inc-not-zero, the last put_vma() frees
 *                      after a grace period.
 */
enum vma_lookup_protocol { VMA_LOOKUP_RCU, VMA_LOOKUP_RB_LOCK };
extern enum vma_lookup_protocol vma_lookup;
/* The most VMAs an mm may have: split_vma() fails with -ENOMEM beyond. */
extern unsigned int vma_max_map_count;
/* The vm_ops of a file mapping (no operation): not vma_is_anonymous(). */
extern const struct vm_operations_struct generic_file_vm_ops;

/*
 * mm_split_ops - what split_vma() asks of the model that owns an
 * anonymous VMA's page table and anon_vmas (memory.c), NULL if none:
 * @prepare: give @new (its bounds set) a page table and @vma's anon_vma
 *	chains; may fail (-ENOMEM) leaving @new as it was
 * @commit: set @vma's new bounds (vma_set_bounds()) and move the ptes of
 *	@new's range into @new's page table, under the locks rmap walkers
 *	take
 * Context: mmap_sem held for write.
 */
struct mm_split_ops {
	int (*prepare)(struct vm_area_struct *new, struct vm_area_struct *vma);
	void (*commit)(struct vm_area_struct *new, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end, unsigned long pgoff);
};
extern const struct mm_split_ops *mm_split_ops;

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
 * vma_set_bounds - change @vma's range and offset, inside its sequence
 * count (vm_write_begin()/vm_write_end()).
 * Context: mmap_sem held for write.
 */
void vma_set_bounds(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		    unsigned long pgoff);
/**
 * split_vma - cut @vma in two at @addr (mm/mmap.c, 2.6.24): a new VMA
 * takes [vm_start, addr) (@new_below) or [addr, vm_end), with a copy of
 * the policy (mpol_dup()), a file reference, ->open(), and, for an
 * anonymous VMA, its share of the page table and the anon_vma chains
 * (mm_split_ops)
 * Context: mmap_sem held for write.
 * Return: 0, -EINVAL (@addr not inside, or not huge-page aligned in a
 * VM_HUGETLB VMA), -ENOMEM (also at vma_max_map_count).
 */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr,
	      int new_below);
/* Could @prev and @next be one VMA (same flags, ops, file and policy, no anon_vma)? */
bool vma_can_merge(const struct vm_area_struct *prev, const struct vm_area_struct *next);
/**
 * vma_merge_hole - a mapping fills the hole between @prev and the VMA
 * after it, and the three become @prev (vma_merge() case 1, through
 * __vma_adjust() with remove_next): the next VMA leaves the tree, its
 * file reference is put, and it goes with put_vma() (seed 003)
 * Context: mmap_sem held for write.
 * Return: 0, or -EINVAL when there is no next VMA or it cannot merge.
 */
int vma_merge_hole(struct mm_struct *mm, struct vm_area_struct *prev);

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
 * mm_vmas - the VMAs of @mm in address order, and their number in @nr:
 * a walk's one look at the array (the lock asserted once, not per VMA).
 * Context: mmap_sem held; the array is valid until it is dropped or, held
 * for write, until the walker inserts or detaches a VMA.
 */
struct vm_area_struct *const *mm_vmas(struct mm_struct *mm, unsigned int *nr);

/*
 * get_vma - take a reference on a VMA a speculative reader found: under
 * rb_lock a plain increment (Context: mm->mm_rb_lock held), under rcu an
 * inc-not-zero (Context: rcu_read_lock()).
 * Return: false if its count had already reached zero (it is being freed),
 * or the VMA was not one any more (reported).
 */
bool get_vma(struct vm_area_struct *vma);
/*
 * put_vma - drop a VMA reference.  The last one frees the VMA: at once
 * under rb_lock, after a grace period under rcu (__free_vma() through
 * call_rcu()), because speculative readers may still be looking at it
 * under RCU (seed 003).
 */
void put_vma(struct vm_area_struct *vma);
/* Put the VMA's policy and free it.  Context: no reader can reach it. */
void __free_vma(struct vm_area_struct *vma);

/*
 * mm_audit_vmas (mm_audit.c) - at a quiesce point, every VMA in @mm's tree must hold
 * exactly the tree's reference: more is leaked_refs, less missing_refs.
 * Context: quiesce point (no speculative user holds a VMA).
 * Return: the number of VMAs audited.
 */
unsigned int mm_audit_vmas(struct mm_struct *mm);

/*
 * spf_get_vma - the speculative path's lookup: find the VMA of @addr and
 * take a reference (under mm_rb_lock, or under RCU with inc-not-zero, by
 * vma_lookup), read its sequence, and give up if it is detached or
 * changing.
 * Context: registered RCU thread, no mmap_sem.
 * Return: the VMA with a reference (put_vma() it), or NULL: fall back.
 */
struct vm_area_struct *spf_get_vma(struct mm_struct *mm, unsigned long addr,
				   unsigned int *seq);
/*
 * handle_speculative_fault - fault at @addr without mmap_sem (seed 003):
 * spf_get_vma(); an anonymous VMA only (a file-backed one falls back: the
 * path never reads vm_file); @fault with the VMA's policy (alive while
 * the VMA is: it is put in __free_vma()); then the sequence check.
 * Return: true if the fault completed; false: redo it under mmap_sem.
 */
bool handle_speculative_fault(struct mm_struct *mm, unsigned long addr,
			      void (*fault)(struct vm_area_struct *vma, struct mempolicy *pol,
					    unsigned long addr, void *arg),
			      void *arg);

/*
 * spf_commit_check (mm_audit.c) - may a speculative fault that read
 * @vma's sequence @seq commit?  Not if the sequence moved (the VMA
 * changed: redo it under mmap_sem), nor if @vma had been removed from its
 * mm before (use_after_free: its page tables are going; the correct
 * protocol never gets there).
 * Return: true if it may commit.
 */
bool spf_commit_check(const struct vm_area_struct *vma, unsigned int seq, const char *where);

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
/* The last put frees the file after a grace period (the kernel's deferred __fput()). */
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
/* A checked load: a freed page reads as unmapped (0). */
static inline int page_mapcount(const struct page *page)
{
	int mapcount = __atomic_load_n(&page->_mapcount, __ATOMIC_ACQUIRE);

	return obj_access(page, page_cachep) ? mapcount + 1 : 0;
}
static inline bool page_mapped(const struct page *page)
{
	return page_mapcount(page) > 0;
}

#endif /* MT_MM_H */
