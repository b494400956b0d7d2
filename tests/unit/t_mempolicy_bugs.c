// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_mempolicy_bugs - the mempolicy bugs of the catalogue (the seven of
 * docs/BUGS.md's first table, the seed steps without an entry there, and 73223e4e2e38's
 * early unlock) against the generic detectors.
 *
 *  1. Single-threaded, deterministic: each detection bug's broken path is
 *     run once on a small world and the counters bugs.h expects fire
 *     (ALL: every one, ANY: at least one), checked with the engine's own
 *     mt_job_expectation_met(); mpol-unconditional-refs keeps every count
 *     balanced and the audit silent.
 *  2. Multithreaded: the mempolicy workload as a job (4 threads, delay
 *     injection on, audits every 250ms, stopped at the first detection)
 *     with each detection bug detects it; mpol-set-no-mmap-sem, an ALL
 *     entry, runs numa_maps readers against set_mempolicy writers to the
 *     end and must show the use_after_free of the race besides lock_rule;
 *     with mpol-unconditional-refs, and with no bug under each RCU flavor,
 *     it runs clean with overlaps.
 *  3. The race of mpol-shared-lookup-no-ref itself: one thread looks a
 *     shared policy up and uses it while another replaces the range; the
 *     use must see the policy freed inside its lookup-to-use window (the
 *     correct protocol: the reader holds the last reference instead).
 *
 * The seed is printed; MT_TEST_SEED=<seed> repeats a run.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "lib/engine/engine.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"
#include "tests/tap.h"
#include "tests/unit/sched_detect.h"

extern const struct workload wl_mempolicy;

static struct mt_region *R;

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

