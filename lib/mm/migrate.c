// SPDX-License-Identifier: GPL-2.0-only
/*
 * migrate.c - page migration of anonymous pages: the anon_vma reference
 * held across the move (2.6.34's mm/migrate.c unmap_and_move(), with the
 * drop_anon_vma() of seed 002, 002_a78f23a9b5c75bed.txt), in the
 * kernel's two passes: try_to_unmap() puts a migration entry in every pte
 * that maps the page (try_to_unmap_anon(): an rmap walk under the root
 * lock), the page is copied with no lock held, and remove_migration_ptes()
 * puts the new page where the entries are (another walk, through the
 * reference).  Between the passes the page is mapped nowhere, so nothing
 * but the migration's reference keeps its anon_vma -- "so that it is
 * guaranteed to exist when the page is remapped later" -- while the
 * processes that mapped it may unmap, fork (copy_page_range() copies the
 * entries) or exit.
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
	unsigned int unmapped;		/* ptes made migration entries */
	unsigned int moved;		/* entries given the new page */
};

static unsigned int pte_index(const struct vm_area_struct *vma, unsigned long address)
{
	return (unsigned int)((address - vma_read(vma, vm_start)) >> PAGE_SHIFT);
}

/*
 * try_to_unmap_one(): the pte that maps @page becomes a migration entry;
 * its _mapcount and its page reference go.  Called with the pte's ptl held.
 */
static int try_to_unmap_one(struct page *page, struct vm_area_struct *vma,
			    unsigned long address, void *arg)
{
	struct migrate_ctl *mc = arg;
	struct vma_pgtable *pt = vma_pgtable(vma);

	WRITE_ONCE(pt->pte[pte_index(vma, address)], make_migration_entry(page));
	page_remove_rmap(page);
	put_page(page);		/* the pte's reference; ours is the isolation's */
	mc->unmapped++;
	return 0;
}

/*
 * remove_migration_pte(): a pte that still holds @page's migration entry
 * gets the new page (a reference and a mapping); one that was zapped
 * meanwhile is left empty.  Called with the anon_vma's root lock held.
 */
static void remove_migration_ptes(struct anon_vma_walk *w, struct page *page,
				  struct migrate_ctl *mc)
{
	struct anon_vma *anon_vma = w->anon_vma;
	struct cds_list_head *pos;

	for (pos = av_read(anon_vma, head.next); pos && pos != &anon_vma->head;) {
		struct anon_vma_chain *avc =
			cds_list_entry(pos, struct anon_vma_chain, same_anon_vma);
		struct vm_area_struct *vma = avc_read(avc, vma);
		struct vma_pgtable *pt;
		unsigned long address;
		unsigned int i;

		pos = avc_read(avc, same_anon_vma.next);
		if (!vma || !obj_access(vma, vm_area_cachep))
			break;
		address = vma_address(page, vma);
		pt = vma_pgtable(vma);
		if (address == (unsigned long)-EFAULT || !pt)
			continue;
		i = pte_index(vma, address);
		spin_lock(&pt->ptl);
		if (pt_read(pt, pte[i]) == make_migration_entry(page)) {
			get_page(mc->newpage);
			page_add_anon_rmap(mc->newpage, vma, address);
			WRITE_ONCE(pt->pte[i], mc->newpage);
			mc->moved++;
		}
		spin_unlock(&pt->ptl);
	}
}

int unmap_and_move(struct page *page, int nid)
{
	struct migrate_ctl mc = { 0 };
	struct anon_vma_walk w;
	struct anon_vma *anon_vma;
	int rc;

	/* get_new_page() first: the move itself cannot fail afterwards */
	mc.newpage = alloc_pages_node(nid);
	if (!mc.newpage)
		return -ENOMEM;
	/*
	 * Take a reference count on the anon_vma if the page is mapped so
	 * that it is guaranteed to exist when the page is remapped later.
	 */
	anon_vma = page_lock_anon_vma(page, &w);
	if (!anon_vma) {
		put_page(mc.newpage);
		return -EAGAIN;
	}
	get_anon_vma(anon_vma);
	/* try_to_unmap_anon(): every pte of the page becomes an entry */
	rmap_walk_anon_locked(&w, page, try_to_unmap_one, &mc);
	page_unlock_anon_vma(&w);

	/* migrate_page_copy(): the data, and the anon rmap as it is */
	race_window("anon-migrate-ref-to-move");
	memcpy(mc.newpage->frame, page->frame, PAGE_SIZE);
	WRITE_ONCE(mc.newpage->index, page_read(page, index));
	WRITE_ONCE(mc.newpage->mapping_gen, w.gen);
	smp_store_release(&mc.newpage->mapping, page_read(page, mapping));

	/*
	 * remove_migration_ptes(): our reference keeps the anon_vma, and
	 * through it its root, alive, though the page is mapped nowhere.
	 */
	race_window("anon-migrate-copy-to-remap");
	w.root = anon_vma_lock(anon_vma);
	w.anon_vma = anon_vma;
	if (mc.unmapped)
		remove_migration_ptes(&w, page, &mc);
	anon_vma_unlock(w.root);

	if (mc.moved)
		lru_cache_add(mc.newpage);
	put_page(mc.newpage);		/* the allocation's: the ptes hold theirs */
	rc = mc.moved ? 0 : -EAGAIN;

	/* Drop an anon_vma reference if we took one */
	race_window("anon-migrate-to-drop");
	drop_anon_vma(anon_vma);
	return rc;
}
