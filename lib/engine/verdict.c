// SPDX-License-Identifier: GPL-2.0-only
/*
 * verdict.c - what a run found: a snapshot of its counters, and the
 * verdict against its expectation; see result.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched.h"
#include "lib/engine/result.h"
#include "lib/engine/values.h"

#define PLURAL(n)	((n) == 1 ? "" : "s")

static const char *const verdict_names[MT_NVERDICTS] = {
	[MT_V_PASS] = "PASS",
	[MT_V_DETECTED] = "DETECTED",
	[MT_V_MISSED] = "MISSED",
	[MT_V_FAIL] = "FAIL",
	[MT_V_INCONCLUSIVE] = "INCONCLUSIVE",
	[MT_V_ERROR] = "ERROR",
};

const char *mt_verdict_name(enum mt_verdict v)
{
	return (unsigned int)v < MT_NVERDICTS ? verdict_names[v] : "?";
}

int mt_verdict_lookup(const char *name)
{
	for (int i = 0; i < MT_NVERDICTS; i++)
		if (!strcmp(verdict_names[i], name))
			return i;
	return -1;
}

int mt_verdict_exit(enum mt_verdict v)
{
	switch (v) {
	case MT_V_PASS:
	case MT_V_DETECTED:
		return MT_EXIT_OK;
	case MT_V_ERROR:
		return MT_EXIT_HARNESS;
	default:
		return MT_EXIT_EXPECT;
	}
}

void mt_result_snapshot(struct mt_result *res, const struct mt_job *job,
			const struct mt_region *r)
{
	uint64_t end = __atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
	uint32_t nc, nw;
	uint64_t ne;

	snprintf(res->job, sizeof(res->job), "%s", job->name);
	snprintf(res->workload, sizeof(res->workload), "%s", job->wl->name);
	snprintf(res->file, sizeof(res->file), "%s", job->file);
	res->line = job->line;
	res->seed = r->seed ? r->seed : job->seed;
	snprintf(res->rcu, sizeof(res->rcu), "%s", mt_rcu_flavor_name(mt_job_rcu(job)));
	res->threads = job->threads;
	res->runtime_s = (double)job->runtime_ns / 1e9;
	res->delay = job->inject.delay_prob;
	res->sync_delay = mt_inject_sync_prob(&job->inject);
	snprintf(res->bugs, sizeof(res->bugs), "%s", job->bugs_spec);
	res->expect_detect = job->expect == MT_JOB_EXPECT_DETECT;
	snprintf(res->nodes, sizeof(res->nodes), "%s", job->nodes);
	snprintf(res->mix, sizeof(res->mix), "%s", job->mix_spec);
	if (end)
		res->elapsed_s = (double)end / 1e9;
	else if (r->t_start_ns && r->phase >= MT_PHASE_RUNNING)
		res->elapsed_s = (double)(mt_now_ns() - r->t_start_ns) / 1e9;

	for (int c = 0; c < MT_NCOUNTERS; c++) {
		uint64_t f = __atomic_load_n(&r->first_ns[c], __ATOMIC_RELAXED);

		res->counters[c] = mt_counter_read(r, c);
		res->first_s[c] = f ? (double)f / 1e9 : -1;
	}
	res->nroles = job->mix.nroles;
	for (unsigned int i = 0; i < res->nroles && i < MT_MAX_OPS; i++) {
		snprintf(res->roles[i], MT_NAME_LEN, "%s", job->wl->roles[i]);
		res->weight[i] = job->mix.weight[i];
		res->ops[i] = mt_ops_read(r, i);
	}
	res->nnodes = job->plan.nnodes;
	for (int k = 0; k < job->plan.nnodes; k++) {
		res->node_id[k] = job->plan.nodes[k];
		res->node_ops[k] = 0;
		for (unsigned int i = 0; i < res->nroles; i++)
			res->node_ops[k] += mt_ops_read_node(r, i, job->plan.nodes[k]);
	}
	nc = __atomic_load_n(&r->ncaches, __ATOMIC_ACQUIRE);
	res->ncaches = nc < MT_MAX_CACHES ? nc : MT_MAX_CACHES;
	for (unsigned int i = 0; i < res->ncaches; i++) {
		struct mt_result_cache *c = &res->caches[i];

		snprintf(c->name, sizeof(c->name), "%s", r->caches[i].name);
		c->typesafe = r->caches[i].typesafe;
		c->live = mt_cache_live(r, i);
		c->allocs = mt_cache_allocs(r, i);
		c->remote_frees = mt_cache_remote_frees(r, i);
		c->leaked = r->caches[i].leaked;
	}
	nw = __atomic_load_n(&r->nwindows, __ATOMIC_ACQUIRE);
	res->nwindows = nw < MT_MAX_WINDOWS ? nw : MT_MAX_WINDOWS;
	for (unsigned int i = 0; i < res->nwindows; i++) {
		snprintf(res->windows[i].name, sizeof(res->windows[i].name), "%s",
			 r->windows[i].name);
		res->windows[i].hits = __atomic_load_n(&r->windows[i].hits, __ATOMIC_RELAXED);
		/* coverage: passes and overlaps per window (inject.h) */
		res->windows[i].passes = mt_window_passes(r, i);
		res->windows[i].overlaps = __atomic_load_n(&r->windows[i].overlaps, __ATOMIC_RELAXED);
		res->windows[i].required = r->windows[i].required;
	}
	ne = __atomic_load_n(&r->nevents, __ATOMIC_ACQUIRE);
	res->nevents_total = ne;
	res->nevents = 0;
	for (uint64_t i = 0; i < ne && i < MT_MAX_EVENTS; i++) {
		const struct mt_event *ev = &r->events[i];
		struct mt_result_event *e;

		if (!__atomic_load_n(&ev->ready, __ATOMIC_ACQUIRE))
			continue;
		e = &res->events[res->nevents++];
		e->t_s = (double)ev->t_ns / 1e9;
		snprintf(e->kind, sizeof(e->kind), "%s", mt_counter_name(ev->kind));
		snprintf(e->where, sizeof(e->where), "%s", ev->where);
		snprintf(e->what, sizeof(e->what), "%s", ev->what);
		e->thread = ev->thread;
	}
	{
		const struct mt_region_runs *R = &r->runs;

		res->runs.planned = R->planned;
		res->runs.done = R->done;
		res->runs.mode = R->mode;
		res->runs.depth = R->depth;
		res->runs.k = R->k;
		res->runs.detected = R->detected;
		res->runs.problems = R->problems;
		res->runs.hit_bound = R->hit_bound;
		res->runs.deadlocks = R->deadlocks;
		res->runs.crashed = R->crashed;
		res->runs.steps_min = R->steps_min;
		res->runs.steps_max = R->steps_max;
		res->runs.steps_sum = R->steps_sum;
		res->runs.preemptions_sum = R->preemptions_sum;
		res->runs.pairs_max = R->pairs_max;
		res->runs.nrecs = R->nrecs < MT_RUN_RECS ? R->nrecs : MT_RUN_RECS;
		memcpy(res->runs.recs, R->recs, res->runs.nrecs * sizeof(R->recs[0]));
	}
	snprintf(res->unmet, sizeof(res->unmet), "%s", r->unmet);
	snprintf(res->note, sizeof(res->note), "%s", r->note);
	if (r->phase == MT_PHASE_ERROR && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", r->error);
}

