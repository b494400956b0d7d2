// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_jobs.c - the daemon's jobs: the queue, kept in the state
 * directory so that it survives a restart; the supervisor process of each
 * running job; the finished jobs and their results; metrics dumps.
 *
 * State directory:
 *   queue/<id>.json        a job waiting or running: its job file's text
 *   jobs/<id>.json         a finished or cancelled job: verdict, results
 *   results/<id>-<name>/   summary.txt, metrics.json, metrics.prom, job.log
 *                          (<id>-<name>.run2/ ... for a run after one the
 *                          daemon did not see end)
 *   next_id
 *   metrics.prom, metrics.json   written on SIGUSR2
 * Every file is written to a temporary name and renamed into place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/prng.h"
#include "daemon/daemon.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/runner.h"

static const char *const state_names[] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_FINISHED] = "finished",
	[JOB_CANCELLED] = "cancelled",
};

static void update_textfile(void);

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void path_of(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
static void path_of(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(buf, len, "%s/", D.state_dir);

	va_start(ap, fmt);
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

static void djob_free(struct djob *j)
{
	free(j->jobfile);
	free(j->res);
	if (j->region)
		mt_region_destroy(j->region);
	free(j);
}

/* A result for a job that has none of its own: ERROR, @why. */
static struct mt_result *error_result(const struct djob *j, const char *fmt, ...) __printf(2, 3);
static struct mt_result *error_result(const struct djob *j, const char *fmt, ...)
{
	struct mt_result *res = calloc(1, sizeof(*res));
	va_list ap;

	if (!res)
		return NULL;
	snprintf(res->job, sizeof(res->job), "%s", j->name);
	snprintf(res->workload, sizeof(res->workload), "%s", j->workload);
	res->verdict = MT_V_ERROR;
	res->detect_s = res->first_detect_s = res->met_s = -1;
	for (int c = 0; c < MT_NCOUNTERS; c++)
		res->first_s[c] = -1;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return res;
}

/* Insert in id order. */
static void djob_add(struct djob *j)
{
	struct djob **pp = &D.jobs;

	while (*pp && (*pp)->id < j->id)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
}

struct djob *jobs_find(long long id)
{
	for (struct djob *j = D.jobs; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

static void count_states(void)
{
	D.nqueued = D.nrunning = D.nfinished = D.ncancelled = 0;
	for (struct djob *j = D.jobs; j; j = j->next) {
		if (j->state == JOB_QUEUED)
			D.nqueued++;
		else if (j->state == JOB_RUNNING)
			D.nrunning++;
		else if (j->state == JOB_FINISHED)
			D.nfinished++;
		else
			D.ncancelled++;
	}
}

/*
 * Keep at most MT_DAEMON_KEEP_RESULTS finished jobs in memory (they stay on
 * disk).  While the daemon runs (@carry), the counters of a job let go are
 * carried on, so that no counter of `dump prom` goes down.
 */
static void trim_finished(bool carry)
{
	unsigned int fin = 0;

	for (struct djob *j = D.jobs; j; j = j->next)
		fin += j->state >= JOB_FINISHED;
	for (struct djob **pp = &D.jobs; *pp && fin > MT_DAEMON_KEEP_RESULTS;) {
		struct djob *j = *pp;

		if (j->state >= JOB_FINISHED) {
			*pp = j->next;
			if (carry && j->res)
				metrics_carry(j->res);
			djob_free(j);
			fin--;
		} else {
			pp = &j->next;
		}
	}
}

/* ---- persistence ---- */

static int save_queue_entry(struct djob *j)
{
	char path[PATH_MAX];
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "id", (json_int_t)j->id,
			      "name", j->name, "section", j->section, "workload", j->workload,
			      "filename", j->filename,
			      "jobfile", j->jobfile, "submitter", (int)j->submitter,
			      "submitted", j->submitted);
	int rc;

	path_of(path, sizeof(path), "queue/%lld.json", j->id);
	rc = write_json(path, o);
	json_decref(o);
	return rc;
}

static void save_record(struct djob *j)
{
	char path[PATH_MAX];
	json_t *o = jobs_job_json(j);
	int rc;

	path_of(path, sizeof(path), "jobs/%lld.json", j->id);
	if ((rc = write_json(path, o)))
		dlog(LOG_ERR, "job %lld: cannot write %s: %s", j->id, path, strerror(-rc));
	json_decref(o);
	path_of(path, sizeof(path), "queue/%lld.json", j->id);
	if (unlink(path) && errno != ENOENT)
		dlog(LOG_ERR, "job %lld: cannot remove %s: %s", j->id, path, strerror(errno));
}

static void save_next_id(void)
{
	char path[PATH_MAX], buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", D.next_id);

	path_of(path, sizeof(path), "next_id");
	mt_write_atomic(path, buf, (size_t)n);
}

static struct mt_result *load_result(const char *dir)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *j;
	struct mt_result *res;

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
		snprintf(res->dir, sizeof(res->dir), "%s", dir);
	json_decref(j);
	return res;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/*
 * The result of a finished job whose metrics.json is missing (it ended
 * before writing any: a supervisor that died, a job that could not start):
 * what its record says.  Return: NULL for a job cancelled before it ran.
 */
static struct mt_result *result_from_record(const json_t *o, const struct djob *j)
{
	int verdict = mt_verdict_lookup(jstr(o, "verdict"));
	const json_t *det = json_object_get(o, "time_to_detection_seconds");
	const char *kv;
	json_t *v;
	struct mt_result *res;

	if (verdict < 0 && j->state == JOB_CANCELLED)
		return NULL;
	if (verdict < 0)
		return error_result(j, "its results are lost: %s has no metrics.json and its record "
				    "no verdict", j->results[0] ? j->results : "(no directory)");
	res = error_result(j, "%s", jstr(o, "why"));
	if (!res)
		return NULL;
	res->verdict = (enum mt_verdict)verdict;
	res->seed = strtoull(jstr(o, "seed"), NULL, 10);
	snprintf(res->rcu, sizeof(res->rcu), "%s", jstr(o, "rcu"));
	snprintf(res->bugs, sizeof(res->bugs), "%s", jstr(o, "bugs"));
	res->threads = (unsigned int)json_integer_value(json_object_get(o, "threads"));
	res->elapsed_s = json_number_value(json_object_get(o, "elapsed_seconds"));
	res->runtime_s = json_number_value(json_object_get(o, "runtime_seconds"));
	res->detect_s = json_is_number(det) ? json_number_value(det) : -1;
	for (int k = 0; k < 2; k++)
		json_object_foreach(json_object_get(o, k ? "leaks" : "races"), kv, v) {
			int c = mt_counter_lookup(kv);

			if (c >= 0)
				res->counters[c] = (uint64_t)json_integer_value(v);
		}
	return res;
}

static void load_dir(const char *sub, bool queued)
{
	char dpath[PATH_MAX];
	struct dirent *de;
	DIR *d;

	path_of(dpath, sizeof(dpath), "%s", sub);
	d = opendir(dpath);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256];
		json_error_t je;
		struct djob *j;
		json_t *o;
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		o = json_load_file(path, 0, &je);
		if (!o) {
			dlog(LOG_WARNING, "%s: unreadable, skipped: %s", path, je.text);
			continue;
		}
		j = calloc(1, sizeof(*j));
		j->id = json_integer_value(json_object_get(o, "id"));
		snprintf(j->name, sizeof(j->name), "%s", jstr(o, "name"));
		snprintf(j->section, sizeof(j->section), "%s", jstr(o, "section"));
		snprintf(j->filename, sizeof(j->filename), "%s", jstr(o, "filename"));
		snprintf(j->workload, sizeof(j->workload), "%s", jstr(o, "workload"));
		j->submitted = json_number_value(json_object_get(o, "submitted"));
		j->submitter = (uid_t)json_integer_value(json_object_get(o, "submitter"));
		if (queued) {
			j->jobfile = strdup(jstr(o, "jobfile"));
			j->state = JOB_QUEUED;
		} else {
			j->state = !strcmp(jstr(o, "state"), "cancelled") ? JOB_CANCELLED : JOB_FINISHED;
			snprintf(j->results, sizeof(j->results), "%s", jstr(o, "results"));
			j->res = load_result(j->results);
			if (!j->res)
				j->res = result_from_record(o, j);
		}
		json_decref(o);
		if (j->id <= 0 || jobs_find(j->id)) {
			dlog(LOG_WARNING, "%s: bad or duplicate job id, skipped", path);
			djob_free(j);
			continue;
		}
		if (j->id >= D.next_id)
			D.next_id = j->id + 1;
		if (j->res)
			D.verdicts[j->res->verdict]++;
		else if (j->state == JOB_CANCELLED)
			D.cancelled_unrun++;
		djob_add(j);
	}
	closedir(d);
}

int jobs_init(char *err, size_t errlen)
{
	static const char *const subs[] = { "", "queue", "jobs", "results" };
	char path[PATH_MAX];
	FILE *f;

	for (unsigned int i = 0; i < ARRAY_SIZE(subs); i++) {
		path_of(path, sizeof(path), "%s", subs[i]);
		if (mkdir(path, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
	}
	D.next_id = 1;
	path_of(path, sizeof(path), "next_id");
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &D.next_id) != 1 || D.next_id < 1)
			D.next_id = 1;
		fclose(f);
	}
	load_dir("jobs", false);
	load_dir("queue", true);
	trim_finished(false);	/* a restart starts the counters again */
	count_states();
	if (D.nqueued)
		dlog(LOG_INFO, "resuming %u queued job(s) from %s/queue", D.nqueued, D.state_dir);
	return 0;
}

