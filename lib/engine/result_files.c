// SPDX-License-Identifier: GPL-2.0-only
/*
 * result_files.c - the three files a run leaves: summary.txt for people,
 * metrics.json and metrics.prom for programs, each written aside and
 * renamed into place.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/engine/fileio.h"
#include "lib/engine/prom.h"
#include "lib/engine/result.h"
#include "lib/engine/values.h"

static int write_stream(const char *path, void (*fn)(const struct mt_result *, FILE *),
			const struct mt_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -errno;
	fn(res, f);
	fclose(f);
	rc = mt_write_atomic(path, buf, len);
	free(buf);
	return rc;
}

static void prom_one(const struct mt_result *res, FILE *f)
{
	struct mt_totals t;

	mt_totals_init(&t, res->job, res->workload);
	mt_totals_add(&t, res);
	mt_prom_write(f, &t, 1);
}

int mt_result_write_dir(struct mt_result *res, const char *dir)
{
	char path[PATH_MAX];
	json_t *j;
	char *txt;
	int rc;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(res->dir, sizeof(res->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	if ((rc = write_stream(path, mt_result_summary, res)))
		return rc;
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	if ((rc = write_stream(path, prom_one, res)))
		return rc;
	j = mt_result_to_json(res);
	txt = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!txt)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	rc = mt_write_atomic(path, txt, strlen(txt));
	free(txt);
	return rc;
}

void mt_result_summary(const struct mt_result *res, FILE *f)
{
	char rt[32];
	double first;
	int which = 0;

	fprintf(f, "mmtorture %s - job %s (workload %s)\n", MT_VERSION, res->job, res->workload);
	if (res->file[0])
		fprintf(f, "defined at  %s:%d\n", res->file, res->line);
	fprintf(f, "started     %s\n", res->started);
	fprintf(f, "verdict     %s: %s\n", mt_verdict_name(res->verdict), res->why);
	fprintf(f, "seed        %llu   (seed=%llu repeats this run's random choices)\n",
		(unsigned long long)res->seed, (unsigned long long)res->seed);
	mt_format_time((uint64_t)llround(res->runtime_s * 1e9), rt, sizeof(rt));
	fprintf(f, "settings    threads=%u rcu=%s runtime=%s delay=%g sync_delay=%g expect=%s nodes=%s\n",
		res->threads, res->rcu, res->runtime_s > 0 ? rt : "0 (until cancelled)", res->delay,
		res->sync_delay,
		res->expect_detect ? "detect" : "clean", res->nodes);
	if (res->bugs[0])
		fprintf(f, "bugs        %s\n", res->bugs);
	if (res->mix[0])
		fprintf(f, "mix         %s\n", res->mix);
	fprintf(f, "elapsed     %.3fs%s\n", res->elapsed_s, res->cancelled ? " (cancelled)" : "");
	if (res->expect_detect && res->detect_s >= 0)
		fprintf(f, "detected    at %.3fs, when the expectation was met (first expected counter at %.3fs)\n",
			res->detect_s, res->first_detect_s);
	else if (res->expect_detect && res->first_detect_s >= 0)
		fprintf(f, "detected    partly: first expected counter at %.3fs\n", res->first_detect_s);
	if (!res->expect_detect && (first = mt_result_first_problem(res, &which)) >= 0)
		fprintf(f, "first       race or leak at %.3fs (%s)\n", first, mt_counter_name(which));
	if (res->hung)
		fprintf(f, "hung        %s: killed by the watchdog (signal %d)\n", res->hang,
			res->term_signal);
	else if (res->term_signal)
		fprintf(f, "crash       signal %d (%s)\n", res->term_signal, strsignal(res->term_signal));
	if (res->error[0])
		fprintf(f, "error       %s\n", res->error);
	if (res->placement[0])
		fprintf(f, "%s", res->placement);

	fprintf(f, "\n%-22s %14s %12s\n", "counter", "value", "first (s)");
	for (int c = 0; c < MT_NCOUNTERS; c++) {
		if (mt_counter_class(c) == MT_CLASS_INFO && !res->counters[c])
			continue;
		fprintf(f, "%-22s %14llu", mt_counter_name(c), (unsigned long long)res->counters[c]);
		if (mt_counter_class(c) == MT_CLASS_INFO) {
			fputc('\n', f);
			continue;
		}
		if (res->first_s[c] >= 0)
			fprintf(f, " %12.3f", res->first_s[c]);
		else
			fprintf(f, " %12s", "-");
		fprintf(f, "  %s\n", mt_counter_class(c) == MT_CLASS_RACE ? "(race)" : "(leak)");
	}
	fprintf(f, "\n%-22s %14s %8s\n", "role", "ops", "weight");
	for (unsigned int i = 0; i < res->nroles; i++)
		fprintf(f, "%-22s %14llu %8u\n", res->roles[i], (unsigned long long)res->ops[i],
			res->weight[i]);
	if (res->nnodes) {
		fprintf(f, "\n%-22s %14s\n", "node", "ops");
		for (int k = 0; k < res->nnodes; k++)
			fprintf(f, "node %-17d %14llu\n", res->node_id[k],
				(unsigned long long)res->node_ops[k]);
	}
	if (res->ncaches) {
		fprintf(f, "\n%-20s %9s %12s %8s %12s %8s\n", "cache", "typesafe", "allocs",
			"live", "remote frees", "leaked");
		for (unsigned int i = 0; i < res->ncaches; i++) {
			const struct mt_result_cache *c = &res->caches[i];

			fprintf(f, "%-20s %9s %12llu %8lld %12llu %8llu\n", c->name,
				c->typesafe ? "yes" : "no", (unsigned long long)c->allocs,
				(long long)c->live, (unsigned long long)c->remote_frees,
				(unsigned long long)c->leaked);
		}
	}
	if (res->nwindows) {
		/* coverage: every window, sync point and step (inject.h) */
		fprintf(f, "\n%-40s %12s %10s %10s\n", "race window (* a required step)", "passes",
			"delays", "overlaps");
		for (unsigned int i = 0; i < res->nwindows; i++)
			fprintf(f, "%-38s %s %12llu %10llu %10llu\n", res->windows[i].name,
				res->windows[i].required ? " *" : "  ",
				(unsigned long long)res->windows[i].passes,
				(unsigned long long)res->windows[i].hits,
				(unsigned long long)res->windows[i].overlaps);
	}
	if (res->nevents) {
		fprintf(f, "\nfirst %u of %llu detector reports:\n", res->nevents,
			(unsigned long long)res->nevents_total);
		for (unsigned int i = 0; i < res->nevents; i++) {
			const struct mt_result_event *e = &res->events[i];

			fprintf(f, "  %8.3fs %-20s t%-3d %s: %s\n", e->t_s, e->kind, e->thread,
				e->where, e->what);
		}
	}
}

