/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mempolicy.h - struct mempolicy and its reference counting, 2.6.24
 * (seeds 000 and 001: "mempolicy: rework mempolicy Reference Counting
 * [yet again]", and the "MEMORY POLICY REFERENCE COUNTING" section of
 * Documentation/vm/numa_memory_policy.txt it adds).
 *
 * The rules, from that document:
 *  1. the system default policy is never freed and never unref'd;
 *  2. the current task's policy needs no extra reference: only the task
 *     changes it;
 *  3. another task's policy needs none either: the reader holds that
 *     task's mmap_sem for read, and do_set_mempolicy() takes it for write;
 *  4. a VMA policy needs none: lookups hold mmap_sem for read, mbind()
 *     replaces under mmap_sem for write;
 *  5. a shared policy (shmem range) gets an extra reference at lookup,
 *     under the shared-policy spinlock, and MPOL_F_SHARED marks it so
 *     that mpol_cond_put() drops it when the user is finished.
 *
 * mpol_cond_copy() (mpol_cond_assign() in the RFC) copies a shared policy
 * to an on-stack policy without MPOL_F_SHARED and drops the extra ref,
 * for paths that allocate several pages from one lookup (shmem_swapin).
 *
 * "current".  The model's tasks are run by worker threads: a thread
 * acting as task T sets mpol_current = T (mpol_set_current()), and the
 * paths that the kernel runs on current (faults, set/get_mempolicy,
 * mbind) use it.  A task is only ever run by one thread at a time, as in
 * the kernel: rule 2 holds because of that.  Several tasks may share one
 * mm (the threads of one process): each has its own task policy, and
 * their mbind(), faults and get_mempolicy() meet on the mm's VMAs under
 * its mmap_sem (rule 4).
 *
 * Pseudo-VMAs.  shmem builds an on-stack VMA that carries only a policy
 * (vm_mm NULL): a shared policy with its extra reference, or an on-stack
 * copy.  Paths recognise a real VMA by its vm_mm.
 *
 * Detectors seen here (mempolicy_audit.c and lib/core/access.h, which
 * never read the bug registry): every load from a policy is a checked
 * load, pol_read() (use_after_free once the policy is freed, the way
 * KASAN instruments the load); mpol_get() and __mpol_put() check the
 * object before the count (mpol_put_check(): use_after_free on a freed
 * policy, refcount_underflow on default_policy; the refcount itself on a
 * zero count); the audit compares counts with owners at quiesce points.
 */
#ifndef MT_MEMPOLICY_H
#define MT_MEMPOLICY_H

#include <stddef.h>

#include "core/access.h"
#include "core/counters.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "lib/mm/mm_types.h"

/* policy modes */
enum {
	MPOL_DEFAULT,
	MPOL_PREFERRED,
	MPOL_BIND,
	MPOL_INTERLEAVE,
	MPOL_MAX,
};

/* internal flags */
#define MPOL_F_SHARED	(1 << 0)	/* identify shared policies */
#define MPOL_F_LOCAL	(1 << 1)	/* preferred local allocation */

/* get_mempolicy() flags */
#define MPOL_F_ADDR	(1 << 1)	/* look up the VMA policy at addr */

/* Node ids the model's policies may name (the slab keeps one pool per node). */
#define MAX_NUMNODES	MT_MAX_NODES
#define NODE_MASK_ALL	((1ul << MAX_NUMNODES) - 1)

typedef struct {
	unsigned long bits;		/* nodes 0..MAX_NUMNODES-1 */
} nodemask_t;

static inline void node_set(int nid, nodemask_t *m)
{
	m->bits |= 1ul << nid;
}

static inline bool node_isset(int nid, const nodemask_t *m)
{
	return nid >= 0 && nid < MAX_NUMNODES && (m->bits & (1ul << nid));
}

static inline int nodes_weight(const nodemask_t *m)
{
	return __builtin_popcountl(m->bits & NODE_MASK_ALL);
}

/* The first node of @m, or MAX_NUMNODES if it is empty. */
static inline int first_node(const nodemask_t *m)
{
	unsigned long b = m->bits & NODE_MASK_ALL;

	return b ? __builtin_ctzl(b) : MAX_NUMNODES;
}

