// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_engine - the engine runs the null workload in-process under each RCU
 * flavor: workers park for audits, the audit sees every object with its
 * one owner, teardown leaves no leak, and options and mixes parse.  Then
 * what a run leaves: each verdict of mt_result_judge(), metrics.json
 * written and read back as the daemon reads it, the Prometheus text,
 * atomic writes and results directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/prng.h"
#include "lib/engine/engine.h"
#include "lib/engine/fileio.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/json.h"
#include "lib/engine/placement.h"
#include "lib/engine/prom.h"
#include "lib/engine/values.h"
#include "lib/engine/result.h"
#include "lib/engine/runner.h"
#include "tests/tap.h"

extern const struct workload wl_null;

/* No workload option may be named like a job key (the key would win), nor twice. */
static void option_names(void)
{
	int clash = 0, twice = 0, nopts = 0;

	for (unsigned int i = 0; wl_nth(i); i++) {
		const struct workload *w = wl_nth(i);

		for (const struct mt_opt *o = w->opts; o && o->name; o++) {
			nopts++;
			if (mt_opt_find(mt_job_opts, o->name)) {
				diag("workload %s: option '%s' is a job key", w->name, o->name);
				clash++;
			}
			for (const struct mt_opt *p = w->opts; p != o; p++)
				if (!strcmp(p->name, o->name)) {
					diag("workload %s: option '%s' twice", w->name, o->name);
					twice++;
				}
		}
	}
	ok(nopts > 10 && !clash && !twice,
	   "none of the %d workload options is named like a job key or twice", nopts);
}

/* A finished run of a job, as a snapshot would leave it: every role ran, nothing fired. */
static void base(struct mt_result *res, struct mt_job *job, const char *bugs, bool detect)
{
	mt_bugset_t set;

	mt_job_defaults(job, &wl_null);
	job->threads = 2;
	job->runtime_ns = 30000000000ull;
	if (bugs) {
		mt_bugs_parse(bugs, &set, NULL, 0);
		job->bugs = set;
		snprintf(job->bugs_spec, sizeof(job->bugs_spec), "%s", bugs);
	}
	job->expect = detect ? MT_JOB_EXPECT_DETECT : MT_JOB_EXPECT_CLEAN;
	memset(res, 0, sizeof(*res));
	res->elapsed_s = 30;
	res->runtime_s = 30;
	res->detect_s = -1;
	res->first_detect_s = -1;
	for (int c = 0; c < MT_NCOUNTERS; c++)
		res->first_s[c] = -1;
	res->nroles = job->mix.nroles;
	for (unsigned int i = 0; i < res->nroles; i++) {
		snprintf(res->roles[i], MT_NAME_LEN, "%s", wl_null.roles[i]);
		res->weight[i] = job->mix.weight[i];
		res->ops[i] = 1000;
	}
}

static void fire(struct mt_result *res, enum mt_counter c, double at)
{
	res->counters[c]++;
	res->first_s[c] = at;
}

static void leak_cache(struct mt_result *res, const char *cache, double at)
{
	struct mt_result_cache *c = &res->caches[res->ncaches++];

	snprintf(c->name, sizeof(c->name), "%s", cache);
	c->leaked = 3;
	fire(res, MT_LEAKED_OBJECTS, at);
}

static bool judged(struct mt_result *res, struct mt_job *job, enum mt_verdict v,
		   const char *why, int exitcode, const char *what)
{
	mt_result_judge(res, job);
	return ok(res->verdict == v && strstr(res->why, why) && mt_verdict_exit(res->verdict) == exitcode,
		  "%s: %s (exit %d): %s", what, mt_verdict_name(res->verdict),
		  mt_verdict_exit(res->verdict), res->why);
}

