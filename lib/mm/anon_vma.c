// SPDX-License-Identifier: GPL-2.0-only
/*
 * anon_vma.c - the life of an anon_vma: allocation from a typesafe-by-RCU
 * cache, anon_vma_prepare/clone/fork, anon_vma_unlink, get_anon_vma and
 * the two-level drop_anon_vma, and the refcount audit.  This is the first
 * half of the kernel's mm/rmap.c of 2.6.34 with the root anon_vma of
 * 2.6.35, seeds 002 (002_a78f23a9b5c75bed.txt, "extend KSM refcounts to
 * the anon_vma root") and 004 (004_51e2d12db3bd8cc5.txt, "rmaplock:
 * SLAB_DESTROY_BY_RCU").  The page side (page_lock_anon_vma, the walks)
 * is in rmap.c.  See anon_vma.h for the lifetime rules.
 *
 * Lock ordering (anon_vma.h has the whole tree):
 *   mm->mmap_sem
 *     anon_vma->root->lock
 *       page table lock (anon_vma_prepare)
 *
 * Bugs of the catalogue switched here (lib/core/bugs.h):
 *   anon-vma-root-unpinned  the code before seed 002, which pins no root:
 *                           anon_vma_fork() takes no ref on the root,
 *                           anon_vma_unlink() drops none, drop_anon_vma()
 *                           frees one level;
 *   anon-vma-drop-one-level drop_anon_vma() frees the child and never
 *                           drops its ref on the root;
 *   anon-vma-not-typesafe   anon_vma_init() creates the cache with
 *                           SLAB_POISON instead of SLAB_TYPESAFE_BY_RCU.
 *
 * A root freed under its tree, and what detects it.  A child anon_vma's
 * ->root is not a pointer found under RCU: it is a pin, a pointer its
 * owner keeps for as long as the child lives, and dereferences outside
 * any read-side section (anon_vma_lock() under mmap_sem, drop_anon_vma()
 * with an external reference).  SLAB_TYPESAFE_BY_RCU promises nothing to
 * such a user: the memory of a freed root stays an anon_vma only while an
 * RCU reader could still be looking at it, and it may become another
 * anon_vma at once.  What a child that takes root->lock through a
 * dangling pin then sees, and what reports it:
 *   - the root's slab page went back to the pool after its grace period,
 *     or became another cache's page: the lock word is not a lock any
 *     more, and spin_lock() reports use_after_free or type_confusion by
 *     itself; obj_check() reports the same;
 *   - the root is free, its page still the cache's: the child locks a
 *     freed object -- a use after free that typesafety does not excuse;
 *   - the root was reused for another anon_vma: the child now shares the
 *     lock of an unrelated tree; the memory is another live object.
 * anon_vma_root_check() tells the last two apart from the pin being
 * right by the root's slab generation, recorded in the child when the pin
 * was taken (->root_gen, a tagged pointer like page->mapping_gen), and
 * hands a wrong pin to lib/core's classifier of bad accesses,
 * mt_slab_report_bad_access(), which reports use_after_free for a freed
 * object and type_confusion for memory that is now another live object.
 * A correct protocol never trips it: every child holds a reference on its
 * root from anon_vma_fork() until the child is freed, so the root is live
 * and keeps its generation while any child can reach it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/audit.h"
#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/memory.h"

struct kmem_cache *anon_vma_cachep;
struct kmem_cache *anon_vma_chain_cachep;

/*
 * The constructor of a typesafe cache runs once per object, when its
 * slab page is set up, never at allocation: an rmap walker may hold the
 * lock of a freed anon_vma while the object is reused (seed 004).  The
 * count and the list are also left as a free leaves them (zero, empty).
 * (For a non-typesafe cache the slab runs the constructor at each
 * allocation: that is what anon-vma-not-typesafe gets.)
 */
static void anon_vma_ctor(void *data)
{
	struct anon_vma *anon_vma = data;

	spin_lock_init(&anon_vma->lock);
	refcount_set(&anon_vma->external_refcount, 0);
	CDS_INIT_LIST_HEAD(&anon_vma->head);
}

int anon_vma_init(void)
{
	unsigned long flags = SLAB_TYPESAFE_BY_RCU;

	/*
	 * anon-vma-not-typesafe: the debug configuration poisons every cache
	 * that is not typesafe, so the broken cache is a poisoned one.
	 */
	if (mt_bug(MT_BUG_ANON_VMA_NOT_TYPESAFE))
		flags = SLAB_POISON;
	anon_vma_cachep = kmem_cache_create("anon_vma", sizeof(struct anon_vma),
					    flags, anon_vma_ctor);
	anon_vma_chain_cachep = kmem_cache_create("anon_vma_chain",
						  sizeof(struct anon_vma_chain),
						  SLAB_POISON, NULL);
	if (!anon_vma_cachep || !anon_vma_chain_cachep) {
		anon_vma_fini();
		return -ENOMEM;
	}
	return 0;
}

