// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_anon_vma - the anon_vma protocol of seeds 002 and 004, one step at a
 * time, on one thread: references after fault, fork, exit, KSM hold and
 * drop, and migration; the two-level free of drop_anon_vma(); the lock of
 * a typesafe anon_vma surviving free and reuse; page_lock_anon_vma()'s
 * recheck catching an anon_vma freed and reused under a walker, and
 * telling it from a page only unmapped; a fork failing at each of its
 * allocations in turn, munmap and exit with no memory; the audit finding
 * a reference too many and one too few.  The paths seed 002 names: KSM's
 * stable tree (remove_node_from_stable_tree() freeing two levels once
 * every process has exited, break_cow()), and migration entries in the
 * ptes while the page moves (a fault, a fork and an munmap in the middle
 * of a move); split_vma() of a faulted anonymous VMA; a typesafe slab page
 * going through its grace period back to the pool.
 *
 * Then each bug of the catalogue's anon_vma section in a deterministic
 * scenario: the test plays "the other thread" at the race window the bug
 * opens (mt_window_hook), and the generic detector must fire -- and the
 * same scenario without the bug must stay silent.
 */
#include <errno.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/rcu.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/fork.h"
#include "lib/mm/ksm.h"
#include "lib/mm/memory.h"
#include "lib/mm/migrate.h"
#include "lib/mm/mm.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"
#include "tests/tap.h"

static struct mt_region *R;

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

static int world_init(mt_bugset_t bugs)
{
	mt_region_reset(R);
	mt_bugs_enabled = bugs;
	if (mm_core_init() || anon_vma_init() || anon_memory_init() || ksm_init(64))
		return -1;
	return 0;
}

/* Return: anon_vmas leaked at destroy. */
static unsigned long world_fini(void)
{
	unsigned long leaked;

	ksm_fini();
	rcu_barrier();
	anon_memory_fini();
	leaked = anon_vma_fini();
	mm_core_fini();
	mt_bugs_enabled = 0;
	mt_window_hook_set(NULL);
	return leaked;
}

/* A process: an mm with one anonymous VMA of @npages, its first page faulted. */
static struct mm_struct *proc_create(unsigned int npages, struct vm_area_struct **vmap,
				     struct page **pagep)
{
	struct mm_struct *mm = mm_alloc();
	struct vm_area_struct *vma;
	unsigned long addr;

	down_write(&mm->mmap_sem);
	addr = do_mmap_anon(mm, npages);
	vma = find_vma(mm, addr);
	handle_mm_fault(vma, addr);
	up_write(&mm->mmap_sem);
	*vmap = vma;
	if (pagep)
		*pagep = vma_pgtable(vma)->pte[0];
	return mm;
}

static struct vm_area_struct *first_vma(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	down_read(&mm->mmap_sem);
	vma = mm_vma_at(mm, 0);
	up_read(&mm->mmap_sem);
	return vma;
}

static unsigned int chain_length(struct vm_area_struct *vma)
{
	unsigned int n;

	down_read(&vma->vm_mm->mmap_sem);
	n = anon_vma_chain_length(vma);
	up_read(&vma->vm_mm->mmap_sem);
	return n;
}

static int extref(struct anon_vma *av)
{
	return refcount_read_raw(&av->external_refcount);
}

static long anon_vmas_live(void)
{
	return kmem_cache_live(anon_vma_cachep);
}

static void ksm_hold(struct mm_slot *slot, struct mm_struct *mm, struct vm_area_struct *vma)
{
	down_read(&mm->mmap_sem);
	ksm_hold_page(slot, vma, vma->vm_start);
	up_read(&mm->mmap_sem);
}

static void munmap_first(struct mm_struct *mm)
{
	down_write(&mm->mmap_sem);
	do_munmap(mm, mm_vma_at(mm, 0)->vm_start);
	up_write(&mm->mmap_sem);
}

/* Audit everything the test knows about: @mms, and KSM. */
static void audit(struct mm_struct **mms, int n)
{
	struct anon_vma_census *c = anon_vma_audit_begin();

	for (int i = 0; i < n; i++) {
		down_read(&mms[i]->mmap_sem);
		for (unsigned int k = 0; k < mm_nr_vmas(mms[i]); k++)
			anon_vma_audit_vma(c, mm_vma_at(mms[i], k));
		up_read(&mms[i]->mmap_sem);
	}
	ksm_audit(c);
	anon_vma_audit_end(c);
}

/* ---- the window hook: the other thread, at a named window ---- */

static const char *hook_window;
static void (*hook_fn)(void);

static void window_hook(const char *window)
{
	if (hook_window && !strcmp(window, hook_window)) {
		hook_window = NULL;	/* once */
		hook_fn();
	}
}

static void at_window(const char *window, void (*fn)(void))
{
	hook_window = window;
	hook_fn = fn;
	mt_window_hook_set(window_hook);
}

/* ---- the protocol ---- */

