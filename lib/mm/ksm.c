// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksm.c - KSM's external references on anon_vmas (2.6.34's mm/ksm.c:
 * hold_anon_vma(), ksm_drop_anon_vma(), the stable tree with
 * remove_node_from_stable_tree(), break_cow(), the mm_slot scan and
 * ksm_exit(); seed 002, 002_a78f23a9b5c75bed.txt).  See ksm.h for what is
 * modelled.
 *
 * The seed changes the three places where KSM drops the reference an
 * rmap_item holds, all to ksm_drop_anon_vma() -> drop_anon_vma():
 *  - break_cow(), which undoes a merge that could not be completed ("It
 *    is not an accident that whenever we want to break COW to undo, we
 *    also need to drop a reference to the anon_vma"), and then looks the
 *    address up again under mmap_sem;
 *  - remove_node_from_stable_tree(), when a KSM page goes: every
 *    rmap_item of its stable node lets go of its anon_vma;
 *  - remove_rmap_item_from_tree(), when ksmd finds the page changed or
 *    the mm gone.
 * Any of them may free two levels (a child anon_vma and the root), when
 * every process of the tree has exited.
 *
 * Lock ordering:
 *   ksm_mmlist_lock          the slots and their rmap_lists
 *   ksm_stable_lock          the stable tree, each node's hlist, and
 *     anon_vma->root->lock   which item holds a reference (->head);
 *                            rmap_walk_ksm() locks anon_vmas under it
 * The two KSM locks are never held together.  An rmap_item is taken off
 * its slot's list under ksm_mmlist_lock before ksmd drops it, so that two
 * workers playing ksmd never drop the same one; a stable item's
 * reference belongs to whoever takes it off its stable node under
 * ksm_stable_lock (sets ->head to NULL): the drop is done after the lock.
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

#define STABLE_NODES_MAX	16	/* KSM pages at once: the tree stays small */

/*
 * struct stable_node - a KSM page: the rmap_items that map it
 * @list: on ksm_stable_tree (the kernel's rb-tree); protected by ksm_stable_lock
 * @hlist: its rmap_items, through ->hlist; protected by ksm_stable_lock
 */
struct stable_node {
	struct cds_list_head list;
	struct cds_list_head hlist;
	unsigned long kpfn;
};

static struct kmem_cache *rmap_item_cache;
static struct kmem_cache *mm_slot_cache;
static struct kmem_cache *stable_node_cache;
static spinlock_t ksm_mmlist_lock;
static spinlock_t ksm_stable_lock;
static struct cds_list_head ksm_mm_head;	/* protected by ksm_mmlist_lock */
static struct cds_list_head ksm_stable_tree;	/* protected by ksm_stable_lock */
static unsigned int ksm_stable_nodes;		/* protected by ksm_stable_lock */
static unsigned long ksm_items;			/* protected by ksm_mmlist_lock */
static unsigned long ksm_pages_sharing;		/* protected by ksm_stable_lock */
static unsigned int ksm_max_items;
static int next_slot_id;
static unsigned long next_kpfn;

#define item_read(it, field)	obj_read((it), rmap_item_cache, field)

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
	stable_node_cache = kmem_cache_create("stable_node", sizeof(struct stable_node),
					      SLAB_POISON, NULL);
	if (!rmap_item_cache || !mm_slot_cache || !stable_node_cache) {
		kmem_cache_destroy(rmap_item_cache);
		kmem_cache_destroy(mm_slot_cache);
		kmem_cache_destroy(stable_node_cache);
		rmap_item_cache = mm_slot_cache = stable_node_cache = NULL;
		return -ENOMEM;
	}
	spin_lock_init(&ksm_mmlist_lock);
	spin_lock_init(&ksm_stable_lock);
	CDS_INIT_LIST_HEAD(&ksm_mm_head);
	CDS_INIT_LIST_HEAD(&ksm_stable_tree);
	ksm_stable_nodes = 0;
	ksm_items = 0;
	ksm_pages_sharing = 0;
	ksm_max_items = max_items;
	next_slot_id = 1;
	next_kpfn = 1;
	return 0;
}

