// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_anon_vma_bugs - the anon_vma workload as jobs, in this process: each
 * bug of the catalogue's anon_vma section, switched on alone in a short
 * seeded stress with delay injection, must make its expected counters
 * fire (every one for an ALL entry, one for an ANY entry: mt_bug_table);
 * and the correct protocol, under the same stress, must stay silent --
 * no race, no leak -- under each RCU flavor, while its walkers do meet
 * anon_vmas freed under them (overlaps, recheck_caught).
 *
 *   MT_TEST_SEED=<seed> build/.../tests/t_anon_vma_bugs   to repeat a run
 */
#include "core/bugs.h"
#include "core/counters.h"
#include "core/prng.h"
#include "lib/engine/engine.h"
#include "tests/tap.h"

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

static void fired_str(const struct mt_bug_desc *d, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < MT_NCOUNTERS && off < len; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && mt_counter_read(R, c))
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%llu@%.3fs",
						off ? " " : "", mt_counter_name(c),
						(unsigned long long)mt_counter_read(R, c),
						(double)R->first_ns[c] / 1e9);
	(void)d;
}

static void test_bug(int b)
{
	const struct mt_bug_desc *d = &mt_bug_table[b];
	struct mt_job job;
	char want[160], got[512];

	job_setup(&job, 5.0);
	job.bugs = 1u << b;
	job.expect = MT_JOB_EXPECT_DETECT;
	mt_bug_fires_str(d, want, sizeof(want));
	ok(mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "%s: the job ran to its end", d->name);
	fired_str(d, got, sizeof(got));
	ok(mt_job_expectation_met(&job, R, true),
	   "%s: detected (%s expected: %s) in %.3fs", d->name,
	   d->expect == MT_EXPECT_ALL ? "all of" : "one of", want,
	   (double)R->t_detect_ns / 1e9);
	diag("%s fired: %s", d->name, got);
}

static void test_clean(enum mt_rcu_flavor f)
{
	struct mt_job job;
	bool every_role = true;

	job_setup(&job, 1.5);
	job.rcu = f;
	ok(mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE,
	   "%s: the clean anon_vma job ran to its end", mt_rcu_flavor_name(f));
	ok(mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
	   "%s: the correct protocol is silent: no race, no leak (%llu ops, %llu audits, %llu objects audited)",
	   mt_rcu_flavor_name(f), (unsigned long long)mt_ops_total(R),
	   (unsigned long long)mt_counter_read(R, MT_AUDITS),
	   (unsigned long long)mt_counter_read(R, MT_AUDITED_OBJECTS));
	for (unsigned int i = 0; i < wl_nroles(&wl_anon_vma); i++)
		if (!mt_ops_read(R, i)) {
			diag("role %s never ran", wl_anon_vma.roles[i]);
			every_role = false;
		}
	ok(every_role && mt_counter_read(R, MT_AUDITS) >= 3,
	   "%s: every role ran, periodic audits ran", mt_rcu_flavor_name(f));
	ok(mt_counter_read(R, MT_OVERLAPS) > 0 && mt_counter_read(R, MT_RECHECK_CAUGHT) > 0,
	   "%s: walkers met anon_vmas unmapped or reused under them (%llu rechecks caught)",
	   mt_rcu_flavor_name(f), (unsigned long long)mt_counter_read(R, MT_RECHECK_CAUGHT));
}

int main(void)
{
	int nbugs = 0;

	R = mt_region_create(false);
	seed = tap_seed(mt_seed_random());

	for (int b = 0; b < MT_NBUGS; b++)
		if (!strcmp(mt_bug_table[b].model, "anon_vma")) {
			test_bug(b);
			nbugs++;
		}
	is_u64(nbugs, 5, "the catalogue's anon_vma section has five bugs, each run above");

	for (int f = 0; f < MT_RCU_NFLAVORS; f++)
		test_clean(f);

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