static void verdicts(void)
{
	struct mt_result res;
	struct mt_job job;

	base(&res, &job, NULL, false);
	judged(&res, &job, MT_V_PASS, "no race, no leak in 3000 ops", 0, "a clean job");
	base(&res, &job, NULL, false);
	res.counters[MT_AUDITS] = 1;
	res.counters[MT_OVERLAPS] = 1;
	judged(&res, &job, MT_V_PASS, "in 3000 ops, 1 audit, 1 overlap", 0, "one audit, one overlap");
	base(&res, &job, NULL, false);
	fire(&res, MT_USE_AFTER_FREE, 1.5);
	judged(&res, &job, MT_V_FAIL, "races or leaks in a clean job: use_after_free=1", 2,
	       "a clean job with a race");
	ok(res.detect_s == -1, "no time of detection: detection is a detect job's");
	{
		json_t *j = mt_result_to_json(&res);
		char *sum = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&sum, &len);
		int col = -1, bad = 0;

		ok(json_is_null(json_object_get(j, "time_to_detection_seconds")) &&
		   json_real_value(json_object_get(j, "first_race_or_leak_seconds")) == 1.5,
		   "metrics.json: time_to_detection_seconds null, first_race_or_leak_seconds 1.5");
		json_decref(j);
		mt_result_summary(&res, f);
		fclose(f);
		ok(strstr(sum, "\nfirst       race or leak at 1.500s (use_after_free)\n") &&
		   !strstr(sum, "\ndetected"), "summary.txt: the first race or leak, no detection");
		/* the (race) and (leak) tags in one column, with a first time or without */
		for (char *l = sum; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			char *t = strstr(l, "(race)"), *nl = strchr(l, '\n');

			if (!t || (nl && t > nl))
				t = strstr(l, "(leak)");
			if (!t || (nl && t > nl))
				continue;
			if (col < 0)
				col = (int)(t - l);
			bad += (int)(t - l) != col;
		}
		ok(col > 0 && !bad, "summary.txt: the (race)/(leak) tags line up (column %d, %d off)",
		   col, bad);
		free(sum);
	}
	base(&res, &job, NULL, false);
	res.term_signal = 11;
	judged(&res, &job, MT_V_FAIL, "died of signal 11", 2, "a clean job that crashed");
	base(&res, &job, NULL, false);
	res.term_signal = 9;
	res.hung = true;
	snprintf(res.hang, sizeof(res.hang), "no progress for 2s");
	judged(&res, &job, MT_V_FAIL, "hung: no progress for 2s, killed", 2, "a clean job that hung");
	ok(!strstr(res.why, "signal"), "a hang is not called a crash");
	base(&res, &job, NULL, false);
	res.ops[1] = 0;
	judged(&res, &job, MT_V_INCONCLUSIVE, "role replace never ran", 2, "coverage not reached");
	base(&res, &job, NULL, false);
	snprintf(res.error, sizeof(res.error), "workload null: init failed");
	judged(&res, &job, MT_V_ERROR, "harness error: workload null: init failed", 3, "a harness error");

	/* cancel */
	base(&res, &job, NULL, false);
	res.cancelled = true;
	res.elapsed_s = 1.25;
	judged(&res, &job, MT_V_INCONCLUSIVE, "cancelled after 1.2s of 30s: partial results", 2,
	       "a clean job cancelled before its runtime ended");
	base(&res, &job, NULL, false);
	res.cancelled = true;
	fire(&res, MT_LEAKED_REFS, 0.5);
	judged(&res, &job, MT_V_FAIL, "leaked_refs=1", 2, "cancelled, but already failed");
	base(&res, &job, NULL, false);
	job.runtime_ns = 0;
	res.cancelled = true;
	judged(&res, &job, MT_V_PASS, "(until cancelled)", 0, "a runtime=0 job cancelled is judged normally");
	base(&res, &job, NULL, false);
	job.runtime_ns = 0;
	res.cancelled = true;
	res.ops[2] = 0;
	judged(&res, &job, MT_V_INCONCLUSIVE, "role alloc never ran", 2,
	       "a runtime=0 job cancelled: its coverage is checked");

	/* detect: vma-free-no-rcu is ALL of one counter; ksm-unlocked-drop ANY of two */
	base(&res, &job, "vma-free-no-rcu", true);
	fire(&res, MT_USE_AFTER_FREE, 0.25);
	judged(&res, &job, MT_V_DETECTED, "detected in 0.250s", 0, "a detect job whose counter fired");
	base(&res, &job, "vma-free-no-rcu", true);
	judged(&res, &job, MT_V_MISSED, "the expected counters did not fire", 2, "a detect job, nothing fired");
	base(&res, &job, "vma-free-no-rcu", true);
	res.cancelled = true;
	res.elapsed_s = 3;
	judged(&res, &job, MT_V_INCONCLUSIVE, "cancelled after 3.0s of 30s", 2,
	       "a detect job cancelled before detection");
	base(&res, &job, "vma-free-no-rcu", true);
	res.cancelled = true;
	fire(&res, MT_USE_AFTER_FREE, 0.5);
	judged(&res, &job, MT_V_DETECTED, "detected in 0.500s", 0, "a detect job cancelled after detection");
	base(&res, &job, "ksm-unlocked-drop", true);
	fire(&res, MT_DOUBLE_FREE, 0.75);
	judged(&res, &job, MT_V_DETECTED, "detected in 0.750s", 0, "an ANY bug: one counter is enough");

	/* an ALL bug: both counters, the cache of leaked_objects{numa_policy} included */
	base(&res, &job, "mpol-numa-maps-leak", true);
	fire(&res, MT_LEAKED_REFS, 0.25);
	judged(&res, &job, MT_V_MISSED, "only part of the expectation fired", 2,
	       "an ALL bug with one of its two counters");
	ok(res.first_detect_s == 0.25 && res.detect_s == -1,
	   "the first counter's time is kept, no time of detection");
	base(&res, &job, "mpol-numa-maps-leak", true);
	fire(&res, MT_LEAKED_REFS, 0.25);
	leak_cache(&res, "anon_vma", 0.5);
	judged(&res, &job, MT_V_MISSED, "only part", 2, "leaked_objects of another cache does not count");
	base(&res, &job, "mpol-numa-maps-leak", true);
	fire(&res, MT_LEAKED_REFS, 0.25);
	leak_cache(&res, "numa_policy", 0.75);
	judged(&res, &job, MT_V_DETECTED, "detected in 0.750s (first counter at 0.250s)", 0,
	       "an ALL bug is detected when the last of its counters fired");
	ok(res.detect_s == 0.75 && res.first_detect_s == 0.25,
	   "time to detection %.3fs (the expectation met), first counter %.3fs",
	   res.detect_s, res.first_detect_s);
	base(&res, &job, "vma-free-no-rcu", true);
	res.term_signal = 11;
	judged(&res, &job, MT_V_MISSED, "died of signal 11 (Segmentation fault) before detection", 2,
	       "a detect job that crashed first");
	base(&res, &job, "vma-free-no-rcu", true);
	fire(&res, MT_USE_AFTER_FREE, 0.1);
	res.term_signal = 11;
	judged(&res, &job, MT_V_DETECTED, "then the job process died of signal 11", 0,
	       "a detect job that detected, then crashed");
}

