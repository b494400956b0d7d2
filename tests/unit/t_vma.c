// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_vma - seed 003: the VMA reference counter, under both lookups (the
 * posted patch's mm_rb_lock with a plain increment and a synchronous
 * free; the RCU lookup with inc-not-zero and an RCU-deferred free).
 * Single-threaded, the other thread's munmap or merge is played at the
 * speculative path's race windows (the window hook), so each VMA bug
 * shows deterministically and the correct protocol is seen to fall back
 * cleanly, also when the munmap has no memory for a new VMA array and
 * shifts the published one in place; a file-backed VMA is never handled
 * speculatively; exit_mmap() with no memory at all.  Then each bug in a
 * short seeded stress of the vma_spf workload (under both lookups where
 * it is a bug under both), and the correct protocol silent under each RCU
 * flavor and with allocation failures injected from init on, every role
 * doing its work.
 */
#include <string.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "lib/engine/engine.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "tests/tap.h"
#include "tests/unit/sched_detect.h"

extern const struct workload wl_vma_spf;

static struct mt_region *R;
static struct mm_struct *mm;
static unsigned long victim;		/* start of the VMA the hook unmaps */
static const char *hook_window;
static int hook_fired;
static bool hook_sync;			/* wait for a grace period after it */
static bool hook_nomem;			/* no memory for a new VMA array */
static bool hook_merge;			/* merge the victim into its prev instead */

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

/* The other thread: munmap the victim at the named window, once. */
static void hook(const char *window)
{
	if (hook_fired || strcmp(window, hook_window))
		return;
	hook_fired = 1;
	down_write(&mm->mmap_sem);
	if (hook_nomem)
		mt_fail_nth_set(1);	/* detach_vma()'s new array */
	if (hook_merge) {
		struct vm_area_struct *v = find_vma(mm, victim), *prev = NULL;

		for (unsigned int i = 1; i < mm_nr_vmas(mm); i++)
			if (mm_vma_at(mm, i) == v)
				prev = mm_vma_at(mm, i - 1);
		if (prev)
			vma_merge_hole(mm, prev);
	} else {
		do_munmap(mm, victim);
	}
	mt_fail_nth_set(0);
	up_write(&mm->mmap_sem);
	if (hook_sync)
		rcu_barrier();	/* a grace period, and the frees it allowed (not in a read side) */
}

static unsigned long map_one(bool file, bool policy)
{
	struct vm_area_struct *vma;
	nodemask_t nm = { 1 };
	int err;

	down_write(&mm->mmap_sem);
	vma = vm_area_alloc(mm);
	vma->vm_start = get_unmapped_area(mm, 4 * PAGE_SIZE);
	vma->vm_end = vma->vm_start + 4 * PAGE_SIZE;
	if (file) {
		vma->vm_file = file_alloc();	/* mmap(); close(fd) */
		vma->vm_ops = &generic_file_vm_ops;
	}
	if (policy)
		vma->vm_policy = mpol_new(MPOL_BIND, &nm, &err);
	insert_vm_struct(mm, vma);
	up_write(&mm->mmap_sem);
	return vma->vm_start;
}

/*
 * exit_mmap() with no memory at all: no empty array for the exit, none for
 * any detach: the VMAs go one at a time, each array shifted in place, and
 * every VMA, file and policy is still freed.
 */
static void test_exit_nomem(void)
{
	struct mt_inject_conf all_fail = { .alloc_fail_prob = 1.0 };
	struct mm_struct *saved = mm;
	long vmas, files, pols;

	mt_region_reset(R);
	mm = mm_alloc();
	vmas = kmem_cache_live(vm_area_cachep);
	files = kmem_cache_live(filp_cachep);
	pols = kmem_cache_live(policy_cache);
	for (int i = 0; i < 3; i++)
		map_one(true, true);
	mt_inject_configure(&all_fail);
	mmput(mm);
	mt_inject_reset();
	rcu_barrier();
	mm = saved;
	ok(cnt(MT_ALLOC_FAILS_INJECTED) >= 4 && kmem_cache_live(vm_area_cachep) == vmas &&
	   kmem_cache_live(filp_cachep) == files && kmem_cache_live(policy_cache) == pols &&
	   mt_races_total(R) == 0,
	   "exit_mmap with no memory: one VMA at a time, in place; VMAs, files and policies freed (%llu failures)",
	   (unsigned long long)cnt(MT_ALLOC_FAILS_INJECTED));
}