/* ---- submit, cancel ---- */

/*
 * Count the sections of @text the way the job file parser sees them (a
 * line whose first non-blank character is '['), without parsing: a file
 * with thousands of them is refused before the parser spends time on it.
 */
static void count_sections(const char *text, int *nsec, int *njobs)
{
	*nsec = *njobs = 0;
	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *e;

		p += strspn(p, " \t");
		if (*p != '[')
			continue;
		(*nsec)++;
		p += 1 + strspn(p + 1, " \t");
		e = p + strcspn(p, "]\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*njobs += !(e - p == 6 && !strncmp(p, "global", 6));
	}
}

static void refuse(json_t *reply, const char *code, json_t *error)
{
	json_object_set_new(reply, "ok", json_false());
	json_object_set_new(reply, "code", json_string(code));
	json_object_set_new(reply, "error", error ? error :
			    json_string("(the message could not be made: a path that is not UTF-8?)"));
}

int jobs_submit(const char *text, const char *filename, const char *name, uid_t uid,
		json_t *reply)
{
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	json_t *ids, *jobs;
	struct djob *added[MT_MAX_JOBS];
	int nsec, njobs, n;

	count_sections(text, &nsec, &njobs);
	if (njobs > MT_MAX_JOBS || nsec > 2 * MT_MAX_JOBS) {
		refuse(reply, "bad_jobfile", json_sprintf("%s: %d sections, %d of them jobs: at most "
							  "%d jobs (and as many [global])",
							  filename, nsec, njobs, MT_MAX_JOBS));
		return -1;
	}
	if (mt_jobfile_load_string(text, filename, &D.topo, &set, &e)) {
		json_t *det = json_array();
		int shown = e.n < (int)ARRAY_SIZE(e.msg) ? e.n : (int)ARRAY_SIZE(e.msg);

		for (int i = 0; i < shown; i++)
			json_array_append_new(det, json_string(e.msg[i]));
		refuse(reply, "bad_jobfile", json_sprintf("%s: %d error%s in the job file", filename,
							  e.n, e.n == 1 ? "" : "s"));
		json_object_set_new(reply, "details", det);
		return -1;
	}
	if ((unsigned int)set.njobs > D.cfg.max_queue) {
		/* it would not fit even in an empty queue */
		refuse(reply, "queue_full",
		       json_sprintf("%s has %d jobs, and the queue takes at most %u (max_queue): "
				    "split the file, or raise max_queue", filename, set.njobs,
				    D.cfg.max_queue));
		mt_jobset_free(&set);
		return -1;
	}
	if (D.nqueued + (unsigned int)set.njobs > D.cfg.max_queue) {
		unsigned int room = D.nqueued < D.cfg.max_queue ? D.cfg.max_queue - D.nqueued : 0;

		refuse(reply, "queue_full",
		       room ? json_sprintf("the queue has room for %u more job%s (%u of at most %u "
					   "waiting): %s has %d: try again when jobs have started",
					   room, room == 1 ? "" : "s", D.nqueued, D.cfg.max_queue,
					   filename, set.njobs) :
		       json_sprintf("the queue is full (%u jobs waiting, max_queue %u): try again "
				    "when jobs have started", D.nqueued, D.cfg.max_queue));
		mt_jobset_free(&set);
		return -1;
	}
	n = set.njobs < MT_MAX_JOBS ? set.njobs : MT_MAX_JOBS;
	for (int i = 0; i < n; i++) {
		struct djob *j = calloc(1, sizeof(*j));
		char full[2 * MT_JOB_NAME_LEN + 2];
		int rc;

		if (j)
			j->jobfile = strdup(text);
		if (!j || !j->jobfile) {
			free(j);
			refuse(reply, "internal", json_string("out of memory"));
			njobs = i;
			goto undo;
		}
		j->id = D.next_id++;
		snprintf(j->section, sizeof(j->section), "%s", set.jobs[i].name);
		if (name && n > 1) {
			/* NAME.SECTION, each cut to half (on a whole character) */
			char a[MT_JOB_NAME_LEN / 2], b[MT_JOB_NAME_LEN / 2];

			dstrcpy(a, sizeof(a), name);
			dstrcpy(b, sizeof(b), set.jobs[i].name);
			snprintf(full, sizeof(full), "%s.%s", a, b);
		} else {
			snprintf(full, sizeof(full), "%s", name ? name : set.jobs[i].name);
		}
		dstrcpy(j->name, sizeof(j->name), full);
		snprintf(j->workload, sizeof(j->workload), "%s", set.jobs[i].wl->name);
		dstrcpy(j->filename, sizeof(j->filename), filename);
		j->submitter = uid;
		j->submitted = now_real();
		j->state = JOB_QUEUED;
		added[i] = j;
		/* a job not kept on disk would be lost at the next restart: refuse it now */
		if ((rc = save_queue_entry(j))) {
			char path[PATH_MAX];

			path_of(path, sizeof(path), "queue/%lld.json", j->id);
			dlog(LOG_ERR, "job %lld: cannot write %s: %s: submit refused", j->id, path,
			     strerror(-rc));
			refuse(reply, "internal", json_sprintf("cannot keep the job in the queue: %s: %s",
							       path, strerror(-rc)));
			djob_free(j);
			njobs = i;
			goto undo;
		}
	}
	ids = json_array();
	jobs = json_array();
	for (int i = 0; i < n; i++) {
		struct djob *j = added[i];

		djob_add(j);
		json_array_append_new(ids, json_integer(j->id));
		json_array_append_new(jobs, jobs_job_json(j));
		dlog(LOG_INFO, "job %lld queued: %s (workload %s) from %s, uid %d", j->id, j->name,
		     j->workload, filename, (int)uid);
	}
	save_next_id();
	mt_jobset_free(&set);
	count_states();
	json_object_set_new(reply, "ok", json_true());
	json_object_set_new(reply, "ids", ids);
	json_object_set_new(reply, "jobs", jobs);
	jobs_schedule();
	daemon_notify_status();
	return json_array_size(ids);

undo:
	/* the jobs of this file saved so far go too: a submit is all or nothing */
	for (int i = 0; i < njobs; i++) {
		char path[PATH_MAX];

		path_of(path, sizeof(path), "queue/%lld.json", added[i]->id);
		unlink(path);
		djob_free(added[i]);
	}
	save_next_id();
	mt_jobset_free(&set);
	return -1;
}

