/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched_detect.h - a bug's job for a unit test that needs the race to
 * happen: short runs under the controlled scheduler from fixed seeds, up
 * to the first that detects, in batches that take turns -- PCT with depth
 * 3 on three workers, then random choices on four (for a race PCT's few
 * preemptions seldom hit in runs this long), then PCT from the next seed,
 * and so on.  Every run's schedule follows from its seed, so the outcome
 * is the same on every machine and under any load: a miss is a change in
 * the code, never bad luck.
 *
 * The caller sets the job up (workload, bugs, options, mix) and its
 * region must be shared (mt_region_create(true)): each run is forked.
 */
#ifndef MT_TESTS_SCHED_DETECT_H
#define MT_TESTS_SCHED_DETECT_H

#include "core/sched.h"
#include "lib/engine/engine.h"
#include "tests/tap.h"

#define SCHED_DETECT_SEED	20261203ull
#define SCHED_DETECT_BATCH	200u	/* runs of one mode before the other's turn */
#define SCHED_DETECT_RUNS	1000u	/* in all */
#define SCHED_DETECT_OPS	60u

struct sched_detect {
	bool met;
	enum mt_sched_mode mode;	/* the mode that detected, or the last tried */
	unsigned int run;		/* runs done when it did, in all batches */
	uint64_t seed;			/* the seed of its batch */
};

static inline bool __sched_detect_try(const struct mt_job *proto, struct mt_region *r,
				      enum mt_sched_mode mode, unsigned int threads, uint64_t seed)
{
	struct mt_job job = *proto;

	job.threads = threads;
	job.expect = MT_JOB_EXPECT_DETECT;
	job.runtime_ns = 600 * 1000000000ull;	/* the runs bound it */
	job.inject.delay_prob = 0;
	job.sched = mode;
	job.pct_depth = 3;
	job.pct_steps = 0;
	job.runs = SCHED_DETECT_BATCH;
	job.run_ops = SCHED_DETECT_OPS;
	job.seed = seed;
	if (mt_job_execute(&job, r) || r->phase != MT_PHASE_DONE) {
		diag("the scheduled job did not run to its end: %s", r->error);
		return false;
	}
	return mt_job_expectation_met(&job, r, true);
}

static inline struct sched_detect sched_detect(const struct mt_job *job, struct mt_region *r)
{
	struct sched_detect d = { .run = 0 };

	for (unsigned int b = 0; b < SCHED_DETECT_RUNS / SCHED_DETECT_BATCH; b++) {
		d.mode = b % 2 ? MT_SCHED_RANDOM : MT_SCHED_PCT;
		d.seed = SCHED_DETECT_SEED + b / 2;
		d.met = __sched_detect_try(job, r, d.mode, d.mode == MT_SCHED_PCT ? 3 : 4, d.seed);
		d.run += r->runs.done;
		if (d.met)
			break;
	}
	return d;
}

static inline const char *sched_detect_how(const struct sched_detect *d)
{
	return d->mode == MT_SCHED_PCT ? "pct, depth 3, 3 workers" : "random, 4 workers";
}

#endif /* MT_TESTS_SCHED_DETECT_H */
