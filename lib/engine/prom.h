/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prom.h - Prometheus text from numbers: the totals of the runs of one
 * job name (counters summed, gauges of the last run), and the writer of
 * the families of mmtorture's metrics.
 *
 * A run's metrics.prom is the totals of that one run; the daemon keeps
 * totals for the job names it has let go from memory and adds the runs it
 * keeps: counters are added as numbers, never read back from text.
 */
#ifndef MT_PROM_H
#define MT_PROM_H

#include <stdio.h>

#include "lib/engine/result.h"

struct mt_totals {
	char job[MT_JOB_NAME_LEN];
	char workload[32];
	unsigned int nroles;
	char roles[MT_MAX_OPS][MT_NAME_LEN];
	uint64_t ops[MT_MAX_OPS];
	uint64_t counters[MT_NCOUNTERS];
	unsigned int ncaches;
	struct {
		char name[MT_NAME_LEN];
		int64_t live;		/* gauge: at the last run's snapshot */
		uint64_t leaked, remote_frees;
	} caches[MT_MAX_CACHES];
	int nnodes;
	int node_id[MT_MAX_NODES];
	uint64_t node_ops[MT_MAX_NODES];
	unsigned int nwindows;
	struct { char name[MT_NAME_LEN + 8]; uint64_t hits; } windows[MT_MAX_WINDOWS];
	uint64_t runs[MT_NVERDICTS];
	/* gauges of the last run added; a run let go keeps no gauge */
	bool has_last;
	double last_elapsed_s;
	double last_detect_s;		/* -1: none */
};

/* Start @t for job @job of workload @workload, all zero. */
void mt_totals_init(struct mt_totals *t, const char *job, const char *workload);
/* Add the counters of @res to @t, and make its gauges @res's. */
void mt_totals_add(struct mt_totals *t, const struct mt_result *res);
/* Add @src's counters to @dst (folding a job name into another); no gauge. */
void mt_totals_merge(struct mt_totals *dst, const struct mt_totals *src);
/* The totals of @res's job name in @t[0..*n), added at the end if new (@max at most). */
struct mt_totals *mt_totals_find(struct mt_totals *t, int *n, int max, const char *job,
				 const char *workload);

/*
 * The metric families of @n totals (one per job name), as Prometheus text.
 * Context: any; reads @t only.
 */
void mt_prom_write(FILE *f, const struct mt_totals *t, int n);

#endif /* MT_PROM_H */
