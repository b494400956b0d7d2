// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksm.c - KSM's external references on anon_vmas (2.6.34's mm/ksm.c:
 * hold_anon_vma(), ksm_drop_anon_vma(), the mm_slot scan and ksm_exit();
 * seed 002, 002_a78f23a9b5c75bed.txt).  See ksm.h for what is modelled.
 *
 * Lock ordering: ksm_mmlist_lock alone.  An rmap_item is taken off its
 * slot's list under ksm_mmlist_lock before ksmd works on it (drops it, or
 * walks its anon_vma), so that two workers playing ksmd never work on the
 * same one; anon_vma locks are taken after ksm_mmlist_lock is released.
 *
 * Bug of the catalogue switched here: ksm-unlocked-drop.  Before seed 002
 * KSM dropped its reference with code of its own, open-coded in ksm.c:
 *
 *	if (atomic_dec_and_lock(&anon_vma->external_refcount,
 *				&anon_vma->root->lock)) {
 *		int empty = list_empty(&anon_vma->head);
 *		anon_vma_unlock(anon_vma);
 *		if (empty)
 *			anon_vma_free(anon_vma);
 *	}
 *
 * The catalogue's broken form is that code with the lock left out: the
 * count is decremented with a plain atomic_dec_and_test(), and "zero and
 * no chain left" is then tested without the root lock.  It races with
 * anon_vma_unlink(), which tests the same two things under the lock:
 *
 *   ksm_drop_anon_vma() (unlocked)       anon_vma_unlink()
 *     count--  -> 0                        lock(root)
 *                                          list_del(last avc)
 *                                          empty && count == 0 -> free
 *                                          unlock(root)
 *     list_empty()? yes -> free          (double_free)
 *
 * or, when the memory was reused meanwhile, frees or leaks another
 * anon_vma (double_free, leaked_objects).  Only the race is broken: the
 * open-coded form freed one level because, before seed 002, a child held
 * no reference on its root; here every child does (anon_vma_fork()), so
 * the broken form lets go of that pin when it frees a child, as
 * anon_vma_unlink() does.  With one thread nothing races and it is
 * correct.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/prng.h"
#include "lib/mm/ksm.h"
#include "lib/mm/memory.h"

static struct kmem_cache *rmap_item_cache;
static struct kmem_cache *mm_slot_cache;
static spinlock_t ksm_mmlist_lock;
static struct cds_list_head ksm_mm_head;	/* protected by ksm_mmlist_lock */
static unsigned long ksm_items;			/* protected by ksm_mmlist_lock */
static unsigned int ksm_max_items;
static int next_slot_id;

/* liburcu's list has cds_list_move() (to the head) but no move_tail */
static inline void cds_list_move_tail(struct cds_list_head *e, struct cds_list_head *head)
{
	cds_list_del(e);
	cds_list_add_tail(e, head);
}

int ksm_init(unsigned int max_items)
{
	rmap_item_cache = kmem_cache_create("rmap_item", sizeof(struct rmap_item),
					    SLAB_POISON, NULL);
	mm_slot_cache = kmem_cache_create("mm_slot", sizeof(struct mm_slot),
					  SLAB_POISON, NULL);
	if (!rmap_item_cache || !mm_slot_cache) {
		kmem_cache_destroy(rmap_item_cache);
		kmem_cache_destroy(mm_slot_cache);
		rmap_item_cache = mm_slot_cache = NULL;
		return -ENOMEM;
	}
	spin_lock_init(&ksm_mmlist_lock);
	CDS_INIT_LIST_HEAD(&ksm_mm_head);
	ksm_items = 0;
	ksm_max_items = max_items;
	next_slot_id = 1;
	return 0;
}

static void free_rmap_item(struct rmap_item *rmap_item)
{
	kmem_cache_free(rmap_item_cache, rmap_item);
}

/*
 * The open-coded drop of ksm-unlocked-drop (see the top of this file):
 * no root lock.  The count is decremented as an atomic_t was, on the raw
 * value, so that refcount_t's own checks do not step in.
 */
static void ksm_drop_anon_vma_unlocked(struct anon_vma *anon_vma)
{
	struct anon_vma *root = READ_ONCE(anon_vma->root);

	if (__atomic_sub_fetch(&anon_vma->external_refcount.refs, 1, __ATOMIC_ACQ_REL))
		return;
	race_window("anon-ksm-dec-to-test");
	/* list_empty(), read as a racing reader must: once */
	if (READ_ONCE(anon_vma->head.next) != &anon_vma->head)
		return;
	race_window("anon-ksm-test-to-free");
	/* the child's pin on its root goes with it (anon_vma_unlink()) */
	if (root != anon_vma)
		drop_anon_vma(root);
	kmem_cache_free(anon_vma_cachep, anon_vma);
}