/* The fields of @a and @b that metrics.json carries, compared; the first difference in @what. */
static bool same_result(const struct mt_result *a, const struct mt_result *b, char *what, size_t len)
{
#define DIFF(cond, name) do { if (cond) { snprintf(what, len, "%s", name); return false; } } while (0)
	DIFF(strcmp(a->job, b->job) || strcmp(a->workload, b->workload) || strcmp(a->file, b->file) ||
	     a->line != b->line, "job");
	DIFF(a->seed != b->seed, "seed");
	DIFF(strcmp(a->started, b->started) || strcmp(a->rcu, b->rcu) || a->threads != b->threads ||
	     a->runtime_s != b->runtime_s || a->delay != b->delay || strcmp(a->bugs, b->bugs) ||
	     a->expect_detect != b->expect_detect || strcmp(a->nodes, b->nodes) ||
	     strcmp(a->mix, b->mix) || strcmp(a->placement, b->placement), "settings");
	DIFF(a->verdict != b->verdict || strcmp(a->why, b->why) || a->term_signal != b->term_signal ||
	     a->hung != b->hung || strcmp(a->hang, b->hang) || a->cancelled != b->cancelled ||
	     strcmp(a->error, b->error), "verdict");
	DIFF(a->elapsed_s != b->elapsed_s || a->detect_s != b->detect_s ||
	     a->first_detect_s != b->first_detect_s, "times");
	for (int c = 0; c < MT_NCOUNTERS; c++)
		DIFF(a->counters[c] != b->counters[c] || a->first_s[c] != b->first_s[c],
		     mt_counter_name(c));
	DIFF(a->nroles != b->nroles, "nroles");
	for (unsigned int i = 0; i < a->nroles; i++) {
		unsigned int k;

		for (k = 0; k < b->nroles && strcmp(a->roles[i], b->roles[k]); k++)
			;
		DIFF(k == b->nroles || a->ops[i] != b->ops[k] || a->weight[i] != b->weight[k], a->roles[i]);
	}
	DIFF(a->nnodes != b->nnodes || (a->nnodes && a->node_ops[0] != b->node_ops[0]), "nodes");
	DIFF(a->ncaches != b->ncaches, "ncaches");
	for (unsigned int i = 0; i < a->ncaches; i++)
		DIFF(strcmp(a->caches[i].name, b->caches[i].name) || a->caches[i].live != b->caches[i].live ||
		     a->caches[i].allocs != b->caches[i].allocs || a->caches[i].leaked != b->caches[i].leaked ||
		     a->caches[i].remote_frees != b->caches[i].remote_frees ||
		     a->caches[i].typesafe != b->caches[i].typesafe, a->caches[i].name);
	DIFF(a->nwindows != b->nwindows || a->nevents != b->nevents ||
	     a->nevents_total != b->nevents_total, "windows or events");
	for (unsigned int i = 0; i < a->nevents; i++)
		DIFF(strcmp(a->events[i].what, b->events[i].what) || a->events[i].t_s != b->events[i].t_s ||
		     strcmp(a->events[i].kind, b->events[i].kind) || a->events[i].thread != b->events[i].thread,
		     "event");
	return true;
#undef DIFF
}