static void test_cache(void)
{
	struct anon_vma *av, *again;

	ok(kmem_cache_flags(anon_vma_cachep) & SLAB_TYPESAFE_BY_RCU,
	   "anon_vma_init: the anon_vma cache is SLAB_TYPESAFE_BY_RCU");
	av = kmem_cache_alloc(anon_vma_cachep);
	spin_lock(&av->lock);
	kmem_cache_free(anon_vma_cachep, av);
	again = kmem_cache_alloc(anon_vma_cachep);
	ok(again == av && spin_is_locked(&again->lock) &&
	   refcount_read(&again->external_refcount) == 0 && cds_list_empty(&again->head),
	   "anon_vma_ctor: a lock held across free and reuse stays held (ctor once per object)");
	spin_unlock(&av->lock);
	kmem_cache_free(anon_vma_cachep, again);
}

static void test_fault_fork_exit_ksm(void)
{
	struct mm_struct *parent, *child, *mms[2];
	struct vm_area_struct *pv, *cv;
	struct anon_vma *root, *cav;
	struct mm_slot *slot;
	struct page *page;

	parent = proc_create(4, &pv, &page);
	root = pv->anon_vma;
	ok(root && root->root == root && extref(root) == 0 && chain_length(pv) == 1,
	   "anon_vma_prepare: the first fault makes a root, no external ref, one chain");
	ok(page && page_anon_vma(page) == root && page->mapping_gen == obj_gen(root) &&
	   page_mapcount(page) == 1 && refcount_read(&page->_refcount) == 1 && lru_nr_pages() == 1,
	   "page_add_new_anon_rmap: mapping, its generation, one mapping, on the LRU");

	child = dup_mm(parent, 8);
	cv = first_vma(child);
	cav = cv->anon_vma;
	ok(cav && cav != root && cav->root == root && cav->root_gen == obj_gen(root) &&
	   chain_length(cv) == 2,
	   "anon_vma_fork: the child VMA links the parent's anon_vma and its own, whose root is the parent's");
	ok(extref(root) == 1 && extref(cav) == 0,
	   "anon_vma_fork: the child anon_vma pins the root (get_anon_vma(anon_vma->root))");
	ok(page_mapcount(page) == 2 && refcount_read(&page->_refcount) == 2 &&
	   vma_pgtable(cv)->pte[0] == page,
	   "copy_page_range: the page is shared, a pte reference and a mapping each (page_add_anon_rmap)");
	get_page(page);
	ok(page_referenced(page) == 2, "page_referenced: the rmap walk finds both VMAs");
	mms[0] = parent;
	mms[1] = child;
	audit(mms, 2);
	ok(cnt(MT_LEAKED_REFS) + cnt(MT_MISSING_REFS) == 0 && cnt(MT_AUDITED_OBJECTS) == 2,
	   "anon_vma_audit: the root's count is its child's pin, nothing else");

	mmput(parent);
	ok(page_mapcount(page) == 1 && page_referenced(page) == 1 && obj_is_live(root),
	   "exit of the parent: the child still maps the page and links the root");

	slot = ksm_enter();
	ksm_hold(slot, child, cv);
	ok(extref(cav) == 1 && ksm_nr_items() == 1, "hold_anon_vma: a KSM rmap_item holds the child anon_vma");
	ksm_exit(slot);
	mmput(child);
	ok(page_mapcount(page) == 0 && anon_vmas_live() == 2 && cds_list_empty(&cav->head) &&
	   cds_list_empty(&root->head),
	   "exit of the child: both anon_vmas outlive every process (KSM holds the child, the child pins the root)");
	audit(NULL, 0);
	ok(cnt(MT_LEAKED_REFS) + cnt(MT_MISSING_REFS) == 0,
	   "anon_vma_audit: KSM's reference and the child's pin are both owned");
	ok(page_referenced(page) == -1 && cnt(MT_STALE_OBJECT) == 0,
	   "page_lock_anon_vma: an unmapped page's anon_vma is not locked");
	put_page(page);

	ok(ksm_scan_drop() == 1 && anon_vmas_live() == 0,
	   "drop_anon_vma: KSM's drop frees the child, and the root whose last user it was (two levels)");
	ksm_slot_release(slot);
	ok(cnt(MT_REFCOUNT_UNDERFLOW) + cnt(MT_USE_AFTER_FREE) + cnt(MT_TYPE_CONFUSION) == 0,
	   "fault, fork, exit, KSM: no race counted");
}

static struct anon_vma *mig_av;
static int mig_ref_seen;

static void mig_check_ref(void)
{
	mig_ref_seen = extref(mig_av);
}

