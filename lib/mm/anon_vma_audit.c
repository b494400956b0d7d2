// SPDX-License-Identifier: GPL-2.0-only
/*
 * anon_vma_audit.c - the detectors of the anon_vma model (seeds 002,
 * 004): the check of a child's pin on its root, the check of a page's
 * _mapcount, and the refcount audit of anon_vmas at quiesce points.  They
 * look at slab headers, counts and owners only, and never at the bug
 * registry (tests/cli/00-detectors-blind.sh): the model files that switch
 * bugs on (anon_vma.c, rmap.c, ksm.c) call them.
 *
 * A pin that dangles.  A child's ->root is a pin, kept for as long as the
 * child lives (anon_vma.c, "A root freed under its tree"); when the root
 * it names is not live, or has a generation other than the one the child
 * recorded (->root_gen), the lock taken through it is the lock of a
 * freed object or of another anon_vma: the access is handed to the
 * slab's classifier, which reports use_after_free or type_confusion.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/audit.h"
#include "core/counters.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/ksm.h"
#include "lib/mm/mm.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"

bool __anon_vma_root_check(const struct anon_vma *anon_vma, struct anon_vma *root,
			   const char *where)
{
	enum obj_status st = __obj_check(root, anon_vma_cachep, where);

	if (st == OBJ_BAD)
		return false;	/* reported: the root's page left the cache */
	if (st == OBJ_LIVE && obj_gen(root) == READ_ONCE(anon_vma->root_gen))
		return true;
	/* The pin dangles: see the top of this file. */
	mt_slab_report_bad_access(&root->lock, where,
				  "anon_vma root lock taken through a child's pin on a freed root");
	return false;
}


bool page_mapcount_check(const struct page *page, int mapcount, const char *where)
{
	if (likely(mapcount >= -1))
		return true;
	mt_report(MT_REFCOUNT_UNDERFLOW, where,
		  "page %p: _mapcount %d, a pte removed that was never mapped",
		  (void *)page, mapcount);
	return false;
}

/* ---- the audit ---- */

struct anon_vma_census {
	struct mt_census *cs;
};

static int anon_vma_census_count(const void *obj)
{
	return refcount_read_raw(&((const struct anon_vma *)obj)->external_refcount);
}

static void anon_vma_census_describe(const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "root %p", (void *)((const struct anon_vma *)obj)->root);
}

/* external_refcount counts KSM, migration and children: chains keep it too */
static bool anon_vma_census_in_use(const void *obj)
{
	const struct cds_list_head *head = &((const struct anon_vma *)obj)->head;

	return head->next != head;
}

static const struct mt_census_ops anon_vma_census_ops = {
	.what = "anon_vma",
	.where = "anon_vma_audit",
	.count = anon_vma_census_count,
	.describe = anon_vma_census_describe,
	.in_use = anon_vma_census_in_use,
};

static void census_pin_root(void *obj, void *arg)
{
	struct anon_vma *av = obj;

	if (av->root != av)
		mt_census_own(arg, av->root, "a child anon_vma", av);
}

struct anon_vma_census *anon_vma_audit_begin(void)
{
	struct anon_vma_census *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cs = mt_census_begin(anon_vma_cachep, &anon_vma_census_ops);
	if (!c->cs) {
		free(c);
		return NULL;
	}
	/* every child pins its root */
	mt_census_foreach(c->cs, census_pin_root, c->cs);
	return c;
}

void anon_vma_audit_owner(struct anon_vma_census *c, struct anon_vma *av,
			  const char *who)
{
	if (c)
		mt_census_own(c->cs, av, who, NULL);
}

