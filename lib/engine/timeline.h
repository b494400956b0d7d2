/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * timeline.h - a job's counters over time: timeline.csv in its results,
 * one row every timeline_interval while it runs (fio's bandwidth and
 * latency logs are the model), written by the process that supervises
 * the job (runner.c), from the live region.  `mmtorture plot` draws it.
 *
 * The columns, named in a header row: t_s (seconds since the job
 * started), phase (running, audit, teardown, done), ops (all roles),
 * ops_<role> for each role of the workload, races and leaks (totals),
 * then one column per race kind and per leak kind (their counter names),
 * audits.  Counters are cumulative, as the region counts them: a rate is
 * the difference of two rows.
 *
 * Bounded: after MT_TIMELINE_ROWS rows the interval doubles, and again
 * after each further MT_TIMELINE_ROWS, so that a job of a year leaves a
 * file of some megabytes, not gigabytes.
 */
#ifndef MT_TIMELINE_H
#define MT_TIMELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/counters.h"
#include "lib/engine/job.h"

#define MT_TIMELINE_FILE	"timeline.csv"
#define MT_TIMELINE_ROWS	10000

struct mt_timeline {
	FILE *f;			/* NULL: none kept */
	const struct mt_job *job;
	uint64_t interval_ns, next_ns;
	unsigned long rows, limit;
	char path[PATH_MAX];
	char last[4096];		/* the last row written */
};

/**
 * mt_timeline_open - start @dir/timeline.csv for @job (its header row)
 *
 * Nothing is kept when @dir is NULL or empty or the job's
 * timeline_interval is 0.
 * Context: the job's supervising process.
 * Return: 0, or -errno when the file cannot be created (@tl keeps none).
 */
int mt_timeline_open(struct mt_timeline *tl, const char *dir, const struct mt_job *job);
/**
 * mt_timeline_tick - a row from the live region @r, when one is due at @now
 *
 * Context: the supervising process, while the job runs.  No row before
 * the job is running (its clock starts then).
 * Return: 0, or -errno of a write that failed (the file is then closed).
 */
int mt_timeline_tick(struct mt_timeline *tl, const struct mt_region *r, uint64_t now);
/**
 * mt_timeline_close - the last row, at the job's end, and close
 * Context: the supervising process, after the job process ended.
 * Return: 0, or -errno.
 */
int mt_timeline_close(struct mt_timeline *tl, const struct mt_region *r);

#endif /* MT_TIMELINE_H */