/* Events of kind @c reported by @where. */
static unsigned int events_at(enum mt_counter c, const char *where)
{
	unsigned int n = 0;

	for (uint64_t i = 0; i < R->nevents && i < MT_MAX_EVENTS; i++)
		n += R->events[i].kind == (uint32_t)c && !strcmp(R->events[i].where, where);
	return n;
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
	f->S = shmem_create(16, MPOL_PREFERRED, &(nodemask_t){ 0x2 }, false);
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
/* The window hook that plays task hook_task's do_set_mempolicy(). */
static struct task_struct *hook_task;
static int hook_countdown;

static void set_policy_hook(const char *window)
{
	struct task_struct *reader = mpol_current;

	if (strcmp(window, "mpol-numa-maps-lookup-to-str") || --hook_countdown)
		return;
	mpol_set_current(hook_task);
	do_set_mempolicy(MPOL_BIND, &(nodemask_t){ 1 });
	mpol_set_current(reader);
}

/*
 * Another thread of T's process mbind()s A while T is between the mode
 * and the mask of its get_mempolicy(): only if mmap_sem is free, as the
 * other thread's down_write() would find it (a real down_write() here
 * would wait for the very reader the hook interrupts).
 */
static struct fix *early_fix;
static int early_mbinds;

static void early_unlock_hook(const char *window)
{
	struct mm_struct *mm = early_fix->T->mm;

	if (strcmp(window, "mpol-get-mode-to-nodemask") || early_mbinds)
		return;
	if (pthread_rwlock_trywrlock(&mm->mmap_sem.rw))
		return;		/* the reader holds it: the mbind waits for it */
	pthread_rwlock_unlock(&mm->mmap_sem.rw);
	early_mbinds++;
	do_mbind(early_fix->A->vm_start, early_fix->A->vm_end - early_fix->A->vm_start,
		 MPOL_BIND, &(nodemask_t){ 0x2 });
}

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

	/*
	 * mpol-migrate-leak: one page migrated into C.  The leak is in
	 * alloc_page_vma(), as in 2.6.23, whose shmem callers put their
	 * pseudo-VMA's policy themselves: shmem_alloc_page() leaks nothing.
	 */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_MIGRATE_LEAK;
	pg = alloc_pages_node(0);
	pg->index = f.C->vm_pgoff + 3;
	down_read(&f.T->mm->mmap_sem);
	put_page(new_vma_page(pg, (unsigned long)f.C, NULL));
	up_read(&f.T->mm->mmap_sem);
	put_page(pg);
	put_page(shmem_alloc_page(f.S, 4));
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
	mpol_cond_put(pol);
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
	ok(expected_fired(MT_BUG_MPOL_SWAPIN_MULTI_PUT) &&
	   events_at(MT_USE_AFTER_FREE, "get_vma_policy") > 0,
	   "mpol-swapin-multi-put, shmem_swapin without mpol_cond_copy: %s fired, the readahead's "
	   "next lookup saw the freed policy (use_after_free %llu, refcount_underflow %llu)", fires,
	   (unsigned long long)cnt(MT_USE_AFTER_FREE), (unsigned long long)cnt(MT_REFCOUNT_UNDERFLOW));

	/*
	 * mpol-set-no-mmap-sem: U reads T's numa_maps; between the lookup of
	 * B's policy (T's task policy) and its use, T replaces its policy
	 * (the window hook plays T).  Without mmap_sem for write the replace
	 * does not wait for the reader: lock_rule, and the old policy is
	 * freed under the reader: use_after_free.
	 */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_SET_NO_MMAP_SEM;
	hook_task = f.T;
	hook_countdown = 2;	/* A, then B: the VMA that falls back to T's policy */
	mt_window_hook_set(set_policy_hook);
	mpol_set_current(f.U);
	show_numa_maps(f.T, buf, sizeof(buf));
	mt_window_hook_set(NULL);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_SET_NO_MMAP_SEM, fires, sizeof(fires));
	ok(cnt(MT_LOCK_RULE) == 1 && cnt(MT_USE_AFTER_FREE) >= 1 &&
	   expected_fired(MT_BUG_MPOL_SET_NO_MMAP_SEM),
	   "mpol-set-no-mmap-sem, do_set_mempolicy inside another task's numa_maps read: %s fired "
	   "(use_after_free %llu)", fires, (unsigned long long)cnt(MT_USE_AFTER_FREE));

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

	/*
	 * mpol-get-mempolicy-early-unlock (73223e4e2e38): get_mempolicy() of
	 * A's policy while another thread of the process mbind()s A.
	 */
	for (int buggy = 0; buggy < 2; buggy++) {
		nodemask_t nm;
		int mode;

		fix_up(&f);
		mt_bugs_enabled = buggy ? 1u << MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK : 0;
		early_fix = &f;
		early_mbinds = 0;
		mt_window_hook_set(early_unlock_hook);
		do_get_mempolicy(&mode, &nm, f.A->vm_start, MPOL_F_ADDR);
		mt_window_hook_set(NULL);
		fix_down(&f);
		fires_str(MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK, fires, sizeof(fires));
		if (buggy)
			ok(early_mbinds == 1 && expected_fired(MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK) &&
			   events_at(MT_USE_AFTER_FREE, "get_policy_nodemask") > 0,
			   "mpol-get-mempolicy-early-unlock: mmap_sem dropped before the mask, mbind "
			   "frees the VMA policy under the read of its mask: %s fired", fires);
		else
			ok(early_mbinds == 0 && mode == MPOL_INTERLEAVE && nm.bits == 0x3 &&
			   mt_races_total(R) == 0,
			   "get_mempolicy holds mmap_sem until the mask is read: the mbind waits, "
			   "INTERLEAVE{0,1} read whole");
	}

	/* mpol-get-mempolicy-no-put: get_mempolicy() of C keeps the shared ref */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_GET_MEMPOLICY_NO_PUT;
	{
		nodemask_t nm;
		int mode;

		do_get_mempolicy(&mode, &nm, f.C->vm_start, MPOL_F_ADDR);
	}
	bad = fix_audit(&f);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_GET_MEMPOLICY_NO_PUT, fires, sizeof(fires));
	ok(bad == 1 && expected_fired(MT_BUG_MPOL_GET_MEMPOLICY_NO_PUT),
	   "mpol-get-mempolicy-no-put, get_mempolicy of a shared policy: %s fired (audit: %lu)",
	   fires, bad);

	/* mpol-cond-copy-keeps-shared: the readahead puts the on-stack copy */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_COND_COPY_KEEPS_SHARED;
	swapin_readahead_pages = 4;
	put_page(shmem_swapin(f.S, 5));
	fix_down(&f);
	fires_str(MT_BUG_MPOL_COND_COPY_KEEPS_SHARED, fires, sizeof(fires));
	ok(expected_fired(MT_BUG_MPOL_COND_COPY_KEEPS_SHARED) && cnt(MT_TYPE_CONFUSION) >= 1 &&
	   mt_leaks_total(R) == 0,
	   "mpol-cond-copy-keeps-shared, shmem_swapin: the copy is put as if it were the shared "
	   "policy: %s fired (type_confusion %llu); the real one's ref was dropped once",
	   fires, (unsigned long long)cnt(MT_TYPE_CONFUSION));

	/* mpol-mbind-no-get: A's new policy is freed by mbind's own put */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_MBIND_NO_GET;
	do_mbind(f.A->vm_start, f.A->vm_end - f.A->vm_start, MPOL_PREFERRED, &(nodemask_t){ 0x2 });
	down_read(&f.T->mm->mmap_sem);
	put_page(alloc_page_vma(f.A, f.A->vm_start));	/* the next fault */
	up_read(&f.T->mm->mmap_sem);
	down_write(&f.T->mm->mmap_sem);
	f.A->vm_policy = NULL;	/* a dangling pointer the teardown must not put again */
	up_write(&f.T->mm->mmap_sem);
	fix_down(&f);
	fires_str(MT_BUG_MPOL_MBIND_NO_GET, fires, sizeof(fires));
	ok(expected_fired(MT_BUG_MPOL_MBIND_NO_GET) && events_at(MT_USE_AFTER_FREE, "get_vma_policy") > 0,
	   "mpol-mbind-no-get, mbind then a fault: vm_policy was freed by the installer's put: %s fired",
	   fires);

	/* mpol-shm-vm-policy-get: a SHM_HUGETLB mapping's vm_policy gains a ref per fault */
	for (int buggy = 0; buggy < 2; buggy++) {
		struct shmem_inode_info *SH;
		struct vm_area_struct *CH;
		unsigned long a;

		fix_up(&f);
		mt_bugs_enabled = buggy ? 1u << MT_BUG_MPOL_SHM_VM_POLICY_GET : 0;
		SH = shmem_create(2 * (1u << (HPAGE_SHIFT - PAGE_SHIFT)), MPOL_DEFAULT, NULL, true);
		a = shmem_map(f.T->mm, SH, true);
		down_read(&f.T->mm->mmap_sem);
		CH = find_vma(f.T->mm, a);
		up_read(&f.T->mm->mmap_sem);
		do_mbind(CH->vm_start, CH->vm_end - CH->vm_start, MPOL_BIND, &(nodemask_t){ 0x1 });
		down_read(&f.T->mm->mmap_sem);
		put_page(dequeue_huge_page(CH, CH->vm_start));	/* shm_get_policy() */
		up_read(&f.T->mm->mmap_sem);
		{
			struct mpol_audit *au = mpol_audit_begin();

			mpol_audit_task(au, f.T);
			mpol_audit_task(au, f.U);
			mpol_audit_shmem(au, f.S, 1);
			mpol_audit_shmem(au, SH, 1);	/* its creator's */
			bad = mpol_audit_end(au);
		}
		shmem_put(SH);
		fix_down(&f);
		fires_str(MT_BUG_MPOL_SHM_VM_POLICY_GET, fires, sizeof(fires));
		if (buggy)
			ok(bad == 1 && expected_fired(MT_BUG_MPOL_SHM_VM_POLICY_GET),
			   "mpol-shm-vm-policy-get, a hugetlb fault on a SHM_HUGETLB mapping: %s fired "
			   "(audit: %lu)", fires, bad);
		else
			ok(bad == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
			   "shm_get_policy after seed 000: the vm_policy fallback takes no ref, all balanced");
	}

	/* mpol-unconditional-refs: a pair on every lookup, every count balanced */
	fix_up(&f);
	mt_bugs_enabled = 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS;
	down_read(&f.T->mm->mmap_sem);
	pol = get_vma_policy(f.T, f.A, f.A->vm_start);
	ok(refcount_read(&pol->refcnt) == 2, "mpol-unconditional-refs: get_vma_policy takes a ref on a VMA policy");
	put_page(alloc_page_vma(f.A, f.A->vm_start));
	ok(refcount_read(&pol->refcnt) == 2, "mpol-unconditional-refs: alloc_page_vma puts its own pair");
	mpol_cond_put(pol);
	ok(refcount_read(&pol->refcnt) == 2, "mpol-unconditional-refs: mpol_cond_put leaves a VMA policy alone");
	mpol_put(pol);			/* the pre-seed user's put of this lookup's pair */
	pol = get_vma_policy(f.T, f.B, f.B->vm_start);
	ok(refcount_read(&pol->refcnt) == 1 && pol == f.T->mempolicy,
	   "mpol-unconditional-refs: no pair on current's own task policy (pol == current->mempolicy)");
	mpol_set_current(f.U);		/* U reads T's numa_maps: T's policy is another task's */
	pol = get_vma_policy(f.T, f.B, f.B->vm_start);
	ok(refcount_read(&pol->refcnt) == 2 && pol == f.T->mempolicy,
	   "mpol-unconditional-refs: a pair on another task's policy");
	mpol_put(pol);
	mpol_set_current(f.T);
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