static int count_files(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, part) != NULL;
	if (d)
		closedir(d);
	return n;
}

/* A real run's result: metrics.json written to a directory, read back as the daemon does. */
static void json_round_trip(struct mt_region *R, uint64_t seed, const char *tmp)
{
	static struct mt_result res, back;
	struct mt_job job;
	char dir[512], path[600], what[64] = "";
	json_error_t jerr;
	json_t *j;

	mt_job_defaults(&job, &wl_null);
	job.threads = 2;
	job.runtime_ns = 300000000ull;
	job.audit_interval_ns = 100000000ull;
	job.seed = seed | 1ull << 63;		/* beyond a double's 53 bits */
	job.inject.delay_prob = 0.01;
	snprintf(job.name, sizeof(job.name), "round \"trip\" \\ job");
	snprintf(job.file, sizeof(job.file), "jobs.ini");
	job.line = 7;
	mt_job_execute(&job, R);
	mt_result_snapshot(&res, &job, R);
	mt_result_judge(&res, &job);
	snprintf(res.started, sizeof(res.started), "2030-01-02T03:04:05Z");
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	ok(mt_result_write_dir(&res, dir) == 0, "the result of a real run is written to %s", dir);
	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	j = json_load_file(path, 0, &jerr);
	ok(j && mt_result_from_json(j, &back) == 0, "metrics.json parses back%s%s", j ? "" : ": ",
	   j ? "" : jerr.text);
	ok(same_result(&res, &back, what, sizeof(what)),
	   "every field survives the round trip (%s verdict, seed %llu, %u roles, %u caches, %u events)%s%s",
	   mt_verdict_name(back.verdict), (unsigned long long)back.seed, back.nroles, back.ncaches,
	   back.nevents, what[0] ? "; differs: " : "", what);
	json_decref(j);
	ok(count_files(dir, ".tmp.") == 0 && count_files(dir, "summary.txt") == 1 &&
	   count_files(dir, "metrics.prom") == 1, "summary.txt and metrics.prom beside it, no temporary file left");

	/* a detect job's times, a hang, a cancel: the fields the daemon shows */
	base(&res, &job, "mpol-numa-maps-leak", true);
	fire(&res, MT_LEAKED_REFS, 0.25);
	leak_cache(&res, "numa_policy", 0.75);
	res.hung = true;
	res.term_signal = 9;
	snprintf(res.hang, sizeof(res.hang), "still running 2s after its runtime of 1s");
	res.cancelled = true;
	res.nevents = 1;
	res.nevents_total = 5;
	res.events[0] = (struct mt_result_event){ .t_s = 0.25, .kind = "leaked_refs",
		.where = "null_audit", .what = "null_obj of slot 3: count 2, 1 owner", .thread = 4 };
	res.nwindows = 1;
	res.windows[0].hits = 12;
	snprintf(res.windows[0].name, sizeof(res.windows[0].name), "null-lookup-to-get");
	mt_result_judge(&res, &job);
	j = mt_result_to_json(&res);
	ok(j && mt_result_from_json(j, &back) == 0 && same_result(&res, &back, what, sizeof(what)) &&
	   back.detect_s == 0.75 && back.first_detect_s == 0.25 && back.hung &&
	   back.windows[0].hits == 12 && !strcmp(back.events[0].where, "null_audit"),
	   "detection times, hang, cancel, events and windows survive too%s%s", what[0] ? ": " : "", what);
	json_decref(j);

	/* a name that is not UTF-8 (cut in the middle of a character) still gives job.name */
	snprintf(res.job, sizeof(res.job), "caf\xc3");
	j = mt_result_to_json(&res);
	ok(json_string_value(json_object_get(json_object_get(j, "job"), "name")) &&
	   !strcmp(json_string_value(json_object_get(json_object_get(j, "job"), "name")), "caf?"),
	   "a job name that is not UTF-8 is kept in metrics.json, its bad byte as '?'");
	json_decref(j);
}

