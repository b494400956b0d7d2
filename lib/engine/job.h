/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * job.h - one job: a workload, its options and mix, the threads and their
 * placement, the RCU flavor, the injection settings, the bugs turned on
 * and what is expected of the run.  Built by the job-file parser
 * (jobfile.c) or by a test, executed by engine.c in the calling process,
 * or by runner.c in a child process.  A job holds no pointer into itself
 * or into the file it came from: it may be copied by value.
 *
 * The job keys are one option table (mt_job_opts), as the workloads'
 * options are.
 */
#ifndef MT_JOB_H
#define MT_JOB_H

#include <stdint.h>
#include <stdbool.h>

#include "core/bugs.h"
#include "core/inject.h"
#include "core/rcu.h"
#include "lib/engine/opt.h"
#include "lib/engine/workload.h"

#define MT_JOB_NAME_LEN		64
#define MT_MAX_THREADS		(MT_MAX_SHARDS - 2)	/* one shard for the control thread */
#define MT_WL_OPTS_MAX		512

enum mt_expect_kind { MT_JOB_EXPECT_CLEAN, MT_JOB_EXPECT_DETECT };

struct mt_thread_place {
	int node;		/* logical NUMA node */
	int cpu;		/* OS index of the PU, -1 for none */
};

struct mt_placement {
	bool bind;		/* bind threads (a real topology) */
	bool synthetic;		/* the topology is HWLOC_SYNTHETIC or from a file */
	char why_not_bound[224];
	int nnodes;		/* nodes used */
	int nodes[MT_MAX_NODES];
	struct mt_thread_place thread[MT_MAX_THREADS];
};

struct mt_job {
	char name[MT_JOB_NAME_LEN];
	char file[128];			/* where it was defined (for messages) */
	int line;
	const struct workload *wl;
	_Alignas(16) unsigned char wl_opts[MT_WL_OPTS_MAX];
	struct wl_mix mix;
	char mix_spec[1024];
	unsigned int threads;
	uint64_t runtime_ns;		/* 0: until cancelled */
	enum mt_rcu_flavor rcu;
	uint64_t seed;			/* 0: drawn by mt_job_seed(), then printed */
	struct mt_inject_conf inject;
	uint64_t audit_interval_ns;	/* 0: audit only at the end */
	unsigned int min_audits;	/* the run lasts this many audits at least */
	uint64_t stutter_ns;		/* park all workers this often; 0 = off */
	mt_bugset_t bugs;
	char bugs_spec[512];
	enum mt_expect_kind expect;
	bool stop_on_detect;		/* a detect job ends at its first detection */
	char nodes[64];			/* "all", "0", "0-1", "0,2" */
	char cpus[128];			/* "" = every PU of the nodes */
	struct mt_placement plan;
	uint64_t hang_grace_ns;		/* hang_timeout: see runner.c; 0 = no watchdog */
	/* runs (runs.c): several short runs, free or under a controlled scheduler */
	unsigned int sched;		/* enum mt_sched_mode: free, pct, random */
	unsigned int pct_depth;		/* PCT's d */
	uint64_t pct_steps;		/* PCT's k; 0: measured by a first run */
	unsigned int runs;		/* runs of the job, each from its own seed */
	unsigned int run_ops;		/* operations per worker in each run; 0: the runtime */
	uint64_t run_steps;		/* steps of a scheduled run at most; 0: no bound */
	unsigned int first_run;		/* the index of the first run (a replay's one run) */
	uint64_t timeline_ns;		/* a row of timeline.csv this often; 0 = none */
};

/* The job keys: a job file's keys besides the workload's options. */
#define MT_JOB_MAX_OPTS	32
extern const struct mt_opt mt_job_opts[];

/*
 * The defaults of every job key (runtime 30s, memb, seed 0, delay 0.001, ...).
 * Context (here and below): any thread; a job is a value, owned by its caller.
 */
void mt_job_defaults(struct mt_job *job, const struct workload *wl);
/* Set the workload, resetting its options and mix to their defaults. */
int mt_job_set_workload(struct mt_job *job, const struct workload *wl,
			char *err, size_t errlen);
/*
 * mt_job_seed - the job's seed: the one it was given, or one drawn now
 * and kept, so that it is printed before the run and repeats it.  The one
 * place a seed is drawn.
 */
uint64_t mt_job_seed(struct mt_job *job);
/* "clean" or "detect" */
const char *mt_job_expect_name(const struct mt_job *job);

/* The RCU a job's threads run on: the scheduler's own under sched=pct|random. */
static inline enum mt_rcu_flavor mt_job_rcu(const struct mt_job *job)
{
	return job->sched ? MT_RCU_SCHED : job->rcu;	/* MT_SCHED_FREE is 0 */
}

#endif /* MT_JOB_H */