static void free_rmap_item(struct rmap_item *rmap_item)
{
	kmem_cache_free(rmap_item_cache, rmap_item);
}

static bool remove_rmap_item_from_tree(struct rmap_item *rmap_item);

/*
 * The open-coded drop of ksm-unlocked-drop (see the top of this file):
 * no root lock.  The count is decremented as an atomic_t was, on the raw
 * value, so that refcount_t's own checks do not step in.
 */
static void ksm_drop_anon_vma_unlocked(struct anon_vma *anon_vma)
{
	struct anon_vma *root = av_read(anon_vma, root);

	if (__atomic_sub_fetch(&anon_vma->external_refcount.refs, 1, __ATOMIC_ACQ_REL))
		return;
	race_window("anon-ksm-dec-to-test");
	/* list_empty(), read as a racing reader must: once */
	if (!anon_vma_list_empty(anon_vma))
		return;
	race_window("anon-ksm-test-to-free");
	/* the child's pin on its root goes with it (anon_vma_unlink()) */
	if (root && root != anon_vma)
		drop_anon_vma(root);
	kmem_cache_free(anon_vma_cachep, anon_vma);
}

static void ksm_drop_ref(struct anon_vma *anon_vma)
{
	if (mt_bug(MT_BUG_KSM_UNLOCKED_DROP))
		ksm_drop_anon_vma_unlocked(anon_vma);
	else
		drop_anon_vma(anon_vma);
}