/* Did counter @c fire?  leaked_objects{cache} looks at that cache only. */
static bool res_fired(void *arg, enum mt_counter c, const char *cache, double *first_s)
{
	const struct mt_result *res = arg;

	*first_s = res->first_s[c];
	if (c == MT_LEAKED_OBJECTS && cache) {
		for (unsigned int i = 0; i < res->ncaches; i++)
			if (!strcmp(res->caches[i].name, cache) && res->caches[i].leaked)
				return true;
		return false;
	}
	return res->counters[c] > 0;
}

static uint64_t problems(const struct mt_result *res)
{
	uint64_t n = 0;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO)
			n += res->counters[c];
	return n;
}

/* The time of the first race or leak, -1 if none; its counter in @which. */
double mt_result_first_problem(const struct mt_result *res, int *which)
{
	double first = -1;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && res->first_s[c] >= 0 &&
		    (first < 0 || res->first_s[c] < first)) {
			first = res->first_s[c];
			if (which)
				*which = c;
		}
	return first;
}

static void list_fired(const struct mt_result *res, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < MT_NCOUNTERS && off < len; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && res->counters[c])
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%llu", off ? ", " : "",
						mt_counter_name(c),
						(unsigned long long)res->counters[c]);
}

/* "cancelled after 1.2s of 30s: partial results" */
static void cancelled_why(const struct mt_result *res, const struct mt_job *job, char *buf,
			  size_t len)
{
	char rt[32];

	mt_format_time(job->runtime_ns, rt, sizeof(rt));
	snprintf(buf, len, "cancelled after %.1fs of %s: partial results", res->elapsed_s, rt);
}

/* How the job ended, when it was not by itself: a hang or a signal; "" if it was. */
static void abnormal_end(const struct mt_result *res, char *buf, size_t len)
{
	buf[0] = '\0';
	if (res->hung)
		snprintf(buf, len, "hung: %s, killed%s%.120s%s", res->hang,
			 res->error[0] ? " (" : "", res->error, res->error[0] ? ")" : "");
	else if (res->term_signal)
		snprintf(buf, len, "the job process died of signal %d (%s)", res->term_signal,
			 strsignal(res->term_signal));
}