/* A bug's job under the controlled scheduler (sched_detect.h). */
static void sched_bug(enum mt_bug_id b, const struct mt_job *job, const char *how)
{
	struct sched_detect sd = sched_detect(job, R);
	char fires[128];

	fires_str(b, fires, sizeof(fires));
	ok(sd.met, "%s%s: %s detected in run %u of at most %u under %s, seed %llu (%llu ops)",
	   mt_bug_table[b].name, how, fires, sd.run, SCHED_DETECT_RUNS, sched_detect_how(&sd),
	   (unsigned long long)sd.seed, (unsigned long long)mt_ops_total(R));
}

static void stress_detect(enum mt_bug_id b, uint64_t seed)
{
	struct mt_job job;

	job_setup(&job, seed, 8);
	job.bugs = 1u << b;
	job.stop_on_detect = true;
	sched_bug(b, &job, "");
}

/*
 * mpol-set-no-mmap-sem is an ALL entry: lock_rule fires at the first
 * unlocked replace, and use_after_free only when a numa_maps reader is
 * inside its lookup-to-use window at the replace.  Two threads, readers
 * of each other's numa_maps and writers of their own policy, run to the
 * end (a job stopped at the first counter would stop at lock_rule).
 */
static void stress_set_no_mmap_sem(uint64_t seed)
{
	struct mt_job job;
	char err[128], fires[128];
	int rc;

	job_setup(&job, seed, 2);
	job.threads = 2;
	if (wl_mix_parse(&wl_mempolicy, "numa_maps:50,set_mempolicy:50", &job.mix, err, sizeof(err)))
		tap_bail(err);
	job.bugs = 1u << MT_BUG_MPOL_SET_NO_MMAP_SEM;
	job.expect = MT_JOB_EXPECT_DETECT;
	job.stop_on_detect = false;
	rc = mt_job_execute(&job, R);
	fires_str(MT_BUG_MPOL_SET_NO_MMAP_SEM, fires, sizeof(fires));
	ok(rc == 0 && cnt(MT_USE_AFTER_FREE) > 0 && mt_job_expectation_met(&job, R, true),
	   "mpol-set-no-mmap-sem, 2 threads, numa_maps:50,set_mempolicy:50, to the end: %s "
	   "(lock_rule %llu, use_after_free %llu)", fires,
	   (unsigned long long)cnt(MT_LOCK_RULE), (unsigned long long)cnt(MT_USE_AFTER_FREE));
	if (rc)
		diag("harness error: %s", R->error);
}

