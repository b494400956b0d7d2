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
	D.nqueued = D.nrunning = D.nfinished = 0;
	for (struct djob *j = D.jobs; j; j = j->next) {
		if (j->state == JOB_QUEUED)
			D.nqueued++;
		else if (j->state == JOB_RUNNING)
			D.nrunning++;
		else
			D.nfinished++;
	}
}

/* Keep at most MT_DAEMON_KEEP_RESULTS finished jobs in memory (they stay on disk). */
static void trim_finished(void)
{
	unsigned int fin = 0;

	for (struct djob *j = D.jobs; j; j = j->next)
		fin += j->state >= JOB_FINISHED;
	for (struct djob **pp = &D.jobs; *pp && fin > MT_DAEMON_KEEP_RESULTS;) {
		struct djob *j = *pp;

		if (j->state >= JOB_FINISHED) {
			*pp = j->next;
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
	trim_finished();
	count_states();
	if (D.nqueued)
		dlog(LOG_INFO, "resuming %u queued job(s) from %s/queue", D.nqueued, D.state_dir);
	return 0;
}

/* ---- submit, cancel ---- */

int jobs_submit(const char *text, const char *filename, const char *name, uid_t uid,
		json_t *reply)
{
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	json_t *ids, *jobs;

	if (mt_jobfile_load_string(text, filename, &D.topo, &set, &e)) {
		json_t *det = json_array();
		int shown = e.n < (int)ARRAY_SIZE(e.msg) ? e.n : (int)ARRAY_SIZE(e.msg);

		for (int i = 0; i < shown; i++)
			json_array_append_new(det, json_string(e.msg[i]));
		json_object_set_new(reply, "ok", json_false());
		json_object_set_new(reply, "code", json_string("bad_jobfile"));
		json_object_set_new(reply, "error", json_sprintf("%s: %d error%s in the job file",
								 filename, e.n, e.n == 1 ? "" : "s"));
		json_object_set_new(reply, "details", det);
		return -1;
	}
	if (D.nqueued + (unsigned int)set.njobs > D.cfg.max_queue) {
		json_object_set_new(reply, "ok", json_false());
		json_object_set_new(reply, "code", json_string("queue_full"));
		json_object_set_new(reply, "error",
				    json_sprintf("the queue holds %u job(s) of at most %u: %d more do not fit",
						 D.nqueued, D.cfg.max_queue, set.njobs));
		mt_jobset_free(&set);
		return -1;
	}
	ids = json_array();
	jobs = json_array();
	for (int i = 0; i < set.njobs; i++) {
		struct djob *j = calloc(1, sizeof(*j));
		int rc;

		j->id = D.next_id++;
		snprintf(j->section, sizeof(j->section), "%s", set.jobs[i].name);
		if (name && set.njobs == 1)
			snprintf(j->name, sizeof(j->name), "%s", name);
		else if (name)
			snprintf(j->name, sizeof(j->name), "%.31s.%.31s", name, set.jobs[i].name);
		else
			snprintf(j->name, sizeof(j->name), "%s", set.jobs[i].name);
		snprintf(j->workload, sizeof(j->workload), "%s", set.jobs[i].wl->name);
		snprintf(j->filename, sizeof(j->filename), "%s", filename);
		j->jobfile = strdup(text);
		j->submitter = uid;
		j->submitted = now_real();
		j->state = JOB_QUEUED;
		if ((rc = save_queue_entry(j)))
			dlog(LOG_ERR, "job %lld: cannot keep it in the queue directory: %s", j->id,
			     strerror(-rc));
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
	int found = -1;
	pid_t pid;

	if (mt_jobfile_load_string(j->jobfile, j->filename, &D.topo, &set, &e)) {
		snprintf(j->results, sizeof(j->results), "%s", "");
		j->res = calloc(1, sizeof(*j->res));
		snprintf(j->res->job, sizeof(j->res->job), "%s", j->name);
		snprintf(j->res->workload, sizeof(j->res->workload), "%s", j->workload);
		j->res->verdict = MT_V_ERROR;
		snprintf(j->res->why, sizeof(j->res->why), "the job file no longer parses: %s",
			 e.n ? e.msg[0] : "?");
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
	path_of(dir, sizeof(dir), "results/%lld-%s", j->id, safe);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		dlog(LOG_ERR, "job %lld: cannot create %s: %s", j->id, dir, strerror(errno));
		return -1;
	}
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
		/* the supervisor died before it wrote anything: judge from the region */
		j->res = calloc(1, sizeof(*j->res));
		if (j->region && j->job.wl)
			mt_result_snapshot(j->res, &j->job, j->region);
		snprintf(j->res->job, sizeof(j->res->job), "%s", j->name);
		snprintf(j->res->workload, sizeof(j->res->workload), "%s", j->workload);
		j->res->verdict = MT_V_ERROR;
		if (WIFSIGNALED(status))
			snprintf(j->res->why, sizeof(j->res->why),
				 "the job's supervisor died of signal %d before writing results",
				 WTERMSIG(status));
		else
			snprintf(j->res->why, sizeof(j->res->why),
				 "the job's results could not be written or read (exit %d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
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
	if (D.cfg.textfile_dir[0])
		jobs_write_dumps();
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
	trim_finished();
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
			if (!j->res) {
				j->res = calloc(1, sizeof(*j->res));
				snprintf(j->res->job, sizeof(j->res->job), "%s", j->name);
				j->res->verdict = MT_V_ERROR;
				snprintf(j->res->why, sizeof(j->res->why), "the job could not be started");
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
}

/* ---- JSON views ---- */

json_t *jobs_job_json(struct djob *j)
{
	json_t *o = json_object();
	struct mt_result *snap = NULL;
	const struct mt_result *r = j->res;

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "name", json_string(j->name));
	json_object_set_new(o, "section", json_string(j->section));
	json_object_set_new(o, "workload", json_string(j->workload));
	json_object_set_new(o, "filename", json_string(j->filename));
	json_object_set_new(o, "state", json_string(state_names[j->state]));
	json_object_set_new(o, "submitted", json_real(j->submitted));
	json_object_set_new(o, "submitter", json_integer((json_int_t)j->submitter));
	json_object_set_new(o, "results", json_string(j->results));
	if (j->state == JOB_RUNNING && j->region && j->job.wl) {
		snap = calloc(1, sizeof(*snap));
		if (snap) {
			mt_result_snapshot(snap, &j->job, j->region);
			r = snap;
		}
		json_object_set_new(o, "phase", json_integer(j->region->phase));
		json_object_set_new(o, "ops_per_second", json_real(j->ops_rate));
	}
	if (r) {
		uint64_t ops = 0;
		json_t *races = json_object(), *leaks = json_object();

		json_object_set_new(o, "seed", json_sprintf("%llu", (unsigned long long)
					(r->seed ? r->seed : j->job.seed)));
		json_object_set_new(o, "rcu", json_string(r->rcu));
		json_object_set_new(o, "threads", json_integer(r->threads));
		json_object_set_new(o, "bugs", json_string(r->bugs));
		json_object_set_new(o, "elapsed_seconds", json_real(r->elapsed_s));
		if (!snap) {
			json_object_set_new(o, "verdict", json_string(mt_verdict_name(r->verdict)));
			json_object_set_new(o, "why", json_string(r->why));
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
	return json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:b, s:o}",
			 "version", MT_VERSION, "revision", MT_GIT_REV,
			 "protocol", MT_PROTO_VERSION, "pid", (int)getpid(),
			 "started", D.started, "uptime_seconds", now_real() - D.started,
			 "running", (json_int_t)D.nrunning, "queued", (json_int_t)D.nqueued,
			 "finished", (json_int_t)D.nfinished,
			 "max_parallel", (json_int_t)D.cfg.max_parallel,
			 "max_queue", (json_int_t)D.cfg.max_queue,
			 "state_directory", D.state_dir, "socket", D.socket_path,
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
	{
		unsigned int cancelled = 0, finished = 0;

		for (struct djob *j = D.jobs; j; j = j->next) {
			cancelled += j->state == JOB_CANCELLED;
			finished += j->state == JOB_FINISHED;
		}
		fprintf(f, "mmtorture_jobs{state=\"queued\"} %u\n", D.nqueued);
		fprintf(f, "mmtorture_jobs{state=\"running\"} %u\n", D.nrunning);
		fprintf(f, "mmtorture_jobs{state=\"finished\"} %u\n", finished);
		fprintf(f, "mmtorture_jobs{state=\"cancelled\"} %u\n", cancelled);
	}
	fprintf(f, "# HELP mmtorture_verdicts_total Jobs finished, by verdict.\n"
		   "# TYPE mmtorture_verdicts_total counter\n");
	for (int v = 0; v < MT_NVERDICTS; v++)
		fprintf(f, "mmtorture_verdicts_total{verdict=\"%s\"} %llu\n", mt_verdict_name(v),
			(unsigned long long)D.verdicts[v]);
	n = collect(&res, &owned, &nowned);
	mt_prom_write(f, res, n);
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

int jobs_write_dumps(void)
{
	char path[PATH_MAX];
	char *prom = jobs_dump_prom();
	json_t *j = jobs_dump_json();
	int rc = 0, r;

	if (!prom || !j) {
		free(prom);
		json_decref(j);
		return -ENOMEM;
	}
	path_of(path, sizeof(path), "metrics.prom");
	if ((r = mt_write_atomic(path, prom, strlen(prom))))
		rc = r;
	path_of(path, sizeof(path), "metrics.json");
	if ((r = write_json(path, j)))
		rc = r;
	if (D.cfg.textfile_dir[0]) {
		/* node_exporter reads *.prom: write aside, rename into place */
		snprintf(path, sizeof(path), "%s/mmtorture.prom", D.cfg.textfile_dir);
		if ((r = mt_write_atomic(path, prom, strlen(prom)))) {
			dlog(LOG_ERR, "cannot write %s: %s", path, strerror(-r));
			rc = r;
		}
	}
	if (rc)
		dlog(LOG_ERR, "metrics dump: %s", strerror(-rc));
	free(prom);
	json_decref(j);
	return rc;
}
