// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - the daemon's metrics; see metrics.h.
 *
 * Prometheus text is made from numbers: the carried totals (carry.h),
 * plus each job kept, added in id order (so that the gauges are the last
 * run's), plus a live snapshot of each running job.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/carry.h"
#include "daemon/config.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/store.h"
#include "lib/engine/fileio.h"
#include "lib/engine/prom.h"

/*
 * The results to sum: each finished job kept, and a snapshot of each
 * running one (@owned: to free).  Return: how many, in @out (malloc'd).
 */
static int collect(const struct mt_result ***out, struct mt_result ***owned, int *nowned)
{
	int n = 0, k = 0;

	for (struct djob *j = jobs_first(); j; j = j->next)
		n++;
	*out = calloc((size_t)n + 1, sizeof(**out));
	*owned = calloc((size_t)n + 1, sizeof(**owned));
	*nowned = 0;
	if (!*out || !*owned)
		return 0;
	n = 0;
	for (struct djob *j = jobs_first(); j; j = j->next) {
		if (j->state == JOB_RUNNING && j->region && j->job.wl) {
			struct mt_result *s = calloc(1, sizeof(*s));

			if (!s)
				continue;
			mt_result_snapshot(s, &j->job, j->region);
			s->verdict = MT_NVERDICTS;	/* not judged yet: no verdict sample */
			(*owned)[k++] = s;
			(*out)[n++] = s;
		} else if (j->res) {
			(*out)[n++] = j->res;
		}
	}
	*nowned = k;
	return n;
}

static void collect_free(const struct mt_result **res, struct mt_result **owned, int nowned)
{
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(res);
}

static double started;		/* the daemon's start, Unix time */

void metrics_init(double started_at)
{
	started = started_at;
}

double metrics_started(void)
{
	return started;
}

/* The daemon's own families. */
static void daemon_families(FILE *f)
{
	struct jobs_counts c;

	jobs_count(&c);
	fprintf(f, "# HELP mmtorture_build_info The daemon's version, as labels.\n"
		   "# TYPE mmtorture_build_info gauge\n"
		   "mmtorture_build_info{version=\"%s\",revision=\"%s\"} 1\n", MT_VERSION, MT_GIT_REV);
	fprintf(f, "# HELP mmtorture_daemon_start_time_seconds When the daemon started, in Unix time.\n"
		   "# TYPE mmtorture_daemon_start_time_seconds gauge\n"
		   "mmtorture_daemon_start_time_seconds %.3f\n", started);
	fprintf(f, "# HELP mmtorture_jobs Jobs the daemon knows, by state.\n"
		   "# TYPE mmtorture_jobs gauge\n"
		   "mmtorture_jobs{state=\"queued\"} %u\nmmtorture_jobs{state=\"running\"} %u\n"
		   "mmtorture_jobs{state=\"finished\"} %u\nmmtorture_jobs{state=\"cancelled\"} %u\n",
		c.queued, c.running, c.finished, c.cancelled);
	fprintf(f, "# HELP mmtorture_verdicts_total Jobs ended, by verdict (CANCELLED: cancelled "
		   "before it ran).\n# TYPE mmtorture_verdicts_total counter\n");
	for (int v = 0; v < MT_NVERDICTS; v++)
		fprintf(f, "mmtorture_verdicts_total{verdict=\"%s\"} %llu\n", mt_verdict_name(v),
			(unsigned long long)c.verdicts[v]);
	fprintf(f, "mmtorture_verdicts_total{verdict=\"CANCELLED\"} %llu\n",
		(unsigned long long)c.cancelled_unrun);
}

char *metrics_prom(void)
{
	const struct mt_totals *carried;
	const struct mt_result **res;
	struct mt_result **owned;
	struct mt_totals *t;
	int n, nowned, ncarried, nt;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	carried = carry_totals(&ncarried);
	n = collect(&res, &owned, &nowned);
	t = calloc((size_t)(ncarried + n + 1), sizeof(*t));
	f = open_memstream(&buf, &len);
	if (!t || !f) {
		free(t);
		if (f)
			fclose(f);
		free(buf);
		collect_free(res, owned, nowned);
		return NULL;
	}
	if (ncarried)
		memcpy(t, carried, (size_t)ncarried * sizeof(*t));
	nt = ncarried;
	for (int i = 0; i < n; i++) {
		struct mt_totals *one = mt_totals_find(t, &nt, ncarried + n, res[i]->job,
						       res[i]->workload);

		mt_totals_add(one, res[i]);
	}
	daemon_families(f);
	mt_prom_write(f, t, nt);
	fclose(f);
	free(t);
	collect_free(res, owned, nowned);
	return buf;
}

json_t *metrics_json(json_t *status)
{
	const struct mt_result **res;
	struct mt_result **owned;
	int n, nowned;
	json_t *o = json_object(), *a = json_array(), *list = json_array();

	json_object_set_new(o, "format_version", json_integer(MT_RESULT_FORMAT_VERSION));
	json_object_set_new(o, "daemon", status);
	n = collect(&res, &owned, &nowned);
	for (int i = 0; i < n; i++)
		json_array_append_new(a, mt_result_to_json(res[i]));
	json_object_set_new(o, "results", a);
	for (struct djob *j = jobs_first(); j; j = j->next)
		json_array_append_new(list, djob_json(j));
	json_object_set_new(o, "jobs", list);
	collect_free(res, owned, nowned);
	return o;
}

/* node_exporter's textfile collector reads *.prom: write aside, rename into place. */
static int write_textfile(const char *prom)
{
	static int said;	/* the error last said, not said again */
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/mmtorture.prom", dcfg.textfile_dir);
	r = mt_write_atomic(path, prom, strlen(prom));
	if (r && r != said)
		config_textfile_warn(path, -r);
	else if (!r && said)
		dlog(LOG_NOTICE, "textfile_dir: %s written again", path);
	said = r;
	return r;
}

/* Also called with NULL by metrics_tick(), while a job runs. */
void metrics_job_ended(struct djob *j)
{
	char *prom;

	(void)j;
	if (!dcfg.textfile_dir[0])
		return;
	prom = metrics_prom();
	if (prom)
		write_textfile(prom);
	free(prom);
}

void metrics_tick(void)
{
	static uint64_t next;	/* the next rewrite; 0: none due (no job running) */
	struct jobs_counts c;
	uint64_t now;

	if (!dcfg.textfile_dir[0])
		return;
	jobs_count(&c);
	if (!c.running) {
		next = 0;
		return;
	}
	now = mt_now_ns();
	if (!next)
		next = now + (uint64_t)dcfg.textfile_interval * 1000000000ull;
	if (now < next)
		return;
	next = now + (uint64_t)dcfg.textfile_interval * 1000000000ull;
	metrics_job_ended(NULL);
}

int metrics_write_dumps(json_t *status)
{
	char path[PATH_MAX], written[3 * PATH_MAX + 16] = "";
	char *prom = metrics_prom(), *js;
	json_t *j = metrics_json(status);
	int rc = 0, r;
	size_t n = 0;

	js = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!prom || !js) {
		dlog(LOG_ERR, "metrics dump: out of memory");
		free(prom);
		free(js);
		return -ENOMEM;
	}
	store_path(path, sizeof(path), "metrics.prom");
	if ((r = mt_write_atomic(path, prom, strlen(prom))))
		dlog(LOG_ERR, "cannot write %s: %s", path, strerror(-(rc = r)));
	else
		n += (size_t)snprintf(written + n, sizeof(written) - n, ", %s", path);
	store_path(path, sizeof(path), "metrics.json");
	if ((r = mt_write_atomic(path, js, strlen(js))))
		dlog(LOG_ERR, "cannot write %s: %s", path, strerror(-(rc = r)));
	else
		n += (size_t)snprintf(written + n, sizeof(written) - n, ", %s", path);
	snprintf(path, sizeof(path), "%s/mmtorture.prom", dcfg.textfile_dir);
	if (dcfg.textfile_dir[0] && (r = write_textfile(prom)))
		rc = r;
	else if (dcfg.textfile_dir[0] && n < sizeof(written))
		snprintf(written + n, sizeof(written) - n, ", %s", path);
	if (written[0])
		dlog(LOG_INFO, "metrics written: %s", written + 2);
	free(prom);
	free(js);
	return rc;
}