int jobs_cancel(struct djob *j)
{
	if (j->state >= JOB_FINISHED)
		return -EALREADY;
	if (j->state == JOB_QUEUED) {
		j->state = JOB_CANCELLED;
		snprintf(j->results, sizeof(j->results), "%s", "");
		save_record(j);
		free(j->jobfile);
		j->jobfile = NULL;
		D.cancelled_unrun++;
		dlog(LOG_INFO, "job %lld cancelled before it ran", j->id);
		count_states();
		server_job_finished(j);
		daemon_notify_status();
		return 0;
	}
	if (!j->cancel_requested) {
		j->cancel_requested = true;
		kill(j->supervisor, SIGTERM);
		dlog(LOG_INFO, "job %lld: cancelling (partial results will be kept)", j->id);
	}
	return 0;
}

/* ---- running ---- */

static volatile sig_atomic_t sup_cancel;

static void sup_on_term(int sig)
{
	(void)sig;
	sup_cancel = 1;
}

static __noreturn void supervisor_main(struct djob *j, const char *dir)
{
	struct mt_run_opts ro = { .results_dir = dir, .progress_ns = 5000000000ull,
				  .cancel = &sup_cancel };
	struct mt_result *res = calloc(1, sizeof(*res));
	char logpath[PATH_MAX + 16];
	int rc, fd;

	prctl(PR_SET_NAME, "mmtortured-job");
	server_close_all();
	close(D.signal_fd);
	mt_runner_child_signals(sup_on_term, SIGTERM);

	snprintf(logpath, sizeof(logpath), "%s/job.log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	ro.out = stdout;
	rc = mt_run_job(&j->job, j->region, &ro, res);
	fflush(stdout);
	_exit(rc);
}

static int start(struct djob *j)
{
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	char dir[PATH_MAX], safe[MT_JOB_NAME_LEN];
	int found = -1, run = 1;
	pid_t pid;

	if (mt_jobfile_load_string(j->jobfile, j->filename, &D.topo, &set, &e)) {
		snprintf(j->results, sizeof(j->results), "%s", "");
		j->res = error_result(j, "the job file no longer parses: %s", e.n ? e.msg[0] : "?");
		return -1;
	}
	for (int i = 0; i < set.njobs; i++)
		if (!strcmp(set.jobs[i].name, j->section))
			found = i;
	if (found < 0) {
		mt_jobset_free(&set);
		return -1;
	}
	j->job = set.jobs[found];
	snprintf(j->job.name, sizeof(j->job.name), "%s", j->name);
	mt_jobset_free(&set);

	snprintf(safe, sizeof(safe), "%s", j->name);
	for (char *c = safe; *c; c++)
		if (*c == '/' || *c == ' ' || (unsigned char)*c < 0x20)
			*c = '_';
	/*
	 * A fresh directory for every run: a job resumed after the daemon died
	 * during its run finds the earlier run's files there, and must never
	 * show that run's metrics.json as its own.
	 */
	path_of(dir, sizeof(dir), "results/%lld-%s", j->id, safe);
	while (mkdir(dir, 0755)) {
		if (errno != EEXIST || ++run > 100) {
			dlog(LOG_ERR, "job %lld: cannot create %s: %s", j->id, dir, strerror(errno));
			return -1;
		}
		path_of(dir, sizeof(dir), "results/%lld-%s.run%d", j->id, safe, run);
	}
	if (run > 1)
		dlog(LOG_NOTICE, "job %lld: an earlier run left results/%lld-%s: this run writes to %s",
		     j->id, j->id, safe, dir);
	snprintf(j->results, sizeof(j->results), "%s", dir);
	j->region = mt_region_create(true);
	if (!j->region)
		return -1;
	if (!j->job.seed)
		j->job.seed = mt_seed_random();	/* so that status shows it from the start */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		dlog(LOG_ERR, "job %lld: fork: %s", j->id, strerror(errno));
		return -1;
	}
	if (pid == 0)
		supervisor_main(j, dir);
	j->supervisor = pid;
	j->state = JOB_RUNNING;
	j->t_start_ns = mt_now_ns();
	dlog(LOG_INFO, "job %lld started: %s (workload %s, %u threads, seed %llu), supervisor pid %d",
	     j->id, j->name, j->workload, j->job.threads, (unsigned long long)j->job.seed, (int)pid);
	return 0;
}

