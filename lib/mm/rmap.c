// SPDX-License-Identifier: GPL-2.0-only
/*
 * rmap.c - the page side of the anon_vma reverse map: anonymous page
 * mapping counts, page_lock_anon_vma() and the walk of an anon_vma's
 * chains (the second half of 2.6.34's mm/rmap.c; seed 004,
 * 004_51e2d12db3bd8cc5.txt, "rmaplock: SLAB_DESTROY_BY_RCU", and the
 * root lock of seed 002).  The anon_vma objects themselves are in
 * anon_vma.c.
 *
 * Lock ordering in the anon_vma model:
 *   mm->mmap_sem
 *     anon_vma->root->lock          page_lock_anon_vma(), anon_vma_lock()
 *       vma_pgtable(vma)->ptl       the pte of one VMA
 *         lru_lock
 *
 * Bug of the catalogue switched here: rmap-no-recheck
 * (page_lock_anon_vma() locks and does not recheck).
 *
 * Which kernel the recheck follows.  2.6.34's page_lock_anon_vma() has no
 * recheck: it checks page_mapped(), takes anon_vma->lock and returns, and
 * seed 004 explains why that was enough then -- the lock was the
 * anon_vma's own, and a walk of a reused anon_vma "always checks that the
 * page located is the right one".  Once the lock lives in the root (seed
 * 002, 2.6.35), a walker that read ->root of an anon_vma freed and reused
 * under it locks the wrong tree, walks a list that lock does not protect,
 * and unlocks whatever ->root says by then; 2.6.36 therefore rechecks
 * page_mapped() after taking the root lock (Hugh Dickins' fix for a hang
 * on anon_vma->root->lock).  The model has seed 002's root lock, and the
 * issue asks for the recheck, so it follows 2.6.36, with two more loads
 * that the argument below shows redundant but that cost nothing: ->mapping
 * unchanged, and ->root still the root locked.  rmap-no-recheck is the
 * 2.6.34 form on top of the root lock, which is where it breaks.
 *
 * page_lock_anon_vma() VS the unmap and free of its anon_vma.  The walker
 * holds a reference on the page, not on the anon_vma: the page cannot be
 * freed, but it can be unmapped the instant after the walker read
 * page->mapping, and its anon_vma then freed and reused for another
 * anon_vma (never for anything else under rcu_read_lock(): the cache is
 * typesafe).  So the walker locks first and asks afterwards:
 *
 *   page_lock_anon_vma()             zap + unlink_anon_vmas() + free
 *     rcu_read_lock()
 *     av = page->mapping
 *     page_mapped()?                   _mapcount -> -1  (page_remove_rmap)
 *     root = av->root (acquire)        lock(root); list_del(avc);
 *     spin_lock(&root->lock)           empty? unlock(root)
 *     page_mapped()?                   kmem_cache_free(av)
 *     av->root == root?                  ... av reused: av->root = R2
 *                                        (store-release)
 *
 * Claim: if the recheck passes, av is the anon_vma the page names (its
 * generation is page->mapping_gen) and cannot be freed until the walker
 * unlocks.  The free of av is decided in a critical section of the lock
 * of av's root R, after every VMA that mapped the page unlinked (each
 * after zapping its pte: _mapcount stores before its own R sections) and
 * after any migration unmapped the page (under R too).
 *  - The walker locked R, and its section comes after the deciding one:
 *    it sees every unmap; _mapcount is -1 and, the page never being
 *    mapped again once unmapped, it stays -1: the recheck fails.
 *  - The walker locked R, and its section comes first: av is not yet
 *    freed, and cannot be until the walker unlocks.
 *  - The walker locked another lock R2: it read av->root after av was
 *    reused with the root R2.  The reuse's store-release of av->root was
 *    made after the allocation, which the slab orders after the free,
 *    which followed the deciding R section: the walker's acquire load of
 *    av->root makes every unmap visible, and the recheck fails.  (If R2
 *    happens to be R again, the first case applies.)
 *  - The walker read R before the free and locked it after a reuse with
 *    another root: av->root is no longer R, and the third test fails.
 * So the walker never uses a reused anon_vma, and the check of the
 * anon_vma's generation in rmap_walk_anon_locked() -- the stale_object
 * detector -- never fires in the correct protocol.  Without the recheck it
 * does, whenever the walk reaches an anon_vma reused since the lookup.
 */
#include <errno.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/memory.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"

void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma,
			    unsigned long address)
{
	struct anon_vma *anon_vma = vma_read(vma, anon_vma);

	lockdep_assert_held(&vma_pgtable(vma)->ptl);
	WRITE_ONCE(page->index, linear_page_index(vma, address));
	/* the VMA keeps its anon_vma alive: this is its identity */
	WRITE_ONCE(page->mapping_gen, obj_gen(anon_vma));
	smp_store_release(&page->mapping, (unsigned long)anon_vma | PAGE_MAPPING_ANON);
	/* increment count (starts at -1) */
	__atomic_store_n(&page->_mapcount, 0, __ATOMIC_RELEASE);
	lru_cache_add(page);
}

bool page_add_anon_rmap(struct page *page, struct vm_area_struct *vma,
			unsigned long address)
{
	lockdep_assert_held(&vma_pgtable(vma)->ptl);
	return __atomic_fetch_add(&page->_mapcount, 1, __ATOMIC_ACQ_REL) == -1;
}