/*
 * mpol-get-mempolicy-early-unlock under stress: the threads of one
 * process (threads_per_mm=4: every worker runs a task of each mm) asking
 * get_mempolicy() and mbind()ing the same VMAs.
 */
static void stress_early_unlock(uint64_t seed)
{
	struct mt_job job;
	char err[128];

	job_setup(&job, seed, 8);
	if (mt_opt_set(mt_opt_find(wl_mempolicy.opts, "threads_per_mm"), job.wl_opts, "4",
		       err, sizeof(err)) ||
	    wl_mix_parse(&wl_mempolicy, "get_mempolicy:40,mbind_vma:40,fault:20", &job.mix,
			 err, sizeof(err)))
		tap_bail(err);
	job.bugs = 1u << MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK;
	job.stop_on_detect = true;
	sched_bug(MT_BUG_MPOL_GET_MEMPOLICY_EARLY_UNLOCK, &job,
		  ", threads_per_mm=4, get_mempolicy against mbind_vma");
}

/* ---- the race of mpol-shared-lookup-no-ref ---- */

/*
 * Rounds of two threads on one segment whose [0,16) has a policy P with
 * two references, its tree node's and its installer's.  The reader looks
 * P up and allocates by it (shmem_alloc_page(), with a delay in its
 * lookup-to-use window); the replacer, once the reader has entered that
 * window (or after a bounded wait), lets a random short time pass and
 * removes the range (the node's reference) and drops the installer's:
 * how far into the window it lands is the race, not whether the reader
 * got there before it at all, which would hang on the speed of the code
 * before the window.  Correct: the
 * lookup's reference keeps P for the reader, who then holds the last one
 * (an overlap).  Without it, P is freed inside the reader's window, and
 * the use (get_vma_policy()'s check) sees it.  One bad event at most per
 * round, so every one stays in the region's event list.
 */
