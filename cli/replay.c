// SPDX-License-Identifier: GPL-2.0-only
/*
 * replay.c - `mmtorture replay RESULTS_DIR`: run one run of a result
 * again, step for step, and say whether it reproduced; print the steps
 * before its first race or leak; shrink its schedule to fewer preemptions.
 *
 * A result of a job of scheduled runs keeps what replay needs: job.ini
 * (the job as it ran), and in metrics.json the job's seed, PCT's k and a
 * record of each run that detected or failed (its steps, the step of its
 * first race or leak, a digest of its counts).  Run k's seed is derived
 * from the job's, and its schedule from its seed: running the job with
 * first_run = k and one run gives run k again.
 *
 * Shrinking: the run's schedule is the list of its switches; a candidate
 * follows the list without some of its preemptions (GUIDED: otherwise the
 * running thread goes on), in a run of its own; a candidate that still
 * detects is kept.  Chunks are tried from halves down to single
 * preemptions, within --attempts runs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay.h"
#include "core/sched.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/placement.h"
#include "lib/engine/result.h"
#include "lib/engine/runner.h"
#include "lib/engine/values.h"

static int load(const char *dir, struct mt_topology *topo, struct mt_jobset *set,
		struct mt_result *res)
{
	struct mt_errors e = { 0 };
	char path[4096], err[256];
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	j = json_load_file(path, 0, &je);
	if (!j || mt_result_from_json(j, res)) {
		fprintf(stderr, "mmtorture replay: %s: %s\n", path, j ? "not a metrics.json of this "
			"version" : je.text);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	if (!res->runs.planned || res->runs.mode == MT_SCHED_FREE) {
		fprintf(stderr, "mmtorture replay: %s: its job ran free (sched=free): its "
			"interleaving was the machine's; runs under sched=pct or sched=random replay\n",
			dir);
		return -1;
	}
	if (mt_topology_load(topo, err, sizeof(err))) {
		fprintf(stderr, "mmtorture replay: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/job.ini", dir);
	if (mt_jobfile_load(path, topo, set, &e) || set->njobs != 1) {
		mt_errors_print(&e, stderr);
		if (!e.n)
			fprintf(stderr, "mmtorture replay: %s holds %d jobs, not one\n", path, set->njobs);
		return -1;
	}
	return 0;
}

/* The record of the run to replay: @k, or the first that detected, or failed. */
static const struct mt_run_rec *pick(const struct mt_result *res, long k)
{
	const struct mt_run_rec *r = NULL;

	for (unsigned int i = 0; i < res->runs.nrecs; i++) {
		const struct mt_run_rec *x = &res->runs.recs[i];

		if (k >= 0 ? x->run == k : (x->flags & (MT_RUN_DETECTED | MT_RUN_PROBLEM)) &&
		    (!r || ((x->flags & MT_RUN_DETECTED) && !(r->flags & MT_RUN_DETECTED))))
			r = x;
	}
	return r ? r : k < 0 && res->runs.nrecs ? &res->runs.recs[0] : NULL;
}

/* Run @rec's run of @job once; the region says what it did. */
static int run_once(struct mt_job *job, const struct mt_run_rec *rec, struct mt_region *region)
{
	struct mt_run_opts ro = { 0 };
	struct mt_result *out = calloc(1, sizeof(*out));
	struct mt_job j = *job;
	int rc;

	if (!out)
		return MT_EXIT_HARNESS;
	j.first_run = rec->run;
	j.runs = 1;
	rc = mt_run_job(&j, region, &ro, out);
	if (rc == MT_EXIT_HARNESS)
		fprintf(stderr, "mmtorture replay: the run could not run: %s\n", out->why);
	free(out);
	return rc == MT_EXIT_HARNESS ? rc : 0;
}

/* Did the region's one run detect (a detect job) or count a race or leak (a clean one)? */
static bool found(const struct mt_job *job, const struct mt_region *region)
{
	uint32_t want = job->expect == MT_JOB_EXPECT_DETECT ? MT_RUN_DETECTED : MT_RUN_PROBLEM;

	return region->runs.nrecs && (region->runs.recs[0].flags & want);
}

static unsigned int preemptions(const struct mt_sched_switch *s, unsigned int n)
{
	unsigned int p = 0;

	for (unsigned int i = 0; i < n; i++)
		p += s[i].preempt;
	return p;
}

/* The preemptions of the run just made, as it ran. */
static unsigned int run_preemptions(const struct mt_region_runs *R)
{
	unsigned int p = 0;

	for (unsigned int i = 0; i < R->nswitches; i++)
		p += R->switches[i].preempt;
	return p;
}