bool page_remove_rmap(struct page *page)
{
	int now;

	if (!obj_access(page, page_cachep))
		return false;
	now = __atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_ACQ_REL);
	return page_mapcount_check(page, now, __func__) && now == -1;
}

struct anon_vma *page_lock_anon_vma(struct page *page, struct anon_vma_walk *w)
{
	struct anon_vma *anon_vma, *root;
	unsigned long anon_mapping;

	w->anon_vma = NULL;
	w->root = NULL;
	rcu_read_lock();
	/* page->mapping is the RCU-protected pointer of this lookup */
	anon_mapping = smp_load_acquire(&page->mapping);
	race_window("sync-rcu-dereference");
	if ((anon_mapping & PAGE_MAPPING_ANON) != PAGE_MAPPING_ANON)
		goto out;
	w->gen = page_read(page, mapping_gen);
	if (!page_mapped(page))
		goto out;

	anon_vma = (struct anon_vma *)(anon_mapping - PAGE_MAPPING_ANON);
	race_window("anon-lookup-to-lock");
	/*
	 * The oblique approach: before we read ->root, the memory must still
	 * be an anon_vma.  In a typesafe cache it always is, under RCU; in
	 * any other it may be poison already (use_after_free) or another
	 * cache's (type_confusion), and we bail out as a KASAN-instrumented
	 * kernel in multi-shot mode would go on: without using it.
	 */
	if (!obj_access(anon_vma, anon_vma_cachep))
		goto out;
	root = smp_load_acquire(&anon_vma->root);
	if (!obj_access(anon_vma, anon_vma_cachep) || !obj_access(root, anon_vma_cachep))
		goto out;
	spin_lock(&root->lock);
	w->anon_vma = anon_vma;
	w->root = root;

	/* rmap-no-recheck: trust what was read before the lock */
	if (mt_bug(MT_BUG_RMAP_NO_RECHECK))
		return anon_vma;

	/*
	 * If this page is still mapped, then its anon_vma cannot have been
	 * freed.  But if it has been unmapped, we have no security against
	 * the anon_vma structure being freed and reused (for another
	 * anon_vma: SLAB_DESTROY_BY_RCU guarantees that - so the spin_lock
	 * above cannot corrupt).  See the top of this file for why these
	 * three loads suffice.
	 */
	if (page_mapped(page) && page_read(page, mapping) == anon_mapping &&
	    av_read(anon_vma, root) == root) {
		/* the anon_vma is proven: its pin on its root must hold */
		anon_vma_root_check(anon_vma, root);
		return anon_vma;
	}
	/*
	 * Caught: the page was unmapped, and its anon_vma may be freed.  Was
	 * the memory already reused for another anon_vma (a new generation,
	 * or another root), or only unmapped (or freed and not reused)?
	 */
	if (obj_gen(anon_vma) != w->gen || av_read(anon_vma, root) != root)
		mt_count(MT_RECHECK_REUSED);
	spin_unlock(&root->lock);
	w->anon_vma = NULL;
	w->root = NULL;
	mt_count(MT_RECHECK_CAUGHT);
	mt_count(MT_OVERLAPS);
out:
	rcu_read_unlock();
	return NULL;
}

void page_unlock_anon_vma(struct anon_vma_walk *w)
{
	spin_unlock(&w->root->lock);
	rcu_read_unlock();
}

int rmap_walk_anon_locked(struct anon_vma_walk *w, struct page *page,
			  rmap_one_fn fn, void *arg)
{
	struct anon_vma *anon_vma = w->anon_vma;
	struct cds_list_head *pos;
	int mapped = 0;

	lockdep_assert_held(&w->root->lock);
	race_window("anon-lock-to-walk");
	/*
	 * The use: from here on we read the anon_vma's list.  It must be the
	 * identity the page named when we looked it up.
	 */
	switch (obj_check_gen(anon_vma, anon_vma_cachep, w->gen)) {
	case OBJ_LIVE:
		break;
	case OBJ_FREE_TYPESAFE:
		/* freed, not reused: its list is empty, nothing to walk */
		mt_count(MT_OVERLAPS);
		return -1;
	case OBJ_BAD:
		return -1;	/* reported */
	}

	for (pos = av_read_gen(anon_vma, w->gen, head.next); pos && pos != &anon_vma->head;) {
		struct anon_vma_chain *avc =
			cds_list_entry(pos, struct anon_vma_chain, same_anon_vma);
		struct vm_area_struct *vma;
		struct vma_pgtable *pt;
		unsigned long address;
		int stop = 0;

		/* every load checked: a corrupted list is reported, not followed into poison */
		vma = avc_read(avc, vma);
		pos = avc_read(avc, same_anon_vma.next);
		if (!vma || !obj_access(vma, vm_area_cachep))
			break;
		address = vma_address(page, vma);
		if (address == (unsigned long)-EFAULT)
			continue;
		pt = vma_pgtable(vma);
		if (!pt)
			continue;
		spin_lock(&pt->ptl);
		if (pt_read(pt, pte[(address - vma_read(vma, vm_start)) >> PAGE_SHIFT]) == page) {
			mapped++;
			if (fn)
				stop = fn(page, vma, address, arg);
		}
		spin_unlock(&pt->ptl);
		if (stop)
			break;
	}
	return mapped;
}

int page_referenced(struct page *page)
{
	struct anon_vma_walk w;
	int referenced;

	if (!page_lock_anon_vma(page, &w))
		return -1;
	referenced = rmap_walk_anon_locked(&w, page, NULL, NULL);
	page_unlock_anon_vma(&w);
	return referenced;
}
