// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_alloc.c - pages with real frames: struct page from the "page"
 * cache, the frame (PAGE_SIZE bytes) from the "page_frame" cache on the
 * node asked for, whose pool is placed on that node with libnuma.
 *
 * _refcount counts the allocation's owner and everyone who took a page
 * reference (page tables count through _mapcount and hold one reference
 * between them, as the models use them); the last put_page() frees both.
 */
#include <string.h>

#include "core/counters.h"
#include "lib/mm/mm.h"
#include "lib/mm/vmscan.h"

struct page *alloc_pages_node(int nid)
{
	struct page *page = kmem_cache_zalloc(page_cachep);
	void *frame;

	if (!page)
		return NULL;
	frame = kmem_cache_alloc_node(page_frame_cachep, nid);
	if (!frame) {
		kmem_cache_free(page_cachep, page);
		return NULL;
	}
	/* touch it: the frame is memory, first-touched on its node */
	*(volatile unsigned long *)frame = (unsigned long)page;
	refcount_set(&page->_refcount, 1);
	page->_mapcount = -1;
	page->frame = frame;
	page->nid = kmem_obj_node(frame);
	CDS_INIT_LIST_HEAD(&page->lru);
	return page;
}

void get_page(struct page *page)
{
	if (obj_access(page, page_cachep))
		refcount_inc(&page->_refcount);
}

bool get_page_unless_zero(struct page *page)
{
	return obj_access(page, page_cachep) && refcount_inc_not_zero(&page->_refcount);
}

void put_page(struct page *page)
{
	if (!obj_access(page, page_cachep))
		return;		/* reported: a put on a freed page */
	if (!refcount_dec_and_test(&page->_refcount))
		return;
	lru_release_page(page);
	kmem_cache_free(page_frame_cachep, page->frame);
	kmem_cache_free(page_cachep, page);
}