static void finish(struct djob *j, int status)
{
	j->res = load_result(j->results);
	if (!j->res) {
		/* the supervisor died before it wrote anything: the counters from the region */
		j->res = WIFSIGNALED(status) ?
			error_result(j, "the job's supervisor died of signal %d before writing results",
				     WTERMSIG(status)) :
			error_result(j, "the job's results could not be written or read (exit %d)",
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		if (j->res && j->region && j->job.wl) {
			struct mt_result *r = j->res;
			char why[sizeof(r->why)];

			memcpy(why, r->why, sizeof(why));
			mt_result_snapshot(r, &j->job, j->region);
			snprintf(r->job, sizeof(r->job), "%s", j->name);
			r->verdict = MT_V_ERROR;
			memcpy(r->why, why, sizeof(why));
		}
	}
	if (!j->res) {
		dlog(LOG_CRIT, "job %lld: out of memory for its result", j->id);
		abort();
	}
	j->state = j->cancel_requested ? JOB_CANCELLED : JOB_FINISHED;
	D.verdicts[j->res->verdict]++;
	j->supervisor = 0;
	if (j->region) {
		mt_region_destroy(j->region);
		j->region = NULL;
	}
	free(j->jobfile);
	j->jobfile = NULL;
	save_record(j);
	dlog(j->res->verdict == MT_V_PASS || j->res->verdict == MT_V_DETECTED ? LOG_INFO : LOG_WARNING,
	     "job %lld %s: %s: %s", j->id, state_names[j->state], mt_verdict_name(j->res->verdict),
	     j->res->why);
	server_job_finished(j);
	update_textfile();
}

void jobs_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (struct djob *j = D.jobs; j; j = j->next)
			if (j->state == JOB_RUNNING && j->supervisor == pid) {
				finish(j, status);
				break;
			}
	count_states();
	trim_finished(true);
	jobs_schedule();
	daemon_notify_status();
}