/* The switches of the run just made, as a guide: into @to.  Return: how many. */
static unsigned int take_schedule(struct mt_sched_switch *to, const struct mt_region_runs *R)
{
	for (unsigned int i = 0; i < R->nswitches; i++)
		to[i] = (struct mt_sched_switch){ .step = R->switches[i].step,
						  .to = R->switches[i].to,
						  .preempt = R->switches[i].preempt };
	return R->nswitches;
}

static void print_schedule(const struct mt_region_runs *R)
{
	for (unsigned int i = 0; i < R->nswitches; i++) {
		const struct mt_run_switch *s = &R->switches[i];

		if (s->preempt)
			printf("  step %llu: t%u preempted at %s %s, t%u runs\n",
			       (unsigned long long)s->step, s->from, mt_sched_kind_name(s->kind),
			       s->name, s->to);
	}
}

/*
 * Shrink @rec's schedule: drop chunks of its preemptions while a guided
 * run still finds the bug.  Return: the exit category.
 */
static int shrink(struct mt_job *job, const struct mt_run_rec *rec, struct mt_region *region,
		  unsigned int attempts)
{
	const struct mt_region_runs *R = &region->runs;
	/* room for any run's recorded schedule: a guided run may switch more often */
	struct mt_sched_switch *best = calloc(MT_RUN_SWITCHES, sizeof(*best));
	struct mt_sched_switch *cand = calloc(MT_RUN_SWITCHES, sizeof(*cand));
	unsigned int n, tried = 0, p0;

	if (!best || !cand)
		return MT_EXIT_HARNESS;
	n = take_schedule(best, R);
	p0 = preemptions(best, n);
	printf("shrinking: %u switches, %u of them preemptions, up to the first %s\n", n, p0,
	       job->expect == MT_JOB_EXPECT_DETECT ? "detection" : "race or leak");
	for (unsigned int chunk = p0 > 1 ? p0 / 2 : 1; chunk >= 1 && tried < attempts; chunk /= 2) {
		bool progress = true;

		while (progress && tried < attempts) {
			unsigned int p = preemptions(best, n);

			progress = false;
			for (unsigned int start = 0; start < p && tried < attempts; start += chunk) {
				unsigned int m = 0, seen = 0;

				/* the schedule without preemptions start..start+chunk-1 */
				for (unsigned int i = 0; i < n; i++) {
					if (best[i].preempt && seen++ >= start && seen <= start + chunk)
						continue;
					cand[m++] = best[i];
				}
				mt_sched_guide = cand;
				mt_sched_nguide = m;
				tried++;
				/*
				 * A guided run may preempt where the guide did not
				 * (a switch that was a block is one when the thread
				 * could now go on): keep the schedule as it ran, if it
				 * has fewer preemptions.
				 */
				if (run_once(job, rec, region) == 0 && found(job, region) &&
				    run_preemptions(R) < p) {
					n = take_schedule(best, R);
					progress = true;
					break;
				}
			}
		}
		if (chunk == 1)
			break;
	}
	/* the shrunk schedule once more, to print it as it ran */
	mt_sched_guide = best;
	mt_sched_nguide = n;
	run_once(job, rec, region);
	mt_sched_guide = NULL;
	mt_sched_nguide = 0;
	if (!found(job, region)) {
		printf("the shrunk schedule no longer finds it: the run is not deterministic\n");
		free(best);
		free(cand);
		return MT_EXIT_EXPECT;
	}
	if (!run_preemptions(R)) {
		/* nothing to print: each thread runs until it blocks or leaves */
		printf("a schedule of no preemption (from %u) still finds it, after %u runs: "
		       "the bug needs no preemption: threads that each run until they block or leave meet it\n",
		       p0, tried + 1);
	} else {
		printf("a schedule of %u preemption%s (from %u) still finds it, after %u runs:\n",
		       run_preemptions(R), run_preemptions(R) == 1 ? "" : "s", p0, tried + 1);
		print_schedule(R);
	}
	free(best);
	free(cand);
	return MT_EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mmtorture replay [--run K] [--trace N] [--shrink] [--attempts N] RESULTS_DIR\n"
		   "  run again one run of a job of scheduled runs (sched=pct|random), step for step:\n"
		   "  the first that detected (or failed), or run K; say whether it reproduced;\n"
		   "  --trace N   the last N steps before its first race or leak\n"
		   "  --shrink    a schedule with fewer preemptions that still finds it\n"
		   "  --attempts  runs the shrinking may take (default 200)\n");
}

