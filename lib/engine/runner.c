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
#include "kernel/kjournal.h"
#include "lib/engine/engine.h"
#include "lib/engine/options.h"
#include "lib/engine/placement.h"
#include "lib/engine/runner.h"

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

int mt_results_mkdir(const char *root, const char *job, time_t started, char *buf, size_t len)
{
	char stamp[32], name[MT_JOB_NAME_LEN];
	struct tm tm;

	gmtime_r(&started, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%SZ", &tm);
	snprintf(name, sizeof(name), "%s", job);
	for (char *c = name; *c; c++)
		if (*c == '/' || *c == ' ' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '_';
	if (mkdir(root, 0755) && errno != EEXIST)
		return -errno;
	for (int i = 1; i < 1000; i++) {
		int n = i == 1 ? snprintf(buf, len, "%s/%s-%s", root, stamp, name) :
				 snprintf(buf, len, "%s/%s-%s-%d", root, stamp, name, i);

		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		/* mkdir is the test: a name another run took in between fails here */
		if (!mkdir(buf, 0755))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
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
	static const char *const phases[] = { "start", "init", "running", "audit",
					      "teardown", "done", "error" };
	char rt[32] = "inf";

	if (job->runtime_ns)
		snprintf(rt, sizeof(rt), "%.10gs", (double)job->runtime_ns / 1e9);
	if (final)
		ops_rate = el > 0 ? (double)mt_ops_total(r) / el : 0;
	fprintf(o->out, "%s[%s] %6.1fs/%s  %9.0f ops/s%s  races %llu  leaks %llu  %s%s",
		o->tty ? "\r" : "", job->name, el, rt, ops_rate, final ? " mean" : "",
		(unsigned long long)mt_races_total(r), (unsigned long long)mt_leaks_total(r),
		r->phase < ARRAY_SIZE(phases) ? phases[r->phase] : "?",
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

int mt_run_job(struct mt_job *job, struct mt_region *r, const struct mt_run_opts *o,
	       struct mt_result *res)
{
	const uint64_t hang = job->hang_grace_ns;	/* 0: no watchdog */
	uint64_t t0, last_ops = 0, last_t, next_line, last_move, end_by = UINT64_MAX;
	uint64_t stop_by = UINT64_MAX;
	struct progress_mark mark = { 0 };
	sigset_t stops, mask;
	bool cancel_sent = false;
	int status = 0, rc;
	pid_t pid;
	time_t now = time(NULL);
	struct tm tm;
	FILE *pf;
	char *ptext = NULL, dir[PATH_MAX] = "", rt[32];
	size_t plen = 0;

	memset(res, 0, sizeof(*res));
	gmtime_r(&now, &tm);
	strftime(res->started, sizeof(res->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!job->seed)
		job->seed = mt_seed_random();
	mt_region_reset(r);

	pf = open_memstream(&ptext, &plen);
	if (pf) {
		mt_placement_print(&job->plan, job->threads, pf);
		fclose(pf);
		snprintf(res->placement, sizeof(res->placement), "%s", ptext ? ptext : "");
		free(ptext);
	}
	runtime_str(job, rt, sizeof(rt));
	if (o->out) {
		fprintf(o->out, "job %s: workload %s, %u thread%s, rcu %s, runtime %s, seed %llu, expect %s%s%s\n",
			job->name, job->wl->name, job->threads, job->threads == 1 ? "" : "s",
			mt_rcu_flavor_name(job->rcu), rt, (unsigned long long)job->seed,
			job->expect == MT_JOB_EXPECT_DETECT ? "detect" : "clean",
			job->bugs_spec[0] ? ", bugs " : "", job->bugs_spec);
		fputs(res->placement, o->out);
		fflush(o->out);
	}

	/* the results directory first, named by the start: no run whose results are lost */
	if (o->results_dir) {
		snprintf(dir, sizeof(dir), "%s", o->results_dir);
	} else if (o->results_root &&
		   (rc = mt_results_mkdir(o->results_root, job->name, now, dir, sizeof(dir)))) {
		snprintf(res->error, sizeof(res->error), "cannot create a results directory in %s: %s",
			 o->results_root, strerror(-rc));
		harness_message(o, job, res->error);
		dir[0] = '\0';
		goto judge;
	}

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
	if (pid < 0) {
		snprintf(res->error, sizeof(res->error), "fork: %s", strerror(errno));
		goto judge;
	}

	t0 = last_t = last_move = mt_now_ns();
	next_line = t0 + o->progress_ns;
	if (job->runtime_ns && hang)
		end_by = t0 + job->runtime_ns + hang;
	for (;;) {
		struct timespec ts = { 0, (long)POLL_NS };
		pid_t w = waitpid(pid, &status, WNOHANG);
		uint64_t now_ns;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(res->error, sizeof(res->error), "waitpid: %s", strerror(errno));
			break;
		}
		nanosleep(&ts, NULL);
		now_ns = mt_now_ns();
		if (o->tick)
			o->tick(o->tick_arg, r, pid);
		if (o->cancel && *o->cancel && !cancel_sent) {
			/* partial only if the workers had not reached the end of the runtime
			 * (read before the signal: the child may stop at once) */
			res->cancelled = !__atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
			kill(pid, SIGTERM);
			cancel_sent = true;
			if (hang)
				stop_by = now_ns + hang;
		}
		if (moved(&mark, r))
			last_move = now_ns;
		if (!res->hung && hang) {
			char h[32];

			mt_format_time(hang, h, sizeof(h));
			if (now_ns - last_move >= hang)
				snprintf(res->hang, sizeof(res->hang), "no progress for %s", h);
			else if (now_ns >= end_by)
				snprintf(res->hang, sizeof(res->hang), "still running %s after its runtime of %s",
					 h, rt);
			else if (now_ns >= stop_by)
				snprintf(res->hang, sizeof(res->hang), "not stopped %s after the cancel", h);
			if (res->hang[0]) {
				res->hung = true;
				kill(pid, SIGKILL);
			}
		}
		if (o->out && (o->tty || (o->progress_ns && now_ns >= next_line))) {
			uint64_t ops = mt_ops_total(r);
			double dt = (double)(now_ns - last_t) / 1e9;

			if (o->tty && now_ns - last_t < 500000000ull)
				continue;
			progress(o, job, r, dt > 0 ? (double)(ops - last_ops) / dt : 0, false);
			last_ops = ops;
			last_t = now_ns;
			next_line = now_ns + o->progress_ns;
		}
	}
	if (o->out && o->tty)
		progress(o, job, r, 0, true);
	/* a kernel job that died: its knobs restored, its segments removed, from its journal */
	kj_recover(pid, stderr);

	if (WIFSIGNALED(status)) {
		res->term_signal = WTERMSIG(status);
		if (!res->hung) {
			/* the parent records the crash: the child cannot */
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
judge:
	mt_result_snapshot(res, job, r);
	mt_result_judge(res, job);
	rc = mt_verdict_exit(res->verdict);

	if (dir[0]) {
		int err = mt_result_write_dir(res, dir);

		if (err) {
			char msg[PATH_MAX + 64];

			snprintf(msg, sizeof(msg), "cannot write the results to %s: %s", dir,
				 strerror(-err));
			harness_message(o, job, msg);
			res->dir[0] = '\0';
			rc = MT_EXIT_HARNESS;
		}
	}
	if (o->out) {
		fprintf(o->out, "[%s] %s: %s\n", job->name, mt_verdict_name(res->verdict), res->why);
		if (res->dir[0])
			fprintf(o->out, "[%s] results in %s\n", job->name, res->dir);
		fflush(o->out);
	}
	return rc;
}
