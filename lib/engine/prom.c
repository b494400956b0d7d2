// SPDX-License-Identifier: GPL-2.0-only
/*
 * prom.c - totals of runs by job name, and Prometheus text from them; see
 * prom.h.  Base units, _total on counters, labels bounded by the job
 * names (a daemon folds names beyond its bound into one).  The job's
 * label is job_name, not job: Prometheus sets job and instance on every
 * sample it scrapes (its target labels) and would rename ours
 * exported_job.
 */
#include <stdio.h>
#include <string.h>

#include "lib/engine/prom.h"
#include "lib/engine/values.h"

void mt_totals_init(struct mt_totals *t, const char *job, const char *workload)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->job, sizeof(t->job), "%s", job);
	snprintf(t->workload, sizeof(t->workload), "%s", workload);
	t->last_detect_s = -1;
}

static void add_role(struct mt_totals *t, const char *role, uint64_t ops)
{
	unsigned int i;

	for (i = 0; i < t->nroles; i++)
		if (!strcmp(t->roles[i], role))
			break;
	if (i == t->nroles) {
		if (t->nroles >= MT_MAX_OPS)
			return;
		snprintf(t->roles[t->nroles++], MT_NAME_LEN, "%s", role);
	}
	t->ops[i] += ops;
}

static void add_node(struct mt_totals *t, int node, uint64_t ops)
{
	int i;

	for (i = 0; i < t->nnodes; i++)
		if (t->node_id[i] == node)
			break;
	if (i == t->nnodes) {
		if (t->nnodes >= MT_MAX_NODES)
			return;
		t->node_id[t->nnodes++] = node;
	}
	t->node_ops[i] += ops;
}

/* A delay series: only windows where delays were injected have one. */
static void add_window(struct mt_totals *t, const char *name, uint64_t hits)
{
	unsigned int i;

	if (!hits)
		return;
	for (i = 0; i < t->nwindows; i++)
		if (!strcmp(t->windows[i].name, name))
			break;
	if (i == t->nwindows) {
		if (t->nwindows >= MT_MAX_WINDOWS)
			return;
		snprintf(t->windows[t->nwindows++].name, sizeof(t->windows[0].name), "%s", name);
	}
	t->windows[i].hits += hits;
}

/* Return: the cache's slot, or -1 when @t has no room for another. */
static int add_cache(struct mt_totals *t, const char *name, uint64_t leaked, uint64_t remote)
{
	unsigned int i;

	for (i = 0; i < t->ncaches; i++)
		if (!strcmp(t->caches[i].name, name))
			break;
	if (i == t->ncaches) {
		if (t->ncaches >= MT_MAX_CACHES)
			return -1;
		snprintf(t->caches[t->ncaches++].name, sizeof(t->caches[0].name), "%s", name);
	}
	t->caches[i].leaked += leaked;
	t->caches[i].remote_frees += remote;
	return (int)i;
}

void mt_totals_add(struct mt_totals *t, const struct mt_result *res)
{
	for (unsigned int i = 0; i < res->nroles; i++)
		add_role(t, res->roles[i], res->ops[i]);
	for (int c = 0; c < MT_NCOUNTERS; c++)
		t->counters[c] += res->counters[c];
	for (unsigned int i = 0; i < t->ncaches; i++)
		t->caches[i].live = 0;
	for (unsigned int i = 0; i < res->ncaches; i++) {
		int k = add_cache(t, res->caches[i].name, res->caches[i].leaked,
				  res->caches[i].remote_frees);

		if (k >= 0)
			t->caches[k].live = res->caches[i].live;
	}
	for (int i = 0; i < res->nnodes; i++)
		add_node(t, res->node_id[i], res->node_ops[i]);
	for (unsigned int i = 0; i < res->nwindows; i++)
		add_window(t, res->windows[i].name, res->windows[i].hits);
	if ((unsigned int)res->verdict < MT_NVERDICTS)	/* a live snapshot has none yet */
		t->runs[res->verdict]++;
	t->has_last = true;
	t->last_elapsed_s = res->elapsed_s;
	t->last_detect_s = res->detect_s;
}

void mt_totals_merge(struct mt_totals *dst, const struct mt_totals *src)
{
	for (unsigned int i = 0; i < src->nroles; i++)
		add_role(dst, src->roles[i], src->ops[i]);
	for (int c = 0; c < MT_NCOUNTERS; c++)
		dst->counters[c] += src->counters[c];
	for (unsigned int i = 0; i < src->ncaches; i++)
		add_cache(dst, src->caches[i].name, src->caches[i].leaked, src->caches[i].remote_frees);
	for (int i = 0; i < src->nnodes; i++)
		add_node(dst, src->node_id[i], src->node_ops[i]);
	for (unsigned int i = 0; i < src->nwindows; i++)
		add_window(dst, src->windows[i].name, src->windows[i].hits);
	for (int v = 0; v < MT_NVERDICTS; v++)
		dst->runs[v] += src->runs[v];
}

struct mt_totals *mt_totals_find(struct mt_totals *t, int *n, int max, const char *job,
				 const char *workload)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].job, job))
			return &t[i];
	if (*n >= max)
		return NULL;
	mt_totals_init(&t[*n], job, workload);
	return &t[(*n)++];
}

/* ---- the text ---- */