void jobs_schedule(void)
{
	if (D.stopping)
		return;
	count_states();
	for (struct djob *j = D.jobs; j && D.nrunning < D.cfg.max_parallel; j = j->next) {
		if (j->state != JOB_QUEUED)
			continue;
		if (start(j)) {
			if (!j->res)
				j->res = error_result(j, "the job could not be started: see the log");
			if (!j->res) {
				dlog(LOG_CRIT, "job %lld: out of memory for its result", j->id);
				abort();
			}
			j->state = JOB_FINISHED;
			D.verdicts[MT_V_ERROR]++;
			save_record(j);
			server_job_finished(j);
			dlog(LOG_ERR, "job %lld: %s", j->id, j->res->why);
			continue;
		}
		D.nrunning++;
		D.nqueued--;
	}
	count_states();
}

void jobs_tick(void)
{
	uint64_t now = mt_now_ns();

	for (struct djob *j = D.jobs; j; j = j->next) {
		uint64_t ops;

		if (j->state != JOB_RUNNING || !j->region)
			continue;
		ops = mt_ops_total(j->region);
		if (j->last_ops_t && now - j->last_ops_t >= 1000000000ull) {
			j->ops_rate = (double)(ops - j->last_ops) * 1e9 / (double)(now - j->last_ops_t);
			j->last_ops = ops;
			j->last_ops_t = now;
		} else if (!j->last_ops_t) {
			j->last_ops = ops;
			j->last_ops_t = now;
		}
	}
}

