/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ksm.h - KSM's rmap_items and mm_slots, reduced to what the anon_vma
 * protocol sees of them (mm/ksm.c of 2.6.34, seed 002): an rmap_item on
 * the stable tree holds an external reference on the anon_vma of the page
 * it recorded (hold_anon_vma()), for as long as it lives, which can be
 * longer than the process: ksmd drops the rmap_items of an exiting mm
 * while that mm's exit_mmap() unlinks its anon_vmas.
 *
 * The model merges no page contents: an rmap_item records (anon_vma,
 * address) and sits on its mm_slot's list; one that holds its anon_vma is
 * on a stable node, a KSM page of the stable tree, with the other
 * rmap_items that map it.  Several workers play ksmd at once (see ksm.c
 * for who owns an item and its reference).
 *
 * Lock ordering: ksm_mmlist_lock and ksm_stable_lock are never held
 * together; rmap_walk_ksm() takes anon_vma->root->lock under
 * ksm_stable_lock; drop_anon_vma() is called with neither held.
 */
#ifndef MT_KSM_H
#define MT_KSM_H

#include <urcu/list.h>

#include "lib/mm/anon_vma.h"
#include "lib/mm/mm.h"

/*
 * struct mm_slot - KSM's record of one mm.
 * @mm_list: on ksm_mm_head, in scan order
 * @rmap_list: its rmap_items
 * @nr_items: how many
 * @exiting: the mm is exiting (ksm_test_exit()): its items are dropped
 * @owner_gone: the process let go of the slot: free it when empty
 * All protected by ksm_mmlist_lock.
 */
struct mm_slot {
	struct cds_list_head mm_list;
	struct cds_list_head rmap_list;
	unsigned int nr_items;
	bool exiting;
	bool owner_gone;
	int id;
};

/*
 * struct rmap_item - one page KSM knows about
 * @link: on its mm_slot's rmap_list (or off every list while ksmd works)
 * @anon_vma: the anon_vma it holds an external reference on
 * @address: where the page is mapped in the mm of @slot
 */
struct stable_node;

/*
 * struct rmap_item - one page KSM knows about
 * @link: on its mm_slot's rmap_list; protected by ksm_mmlist_lock
 * @head: the stable node of the KSM page it maps, NULL for an unstable
 *	item; protected by ksm_stable_lock
 * @hlist: on @head's list of items; protected by ksm_stable_lock
 * @anon_vma: the anon_vma it holds an external reference on while @head
 *	is set (hold_anon_vma()); protected by ksm_stable_lock
 * @address: where the page is mapped in the mm of @slot
 */
struct rmap_item {
	struct cds_list_head link;
	struct mm_slot *slot;
	struct stable_node *head;
	struct cds_list_head hlist;
	struct anon_vma *anon_vma;
	unsigned long address;
};

/* The most items remove_node_from_stable_tree() takes off a node at once. */
#define MT_MAX_KSM_HLIST	64

/**
 * ksm_init - create the rmap_item and mm_slot caches
 * @max_items: rmap_items allowed at once (memory stays bounded)
 * Context: after anon_vma_init(), before any mm_slot exists.
 * Return: 0 or -ENOMEM.
 */
int ksm_init(unsigned int max_items);
/**
 * ksm_fini - drop every rmap_item's reference, free every slot, destroy
 * the caches (leaked_objects{rmap_item}, {mm_slot})
 * Context: every slot's owner let go of it (ksm_slot_release()).
 */
void ksm_fini(void);

/**
 * ksm_enter - a slot for a new mm (__ksm_enter(), from fork and exec)
 * Context: any; takes ksm_mmlist_lock.
 * Return: the slot, or NULL (-ENOMEM).
 */
struct mm_slot *ksm_enter(void);
/*
 * ksm_exit - the mm of @slot is exiting (mmput()'s ksm_exit()): move the
 * slot next in ksmd's scan, so that its rmap_items go soon.
 * Context: called once, before exit_mmap().
 */
void ksm_exit(struct mm_slot *slot);
/**
 * ksm_slot_release - the slot's owner is gone (no one can hold a new
 * page through it): KSM frees it once its rmap_items are dropped
 * Context: the caller no longer uses @slot.
 */
void ksm_slot_release(struct mm_slot *slot);

/**
 * ksm_hold_page - record the page mapped at @address of @vma as merged
 * into a KSM page: a new rmap_item holding a reference on @vma's anon_vma
 * (hold_anon_vma()), on a stable node
 * Context: mmap_sem of @vma's mm held for read; @slot is that mm's.
 * Return: 0, -EAGAIN (no anon_vma yet, the mm is exiting, or the item
 * limit is reached), -ENOMEM.
 */
int ksm_hold_page(struct mm_slot *slot, struct vm_area_struct *vma,
		  unsigned long address);

/**
 * ksm_merge_page - ksmd's try_to_merge_with_ksm_page() for the page at
 * @address of @mm: an rmap_item, the anon_vma's reference taken under
 * mmap_sem, then onto a stable node -- or, one time in four (the second
 * page of try_to_merge_two_pages() would not merge), break_cow(): the
 * reference dropped, and the fault redone under mmap_sem
 * Context: no lock held; @slot is @mm's, whose mm_users the caller holds.
 * Return: 0 (merged), -EBUSY (broke the COW), -EAGAIN, -ENOMEM.
 */
int ksm_merge_page(struct mm_slot *slot, struct mm_struct *mm, unsigned long address);

/**
 * ksm_remove_stable_node - remove_node_from_stable_tree() of a random KSM
 * page: every rmap_item of its stable node drops its anon_vma reference
 * (they stay on their slots, unstable); the node is freed
 * Context: registered thread, no lock held.
 * Return: the number of rmap_items taken off.
 */
unsigned int ksm_remove_stable_node(void);

/**
 * ksm_scan_drop - one step of ksmd's scan: the next mm_slot; if its mm is
 * exiting, drop all its rmap_items (remove_trailing_rmap_items()), else
 * its oldest (remove_rmap_item_from_tree()); free an exiting slot that
 * has no item and no owner
 * Context: registered thread, no lock held.
 * Return: the number of rmap_items dropped.
 */
unsigned int ksm_scan_drop(void);

/**
 * ksm_rmap_walk - rmap_walk_ksm() of a random KSM page: for each rmap_item
 * of its stable node, lock its anon_vma's tree through the reference the
 * item holds and count the VMAs of its chains that cover the item's
 * address
 * Context: registered thread, no lock held.
 * Return: that count, or -1 if there was no KSM page.
 */
int ksm_rmap_walk(void);

/*
 * ksm_for_each_reference - call @fn on the anon_vma of every rmap_item
 * that holds one (every item on a stable node)
 * Context: a quiesce point; takes ksm_stable_lock, @fn runs under it.
 */
void ksm_for_each_reference(void (*fn)(struct anon_vma *av, void *arg), void *arg);

/**
 * ksm_audit (anon_vma_audit.c) - declare every rmap_item's reference to
 * the census
 * Context: a quiesce point (no ksmd work in flight).
 */
void ksm_audit(struct anon_vma_census *c);

/**
 * ksm_nr_items - rmap_items that hold an anon_vma now (pages_sharing)
 * Context: any.
 */
unsigned long ksm_nr_items(void);

/**
 * ksm_drop_anon_vma - drop the reference an rmap_item holds (seed 002:
 * drop_anon_vma(), whatever level it frees)
 * Context: @rmap_item is off every list and owned by the caller; no lock
 * held.
 */
void ksm_drop_anon_vma(struct rmap_item *rmap_item);

#endif /* MT_KSM_H */