static void test_migration(void)
{
	struct mm_struct *parent, *child, *mms[2];
	struct vm_area_struct *pv, *cv;
	struct page *page, *isolated, *newpage;

	parent = proc_create(2, &pv, &page);
	child = dup_mm(parent, 8);
	cv = first_vma(child);
	mig_av = pv->anon_vma;
	isolated = isolate_lru_page();
	ok(isolated == page && lru_nr_pages() == 0 && refcount_read(&page->_refcount) == 3,
	   "isolate_lru_page: the page comes off the LRU with a reference");
	at_window("anon-migrate-ref-to-move", mig_check_ref);
	ok(unmap_and_move(page, 1) == 0, "unmap_and_move: the page moved");
	mt_window_hook_set(NULL);
	ok(mig_ref_seen == 2, "unmap_and_move: the anon_vma holds the child's pin and the migration's ref during the move (%d)",
	   mig_ref_seen);
	newpage = vma_pgtable(pv)->pte[0];
	ok(newpage != page && vma_pgtable(cv)->pte[0] == newpage && newpage->nid == 1 &&
	   page_mapcount(newpage) == 2 && page_anon_vma(newpage) == mig_av &&
	   newpage->mapping_gen == page->mapping_gen && page_mapcount(page) == 0,
	   "unmap_and_move: both ptes map the new page on node 1, same anon_vma; the old page is unmapped");
	ok(extref(mig_av) == 1, "drop_anon_vma: the migration's reference is dropped after the move");
	putback_lru_page(page);
	ok(kmem_cache_live(page_cachep) == 1 && lru_nr_pages() == 1,
	   "putback_lru_page: the old page is freed, the new one is on the LRU");
	mms[0] = parent;
	mms[1] = child;
	audit(mms, 2);
	ok(cnt(MT_LEAKED_REFS) + cnt(MT_MISSING_REFS) == 0, "anon_vma_audit after migration: silent");
	anon_pages_audit();
	ok(cnt(MT_LEAKED_REFS) + cnt(MT_MISSING_REFS) == 0,
	   "anon_pages_audit: every page one reference per pte, on the LRU: silent");
	get_page(newpage);	/* a reference nobody will drop */
	anon_pages_audit();
	ok(cnt(MT_LEAKED_REFS) == 1 && cnt(MT_MISSING_REFS) == 0,
	   "anon_pages_audit: a reference beyond the ptes' is leaked_refs");
	put_page(newpage);
	refcount_dec(&newpage->_refcount);	/* one pte without its reference */
	anon_pages_audit();
	ok(cnt(MT_LEAKED_REFS) == 1 && cnt(MT_MISSING_REFS) == 1,
	   "anon_pages_audit: a pte without its reference is missing_refs");
	refcount_inc(&newpage->_refcount);
	isolated = isolate_lru_page();	/* never put back: off the LRU, a reference kept */
	anon_pages_audit();
	ok(isolated == newpage && cnt(MT_LEAKED_REFS) == 3 && cnt(MT_MISSING_REFS) == 1,
	   "anon_pages_audit: an isolation never put back is leaked_refs twice: its reference, "
	   "and a page reclaim can never find (%llu)", (unsigned long long)cnt(MT_LEAKED_REFS));
	putback_lru_page(isolated);
	anon_pages_audit();
	ok(cnt(MT_LEAKED_REFS) == 3 && cnt(MT_MISSING_REFS) == 1, "anon_pages_audit: silent again");
	mt_region_reset(R);
	mmput(child);
	mmput(parent);
	ok(anon_vmas_live() == 0 && kmem_cache_live(page_cachep) == 0 && lru_nr_pages() == 0,
	   "exit after migration: every anon_vma and page freed");

	/*
	 * A page freed without leaving the LRU (the kernel's "Bad page
	 * state ... PG_lru"): its struct and frame go back to their caches
	 * while the list still links it.
	 */
	mt_region_reset(R);
	isolated = alloc_pages_node(0);
	lru_cache_add(isolated);
	kmem_cache_free(page_frame_cachep, isolated->frame);
	kmem_cache_free(page_cachep, isolated);
	anon_pages_audit();
	ok(cnt(MT_MISSING_REFS) == 1 && cnt(MT_LEAKED_REFS) == 0 && R->nevents > 0 &&
	   strstr(R->events[R->nevents - 1].what, "a freed page is on it") != NULL,
	   "anon_pages_audit: a page freed while on the LRU is missing_refs (%s)",
	   R->nevents ? R->events[R->nevents - 1].what : "no report");
	lru_fini();	/* the list links freed memory: start it again */
	lru_init();
	mt_region_reset(R);
}

/* ---- migration entries: the other thread in the middle of a move ---- */

static struct mm_struct *mid_mm, *mid_child;
static struct vm_area_struct *mid_vma;
static int mid_fault;

static void mid_move_fault(void)
{
	struct vma_pgtable *pt = vma_pgtable(mid_vma);

	down_read(&mid_mm->mmap_sem);
	mid_fault = handle_mm_fault(mid_vma, mid_vma->vm_start);
	up_read(&mid_mm->mmap_sem);
	mid_fault = mid_fault == 1 && pte_is_migration(pt->pte[0]) ? 1 : -1;
}

static void mid_move_fork(void)
{
	mid_child = dup_mm(mid_mm, 8);
}

static void mid_move_munmap(void)
{
	munmap_first(mid_mm);
}