/* The workload's note, after the verdict's sentence. */
static void add_note(struct mt_result *res)
{
	size_t off = strlen(res->why);

	if (res->note[0] && off + 3 < sizeof(res->why))
		snprintf(res->why + off, sizeof(res->why) - off, "; %s", res->note);
}

/* The first recorded run with @flag, or NULL. */
static const struct mt_run_rec *first_run_with(const struct mt_result *res, uint32_t flag)
{
	for (unsigned int i = 0; i < res->runs.nrecs; i++)
		if (res->runs.recs[i].flags & flag)
			return &res->runs.recs[i];
	return NULL;
}

/* "run 12 (seed 4711) at step 803" */
static void run_where(const struct mt_run_rec *rec, char *buf, size_t len)
{
	if (!rec)
		snprintf(buf, len, "(not recorded)");
	else if (rec->first_step)
		snprintf(buf, len, "run %u (seed %llu) at step %llu", rec->run,
			 (unsigned long long)rec->seed, (unsigned long long)rec->first_step);
	else
		snprintf(buf, len, "run %u (seed %llu)%s", rec->run, (unsigned long long)rec->seed,
			 rec->flags & MT_RUN_CRASHED ? ", which crashed" : "");
}

double mt_result_pct_bound(const struct mt_result *res, unsigned int nthreads)
{
	double n = nthreads + 1;	/* the workers and the RCU callback thread */

	if (res->runs.mode != MT_SCHED_PCT || !res->runs.k)
		return -1;
	return 1.0 / (n * pow((double)res->runs.k, (double)res->runs.depth - 1));
}

/*
 * The verdict of a job of several runs: DETECTED when a run met the
 * expectation, FAIL when a clean job's run counted a race or leak; each
 * naming the run, so that it can be replayed.
 */
static bool judge_runs(struct mt_result *res, const struct mt_job *job, const char *fired)
{
	const struct mt_run_rec *first;
	double share, bound = mt_result_pct_bound(res, job->threads);
	char where[96], pct[96] = "";
	unsigned int done = res->runs.done;

	if (!res->runs.planned)
		return false;
	if (bound >= 0)
		snprintf(pct, sizeof(pct), "; PCT's bound for depth %u: %.3g%%", res->runs.depth,
			 100 * bound);
	if (job->expect == MT_JOB_EXPECT_DETECT) {
		first = first_run_with(res, MT_RUN_DETECTED);
		share = done ? 100.0 * res->runs.detected / done : 0;
		run_where(first, where, sizeof(where));
		if (res->runs.detected) {
			res->verdict = MT_V_DETECTED;
			res->detect_s = res->elapsed_s;
			res->first_detect_s = res->elapsed_s;
			snprintf(res->why, sizeof(res->why), "detected in %u of %u runs (%.1f%%%s), first in "
				 "%s: %s", res->runs.detected, done, share, pct, where, fired);
		} else {
			res->verdict = res->cancelled && job->runtime_ns ? MT_V_INCONCLUSIVE : MT_V_MISSED;
			snprintf(res->why, sizeof(res->why), "no run of %u met the expectation%s%s%s", done,
				 fired[0] ? " (fired: " : "", fired, fired[0] ? ")" : "");
		}
		return true;
	}
	if (res->runs.problems) {
		first = first_run_with(res, MT_RUN_PROBLEM);
		run_where(first, where, sizeof(where));
		res->verdict = MT_V_FAIL;
		snprintf(res->why, sizeof(res->why), "races or leaks in %u of %u runs, first in %s: %s "
			 "(mmtorture replay RESULTS --run %u)", res->runs.problems, done, where, fired,
			 first ? first->run : 0);
		return true;
	}
	return false;	/* clean so far: the coverage checks of every job follow */
}

/*
 * coverage: delays at the protocols' named windows (not the generic sync
 * points) during which another thread freed an object (inject.h): a
 * lookup that overlapped a free, seen by the injection itself.
 */
static uint64_t window_overlaps(const struct mt_result *res)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < res->nwindows; i++)
		if (strncmp(res->windows[i].name, "sync-", 5))
			n += res->windows[i].overlaps;
	return n;
}

