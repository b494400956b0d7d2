// SPDX-License-Identifier: GPL-2.0-only
/*
 * runner.c - one job in a child process; see runner.h.
 *
 * The child runs mt_job_execute() and leaves with _exit(): 0 when the job
 * ran to its end, 3 on a harness error.  SIGTERM or SIGINT ask it to stop
 * gracefully (teardown runs, leaks are counted: partial results).  The
 * parent polls every 100 ms: progress, the cancel flag, and the watchdog.
 * The watchdog kills a job that is hung: one whose counters (ops, audits,
 * phase) have not moved for hang_timeout, one still running hang_timeout
 * after the end of its runtime (workers, final audit and teardown must
 * fit in it: there is no other slack), or one that has not stopped
 * hang_timeout after it was cancelled.  A hang is recorded as such, not as
 * a crash.  The child dies with its parent (PR_SET_PDEATHSIG), so a killed
 * daemon leaves no job behind.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/prng.h"
#include "core/sched.h"
#include "kernel/kjournal.h"
#include "lib/engine/engine.h"
#include "lib/engine/fileio.h"
#include "lib/engine/values.h"
#include "lib/engine/placement.h"
#include "lib/engine/runner.h"
#include "lib/engine/timeline.h"

#define POLL_NS		(100 * 1000 * 1000ull)

static void child_stop(int sig)
{
	(void)sig;
	mt_job_request_stop();
}

void mt_runner_child_signals(void (*on_stop)(int), int pdeathsig)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, pdeathsig);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}

static __noreturn void child_main(struct mt_job *job, struct mt_region *r)
{
	int rc;

	mt_runner_child_signals(child_stop, SIGKILL);
	rc = mt_job_execute(job, r);
	_exit(rc ? 3 : 0);
}

/* "30s", "1500ms", "until cancelled" */
static void runtime_str(const struct mt_job *job, char *buf, size_t len)
{
	if (job->runtime_ns)
		mt_format_time(job->runtime_ns, buf, len);
	else
		snprintf(buf, len, "until cancelled");
}

/*
 * "[job]    1.0s/2.5s     540170 ops/s  races 0  leaks 0  running": the
 * elapsed time and the runtime in seconds both, the rate since the last
 * line; the @final line (on a terminal, where it stays) has the mean rate
 * of the whole run.
 */
static void progress(const struct mt_run_opts *o, const struct mt_job *job,
		     const struct mt_region *r, double ops_rate, bool final)
{
	uint64_t end = __atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
	double el = final && end ? (double)end / 1e9 :
		    r->t_start_ns && r->phase >= MT_PHASE_RUNNING ?
		    (double)(mt_now_ns() - r->t_start_ns) / 1e9 : 0;
	char rt[32] = "inf";

	if (job->runtime_ns)
		snprintf(rt, sizeof(rt), "%.10gs", (double)job->runtime_ns / 1e9);
	if (final)
		ops_rate = el > 0 ? (double)mt_ops_total(r) / el : 0;
	fprintf(o->out, "%s[%s] %6.1fs/%s  %9.0f ops/s%s  races %llu  leaks %llu  %s%s",
		o->tty ? "\r" : "", job->name, el, rt, ops_rate, final ? " mean" : "",
		(unsigned long long)mt_races_total(r), (unsigned long long)mt_leaks_total(r),
		mt_phase_name(r->phase),
		o->tty ? (final ? "\033[K\n" : "\033[K") : "\n");
	fflush(o->out);
}

/* The job cannot be run or its results kept: say so even under --quiet. */
static void harness_message(const struct mt_run_opts *o, const struct mt_job *job,
			    const char *msg)
{
	fprintf(stderr, "mmtorture: [%s] %s\n", job->name, msg);
	/* and in the log or pipe the job's lines go to; a terminal has it already */
	if (o->out && o->out != stderr && !o->tty)
		fprintf(o->out, "[%s] %s\n", job->name, msg);
}

/* The files of the run in @dir.  Return: @rc, or MT_EXIT_HARNESS when they could not be written. */
static int write_results(const struct mt_run_opts *o, const struct mt_job *job,
			 struct mt_result *res, const char *dir, int rc)
{
	int err = mt_result_write_dir(res, dir);

	if (!err)
		return rc;
	snprintf(res->files_error, sizeof(res->files_error), "cannot write the results to %.200s: %s",
		 dir, strerror(-err));
	harness_message(o, job, res->files_error);
	return MT_EXIT_HARNESS;
}

/*
 * trace.txt: the last steps before the first race or leak of a job of
 * scheduled runs, one a line: what `mmtorture replay --trace` prints.
 */