static int faults_done;

static void fault_cb(struct vm_area_struct *vma, struct mempolicy *pol,
		     unsigned long addr, void *arg)
{
	faults_done++;
}

/*
 * Run one speculative fault on a fresh VMA with the munmap played at
 * @window, with @bug on or off.  Return: whether it completed.
 */
static bool scenario(int bug, const char *window, bool sync, bool file, bool policy)
{
	bool done;

	mt_region_reset(R);
	mt_bugs_enabled = bug >= 0 ? 1u << bug : 0;
	victim = map_one(file, policy);
	hook_window = window;
	hook_fired = 0;
	hook_sync = sync;
	faults_done = 0;
	mt_window_hook_set(hook);
	done = handle_speculative_fault(mm, victim + PAGE_SIZE, fault_cb, NULL);
	mt_window_hook_set(NULL);
	rcu_barrier();
	mt_bugs_enabled = 0;
	return done;
}

static struct mt_job stress_job(int bug, enum mt_rcu_flavor f, uint64_t seed)
{
	struct mt_job job;

	mt_job_defaults(&job, &wl_vma_spf);
	job.threads = 4;
	job.runtime_ns = bug >= 0 ? 4000000000ull : 1500000000ull;
	job.audit_interval_ns = 300000000ull;
	job.rcu = f;
	job.seed = seed;
	job.inject.delay_prob = 0.03;
	job.inject.delay_mode = MT_DELAY_SLEEP;
	job.inject.delay_max_ns = 2000000;
	if (bug >= 0) {
		job.bugs = 1u << bug;
		snprintf(job.bugs_spec, sizeof(job.bugs_spec), "%s", mt_bug_table[bug].name);
		job.expect = MT_JOB_EXPECT_DETECT;
		job.stop_on_detect = true;
	}
	return job;
}

static bool every_role_ran(void)
{
	bool all = true;

	for (unsigned int i = 0; i < wl_nroles(&wl_vma_spf); i++)
		if (!mt_ops_read(R, i)) {
			diag("role %s never ran", wl_vma_spf.roles[i]);
			all = false;
		}
	return all;
}

/*
 * A role counts only when its path ran: with munmap alone in the mix, the
 * munmaps that find a VMA are exactly the VMAs init mapped; the rest,
 * drawn over and over in empty mms, are not operations.
 */
static void test_roles_count_work(uint64_t seed)
{
	struct mt_job job = stress_job(-1, MT_RCU_MEMB, seed);
	const unsigned int mapped = 2 * (6 / 2 + 1);	/* init maps vmas/2+1 in each mm */
	unsigned int munmap_op = 0;
	char err[128];

	while (strcmp(wl_vma_spf.roles[munmap_op], "munmap"))
		munmap_op++;
	job.runtime_ns = 300000000ull;
	job.inject.delay_prob = 0;
	snprintf(job.mix_spec, sizeof(job.mix_spec), "munmap:1");
	ok(mt_opt_set(mt_opt_find(wl_vma_spf.opts, "mms"), job.wl_opts, "2", err, sizeof(err)) == 0 &&
	   mt_opt_set(mt_opt_find(wl_vma_spf.opts, "vmas"), job.wl_opts, "6", err, sizeof(err)) == 0 &&
	   wl_mix_parse(&wl_vma_spf, job.mix_spec, &job.mix, err, sizeof(err)) == 0 &&
	   mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "mms=2 vmas=6 mix=%s: the job ran to its end", job.mix_spec);
	ok(mt_ops_read(R, munmap_op) == mapped && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
	   "an munmap with no VMA to unmap is not counted: %llu munmaps, %u VMAs mapped",
	   (unsigned long long)mt_ops_read(R, munmap_op), mapped);
}

