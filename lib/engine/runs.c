// SPDX-License-Identifier: GPL-2.0-only
/*
 * runs.c - a job as many short runs; see runs.h.
 *
 * Each run is a fork of the job process, so that it starts from the same
 * state every time (a replay of run k alone starts where run k of the
 * whole job did), and so that a run that deadlocks, crashes or loses its
 * way ends alone.  The run's child builds its world from the run's seed,
 * runs it (free, or under the controlled scheduler), and records what it
 * found in the counter region's runs block: its counts as a digest, the
 * step of its first race or leak, whether it met the job's expectation,
 * and, for the first run that counted a race or leak, the last steps
 * before it and the schedule up to it.  The job process reads the block
 * between runs only, when no child runs.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bugs.h"
#include "core/prng.h"
#include "lib/engine/runs.h"

/* The counts a run changes, read before and after it. */
struct counts {
	uint64_t c[MT_NCOUNTERS];
	uint64_t ops[MT_MAX_OPS];
	uint64_t leaked[MT_MAX_CACHES];
};

static void read_counts(const struct mt_region *r, struct counts *k)
{
	for (int c = 0; c < MT_NCOUNTERS; c++)
		k->c[c] = mt_counter_read(r, c);
	for (unsigned int i = 0; i < MT_MAX_OPS; i++)
		k->ops[i] = mt_ops_read(r, i);
	for (unsigned int i = 0; i < MT_MAX_CACHES; i++)
		k->leaked[i] = r->caches[i].leaked;
}

struct delta {
	const struct mt_region *r;
	struct counts before, after;
};

/* Did counter @c fire in this run?  (leaked_objects{cache}: of that cache.) */
static bool delta_fired(void *arg, enum mt_counter c, const char *cache, double *first_s)
{
	const struct delta *d = arg;

	*first_s = -1;
	if (c == MT_LEAKED_OBJECTS && cache) {
		for (unsigned int i = 0; i < MT_MAX_CACHES && i < d->r->ncaches; i++)
			if (!strcmp(d->r->caches[i].name, cache) && d->after.leaked[i] > d->before.leaked[i])
				return true;
		return false;
	}
	return d->after.c[c] > d->before.c[c];
}

/* The run's counts as one number: equal for runs that counted alike. */
static uint64_t digest(const struct delta *d)
{
	uint64_t h = 1469598103934665603ull;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO)
			h = (h ^ (d->after.c[c] - d->before.c[c])) * 1099511628211ull;
	for (unsigned int i = 0; i < MT_MAX_OPS; i++)
		h = (h ^ (d->after.ops[i] - d->before.ops[i])) * 1099511628211ull;
	return h;
}

