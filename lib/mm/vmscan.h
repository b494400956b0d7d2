/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmscan.h - the LRU of anonymous pages, from which page walkers
 * (reclaim's page_referenced(), KSM, migration) isolate pages.
 *
 * As in the kernel, the LRU holds no page reference: a page goes on it
 * when it is first mapped (or migrated to), and comes off when isolated
 * or when its last reference is put (lru_release_page(), from
 * put_page()).  Isolating a page takes it off the list with a reference
 * of its own (get_page_unless_zero(), under lru_lock), so the struct page
 * stays valid while the isolator walks its rmap; putback_lru_page() puts
 * it back and drops that reference, which frees the page if its ptes are
 * gone.  PG_lru (in page->flags) says whether the page is on the
 * list; it is protected by lru_lock.
 *
 * Lock ordering: lru_lock is innermost (under the page table lock).
 */
#ifndef MT_VMSCAN_H
#define MT_VMSCAN_H

#include "lib/mm/mm.h"

#define PG_lru	0x1ul		/* in page->flags, under lru_lock */

/**
 * lru_init - an empty LRU
 * Context: before any page is added (anon_memory_init()).
 */
void lru_init(void);

/**
 * lru_fini - forget the LRU
 * Context: no page is mapped any more; a page still on it is a live page,
 * which the page cache counts as leaked_objects{page} at its destroy.
 */
void lru_fini(void);

/**
 * lru_cache_add - put a newly mapped page on the LRU
 * Context: the caller holds a page reference or the page table lock of a
 * pte mapping it.
 */
void lru_cache_add(struct page *page);

/**
 * isolate_lru_page - take the oldest page off the LRU, with a reference
 * Context: any.  Return: the page (the caller owns a reference and must
 * call putback_lru_page()), or NULL if the LRU is empty.
 */
struct page *isolate_lru_page(void);

/**
 * putback_lru_page - put an isolated page back on the LRU and drop the
 * isolation reference (the last one if the page was unmapped meanwhile:
 * it comes off again and is freed)
 * Context: the caller owns the reference isolate_lru_page() gave; no
 * lock held but (possibly) a page table lock.
 */
void putback_lru_page(struct page *page);

/**
 * lru_release_page - the last reference of @page is gone: take it off
 * the LRU before it is freed (__page_cache_release())
 * Context: put_page(), after the count reached zero.
 */
void lru_release_page(struct page *page);

/**
 * lru_nr_pages - pages on the LRU now
 * Context: any; exact at a quiesce point (the audit).
 */
unsigned long lru_nr_pages(void);

#endif /* MT_VMSCAN_H */