void mt_runs_trace_print(const struct mt_region_runs *R, unsigned int last, FILE *f)
{
	unsigned int from = last && R->ntrace > last ? R->ntrace - last : 0;

	fprintf(f, "# run %u: the last %u steps before its first race or leak\n", R->trace_run,
		R->ntrace - from);
	fprintf(f, "# %10s %6s %-14s %-32s %s\n", "step", "thread", "point", "name", "object");
	for (unsigned int i = from; i < R->ntrace; i++) {
		const struct mt_run_step *s = &R->trace[i];

		fprintf(f, "%12llu %6s%u %-14s %-32s %#llx%s\n", (unsigned long long)s->step, "t",
			s->thread, mt_sched_kind_name(s->kind), s->name, (unsigned long long)s->obj,
			s->preempt ? "   <- preempted here" : "");
	}
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mt_write_atomic(path, text, strlen(text)))
		fprintf(stderr, "mmtorture: cannot write %s\n", path);
}

/* What the watchdog sees move while a job is alive. */
struct progress_mark {
	uint64_t ops, audits;
	uint32_t phase;
};

static bool moved(struct progress_mark *m, const struct mt_region *r)
{
	struct progress_mark now = {
		.ops = mt_ops_total(r),
		.audits = mt_counter_read(r, MT_AUDITS),
		.phase = __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE),
	};
	bool changed = memcmp(&now, m, sizeof(now)) != 0;

	*m = now;
	return changed;
}

/* The job's first lines: what runs, and where (also kept in the result). */
static void announce(struct mt_job *job, const struct mt_run_opts *o, struct mt_result *res)
{
	char *ptext = NULL, rt[32];
	size_t plen = 0;
	FILE *pf = open_memstream(&ptext, &plen);

	if (pf) {
		mt_placement_print(&job->plan, job->threads, pf);
		fclose(pf);
		snprintf(res->placement, sizeof(res->placement), "%s", ptext ? ptext : "");
		free(ptext);
	}
	if (!o->out)
		return;
	runtime_str(job, rt, sizeof(rt));
	fprintf(o->out, "job %s: workload %s, %u thread%s, rcu %s, runtime %s, seed %llu, expect %s%s%s\n",
		job->name, job->wl->name, job->threads, job->threads == 1 ? "" : "s",
		mt_rcu_flavor_name(mt_job_rcu(job)), rt, (unsigned long long)job->seed,
		mt_job_expect_name(job), job->bugs_spec[0] ? ", bugs " : "", job->bugs_spec);
	fputs(res->placement, o->out);
	fflush(o->out);
}

/* Fork the job process.  Return: its pid, or -1 with the reason in @res. */
static pid_t start_child(struct mt_job *job, struct mt_region *r, const struct mt_run_opts *o,
			 struct mt_result *res)
{
	sigset_t stops, mask;
	pid_t pid;

	if (o->out)
		fflush(o->out);
	fflush(stdout);
	fflush(stderr);
	/* a cancel sent before the child has its handlers waits for them */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stops, &mask);
	/* knobs and segments of kernel jobs whose process died before this runner saw it */
	kj_recover_stale(stderr);
	pid = fork();
	if (pid == 0)
		child_main(job, r);	/* unblocks every signal once its handlers are set */
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0)
		snprintf(res->error, sizeof(res->error), "fork: %s", strerror(errno));
	return pid;
}

/* The watchdog's clock (see the top of the file). */
struct watch {
	uint64_t hang;			/* hang_timeout; 0: no watchdog */
	uint64_t last_move, end_by, stop_by;
	struct progress_mark mark;
	bool cancel_sent;
};

/* One poll of the job process: cancel, progress, the watchdog. */
static void watch_tick(struct watch *w, const struct mt_job *job, struct mt_region *r,
		       const struct mt_run_opts *o, struct mt_result *res, pid_t pid, uint64_t now)
{
	char h[32], rt[32];

	if (o->cancel && *o->cancel && !w->cancel_sent) {
		/* partial only if the workers had not reached the end of the runtime
		 * (read before the signal: the child may stop at once) */
		res->cancelled = !__atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
		kill(pid, SIGTERM);
		w->cancel_sent = true;
		if (w->hang)
			w->stop_by = now + w->hang;
	}
	if (moved(&w->mark, r))
		w->last_move = now;
	if (res->hung || !w->hang)
		return;
	mt_format_time(w->hang, h, sizeof(h));
	runtime_str(job, rt, sizeof(rt));
	if (now - w->last_move >= w->hang)
		snprintf(res->hang, sizeof(res->hang), "no progress for %s", h);
	else if (now >= w->end_by)
		snprintf(res->hang, sizeof(res->hang), "still running %s after its runtime of %s", h, rt);
	else if (now >= w->stop_by)
		snprintf(res->hang, sizeof(res->hang), "not stopped %s after the cancel", h);
	if (res->hang[0]) {
		res->hung = true;
		kill(pid, SIGKILL);
	}
}