uint64_t mt_run_seed(uint64_t seed, unsigned int k)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull * ((uint64_t)k + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

/* What the run being recorded is, in its own process. */
static struct {
	struct mt_region *r;
	struct mt_job *job;
	unsigned int k;
	uint64_t seed;
	struct delta d;
	struct mt_sched_report rep;
} cur;

/* Keep the trace and the schedule of the first run that counted a problem. */
static void keep_trace(struct mt_region_runs *R, const struct mt_sched_report *rep, unsigned int k)
{
	unsigned int from = rep->ntrace > MT_RUN_TRACE ? rep->ntrace - MT_RUN_TRACE : 0;

	R->trace_run = k;
	R->ntrace = 0;
	for (unsigned int i = from; i < rep->ntrace; i++) {
		const struct mt_sched_step *s = &rep->trace[i];
		struct mt_run_step *t = &R->trace[R->ntrace++];

		*t = (struct mt_run_step){ .step = s->step, .thread = s->thread, .kind = s->kind,
					   .preempt = s->preempt, .obj = (uint64_t)(uintptr_t)s->obj };
		snprintf(t->name, sizeof(t->name), "%s", s->name ? s->name : "");
	}
	R->nswitches = 0;
	for (unsigned int i = 0; i < rep->nswitches && R->nswitches < MT_RUN_SWITCHES; i++) {
		if (rep->first_problem_step && rep->switch_log[i].step > rep->first_problem_step)
			break;
		const struct mt_sched_switch *sw = &rep->switch_log[i];
		struct mt_run_switch *to = &R->switches[R->nswitches++];

		*to = (struct mt_run_switch){ .step = sw->step, .to = sw->to, .from = sw->from,
					      .kind = sw->kind, .preempt = sw->preempt };
		snprintf(to->name, sizeof(to->name), "%s", sw->name ? sw->name : "");
	}
}

/* The run is over (or deadlocked, @flags saying so): fold it into the runs block. */
static void record(uint32_t flags)
{
	struct mt_region_runs *R = &cur.r->runs;
	const struct mt_sched_report *rep = &cur.rep;
	bool detect = cur.job->expect == MT_JOB_EXPECT_DETECT;
	struct mt_run_rec rec;

	read_counts(cur.r, &cur.d.after);
	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && cur.d.after.c[c] > cur.d.before.c[c])
			flags |= MT_RUN_PROBLEM;
	if (detect && mt_bugs_expectation(cur.job->bugs, MT_EXPECT_EVERY, delta_fired, &cur.d,
					  NULL, NULL) == 1)
		flags |= MT_RUN_DETECTED;
	flags |= rep->hit_bound ? MT_RUN_HIT_BOUND : 0;
	rec = (struct mt_run_rec){ .run = cur.k, .flags = flags, .seed = cur.seed,
				   .steps = rep->steps, .preemptions = rep->preemptions,
				   .first_step = rep->first_problem_step, .digest = digest(&cur.d) };
	R->done++;
	R->detected += !!(flags & MT_RUN_DETECTED);
	R->problems += !!(flags & MT_RUN_PROBLEM);
	R->hit_bound += !!(flags & MT_RUN_HIT_BOUND);
	R->deadlocks += !!(flags & MT_RUN_DEADLOCK);
	if (R->done == 1 || rep->steps < R->steps_min)
		R->steps_min = rep->steps;
	if (rep->steps > R->steps_max)
		R->steps_max = rep->steps;
	R->steps_sum += rep->steps;
	R->preemptions_sum += rep->preemptions;
	if (rep->pairs > R->pairs_max)
		R->pairs_max = rep->pairs;
	if (R->nrecs < MT_RUN_RECS && (flags & (MT_RUN_DETECTED | MT_RUN_PROBLEM) || R->done == 1))
		R->recs[R->nrecs++] = rec;
	if ((flags & MT_RUN_PROBLEM) && !R->ntrace && rep->ntrace)
		keep_trace(R, rep, cur.k);
}

/*
 * The run's watchdog, on a thread of its own that the scheduler does not
 * run: a scheduled run whose step count stands still for a third of the
 * job's hang_timeout has a thread waiting where the scheduler cannot see
 * it (a spin or a sleep on something no wrapper reports), and would never
 * end.  It ends as a harness error naming the run, the step, the thread
 * and its last point, the place to make visible; the runner's own
 * watchdog, which would see the job hang later, never has to.
 */
static void *stall_watch(void *arg)
{
	unsigned int bound = (unsigned int)(cur.job->hang_grace_ns / 3000000000ull);
	uint64_t last = UINT64_MAX;
	unsigned int still = 0;

	(void)arg;
	if (!bound)
		bound = 1;
	for (;;) {
		struct timespec one = { .tv_sec = 1 };
		uint64_t step;
		const char *name;
		int who;

		nanosleep(&one, NULL);
		step = mt_sched_step();
		if (step != last) {
			last = step;
			still = 0;
			continue;
		}
		if (++still < bound)
			continue;
		who = mt_sched_running(&name);
		snprintf(cur.r->error, sizeof(cur.r->error),
			 "run %u (seed %llu) stalled: no scheduling point for %u s after step %llu, "
			 "thread %d last at '%s' (a wait the scheduler does not see)", cur.k,
			 (unsigned long long)cur.seed, bound, (unsigned long long)step, who,
			 name ? name : "?");
		__atomic_store_n(&cur.r->phase, MT_PHASE_ERROR, __ATOMIC_RELEASE);
		_exit(3);
	}
	return NULL;
}