static void test_migration_entries(void)
{
	struct vm_area_struct *pv, *cv;
	struct page *page, *isolated, *newpage;

	/* a fault in the middle finds the entry: the page is mapped, the fault waits */
	mid_mm = proc_create(2, &mid_vma, &page);
	isolated = isolate_lru_page();
	at_window("anon-migrate-ref-to-move", mid_move_fault);
	ok(isolated == page && unmap_and_move(page, 1) == 0 && mid_fault == 1 &&
	   page_mapcount(page) == 0 && vma_pgtable(mid_vma)->pte[0] != page &&
	   !pte_is_migration(vma_pgtable(mid_vma)->pte[0]),
	   "try_to_unmap: a migration entry in the pte; a fault finds it (migration_entry_wait), "
	   "remove_migration_ptes puts the new page there");
	mt_window_hook_set(NULL);
	putback_lru_page(page);
	mmput(mid_mm);

	/* a fork in the middle copies the entry: both get the new page */
	mid_mm = proc_create(2, &pv, &page);
	isolated = isolate_lru_page();
	at_window("anon-migrate-ref-to-move", mid_move_fork);
	ok(unmap_and_move(page, 1) == 0 && mid_child, "unmap_and_move with a fork in the middle");
	mt_window_hook_set(NULL);
	cv = first_vma(mid_child);
	newpage = vma_pgtable(pv)->pte[0];
	ok(newpage != page && vma_pgtable(cv)->pte[0] == newpage && page_mapcount(newpage) == 2 &&
	   refcount_read(&newpage->_refcount) == 2 && page_mapcount(page) == 0,
	   "copy_page_range copied the migration entry; the child, after its parent on the "
	   "anon_vma's list, got the new page too");
	putback_lru_page(page);
	mmput(mid_child);
	mmput(mid_mm);

	/* an munmap in the middle zaps the entry: nothing to remap, the new page is freed */
	mid_mm = proc_create(2, &pv, &page);
	isolated = isolate_lru_page();
	at_window("anon-migrate-ref-to-move", mid_move_munmap);
	ok(unmap_and_move(page, 1) == -EAGAIN && page_mapcount(page) == 0,
	   "an munmap in the middle clears the entry: remove_migration_ptes finds none");
	mt_window_hook_set(NULL);
	putback_lru_page(page);
	mmput(mid_mm);
	ok(kmem_cache_live(page_cachep) == 0 && anon_vmas_live() == 0 && lru_nr_pages() == 0 &&
	   mt_races_total(R) == 0,
	   "moves with a fault, a fork and an munmap in the middle: every page and anon_vma freed, no race");
}

/* ---- KSM's stable tree ---- */

static void test_stable_tree(void)
{
	struct mm_struct *parent, *child;
	struct vm_area_struct *pv, *cv;
	struct anon_vma *root, *cav;
	struct mm_slot *slot = ksm_enter();
	int merged = 0, broken = 0;

	parent = proc_create(2, &pv, NULL);
	root = pv->anon_vma;
	child = dup_mm(parent, 8);
	cv = first_vma(child);
	cav = cv->anon_vma;
	ksm_hold(slot, child, cv);
	ok(ksm_nr_items() == 1 && extref(cav) == 1 && ksm_rmap_walk() == 1,
	   "stable_tree_append: an rmap_item of a KSM page holds the child's anon_vma; "
	   "rmap_walk_ksm finds its VMA");
	mmput(parent);
	mmput(child);
	ok(anon_vmas_live() == 2, "every process exited: KSM's reference keeps the child, the child its root");
	ok(ksm_remove_stable_node() == 1 && anon_vmas_live() == 0 && !obj_is_live(root) &&
	   ksm_nr_items() == 0,
	   "remove_node_from_stable_tree: the item's drop frees the child and the root (two levels)");
	ok(ksm_scan_drop() == 0, "the item, unstable now, is freed with no reference to drop");

	/* ksm_merge_page: merged, or break_cow() dropped the reference and redid the fault */
	parent = proc_create(2, &pv, NULL);
	for (int i = 0; i < 64 && (!merged || !broken); i++) {
		int err = ksm_merge_page(slot, parent, pv->vm_start + PAGE_SIZE);

		merged += err == 0;
		broken += err == -EBUSY;
	}
	ok(merged && broken && extref(pv->anon_vma) == merged && ksm_nr_items() == (unsigned long)merged,
	   "ksm_merge_page: %d merged (each holds the anon_vma), %d broke the COW (reference dropped)",
	   merged, broken);
	ok(page_mapcount(vma_pgtable(pv)->pte[1]) == 1,
	   "break_cow: break_ksm() faulted the page in under mmap_sem");
	ksm_exit(slot);
	mmput(parent);
	while (ksm_scan_drop())
		;
	ksm_slot_release(slot);
	ok(anon_vmas_live() == 0 && mt_races_total(R) == 0,
	   "the stable tree emptied by the scan: every anon_vma freed, no race");
}

/* ---- split_vma() of a faulted anonymous VMA ---- */

