/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rmap.h - reverse mapping of anonymous pages: page->mapping points to the
 * anon_vma of the VMA the page was first mapped in (with
 * PAGE_MAPPING_ANON), page->mapping_gen records that anon_vma's slab
 * generation, and a walker that starts from the page finds every VMA that
 * may map it on that anon_vma's list (2.6.34's mm/rmap.c, seeds 002, 004).
 *
 * page->mapping and page->mapping_gen are set once, before the page is
 * first mapped, and never changed: the model has no page_move_anon_rmap()
 * (no COW reuse) and no KSM page (no stable-node mapping).  A page whose
 * _mapcount went back to -1 is never mapped again: migration maps a new
 * page.  Together these make page_lock_anon_vma()'s recheck exact: see
 * rmap.c.
 *
 * The one page that goes from _mapcount -1 to mapped with ->mapping
 * already set is a migration target: unmap_and_move() copies ->mapping
 * and ->mapping_gen into the new page, then maps it where the old one's
 * migration entries are (page_add_anon_rmap() from -1), pte by pte under
 * the root lock, while zaps, which take only the page table lock, may
 * unmap the ptes already done: its _mapcount can go 0, -1, 0 in that
 * walk.  No walker sees it meanwhile -- it goes on the LRU, where walkers
 * find pages, only after the walk, and is freed unseen if it ends
 * unmapped -- and the migration's reference keeps the anon_vma it names
 * alive, so its ->mapping names a live anon_vma of that generation from
 * the start.  What the recheck relies on holds for every page a walker
 * can find: once it is unmapped, it stays unmapped.  (The LRU is kept by
 * references, not by _mapcount, for that walk: vmscan.h.)
 *
 * Lock ordering: anon_vma.h.
 */
#ifndef MT_RMAP_H
#define MT_RMAP_H

#include "lib/mm/anon_vma.h"
#include "lib/mm/mm.h"

/**
 * page_anon_vma - the anon_vma page->mapping names
 * Context: any.  A lookup: nothing keeps the anon_vma alive; see
 * page_lock_anon_vma().
 * Return: the anon_vma, or NULL if the page is not anonymous.
 */
static inline struct anon_vma *page_anon_vma(const struct page *page)
{
	unsigned long mapping = smp_load_acquire(&page->mapping);

	if (!obj_access(page, page_cachep))
		return NULL;

	if ((mapping & PAGE_MAPPING_ANON) != PAGE_MAPPING_ANON)
		return NULL;
	return (struct anon_vma *)(mapping - PAGE_MAPPING_ANON);
}

/**
 * page_add_new_anon_rmap - first mapping of a new page at @address of @vma:
 * page->mapping = vma->anon_vma | PAGE_MAPPING_ANON (and its generation),
 * page->index, _mapcount 0, and onto the LRU
 * Context: the page table lock of @vma held, the pte about to be set; the
 * page is not visible to anyone else yet.
 */
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma,
			    unsigned long address);

/**
 * page_add_anon_rmap - one more mapping of a page that already has its
 * anon_rmap (fork's copy_one_pte; migration's remove_migration_pte)
 * Context: the page table lock of @vma held.  The page is mapped, or has
 * never been (a migration target): a page that was unmapped is never
 * mapped again.
 * Return: true if this was the page's first mapping.
 */
bool page_add_anon_rmap(struct page *page, struct vm_area_struct *vma,
			unsigned long address);

/*
 * page_mapcount_check (anon_vma_audit.c) - a _mapcount just dropped to
 * @mapcount: below -1 a pte was removed that was never mapped
 * (refcount_underflow).  Return: false if so.
 */
bool page_mapcount_check(const struct page *page, int mapcount, const char *where);

/*
 * anon_pages_audit (anon_vma_audit.c) - every live page against its ptes:
 * one reference per pte and nothing else (leaked_refs for more,
 * missing_refs for fewer), on the LRU (leaked_refs if not), and the LRU
 * holding no freed page (missing_refs).
 * Context: a quiesce point: no isolation or migration in flight.
 */