/* The next node of @m after @n (n = -1: the first), or MAX_NUMNODES. */
static inline int next_node(int n, const nodemask_t *m)
{
	unsigned long b = m->bits & NODE_MASK_ALL;

	if (n + 1 >= MAX_NUMNODES)
		return MAX_NUMNODES;
	b &= ~0ul << (n + 1);
	return b ? __builtin_ctzl(b) : MAX_NUMNODES;
}

struct mempolicy {
	refcount_t refcnt;
	unsigned short mode;
	unsigned short flags;
	union {
		int preferred_node;	/* MPOL_PREFERRED; -1 = local */
		nodemask_t nodes;	/* MPOL_BIND, MPOL_INTERLEAVE */
	} v;
};

/* The system default: MPOL_PREFERRED, local.  Static; never freed. */
extern struct mempolicy default_policy;
/* The "numa_policy" cache (SLAB_POISON), created by mempolicy_init(). */
extern struct kmem_cache *policy_cache;

/*
 * pol_read - a checked load of @field of @pol (lib/core/access.h): a
 * policy of the cache must be live; default_policy and an on-stack copy
 * (mpol_cond_copy()) are no slab objects and are read as they are.
 * pol_copy - the same for an aggregate field (v.nodes).
 * Context: any; the caller holds what keeps @pol alive, or the check
 * reports that nothing did.
 */
#define pol_read(pol, field)	obj_read_any((pol), policy_cache, field)
#define pol_copy(pol, field)	obj_copy_any((pol), policy_cache, field)

/*
 * pol_snapshot - the whole policy copied, then checked once: the checked
 * load of a user that reads several of its fields (a policy's mode,
 * flags and nodes do not change while it is in use; its count is not for
 * reading from a copy).  A bad one reads as all zero.
 */
static inline struct mempolicy __pol_snapshot(const struct mempolicy *pol, const char *where)
{
	struct mempolicy p;

	memcpy(&p, pol, sizeof(p));
	barrier();
	if (unlikely(!__obj_access(pol, policy_cache, true, where)))
		memset(&p, 0, sizeof(p));
	return p;
}
#define pol_snapshot(pol)	__pol_snapshot((pol), __func__)

/* The task the calling thread is running as (the kernel's "current"). */
extern __thread struct task_struct *mpol_current;

static inline void mpol_set_current(struct task_struct *t)
{
	mpol_current = t;
}

/*
 * mempolicy_init - create the "numa_policy" cache.  mempolicy_fini()
 * destroys it (leaked_objects{numa_policy}) and resets default_policy.
 * Context: before / after every user of policies (init, teardown);
 * mempolicy_fini() waits for RCU callbacks (__free_vma() puts policies).
 * Return: 0 or -ENOMEM.
 */
int mempolicy_init(void);
void mempolicy_fini(void);

/*
 * mpol_new - a new policy, refcnt 1 (the installer's reference).
 * Context: any; allocates from policy_cache.
 * Return: the policy, NULL for MPOL_DEFAULT (no policy), or NULL with
 * *err = -EINVAL (bad mode or nodes) or -ENOMEM.
 */
struct mempolicy *mpol_new(unsigned short mode, const nodemask_t *nodes, int *err);

/*
 * mpol_get - take a reference on @pol (NULL: nothing).
 * Context: the caller already holds a reference, or the lock that keeps
 * @pol installed (mmap_sem for a task or VMA policy, sp->lock for a
 * tree node's).
 */
static inline void mpol_get(struct mempolicy *pol)
{
	/* a get on a freed policy: reported, not written into the poison */
	if (pol && obj_access_any(pol, policy_cache))
		refcount_inc(&pol->refcnt);
}

/*
 * __mpol_put - drop a reference; the last one frees the policy at once.
 * Context: any (also under sp->lock).  The caller owns the reference it
 * drops; a put on default_policy or on a freed policy is reported
 * (mpol_put_check()) and does nothing.
 *
 * mpol_put - the same for a policy that may be NULL.
 * Context: as __mpol_put().
 */
void __mpol_put(struct mempolicy *pol, const char *where);
#define mpol_put(pol) do {				\
	struct mempolicy *__p = (pol);			\
	if (__p)					\
		__mpol_put(__p, __func__);		\
} while (0)