static void test_split(void)
{
	struct vm_area_struct *vma, *new;
	struct mm_struct *mm = proc_create(8, &vma, NULL);
	struct page *p5;

	down_write(&mm->mmap_sem);
	handle_mm_fault(vma, vma->vm_start + 5 * PAGE_SIZE);
	p5 = vma_pgtable(vma)->pte[5];
	ok(split_vma(mm, vma, vma->vm_start + 4 * PAGE_SIZE, 1) == 0, "split_vma at page 4, new below");
	new = mm_vma_at(mm, 0);
	ok(new != vma && new->vm_end == vma->vm_start && vma_pgtable(vma)->pte[1] == p5 &&
	   vma_pgtable(vma)->nr == 4 && vma_pgtable(new)->nr == 4 && vma_pgtable(new)->pte[0] &&
	   new->anon_vma == vma->anon_vma && anon_vma_chain_length(new) == 1 &&
	   vma->vm_pgoff == new->vm_pgoff + 4 && p5->index == linear_page_index(vma, vma->vm_start + PAGE_SIZE),
	   "the page table split: the new VMA has pages 0-3, the old one 4-7 from its index 0, "
	   "both on the anon_vma (anon_vma_clone); page->index unchanged");
	up_write(&mm->mmap_sem);
	get_page(p5);
	ok(page_referenced(p5) == 1, "page_referenced of a page of the old VMA's half: found in it");
	put_page(p5);
	mmput(mm);
	ok(anon_vmas_live() == 0 && kmem_cache_live(page_cachep) == 0 && mt_races_total(R) == 0,
	   "exit after the split: both halves unmapped and freed");
}

/* ---- a typesafe slab page through its grace period ---- */

static void test_slab_page_cycle(void)
{
	enum { N = 600 };	/* more than a slab page of anon_vmas */
	static struct anon_vma *av[N];
	uint64_t before = cnt(MT_SLAB_PAGES_RCU_FREED);

	kmem_cache_keep_empty(anon_vma_cachep, false);
	for (int i = 0; i < N; i++)
		av[i] = kmem_cache_alloc(anon_vma_cachep);
	for (int i = 0; i < N; i++)
		kmem_cache_free(anon_vma_cachep, av[i]);
	rcu_barrier();
	ok(cnt(MT_SLAB_PAGES_RCU_FREED) >= before + 2,
	   "slab_keep_empty off: the pages of %d freed anon_vmas went through a grace period to the "
	   "pool (%llu)", N, (unsigned long long)(cnt(MT_SLAB_PAGES_RCU_FREED) - before));
	kmem_cache_keep_empty(anon_vma_cachep, true);
}

/* The walker's race: after its lookup, the page is unmapped, its anon_vma
 * freed, and the memory reused for another process's anon_vma. */
static struct mm_struct *race_mm, *reuse_mm;
static struct anon_vma *race_av;
static uint32_t race_gen;
static bool race_reused;

static void unmap_and_reuse(void)
{
	struct vm_area_struct *vma;

	munmap_first(race_mm);
	reuse_mm = proc_create(1, &vma, NULL);
	race_reused = vma->anon_vma == race_av && obj_gen(race_av) != race_gen;
}

static void unmap_only(void)
{
	munmap_first(race_mm);
}

static struct page *walker_setup(void)
{
	struct vm_area_struct *vma;
	struct page *page;

	race_mm = proc_create(1, &vma, &page);
	race_av = vma->anon_vma;
	race_gen = obj_gen(race_av);
	race_reused = false;
	reuse_mm = NULL;
	return isolate_lru_page() == page ? page : NULL;
}

static void walker_cleanup(struct page *page)
{
	putback_lru_page(page);
	mmput(race_mm);
	if (reuse_mm)
		mmput(reuse_mm);
}

static void test_recheck(void)
{
	struct page *page = walker_setup();
	uint64_t caught = cnt(MT_RECHECK_CAUGHT), reused = cnt(MT_RECHECK_REUSED);

	at_window("anon-lookup-to-lock", unmap_and_reuse);
	ok(page && page_referenced(page) == -1, "page_lock_anon_vma: a walker whose anon_vma was freed and reused gets nothing");
	ok(race_reused, "the anon_vma was reused for another process at once (typesafe cache)");
	ok(cnt(MT_RECHECK_CAUGHT) == caught + 1 && cnt(MT_RECHECK_REUSED) == reused + 1 &&
	   cnt(MT_STALE_OBJECT) == 0,
	   "page_lock_anon_vma: the recheck caught the reuse (recheck_caught, recheck_reused), stale_object silent");
	walker_cleanup(page);

	/* unmapped and freed, not reused: caught, and told apart from a reuse */
	page = walker_setup();
	caught = cnt(MT_RECHECK_CAUGHT);
	reused = cnt(MT_RECHECK_REUSED);
	at_window("anon-lookup-to-lock", unmap_only);
	ok(page && page_referenced(page) == -1 && !obj_is_live(race_av) &&
	   obj_gen(race_av) == race_gen,
	   "page_lock_anon_vma: a walker whose anon_vma was freed, not reused, gets nothing");
	ok(cnt(MT_RECHECK_CAUGHT) == caught + 1 && cnt(MT_RECHECK_REUSED) == reused,
	   "page_lock_anon_vma: the recheck caught an unmapped page (recheck_caught), not a reuse (recheck_reused)");
	walker_cleanup(page);
	mt_window_hook_set(NULL);
}