unsigned long anon_vma_fini(void)
{
	unsigned long leaked = 0;

	if (anon_vma_chain_cachep)
		kmem_cache_destroy(anon_vma_chain_cachep);
	if (anon_vma_cachep)
		leaked = kmem_cache_destroy(anon_vma_cachep);
	anon_vma_cachep = NULL;
	anon_vma_chain_cachep = NULL;
	return leaked;
}

/*
 * anon_vma_alloc - a new anon_vma.  The caller sets ->root (and
 * ->root_gen) before publishing it.  The count is zeroed as later kernels
 * set theirs in anon_vma_alloc(): a correct free leaves it zero anyway,
 * and no reader of a stale pointer looks at it (migration takes its
 * reference only after page_lock_anon_vma()'s recheck).  The lock is not
 * touched.
 */
static struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *anon_vma = kmem_cache_alloc(anon_vma_cachep);

	if (anon_vma)
		refcount_set(&anon_vma->external_refcount, 0);
	return anon_vma;
}

static void anon_vma_free(struct anon_vma *anon_vma)
{
	kmem_cache_free(anon_vma_cachep, anon_vma);
}

/*
 * Set @anon_vma's root pin.  The release store pairs with the acquire
 * load of ->root in page_lock_anon_vma(): a walker that reads the root of
 * a reused anon_vma also sees every store that preceded the free of its
 * previous identity (the unmap of the page it looked up), so its recheck
 * of page_mapped() cannot pass on a stale mapcount.
 */
static void anon_vma_set_root(struct anon_vma *anon_vma, struct anon_vma *root,
			      uint32_t root_gen)
{
	WRITE_ONCE(anon_vma->root_gen, root_gen);
	smp_store_release(&anon_vma->root, root);
}

static struct anon_vma_chain *anon_vma_chain_alloc(void)
{
	return kmem_cache_alloc(anon_vma_chain_cachep);
}

static void anon_vma_chain_free(struct anon_vma_chain *avc)
{
	kmem_cache_free(anon_vma_chain_cachep, avc);
}

struct anon_vma *anon_vma_lock(struct anon_vma *anon_vma)
{
	struct anon_vma *root = av_read(anon_vma, root);

	spin_lock(&root->lock);
	anon_vma_root_check(anon_vma, root);
	return root;
}

void __get_anon_vma(struct anon_vma *anon_vma, const char *where)
{
	if (!obj_access(anon_vma, anon_vma_cachep))
		return;		/* a get on memory that is no anon_vma: reported */
	__refcount_inc_zero_live(&anon_vma->external_refcount, where);
}

void drop_anon_vma(struct anon_vma *anon_vma)
{
	struct anon_vma *root = av_read(anon_vma, root);
	bool empty, last_root_user = false, root_empty = false;

	race_window("anon-drop-dec");
	if (!root || !refcount_dec_and_lock(&anon_vma->external_refcount, &root->lock))
		return;
	anon_vma_root_check(anon_vma, root);
	empty = anon_vma_list_empty(anon_vma);
	/*
	 * The refcount on a non-root anon_vma got dropped.  Drop the
	 * refcount on the root and check if we need to free it.
	 * anon-vma-drop-one-level: the child's pin on the root leaks.
	 * anon-vma-root-unpinned: no child has a pin, and the drop frees one
	 * level, as the open-coded drops before seed 002 did.
	 */
	if (empty && anon_vma != root && !mt_bug(MT_BUG_ANON_VMA_DROP_ONE_LEVEL) &&
	    !mt_bug(MT_BUG_ANON_VMA_ROOT_UNPINNED)) {
		last_root_user = refcount_dec_and_test(&root->external_refcount);
		root_empty = anon_vma_list_empty(root);
	}
	anon_vma_unlock(root);

	if (empty) {
		race_window("anon-drop-to-free");
		anon_vma_free(anon_vma);
		if (root_empty && last_root_user)
			anon_vma_free(root);
	}
}

static void anon_vma_chain_link(struct vm_area_struct *vma,
				struct anon_vma_chain *avc,
				struct anon_vma *anon_vma)
{
	struct anon_vma *root;

	avc->vma = vma;
	avc->anon_vma = anon_vma;
	cds_list_add(&avc->same_vma, &vma->anon_vma_chain);

	root = anon_vma_lock(anon_vma);
	cds_list_add_tail(&avc->same_anon_vma, &anon_vma->head);
	anon_vma_unlock(root);
}