/*
 * mpol_needs_cond_ref - does @pol need an explicit unref after use?
 * Only shared ones (MPOL_F_SHARED), which a lookup returned with an
 * extra reference.
 * Context: the caller holds what keeps @pol alive (its owner's lock, or
 * the lookup's reference).
 */
static inline bool mpol_needs_cond_ref(const struct mempolicy *pol)
{
	return pol && (pol_read(pol, flags) & MPOL_F_SHARED);
}

/*
 * A user of a shared policy is about to drop its extra reference and
 * holds the last one: every tree node that owned the policy was deleted
 * (a replace of the range) while the user had it.  That is the race rule
 * 5 is for, seen to happen: counted as an overlap (informational).
 */
static inline void mpol_note_last_ref(const struct mempolicy *pol)
{
	if (refcount_read(&pol->refcnt) == 1)
		mt_count(MT_OVERLAPS);
}

static inline void __mpol_cond_put(struct mempolicy *pol, const char *where)
{
	if (mpol_needs_cond_ref(pol)) {
		mpol_note_last_ref(pol);
		__mpol_put(pol, where);
	}
}

/*
 * mpol_cond_put - drop the extra reference of a shared policy, when the
 * user of a lookup (get_vma_policy(), mpol_shared_policy_lookup()) is
 * finished with it; nothing for any other policy.
 * Context: the caller holds the lookup's reference on a shared @pol; for
 * the others, what kept them alive during the use (mmap_sem, or being
 * current's own policy).
 */
#define mpol_cond_put(pol)	__mpol_cond_put((pol), __func__)

/*
 * mpol_cond_copy - if @frompol needs a conditional unref, copy it to
 * @tompol, clear MPOL_F_SHARED in the copy and drop the extra reference.
 * Context: the caller holds @frompol's extra reference (a shared lookup)
 * and @tompol lives as long as the copy is used (the caller's stack).
 * Return: @tompol, or @frompol when no copy was needed.
 */
struct mempolicy *mpol_cond_copy(struct mempolicy *tompol, struct mempolicy *frompol);

/**
 * mpol_dup - a copy of @old for a new VMA (split_vma()): 2.6.24's
 * mpol_copy(), "*new = *old" with a count of 1; every flag is kept
 * @err: 0, or -ENOMEM
 * Context: any; @old is kept alive by the caller (mmap_sem).
 * Return: the copy, or NULL (@old NULL, or *@err set).
 */
struct mempolicy *mpol_dup(struct mempolicy *old, int *err);
/* Do @a and @b say the same (mode, flags but MPOL_F_SHARED, nodes)?  NULL only equals NULL. */
bool mpol_equal(const struct mempolicy *a, const struct mempolicy *b);

/* ---- the model's detectors on policies (mempolicy_audit.c) ---- */

/*
 * mpol_put_check - may @pol take a put?  Counts refcount_underflow for
 * default_policy (rule 1: never unref'd) and use_after_free (or
 * type_confusion) for a policy that is not live.
 * Context: as __mpol_put().
 * Return: true if the put may go on.
 */
bool mpol_put_check(const struct mempolicy *pol, const char *where);

/* ---- policy lookup and use (mempolicy.c) ---- */

/**
 * get_vma_policy - the effective policy for @vma at @addr
 * @task: the task whose policy is the fallback (current, or the task a
 *	/proc/<pid>/numa_maps reader looks at); may be NULL (no task policy)
 * @vma: the VMA, a shmem pseudo-VMA (vm_mm NULL), or NULL
 * @addr: the address in @vma
 *
 * Falls back to @task's policy, then to the system default.  Task and
 * non-shared VMA policies are protected by the task's mmap_sem and get
 * no reference; a shared policy (from vm_ops->get_policy) comes with an
 * extra reference that the caller must drop with mpol_cond_put().
 * Context: @vma->vm_mm->mmap_sem held for read (a real VMA), and
 * @task->mm->mmap_sem for read when @task is not current and its mm is
 * another one (both are asserted).
 * Return: the policy, never NULL.
 */
struct mempolicy *get_vma_policy(struct task_struct *task, struct vm_area_struct *vma,
				 unsigned long addr);

