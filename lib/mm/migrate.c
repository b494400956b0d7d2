// SPDX-License-Identifier: GPL-2.0-only
/*
 * migrate.c - page migration of anonymous pages: the anon_vma reference
 * held across the move (2.6.34's mm/migrate.c unmap_and_move(), with the
 * drop_anon_vma() of seed 002, 002_a78f23a9b5c75bed.txt).
 *
 * In 2.6.34 unmap_and_move() takes its reference under rcu_read_lock()
 * with the page locked and mapped; the model has no page lock to keep the
 * page mapped between the check and the increment, so it takes the
 * reference where later kernels' page_get_anon_vma() proves the anon_vma
 * alive: after page_lock_anon_vma()'s recheck, under the root lock.
 *
 * Lock ordering:
 *   anon_vma->root->lock
 *     vma_pgtable(vma)->ptl
 *       lru_lock
 */
#include <errno.h>
#include <string.h>

#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/memory.h"
#include "lib/mm/migrate.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"

struct migrate_ctl {
	struct page *newpage;
	unsigned int moved;
};

/* Replace one pte of @page by the new page.  Called with the pte's ptl held. */
static int migrate_one_pte(struct page *page, struct vm_area_struct *vma,
			   unsigned long address, void *arg)
{
	struct migrate_ctl *mc = arg;
	struct vma_pgtable *pt = vma_pgtable(vma);

	get_page(mc->newpage);
	page_add_anon_rmap(mc->newpage, vma, address);
	WRITE_ONCE(pt->pte[(address - vma->vm_start) >> PAGE_SHIFT], mc->newpage);
	/* the old page is isolated by our caller: off the LRU already */
	page_remove_rmap(page);
	mc->moved++;
	return 0;
}

int unmap_and_move(struct page *page, int nid)
{
	struct migrate_ctl mc = { 0 };
	struct anon_vma_walk w;
	struct anon_vma *anon_vma;
	int rc;

	/*
	 * Take a reference count on the anon_vma if the page is mapped so
	 * that it is guaranteed to exist when the page is remapped later.
	 */
	anon_vma = page_lock_anon_vma(page, &w);
	if (!anon_vma)
		return -EAGAIN;
	get_anon_vma(anon_vma);
	page_unlock_anon_vma(&w);

	race_window("anon-migrate-ref-to-move");
	mc.newpage = alloc_pages_node(nid);
	if (!mc.newpage) {
		rc = -ENOMEM;
		goto drop;
	}
	/* migrate_page_copy(): the data, and the anon rmap as it is */
	memcpy(mc.newpage->frame, page->frame, PAGE_SIZE);
	WRITE_ONCE(mc.newpage->index, READ_ONCE(page->index));
	WRITE_ONCE(mc.newpage->mapping_gen, w.gen);
	smp_store_release(&mc.newpage->mapping, READ_ONCE(page->mapping));

	/* our reference keeps the anon_vma, and through it its root, alive */
	w.root = anon_vma_lock(anon_vma);
	w.anon_vma = anon_vma;
	rmap_walk_anon_locked(&w, page, migrate_one_pte, &mc);
	anon_vma_unlock(w.root);

	if (mc.moved)
		lru_cache_add(mc.newpage);
	for (unsigned int i = 0; i < mc.moved; i++)
		put_page(page);		/* the replaced ptes' references */
	put_page(mc.newpage);		/* the allocation's: the ptes hold theirs */
	rc = mc.moved ? 0 : -EAGAIN;

drop:
	/* Drop an anon_vma reference if we took one */
	race_window("anon-migrate-to-drop");
	drop_anon_vma(anon_vma);
	return rc;
}
