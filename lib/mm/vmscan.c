// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmscan.c - the LRU of anonymous pages (mm/swap.c and mm/vmscan.c's
 * lru_cache_add, isolate_lru_page, putback_lru_page); see vmscan.h.
 *
 * Why putback and unmap cannot leave an unmapped page on the list: the
 * unmapper drops _mapcount to -1 and then takes lru_lock; the putback
 * tests page_mapped() under lru_lock.  If the putback's critical section
 * comes first, it may still see the page mapped and add it, and then the
 * unmapper's section finds PG_lru and takes it off; if the unmapper's
 * comes first, its _mapcount store happened before its unlock, which
 * happened before the putback's lock, so the putback sees the page
 * unmapped and leaves it off.  A page unmapped once is never mapped
 * again, so no later section can be fooled.
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
	if (page->private & PG_lru)
		return;
	cds_list_add(&page->lru, &lru.head);
	page->private |= PG_lru;
	lru.nr++;
}

void lru_cache_add(struct page *page)
{
	spin_lock(&lru.lock);
	if (page_mapped(page))
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
		 * The LRU holds no reference: a page being freed could still be
		 * on it in the kernel; here its last unmapper takes it off
		 * before its last put, so this cannot fail -- but it is the
		 * check a walker must make.
		 */
		if (get_page_unless_zero(page)) {
			cds_list_del(&page->lru);
			page->private &= ~PG_lru;
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

void lru_del_unmapped(struct page *page)
{
	spin_lock(&lru.lock);
	if (page->private & PG_lru) {
		cds_list_del(&page->lru);
		page->private &= ~PG_lru;
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
