// SPDX-License-Identifier: GPL-2.0-only
/*
 * jobs.c - the daemon's jobs and their lifecycle; see jobs.h.
 *
 * A finished job's result comes from its supervisor through shared memory
 * (struct djob_handoff), not from the files it wrote: the verdict is kept
 * when the disk is full.  Its record then goes to the state directory;
 * while that cannot be written, its queue entry stays (a restart runs the
 * job again rather than lose it), the error is said once, and the write is
 * retried every RECORD_RETRY_NS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/carry.h"
#include "daemon/config.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "kernel/kjournal.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/runner.h"
#include "lib/engine/values.h"

#define RECORD_RETRY_NS		(5 * 1000000000ull)
#define MAX_END_HOOKS		4

static struct djob *jobs;		/* every job known, in id order */
static long long next_id = 1;
static struct jobs_counts counts;	/* verdicts: of every job ended since the start */
static bool stopping;
static struct mt_topology *topo;
static void (*end_hooks[MAX_END_HOOKS])(struct djob *j);
static uint64_t next_record_retry;

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void jobs_on_end(void (*fn)(struct djob *j))
{
	for (int i = 0; i < MAX_END_HOOKS; i++)
		if (!end_hooks[i]) {
			end_hooks[i] = fn;
			return;
		}
	abort();
}

static void ended(struct djob *j)
{
	for (int i = 0; i < MAX_END_HOOKS && end_hooks[i]; i++)
		end_hooks[i](j);
}