/* The replayed run's first race or leak report, and when it came. */
static void first_report(const struct mt_region *r)
{
	uint64_t n = __atomic_load_n(&r->nevents, __ATOMIC_ACQUIRE);

	for (uint64_t i = 0; i < n && i < MT_MAX_EVENTS; i++) {
		const struct mt_event *e = &r->events[i];

		if (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE) ||
		    mt_counter_class((int)e->kind) == MT_CLASS_INFO)
			continue;
		if (e->step)
			printf("  first report, at step %llu: %s in %s: %s\n",
			       (unsigned long long)e->step, mt_counter_name((int)e->kind), e->where,
			       e->what);
		else
			printf("  first report, after the run: %s in %s: %s\n",
			       mt_counter_name((int)e->kind), e->where, e->what);
		return;
	}
}

int mt_cli_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' }, { "trace", required_argument, NULL, 't' },
		{ "shrink", no_argument, NULL, 's' }, { "attempts", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct mt_result *res = calloc(1, sizeof(*res));
	struct mt_region *region = mt_region_create(true);
	const struct mt_run_rec *rec;
	struct mt_topology topo;
	struct mt_jobset set;
	struct mt_run_rec want;
	uint64_t v, attempts = 200, trace = 0;
	long k = -1;
	bool do_shrink = false, same;
	int c, rc;

	if (!res || !region)
		return MT_EXIT_HARNESS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:t:sa:h", opts, NULL)) != -1) {
		if ((c == 'r' || c == 't' || c == 'a') && mt_parse_u64(optarg, &v)) {
			fprintf(stderr, "mmtorture replay: '%s' is not a number\n", optarg);
			return MT_EXIT_USAGE;
		}
		switch (c) {
		case 'r': k = (long)v; break;
		case 't': trace = v; break;
		case 'a': attempts = v; break;
		case 's': do_shrink = true; break;
		case 'h': usage(stdout); return MT_EXIT_OK;
		default: usage(stderr); return MT_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return MT_EXIT_USAGE;
	}
	if (load(argv[optind], &topo, &set, res))
		return MT_EXIT_USAGE;
	rec = pick(res, k);
	if (!rec) {
		fprintf(stderr, "mmtorture replay: run %ld has no record (the first %d runs that "
			"detected or failed are recorded, and the first run)\n", k, MT_RUN_RECS);
		return MT_EXIT_USAGE;
	}
	want = *rec;
	set.jobs[0].seed = res->seed;
	if (res->runs.mode == MT_SCHED_PCT)
		set.jobs[0].pct_steps = res->runs.k;
	printf("replay of run %u of job %s (seed %llu; sched %s%s): ", want.run, res->job,
	       (unsigned long long)want.seed, mt_sched_mode_name(res->runs.mode),
	       res->runs.mode == MT_SCHED_PCT ? ", PCT" : "");
	fflush(stdout);
	if ((rc = run_once(&set.jobs[0], &want, region)))
		return rc;
	rec = &region->runs.recs[0];
	same = region->runs.nrecs && rec->steps == want.steps && rec->digest == want.digest &&
	       rec->first_step == want.first_step &&
	       (rec->flags & ~MT_RUN_CRASHED) == (want.flags & ~MT_RUN_CRASHED);
	printf("%s\n", same ? "reproduced" : "NOT reproduced");
	printf("  steps %llu (recorded %llu), preemptions %llu (recorded %llu)\n",
	       (unsigned long long)rec->steps, (unsigned long long)want.steps,
	       (unsigned long long)rec->preemptions, (unsigned long long)want.preemptions);
	printf("  counts digest %016llx (recorded %016llx)\n", (unsigned long long)rec->digest,
	       (unsigned long long)want.digest);
	if (rec->first_step || want.first_step)
		printf("  first race or leak at step %llu (recorded %llu)%s\n",
		       (unsigned long long)rec->first_step, (unsigned long long)want.first_step,
		       rec->flags & MT_RUN_DETECTED ? ", the expectation met" : "");
	else
		printf("  no race or leak during the run%s\n", rec->flags & MT_RUN_PROBLEM ?
		       "; found after it, by its final audit or teardown" : "");
	first_report(region);
	if (trace && region->runs.ntrace)
		mt_runs_trace_print(&region->runs, (unsigned int)trace, stdout);
	else if (trace)
		printf("  no trace: the run counted no race or leak\n");
	rc = same ? MT_EXIT_OK : MT_EXIT_EXPECT;
	if (do_shrink && region->runs.ntrace && rc == MT_EXIT_OK)
		rc = shrink(&set.jobs[0], &want, region, (unsigned int)attempts);
	mt_jobset_free(&set);
	mt_topology_fini(&topo);
	mt_region_destroy(region);
	free(res);
	return rc;
}
