// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmscan.c - the LRU of anonymous pages (mm/swap.c and mm/vmscan.c's
 * lru_cache_add, isolate_lru_page, putback_lru_page); see vmscan.h.
 *
 * As in the kernel (__page_cache_release(), seen from release_pages()),
 * a page leaves the LRU when its last reference goes, not when its last
 * pte does: a page may be mapped again after it was unmapped -- migration
 * maps its new page pte by pte while other threads zap the ones already
 * done, so _mapcount goes 0, -1, 0 -- and a list kept by "mapped or not"
 * would lose a mapped page.  Being on the LRU holds no reference; an
 * isolator takes one with get_page_unless_zero() under lru_lock, so a
 * page whose count reached zero is skipped there, and the last put takes
 * it off under the same lock before the page is freed.
 */
#include "core/counters.h"
#include "lib/mm/vmscan.h"

static struct {
	spinlock_t lock;
	struct cds_list_head head;	/* newest first; protected by ->lock */
	unsigned long nr;		/* protected by ->lock */
} lru;

void lru_init(void)
{
	spin_lock_init(&lru.lock);
	CDS_INIT_LIST_HEAD(&lru.head);
	lru.nr = 0;
}

void lru_fini(void)
{
	CDS_INIT_LIST_HEAD(&lru.head);
	lru.nr = 0;
}

static void __lru_add(struct page *page)
{
	if (page->flags & PG_lru)
		return;
	cds_list_add(&page->lru, &lru.head);
	page->flags |= PG_lru;
	lru.nr++;
}

void lru_cache_add(struct page *page)
{
	spin_lock(&lru.lock);
	__lru_add(page);
	spin_unlock(&lru.lock);
}

struct page *isolate_lru_page(void)
{
	struct page *page = NULL;

	spin_lock(&lru.lock);
	if (!cds_list_empty(&lru.head)) {
		page = cds_list_entry(lru.head.prev, struct page, lru);
		/*
		 * The LRU holds no reference: a page whose last put has
		 * happened is still on it until that put takes lru_lock.
		 */
		if (get_page_unless_zero(page)) {
			cds_list_del(&page->lru);
			page->flags &= ~PG_lru;
			lru.nr--;
		} else {
			page = NULL;
		}
	}
	spin_unlock(&lru.lock);
	return page;
}

void putback_lru_page(struct page *page)
{
	lru_cache_add(page);
	put_page(page);
}

void lru_release_page(struct page *page)
{
	/* the last reference: nobody can put it on the list meanwhile */
	if (!(page->flags & PG_lru))
		return;
	spin_lock(&lru.lock);
	if (page->flags & PG_lru) {
		cds_list_del(&page->lru);
		page->flags &= ~PG_lru;
		lru.nr--;
	}
	spin_unlock(&lru.lock);
}

unsigned long lru_nr_pages(void)
{
	unsigned long nr;

	spin_lock(&lru.lock);
	nr = lru.nr;
	spin_unlock(&lru.lock);
	return nr;
}
