/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * result.h - what a job left behind: a snapshot of its counters, the
 * verdict against its expectation, and the three files a user reads
 * (summary.txt, metrics.json, metrics.prom).
 *
 * Verdicts (DESIGN.md): PASS (clean job, no race or leak, coverage
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
	double met_s;			/* the engine's time of the expectation met, -1 */

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
	struct {
		char name[MT_NAME_LEN + 8];
		uint64_t hits;
		uint64_t passes;
		uint64_t overlaps;
		bool required;
	} windows[MT_MAX_WINDOWS];
	uint64_t nevents_total;
	unsigned int nevents;
	struct mt_result_event events[MT_MAX_EVENTS];
};

const char *mt_verdict_name(enum mt_verdict v);
int mt_verdict_lookup(const char *name);
int mt_verdict_exit(enum mt_verdict v);

/* Fill @res from the job and its region (live, or after the job ended). */
void mt_result_snapshot(struct mt_result *res, const struct mt_job *job,
			const struct mt_region *r);
/* The verdict, from the snapshot and the job's expectation. */
void mt_result_judge(struct mt_result *res, const struct mt_job *job);

/* Files.  Each is written to a temporary name and renamed into place. */
int mt_result_write_dir(struct mt_result *res, const char *dir);
void mt_result_summary(const struct mt_result *res, FILE *f);
json_t *mt_result_to_json(const struct mt_result *res);
/*
 * mt_json_string - a JSON string of @s, its bytes that are not UTF-8 (a
 * path, a text cut short) made '?': jansson refuses them.  NULL only when
 * out of memory.
 */
json_t *mt_json_string(const char *s);
/* Return: 0, or -1 if the JSON is not a metrics.json of this format. */
int mt_result_from_json(const json_t *j, struct mt_result *res);

/*
 * mt_prom_write - Prometheus text for @n results, one family at a time
 * (results with the same job name are summed, so that labels stay
 * bounded by the job names).
 */
void mt_prom_write(FILE *f, const struct mt_result *const *res, int n);

/*
 * mt_write_atomic - write @data to @path atomically and durably: a
 * temporary file of this process and call (removed on any error), fsync,
 * rename, fsync of the directory.
 * Return: 0, or -errno.
 */
int mt_write_atomic(const char *path, const char *data, size_t len);

#endif /* MT_RESULT_H */