/**
 * alloc_page_vma - allocate a page for a fault at @addr of @vma
 *
 * Chooses the node by the VMA's effective policy (PREFERRED: the node,
 * or the local one; BIND: the local node if allowed, else the first of
 * the mask, falling back through the mask; INTERLEAVE: interleave_nid())
 * and allocates with alloc_pages_node(); page->nid is the node used.
 * A shared policy's extra reference is dropped once the interleave node
 * is chosen, or after the allocation for the other modes (the BIND mask
 * lives in the policy).
 * Context: as get_vma_policy(); mpol_current is the faulting task.
 * Return: the page (one reference), or NULL.
 */
struct page *alloc_page_vma(struct vm_area_struct *vma, unsigned long addr);

/*
 * alloc_pages_current - a page for the current task outside any VMA
 * (page cache, kernel allocations): its own policy, interleaving through
 * current->il_next.
 * Context: mpol_current is the task; no lock needed (rule 2: only the
 * task changes its policy and il_next).
 * Return: the page, or NULL.
 */
struct page *alloc_pages_current(void);

/*
 * mpol_fault_node - the node alloc_page_vma() would allocate on, without
 * allocating: the policy lookup, node choice and unref of the fault path.
 * Context: as alloc_page_vma().  For the benchmark and tests.
 * Return: the node.
 */
int mpol_fault_node(struct vm_area_struct *vma, unsigned long addr);

/**
 * huge_zonelist - the nodes for a huge page fault at @addr of @vma
 * @mpol: set to the policy to unref after the allocation with
 *	mpol_cond_put(), or NULL when nothing is to be dropped
 * @nodemask: set to the nodes allowed (MPOL_BIND: the policy's own mask,
 *	valid while *@mpol is held), or NULL
 *
 * Context: as get_vma_policy().
 * Return: the node to start from.
 */
int huge_zonelist(struct vm_area_struct *vma, unsigned long addr,
		  struct mempolicy **mpol, const nodemask_t **nodemask);

/*
 * dequeue_huge_page - a "huge page" (a page standing for one) for a
 * hugetlb fault: huge_zonelist(), the allocation, mpol_cond_put().
 * Context: as get_vma_policy(); mpol_current is the faulting task.
 * Return: the page, or NULL.
 */
struct page *dequeue_huge_page(struct vm_area_struct *vma, unsigned long addr);

/**
 * new_vma_page - the migration target for @page of the VMA in @private:
 * alloc_page_vma() at the address @page has in the VMA
 * @page: the page being migrated; page->index is its linear page index
 * @private: the struct vm_area_struct * (migrate_pages()' private)
 * @result: unused
 *
 * Context: the VMA's mmap_sem held (read suffices for the policy).
 * Return: the new page, or NULL.
 */
struct page *new_vma_page(struct page *page, unsigned long private, int **result);

/**
 * do_set_mempolicy - replace current's task policy
 *
 * Takes current->mm->mmap_sem for write around the replace (patch 1 of
 * the series), so that a numa_maps reader of this task, which holds it
 * for read, never sees the old policy freed.  The old policy is put.
 * Context: mpol_current is the task; no lock held.
 * Return: 0, -EINVAL or -ENOMEM.
 */
long do_set_mempolicy(unsigned short mode, const nodemask_t *nodes);

/**
 * do_mbind - set the policy of [start, start + len) of current's mm
 *
 * A VMA covered in part is split first (split_vma(): a SHM_HUGETLB or
 * hugetlb VMA only at a huge page boundary, -EINVAL otherwise), then
 * each VMA covered gets the policy with policy_vma(), as 2.6.24 did:
 * vm_ops->set_policy() first (a shmem segment's tree; nothing for a
 * SHM_HUGETLB one), then vm_policy takes a reference on it and the old
 * one is put.
 * Context: mpol_current is the task; takes its mmap_sem for write.
 * Return: 0, -EINVAL, -EFAULT (no VMA) or -ENOMEM (also when a split
 * would pass vma_max_map_count).
 */
long do_mbind(unsigned long start, unsigned long len, unsigned short mode,
	      const nodemask_t *nodes);