void mt_result_judge(struct mt_result *res, const struct mt_job *job)
{
	char fired[200], end[272], cancel[96];
	/* cancelled before its runtime ended; runtime=0 runs until cancelled */
	bool partial = res->cancelled && job->runtime_ns;
	double first = -1;

	list_fired(res, fired, sizeof(fired));
	abnormal_end(res, end, sizeof(end));
	cancelled_why(res, job, cancel, sizeof(cancel));
	res->detect_s = -1;
	res->first_detect_s = -1;

	if (res->error[0] && !end[0]) {
		res->verdict = MT_V_ERROR;
		snprintf(res->why, sizeof(res->why), "harness error: %s", res->error);
		return;
	}
	if (!end[0] && judge_runs(res, job, fired)) {
		add_note(res);
		return;
	}
	if (job->expect == MT_JOB_EXPECT_DETECT) {
		double met_at;
		int met = mt_bugs_expectation(job->bugs, MT_EXPECT_EVERY, res_fired, res, &first,
					      &met_at);

		res->first_detect_s = first;
		if (met == 1) {
			/* every counter keeps the time it first fired: no time is a lost one */
			res->detect_s = met_at >= 0 ? met_at : res->elapsed_s;
			res->verdict = MT_V_DETECTED;
			snprintf(res->why, sizeof(res->why), "detected in %.3fs (first counter at %.3fs): %s%s%s",
				 res->detect_s, first, fired, end[0] ? "; then " : "", end);
			add_note(res);
		} else if (partial && !end[0]) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "%s; the expectation was not met yet%s%s",
				 cancel, fired[0] ? ": fired " : "", fired);
		} else {
			res->verdict = MT_V_MISSED;
			snprintf(res->why, sizeof(res->why), "%s%s%s%s%s",
				 end, end[0] ? " before detection; " : "",
				 first >= 0 ? "only part of the expectation fired: " :
					      "the expected counters did not fire",
				 fired[0] && first < 0 ? "; fired: " : "", fired);
		}
		return;
	}

	/* expect=clean: no detection, and any race or leak is a failure */
	if (problems(res) || end[0]) {
		res->verdict = MT_V_FAIL;
		if (end[0])
			snprintf(res->why, sizeof(res->why), "%s%s%s", end, fired[0] ? "; " : "", fired);
		else
			snprintf(res->why, sizeof(res->why), "races or leaks in a clean job: %s", fired);
		add_note(res);
		return;
	}
	if (partial) {
		res->verdict = MT_V_INCONCLUSIVE;
		snprintf(res->why, sizeof(res->why), "%s (no race, no leak so far)", cancel);
		return;
	}
	for (unsigned int i = 0; i < res->nroles; i++)
		if (res->weight[i] && !res->ops[i]) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "role %s never ran", res->roles[i]);
			return;
		}
	if (job->wl->need_overlap && job->threads > 1 && !res->counters[MT_OVERLAPS] &&
	    !window_overlaps(res)) {
		res->verdict = MT_V_INCONCLUSIVE;
		snprintf(res->why, sizeof(res->why),
			 "no lookup ever overlapped a replace or free (overlaps=0)");
		return;
	}
	/* coverage: a protocol step the workload's roles must reach (inject.h) */
	for (unsigned int i = 0; i < res->nwindows; i++)
		if (res->windows[i].required && !res->windows[i].passes) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "protocol step %s never reached",
				 res->windows[i].name);
			return;
		}
	if (res->unmet[0]) {
		res->verdict = MT_V_INCONCLUSIVE;
		snprintf(res->why, sizeof(res->why), "coverage not reached: %s", res->unmet);
		add_note(res);
		return;
	}
	res->verdict = MT_V_PASS;
	{
		uint64_t ops = 0;

		for (unsigned int i = 0; i < res->nroles; i++)
			ops += res->ops[i];
		snprintf(res->why, sizeof(res->why),
			 "no race, no leak in %llu op%s, %llu audit%s, %llu overlap%s%s",
			 (unsigned long long)ops, PLURAL(ops),
			 (unsigned long long)res->counters[MT_AUDITS], PLURAL(res->counters[MT_AUDITS]),
			 (unsigned long long)res->counters[MT_OVERLAPS],
			 PLURAL(res->counters[MT_OVERLAPS]),
			 res->cancelled ? " (until cancelled)" : "");
		if (res->runs.planned) {
			size_t off = strlen(res->why);

			snprintf(res->why + off, sizeof(res->why) - off,
				 "; %u runs%s%s, %llu..%llu steps each (%llu at their bound), %llu "
				 "preemptions, %llu point pairs in a run at most",
				 res->runs.done, res->runs.mode ? " under " : "",
				 res->runs.mode ? mt_sched_mode_name(res->runs.mode) : "",
				 (unsigned long long)res->runs.steps_min,
				 (unsigned long long)res->runs.steps_max,
				 (unsigned long long)res->runs.hit_bound,
				 (unsigned long long)res->runs.preemptions_sum,
				 (unsigned long long)res->runs.pairs_max);
		}
	}
	add_note(res);
}

