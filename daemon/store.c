// SPDX-License-Identifier: GPL-2.0-only
/*
 * store.c - the daemon's state directory; see store.h.
 *
 * A queue entry read at start is taken for the job its file name says: a
 * file whose inner id differs is used under its name's id (and said), so
 * that the entry removed when it finishes is that file.  A next_id beyond
 * MT_MAX_JOB_ID (tampered, or worn out) is not taken: ids go on after the
 * highest job kept.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "lib/engine/fileio.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/json.h"
#include "lib/engine/values.h"

void store_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(buf, len, "%s/", dcfg.state_dir);

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static int write_json(const char *path, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (!s)
		return -ENOMEM;
	rc = mt_write_atomic(path, s, strlen(s));
	free(s);
	return rc;
}

int store_init(char *err, size_t errlen)
{
	static const char *const subs[] = { "", "queue", "jobs", "results" };
	char path[PATH_MAX];

	for (unsigned int i = 0; i < ARRAY_SIZE(subs); i++) {
		store_path(path, sizeof(path), "%s", subs[i]);
		if (mkdir(path, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int store_save_queued(const struct djob *j)
{
	char path[PATH_MAX];
	json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:i, s:f}", "id", (json_int_t)j->id,
			      "name", mt_json_string(j->name), "section", mt_json_string(j->section),
			      "workload", mt_json_string(j->workload),
			      "filename", mt_json_string(j->filename), "job", mt_json_string(j->src),
			      "submitter", (int)j->submitter, "submitted", j->submitted);
	int rc;

	if (!o)
		return -ENOMEM;
	store_path(path, sizeof(path), "queue/%lld.json", j->id);
	rc = write_json(path, o);
	json_decref(o);
	return rc;
}

void store_remove_queued(long long id)
{
	char path[PATH_MAX];

	store_path(path, sizeof(path), "queue/%lld.json", id);
	if (unlink(path) && errno != ENOENT)
		dlog(LOG_ERR, "job %lld: cannot remove %s: %s", id, path, strerror(errno));
}

int store_save_record(const struct djob *j)
{
	char path[PATH_MAX];
	json_t *o = djob_json(j);
	int rc;

	store_path(path, sizeof(path), "jobs/%lld.json", j->id);
	rc = o ? write_json(path, o) : -ENOMEM;
	json_decref(o);
	if (!rc)
		store_remove_queued(j->id);
	return rc;
}

int store_save_next_id(long long next_id)
{
	char path[PATH_MAX], buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", next_id);

	store_path(path, sizeof(path), "next_id");
	return mt_write_atomic(path, buf, (size_t)n);
}

int store_results_dir(const struct djob *j, char *buf, size_t len)
{
	char safe[MT_JOB_NAME_LEN];

	mt_results_name(j->name, safe, sizeof(safe));
	/*
	 * A fresh directory for every run: a job resumed after the daemon died
	 * during its run finds the earlier run's files there, and must never
	 * show that run's metrics.json as its own.
	 */
	store_path(buf, len, "results/%lld-%s", j->id, safe);
	for (int run = 2; mkdir(buf, 0755); run++) {
		if (errno != EEXIST || run > 100)
			return -errno;
		store_path(buf, len, "results/%lld-%s.run%d", j->id, safe, run);
		if (run == 2)
			dlog(LOG_NOTICE, "job %lld: an earlier run left results/%lld-%s: this run "
			     "writes to the next free .runN", j->id, j->id, safe);
	}
	return 0;
}

/* ---- loading ---- */

static struct mt_result *load_result(const char *dir)
{
	char path[PATH_MAX + 16];
	json_error_t je;
	struct mt_result *res;
	json_t *j;

	if (!dir[0])
		return NULL;
	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	j = json_load_file(path, 0, &je);
	if (!j)
		return NULL;
	res = calloc(1, sizeof(*res));
	if (res && mt_result_from_json(j, res)) {
		free(res);
		res = NULL;
	}
	if (res)
		snprintf(res->dir, sizeof(res->dir), "%.*s", (int)sizeof(res->dir) - 1, dir);
	json_decref(j);
	return res;
}

/*
 * The result of a finished job whose metrics.json is missing (it ended
 * before writing any: a supervisor that died, a job that could not start,
 * a full disk): what its record says.  NULL for a job cancelled before it
 * ran.
 */
static struct mt_result *result_from_record(const json_t *o, const struct djob *j)
{
	int verdict = mt_verdict_lookup(mt_json_str(o, "verdict", ""));
	const char *kv;
	struct mt_result *res;
	json_t *v;

	if (verdict < 0 && j->state == JOB_CANCELLED)
		return NULL;
	if (verdict < 0)
		return djob_error_result(j, "its results are lost: %s has no metrics.json and its "
					 "record no verdict", j->results[0] ? j->results : "(no directory)");
	res = djob_error_result(j, "%s", mt_json_str(o, "why", ""));
	if (!res)
		return NULL;
	res->verdict = (enum mt_verdict)verdict;
	res->seed = strtoull(mt_json_str(o, "seed", "0"), NULL, 10);
	mt_json_copy(o, "rcu", res->rcu, sizeof(res->rcu));
	mt_json_copy(o, "bugs", res->bugs, sizeof(res->bugs));
	mt_json_copy(o, "results_error", res->files_error, sizeof(res->files_error));
	res->threads = (unsigned int)mt_json_count(o, "threads", MT_MAX_THREADS);
	res->elapsed_s = mt_json_num(o, "elapsed_seconds", 0);
	res->runtime_s = mt_json_num(o, "runtime_seconds", 0);
	res->detect_s = mt_json_num(o, "time_to_detection_seconds", -1);
	for (int k = 0; k < 2; k++)
		json_object_foreach(json_object_get(o, k ? "leaks" : "races"), kv, v) {
			int c = mt_counter_lookup(kv);

			if (c >= 0)
				res->counters[c] = mt_json_value_count(v, UINT64_MAX);
		}
	return res;
}