static void on_deadlock(void)
{
	mt_sched_snapshot(&cur.rep);
	record(MT_RUN_DEADLOCK);
	_exit(5);
}

/* Run @k in a child.  Return: 0, or -1 on a harness error (said in @r). */
static int one_run(struct mt_job *job, struct mt_region *r, unsigned int k, bool scheduled)
{
	struct mt_region_runs *R = &r->runs;
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(r->error, sizeof(r->error), "run %u: fork: %s", k, strerror(errno));
		__atomic_store_n(&r->phase, MT_PHASE_ERROR, __ATOMIC_RELEASE);
		return -1;
	}
	if (pid == 0) {
		pthread_t watch;
		int rc;

		/* the run dies with the job process, as the job process with its runner */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(3);
		memset(&cur, 0, sizeof(cur));
		cur.r = r;
		cur.job = job;
		cur.k = k;
		cur.seed = mt_run_seed(job->seed, k);
		cur.d.r = r;
		read_counts(r, &cur.d.before);
		mt_sched_deadlock_hook = on_deadlock;
		if (scheduled && job->hang_grace_ns && pthread_create(&watch, NULL, stall_watch, NULL))
			_exit(3);
		rc = mt_run_world(job, r, cur.seed, scheduled, &cur.rep);
		record(0);
		free(cur.rep.switch_log);
		_exit(rc ? 3 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		/* the run's process died: a crash of that run, counted here */
		struct mt_run_rec rec = { .run = k, .flags = MT_RUN_CRASHED | MT_RUN_PROBLEM,
					  .seed = mt_run_seed(job->seed, k) };

		mt_report(MT_CRASH, "runs", "run %u (seed %llu) died of signal %d (%s)", k,
			  (unsigned long long)rec.seed, WTERMSIG(status), strsignal(WTERMSIG(status)));
		R->done++;
		R->crashed++;
		R->problems++;
		if (R->nrecs < MT_RUN_RECS)
			R->recs[R->nrecs++] = rec;
		return 0;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? -1 : 0;
}

/* PCT's k, when the job gives none: the steps of a first run, with random choices. */
static int measure_k(struct mt_job *job, struct mt_region *r)
{
	struct mt_job probe = *job;
	struct mt_region_runs saved = r->runs;
	uint64_t steps;

	probe.sched = MT_SCHED_RANDOM;
	probe.expect = MT_JOB_EXPECT_CLEAN;
	if (one_run(&probe, r, UINT32_MAX - 1, true))
		return -1;
	steps = r->runs.steps_max;
	r->runs = saved;	/* the probe is no run of the job */
	job->pct_steps = steps ? steps : 1;
	return 0;
}

int mt_runs_execute(struct mt_job *job, struct mt_region *r)
{
	struct mt_region_runs *R = &r->runs;
	bool scheduled = job->sched != MT_SCHED_FREE;
	uint64_t t0 = mt_now_ns();

	if (scheduled && !job->run_ops)
		job->run_ops = MT_RUN_OPS_DEFAULT;
	memset(R, 0, sizeof(*R));
	R->mode = job->sched;
	R->depth = job->sched == MT_SCHED_PCT ? job->pct_depth : 0;
	R->planned = job->runs;
	if (job->sched == MT_SCHED_PCT && !job->pct_steps && measure_k(job, r))
		return -1;
	R->k = job->sched == MT_SCHED_PCT ? job->pct_steps : 0;
	for (unsigned int i = 0; i < job->runs; i++) {
		if (mt_job_stop_requested() || (job->runtime_ns && mt_now_ns() - t0 >= job->runtime_ns))
			break;
		if (one_run(job, r, job->first_run + i, scheduled))
			return -1;
		if (job->expect == MT_JOB_EXPECT_DETECT && job->stop_on_detect && R->detected)
			break;
	}
	__atomic_store_n(&r->t_end_ns, mt_now_ns() - r->t_start_ns, __ATOMIC_RELEASE);
	return 0;
}