void ksm_drop_anon_vma(struct rmap_item *rmap_item)
{
	struct anon_vma *anon_vma = rmap_item->anon_vma;

	rmap_item->anon_vma = NULL;
	if (mt_bug(MT_BUG_KSM_UNLOCKED_DROP))
		ksm_drop_anon_vma_unlocked(anon_vma);
	else
		drop_anon_vma(anon_vma);
}

static void hold_anon_vma(struct rmap_item *rmap_item, struct anon_vma *anon_vma)
{
	rmap_item->anon_vma = anon_vma;
	get_anon_vma(anon_vma);
}

struct mm_slot *ksm_enter(void)
{
	struct mm_slot *slot = kmem_cache_zalloc(mm_slot_cache);

	if (!slot)
		return NULL;
	CDS_INIT_LIST_HEAD(&slot->rmap_list);
	spin_lock(&ksm_mmlist_lock);
	slot->id = next_slot_id++;
	cds_list_add_tail(&slot->mm_list, &ksm_mm_head);
	spin_unlock(&ksm_mmlist_lock);
	return slot;
}

/* Called with ksm_mmlist_lock held: free a slot nobody needs any more. */
static bool slot_free_if_done(struct mm_slot *slot)
{
	if (!slot->owner_gone || slot->nr_items)
		return false;
	cds_list_del(&slot->mm_list);
	kmem_cache_free(mm_slot_cache, slot);
	return true;
}

void ksm_exit(struct mm_slot *slot)
{
	spin_lock(&ksm_mmlist_lock);
	slot->exiting = true;
	/* hurry its rmap_items: make it the next one ksmd scans */
	cds_list_move(&slot->mm_list, &ksm_mm_head);
	spin_unlock(&ksm_mmlist_lock);
}

void ksm_slot_release(struct mm_slot *slot)
{
	spin_lock(&ksm_mmlist_lock);
	slot->exiting = true;
	slot->owner_gone = true;
	slot_free_if_done(slot);
	spin_unlock(&ksm_mmlist_lock);
}

int ksm_hold_page(struct mm_slot *slot, struct vm_area_struct *vma,
		  unsigned long address)
{
	struct anon_vma *anon_vma;
	struct rmap_item *rmap_item;

	lockdep_assert_held_read(&vma->vm_mm->mmap_sem);
	/* published by anon_vma_prepare()/anon_vma_fork() with a release */
	anon_vma = smp_load_acquire(&vma->anon_vma);
	if (!anon_vma)
		return -EAGAIN;
	rmap_item = kmem_cache_zalloc(rmap_item_cache);
	if (!rmap_item)
		return -ENOMEM;

	spin_lock(&ksm_mmlist_lock);
	if (slot->exiting || ksm_items >= ksm_max_items) {	/* ksm_test_exit() */
		spin_unlock(&ksm_mmlist_lock);
		free_rmap_item(rmap_item);
		return -EAGAIN;
	}
	/*
	 * The VMA, linked to its anon_vma while we hold mmap_sem, keeps it
	 * alive: the reference may be taken outside its lock.
	 */
	hold_anon_vma(rmap_item, anon_vma);
	rmap_item->address = address;
	rmap_item->slot = slot;
	cds_list_add_tail(&rmap_item->link, &slot->rmap_list);
	slot->nr_items++;
	ksm_items++;
	spin_unlock(&ksm_mmlist_lock);
	return 0;
}

/* Called with ksm_mmlist_lock held: take @rmap_item off its slot. */
static void rmap_item_detach(struct rmap_item *rmap_item)
{
	cds_list_del(&rmap_item->link);
	rmap_item->slot->nr_items--;
	ksm_items--;
}