static void label_value(FILE *f, const char *value)
{
	char buf[MT_JOB_NAME_LEN + 128];

	snprintf(buf, sizeof(buf), "%s", value);
	mt_utf8_scrub(buf);
	for (const char *s = buf; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "name{job_name="..."": the sample's start, its other labels and value to follow. */
static void sample(FILE *f, const char *name, const struct mt_totals *t)
{
	fprintf(f, "%s{job_name=\"", name);
	label_value(f, t->job);
	fputc('"', f);
}

static void write_counters(FILE *f, const struct mt_totals *t, int n)
{
	static const struct { enum mt_counter_class cls; const char *name, *help; } fam[] = {
		{ MT_CLASS_RACE, "mmtorture_races_total", "Race detector reports, by kind (any is a failure in a clean job)." },
		{ MT_CLASS_LEAK, "mmtorture_leaks_total", "Leak detector reports, by kind (any is a failure in a clean job)." },
		{ MT_CLASS_INFO, "mmtorture_events_total", "Informational events (not failures), by kind." },
	};

	for (unsigned int fi = 0; fi < ARRAY_SIZE(fam); fi++) {
		family(f, fam[fi].name, "counter", fam[fi].help);
		for (int k = 0; k < n; k++)
			for (int c = 0; c < MT_NCOUNTERS; c++) {
				if (mt_counter_class(c) != fam[fi].cls)
					continue;
				sample(f, fam[fi].name, &t[k]);
				fprintf(f, ",kind=\"%s\"} %llu\n", mt_counter_name(c),
					(unsigned long long)t[k].counters[c]);
			}
	}
}

static void write_caches(FILE *f, const struct mt_totals *t, int n)
{
	family(f, "mmtorture_objects_live", "gauge",
	       "Objects allocated and not freed, by cache, at the last snapshot.");
	for (int k = 0; k < n; k++)
		for (unsigned int c = 0; t[k].has_last && c < t[k].ncaches; c++) {
			sample(f, "mmtorture_objects_live", &t[k]);
			fprintf(f, ",cache=\"%s\"} %lld\n", t[k].caches[c].name,
				(long long)t[k].caches[c].live);
		}
	family(f, "mmtorture_leaked_objects_total", "counter", "Objects still live at teardown, by cache.");
	for (int k = 0; k < n; k++)
		for (unsigned int c = 0; c < t[k].ncaches; c++) {
			sample(f, "mmtorture_leaked_objects_total", &t[k]);
			fprintf(f, ",cache=\"%s\"} %llu\n", t[k].caches[c].name,
				(unsigned long long)t[k].caches[c].leaked);
		}
	family(f, "mmtorture_remote_frees_total", "counter",
	       "Objects freed on another node than the one that allocated them, by cache.");
	for (int k = 0; k < n; k++)
		for (unsigned int c = 0; c < t[k].ncaches; c++) {
			sample(f, "mmtorture_remote_frees_total", &t[k]);
			fprintf(f, ",cache=\"%s\"} %llu\n", t[k].caches[c].name,
				(unsigned long long)t[k].caches[c].remote_frees);
		}
}

void mt_prom_write(FILE *f, const struct mt_totals *t, int n)
{
	family(f, "mmtorture_ops_total", "counter", "Operations done by the job's workers, by role.");
	for (int k = 0; k < n; k++)
		for (unsigned int o = 0; o < t[k].nroles; o++) {
			sample(f, "mmtorture_ops_total", &t[k]);
			fputs(",workload=\"", f);
			label_value(f, t[k].workload);
			fprintf(f, "\",op=\"%s\"} %llu\n", t[k].roles[o], (unsigned long long)t[k].ops[o]);
		}
	write_counters(f, t, n);
	write_caches(f, t, n);
	family(f, "mmtorture_node_ops_total", "counter", "Operations done by threads placed on each NUMA node.");
	for (int k = 0; k < n; k++)
		for (int nd = 0; nd < t[k].nnodes; nd++) {
			sample(f, "mmtorture_node_ops_total", &t[k]);
			fprintf(f, ",node=\"%d\"} %llu\n", t[k].node_id[nd],
				(unsigned long long)t[k].node_ops[nd]);
		}
	family(f, "mmtorture_delays_injected_total", "counter", "Delays injected at each race window.");
	for (int k = 0; k < n; k++)
		for (unsigned int w = 0; w < t[k].nwindows; w++) {
			sample(f, "mmtorture_delays_injected_total", &t[k]);
			fputs(",window=\"", f);
			label_value(f, t[k].windows[w].name);
			fprintf(f, "\"} %llu\n", (unsigned long long)t[k].windows[w].hits);
		}
	family(f, "mmtorture_job_runs_total", "counter", "Runs of the job, by verdict.");
	for (int k = 0; k < n; k++)
		for (int v = 0; v < MT_NVERDICTS; v++) {
			sample(f, "mmtorture_job_runs_total", &t[k]);
			fprintf(f, ",verdict=\"%s\"} %llu\n", mt_verdict_name(v),
				(unsigned long long)t[k].runs[v]);
		}
	family(f, "mmtorture_job_duration_seconds", "gauge", "How long the last run of the job ran.");
	for (int k = 0; k < n; k++)
		if (t[k].has_last) {
			sample(f, "mmtorture_job_duration_seconds", &t[k]);
			fprintf(f, "} %.6f\n", t[k].last_elapsed_s);
		}
	family(f, "mmtorture_time_to_detection_seconds", "gauge",
	       "Time from start to the detection (expectation met) of the last run of a detect job (absent if none).");
	for (int k = 0; k < n; k++)
		if (t[k].has_last && t[k].last_detect_s >= 0) {
			sample(f, "mmtorture_time_to_detection_seconds", &t[k]);
			fprintf(f, "} %.6f\n", t[k].last_detect_s);
		}
}