struct race_round {
	struct shmem_inode_info *S;
	struct mempolicy *P;
	pthread_barrier_t start, done;
	uint64_t seed;
	unsigned int rounds;
	unsigned int in_window;		/* ATOMIC: the round (from 1) the reader is in the window of */
};

static struct race_round *race_now;

/* At the reader's lookup-to-use window: say it is there (the delay follows). */
static void race_window_hook(const char *window)
{
	if (race_now && !strcmp(window, "mpol-shared-lookup-to-use"))
		__atomic_add_fetch(&race_now->in_window, 1, __ATOMIC_RELEASE);
}

static void *race_reader(void *arg)
{
	struct race_round *rr = arg;

	rcu_register_thread();
	mt_prng_thread_seed(rr->seed, 1);
	for (unsigned int i = 0; i < rr->rounds; i++) {
		pthread_barrier_wait(&rr->start);
		put_page(shmem_alloc_page(rr->S, 3));
		pthread_barrier_wait(&rr->done);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *race_replacer(void *arg)
{
	struct race_round *rr = arg;

	rcu_register_thread();
	mt_prng_thread_seed(rr->seed, 2);
	for (unsigned int i = 0; i < rr->rounds; i++) {
		unsigned int spin;

		uint64_t until = mt_now_ns() + 50000000ull;	/* at most 50 ms */

		pthread_barrier_wait(&rr->start);
		while (__atomic_load_n(&rr->in_window, __ATOMIC_ACQUIRE) <= i && mt_now_ns() < until)
			sched_yield();
		spin = mt_random_below(2000);
		for (volatile unsigned int k = 0; k < spin; k++)
			;
		mpol_set_shared_policy(&rr->S->policy, 0, 16, NULL);	/* the node's ref */
		mpol_put(rr->P);					/* the installer's */
		pthread_barrier_wait(&rr->done);
	}
	rcu_unregister_thread();
	return NULL;
}

static void lookup_race(bool bug, uint64_t seed)
{
	struct race_round rr = { .rounds = 24, .seed = seed };
	struct mt_inject_conf inj = {
		.delay_prob = 1.0, .delay_mode = MT_DELAY_SLEEP, .delay_max_ns = 200000,
		.windows = "mpol-shared-lookup-to-use",
	};
	pthread_t r, w;
	unsigned int at_use;
	uint64_t t0 = mt_now_ns();

	mt_region_reset(R);
	rcu_register_thread();
	if (mm_core_init() || mempolicy_init() || shmem_init())
		tap_bail("caches");
	rr.S = shmem_create(16, MPOL_DEFAULT, NULL, false);
	mt_inject_configure(&inj);
	race_now = &rr;
	mt_window_hook_set(race_window_hook);
	mt_bugs_enabled = bug ? 1u << MT_BUG_MPOL_SHARED_LOOKUP_NO_REF : 0;
	pthread_barrier_init(&rr.start, NULL, 3);
	pthread_barrier_init(&rr.done, NULL, 3);
	pthread_create(&r, NULL, race_reader, &rr);
	pthread_create(&w, NULL, race_replacer, &rr);
	for (unsigned int i = 0; i < rr.rounds; i++) {
		rr.P = newpol(MPOL_PREFERRED, 0x8);
		if (mpol_set_shared_policy(&rr.S->policy, 0, 16, rr.P))
			tap_bail("mpol_set_shared_policy");
		pthread_barrier_wait(&rr.start);
		pthread_barrier_wait(&rr.done);
	}
	pthread_join(r, NULL);
	pthread_join(w, NULL);
	pthread_barrier_destroy(&rr.start);
	pthread_barrier_destroy(&rr.done);
	mt_window_hook_set(NULL);
	race_now = NULL;
	mt_bugs_enabled = 0;
	mt_inject_reset();
	at_use = events_at(MT_USE_AFTER_FREE, "get_vma_policy");
	shmem_put(rr.S);
	rcu_barrier();
	shmem_fini();
	mempolicy_fini();
	mm_core_fini();
	rcu_unregister_thread();
	if (bug)
		ok(at_use > 0,
		   "mpol-shared-lookup-no-ref, a lookup against a concurrent replace, %u rounds: the "
		   "policy freed inside the lookup-to-use window, seen at the use %u times "
		   "(use_after_free %llu, %.2f s)", rr.rounds, at_use,
		   (unsigned long long)cnt(MT_USE_AFTER_FREE), (double)(mt_now_ns() - t0) / 1e9);
	else
		ok(mt_races_total(R) == 0 && mt_leaks_total(R) == 0 && cnt(MT_OVERLAPS) > 0,
		   "shared lookup with its reference, against a concurrent replace, %u rounds: clean, "
		   "the reader held the last reference %llu times", rr.rounds,
		   (unsigned long long)cnt(MT_OVERLAPS));
	if (!bug && (mt_races_total(R) || mt_leaks_total(R)))
		for (uint64_t i = 0; i < R->nevents && i < 4; i++)
			diag("  %s: %s", R->events[i].where, R->events[i].what);
}

/* The ops counted for the role @name of the mempolicy workload. */
static uint64_t role_ops(const char *name)
{
	for (unsigned int r = 0; r < wl_nroles(&wl_mempolicy); r++)
		if (!strcmp(wl_mempolicy.roles[r], name))
			return mt_ops_read(R, r);
	tap_bail("no such role");
}

/*
 * A role counts an op only when its path ran: with no page to migrate
 * (stash=0) and no segment mapped (shm_maps=0, no shm_churn), migrate and
 * swapin never run, and a clean job says so (INCONCLUSIVE).
 */
static void roles_that_cannot_run(uint64_t seed)
{
	static const char *const opts[][2] = { { "stash", "0" }, { "shm_maps", "0" } };
	struct mt_job job;
	char err[128];
	int rc;

	job_setup(&job, seed, 0.3);
	job.threads = 1;
	for (unsigned int i = 0; i < ARRAY_SIZE(opts); i++)
		if (mt_opt_set(mt_opt_find(wl_mempolicy.opts, opts[i][0]), job.wl_opts, opts[i][1],
			       err, sizeof(err)))
			tap_bail(err);
	if (wl_mix_parse(&wl_mempolicy, "migrate:1,swapin:1,numa_maps:1", &job.mix, err, sizeof(err)))
		tap_bail(err);
	rc = mt_job_execute(&job, R);
	ok(rc == 0 && role_ops("migrate") == 0 && role_ops("swapin") == 0 && role_ops("numa_maps") > 0,
	   "roles count only what ran: migrate %llu and swapin %llu ops with nothing to move or "
	   "swap in, numa_maps %llu", (unsigned long long)role_ops("migrate"),
	   (unsigned long long)role_ops("swapin"), (unsigned long long)role_ops("numa_maps"));
}

static void stress_clean(enum mt_rcu_flavor fl, mt_bugset_t bugs, uint64_t seed, const char *what)
{
	struct mt_job job;
	bool every_role = true;
	unsigned int tries = 0;
	int rc;

	/*
	 * An overlap (a reader holding the last reference of a replaced
	 * policy) comes a few times a second: a job that met none runs again,
	 * from the next seed, up to four times -- each one must be clean.
	 */
	do {
		job_setup(&job, seed + tries, 1.5);
		job.rcu = fl;
		job.bugs = bugs;
		rc = mt_job_execute(&job, R);
	} while (++tries < 4 && rc == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
		 mt_counter_read(R, MT_OVERLAPS) == 0);
	for (unsigned int r = 0; r < wl_nroles(&wl_mempolicy); r++)
		every_role &= mt_ops_read(R, r) > 0;
	ok(rc == 0 && R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
	   mt_counter_read(R, MT_AUDITS) >= 3 && mt_counter_read(R, MT_OVERLAPS) > 0 && every_role,
	   "%s, rcu %s: clean (%llu ops, %llu overlaps, %llu audits of %llu objects, %llu delays; "
	   "job %u of at most 4)", what, mt_rcu_flavor_name(fl), (unsigned long long)mt_ops_total(R),
	   (unsigned long long)mt_counter_read(R, MT_OVERLAPS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITED_OBJECTS),
	   (unsigned long long)mt_counter_read(R, MT_DELAYS_INJECTED), tries);
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
		MT_BUG_MPOL_SHARED_LOOKUP_NO_REF, MT_BUG_MPOL_GET_MEMPOLICY_NO_PUT,
		MT_BUG_MPOL_COND_COPY_KEEPS_SHARED, MT_BUG_MPOL_MBIND_NO_GET,
		MT_BUG_MPOL_SHM_VM_POLICY_GET,
	};

	R = mt_region_create(true);	/* shared: scheduled runs are forked */
	seed = tap_seed(mt_seed_random());
	mt_region_use(R);

	rcu_register_thread();
	single_threaded();
	rcu_unregister_thread();	/* mt_job_execute() registers by itself */

	lookup_race(false, seed);
	lookup_race(true, seed);
	for (unsigned int i = 0; i < ARRAY_SIZE(detect); i++)
		stress_detect(detect[i], seed + i);
	stress_set_no_mmap_sem(seed + 50);
	stress_early_unlock(seed + 55);
	roles_that_cannot_run(seed + 60);
	stress_clean(MT_RCU_MEMB, 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS, seed,
		     "mpol-unconditional-refs (performance entry)");
	for (int fl = 0; fl < MT_RCU_NFLAVORS; fl++)
		stress_clean((enum mt_rcu_flavor)fl, 0, seed + 100 + (uint64_t)fl, "correct protocol");

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
