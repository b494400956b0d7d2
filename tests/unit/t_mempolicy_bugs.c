// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_mempolicy_bugs - the seven mempolicy bugs of BUGS.md against the
 * generic detectors.
 *
 *  1. Single-threaded, deterministic: each detection bug's broken path is
 *     run once on a small world and the counters bugs.h expects fire
 *     (ALL: every one, ANY: at least one), checked with the engine's own
 *     mt_job_expectation_met(); mpol-unconditional-refs keeps every count
 *     balanced and the audit silent.
 *  2. Multithreaded: the mempolicy workload as a job (4 threads, delay
 *     injection on, audits every 250ms, stopped at the first detection)
 *     with each detection bug detects it; with mpol-unconditional-refs,
 *     and with no bug under each RCU flavor, it runs clean with overlaps.
 *
 * The seed is printed; MT_TEST_SEED=<seed> repeats a run.
 */
#include <stdlib.h>
#include <string.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "lib/engine/engine.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"
#include "tests/tap.h"

extern const struct workload wl_mempolicy;

static struct mt_region *R;

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

/* ---- a small world ---- */

struct fix {
	struct task_struct *T, *U;	/* T's VMAs are read by U's numa_maps */
	struct vm_area_struct *A;	/* anon, VMA policy INTERLEAVE{0,1} */
	struct vm_area_struct *B;	/* anon, no policy: T's task policy */
	struct vm_area_struct *H;	/* hugetlb, VMA policy INTERLEAVE{0,1} */
	struct vm_area_struct *C;	/* S mapped in T */
	struct shmem_inode_info *S;	/* PREFERRED 1 over its 16 pages */
};

static struct mempolicy *newpol(unsigned short mode, unsigned long bits)
{
	nodemask_t m = { bits };
	int err;
	struct mempolicy *p = mpol_new(mode, &m, &err);

	if (!p)
		tap_bail("mpol_new failed");
	return p;
}

static struct vm_area_struct *add_vma(struct mm_struct *mm, unsigned long flags,
				      struct mempolicy *pol)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	down_write(&mm->mmap_sem);
	vma->vm_start = get_unmapped_area(mm, 16 * PAGE_SIZE);
	vma->vm_end = vma->vm_start + 16 * PAGE_SIZE;
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma->vm_flags = VM_READ | VM_WRITE | flags;
	vma->vm_policy = pol;
	insert_vm_struct(mm, vma);
	up_write(&mm->mmap_sem);
	return vma;
}

static void fix_up(struct fix *f)
{
	struct mempolicy *sp;
	unsigned long addr;

	mt_region_reset(R);
	if (mm_core_init() || mempolicy_init() || shmem_init())
		tap_bail("caches");
	f->T = task_create(mm_alloc());
	f->U = task_create(mm_alloc());
	f->T->mempolicy = newpol(MPOL_INTERLEAVE, 0x3);
	f->A = add_vma(f->T->mm, 0, newpol(MPOL_INTERLEAVE, 0x3));
	f->B = add_vma(f->T->mm, 0, NULL);
	f->H = add_vma(f->T->mm, VM_HUGETLB, newpol(MPOL_INTERLEAVE, 0x3));
	sp = newpol(MPOL_PREFERRED, 0x2);
	f->S = shmem_create(16, sp, false);
	mpol_put(sp);
	addr = shmem_map(f->T->mm, f->S, true);
	shmem_map(f->U->mm, f->S, true);
	down_read(&f->T->mm->mmap_sem);
	f->C = find_vma(f->T->mm, addr);
	up_read(&f->T->mm->mmap_sem);
	mpol_set_current(f->T);
}

static unsigned long fix_audit(struct fix *f)
{
	struct mpol_audit *a = mpol_audit_begin();

	mpol_audit_task(a, f->T);
	mpol_audit_task(a, f->U);
	mpol_audit_shmem(a, f->S, 1);
	return mpol_audit_end(a);
}

static void fix_down(struct fix *f)
{
	mt_bugs_enabled = 0;
	mpol_set_current(NULL);
	exit_mm(f->T);
	exit_mempolicy(f->T);
	put_task_struct(f->T);
	exit_mm(f->U);
	exit_mempolicy(f->U);
	put_task_struct(f->U);
	shmem_put(f->S);
	rcu_barrier();
	shmem_fini();
	mempolicy_fini();
	mm_core_fini();
}

/* Did the counters bug @b expects fire (ALL: every one; ANY: one)? */
static bool expected_fired(enum mt_bug_id b)
{
	struct mt_job j;

	memset(&j, 0, sizeof(j));
	j.bugs = 1u << b;
	return mt_job_expectation_met(&j, R, true);
}

static void fires_str(enum mt_bug_id b, char *buf, size_t len)
{
	mt_bug_fires_str(&mt_bug_table[b], buf, len);
}