/* The job of a queue entry: parsed from its text (or, in the format before, its file's section). */
static void load_queued(struct djob *j, const json_t *o, const char *path,
			struct mt_topology *topo)
{
	const char *text = mt_json_str(o, "job", NULL), *whole = mt_json_str(o, "jobfile", NULL);
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	int found = -1;

	j->state = JOB_QUEUED;
	if (!text && !whole) {
		j->res = djob_error_result(j, "its queue entry %s has no job", path);
	} else if (mt_jobfile_load_string(text ? text : whole, j->filename, topo, &set, &e)) {
		j->res = djob_error_result(j, "its job no longer parses: %s", e.n ? e.msg[0] : "?");
	} else {
		for (int i = 0; i < set.njobs; i++)
			if (!strcmp(set.jobs[i].name, j->section) || (text && set.njobs == 1))
				found = i;
		if (found < 0)
			j->res = djob_error_result(j, "its queue entry %s names section [%s], which its "
						   "job file does not have", path, j->section);
		else {
			j->job = set.jobs[found];
			snprintf(j->job.name, sizeof(j->job.name), "%s", j->name);
			j->src = strdup(set.src[found]);
		}
		mt_jobset_free(&set);
	}
	if (j->res || !j->src) {
		if (!j->res)
			j->res = djob_error_result(j, "out of memory");
		dlog(LOG_ERR, "job %lld: %s: it is finished as ERROR", j->id, j->res->why);
		j->state = JOB_FINISHED;
		j->record_pending = true;	/* the record replaces the queue entry */
	}
}

static void load_finished(struct djob *j, const json_t *o)
{
	j->state = !strcmp(mt_json_str(o, "state", ""), "cancelled") ? JOB_CANCELLED : JOB_FINISHED;
	mt_json_copy(o, "results", j->results, sizeof(j->results));
	j->res = load_result(j->results);
	if (j->res)
		mt_json_copy(o, "results_error", j->res->files_error, sizeof(j->res->files_error));
	else
		j->res = result_from_record(o, j);
}

/* The id a file name says ("17.json"), or -1. */
static long long name_id(const char *name)
{
	char *end;
	long long id;

	if (!isdigit((unsigned char)name[0]))
		return -1;
	errno = 0;
	id = strtoll(name, &end, 10);
	return !errno && !strcmp(end, ".json") && id > 0 && id <= MT_MAX_JOB_ID ? id : -1;
}

static long long load_dir(const char *sub, bool queued, struct mt_topology *topo,
			  void (*add)(struct djob *))
{
	char dpath[PATH_MAX];
	long long max_id = 0;
	struct dirent *de;
	DIR *d;

	store_path(dpath, sizeof(dpath), "%s", sub);
	d = opendir(dpath);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256];
		long long id = name_id(de->d_name), inner;
		json_error_t je;
		struct djob *j;
		json_t *o;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		if (id < 0) {
			dlog(LOG_WARNING, "%s: not a job's file (<id>.json): skipped", path);
			continue;
		}
		o = json_load_file(path, 0, &je);
		if (!o || !json_is_object(o)) {
			dlog(LOG_WARNING, "%s: unreadable, skipped: %s", path, o ? "not an object" : je.text);
			json_decref(o);
			continue;
		}
		inner = json_integer_value(json_object_get(o, "id"));
		if (inner != id)
			dlog(LOG_WARNING, "%s says it is job %lld: taken as job %lld, as its name says",
			     path, inner, id);
		j = djob_new();
		if (!j)
			abort();
		j->id = id;
		mt_strcpy_text(j->name, sizeof(j->name), mt_json_str(o, "name", ""));
		mt_strcpy_text(j->section, sizeof(j->section), mt_json_str(o, "section", ""));
		mt_strcpy_text(j->filename, sizeof(j->filename), mt_json_str(o, "filename", ""));
		mt_strcpy_text(j->workload, sizeof(j->workload), mt_json_str(o, "workload", ""));
		j->submitted = mt_json_num(o, "submitted", 0);
		j->submitter = (uid_t)mt_json_count(o, "submitter", UINT32_MAX);
		if (queued)
			load_queued(j, o, path, topo);
		else
			load_finished(j, o);
		json_decref(o);
		if (id > max_id)
			max_id = id;
		add(j);
	}
	closedir(d);
	return max_id;
}

long long store_load(struct mt_topology *topo, void (*add)(struct djob *))
{
	char path[PATH_MAX];
	long long next = 1, from_file = 1, max_id;
	FILE *f;

	store_path(path, sizeof(path), "next_id");
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &from_file) != 1 || from_file < 1)
			from_file = 1;
		fclose(f);
	}
	/* records first: a job with both kept its record, and its queue entry goes */
	max_id = load_dir("jobs", false, topo, add);
	next = max_id + 1;
	max_id = load_dir("queue", true, topo, add);
	if (max_id >= next)
		next = max_id + 1;
	if (from_file > MT_MAX_JOB_ID) {
		dlog(LOG_WARNING, "%s says %lld, beyond the largest job id %lld: ids go on from %lld, "
		     "after the highest job kept", path, from_file, MT_MAX_JOB_ID, next);
		store_save_next_id(next);
	} else if (from_file > next) {
		next = from_file;
	}
	return next;
}