int main(void)
{
	uint64_t seed;
	bool done;

	R = mt_region_create(true);	/* shared: scheduled runs are forked */
	mt_region_use(R);
	seed = tap_seed(mt_seed_random());
	mt_prng_thread_seed(seed, 1);
	rcu_register_thread();
	mm_core_init();
	mempolicy_init();
	mm = mm_alloc();

	/* a speculative fault with nobody in the way */
	done = scenario(-1, "none", false, false, true);
	ok(done && faults_done == 1 && mt_races_total(R) == 0,
	   "handle_speculative_fault: lookup, get_vma, policy, sequence: completes");
	done = scenario(-1, "none", false, true, true);
	ok(!done && faults_done == 0 && mt_races_total(R) == 0,
	   "a file-backed VMA (vm_ops set) falls back before the fault: vm_file is never read");

	/* munmap between the RCU lookup and the reference */
	done = scenario(-1, "spf-lookup-to-get", false, false, true);
	ok(!done && mt_races_total(R) == 0 && cnt(MT_OVERLAPS) >= 1,
	   "correct: VMA unmapped between lookup and get_vma: inc-not-zero fails, falls back, no race");
	done = scenario(MT_BUG_VMA_FREE_NO_RCU, "spf-lookup-to-get", false, false, true);
	ok(!done && cnt(MT_USE_AFTER_FREE) >= 1,
	   "vma-free-no-rcu: put_vma() freed the VMA under the RCU reader: use_after_free");
	done = scenario(MT_BUG_VMA_GET_PLAIN_INC, "spf-lookup-to-get", false, false, true);
	ok(cnt(MT_REFCOUNT_INC_ON_ZERO) == 1,
	   "vma-get-plain-inc: a plain increment on the dead VMA: refcount_inc_on_zero");

	/* the same, with no memory for a new array: detach_vma() shifts in place */
	hook_nomem = true;
	{
		uint64_t injected = cnt(MT_ALLOC_FAILS_INJECTED);

		done = scenario(-1, "spf-lookup-to-get", false, false, true);
		ok(!done && mt_races_total(R) == 0 && cnt(MT_ALLOC_FAILS_INJECTED) == injected + 1,
		   "correct: VMA detached in place (ENOMEM) between lookup and get_vma: falls back, no race");
	}
	hook_nomem = false;

	/* munmap after the reference was taken and checked */
	done = scenario(-1, "spf-get-to-use", true, false, true);
	ok(!done && faults_done == 1 && mt_races_total(R) == 0,
	   "correct: VMA removed while referenced: policy still alive, the sequence changed, falls back");
	done = scenario(MT_BUG_VMA_FILE_AFTER_FPUT, "spf-get-to-use", true, true, false);
	ok(cnt(MT_USE_AFTER_FREE) >= 1,
	   "vma-file-after-fput: vm_file left after the last fput, used after its grace period: use_after_free");
	done = scenario(MT_BUG_VMA_POLICY_PUT_EARLY, "spf-get-to-use", false, false, true);
	ok(!done && cnt(MT_USE_AFTER_FREE) >= 1,
	   "vma-policy-put-early: remove_vma() put the policy while the VMA was still referenced: use_after_free");

	/* __vma_adjust() removes the next VMA under a speculative reader */
	map_one(false, false);	/* prev, no policy: the victim merges into it */
	hook_merge = true;
	{
		uint64_t before;

		mt_region_reset(R);
		victim = map_one(false, false);
		hook_window = "spf-get-to-use";
		hook_fired = 0;
		hook_sync = true;
		mt_window_hook_set(hook);
		before = kmem_cache_live(vm_area_cachep);
		done = handle_speculative_fault(mm, victim + PAGE_SIZE, fault_cb, NULL);
		mt_window_hook_set(NULL);
		rcu_barrier();
		ok(hook_fired && !done && mt_races_total(R) == 0 &&
		   kmem_cache_live(vm_area_cachep) == (long)before - 1,
		   "correct: a merge removes the VMA the reader holds: put_vma(next), freed after the reader's put");
	}
	map_one(false, false);
	done = scenario(MT_BUG_VMA_ADJUST_FREE_NEXT, "spf-get-to-use", false, false, false);
	ok(cnt(MT_USE_AFTER_FREE) >= 1,
	   "vma-adjust-free-next: __vma_adjust() freed next at once under the reader: use_after_free");
	hook_merge = false;

	/* the commit of a speculative fault: never into a VMA its mm removed */
	mt_region_reset(R);
	{
		unsigned long a = map_one(false, false);
		unsigned int seq;
		struct vm_area_struct *vma = spf_get_vma(mm, a, &seq);
		bool live_ok = spf_commit_check(vma, seq, "t_vma"), changed_ok;

		down_write(&mm->mmap_sem);
		do_munmap(mm, a);
		up_write(&mm->mmap_sem);
		changed_ok = !spf_commit_check(vma, seq, "t_vma") && !cnt(MT_USE_AFTER_FREE);
		seq = vm_read_begin(vma);	/* a fault that began after the removal */
		ok(live_ok && changed_ok && !spf_commit_check(vma, seq, "t_vma") &&
		   cnt(MT_USE_AFTER_FREE) == 1,
		   "spf_commit_check: commits into a VMA in its mm; a removal during the fault is a "
		   "redo; a fault begun on a removed VMA is use_after_free");
		put_vma(vma);
		rcu_barrier();
	}

	/* the posted patch: mm_rb_lock, plain increment, synchronous free */
	vma_lookup = VMA_LOOKUP_RB_LOCK;
	done = scenario(-1, "spf-get-to-use", false, false, true);
	ok(!done && faults_done == 1 && mt_races_total(R) == 0,
	   "rb_lock: VMA removed while referenced (taken under mm_rb_lock): falls back, no race");
	for (int k = 0; k < 2; k++) {
		int b = k ? MT_BUG_VMA_FREE_NO_RCU : MT_BUG_VMA_GET_PLAIN_INC;

		done = scenario(b, "spf-get-to-use", false, false, true);
		ok(!done && faults_done == 1 && mt_races_total(R) == 0,
		   "rb_lock: %s is the patch's own code here, and correct", mt_bug_table[b].name);
	}
	mt_region_reset(R);
	{
		unsigned long a = map_one(false, true);
		unsigned int seq;
		struct vm_area_struct *vma = spf_get_vma(mm, a, &seq);

		down_write(&mm->mmap_sem);
		do_munmap(mm, a);
		up_write(&mm->mmap_sem);
		ok(vma && obj_is_live(vma) && refcount_read(&vma->vm_ref_count) == 1,
		   "rb_lock: munmap drops the tree's reference; the reader's keeps the VMA");
		put_vma(vma);
		ok(!obj_is_live(vma) && mt_races_total(R) == 0,
		   "rb_lock: the last put_vma() frees at once (no grace period)");
	}
	vma_lookup = VMA_LOOKUP_RCU;

	/* the refcounts of the protocol */
	mt_region_reset(R);
	{
		unsigned long a = map_one(true, true);
		struct vm_area_struct *vma;
		struct mempolicy *pol;
		unsigned int seq;

		vma = spf_get_vma(mm, a, &seq);
		pol = vma ? vma->vm_policy : NULL;
		ok(vma && refcount_read(&vma->vm_ref_count) == 2,
		   "spf_get_vma: the tree's reference plus the reader's");
		down_write(&mm->mmap_sem);
		do_munmap(mm, a);
		up_write(&mm->mmap_sem);
		ok(refcount_read(&vma->vm_ref_count) == 1 && vma->vm_file == NULL &&
		   obj_is_live(vma) && obj_is_live(vma->vm_policy),
		   "remove_vma: the tree's reference dropped, vm_file put and unset, VMA and policy alive");
		put_vma(vma);
		rcu_read_lock();
		ok(obj_is_live(vma), "the last put_vma: the VMA lives until the grace period");
		rcu_read_unlock();
		rcu_barrier();
		ok(!obj_is_live(vma) && !obj_is_live(pol),
		   "after the grace period: __free_vma freed the VMA and put its policy");
		ok(mt_races_total(R) == 0, "no race counted");
	}

	test_exit_nomem();
	mmput(mm);
	rcu_barrier();
	mempolicy_fini();
	mm_core_fini();
	ok(mt_leaks_total(R) == 0, "deterministic scenarios leave no leak");
	rcu_unregister_thread();

	/* each bug detected under the scheduler; the correct protocol silent under stress per flavor */
	for (int b = 0; b < MT_NBUGS; b++) {
		struct mt_job job;

		if (strcmp(mt_bug_table[b].model, "vma"))
			continue;
		for (int rb = 0; rb < 2; rb++) {
			char err[128];

			/* the bugs of both lookups are also run under the posted patch's */
			if (rb && !strstr(mt_bug_table[b].desc, "under both lookups"))
				continue;
			struct sched_detect sd;

			job = stress_job(b, MT_RCU_MEMB, seed);
			if (rb && mt_opt_set(mt_opt_find(wl_vma_spf.opts, "vma_lookup"), job.wl_opts,
					     "rb_lock", err, sizeof(err)))
				tap_bail(err);
			sd = sched_detect(&job, R);
			ok(sd.met,
			   "%s: detected under vma_spf, vma_lookup=%s, in run %u of at most %u under %s, "
			   "seed %llu (%s=%llu)", mt_bug_table[b].name, rb ? "rb_lock" : "rcu", sd.run,
			   SCHED_DETECT_RUNS, sched_detect_how(&sd), (unsigned long long)sd.seed,
			   mt_counter_name(mt_bug_table[b].fires[0]),
			   (unsigned long long)cnt(mt_bug_table[b].fires[0]));
		}
	}
	{
		struct mt_job job = stress_job(-1, MT_RCU_MEMB, seed);
		char err[128];

		if (mt_opt_set(mt_opt_find(wl_vma_spf.opts, "vma_lookup"), job.wl_opts, "rb_lock",
			       err, sizeof(err)))
			tap_bail(err);
		mt_job_execute(&job, R);
		ok(R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
		   cnt(MT_OVERLAPS) > 0 && every_role_ran(),
		   "correct protocol under vma_spf stress, vma_lookup=rb_lock: no race, no leak, every role ran (%llu ops)",
		   (unsigned long long)mt_ops_total(R));
	}
	for (int f = 0; f < MT_RCU_NFLAVORS; f++) {
		struct mt_job job = stress_job(-1, f, seed);

		mt_job_execute(&job, R);
		ok(R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
		   cnt(MT_OVERLAPS) > 0 && every_role_ran(),
		   "correct protocol under vma_spf stress, rcu=%s: no race, no leak, every role ran (%llu ops, %llu overlaps)",
		   mt_rcu_flavor_name(f), (unsigned long long)mt_ops_total(R),
		   (unsigned long long)cnt(MT_OVERLAPS));
	}
	/*
	 * Allocation failures injected from init on (the engine turns them on
	 * before init): init still builds its world, even when three in ten
	 * allocations fail, and the ENOMEM paths stay clean.
	 */
	{
		struct mt_job job = stress_job(-1, MT_RCU_MEMB, seed);

		job.runtime_ns = 300000000ull;
		job.inject.alloc_fail_prob = 0.3;
		mt_job_execute(&job, R);
		ok(R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
		   "alloc_fail=0.3: init builds its mms anyway, the job runs clean (%llu ops)%s%s",
		   (unsigned long long)mt_ops_total(R), R->error[0] ? ": " : "", R->error);
	}
	for (int k = 0; k < 2; k++) {
		struct mt_job job = stress_job(-1, MT_RCU_MEMB, seed);
		const char *what = k ? "fail_nth=5" : "alloc_fail=0.02";

		if (k)
			job.inject.fail_nth = 5;
		else
			job.inject.alloc_fail_prob = 0.02;
		mt_job_execute(&job, R);
		ok(R->phase == MT_PHASE_DONE && mt_races_total(R) == 0 && mt_leaks_total(R) == 0 &&
		   every_role_ran() && (k || cnt(MT_ALLOC_FAILS_INJECTED) > 0),
		   "correct protocol under vma_spf stress, %s: no race, no leak, every role ran (%llu allocations failed)",
		   what, (unsigned long long)cnt(MT_ALLOC_FAILS_INJECTED));
	}
	test_roles_count_work(seed);
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