static void single_threaded(void)
{
	struct fix f;
	struct mempolicy *pol;
	struct page *pg;
	char buf[2048], fires[128];
	unsigned long bad;

	/* mpol-numa-maps-leak: U reads T's numa_maps; C's shared ref stays */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_NUMA_MAPS_LEAK;
	mpol_set_current(f.U);
	show_numa_maps(f.T, buf, sizeof(buf));
	bad = fix_audit(&f);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_NUMA_MAPS_LEAK, fires, sizeof(fires));
	ok(bad == 1 && expected_fired(MT_BUG_MPOL_NUMA_MAPS_LEAK),
	   "mpol-numa-maps-leak, show_numa_map of another task: %s fired (audit: %lu)", fires, bad);

	/* mpol-migrate-leak: one page migrated into C */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_MIGRATE_LEAK;
	pg = alloc_pages_node(0);
	pg->index = f.C->vm_pgoff + 3;
	down_read(&f.T->mm->mmap_sem);
	put_page(new_vma_page(pg, (unsigned long)f.C, NULL));
	up_read(&f.T->mm->mmap_sem);
	put_page(pg);
	bad = fix_audit(&f);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_MIGRATE_LEAK, fires, sizeof(fires));
	ok(bad == 1 && expected_fired(MT_BUG_MPOL_MIGRATE_LEAK),
	   "mpol-migrate-leak, new_vma_page on a shmem VMA: %s fired (audit: %lu)", fires, bad);

	/* mpol-hugetlb-interleave-put: H's VMA INTERLEAVE policy loses its only ref */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT;
	down_read(&f.T->mm->mmap_sem);
	put_page(dequeue_huge_page(f.H, f.H->vm_start));
	pol = get_vma_policy(f.T, f.H, f.H->vm_start);	/* the next fault reads it */
	mpol_lookup_put(f.H, pol);
	up_read(&f.T->mm->mmap_sem);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT, fires, sizeof(fires));
	ok(cnt(MT_USE_AFTER_FREE) >= 1 && expected_fired(MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT),
	   "mpol-hugetlb-interleave-put, huge_zonelist on a VMA policy, then a fault: %s fired "
	   "(use_after_free %llu)", fires, (unsigned long long)cnt(MT_USE_AFTER_FREE));

	/* the same through the task policy: hugetlb VMA without a policy */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT;
	down_write(&f.T->mm->mmap_sem);
	mpol_put(f.H->vm_policy);
	f.H->vm_policy = NULL;
	up_write(&f.T->mm->mmap_sem);
	down_read(&f.T->mm->mmap_sem);
	put_page(dequeue_huge_page(f.H, f.H->vm_start));
	up_read(&f.T->mm->mmap_sem);
	put_page(alloc_pages_current());
	fix_down(&f);
	ok(cnt(MT_USE_AFTER_FREE) >= 1 && expected_fired(MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT),
	   "mpol-hugetlb-interleave-put, huge_zonelist on the task policy: freed under its task (%s)",
	   fires);

	/* mpol-swapin-multi-put: one lookup, four allocations, four puts */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_SWAPIN_MULTI_PUT;
	swapin_readahead_pages = 4;
	put_page(shmem_swapin(f.S, 5));
	fix_down(&f);
	fires_str(MT_BUG_MPOL_SWAPIN_MULTI_PUT, fires, sizeof(fires));
	ok(expected_fired(MT_BUG_MPOL_SWAPIN_MULTI_PUT),
	   "mpol-swapin-multi-put, shmem_swapin without mpol_cond_copy: %s fired "
	   "(use_after_free %llu, refcount_underflow %llu)", fires,
	   (unsigned long long)cnt(MT_USE_AFTER_FREE), (unsigned long long)cnt(MT_REFCOUNT_UNDERFLOW));

	/* mpol-set-no-mmap-sem: the replace runs without mmap_sem for write */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_SET_NO_MMAP_SEM;
	do_set_mempolicy(MPOL_BIND, &(nodemask_t){ 1 });
	fix_down(&f);
	fires_str(MT_BUG_MPOL_SET_NO_MMAP_SEM, fires, sizeof(fires));
	ok(cnt(MT_LOCK_RULE) == 1 && expected_fired(MT_BUG_MPOL_SET_NO_MMAP_SEM),
	   "mpol-set-no-mmap-sem, do_set_mempolicy without mmap_sem: lock_rule fired (expects %s)", fires);

	/* mpol-shared-lookup-no-ref: the user's put takes the tree's ref */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_SHARED_LOOKUP_NO_REF;
	put_page(shmem_alloc_page(f.S, 1));
	put_page(shmem_alloc_page(f.S, 2));
	fix_down(&f);
	fires_str(MT_BUG_MPOL_SHARED_LOOKUP_NO_REF, fires, sizeof(fires));
	ok(expected_fired(MT_BUG_MPOL_SHARED_LOOKUP_NO_REF),
	   "mpol-shared-lookup-no-ref, shmem_alloc_page twice: %s fired (use_after_free %llu)", fires,
	   (unsigned long long)cnt(MT_USE_AFTER_FREE));

	/* mpol-unconditional-refs: a pair on every lookup, every count balanced */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS;
	down_read(&f.T->mm->mmap_sem);
	pol = get_vma_policy(f.T, f.A, f.A->vm_start);
	ok(refcount_read(&pol->refcnt) == 2, "mpol-unconditional-refs: get_vma_policy takes a ref on a VMA policy");
	mpol_lookup_put(f.A, pol);
	pol = get_vma_policy(f.T, f.B, f.B->vm_start);
	ok(refcount_read(&pol->refcnt) == 2 && pol == f.T->mempolicy,
	   "mpol-unconditional-refs: and on the task policy");
	mpol_lookup_put(f.B, pol);
	for (unsigned long k = 0; k < 8; k++) {
		put_page(alloc_page_vma(f.A, f.A->vm_start + k * PAGE_SIZE));
		put_page(alloc_page_vma(f.B, f.B->vm_start + k * PAGE_SIZE));
		put_page(alloc_page_vma(f.C, f.C->vm_start + k * PAGE_SIZE));
		put_page(dequeue_huge_page(f.H, f.H->vm_start));
	}
	up_read(&f.T->mm->mmap_sem);
	put_page(shmem_swapin(f.S, 3));
	put_page(shmem_alloc_page(f.S, 4));
	put_page(alloc_pages_current());
	mpol_set_current(f.U);
	show_numa_maps(f.T, buf, sizeof(buf));
	mpol_set_current(f.T);
	bad = fix_audit(&f);
	fix_down(&f);
	ok(bad == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
	   "mpol-unconditional-refs: every path balanced, audit and teardown clean");
}