void jobs_shutdown(void)
{
	uint64_t deadline = mt_now_ns() + 60ull * 1000000000ull;

	D.stopping = true;
	for (struct djob *j = D.jobs; j; j = j->next)
		if (j->state == JOB_RUNNING)
			jobs_cancel(j);
	while (D.nrunning && mt_now_ns() < deadline) {
		struct timespec ts = { 0, 100000000 };
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			for (struct djob *j = D.jobs; j; j = j->next)
				if (j->state == JOB_RUNNING && j->supervisor == pid)
					finish(j, status);
			count_states();
			continue;
		}
		nanosleep(&ts, NULL);
	}
	for (struct djob *j = D.jobs; j; j = j->next)
		if (j->state == JOB_RUNNING) {
			dlog(LOG_ERR, "job %lld: its supervisor did not stop in 60 s: killed", j->id);
			kill(j->supervisor, SIGKILL);
		}
	/* whoever waits for a job that will not finish now hears why */
	server_stopping();
}

/* ---- JSON views ---- */

/* The runner's phases (enum mt_phase), as its progress line names them. */
static const char *phase_name(uint32_t phase)
{
	static const char *const names[] = {
		[MT_PHASE_NONE] = "start", [MT_PHASE_INIT] = "init",
		[MT_PHASE_RUNNING] = "running", [MT_PHASE_AUDIT] = "audit",
		[MT_PHASE_TEARDOWN] = "teardown", [MT_PHASE_DONE] = "done",
		[MT_PHASE_ERROR] = "error",
	};

	return phase < ARRAY_SIZE(names) && names[phase] ? names[phase] : "unknown";
}