/*
 * Every allocation of a fork, failed in turn (failslab's fail-nth): the
 * mm, the VMA, its page table, anon_vma_clone()'s chains, anon_vma_fork()'s
 * anon_vma and chain, insert_vm_struct()'s VMA array.  The fork fails
 * cleanly at each one and leaves the parent's tree as it was.
 */
static void test_fork_enomem(void)
{
	struct mm_struct *parent, *child, *gchild = NULL, *mms[2];
	struct vm_area_struct *pv, *cv;
	struct anon_vma *root;
	struct page *page;
	uint64_t injected = cnt(MT_ALLOC_FAILS_INJECTED);
	unsigned int n, failed = 0, unclean = 0;

	parent = proc_create(2, &pv, &page);
	root = pv->anon_vma;
	child = dup_mm(parent, 8);
	cv = first_vma(child);
	mms[0] = parent;
	mms[1] = child;
	for (n = 1; n < 64 && !gchild; n++) {
		mt_fail_nth_set(n);
		gchild = dup_mm(child, 8);
		mt_fail_nth_set(0);
		if (gchild)
			break;
		failed++;
		audit(mms, 2);
		if (anon_vmas_live() != 2 || extref(root) != 1 || chain_length(cv) != 2 ||
		    page_mapcount(page) != 2 || kmem_cache_live(anon_vma_chain_cachep) != 3 ||
		    kmem_cache_live(mm_cachep) != 2) {
			diag("fork failed at its allocation %u: %ld anon_vmas, root count %d, chain %u, mapcount %d",
			     n, anon_vmas_live(), extref(root), chain_length(cv), page_mapcount(page));
			unclean++;
		}
	}
	ok(gchild && failed >= 8 && cnt(MT_ALLOC_FAILS_INJECTED) == injected + failed,
	   "dup_mm: failed at each of its first %u allocations in turn (anon_vma_clone, anon_vma_fork, insert_vm_struct among them), then forked",
	   failed);
	ok(!unclean && cnt(MT_LEAKED_REFS) + cnt(MT_MISSING_REFS) == 0 && mt_races_total(R) == 0,
	   "the ENOMEM paths of a fork leave the parent's tree as it was: counts, chains, mappings (audited)");
	ok(gchild && anon_vmas_live() == 3 && extref(root) == 2 && chain_length(first_vma(gchild)) == 3,
	   "the fork that went through: a third anon_vma, pinning the root, three chains");
	mmput(gchild);
	mmput(child);
	mmput(parent);
	ok(anon_vmas_live() == 0 && kmem_cache_live(anon_vma_chain_cachep) == 0 &&
	   kmem_cache_live(page_cachep) == 0 && lru_nr_pages() == 0,
	   "after the ENOMEM forks, every exit frees every anon_vma, chain and page");
}

/*
 * No VMA array to be had: munmap shifts the published array in place
 * (detach_vma()), and exit detaches one VMA at a time (exit_mmap()).
 */
static void test_unmap_exit_enomem(void)
{
	struct mt_inject_conf all_fail = { .alloc_fail_prob = 1.0 };
	struct mm_struct *mm = mm_alloc(), *child;
	struct vma_array *a;
	unsigned long addr[3];
	uint64_t injected = cnt(MT_ALLOC_FAILS_INJECTED);
	bool found_right;

	down_write(&mm->mmap_sem);
	for (int i = 0; i < 3; i++) {
		addr[i] = do_mmap_anon(mm, 2);
		handle_mm_fault(find_vma(mm, addr[i]), addr[i]);
	}
	up_write(&mm->mmap_sem);
	child = dup_mm(mm, 8);

	a = mm->mmap;
	mt_fail_nth_set(1);
	down_write(&mm->mmap_sem);
	do_munmap(mm, addr[1]);
	up_write(&mm->mmap_sem);
	mt_fail_nth_set(0);
	rcu_read_lock();
	found_right = !find_vma_rcu(mm, addr[1]) && find_vma_rcu(mm, addr[0]) &&
		      find_vma_rcu(mm, addr[2]);
	rcu_read_unlock();
	ok(cnt(MT_ALLOC_FAILS_INJECTED) == injected + 1 && mm->mmap == a && a->nr == 2 &&
	   mm->map_count == 2 && found_right,
	   "detach_vma, no new array: the published array is shifted in place, the VMA gone from RCU lookups");
	ok(anon_vmas_live() == 6 && mt_races_total(R) == 0,
	   "munmap with no memory: the VMA's anon_vma lives on for the child (%ld anon_vmas)",
	   anon_vmas_live());

	mt_inject_configure(&all_fail);
	mmput(child);
	mmput(mm);
	mt_inject_reset();
	rcu_barrier();
	ok(cnt(MT_ALLOC_FAILS_INJECTED) > injected + 3,
	   "exit_mmap, no memory at all: no new array for the exit nor for any detach (%llu failures)",
	   (unsigned long long)(cnt(MT_ALLOC_FAILS_INJECTED) - injected));
	ok(anon_vmas_live() == 0 && kmem_cache_live(page_cachep) == 0 &&
	   kmem_cache_live(vm_area_cachep) == 0 && kmem_cache_live(mm_cachep) == 0 &&
	   mt_races_total(R) == 0,
	   "exit_mmap's fallback, one VMA at a time in place: every VMA, anon_vma and page freed, no race");
}