/* ---- multithreaded ---- */

static void job_setup(struct mt_job *job, uint64_t seed, double runtime_s)
{
	mt_job_defaults(job, &wl_mempolicy);
	job->threads = 4;
	job->runtime_ns = (uint64_t)(runtime_s * 1e9);
	job->seed = seed;
	job->inject.delay_prob = 0.02;
	job->audit_interval_ns = 250000000ull;
}

static void stress_detect(enum mt_bug_id b, uint64_t seed)
{
	struct mt_job job;
	char fires[128];
	int rc;

	job_setup(&job, seed, 8);
	job.bugs = 1u << b;
	job.expect = MT_JOB_EXPECT_DETECT;
	job.stop_on_detect = true;
	rc = mt_job_execute(&job, R);
	fires_str(b, fires, sizeof(fires));
	ok(rc == 0 && mt_job_expectation_met(&job, R, true),
	   "%s, 4 threads, delay 0.02: %s detected in %.3f s (%llu ops)", mt_bug_table[b].name,
	   fires, R->t_detect_ns / 1e9, (unsigned long long)mt_ops_total(R));
	if (rc)
		diag("harness error: %s", R->error);
}

static void stress_clean(enum mt_rcu_flavor fl, mt_bugset_t bugs, uint64_t seed, const char *what)
{
	struct mt_job job;
	bool every_role = true;
	int rc;

	job_setup(&job, seed, 1.5);
	job.rcu = fl;
	job.bugs = bugs;
	rc = mt_job_execute(&job, R);
	for (unsigned int r = 0; r < wl_nroles(&wl_mempolicy); r++)
		every_role &= mt_ops_read(R, r) > 0;
	ok(rc == 0 && R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
	   mt_counter_read(R, MT_AUDITS) >= 3 && mt_counter_read(R, MT_OVERLAPS) > 0 && every_role,
	   "%s, rcu %s: clean (%llu ops, %llu overlaps, %llu audits of %llu objects, %llu delays)",
	   what, mt_rcu_flavor_name(fl), (unsigned long long)mt_ops_total(R),
	   (unsigned long long)mt_counter_read(R, MT_OVERLAPS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITED_OBJECTS),
	   (unsigned long long)mt_counter_read(R, MT_DELAYS_INJECTED));
	if (mt_races_total(R) || mt_leaks_total(R))
		for (uint64_t i = 0; i < R->nevents && i < 4; i++)
			diag("  %s: %s", R->events[i].where, R->events[i].what);
}

int main(void)
{
	uint64_t seed;
	static const enum mt_bug_id detect[] = {
		MT_BUG_MPOL_NUMA_MAPS_LEAK, MT_BUG_MPOL_MIGRATE_LEAK,
		MT_BUG_MPOL_HUGETLB_INTERLEAVE_PUT, MT_BUG_MPOL_SWAPIN_MULTI_PUT,
		MT_BUG_MPOL_SET_NO_MMAP_SEM, MT_BUG_MPOL_SHARED_LOOKUP_NO_REF,
	};

	R = mt_region_create(false);
	seed = tap_seed(mt_seed_random());
	mt_region_use(R);

	rcu_register_thread();
	single_threaded();
	rcu_unregister_thread();	/* mt_job_execute() registers by itself */

	for (unsigned int i = 0; i < ARRAY_SIZE(detect); i++)
		stress_detect(detect[i], seed + i);
	stress_clean(MT_RCU_MEMB, 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS, seed,
		     "mpol-unconditional-refs (performance entry)");
	for (int fl = 0; fl < MT_RCU_NFLAVORS; fl++)
		stress_clean((enum mt_rcu_flavor)fl, 0, seed + 100 + (uint64_t)fl, "correct protocol");

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