/* A HWLOC_SYNTHETIC that hwloc refuses is an error, not the real machine. */
static void topology(void)
{
	struct mt_topology t;
	char err[512];

	setenv("HWLOC_SYNTHETIC", "numa:2 bogus:3", 1);
	ok(mt_topology_load(&t, err, sizeof(err)) == -1 && !t.topo &&
	   strstr(err, "HWLOC_SYNTHETIC='numa:2 bogus:3'") && strstr(err, "'bogus"),
	   "a bad HWLOC_SYNTHETIC is refused, with hwloc's reason: %s", err);
	setenv("HWLOC_SYNTHETIC", "numa:3 core:1 pu:1", 1);
	ok(mt_topology_load(&t, err, sizeof(err)) == 0 && t.nnodes == 3 && !t.thissystem,
	   "a good one is used: %s", t.desc);
	mt_topology_fini(&t);
	unsetenv("HWLOC_SYNTHETIC");
}

/* The errors of job file @text as "t.ini", one a line, in @out.  Return: the load's. */
static int load_text(const char *text, struct mt_topology *topo, char *out, size_t len)
{
	static struct mt_errors e;
	struct mt_jobset set;
	size_t off = 0;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = mt_jobfile_load_string(text, "t.ini", topo, &set, &e);
	out[0] = '\0';
	for (int i = 0; i < e.n && i < (int)ARRAY_SIZE(e.msg) && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s\n", e.msg[i]);
	mt_jobset_free(&set);
	return rc;
}

/* @text is refused with exactly the errors @want, in that order. */
static void refused(struct mt_topology *topo, const char *text, const char *want, const char *what)
{
	char got[4096];

	ok(load_text(text, topo, got, sizeof(got)) == -1 && !strcmp(got, want), "%s", what);
	if (strcmp(got, want))
		diag("got:\n%swant:\n%s", got, want);
}

static void jobfiles(const char *tmp)
{
	struct mt_topology topo;
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	char err[512], got[1024];

	/* a machine of two nodes, whatever this one is */
	setenv("HWLOC_SYNTHETIC", "numa:2 core:1 pu:1", 1);
	if (mt_topology_load(&topo, err, sizeof(err)))
		tap_bail(err);

	/* the checks across keys point at the key */
	refused(&topo, "[a]\nworkload=null\n\nnodes=77\n",
		"t.ini:4: job 'a': nodes '77': this machine has nodes 0-1\n",
		"a placement error is at the line of nodes=");
	refused(&topo, "[a]\nworkload=null\nbugs=rmap-no-recheck\n",
		"t.ini:3: job 'a': bug 'rmap-no-recheck' is in the anon_vma model, which workload null does not exercise\n",
		"a bug of another model is at the line of bugs=");
	refused(&topo, "[a]\nworkload=null\nexpect=detect\nthreads=2\n",
		"t.ini:3: job 'a': expect=detect needs a detection bug in bugs= (none named)\n",
		"expect=detect without a bug is at the line of expect=");
	refused(&topo, "[global]\nexpect=detect\n[a]\nworkload=null\n",
		"t.ini:3: job 'a': expect=detect needs a detection bug in bugs= (none named); expect= comes from the [global] at line 2\n",
		"expect=detect from a [global]: at the job's line, naming the [global]'s");

	/* one bad key hides no other problem, and none that follows from it */
	refused(&topo, "[a]\nworkload=null\nrcu=srcu\nbugs=rmap-no-recheck\nnodes=77\n",
		"t.ini:3: key 'rcu': 'srcu' is not an RCU flavor (memb, qsbr, mb, bp)\n"
		"t.ini:4: job 'a': bug 'rmap-no-recheck' is in the anon_vma model, which workload null does not exercise\n"
		"t.ini:5: job 'a': nodes '77': this machine has nodes 0-1\n",
		"a key error and the checks across the other keys are all reported");
	refused(&topo, "[a]\nworkload=null\nthreads=0\nnodes=77\nexpect=detect\nbugs=x\n",
		"t.ini:3: key 'threads': '0' is not a thread count in 1..255\n"
		"t.ini:6: key 'bugs': unknown bug 'x' (see `mmtorture bugs`)\n",
		"checks that read a refused key are skipped (placement, expect=detect)");
	refused(&topo, "[a]\nworkload=nul\nrcu=srcu\nobjects=0\n",
		"t.ini:2: key 'workload': unknown workload 'nul' (known: anon_vma, kernel_anon_vma, kernel_mempolicy, kernel_vma, mempolicy, null, vma_spf)\n"
		"t.ini:3: key 'rcu': 'srcu' is not an RCU flavor (memb, qsbr, mb, bp)\n",
		"an unknown workload: the job keys are still checked, its options are not");

	/* the threads range is the one of the help */
	ok(load_text("[a]\nworkload=null\nthreads=255\n", &topo, got, sizeof(got)) == 0,
	   "threads=255 is accepted%s%s", got[0] ? ": " : "", got);
	refused(&topo, "[a]\nworkload=null\nthreads=256\n",
		"t.ini:3: key 'threads': '256' is not a thread count in 1..255\n", "threads=256 is not");
	{
		const struct mt_opt *o = mt_opt_find(mt_job_opts, "threads");

		mt_opt_range(o, err, sizeof(err));
		snprintf(got, sizeof(got), "1..%d", MT_MAX_THREADS);
		ok(!strcmp(err, got), "the threads= row's range, printed in its help, is %s", err);
	}

	/* no silent acceptance */
	refused(&topo, "[a]\nworkload=null\nruntime=1s\nruntime=2s\n",
		"t.ini:4: key 'runtime': already set at line 3: a key is given once per section\n",
		"a key given twice in a section names both lines");
	ok(load_text("[global]\nruntime=1s\n[a]\nworkload=null\nruntime=2s\n", &topo, got,
		     sizeof(got)) == 0, "a job's key overrides its [global]'s%s%s", got[0] ? ": " : "", got);
	refused(&topo, "[a]\nworkload=null\nmix=get_put\n",
		"t.ini:3: key 'mix': role 'get_put' has no weight: write get_put:N\n", "mix= role without a weight");
	refused(&topo, "[a]\nworkload=null\nmix=\n",
		"t.ini:3: key 'mix': empty: give role:weight,... or leave the key out for the workload's mix\n",
		"mix= empty");
	refused(&topo, "[a]\nworkload=null\nmix=get_put:1,get_put:2\n",
		"t.ini:3: key 'mix': role 'get_put' is given twice\n", "mix= with a role twice");
	refused(&topo, "[a]\nworkload=null\nmix=get_put:1,\n",
		"t.ini:3: key 'mix': expected role:weight in 'get_put:1,': a comma too many?\n",
		"mix= with a trailing comma");
	refused(&topo, "[a]\nworkload=null\nbugs=,\n",
		"t.ini:3: key 'bugs': ',' has an empty name: a comma too many?\n", "bugs=,");
	refused(&topo, "[a]\nworkload=anon_vma\nbugs=rmap-no-recheck, rmap-no-recheck\n",
		"t.ini:3: key 'bugs': bug 'rmap-no-recheck' is named twice\n", "a bug named twice");

	/* no cascade from a line already reported */
	snprintf(err, sizeof(err), "%s/nul.ini", tmp);
	{
		FILE *f = fopen(err, "w");

		if (!f)
			tap_bail("cannot write nul.ini");
		fwrite("[a]\nwork\0load=null\n", 1, 19, f);
		fclose(f);
	}
	ok(mt_jobfile_load(err, &topo, &set, &e) == -1 && e.n == 1 &&
	   strstr(e.msg[0], "nul.ini:2: a NUL byte: a job file is text"),
	   "a NUL byte on the workload= line: no 'has no workload=' after it (%d error%s: %s)",
	   e.n, e.n == 1 ? "" : "s", e.msg[e.n > 1]);
	memset(&e, 0, sizeof(e));
	refused(&topo, "[a]\nworkload=null\nruntime=1s\n[b\nworkload=null\nruntime=2s\n",
		"t.ini:4: syntax error: '[' without ']'\n",
		"a broken section header: its keys are not called duplicates of the job before");
	snprintf(err, sizeof(err), "%s/dir", tmp);
	mkdir(err, 0755);
	ok(mt_jobfile_load(err, &topo, &set, &e) == -1 && e.n == 1 && strstr(e.msg[0], ": is a directory"),
	   "a directory is said to be one: %s", e.msg[0]);

	unsetenv("HWLOC_SYNTHETIC");
	mt_topology_fini(&topo);
}

/* The Prometheus text of @n results, summed by job name as the daemon sums them. */
static char *prom_text(const struct mt_result *const *res, int n)
{
	struct mt_totals t[8];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int nt = 0;

	for (int i = 0; i < n; i++)
		mt_totals_add(mt_totals_find(t, &nt, 8, res[i]->job, res[i]->workload), res[i]);
	mt_prom_write(f, t, nt);
	fclose(f);
	return buf;
}

static void prometheus(void)
{
	static struct mt_result a, b, c;
	const struct mt_result *const all[] = { &a, &b, &c };
	struct mt_job job;
	char *t, *line;
	int helps = 0, types = 0, bad = 0;

	base(&a, &job, NULL, false);
	snprintf(a.job, sizeof(a.job), "soak");
	snprintf(a.workload, sizeof(a.workload), "null");
	fire(&a, MT_USE_AFTER_FREE, 1);
	a.verdict = MT_V_FAIL;
	a.elapsed_s = 10;
	b = a;
	b.verdict = MT_V_PASS;
	b.elapsed_s = 20;
	b.ops[0] = 5;
	base(&c, &job, NULL, false);
	snprintf(c.job, sizeof(c.job), "a \"quoted\\\" job\nname");
	snprintf(c.workload, sizeof(c.workload), "null");
	c.expect_detect = true;
	c.detect_s = 0.5;
	t = prom_text(all, 3);
	for (line = t; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		helps += !strncmp(line, "# HELP ", 7);
		types += !strncmp(line, "# TYPE ", 7);
		if (*line != '#' && !strstr(line, "} "))
			bad++;
	}
	ok(helps == types && helps >= 10 && !bad, "every family has HELP and TYPE once (%d), every sample labels", helps);
	ok(strstr(t, "mmtorture_ops_total{job_name=\"soak\",workload=\"null\",op=\"get_put\"} 1005\n") != NULL,
	   "runs of one job are summed (ops 1000 + 5)");
	ok(strstr(t, "mmtorture_races_total{job_name=\"soak\",kind=\"use_after_free\"} 2\n") &&
	   strstr(t, "mmtorture_job_runs_total{job_name=\"soak\",verdict=\"FAIL\"} 1\n") &&
	   strstr(t, "mmtorture_job_runs_total{job_name=\"soak\",verdict=\"PASS\"} 1\n"),
	   "races summed, runs counted by verdict");
	ok(strstr(t, "mmtorture_job_duration_seconds{job_name=\"soak\"} 20.000000\n") != NULL,
	   "the duration is the last run's");
	ok(strstr(t, "{job_name=\"a \\\"quoted\\\\\\\" job\\nname\"") != NULL,
	   "quotes, backslashes and newlines in a job name are escaped");
	ok(strstr(t, "mmtorture_time_to_detection_seconds{job_name=\"a") &&
	   !strstr(t, "mmtorture_time_to_detection_seconds{job_name=\"soak\""),
	   "time to detection only where there is one");
	free(t);
}

static void files(const char *tmp)
{
	char path[600], dir1[600], dir2[600], dir3[600];
	struct stat st;
	int fd, n;

	snprintf(path, sizeof(path), "%s/atomic.txt", tmp);
	ok(mt_write_atomic(path, "one\n", 4) == 0 && mt_write_atomic(path, "two\n", 4) == 0 &&
	   !stat(path, &st) && st.st_size == 4, "mt_write_atomic writes and replaces a file");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? (int)read(fd, dir1, sizeof(dir1)) : -1;
	if (fd >= 0)
		close(fd);
	ok(n == 4 && !memcmp(dir1, "two\n", 4), "with the last content");
	snprintf(path, sizeof(path), "%s/sub", tmp);
	mkdir(path, 0755);
	ok(mt_write_atomic(path, "x", 1) == -EISDIR && count_files(tmp, ".tmp.") == 0,
	   "a rename that fails returns its error and leaves no temporary file");
	snprintf(path, sizeof(path), "%s/no/such/dir/f", tmp);
	ok(mt_write_atomic(path, "x", 1) == -ENOENT, "a directory that is not there: -ENOENT");

	snprintf(path, sizeof(path), "%s/results", tmp);
	ok(mt_results_mkdir(path, "j/1", 1000000000, dir1, sizeof(dir1)) == 0 &&
	   mt_results_mkdir(path, "j/1", 1000000000, dir2, sizeof(dir2)) == 0 &&
	   mt_results_mkdir(path, "j/1", 1000000000, dir3, sizeof(dir3)) == 0 &&
	   strcmp(dir1, dir2) && strcmp(dir2, dir3) && !stat(dir1, &st) && !stat(dir3, &st),
	   "three jobs of one name started in the same second get three directories");
	ok(strstr(dir1, "/2001-09-09T01-46-40Z-j_1") && strstr(dir2, "-j_1-2") && strstr(dir3, "-j_1-3"),
	   "named by the start time: %s, %s", dir1, dir2);
	ok(mt_results_mkdir("/proc/no/such", "j", 0, dir1, sizeof(dir1)) < 0,
	   "a root that cannot be made is an error");
}

int main(void)
{
	struct mt_region *R = mt_region_create(false);
	struct mt_job job;
	char err[256];
	uint64_t ns, seed = tap_seed(mt_seed_random());

	ok(mt_parse_time_ns("30s", &ns) == 0 && ns == 30000000000ull, "30s");
	ok(mt_parse_time_ns("1.5m", &ns) == 0 && ns == 90000000000ull, "1.5m");
	ok(mt_parse_time_ns("2d", &ns) == 0 && ns == 172800000000000ull, "2d");
	ok(mt_parse_time_ns("250ms", &ns) == 0 && ns == 250000000ull, "250ms");
	ok(mt_parse_time_ns("7", &ns) == 0 && ns == 7000000000ull, "a bare number is seconds");
	ok(mt_parse_time_ns("5x", &ns) && mt_parse_time_ns("-1s", &ns) && mt_parse_time_ns("", &ns),
	   "5x, -1s and the empty string are refused");
	mt_format_time(90000000000ull, err, sizeof(err));
	ok(!strcmp(err, "90s"), "90s formats as %s", err);

	mt_job_defaults(&job, &wl_null);
	ok(wl_mix_parse(&wl_null, "get_put:3,alloc:1", &job.mix, err, sizeof(err)) == 0 &&
	   job.mix.total == 4 && job.mix.weight[1] == 0, "a mix parses, missing roles weigh 0");
	ok(wl_mix_parse(&wl_null, "get_put:3,fork:1", &job.mix, err, sizeof(err)) == -1 &&
	   strstr(err, "unknown role 'fork'") && strstr(err, "get_put replace alloc"),
	   "an unknown role is named, with the roles: %s", err);
	ok(wl_mix_parse(&wl_null, "get_put:x", &job.mix, err, sizeof(err)) == -1, "a bad weight is refused");
	ok(mt_opt_set(mt_opt_find(wl_null.opts, "objects"), job.wl_opts, "0", err, sizeof(err)) == -1 &&
	   strstr(err, "1..65536"), "an option out of bounds names them: %s", err);
	ok(mt_opt_set(mt_opt_find(wl_null.opts, "crash"), job.wl_opts, "foo", err, sizeof(err)) == -1 &&
	   strstr(err, "not one of none, segv, abort, bus"), "an enum option names its choices: %s", err);
	ok(mt_opt_set(mt_opt_find(wl_null.opts, "crash"), job.wl_opts, "abort", err, sizeof(err)) == 0 &&
	   *(unsigned int *)(job.wl_opts + mt_opt_find(wl_null.opts, "crash")->off) == 2,
	   "an enum option stores the index of its value");
	option_names();

	for (int f = 0; f < MT_RCU_NFLAVORS; f++) {
		mt_job_defaults(&job, &wl_null);
		job.threads = 3;
		job.runtime_ns = 600000000ull;
		job.audit_interval_ns = 100000000ull;
		job.stutter_ns = 150000000ull;
		job.rcu = f;
		job.seed = seed;
		job.inject.delay_prob = 0.01;
		ok(mt_job_execute(&job, R) == 0 && R->phase == MT_PHASE_DONE,
		   "%s: the null job ran to its end", mt_rcu_flavor_name(f));
		ok(mt_races_total(R) == 0 && mt_leaks_total(R) == 0,
		   "%s: no race, no leak (%llu ops, %llu audits, %llu objects audited)",
		   mt_rcu_flavor_name(f), (unsigned long long)mt_ops_total(R),
		   (unsigned long long)mt_counter_read(R, MT_AUDITS),
		   (unsigned long long)mt_counter_read(R, MT_AUDITED_OBJECTS));
		ok(mt_counter_read(R, MT_AUDITS) >= 4 && mt_ops_read(R, 0) > 0 &&
		   mt_ops_read(R, 1) > 0 && mt_ops_read(R, 2) > 0,
		   "%s: periodic audits ran and every role ran", mt_rcu_flavor_name(f));
		ok(R->seed == seed && R->t_end_ns >= 600000000ull && R->t_end_ns < 2000000000ull,
		   "%s: the seed is kept, the runtime respected", mt_rcu_flavor_name(f));
	}

	{
		char tmp[] = "/tmp/t_engine.XXXXXX";

		if (!mkdtemp(tmp))
			tap_bail("mkdtemp");
		verdicts();
		topology();
		jobfiles(tmp);
		json_round_trip(R, seed, tmp);
		prometheus();
		files(tmp);
		if (fork() == 0)
			execlp("rm", "rm", "-rf", tmp, (char *)NULL);
		wait(NULL);
	}

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