struct djob *jobs_find(long long id)
{
	for (struct djob *j = jobs; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

struct djob *jobs_first(void)
{
	return jobs;
}

bool jobs_stopping(void)
{
	return stopping;
}

void jobs_count(struct jobs_counts *c)
{
	*c = counts;
	c->queued = c->running = c->finished = c->cancelled = 0;
	for (struct djob *j = jobs; j; j = j->next) {
		if (j->state == JOB_QUEUED)
			c->queued++;
		else if (j->state == JOB_RUNNING)
			c->running++;
		else if (j->state == JOB_FINISHED)
			c->finished++;
		else
			c->cancelled++;
	}
}

const char *jobs_running_name(void)
{
	for (struct djob *j = jobs; j; j = j->next)
		if (j->state == JOB_RUNNING)
			return j->name;
	return "";
}

/* Count the verdict of @j, which has just ended (or ended before this start). */
static void count_end(const struct djob *j)
{
	if (j->res)
		counts.verdicts[j->res->verdict]++;
	else if (j->state == JOB_CANCELLED)
		counts.cancelled_unrun++;
}

/* Insert in id order. */
static void djob_add(struct djob *j)
{
	struct djob **pp = &jobs;

	while (*pp && (*pp)->id < j->id)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
}

/*
 * Keep at most MT_DAEMON_KEEP_RESULTS finished jobs in memory (they stay
 * on disk).  While the daemon runs (@carry), the counters of a job let go
 * are carried on, so that no counter of `dump prom` goes down.
 */
static void trim_finished(bool carry)
{
	unsigned int fin = 0;

	for (struct djob *j = jobs; j; j = j->next)
		fin += j->state >= JOB_FINISHED && !j->record_pending;
	for (struct djob **pp = &jobs; *pp && fin > MT_DAEMON_KEEP_RESULTS;) {
		struct djob *j = *pp;

		if (j->state >= JOB_FINISHED && !j->record_pending) {
			*pp = j->next;
			if (carry && j->res)
				carry_result(j->res);
			djob_free(j);
			fin--;
		} else {
			pp = &j->next;
		}
	}
}

/* Write the record of ended job @j; on failure keep its queue entry and say so once. */
static void save_record(struct djob *j)
{
	bool retry = j->record_pending;
	int rc = store_save_record(j);

	if (!rc) {
		if (retry)
			dlog(LOG_NOTICE, "job %lld: its record is written now", j->id);
		j->record_pending = false;
		return;
	}
	if (!retry)
		dlog(LOG_ERR, "job %lld: cannot write its record: %s: its queue entry is kept (a "
		     "restart would run it again) and the record written when it can be", j->id,
		     strerror(-rc));
	j->record_pending = true;
	next_record_retry = mt_now_ns() + RECORD_RETRY_NS;
}

static void retry_records(void)
{
	for (struct djob *j = jobs; j; j = j->next)
		if (j->record_pending)
			save_record(j);
}

/* A job read from the state directory. */
static void loaded(struct djob *j)
{
	struct djob *had = jobs_find(j->id);

	if (had) {
		/* its record was written, its queue entry not yet removed: the record wins */
		if (had->state >= JOB_FINISHED && j->state == JOB_QUEUED)
			store_remove_queued(j->id);
		else
			dlog(LOG_WARNING, "job %lld is in the state directory twice: the second is skipped",
			     j->id);
		djob_free(j);
		return;
	}
	if (j->state >= JOB_FINISHED)
		count_end(j);
	djob_add(j);
}

int jobs_init(struct mt_topology *t, char *err, size_t errlen)
{
	struct jobs_counts c;

	topo = t;
	if (store_init(err, errlen))
		return -1;
	/* knobs and segments of kernel jobs that died with an earlier daemon */
	kj_recover_stale(stderr);
	next_id = store_load(topo, loaded);
	retry_records();	/* jobs whose queue entries no longer parse */
	trim_finished(false);	/* a restart starts the counters again */
	jobs_count(&c);
	if (c.queued)
		dlog(LOG_INFO, "resuming %u queued job(s) from %s/queue", c.queued, dcfg.state_dir);
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

/* Is there room for @n jobs?  Refused in @reply when not. */
static bool queue_room(int n, const char *filename, json_t *reply)
{
	struct jobs_counts c;
	unsigned int room;

	jobs_count(&c);
	room = c.queued < dcfg.max_queue ? dcfg.max_queue - c.queued : 0;
	if ((unsigned int)n > dcfg.max_queue)	/* it would not fit even in an empty queue */
		refuse(reply, "queue_full",
		       json_sprintf("%s has %d jobs, and the queue takes at most %u (max_queue): "
				    "split the file, or raise max_queue", filename, n, dcfg.max_queue));
	else if ((unsigned int)n > room)
		refuse(reply, "queue_full",
		       room ? json_sprintf("the queue has room for %u more job%s (%u of at most %u "
					   "waiting): %s has %d: try again when jobs have started",
					   room, room == 1 ? "" : "s", c.queued, dcfg.max_queue,
					   filename, n) :
		       json_sprintf("the queue is full (%u jobs waiting, max_queue %u): try again "
				    "when jobs have started", c.queued, dcfg.max_queue));
	else
		return true;
	return false;
}

/* The djob of job @i of @set, named by @name (NAME, or NAME.SECTION for several). */
static struct djob *submitted(const struct mt_jobset *set, int i, const char *name,
			      const char *filename, uid_t uid)
{
	struct djob *j = djob_new();
	char full[2 * MT_JOB_NAME_LEN + 2];

	if (!j || !(j->src = strdup(set->src[i]))) {
		free(j);
		return NULL;
	}
	j->id = next_id++;
	j->job = set->jobs[i];
	snprintf(j->section, sizeof(j->section), "%s", set->jobs[i].name);
	if (name && set->njobs > 1) {
		/* NAME.SECTION, each cut to half (on a whole character) */
		char a[MT_JOB_NAME_LEN / 2], b[MT_JOB_NAME_LEN / 2];

		mt_strcpy_text(a, sizeof(a), name);
		mt_strcpy_text(b, sizeof(b), set->jobs[i].name);
		snprintf(full, sizeof(full), "%s.%s", a, b);
	} else {
		snprintf(full, sizeof(full), "%s", name ? name : set->jobs[i].name);
	}
	mt_strcpy_text(j->name, sizeof(j->name), full);
	snprintf(j->job.name, sizeof(j->job.name), "%s", j->name);
	snprintf(j->workload, sizeof(j->workload), "%s", set->jobs[i].wl->name);
	mt_strcpy_text(j->filename, sizeof(j->filename), filename);
	j->submitter = uid;
	j->submitted = now_real();
	j->state = JOB_QUEUED;
	return j;
}

int jobs_submit(const char *text, const char *filename, const char *name, uid_t uid,
		json_t *reply)
{
	struct djob *added[MT_MAX_JOBS];
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	json_t *ids, *list;
	int nsec, njobs, n = 0;

	count_sections(text, &nsec, &njobs);
	if (njobs > MT_MAX_JOBS || nsec > 2 * MT_MAX_JOBS) {
		refuse(reply, "bad_jobfile", json_sprintf("%s: %d sections, %d of them jobs: at most "
							  "%d jobs (and as many [global])",
							  filename, nsec, njobs, MT_MAX_JOBS));
		return -1;
	}
	if (mt_jobfile_load_string(text, filename, topo, &set, &e)) {
		json_t *det = json_array();
		int shown = e.n < (int)ARRAY_SIZE(e.msg) ? e.n : (int)ARRAY_SIZE(e.msg);

		for (int i = 0; i < shown; i++)
			json_array_append_new(det, json_string(e.msg[i]));
		refuse(reply, "bad_jobfile", json_sprintf("%s: %d error%s in the job file", filename,
							  e.n, e.n == 1 ? "" : "s"));
		json_object_set_new(reply, "details", det);
		return -1;
	}
	if (!queue_room(set.njobs, filename, reply))
		goto out;
	if (next_id + set.njobs > MT_MAX_JOB_ID) {
		dlog(LOG_ERR, "job ids are used up (the next would be %lld, beyond %lld): submit "
		     "refused", next_id, MT_MAX_JOB_ID);
		refuse(reply, "internal", json_sprintf("job ids are used up (%lld): see the daemon's log",
						       MT_MAX_JOB_ID));
		goto out;
	}
	for (n = 0; n < set.njobs; n++) {
		char path[PATH_MAX];
		int rc;

		added[n] = submitted(&set, n, name, filename, uid);
		if (!added[n]) {
			refuse(reply, "internal", json_string("out of memory"));
			goto undo;
		}
		/* a job not kept on disk would be lost at the next restart: refuse it now */
		if ((rc = store_save_queued(added[n]))) {
			store_path(path, sizeof(path), "queue/%lld.json", added[n]->id);
			dlog(LOG_ERR, "job %lld: cannot write %s: %s: submit refused", added[n]->id, path,
			     strerror(-rc));
			refuse(reply, "internal", json_sprintf("cannot keep the job in the queue: %s: %s",
							       path, strerror(-rc)));
			djob_free(added[n]);
			goto undo;
		}
	}
	ids = json_array();
	list = json_array();
	for (int i = 0; i < n; i++) {
		djob_add(added[i]);
		json_array_append_new(ids, json_integer(added[i]->id));
		json_array_append_new(list, djob_json(added[i]));
		dlog(LOG_INFO, "job %lld queued: %s (workload %s) from %s, uid %d", added[i]->id,
		     added[i]->name, added[i]->workload, filename, (int)uid);
	}
	store_save_next_id(next_id);
	json_object_set_new(reply, "ok", json_true());
	json_object_set_new(reply, "ids", ids);
	json_object_set_new(reply, "jobs", list);
	mt_jobset_free(&set);
	jobs_schedule();
	return n;

undo:
	/* the jobs of this file saved so far go too: a submit is all or nothing */
	for (int i = 0; i < n; i++) {
		store_remove_queued(added[i]->id);
		djob_free(added[i]);
	}
	store_save_next_id(next_id);
out:
	mt_jobset_free(&set);
	return -1;
}

int jobs_cancel(struct djob *j)
{
	if (j->state >= JOB_FINISHED)
		return -EALREADY;
	if (j->state == JOB_QUEUED) {
		j->state = JOB_CANCELLED;
		j->results[0] = '\0';
		free(j->src);
		j->src = NULL;
		save_record(j);
		count_end(j);
		dlog(LOG_INFO, "job %lld cancelled before it ran", j->id);
		ended(j);
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

static void (*close_inherited)(void);

void jobs_set_close_fds(void (*fn)(void))
{
	close_inherited = fn;
}

static __noreturn void supervisor_main(struct djob *j, const char *dir, void (*close_fds)(void))
{
	struct mt_run_opts ro = { .results_dir = dir, .progress_ns = 5000000000ull,
				  .cancel = &sup_cancel, .job_src = j->src };
	char logpath[PATH_MAX + 16];
	int rc, fd;

	prctl(PR_SET_NAME, "mmtortured-job");
	close_fds();
	mt_runner_child_signals(sup_on_term, SIGTERM);
	snprintf(logpath, sizeof(logpath), "%s/job.log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	ro.out = stdout;
	rc = mt_run_job(&j->job, j->region, &ro, &j->handoff->res);
	j->handoff->exit_code = rc;
	__atomic_store_n(&j->handoff->done, 1, __ATOMIC_RELEASE);	/* pairs with finish() */
	fflush(stdout);
	_exit(rc);
}

/* Start @j.  Return: 0, or -1 with j->res saying why it could not. */
static int start(struct djob *j)
{
	char dir[PATH_MAX];
	int rc;
	pid_t pid;

	if ((rc = store_results_dir(j, dir, sizeof(dir)))) {
		dlog(LOG_ERR, "job %lld: cannot create its results directory %s: %s", j->id, dir,
		     strerror(-rc));
		j->res = djob_error_result(j, "cannot create its results directory %s: %s", dir,
					   strerror(-rc));
		return -1;
	}
	snprintf(j->results, sizeof(j->results), "%s", dir);
	j->region = mt_region_create(true);
	j->handoff = mmap(NULL, sizeof(*j->handoff), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (j->handoff == MAP_FAILED)
		j->handoff = NULL;
	if (!j->region || !j->handoff) {
		j->res = djob_error_result(j, "out of memory for its counters");
		return -1;
	}
	mt_job_seed(&j->job);	/* so that status shows it from the start */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		dlog(LOG_ERR, "job %lld: fork: %s", j->id, strerror(errno));
		j->res = djob_error_result(j, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		supervisor_main(j, dir, close_inherited);
	j->supervisor = pid;
	j->state = JOB_RUNNING;
	j->t_start_ns = mt_now_ns();
	dlog(LOG_INFO, "job %lld started: %s (workload %s, %u threads, seed %llu), supervisor pid %d",
	     j->id, j->name, j->workload, j->job.threads, (unsigned long long)j->job.seed, (int)pid);
	return 0;
}

/* The result a supervisor that ended with @status handed back, or one made for it. */
static struct mt_result *take_result(struct djob *j, int status)
{
	struct mt_result *res;

	if (j->handoff && __atomic_load_n(&j->handoff->done, __ATOMIC_ACQUIRE)) {
		res = malloc(sizeof(*res));
		if (res)
			memcpy(res, &j->handoff->res, sizeof(*res));
		return res;
	}
	/* the supervisor died before the run's end: what the region says */
	res = WIFSIGNALED(status) ?
	      djob_error_result(j, "the job's supervisor died of signal %d before its result",
				WTERMSIG(status)) :
	      djob_error_result(j, "the job's supervisor ended (exit %d) without a result",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (res && j->region) {
		char why[sizeof(res->why)];

		memcpy(why, res->why, sizeof(why));
		mt_result_snapshot(res, &j->job, j->region);
		snprintf(res->job, sizeof(res->job), "%s", j->name);
		res->verdict = MT_V_ERROR;
		memcpy(res->why, why, sizeof(why));
	}
	return res;
}

static void finish(struct djob *j, int status)
{
	j->res = take_result(j, status);
	if (!j->res) {
		dlog(LOG_CRIT, "job %lld: out of memory for its result", j->id);
		abort();
	}
	j->state = j->cancel_requested ? JOB_CANCELLED : JOB_FINISHED;
	j->supervisor = 0;
	mt_region_destroy(j->region);
	j->region = NULL;
	munmap(j->handoff, sizeof(*j->handoff));
	j->handoff = NULL;
	free(j->src);
	j->src = NULL;
	count_end(j);
	save_record(j);
	dlog(j->res->verdict == MT_V_PASS || j->res->verdict == MT_V_DETECTED ? LOG_INFO : LOG_WARNING,
	     "job %lld %s: %s: %s%s%s", j->id, djob_state_name(j->state),
	     mt_verdict_name(j->res->verdict), j->res->why, j->res->files_error[0] ? "; " : "",
	     j->res->files_error);
	ended(j);
}

static void reaped(pid_t pid, int status)
{
	for (struct djob *j = jobs; j; j = j->next)
		if (j->state == JOB_RUNNING && j->supervisor == pid) {
			finish(j, status);
			return;
		}
}

void jobs_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(pid, status);
	trim_finished(true);
	jobs_schedule();
}

void jobs_schedule(void)
{
	struct jobs_counts c;

	if (stopping)
		return;
	jobs_count(&c);
	for (struct djob *j = jobs; j && c.running < dcfg.max_parallel; j = j->next) {
		if (j->state != JOB_QUEUED)
			continue;
		if (start(j)) {
			j->state = JOB_FINISHED;
			count_end(j);
			save_record(j);
			dlog(LOG_ERR, "job %lld: %s", j->id, j->res->why);
			ended(j);
			continue;
		}
		c.running++;
	}
}

void jobs_tick(void)
{
	uint64_t now = mt_now_ns();

	for (struct djob *j = jobs; j; j = j->next) {
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
	if (next_record_retry && now >= next_record_retry) {
		next_record_retry = 0;
		retry_records();
	}
}

void jobs_shutdown(void)
{
	uint64_t deadline = mt_now_ns() + 60ull * 1000000000ull;
	struct jobs_counts c;

	stopping = true;
	for (struct djob *j = jobs; j; j = j->next)
		if (j->state == JOB_RUNNING)
			jobs_cancel(j);
	for (jobs_count(&c); c.running && mt_now_ns() < deadline; jobs_count(&c)) {
		struct timespec ts = { 0, 100000000 };
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0)
			reaped(pid, status);
		else
			nanosleep(&ts, NULL);
	}
	for (struct djob *j = jobs; j; j = j->next)
		if (j->state == JOB_RUNNING) {
			dlog(LOG_ERR, "job %lld: its supervisor did not stop in 60 s: killed", j->id);
			kill(j->supervisor, SIGKILL);
		}
	retry_records();
}
