/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * engine.h - executing one job in the calling process: workers placed and
 * started, the control loop (runtime, stutter, audit at quiesce points,
 * early stop on detection), then the final audit and teardown.
 *
 * The runner (runner.h) calls this in a child process, with the counter
 * region in shared memory; tests call it directly.
 */
#ifndef MT_ENGINE_H
#define MT_ENGINE_H

#include "core/counters.h"
#include "lib/engine/job.h"

/**
 * mt_job_execute - run @job to its end in this process
 * @job: the job; its plan must be resolved (or zeroed: node 0, unbound)
 * @r: the counter region, made current here and reset
 *
 * Context: no RCU thread registered in this process (the flavor is set
 * here).  Not reentrant: one job per process at a time.
 * Return: 0 when the job ran to its end (whatever it found), -1 on a
 * harness error (r->phase is MT_PHASE_ERROR and r->error says why).
 */
int mt_job_execute(struct mt_job *job, struct mt_region *r);

/* Ask the running job to stop at its next control tick.  Context: async-signal-safe. */
void mt_job_request_stop(void);

/*
 * mt_job_expectation_met - have the counters the enabled bugs expect
 * fired?  @all: every counter of an ALL bug (true), or any one (false).
 * Context: any process that maps @r.
 * Return: false when no enabled bug expects anything.
 */
bool mt_job_expectation_met(const struct mt_job *job, const struct mt_region *r,
			    bool all);

#endif /* MT_ENGINE_H */
