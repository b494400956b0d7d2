/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * anon_vma.h - struct anon_vma and struct anon_vma_chain, and their
 * lifetime rules, as in Linux 2.6.34 with the root anon_vma of 2.6.35:
 *
 *  - seed 002 (002_a78f23a9b5c75bed.txt, Rik van Riel, "extend KSM
 *    refcounts to the anon_vma root"): the lock of every anon_vma of a
 *    tree lives in the tree's root, so a child anon_vma pins its root with
 *    an external reference taken in anon_vma_fork() and dropped when the
 *    child goes; drop_anon_vma() may free two levels (child, then root);
 *  - seed 004 (004_51e2d12db3bd8cc5.txt, Hugh Dickins, "rmaplock:
 *    SLAB_DESTROY_BY_RCU"): the anon_vma cache is typesafe by RCU, so an
 *    rmap walker that reaches an anon_vma obliquely, through page->mapping,
 *    may lock it after it was freed, and then rechecks.
 *
 * Lifetime of an anon_vma.  It lives while its list of anon_vma_chains
 * (->head) is not empty, or while its external_refcount is not zero; it
 * is freed by whoever sees both become true under the root lock:
 * anon_vma_unlink() (the last chain goes) or drop_anon_vma() (the last
 * external reference goes).  External references are held by:
 *   - each child anon_vma of a tree, on the tree's root (seed 002);
 *   - each KSM rmap_item, on the anon_vma it records (ksm.c);
 *   - each page migration in flight, on the page's anon_vma (migrate.c).
 * external_refcount counts only those, so zero is a normal state of a live
 * anon_vma (2.6.34's atomic_t): see get_anon_vma().
 *
 * Lock ordering in the anon_vma model:
 *   mm->mmap_sem                      (fork: parent's, then the child's)
 *     anon_vma->root->lock            (anon_vma_lock(); page_lock_anon_vma())
 *       page table lock               (per VMA: vma_pgtable(vma)->ptl)
 *         lru_lock                    (vmscan.c)
 *     ksm_mmlist_lock                 (ksm.c; never held with the above)
 *
 * The root lock is a spinlock in SLAB_TYPESAFE_BY_RCU memory, initialised
 * once per object by the cache's constructor and never again: a walker
 * may hold it across the free and reuse of its anon_vma (seed 004).
 */
#ifndef MT_ANON_VMA_H
#define MT_ANON_VMA_H

#include <stdint.h>
#include <urcu/list.h>

#include "core/access.h"
#include "core/locks.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "lib/mm/mm_types.h"

/*
 * struct anon_vma - heads the list of private "related" VMAs to scan when
 * an anonymous page pointing to it must be unmapped or walked.
 * @root: the root of this anon_vma tree; set at allocation, constant
 *	while the anon_vma lives; its ->lock serialises the whole tree
 * @root_gen: the root's slab generation when @root was set: the identity
 *	of the root this anon_vma pins (a tagged pointer, as page->mapping_gen)
 * @lock: used only in a root (anon_vma_lock() takes anon_vma->root->lock)
 * @external_refcount: references other than the chains on @head: child
 *	anon_vmas (on a root), KSM rmap_items, migrations in flight
 * @head: the anon_vma_chains of the VMAs linked to this anon_vma,
 *	through their ->same_anon_vma; protected by root->lock
 */
struct anon_vma {
	struct anon_vma *root;		/* ATOMIC for RCU walkers */
	uint32_t root_gen;		/* ATOMIC for RCU walkers */
	spinlock_t lock;		/* ctor-initialised once */
	refcount_t external_refcount;	/* ATOMIC; 0 is a live state */
	struct cds_list_head head;	/* protected by root->lock */
};

/*
 * struct anon_vma_chain - links one VMA to one anon_vma: a VMA is on the
 * list of its own anon_vma and of every anon_vma of its ancestors.
 * @same_vma: the VMA's list, newest first; protected by mmap_sem (and the
 *	page table lock against concurrent anon_vma_prepare())
 * @same_anon_vma: the anon_vma's list; protected by anon_vma->root->lock
 */
struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct cds_list_head same_vma;
	struct cds_list_head same_anon_vma;
};

extern struct kmem_cache *anon_vma_cachep;
extern struct kmem_cache *anon_vma_chain_cachep;

/*
 * Checked loads (lib/core/access.h).  av_read(): the anon_vma must still
 * be an anon_vma (in the typesafe cache a freed one still is: a walker
 * before its recheck may read it); av_read_gen(): the identity a handle
 * recorded (after the recheck, the walk); avc_read(): a live chain.
 */
#define av_read(av, field)		obj_read((av), anon_vma_cachep, field)
#define av_read_gen(av, gen, field)	obj_read_gen((av), anon_vma_cachep, (gen), field)
#define avc_read(avc, field)		obj_read((avc), anon_vma_chain_cachep, field)

/* Is @av's list of chains empty?  A checked load of head.next. */
static inline bool anon_vma_list_empty(const struct anon_vma *av)
{
	return av_read(av, head.next) == &av->head;
}

/**
 * anon_vma_init - create the anon_vma and anon_vma_chain caches
 *
 * The anon_vma cache is SLAB_TYPESAFE_BY_RCU with a constructor that
 * initialises the lock, the list and the count once per slab object.
 * Context: before any anon_vma is used; registered RCU thread.
 * Return: 0 or -ENOMEM.
 */
int anon_vma_init(void);

/**
 * anon_vma_fini - destroy both caches, counting leaked_objects{anon_vma}
 * and leaked_objects{anon_vma_chain}
 * Context: nobody uses an anon_vma any more; outside any RCU read side.
 * Return: the number of anon_vmas that were still live.
 */
unsigned long anon_vma_fini(void);

/**
 * anon_vma_lock - lock the anon_vma's tree: take anon_vma->root->lock
 * @anon_vma: an anon_vma the caller keeps alive (a linked VMA under
 *	mmap_sem, or an external reference)
 *
 * Checks that the root reached through @anon_vma is still the root it
 * pins (see anon_vma.c): a root freed under its tree is reported.
 * Context: any; spins.  Not for RCU walkers: see page_lock_anon_vma().
 * Return: the root whose lock is now held; pass it to anon_vma_unlock().
 */
struct anon_vma *anon_vma_lock(struct anon_vma *anon_vma);

/**
 * anon_vma_unlock - release what anon_vma_lock() took
 * @root: what anon_vma_lock() returned
 * Context: holding @root->lock.
 */
static inline void anon_vma_unlock(struct anon_vma *root)
{
	spin_unlock(&root->lock);
}

/**
 * anon_vma_root_check (anon_vma_audit.c) - is @root, reached through
 * @anon_vma, still the root @anon_vma pins?  Reports a bad access if not.
 * Context: @anon_vma is alive and the caller holds @root->lock.
 * Return: true if the root is the pinned one.
 */
bool __anon_vma_root_check(const struct anon_vma *anon_vma, struct anon_vma *root,
			   const char *where);
#define anon_vma_root_check(av, root) __anon_vma_root_check((av), (root), __func__)

/**
 * get_anon_vma - take an external reference on @anon_vma
 *
 * external_refcount counts external references only; zero is the state
 * of a live anon_vma that only its chains keep (2.6.34's atomic_t), so
 * the first reference is a 0 -> 1 that refcount_inc() would take for a
 * resurrection.  This is the kernel's atomic_inc(); saturation and
 * overflow are still reported through refcount_warn_saturate().
 * Context: the caller keeps @anon_vma alive otherwise while it gets the
 * reference: a linked VMA under mmap_sem (anon_vma_fork(), KSM), or the
 * root lock after page_lock_anon_vma()'s recheck (migration).
 */
void __get_anon_vma(struct anon_vma *anon_vma, const char *where);
#define get_anon_vma(av) __get_anon_vma((av), __func__)

/**
 * drop_anon_vma - drop an external reference; free the anon_vma, and its
 * root if that was the root's last user, when nothing keeps them
 *
 * The two-level free of seed 002: every test is done under the root lock,
 * taken by refcount_dec_and_lock() only when the count reaches zero; once
 * we know we are the last user, nobody can get a new reference and the
 * frees are done without the lock.
 * Context: the caller owns the reference it drops; no anon_vma lock held.
 */
void drop_anon_vma(struct anon_vma *anon_vma);

/**
 * anon_vma_prepare - make sure @vma has an anon_vma, before its first
 * anonymous page is mapped
 * Context: mmap_sem held (read is enough: concurrent faults on the same
 * VMA race under the root lock and the VMA's page table lock).
 * Return: 0 or -ENOMEM.
 */
int anon_vma_prepare(struct vm_area_struct *vma);

/**
 * anon_vma_clone - link @dst to every anon_vma @src is linked to
 * Context: mmap_sem of @src's mm held for write (fork), and @dst's.
 * Return: 0, or -ENOMEM with @dst's partial chain unlinked.
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);

/**
 * anon_vma_fork - attach the child VMA @vma of a fork to the anon_vmas of
 * its parent VMA @pvma, then give it an anon_vma of its own, a child of
 * @pvma's tree that pins the tree's root (seed 002)
 * Context: both mms' mmap_sem held for write (dup_mmap()).
 * Return: 0, or -ENOMEM with @vma unlinked from everything.
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);

/**
 * unlink_anon_vmas - unlink @vma from all its anon_vmas, newest first,
 * freeing each one its chain leaves empty and unreferenced (and dropping
 * that one's reference on its root: anon_vma_unlink(), seed 002)
 * Context: @vma's pages are zapped; mmap_sem held for write, or the mm
 * has no user left.
 */
void unlink_anon_vmas(struct vm_area_struct *vma);

/**
 * anon_vma_chain_length - the number of anon_vmas @vma is linked to
 * Context: mmap_sem of @vma's mm held.
 */
unsigned int anon_vma_chain_length(struct vm_area_struct *vma);

/*
 * The audit (anon_vma_audit.c): at a quiesce point, every live anon_vma's
 * external_refcount against the owners found: its child anon_vmas (on a
 * root), the holders the caller declares (KSM rmap_items; no migration is
 * in flight at a quiesce point).  An anon_vma that neither a chain nor an
 * owner keeps is a leak too.  VMAs are checked to link live anon_vmas.
 *
 *	struct anon_vma_census *c = anon_vma_audit_begin();
 *	anon_vma_audit_vma(c, vma);		// for every VMA of every mm
 *	anon_vma_audit_owner(c, av, "rmap_item");	// for every holder
 *	anon_vma_audit_end(c);			// compares and reports
 */
struct anon_vma_census;

/**
 * anon_vma_audit_begin - take the census of live anon_vmas
 * Context: a quiesce point (workers parked, rcu_barrier() done).
 * Return: the census, or NULL when out of memory (nothing is audited).
 */
struct anon_vma_census *anon_vma_audit_begin(void);
/**
 * anon_vma_audit_owner - declare an external reference on @av, held by @who
 * Context: a quiesce point.  An owner of an anon_vma that is not live is
 * reported (missing_refs).
 */
void anon_vma_audit_owner(struct anon_vma_census *c, struct anon_vma *av,
			  const char *who);
/**
 * anon_vma_audit_vma - check that @vma's chains link live anon_vmas, its
 * own among them (missing_refs otherwise)
 * Context: a quiesce point; mmap_sem of @vma's mm held.
 */
void anon_vma_audit_vma(struct anon_vma_census *c, struct vm_area_struct *vma);
/**
 * anon_vma_audit_end - compare each count with its owners (leaked_refs,
 * missing_refs; a live anon_vma that no chain and no owner keeps is
 * leaked_refs too), then free the census
 * Context: the quiesce point of anon_vma_audit_begin().
 * Return: the number of anon_vmas audited.
 */
unsigned long anon_vma_audit_end(struct anon_vma_census *c);

#endif /* MT_ANON_VMA_H */
