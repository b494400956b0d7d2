/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * runs.h - a job as many short runs (runs=), each a world of its own
 * built from its own seed, in its own process, free-running or under a
 * controlled scheduler (sched=pct|random); the engine's own interface
 * between engine.c, which runs one world, and runs.c, which runs many.
 */
#ifndef MT_RUNS_H
#define MT_RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/sched.h"
#include "lib/engine/job.h"

#define MT_RUN_STEPS_DEFAULT	10000000	/* a scheduled run's bound, when none is given */
#define MT_RUN_OPS_DEFAULT	32		/* a scheduled run's operations per worker */

/**
 * mt_run_world - one world: init, the workers (free, or scheduled), the
 * final audit, teardown
 * @seed: the run's seed (the job's, or one run's own)
 * @rep: a scheduled run's schedule report (may be NULL)
 *
 * Context: the job process's control thread, the flavor and bugs set.
 * Return: 0, or -1 on a harness error (said in @r).
 */
int mt_run_world(struct mt_job *job, struct mt_region *r, uint64_t seed, bool scheduled,
		 struct mt_sched_report *rep);
/*
 * mt_runs_execute - the job's runs, each in a child process of this one
 * (engine.c calls it for runs > 1 or sched != free)
 * Return: 0, or -1 on a harness error.
 */
int mt_runs_execute(struct mt_job *job, struct mt_region *r);
/* The seed of run @k of a job of seed @seed. */
uint64_t mt_run_seed(uint64_t seed, unsigned int k);
/* A stop was asked (SIGTERM, a cancel): no further run starts. */
bool mt_job_stop_requested(void);

#endif /* MT_RUNS_H */