void anon_vma_audit_vma(struct anon_vma_census *c, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;
	bool own_found = !vma->anon_vma;

	lockdep_assert_held(&vma->vm_mm->mmap_sem);
	if (!c)
		return;
	cds_list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		if (avc->anon_vma == vma->anon_vma)
			own_found = true;
		if (!mt_census_live(c->cs, avc->anon_vma))
			mt_report(MT_MISSING_REFS, "anon_vma_audit",
				  "vma %p [%#lx,%#lx) of mm %d is linked to anon_vma %p, which is not live",
				  (void *)vma, vma->vm_start, vma->vm_end, vma->vm_mm->id,
				  (void *)avc->anon_vma);
	}
	if (!own_found)
		mt_report(MT_MISSING_REFS, "anon_vma_audit",
			  "vma %p of mm %d: its anon_vma %p is not on its chain",
			  (void *)vma, vma->vm_mm->id, (void *)vma->anon_vma);
}

unsigned long anon_vma_audit_end(struct anon_vma_census *c)
{
	unsigned long n;

	if (!c)
		return 0;
	n = mt_census_nr(c->cs);
	mt_census_end(c->cs);
	free(c);
	return n;
}

static void ksm_audit_one(struct anon_vma *av, void *arg)
{
	/* an item on a stable node maps a KSM page: it must hold its anon_vma */
	if (!av)
		mt_report(MT_MISSING_REFS, "anon_vma_audit",
			  "a KSM rmap_item on a stable node holds no anon_vma");
	anon_vma_audit_owner(arg, av, "a KSM rmap_item");
}

void ksm_audit(struct anon_vma_census *c)
{
	ksm_for_each_reference(ksm_audit_one, c);
}

/* The pages as the audit finds them. */
struct page_census {
	unsigned long live, on_lru;
	unsigned long extra_refs, missing_refs, off_lru;	/* pages */
	const struct page *first_extra, *first_missing, *first_off;
};

/*
 * Between operations each pte mapping a page holds one reference and
 * nothing else does (no isolation, no migration in flight): a page has
 * exactly _mapcount + 1 references, and is on the LRU.
 */
static void census_page(void *obj, void *arg)
{
	const struct page *page = obj;
	struct page_census *pc = arg;
	long refs = refcount_read(&page->_refcount);
	long ptes = __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) + 1;

	pc->live++;
	if (page->flags & PG_lru) {
		pc->on_lru++;
	} else if (!pc->off_lru++) {
		pc->first_off = page;
	}
	if (refs > ptes && !pc->extra_refs++)
		pc->first_extra = page;
	else if (refs < ptes && !pc->missing_refs++)
		pc->first_missing = page;
}

void anon_pages_audit(void)
{
	struct page_census pc = { 0 };
	unsigned long on_lru;

	kmem_cache_walk_live(page_cachep, census_page, &pc);
	on_lru = lru_nr_pages();
	mt_count(MT_AUDITED_OBJECTS);
	if (pc.extra_refs)
		mt_report(MT_LEAKED_REFS, "anon_vma_audit",
			  "%lu of %lu pages hold more references than ptes map them (page %p: %d refs, "
			  "%d ptes): a page reference leaked", pc.extra_refs, pc.live,
			  (const void *)pc.first_extra, refcount_read(&pc.first_extra->_refcount),
			  page_mapcount(pc.first_extra));
	if (pc.missing_refs)
		mt_report(MT_MISSING_REFS, "anon_vma_audit",
			  "%lu of %lu pages hold fewer references than ptes map them (page %p: %d refs, "
			  "%d ptes)", pc.missing_refs, pc.live, (const void *)pc.first_missing,
			  refcount_read(&pc.first_missing->_refcount), page_mapcount(pc.first_missing));
	if (pc.off_lru)
		mt_report(MT_LEAKED_REFS, "anon_vma_audit",
			  "%lu of %lu live pages are off the LRU (page %p, %d ptes): reclaim can never "
			  "find them", pc.off_lru, pc.live, (const void *)pc.first_off,
			  page_mapcount(pc.first_off));
	if (on_lru != pc.on_lru)
		mt_report(MT_MISSING_REFS, "anon_vma_audit",
			  "%lu pages on the LRU, %lu of them live: a freed page is on it", on_lru,
			  pc.on_lru);
}