/* Poll the job process until it is gone.  Return: its wait status. */
static int supervise(struct mt_job *job, struct mt_region *r, const struct mt_run_opts *o,
		     struct mt_result *res, pid_t pid, struct mt_timeline *tl)
{
	uint64_t t0 = mt_now_ns(), last_ops = 0, last_t = t0, next_line = t0 + o->progress_ns;
	struct watch w = { .hang = job->hang_grace_ns, .last_move = t0, .end_by = UINT64_MAX,
			   .stop_by = UINT64_MAX };
	int status = 0;

	if (job->runtime_ns && w.hang)
		w.end_by = t0 + job->runtime_ns + w.hang;
	for (;;) {
		struct timespec ts = { 0, (long)POLL_NS };
		pid_t got = waitpid(pid, &status, WNOHANG);
		uint64_t now;

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			snprintf(res->error, sizeof(res->error), "waitpid: %s", strerror(errno));
			break;
		}
		nanosleep(&ts, NULL);
		now = mt_now_ns();
		if (o->tick)
			o->tick(o->tick_arg, r, pid);
		watch_tick(&w, job, r, o, res, pid, now);
		if (mt_timeline_tick(tl, r, now))
			harness_message(o, job, "cannot write " MT_TIMELINE_FILE ": no more rows");
		if (o->out && (o->tty ? now - last_t >= 500000000ull :
			       o->progress_ns && now >= next_line)) {
			uint64_t ops = mt_ops_total(r);
			double dt = (double)(now - last_t) / 1e9;

			progress(o, job, r, dt > 0 ? (double)(ops - last_ops) / dt : 0, false);
			last_ops = ops;
			last_t = now;
			next_line = now + o->progress_ns;
		}
	}
	if (o->out && o->tty)
		progress(o, job, r, 0, true);
	return status;
}

/* How the job process ended: a crash is recorded here, since the child cannot. */
static void record_end(struct mt_region *r, struct mt_result *res, int status, uint64_t t0)
{
	if (WIFSIGNALED(status)) {
		res->term_signal = WTERMSIG(status);
		if (!res->hung) {
			mt_region_use(r);
			mt_report(MT_CRASH, "runner", "the job process died of signal %d (%s)",
				  res->term_signal, strsignal(res->term_signal));
			mt_region_use(NULL);
		}
		if (!r->t_end_ns)
			r->t_end_ns = mt_now_ns() - (r->t_start_ns ? r->t_start_ns : t0);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !res->error[0]) {
		snprintf(res->error, sizeof(res->error), "%s",
			 r->error[0] ? r->error : "the job process failed");
	}
}

int mt_run_job(struct mt_job *job, struct mt_region *r, const struct mt_run_opts *o,
	       struct mt_result *res)
{
	time_t now = time(NULL);
	char dir[PATH_MAX] = "";
	struct mt_timeline tl = { .f = NULL };
	struct tm tm;
	pid_t pid;
	int rc;

	memset(res, 0, sizeof(*res));
	gmtime_r(&now, &tm);
	strftime(res->started, sizeof(res->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	mt_job_seed(job);
	mt_region_reset(r);
	announce(job, o, res);

	/* the results directory first, named by the start: no run whose results are lost */
	if (o->results_dir) {
		snprintf(dir, sizeof(dir), "%s", o->results_dir);
	} else if (o->results_root &&
		   (rc = mt_results_mkdir(o->results_root, job->name, now, dir, sizeof(dir)))) {
		snprintf(res->error, sizeof(res->error), "cannot create a results directory in %s: %s",
			 o->results_root, strerror(-rc));
		harness_message(o, job, res->error);
		dir[0] = '\0';
	}
	if (dir[0] && o->job_src)
		write_text(dir, "job.ini", o->job_src);
	if (!res->error[0] && mt_timeline_open(&tl, dir, job))
		harness_message(o, job, "cannot create " MT_TIMELINE_FILE ": the run has no timeline");
	if (!res->error[0] && (pid = start_child(job, r, o, res)) > 0) {
		uint64_t t0 = mt_now_ns();

		int status = supervise(job, r, o, res, pid, &tl);

		/* a kernel job that died: its knobs restored, its segments removed, from its journal */
		kj_recover(pid, stderr);
		record_end(r, res, status, t0);
	}
	mt_timeline_close(&tl, r);
	mt_result_snapshot(res, job, r);
	mt_result_judge(res, job);
	rc = mt_verdict_exit(res->verdict);
	if (dir[0] && r->runs.ntrace) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (f) {
			mt_runs_trace_print(&r->runs, 0, f);
			fclose(f);
			write_text(dir, "trace.txt", text);
		}
		free(text);
	}
	if (dir[0] && (rc = write_results(o, job, res, dir, rc)) == MT_EXIT_HARNESS)
		res->dir[0] = '\0';
	if (o->out) {
		fprintf(o->out, "[%s] %s: %s\n", job->name, mt_verdict_name(res->verdict), res->why);
		if (res->dir[0])
			fprintf(o->out, "[%s] results in %s\n", job->name, res->dir);
		fflush(o->out);
	}
	return rc;
}