/* Return: the leaks it provoked on purpose (one leaked_refs, one missing_refs). */
static uint64_t test_audit_detects(void)
{
	uint64_t leaked0 = cnt(MT_LEAKED_REFS), missing0 = cnt(MT_MISSING_REFS);
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct mm_slot *slot;
	struct anon_vma *av;

	mm = proc_create(1, &vma, NULL);
	av = vma->anon_vma;
	get_anon_vma(av);		/* a reference nobody owns */
	audit(&mm, 1);
	ok(cnt(MT_LEAKED_REFS) == leaked0 + 1 && cnt(MT_MISSING_REFS) == missing0,
	   "anon_vma_audit: a reference without an owner is leaked_refs");
	drop_anon_vma(av);
	audit(&mm, 1);
	ok(cnt(MT_LEAKED_REFS) == leaked0 + 1 && cnt(MT_MISSING_REFS) == missing0,
	   "anon_vma_audit: dropped again, silent");

	slot = ksm_enter();
	ksm_hold(slot, mm, vma);
	drop_anon_vma(av);		/* KSM's reference, dropped behind its back */
	audit(&mm, 1);
	ok(cnt(MT_MISSING_REFS) == missing0 + 1,
	   "anon_vma_audit: an owner without its reference is missing_refs");
	get_anon_vma(av);
	{
		/* a KSM page's rmap_item that lost its anon_vma pointer */
		struct rmap_item *item = cds_list_entry(slot->rmap_list.next, struct rmap_item, link);

		item->anon_vma = NULL;
		drop_anon_vma(av);
		audit(&mm, 1);
		ok(cnt(MT_MISSING_REFS) == missing0 + 2,
		   "anon_vma_audit: an rmap_item on a stable node that holds no anon_vma is missing_refs");
		get_anon_vma(av);
		item->anon_vma = av;
	}
	ksm_exit(slot);
	ksm_scan_drop();
	ksm_slot_release(slot);
	mmput(mm);
	return 3;
}

/* ---- the bugs, deterministically ---- */

static struct mm_struct *ex_mm;

static void exit_ex_mm(void)
{
	mmput(ex_mm);
	ex_mm = NULL;
}

/*
 * The seed's scenario: a parent and its child, KSM holding the child's
 * anon_vma, then both exit.  Return: the child anon_vma.
 */
static struct anon_vma *ksm_outlives_tree(struct mm_slot *slot, struct anon_vma **rootp)
{
	struct mm_struct *parent, *child;
	struct vm_area_struct *pv, *cv;
	struct anon_vma *cav;

	parent = proc_create(2, &pv, NULL);
	*rootp = pv->anon_vma;
	child = dup_mm(parent, 8);
	cv = first_vma(child);
	cav = cv->anon_vma;
	ksm_hold(slot, child, cv);
	mmput(parent);
	mmput(child);
	return cav;
}

static void bug_root_unpinned(void)
{
	struct anon_vma *root, *cav;
	struct mm_slot *slot;

	for (int buggy = 0; buggy < 2; buggy++) {
		world_init(buggy ? 1u << MT_BUG_ANON_VMA_ROOT_UNPINNED : 0);
		slot = ksm_enter();
		cav = ksm_outlives_tree(slot, &root);
		if (!buggy)
			ok(obj_is_live(root) && ksm_rmap_walk() == 0 &&
			   cnt(MT_USE_AFTER_FREE) + cnt(MT_TYPE_CONFUSION) == 0,
			   "anon-vma-root-unpinned off: the pinned root lives while KSM holds the child; its lock is taken cleanly");
		else
			ok(!obj_is_live(root) && cav->root == root && ksm_rmap_walk() == 0 &&
			   cnt(MT_USE_AFTER_FREE) == 1,
			   "anon-vma-root-unpinned: the root was freed under its child; rmap_walk_ksm takes its lock: use_after_free");
		ksm_slot_release(slot);
		world_fini();
		if (buggy)
			ok(cnt(MT_REFCOUNT_UNDERFLOW) == 0,
			   "anon-vma-root-unpinned: no pin taken, none dropped (KSM's drop frees one level): no refcount_underflow");
	}
}

static void bug_drop_one_level(void)
{
	struct anon_vma *root;
	struct mm_slot *slot;
	unsigned long leaked;

	for (int buggy = 0; buggy < 2; buggy++) {
		world_init(buggy ? 1u << MT_BUG_ANON_VMA_DROP_ONE_LEVEL : 0);
		slot = ksm_enter();
		ksm_outlives_tree(slot, &root);
		ksm_scan_drop();
		audit(NULL, 0);
		ksm_slot_release(slot);
		leaked = world_fini();
		if (!buggy)
			ok(cnt(MT_LEAKED_REFS) == 0 && leaked == 0,
			   "anon-vma-drop-one-level off: the child's drop frees the root too");
		else
			ok(cnt(MT_LEAKED_REFS) == 1 && leaked == 1 && cnt(MT_LEAKED_OBJECTS) == 1 &&
			   R->caches[mt_region_cache_slot("anon_vma", true)].leaked == 1,
			   "anon-vma-drop-one-level: the root keeps the child's pin: leaked_refs, leaked_objects{anon_vma}");
	}
}