void anon_pages_audit(void);

/**
 * page_remove_rmap - one mapping of @page is gone
 * Context: the page table lock of the pte held.  page->mapping is left
 * as it is: a racing rmap walker still reads it (the kernel resets it
 * only when the page is freed).
 * Return: true if that was the last mapping (_mapcount back to -1).
 */
bool page_remove_rmap(struct page *page);

/*
 * struct anon_vma_walk - what a walker that approaches an anon_vma
 * obliquely carries from its lookup to its use.
 * @anon_vma: read from page->mapping under RCU
 * @gen: page->mapping_gen read with it: the identity the page names
 * @root: the anon_vma whose lock is held (read from @anon_vma->root)
 */
struct anon_vma_walk {
	struct anon_vma *anon_vma;
	uint32_t gen;
	struct anon_vma *root;
};

/**
 * page_lock_anon_vma - lock the anon_vma of a page found off the LRU
 * @page: a page the caller holds a reference on (isolated)
 * @w: filled with the lookup; pass it to the walk and to the unlock
 *
 * rcu_read_lock(), read page->mapping, take anon_vma->root->lock in
 * memory that may have been freed and reused (a typesafe cache keeps it an
 * anon_vma under RCU, seed 004), then recheck that the page is still
 * mapped, still points to that anon_vma, and that the anon_vma still has
 * that root: otherwise unlock and return NULL (recheck_caught; and
 * recheck_reused when the anon_vma had already been reused for another:
 * a new slab generation, or another root).
 * Context: registered thread, no anon_vma lock held.  On success, returns
 * with the RCU read side and @w->root->lock held.
 * Return: the anon_vma, or NULL (not anonymous, unmapped, or the recheck
 * failed).
 */
struct anon_vma *page_lock_anon_vma(struct page *page, struct anon_vma_walk *w);

/**
 * page_unlock_anon_vma - unlock what page_lock_anon_vma() locked: the
 * root it locked (not whatever anon_vma->root says now), then the RCU
 * read side
 * Context: after a successful page_lock_anon_vma() with @w.
 */
void page_unlock_anon_vma(struct anon_vma_walk *w);

/*
 * rmap_one_fn - called for each VMA of the walk whose pte maps the page,
 * with that pte's page table lock held.  Return: non-zero to stop.
 */
typedef int (*rmap_one_fn)(struct page *page, struct vm_area_struct *vma,
			   unsigned long address, void *arg);

/**
 * rmap_walk_anon_locked - for each anon_vma_chain of the locked anon_vma,
 * check that its VMA maps @page (vma_address() and the pte, under the
 * page table lock) and call @fn
 * @w: the lookup: the anon_vma, the generation the caller expects it to
 *	have, the locked root
 *
 * Before it uses the anon_vma (reads its list), the walk checks that it is
 * still the identity @w names (obj_check_gen()): a walker that skipped the
 * recheck and reached a reused anon_vma is reported as stale_object and
 * the walk stops there.
 * Context: @w->root->lock held, and either the RCU read side (a lookup)
 * or a reference on the anon_vma.
 * Return: the number of VMAs that map the page, or -1 if the anon_vma was
 * not the one @w names (or was freed: nothing to walk).
 */
int rmap_walk_anon_locked(struct anon_vma_walk *w, struct page *page,
			  rmap_one_fn fn, void *arg);

/**
 * page_referenced - how many VMAs map @page (page_referenced_anon():
 * page_lock_anon_vma(), the walk, page_unlock_anon_vma())
 * Context: the caller holds a reference on @page (isolated); registered
 * thread, no lock held.
 * Return: the count, or -1 when the anon_vma could not be locked (page
 * not anonymous or not mapped any more).
 */
int page_referenced(struct page *page);

#endif /* MT_RMAP_H */