/**
 * do_get_mempolicy - query current's policy, or with MPOL_F_ADDR the
 * policy of the VMA at @addr (shared: with an extra ref, dropped here)
 * @policy: the mode (MPOL_DEFAULT for the system default)
 * @nmask: the nodes, or NULL
 *
 * Context: mpol_current is the task; takes its mmap_sem for read with
 * MPOL_F_ADDR, none otherwise (rule 2), and holds it until the mask is
 * read: another thread of the process may mbind() the VMA meanwhile.
 * Return: 0, -EINVAL or -EFAULT.
 */
long do_get_mempolicy(int *policy, nodemask_t *nmask, unsigned long addr,
		      unsigned long flags);

/**
 * show_numa_map - one line of /proc/<pid>/numa_maps: @vma's policy
 * @task: the task being shown (usually not current)
 *
 * Context: @task->mm->mmap_sem held for read (seed 001, point 3).
 * Return: the length written to @buf.
 */
int show_numa_map(struct task_struct *task, struct vm_area_struct *vma,
		  char *buf, size_t len);

/*
 * show_numa_maps - read /proc/<pid>/numa_maps of @task: get_task_mm(),
 * mmap_sem for read, show_numa_map() on each VMA.
 * Context: no lock held.  Return: the number of VMAs shown, or -ESRCH.
 */
int show_numa_maps(struct task_struct *task, char *buf, size_t len);

/*
 * mpol_to_str - render @pol as numa_maps does ("interleave=0,1").
 * Context: @pol is protected by its owner's lock or a reference.
 * Return: the length snprintf() would write.
 */
int mpol_to_str(char *buf, size_t len, const struct mempolicy *pol);

/*
 * exit_mempolicy - do_exit()'s put of the task policy.
 * Context: the task has left its mm (exit_mm()): no numa_maps reader can
 * reach its policy through its mm any more, and nothing runs as it.
 */
void exit_mempolicy(struct task_struct *task);

/* ---- the refcount audit (mempolicy_audit.c) ---- */

struct mpol_audit;
struct shared_policy;
struct shmem_inode_info;

/*
 * The audit counts owners, then compares: every live policy's refcount
 * against the owners that point to it (leaked_refs above, missing_refs
 * below), a live policy with no owner at all is lost
 * (leaked_objects{numa_policy}), every owner's policy must be live
 * (missing_refs otherwise), default_policy's count must be untouched, and
 * every shmem segment seen holds one reference per VMA mapping it plus
 * the extra ones declared.
 */

/*
 * mpol_audit_begin - take the census of the live policies and segments.
 * Context: a quiesce point: no thread uses a policy, no transient
 * reference is held (workers parked, rcu_barrier() done).
 * Return: the audit, or NULL when out of memory (nothing is audited; the
 * other calls accept NULL).
 */
struct mpol_audit *mpol_audit_begin(void);
/*
 * mpol_audit_owner - a long-lived owner outside tasks, VMAs and trees (a
 * cache, a table) holds one reference on @pol.
 * Context: between mpol_audit_begin() and mpol_audit_end().
 */
void mpol_audit_owner(struct mpol_audit *a, struct mempolicy *pol,
		      const char *kind, const void *who);
/*
 * mpol_audit_task - the task's policy, and, if it is its mm's owner (the
 * first task of the process), its VMAs' policies and the segments its
 * shmem VMAs map: an mm shared by several tasks is audited once.
 * Context: as mpol_audit_owner(); takes the task's mmap_sem for read.
 */
void mpol_audit_task(struct mpol_audit *a, struct task_struct *t);
/*
 * mpol_audit_shmem - @extra_refs long-lived references on a segment (an
 * id table's); its tree is walked by mpol_audit_end().
 * Context: as mpol_audit_owner(); takes no lock.
 */
void mpol_audit_shmem(struct mpol_audit *a, struct shmem_inode_info *info,
		      int extra_refs);
/*
 * mpol_audit_end - walk every live segment's tree (its nodes own their
 * policies), compare, report, free.
 * Context: as mpol_audit_owner(); takes each tree's sp->lock.
 * Return: the number of discrepancies reported.
 */
unsigned long mpol_audit_end(struct mpol_audit *a);

#endif /* MT_MEMPOLICY_H */
