/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * result.h - what a job left behind: a snapshot of its counters and the
 * verdict against its expectation (verdict.c), metrics.json
 * (result_json.c), and the three files a user reads (result_files.c:
 * summary.txt, metrics.json, metrics.prom).
 *
 * Verdicts (docs/DESIGN.md): PASS (clean job, no race or leak, coverage
 * reached), DETECTED (the injected bugs' counters fired), MISSED (they
 * did not), FAIL (a clean job with races or leaks, a crash or a hang),
 * INCONCLUSIVE (coverage minimums not reached, or cancelled before the
 * end of its runtime without a conclusive verdict), ERROR (harness or
 * configuration error).
 *
 * Cancel: a job cancelled before its runtime ended is INCONCLUSIVE
 * ("cancelled after X of Y: partial results") unless it already has a
 * conclusive verdict: DETECTED (a detect job whose expectation was met),
 * FAIL (a clean job with races, leaks, a crash or a hang).  A job of
 * runtime=0 runs until cancelled: it is judged as any job at its end,
 * coverage included.
 *
 * Exit categories of `mmtorture run` and `mmtorture wait`: 0 every
 * expectation met, 1 usage or config error, 2 an expectation failed
 * (FAIL, MISSED, INCONCLUSIVE, an unexpected crash), 3 harness error.
 */
#ifndef MT_RESULT_H
#define MT_RESULT_H

#include <stdio.h>
#include <jansson.h>

#include "core/counters.h"
#include "lib/engine/job.h"

#define MT_RESULT_FORMAT_VERSION 1

enum mt_verdict {
	MT_V_PASS,
	MT_V_DETECTED,
	MT_V_MISSED,
	MT_V_FAIL,
	MT_V_INCONCLUSIVE,
	MT_V_ERROR,
	MT_NVERDICTS
};

enum { MT_EXIT_OK = 0, MT_EXIT_USAGE = 1, MT_EXIT_EXPECT = 2, MT_EXIT_HARNESS = 3 };

struct mt_result_cache {
	char name[MT_NAME_LEN];
	bool typesafe;
	int64_t live;
	uint64_t allocs;
	uint64_t remote_frees;
	uint64_t leaked;
};

struct mt_result_event {
	double t_s;
	char kind[24];
	char where[44];
	char what[140];
	int thread;
};

struct mt_result {
	char job[MT_JOB_NAME_LEN];
	char workload[32];
	char file[128];
	int line;
	char started[32];		/* ISO 8601, UTC */
	char dir[512];			/* where the files went, "" if none */

	enum mt_verdict verdict;
	char why[512];			/* the verdict in one sentence */
	int term_signal;		/* the job process died of it; 0 if not */
	bool hung;			/* killed by the runner's watchdog */
	char hang[128];			/* why: "no progress for 60s" */
	bool cancelled;			/* cancelled before its runtime ended: partial */
	char error[256];
	char files_error[320];		/* the result files could not be written: why */

	uint64_t seed;
	char rcu[8];
	unsigned int threads;
	double runtime_s;		/* asked; 0 = until cancelled */
	double elapsed_s;
	double delay;
	double sync_delay;		/* as applied */
	char bugs[512];
	bool expect_detect;
	char nodes[64];
	char mix[1024];
	char placement[768];
	/*
	 * Time to detection, -1 if none: when a detect job's expectation was
	 * met, as the verdict judges it.  Detection is a detect job's: a clean
	 * job has none.  Any job's first race or leak is the earliest first_s[]
	 * of a race or leak counter (first_race_or_leak_seconds in metrics.json).
	 */
	double detect_s;
	double first_detect_s;		/* a detect job's first expected counter, -1 if none */

	uint64_t counters[MT_NCOUNTERS];
	double first_s[MT_NCOUNTERS];	/* -1: never fired */
	unsigned int nroles;
	char roles[MT_MAX_OPS][MT_NAME_LEN];
	uint32_t weight[MT_MAX_OPS];
	uint64_t ops[MT_MAX_OPS];
	int nnodes;
	int node_id[MT_MAX_NODES];
	uint64_t node_ops[MT_MAX_NODES];
	unsigned int ncaches;
	struct mt_result_cache caches[MT_MAX_CACHES];
	unsigned int nwindows;
	/*
	 * Coverage (inject.h): each race window, sync point and coverage
	 * point by name, with its passes, the delays injected there (hits),
	 * and the delays during which another thread freed an object
	 * (overlaps); required: a protocol step a clean job must reach.
	 */
	struct mt_result_window {
		char name[MT_NAME_LEN + 8];
		uint64_t hits;
		uint64_t passes;
		uint64_t overlaps;
		bool required;
	} windows[MT_MAX_WINDOWS];
	char unmet[192];		/* coverage the workload did not reach, "" if none */
	char note[384];			/* what the workload adds to the verdict */
	/* a job of several runs (runs=, sched=): what they found, from the region */
	struct {
		uint32_t planned, done;	/* planned 0: a job of one free run */
		uint32_t mode, depth;	/* enum mt_sched_mode; PCT's d */
		uint64_t k;		/* PCT's k */
		uint32_t detected, problems, hit_bound, deadlocks, crashed;
		uint64_t steps_min, steps_max, steps_sum, preemptions_sum, pairs_max;
		uint32_t nrecs;
		struct mt_run_rec recs[MT_RUN_RECS];
	} runs;
	uint64_t nevents_total;
	unsigned int nevents;
	struct mt_result_event events[MT_MAX_EVENTS];
};

const char *mt_verdict_name(enum mt_verdict v);
int mt_verdict_lookup(const char *name);
int mt_verdict_exit(enum mt_verdict v);

/**
 * mt_result_snapshot - fill @res from @job and its region @r
 *
 * Context: any process that maps @r; live (while the job runs) or after
 * it ended.
 */
void mt_result_snapshot(struct mt_result *res, const struct mt_job *job,
			const struct mt_region *r);
/**
 * mt_result_judge - the verdict of @res against @job's expectation, its
 * time to detection and why, in one sentence
 *
 * Context: after the run (or with its partial counters, when cancelled).
 */
void mt_result_judge(struct mt_result *res, const struct mt_job *job);
/*
 * PCT's bound on the share of runs that find a bug of depth d, among the
 * @nthreads workers and the callback thread, over its k steps: 1/(n k^(d-1)).
 * Return: -1 when @res's runs were not under PCT.
 */
double mt_result_pct_bound(const struct mt_result *res, unsigned int nthreads);
/* The time of the first race or leak, -1 if none; its counter in @which (may be NULL). */
double mt_result_first_problem(const struct mt_result *res, int *which);

/*
 * mt_result_write_dir - summary.txt, metrics.json and metrics.prom of @res
 * in @dir (made if missing), each written aside and renamed into place;
 * @res->dir says where they went.
 * Return: 0, or -errno of the first that could not be written.
 */
int mt_result_write_dir(struct mt_result *res, const char *dir);
void mt_result_summary(const struct mt_result *res, FILE *f);
json_t *mt_result_to_json(const struct mt_result *res);
/* Return: 0, or -1 if the JSON is not a metrics.json of this format. */
int mt_result_from_json(const json_t *j, struct mt_result *res);

#endif /* MT_RESULT_H */