json_t *jobs_job_json(struct djob *j)
{
	json_t *o = json_object();
	struct mt_result *snap = NULL;
	const struct mt_result *r = j->res;

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "name", mt_json_string(j->name));
	json_object_set_new(o, "section", mt_json_string(j->section));
	json_object_set_new(o, "workload", mt_json_string(j->workload));
	json_object_set_new(o, "filename", mt_json_string(j->filename));
	json_object_set_new(o, "state", json_string(state_names[j->state]));
	json_object_set_new(o, "submitted", json_real(j->submitted));
	json_object_set_new(o, "submitter", json_integer((json_int_t)j->submitter));
	json_object_set_new(o, "results", mt_json_string(j->results));
	if (j->state == JOB_RUNNING && j->region && j->job.wl) {
		snap = calloc(1, sizeof(*snap));
		if (snap) {
			mt_result_snapshot(snap, &j->job, j->region);
			r = snap;
		}
		json_object_set_new(o, "phase", json_string(phase_name(j->region->phase)));
		json_object_set_new(o, "ops_per_second", json_real(j->ops_rate));
	}
	if (r) {
		uint64_t ops = 0;
		json_t *races = json_object(), *leaks = json_object();

		json_object_set_new(o, "seed", json_sprintf("%llu", (unsigned long long)
					(r->seed ? r->seed : j->job.seed)));
		json_object_set_new(o, "rcu", mt_json_string(r->rcu));
		json_object_set_new(o, "threads", json_integer(r->threads));
		json_object_set_new(o, "bugs", mt_json_string(r->bugs));
		json_object_set_new(o, "elapsed_seconds", json_real(r->elapsed_s));
		json_object_set_new(o, "runtime_seconds", json_real(r->runtime_s));
		if (!snap) {
			json_object_set_new(o, "verdict", json_string(mt_verdict_name(r->verdict)));
			json_object_set_new(o, "why", mt_json_string(r->why));
			json_object_set_new(o, "exit_category", json_integer(mt_verdict_exit(r->verdict)));
			json_object_set_new(o, "time_to_detection_seconds",
					    r->detect_s >= 0 ? json_real(r->detect_s) : json_null());
		}
		for (unsigned int i = 0; i < r->nroles; i++)
			ops += r->ops[i];
		json_object_set_new(o, "ops_total", json_integer((json_int_t)ops));
		for (int c = 0; c < MT_NCOUNTERS; c++) {
			if (mt_counter_class(c) == MT_CLASS_RACE)
				json_object_set_new(races, mt_counter_name(c),
						    json_integer((json_int_t)r->counters[c]));
			else if (mt_counter_class(c) == MT_CLASS_LEAK)
				json_object_set_new(leaks, mt_counter_name(c),
						    json_integer((json_int_t)r->counters[c]));
		}
		json_object_set_new(o, "races", races);
		json_object_set_new(o, "leaks", leaks);
	} else if (j->state == JOB_CANCELLED) {
		json_object_set_new(o, "verdict", json_string("CANCELLED"));
		json_object_set_new(o, "why", json_string("cancelled before it ran"));
		json_object_set_new(o, "exit_category", json_integer(MT_EXIT_EXPECT));
	}
	free(snap);
	return o;
}

json_t *jobs_list_json(void)
{
	json_t *a = json_array();

	for (struct djob *j = D.jobs; j; j = j->next)
		json_array_append_new(a, jobs_job_json(j));
	return a;
}

json_t *jobs_status_json(void)
{
	json_t *verdicts = json_object();

	count_states();
	for (int v = 0; v < MT_NVERDICTS; v++)
		json_object_set_new(verdicts, mt_verdict_name(v), json_integer((json_int_t)D.verdicts[v]));
	json_object_set_new(verdicts, "CANCELLED", json_integer((json_int_t)D.cancelled_unrun));
	return json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:s, s:b, s:o}",
			 "version", MT_VERSION, "revision", MT_GIT_REV,
			 "protocol", MT_PROTO_VERSION, "pid", (int)getpid(),
			 "started", D.started, "uptime_seconds", now_real() - D.started,
			 "running", (json_int_t)D.nrunning, "queued", (json_int_t)D.nqueued,
			 "finished", (json_int_t)D.nfinished, "cancelled", (json_int_t)D.ncancelled,
			 "max_parallel", (json_int_t)D.cfg.max_parallel,
			 "max_queue", (json_int_t)D.cfg.max_queue,
			 "clients", (json_int_t)server_ncfds(),
			 "state_directory", mt_json_string(D.state_dir), "socket", mt_json_string(D.socket_path),
			 "machine", D.topo.desc, "socket_activated", D.socket_activated,
			 "verdicts", verdicts);
}

/* ---- metrics ---- */