int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma = vma_read(vma, anon_vma);
	struct vma_pgtable *pt = vma_pgtable(vma);
	struct anon_vma *allocated, *root;
	struct anon_vma_chain *avc;

	smp_rmb();	/* pairs with the release that published ->anon_vma */
	lockdep_assert_held_read(&vma_read(vma, vm_mm)->mmap_sem);
	if (likely(anon_vma))
		return 0;

	avc = anon_vma_chain_alloc();
	if (!avc)
		return -ENOMEM;
	/*
	 * The kernel first tries find_mergeable_anon_vma() (an adjacent VMA's
	 * anon_vma); the model never merges VMAs, so each VMA that faults
	 * first gets a new anon_vma, the root of a new tree.
	 */
	anon_vma = anon_vma_alloc();
	if (unlikely(!anon_vma)) {
		anon_vma_chain_free(avc);
		return -ENOMEM;
	}
	anon_vma_set_root(anon_vma, anon_vma, obj_gen(anon_vma));
	allocated = anon_vma;

	root = anon_vma_lock(anon_vma);
	/* page_table_lock to protect against threads */
	spin_lock(&pt->ptl);
	if (likely(!vma_read(vma, anon_vma))) {
		avc->anon_vma = anon_vma;
		avc->vma = vma;
		cds_list_add(&avc->same_vma, &vma->anon_vma_chain);
		cds_list_add_tail(&avc->same_anon_vma, &anon_vma->head);
		/* KSM reads ->anon_vma under mmap_sem for read: publish it last */
		smp_store_release(&vma->anon_vma, anon_vma);
		allocated = NULL;
		avc = NULL;
	}
	spin_unlock(&pt->ptl);
	anon_vma_unlock(root);

	if (unlikely(allocated))
		anon_vma_free(allocated);
	if (unlikely(avc))
		anon_vma_chain_free(avc);
	return 0;
}

int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct anon_vma_chain *avc, *pavc;

	/* oldest first, so that @dst's list ends up newest first like @src's */
	cds_list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		avc = anon_vma_chain_alloc();
		if (!avc)
			goto enomem_failure;
		anon_vma_chain_link(dst, avc, avc_read(pavc, anon_vma));
	}
	return 0;

enomem_failure:
	unlink_anon_vmas(dst);
	return -ENOMEM;
}

int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma, *pav = vma_read(pvma, anon_vma);

	lockdep_assert_held_write(&vma_read(pvma, vm_mm)->mmap_sem);
	lockdep_assert_held_write(&vma_read(vma, vm_mm)->mmap_sem);
	/* Don't bother if the parent process has no anon_vma here. */
	if (!pav)
		return 0;

	/*
	 * First, attach the new VMA to the parent VMA's anon_vmas, so rmap
	 * can find non-COWed pages in child processes.
	 */
	if (anon_vma_clone(vma, pvma))
		return -ENOMEM;

	/* Then add our own anon_vma. */
	anon_vma = anon_vma_alloc();
	if (!anon_vma)
		goto out_error;
	avc = anon_vma_chain_alloc();
	if (!avc)
		goto out_error_free_anon_vma;

	/*
	 * The root anon_vma's spinlock is the lock actually used when we
	 * lock any of the anon_vmas in this anon_vma tree.  The pin's
	 * identity is the parent's: the root it pins is the one it names.
	 */
	anon_vma_set_root(anon_vma, av_read(pav, root), av_read(pav, root_gen));
	race_window("anon-fork-to-pin");
	/*
	 * With KSM refcounts, an anon_vma can stay around longer than the
	 * process it belongs to.  The root anon_vma needs to be pinned until
	 * this anon_vma is freed, because the lock lives in the root.
	 * (anon-vma-root-unpinned: no pin.)  The parent VMA, linked under
	 * our mmap_sem, keeps the root alive while we take it.
	 */
	if (!mt_bug(MT_BUG_ANON_VMA_ROOT_UNPINNED))
		get_anon_vma(anon_vma->root);
	/* Mark this anon_vma as the one where our new (COWed) pages go. */
	smp_store_release(&vma->anon_vma, anon_vma);
	anon_vma_chain_link(vma, avc, anon_vma);
	return 0;

out_error_free_anon_vma:
	anon_vma_free(anon_vma);
out_error:
	unlink_anon_vmas(vma);
	return -ENOMEM;
}

static void anon_vma_unlink(struct anon_vma_chain *anon_vma_chain)
{
	struct anon_vma *anon_vma = avc_read(anon_vma_chain, anon_vma), *root;
	bool empty;

	/* If anon_vma_fork fails, we can get an empty anon_vma_chain. */
	if (!anon_vma)
		return;

	root = anon_vma_lock(anon_vma);
	cds_list_del(&anon_vma_chain->same_anon_vma);

	/* We must garbage collect the anon_vma if it's empty */
	empty = anon_vma_list_empty(anon_vma) &&
		!refcount_read(&anon_vma->external_refcount);
	anon_vma_unlock(root);

	if (empty) {
		race_window("anon-unlink-to-free");
		/*
		 * We no longer need the root anon_vma.  (A root has no pin
		 * on itself; anon-vma-root-unpinned: no child has one.)
		 */
		struct anon_vma *pinned = av_read(anon_vma, root);

		if (pinned != anon_vma && !mt_bug(MT_BUG_ANON_VMA_ROOT_UNPINNED))
			drop_anon_vma(pinned);
		anon_vma_free(anon_vma);
	}
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	/*
	 * Unlink each anon_vma chained to the VMA.  This list is ordered
	 * from newest to oldest, ensuring the root anon_vma gets freed last.
	 */
	cds_list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		anon_vma_unlink(avc);
		cds_list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
	}
	WRITE_ONCE(vma->anon_vma, NULL);
}

unsigned int anon_vma_chain_length(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;
	unsigned int n = 0;

	lockdep_assert_held(&vma_read(vma, vm_mm)->mmap_sem);
	cds_list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		n += obj_access(avc, anon_vma_chain_cachep);
	return n;
}