static void bug_not_typesafe(void)
{
	struct page *page;

	for (int buggy = 0; buggy < 2; buggy++) {
		world_init(buggy ? 1u << MT_BUG_ANON_VMA_NOT_TYPESAFE : 0);
		page = walker_setup();
		at_window("anon-lookup-to-lock", unmap_only);
		page_referenced(page);
		if (!buggy)
			ok(cnt(MT_USE_AFTER_FREE) + cnt(MT_TYPE_CONFUSION) == 0 && cnt(MT_RECHECK_CAUGHT) == 1,
			   "anon-vma-not-typesafe off: the walker locks the freed anon_vma and its recheck bails");
		else
			ok(!(kmem_cache_flags(anon_vma_cachep) & SLAB_TYPESAFE_BY_RCU) &&
			   cnt(MT_USE_AFTER_FREE) == 1,
			   "anon-vma-not-typesafe: the walker reaches a poisoned anon_vma: use_after_free");
		walker_cleanup(page);
		world_fini();
	}
}

static void bug_no_recheck(void)
{
	struct page *page;

	for (int buggy = 0; buggy < 2; buggy++) {
		world_init(buggy ? 1u << MT_BUG_RMAP_NO_RECHECK : 0);
		page = walker_setup();
		at_window("anon-lookup-to-lock", unmap_and_reuse);
		page_referenced(page);
		if (!buggy)
			ok(race_reused && cnt(MT_STALE_OBJECT) == 0 && cnt(MT_RECHECK_CAUGHT) == 1,
			   "rmap-no-recheck off: the recheck bails before the reused anon_vma is used");
		else
			ok(race_reused && cnt(MT_STALE_OBJECT) == 1,
			   "rmap-no-recheck: the walk uses the reused anon_vma: stale_object");
		walker_cleanup(page);
		world_fini();
	}
}

static void bug_ksm_unlocked_drop(void)
{
	struct vm_area_struct *vma;
	struct mm_slot *slot;
	unsigned long leaked;

	for (int buggy = 0; buggy < 2; buggy++) {
		world_init(buggy ? 1u << MT_BUG_KSM_UNLOCKED_DROP : 0);
		slot = ksm_enter();
		ex_mm = proc_create(1, &vma, NULL);
		ksm_hold(slot, ex_mm, vma);
		/* the process exits while ksmd drops its item, after the decrement */
		at_window("anon-ksm-dec-to-test", exit_ex_mm);
		if (!buggy)
			at_window("anon-drop-dec", exit_ex_mm);
		ksm_scan_drop();
		ksm_slot_release(slot);
		leaked = world_fini();
		if (!buggy)
			ok(cnt(MT_DOUBLE_FREE) == 0 && leaked == 0,
			   "ksm-unlocked-drop off: the locked drop and the unlink agree on who frees");
		else
			ok(cnt(MT_DOUBLE_FREE) == 1,
			   "ksm-unlocked-drop: the unlink and the unlocked drop both free: double_free");
	}

	/* nobody in the way: the unlocked drop frees the child and its root */
	{
		struct anon_vma *root;

		world_init(1u << MT_BUG_KSM_UNLOCKED_DROP);
		slot = ksm_enter();
		ksm_outlives_tree(slot, &root);
		ksm_scan_drop();
		ok(anon_vmas_live() == 0 && !obj_is_live(root),
		   "ksm-unlocked-drop, nothing racing: KSM's drop frees the child, whose pin was the root's last");
		audit(NULL, 0);
		ksm_slot_release(slot);
		leaked = world_fini();
		ok(leaked == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
		   "ksm-unlocked-drop, nothing racing: no leak, no race (only the race is broken)");
	}
}

int main(void)
{
	uint64_t provoked;

	R = mt_region_create(false);
	mt_region_use(R);
	rcu_register_thread();

	ok(world_init(0) == 0, "caches created, the mm_unmap_vma hook installed");
	ok(mm_unmap_vma == anon_unmap_vma, "anon_memory_init: munmap and exit call anon_unmap_vma");
	test_cache();
	test_fault_fork_exit_ksm();
	test_migration();
	test_migration_entries();
	test_stable_tree();
	test_split();
	test_slab_page_cycle();
	test_recheck();
	test_fork_enomem();
	test_unmap_exit_enomem();
	provoked = test_audit_detects();
	ok(world_fini() == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == provoked,
	   "the correct protocol: no race, no leak but the %llu provoked, nothing left at destroy",
	   (unsigned long long)provoked);

	bug_root_unpinned();
	bug_drop_one_level();
	bug_not_typesafe();
	bug_no_recheck();
	bug_ksm_unlocked_drop();

	rcu_unregister_thread();
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