void ksm_drop_anon_vma(struct rmap_item *rmap_item)
{
	struct anon_vma *anon_vma = item_read(rmap_item, anon_vma);

	rmap_item->anon_vma = NULL;
	if (anon_vma)
		ksm_drop_ref(anon_vma);
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

/* ---- the stable tree ---- */

/*
 * stable_tree_append - @rmap_item, which holds its anon_vma, now maps a
 * KSM page: a random stable node's, or a new one's while there are few.
 * Return: false if no node could be had (the caller breaks the COW).
 */
static bool stable_tree_append(struct rmap_item *rmap_item)
{
	struct stable_node *node = NULL, *fresh = kmem_cache_alloc(stable_node_cache);
	unsigned int k;

	spin_lock(&ksm_stable_lock);
	if (ksm_stable_nodes && (!fresh || ksm_stable_nodes >= STABLE_NODES_MAX ||
				 mt_random_below(2))) {
		k = mt_random_below(ksm_stable_nodes);
		cds_list_for_each_entry(node, &ksm_stable_tree, list)
			if (!k--)
				break;
	} else if (fresh) {
		node = fresh;
		fresh = NULL;
		CDS_INIT_LIST_HEAD(&node->hlist);
		node->kpfn = next_kpfn++;
		cds_list_add_tail(&node->list, &ksm_stable_tree);
		ksm_stable_nodes++;
	}
	if (node) {
		rmap_item->head = node;
		cds_list_add_tail(&rmap_item->hlist, &node->hlist);
		ksm_pages_sharing++;
	}
	spin_unlock(&ksm_stable_lock);
	if (fresh)
		kmem_cache_free(stable_node_cache, fresh);
	return node != NULL;
}

/*
 * Take @rmap_item off its stable node.  Called with ksm_stable_lock held.
 * A node left with no item is taken off the tree (its KSM page went with
 * its last mapping) and returned in *@emptied for the caller to free.
 * Return: the anon_vma whose reference the caller now owns (it drops it
 * after the lock), or NULL if the item was on no node.
 */
static struct anon_vma *stable_item_unlink(struct rmap_item *rmap_item,
					   struct stable_node **emptied)
{
	struct stable_node *node = item_read(rmap_item, head);
	struct anon_vma *anon_vma;

	if (!node)
		return NULL;
	cds_list_del(&rmap_item->hlist);
	rmap_item->head = NULL;
	anon_vma = item_read(rmap_item, anon_vma);
	rmap_item->anon_vma = NULL;
	ksm_pages_sharing--;
	if (emptied && cds_list_empty(&node->hlist)) {
		cds_list_del(&node->list);
		ksm_stable_nodes--;
		*emptied = node;
	}
	return anon_vma;
}

unsigned int ksm_remove_stable_node(void)
{
	struct anon_vma *dropped[MT_MAX_KSM_HLIST];
	struct stable_node *node = NULL;
	struct rmap_item *rmap_item, *next;
	unsigned int n = 0, k;

	spin_lock(&ksm_stable_lock);
	if (!ksm_stable_nodes) {
		spin_unlock(&ksm_stable_lock);
		return 0;
	}
	k = mt_random_below(ksm_stable_nodes);
	cds_list_for_each_entry(node, &ksm_stable_tree, list)
		if (!k--)
			break;
	/*
	 * remove_node_from_stable_tree(): "hlist_for_each_entry(rmap_item,
	 * &stable_node->hlist) ... ksm_drop_anon_vma(rmap_item)"; a node
	 * with more items than the local array keeps the rest for later.
	 */
	cds_list_for_each_entry_safe(rmap_item, next, &node->hlist, hlist) {
		if (n == MT_MAX_KSM_HLIST)
			break;
		dropped[n++] = stable_item_unlink(rmap_item, NULL);
	}
	if (cds_list_empty(&node->hlist)) {
		cds_list_del(&node->list);	/* rb_erase(&stable_node->node) */
		ksm_stable_nodes--;
	} else {
		node = NULL;
	}
	spin_unlock(&ksm_stable_lock);

	race_window("anon-ksm-unlink-node-to-drop");
	for (unsigned int i = 0; i < n; i++)
		if (dropped[i])
			ksm_drop_ref(dropped[i]);
	if (node)
		kmem_cache_free(stable_node_cache, node);	/* free_stable_node() */
	return n;
}

/*
 * break_cow - undo a merge that could not be completed: drop the
 * reference, then redo the page's fault under mmap_sem (break_ksm()),
 * unless the mm is exiting or the VMA is gone.
 * Context: @rmap_item is the caller's (on no slot yet); no lock held.
 */
static void break_cow(struct rmap_item *rmap_item, struct mm_slot *slot, struct mm_struct *mm)
{
	unsigned long addr = item_read(rmap_item, address);
	struct vm_area_struct *vma;

	/*
	 * It is not an accident that whenever we want to break COW
	 * to undo, we also need to drop a reference to the anon_vma.
	 */
	ksm_drop_anon_vma(rmap_item);
	race_window("anon-ksm-break-cow-drop-to-lookup");

	down_read(&mm->mmap_sem);
	if (READ_ONCE(slot->exiting))	/* ksm_test_exit(mm) */
		goto out;
	vma = find_vma(mm, addr);
	if (!vma || vma_read(vma, vm_start) > addr)
		goto out;
	if (!(vma_read(vma, vm_flags) & VM_MERGEABLE) || !vma_read(vma, anon_vma))
		goto out;
	handle_mm_fault(vma, addr);	/* break_ksm(): the page is its own again */
out:
	up_read(&mm->mmap_sem);
}

/*
 * Put @rmap_item on @slot's list: from then on it is ksmd's, and whoever
 * takes it off frees it.  Return: false if the slot is exiting or KSM is
 * full; the item is then taken off the stable tree (its reference
 * dropped) and freed here.
 */
static bool rmap_item_attach(struct mm_slot *slot, struct rmap_item *rmap_item)
{
	bool ok = false;

	spin_lock(&ksm_mmlist_lock);
	if (!slot->exiting && ksm_items < ksm_max_items) {	/* ksm_test_exit() */
		rmap_item->slot = slot;
		cds_list_add_tail(&rmap_item->link, &slot->rmap_list);
		slot->nr_items++;
		ksm_items++;
		ok = true;
	}
	spin_unlock(&ksm_mmlist_lock);
	if (!ok)
		remove_rmap_item_from_tree(rmap_item);
	return ok;
}

int ksm_hold_page(struct mm_slot *slot, struct vm_area_struct *vma,
		  unsigned long address)
{
	struct anon_vma *anon_vma;
	struct rmap_item *rmap_item;

	lockdep_assert_held_read(&vma_read(vma, vm_mm)->mmap_sem);
	/* published by anon_vma_prepare()/anon_vma_fork() with a release */
	anon_vma = vma_read(vma, anon_vma);
	smp_rmb();
	if (!anon_vma || READ_ONCE(slot->exiting))
		return -EAGAIN;
	rmap_item = kmem_cache_zalloc(rmap_item_cache);
	if (!rmap_item)
		return -ENOMEM;
	rmap_item->address = address;
	/*
	 * try_to_merge_with_ksm_page(): the VMA, linked to its anon_vma
	 * while we hold mmap_sem, keeps it alive: the reference may be taken
	 * outside its lock.
	 */
	hold_anon_vma(rmap_item, anon_vma);
	if (!stable_tree_append(rmap_item))
		ksm_drop_anon_vma(rmap_item);
	return rmap_item_attach(slot, rmap_item) ? 0 : -EAGAIN;
}

int ksm_merge_page(struct mm_slot *slot, struct mm_struct *mm, unsigned long address)
{
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma = NULL;
	struct rmap_item *rmap_item;
	int err = 0;

	if (READ_ONCE(slot->exiting))
		return -EAGAIN;
	rmap_item = kmem_cache_zalloc(rmap_item_cache);
	if (!rmap_item)
		return -ENOMEM;
	rmap_item->address = address;
	/* try_to_merge_with_ksm_page(): under mmap_sem, the VMA's anon_vma */
	down_read(&mm->mmap_sem);
	vma = find_vma(mm, address);
	if (vma && vma_read(vma, vm_start) <= address &&
	    (vma_read(vma, vm_flags) & VM_MERGEABLE))
		anon_vma = vma_read(vma, anon_vma);
	smp_rmb();
	if (anon_vma)
		hold_anon_vma(rmap_item, anon_vma);
	up_read(&mm->mmap_sem);

	/*
	 * try_to_merge_two_pages(): the second page could not be merged
	 * (now and then, as a changed page would): undo the first.
	 */
	if (!anon_vma) {
		err = -EAGAIN;		/* an unstable item, holding nothing */
	} else {
		race_window("anon-ksm-merge-to-insert");
		if (!mt_random_below(4) || !stable_tree_append(rmap_item)) {
			break_cow(rmap_item, slot, mm);
			err = -EBUSY;
		}
	}
	return rmap_item_attach(slot, rmap_item) ? err : -EAGAIN;
}

/* Called with ksm_mmlist_lock held: take @rmap_item off its slot. */
static void rmap_item_detach(struct rmap_item *rmap_item)
{
	cds_list_del(&rmap_item->link);
	rmap_item->slot->nr_items--;
	ksm_items--;
}

/*
 * remove_rmap_item_from_tree(): off the stable tree (its reference is
 * ours then), or an unstable item that holds nothing; then freed.
 * Return: whether a reference was dropped.
 */
static bool remove_rmap_item_from_tree(struct rmap_item *rmap_item)
{
	struct stable_node *emptied = NULL;
	struct anon_vma *anon_vma;

	spin_lock(&ksm_stable_lock);
	anon_vma = stable_item_unlink(rmap_item, &emptied);
	spin_unlock(&ksm_stable_lock);
	if (emptied)
		kmem_cache_free(stable_node_cache, emptied);	/* its KSM page is gone */
	if (!anon_vma)
		anon_vma = item_read(rmap_item, anon_vma);	/* held, never appended */
	rmap_item->anon_vma = NULL;
	if (anon_vma)
		ksm_drop_ref(anon_vma);
	free_rmap_item(rmap_item);
	return anon_vma != NULL;
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
		n += remove_rmap_item_from_tree(rmap_item);
	}
	return n;
}