/* Results to dump: every finished job kept, and live snapshots of the running. */
static int collect(const struct mt_result ***out, struct mt_result ***owned, int *nowned)
{
	int n = 0, k = 0;

	for (struct djob *j = D.jobs; j; j = j->next)
		n++;
	*out = calloc((size_t)n + 1, sizeof(**out));
	*owned = calloc((size_t)n + 1, sizeof(**owned));
	*nowned = 0;
	n = 0;
	for (struct djob *j = D.jobs; j; j = j->next) {
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

char *jobs_dump_prom(void)
{
	const struct mt_result **res;
	struct mt_result **owned;
	int n, nowned;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	count_states();
	fprintf(f, "# HELP mmtorture_build_info The daemon's version, as labels.\n"
		   "# TYPE mmtorture_build_info gauge\n"
		   "mmtorture_build_info{version=\"%s\",revision=\"%s\"} 1\n", MT_VERSION, MT_GIT_REV);
	fprintf(f, "# HELP mmtorture_daemon_start_time_seconds When the daemon started, in Unix time.\n"
		   "# TYPE mmtorture_daemon_start_time_seconds gauge\n"
		   "mmtorture_daemon_start_time_seconds %.3f\n", D.started);
	fprintf(f, "# HELP mmtorture_jobs Jobs the daemon knows, by state.\n"
		   "# TYPE mmtorture_jobs gauge\n");
	fprintf(f, "mmtorture_jobs{state=\"queued\"} %u\n", D.nqueued);
	fprintf(f, "mmtorture_jobs{state=\"running\"} %u\n", D.nrunning);
	fprintf(f, "mmtorture_jobs{state=\"finished\"} %u\n", D.nfinished);
	fprintf(f, "mmtorture_jobs{state=\"cancelled\"} %u\n", D.ncancelled);
	fprintf(f, "# HELP mmtorture_verdicts_total Jobs ended, by verdict (CANCELLED: cancelled "
		   "before it ran).\n"
		   "# TYPE mmtorture_verdicts_total counter\n");
	for (int v = 0; v < MT_NVERDICTS; v++)
		fprintf(f, "mmtorture_verdicts_total{verdict=\"%s\"} %llu\n", mt_verdict_name(v),
			(unsigned long long)D.verdicts[v]);
	fprintf(f, "mmtorture_verdicts_total{verdict=\"CANCELLED\"} %llu\n",
		(unsigned long long)D.cancelled_unrun);
	n = collect(&res, &owned, &nowned);
	{
		/* the jobs in memory, plus what those let go had counted */
		char *live = NULL;
		size_t llen = 0;
		FILE *lf = open_memstream(&live, &llen);

		if (lf) {
			mt_prom_write(lf, res, n);
			fclose(lf);
			metrics_merge(f, live);
			free(live);
		}
	}
	fclose(f);
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(res);
	return buf;
}

json_t *jobs_dump_json(void)
{
	const struct mt_result **res;
	struct mt_result **owned;
	int n, nowned;
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "format_version", json_integer(MT_RESULT_FORMAT_VERSION));
	json_object_set_new(o, "daemon", jobs_status_json());
	n = collect(&res, &owned, &nowned);
	for (int i = 0; i < n; i++)
		json_array_append_new(a, mt_result_to_json(res[i]));
	json_object_set_new(o, "results", a);
	json_object_set_new(o, "jobs", jobs_list_json());
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(res);
	return o;
}

/* node_exporter's textfile collector reads *.prom: write aside, rename into place. */
static int write_textfile(const char *prom)
{
	static int said;	/* the error last said, not said again */
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/mmtorture.prom", D.cfg.textfile_dir);
	r = mt_write_atomic(path, prom, strlen(prom));
	if (r && r != said)
		daemon_textfile_warn(path, -r);
	else if (!r && said)
		dlog(LOG_NOTICE, "textfile_dir: %s written again", path);
	said = r;
	return r;
}

/* After a job finished: the textfile collector's file, if there is one. */
static void update_textfile(void)
{
	char *prom;

	if (!D.cfg.textfile_dir[0])
		return;
	prom = jobs_dump_prom();
	if (prom)
		write_textfile(prom);
	free(prom);
}

int jobs_write_dumps(void)
{
	char path[PATH_MAX], written[3 * PATH_MAX + 16] = "";
	char *prom = jobs_dump_prom();
	json_t *j = jobs_dump_json();
	int rc = 0, r;
	size_t n = 0;

	if (!prom || !j) {
		dlog(LOG_ERR, "metrics dump: out of memory");
		free(prom);
		json_decref(j);
		return -ENOMEM;
	}
	path_of(path, sizeof(path), "metrics.prom");
	if ((r = mt_write_atomic(path, prom, strlen(prom))))
		dlog(LOG_ERR, "cannot write %s: %s", path, strerror(-(rc = r)));
	else
		n += (size_t)snprintf(written + n, sizeof(written) - n, ", %s", path);
	path_of(path, sizeof(path), "metrics.json");
	if ((r = write_json(path, j)))
		dlog(LOG_ERR, "cannot write %s: %s", path, strerror(-(rc = r)));
	else
		n += (size_t)snprintf(written + n, sizeof(written) - n, ", %s", path);
	snprintf(path, sizeof(path), "%s/mmtorture.prom", D.cfg.textfile_dir);
	if (D.cfg.textfile_dir[0] && (r = write_textfile(prom)))
		rc = r;
	else if (D.cfg.textfile_dir[0] && n < sizeof(written))
		snprintf(written + n, sizeof(written) - n, ", %s", path);
	if (written[0])
		dlog(LOG_INFO, "metrics written: %s", written + 2);
	free(prom);
	json_decref(j);
	return rc;
}
