// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_anon_vma_bugs - the anon_vma workload as jobs, in this process: each
 * bug of the catalogue's anon_vma section, switched on alone in short
 * runs under the controlled scheduler from a fixed seed, must make its
 * expected counters fire (every one for an ALL entry, one for an ANY entry: mt_bug_table),
 * and a race bug (ksm-unlocked-drop) must not fire on one thread; the
 * correct protocol, under the same stress, must stay silent -- no race,
 * no leak -- under each RCU flavor and with allocation failures injected
 * from init on, while every role does its work and its walkers meet
 * anon_vmas freed, and reused, under them (overlaps, recheck_caught,
 * recheck_reused).
 *
 *   MT_TEST_SEED=<seed> build/.../tests/t_anon_vma_bugs   to repeat a run
 */
#include "core/bugs.h"
#include "core/counters.h"
#include "core/prng.h"
#include "lib/engine/engine.h"
#include "tests/tap.h"
#include "tests/unit/sched_detect.h"

extern const struct workload wl_anon_vma;

static struct mt_region *R;
static uint64_t seed;

static void job_setup(struct mt_job *job, double runtime_s)
{
	mt_job_defaults(job, &wl_anon_vma);
	job->threads = 4;
	job->runtime_ns = (uint64_t)(runtime_s * 1e9);
	job->audit_interval_ns = 300000000ull;
	job->inject.delay_prob = 0.02;
	job->seed = seed;
}

/* The race and leak counters that fired, with when they first did. */
static void fired_str(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < MT_NCOUNTERS && off < len; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && mt_counter_read(R, c))
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%llu@%.3fs",
						off ? " " : "", mt_counter_name(c),
						(unsigned long long)mt_counter_read(R, c),
						(double)R->first_ns[c] / 1e9);
}

/*
 * Run the job of bug @b on @threads threads for at most @runtime_s; fill
 * @want with what it should fire and @got with what fired.
 */