int ksm_rmap_walk(void)
{
	struct stable_node *node;
	struct rmap_item *rmap_item;
	int found = 0;
	unsigned int k;

	/*
	 * rmap_walk_ksm() of a KSM page: its stable node's rmap_items, each
	 * holding its anon_vma, which pins the root whose lock we take --
	 * even when every process of the tree has exited (seed 002).  The
	 * items keep their references while ksm_stable_lock is held.
	 */
	spin_lock(&ksm_stable_lock);
	if (!ksm_stable_nodes) {
		spin_unlock(&ksm_stable_lock);
		return -1;
	}
	k = mt_random_below(ksm_stable_nodes);
	cds_list_for_each_entry(node, &ksm_stable_tree, list)
		if (!k--)
			break;
	race_window("anon-ksm-walk-lock");
	cds_list_for_each_entry(rmap_item, &node->hlist, hlist) {
		struct anon_vma *anon_vma = item_read(rmap_item, anon_vma), *root;
		unsigned long address = item_read(rmap_item, address);
		struct cds_list_head *pos;

		if (!anon_vma)
			break;
		root = anon_vma_lock(anon_vma);
		for (pos = av_read(anon_vma, head.next); pos && pos != &anon_vma->head;) {
			struct anon_vma_chain *avc =
				cds_list_entry(pos, struct anon_vma_chain, same_anon_vma);
			struct vm_area_struct *vma = avc_read(avc, vma);

			/* a corrupted list is reported, not followed into poison */
			pos = avc_read(avc, same_anon_vma.next);
			if (!vma || !obj_access(vma, vm_area_cachep))
				break;
			if (address < vma_read(vma, vm_start) || address >= vma_read(vma, vm_end))
				continue;
			found++;
		}
		anon_vma_unlock(root);
	}
	spin_unlock(&ksm_stable_lock);
	return found;
}