unsigned int ksm_scan_drop(void)
{
	struct cds_list_head dropped;
	struct rmap_item *rmap_item, *next;
	struct mm_slot *slot;
	unsigned int n = 0;

	CDS_INIT_LIST_HEAD(&dropped);
	spin_lock(&ksm_mmlist_lock);
	if (cds_list_empty(&ksm_mm_head)) {
		spin_unlock(&ksm_mmlist_lock);
		return 0;
	}
	slot = cds_list_entry(ksm_mm_head.next, struct mm_slot, mm_list);
	if (slot->exiting) {
		/* remove_trailing_rmap_items(): the mm is gone, so are they */
		cds_list_for_each_entry_safe(rmap_item, next, &slot->rmap_list, link) {
			rmap_item_detach(rmap_item);
			cds_list_add_tail(&rmap_item->link, &dropped);
		}
		if (!slot_free_if_done(slot))
			cds_list_move_tail(&slot->mm_list, &ksm_mm_head);
	} else {
		/* remove_rmap_item_from_tree(): the oldest one changed */
		if (!cds_list_empty(&slot->rmap_list)) {
			rmap_item = cds_list_entry(slot->rmap_list.next,
						   struct rmap_item, link);
			rmap_item_detach(rmap_item);
			cds_list_add_tail(&rmap_item->link, &dropped);
		}
		cds_list_move_tail(&slot->mm_list, &ksm_mm_head);
	}
	spin_unlock(&ksm_mmlist_lock);

	cds_list_for_each_entry_safe(rmap_item, next, &dropped, link) {
		cds_list_del(&rmap_item->link);
		ksm_drop_anon_vma(rmap_item);
		free_rmap_item(rmap_item);
		n++;
	}
	return n;
}

int ksm_rmap_walk(void)
{
	struct rmap_item *rmap_item = NULL;
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma, *root;
	struct mm_slot *slot;
	int found = 0;

	/* take the first item of the first slot that has one, off its list */
	spin_lock(&ksm_mmlist_lock);
	cds_list_for_each_entry(slot, &ksm_mm_head, mm_list) {
		if (cds_list_empty(&slot->rmap_list))
			continue;
		rmap_item = cds_list_entry(slot->rmap_list.next, struct rmap_item, link);
		cds_list_del(&rmap_item->link);
		cds_list_move_tail(&slot->mm_list, &ksm_mm_head);
		break;
	}
	spin_unlock(&ksm_mmlist_lock);
	if (!rmap_item)
		return -1;

	/*
	 * rmap_walk_ksm(): the item's reference keeps its anon_vma alive,
	 * and the anon_vma pins the root whose lock we take -- even when
	 * every process of the tree has exited (seed 002).
	 */
	anon_vma = rmap_item->anon_vma;
	race_window("anon-ksm-walk-lock");
	root = anon_vma_lock(anon_vma);
	cds_list_for_each_entry(avc, &anon_vma->head, same_anon_vma) {
		struct vm_area_struct *vma;

		/* a corrupted list must be reported, not followed into poison */
		if (!obj_valid(avc, anon_vma_chain_cachep))
			break;
		vma = avc->vma;
		if (!obj_valid(vma, vm_area_cachep))
			break;
		if (rmap_item->address < vma->vm_start || rmap_item->address >= vma->vm_end)
			continue;
		found++;
	}
	anon_vma_unlock(root);

	/* back on its slot; the slot cannot go while it has items */
	spin_lock(&ksm_mmlist_lock);
	cds_list_add_tail(&rmap_item->link, &rmap_item->slot->rmap_list);
	spin_unlock(&ksm_mmlist_lock);
	return found;
}

void ksm_audit(struct anon_vma_census *c)
{
	struct mm_slot *slot;
	struct rmap_item *rmap_item;

	spin_lock(&ksm_mmlist_lock);
	cds_list_for_each_entry(slot, &ksm_mm_head, mm_list)
		cds_list_for_each_entry(rmap_item, &slot->rmap_list, link)
			anon_vma_audit_owner(c, rmap_item->anon_vma, "a KSM rmap_item");
	spin_unlock(&ksm_mmlist_lock);
}

unsigned long ksm_nr_items(void)
{
	unsigned long n;

	spin_lock(&ksm_mmlist_lock);
	n = ksm_items;
	spin_unlock(&ksm_mmlist_lock);
	return n;
}

void ksm_fini(void)
{
	struct mm_slot *slot, *snext;
	struct rmap_item *rmap_item, *next;

	if (!rmap_item_cache)
		return;
	/* like ksmd after every mm exited: drop everything */
	cds_list_for_each_entry_safe(slot, snext, &ksm_mm_head, mm_list) {
		cds_list_for_each_entry_safe(rmap_item, next, &slot->rmap_list, link) {
			cds_list_del(&rmap_item->link);
			ksm_drop_anon_vma(rmap_item);
			free_rmap_item(rmap_item);
		}
		slot->nr_items = 0;
		cds_list_del(&slot->mm_list);
		kmem_cache_free(mm_slot_cache, slot);
	}
	ksm_items = 0;
	kmem_cache_destroy(rmap_item_cache);
	kmem_cache_destroy(mm_slot_cache);
	rmap_item_cache = mm_slot_cache = NULL;
}