static void run_bug_job(struct mt_job *job, int b, unsigned int threads, double runtime_s,
			char *want, size_t wlen, char *got, size_t glen)
{
	const struct mt_bug_desc *d = &mt_bug_table[b];

	job_setup(job, runtime_s);
	job->threads = threads;
	job->bugs = 1u << b;
	job->expect = MT_JOB_EXPECT_DETECT;
	mt_bug_fires_str(d, want, wlen);
	ok(mt_job_execute(job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "%s, threads=%u: the job ran to its end", d->name, threads);
	fired_str(got, glen);
}

/* A bug's job under the controlled scheduler (sched_detect.h). */
static void test_bug(int b)
{
	const struct mt_bug_desc *d = &mt_bug_table[b];
	struct sched_detect sd;
	struct mt_job job;
	char want[160], got[512];

	job_setup(&job, 1.0);
	job.bugs = 1u << b;
	job.stop_on_detect = true;
	sd = sched_detect(&job, R);
	mt_bug_fires_str(d, want, sizeof(want));
	fired_str(got, sizeof(got));
	ok(sd.met, "%s: detected (%s expected: %s) in run %u of at most %u under %s, seed %llu",
	   d->name, d->expect == MT_EXPECT_ALL ? "all of" : "one of", want, sd.run,
	   SCHED_DETECT_RUNS, sched_detect_how(&sd), (unsigned long long)sd.seed);
	diag("%s fired: %s", d->name, got);
	if (b == MT_BUG_ANON_VMA_ROOT_UNPINNED)
		ok(mt_counter_read(R, MT_REFCOUNT_UNDERFLOW) == 0,
		   "%s: the code before seed 002 takes no pin and drops none: no refcount_underflow",
		   d->name);
}

/*
 * ksm-unlocked-drop is a race and nothing else: on one thread, with the
 * same delays, the unlocked drop frees what it must (both levels) and the
 * job runs its whole time undetected.
 */
static void test_ksm_unlocked_drop_one_thread(void)
{
	const char *name = mt_bug_table[MT_BUG_KSM_UNLOCKED_DROP].name;
	struct mt_job job;
	char want[160], got[512];

	run_bug_job(&job, MT_BUG_KSM_UNLOCKED_DROP, 1, 1.0, want, sizeof(want), got, sizeof(got));
	ok(!mt_job_expectation_met(&job, R, false) && mt_races_total(R) == 0 &&
	   mt_leaks_total(R) == 0 && mt_ops_total(R) > 0,
	   "%s, threads=1: nothing races, so nothing fires (%llu ops; fired: %s)", name,
	   (unsigned long long)mt_ops_total(R), got[0] ? got : "none");
}

/*
 * A role counts only when its path ran: with no ksm_hold in the mix no
 * rmap_item ever exists, so ksm_walk and ksm_drop, drawn over and over,
 * never run -- and "every role ran" can fail.
 */
static void test_roles_count_work(void)
{
	struct mt_job job;
	char err[128];

	job_setup(&job, 0.3);
	job.threads = 2;
	snprintf(job.mix_spec, sizeof(job.mix_spec), "ksm_walk:1,ksm_drop:1");
	ok(wl_mix_parse(&wl_anon_vma, job.mix_spec, &job.mix, err, sizeof(err)) == 0 &&
	   mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "mix=%s: the job ran to its end", job.mix_spec);
	ok(mt_ops_total(R) == 0 && mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
	   "a role with nothing to do is not counted: no rmap_item to walk or drop, 0 ops (%llu)",
	   (unsigned long long)mt_ops_total(R));
}

/* What fired, and the first reports, for the diagnostics of a failure. */
static void diag_fired(const char *what)
{
	char got[512];

	fired_str(got, sizeof(got));
	diag("%s fired: %s (seed %llu)", what, got, (unsigned long long)R->seed);
	for (uint64_t i = 0; i < R->nevents && i < MT_MAX_EVENTS && i < 8; i++)
		diag("  %.3fs %s in %s: %s", (double)R->events[i].t_ns / 1e9,
		     mt_counter_name((int)R->events[i].kind), R->events[i].where,
		     R->events[i].what);
}

/*
 * The correct protocol under the stress of @job: silent, every role run,
 * periodic audits, walkers that met anon_vmas freed under them.
 */
static void test_clean(struct mt_job *job, const char *what)
{
	bool every_role = true, silent;

	ok(mt_job_execute(job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "%s: the clean anon_vma job ran to its end", what);
	silent = mt_races_total(R) == 0 && mt_leaks_total(R) == 0;
	ok(silent,
	   "%s: the correct protocol is silent: no race, no leak (%llu ops, %llu audits, %llu objects audited)",
	   what, (unsigned long long)mt_ops_total(R),
	   (unsigned long long)mt_counter_read(R, MT_AUDITS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITED_OBJECTS));
	if (!silent)
		diag_fired(what);
	for (unsigned int i = 0; i < wl_nroles(&wl_anon_vma); i++)
		if (!mt_ops_read(R, i)) {
			diag("role %s never ran", wl_anon_vma.roles[i]);
			every_role = false;
		}
	ok(every_role && mt_counter_read(R, MT_AUDITS) >= 3,
	   "%s: every role ran, periodic audits ran", what);
	ok(mt_counter_read(R, MT_OVERLAPS) > 0 && mt_counter_read(R, MT_RECHECK_CAUGHT) > 0,
	   "%s: walkers met anon_vmas unmapped or reused under them (%llu rechecks caught)",
	   what, (unsigned long long)mt_counter_read(R, MT_RECHECK_CAUGHT));
	ok(mt_counter_read(R, MT_RECHECK_REUSED) > 0,
	   "%s: some of them already reused for another anon_vma (%llu recheck_reused)",
	   what, (unsigned long long)mt_counter_read(R, MT_RECHECK_REUSED));
}

int main(void)
{
	int nbugs = 0;

	R = mt_region_create(true);	/* shared: scheduled runs are forked */
	seed = tap_seed(mt_seed_random());

	for (int b = 0; b < MT_NBUGS; b++)
		if (!strcmp(mt_bug_table[b].model, "anon_vma")) {
			test_bug(b);
			nbugs++;
		}
	is_u64(nbugs, 5, "the catalogue's anon_vma section has five bugs, each run above");
	test_ksm_unlocked_drop_one_thread();
	test_roles_count_work();

	for (int f = 0; f < MT_RCU_NFLAVORS; f++) {
		struct mt_job job;

		job_setup(&job, 1.5);
		job.rcu = f;
		test_clean(&job, mt_rcu_flavor_name(f));
	}
	/*
	 * Allocation failures injected from init on (the engine turns them on
	 * before init): init still builds its world, even when three in ten
	 * allocations fail, and the ENOMEM paths stay clean.
	 */
	{
		struct mt_job job;

		job_setup(&job, 0.3);
		job.inject.alloc_fail_prob = 0.3;
		ok(mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE &&
		   mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
		   "alloc_fail=0.3: init builds its processes anyway, the job runs clean (%llu ops)%s%s",
		   (unsigned long long)mt_ops_total(R), R->error[0] ? ": " : "", R->error);
	}
	for (int k = 0; k < 2; k++) {
		struct mt_job job;
		uint64_t injected;

		job_setup(&job, 1.5);
		if (k)
			job.inject.fail_nth = 5;
		else
			job.inject.alloc_fail_prob = 0.01;
		test_clean(&job, k ? "fail_nth=5" : "alloc_fail=0.01");
		injected = mt_counter_read(R, MT_ALLOC_FAILS_INJECTED);
		if (!k)
			ok(injected > 0, "alloc_fail=0.01: %llu allocations failed on purpose",
			   (unsigned long long)injected);
		else
			diag("fail_nth=5: %llu allocations failed on purpose",
			     (unsigned long long)injected);
	}

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