void ksm_for_each_reference(void (*fn)(struct anon_vma *av, void *arg), void *arg)
{
	struct stable_node *node;
	struct rmap_item *rmap_item;

	spin_lock(&ksm_stable_lock);
	cds_list_for_each_entry(node, &ksm_stable_tree, list)
		cds_list_for_each_entry(rmap_item, &node->hlist, hlist)
			fn(rmap_item->anon_vma, arg);
	spin_unlock(&ksm_stable_lock);
}

unsigned long ksm_nr_items(void)
{
	unsigned long n;

	spin_lock(&ksm_stable_lock);
	n = ksm_pages_sharing;
	spin_unlock(&ksm_stable_lock);
	return n;
}

void ksm_fini(void)
{
	struct mm_slot *slot, *snext;
	struct rmap_item *rmap_item, *next;
	struct stable_node *node, *nnext;

	if (!rmap_item_cache)
		return;
	/* like ksmd after every mm exited: drop everything */
	cds_list_for_each_entry_safe(slot, snext, &ksm_mm_head, mm_list) {
		cds_list_for_each_entry_safe(rmap_item, next, &slot->rmap_list, link) {
			cds_list_del(&rmap_item->link);
			remove_rmap_item_from_tree(rmap_item);
		}
		slot->nr_items = 0;
		cds_list_del(&slot->mm_list);
		kmem_cache_free(mm_slot_cache, slot);
	}
	cds_list_for_each_entry_safe(node, nnext, &ksm_stable_tree, list) {
		cds_list_del(&node->list);
		kmem_cache_free(stable_node_cache, node);
	}
	ksm_stable_nodes = 0;
	ksm_items = 0;
	kmem_cache_destroy(rmap_item_cache);
	kmem_cache_destroy(mm_slot_cache);
	kmem_cache_destroy(stable_node_cache);
	rmap_item_cache = mm_slot_cache = stable_node_cache = NULL;
}
