/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * runner.h - running a job in a child process, so that a job that dies
 * (as injected bugs may make it) is recorded as a crash and the next one
 * runs.  The counters live in a region of shared memory: the parent
 * reads them live (progress, the daemon's status), and still has them
 * when the child is gone.
 *
 * Used by `mmtorture run` and by each job of the daemon.
 */
#ifndef MT_RUNNER_H
#define MT_RUNNER_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "lib/engine/job.h"
#include "lib/engine/result.h"

struct mt_run_opts {
	const char *results_root;	/* results/<date>-<job>/ under it; NULL: no files */
	const char *results_dir;	/* or exactly this directory */
	const char *job_src;		/* the job as a file of its own: kept as job.ini, for replay */
	FILE *out;			/* plan, progress, verdict line; NULL: silent */
	bool tty;			/* a live progress line, redrawn in place */
	uint64_t progress_ns;		/* otherwise one line this often; 0: none */
	volatile sig_atomic_t *cancel;	/* non-zero: stop the job gracefully */
	/* called about every 100 ms with the live region, for the daemon */
	void (*tick)(void *arg, const struct mt_region *r, pid_t child);
	void *tick_arg;
};

/**
 * mt_run_job - run @job in a child process and judge it
 * @r: a shared region (mt_region_create(true)); reused job after job
 * @res: the result, whatever happened (also when its files are lost)
 *
 * The seed is drawn here when the job has none, so that it is printed
 * before the run.  The results directory is made before the job starts:
 * when it cannot be, the job does not run (verdict ERROR).  Messages
 * about results that cannot be kept go to stderr, whatever @o->out, and
 * to @res->files_error.
 *
 * Context: a process with no RCU thread registered, SIGCHLD not ignored.
 * Return: the exit category of the verdict (result.h), or MT_EXIT_HARNESS
 * when the results could not be written.
 */
int mt_run_job(struct mt_job *job, struct mt_region *r, const struct mt_run_opts *o,
	       struct mt_result *res);

/*
 * mt_runner_child_signals - signals in a process that runs a job, or
 * supervises one: SIGTERM and SIGINT call @on_stop (stop gracefully);
 * SIGHUP, SIGUSR2 and SIGPIPE are the parent's business and ignored;
 * every signal is unblocked.  @pdeathsig: what the process gets when its
 * parent dies, so that no job outlives the daemon or the runner.
 */
void mt_runner_child_signals(void (*on_stop)(int), int pdeathsig);

/*
 * mt_runs_trace_print - the steps of @R's trace, the @last of them (0:
 * all), one a line: step, thread, point, name, object, preemption.
 */
void mt_runs_trace_print(const struct mt_region_runs *R, unsigned int last, FILE *f);

#endif /* MT_RUNNER_H */
