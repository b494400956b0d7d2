// SPDX-License-Identifier: GPL-2.0-only
/*
 * job.c - the job keys as one option table, job defaults, the workload
 * and its mix, and the job's seed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "core/sched.h"
#include "lib/engine/job.h"
#include "lib/engine/values.h"

static const char *const sched_names[] = { "free", "pct", "random", NULL };
_Static_assert(MT_SCHED_FREE == 0 && MT_SCHED_PCT == 1 && MT_SCHED_RANDOM == 2,
	       "sched= choices in the order of enum mt_sched_mode; mt_job_rcu() tests 0");

static const char *const expect_names[] = {
	[MT_JOB_EXPECT_CLEAN] = "clean", [MT_JOB_EXPECT_DETECT] = "detect", NULL
};

static int set_workload(const struct mt_opt *o, void *base, const char *v, char *err,
			size_t errlen)
{
	const struct workload *wl = wl_lookup(v);
	size_t off;

	if (!wl) {
		off = (size_t)snprintf(err, errlen, "unknown workload '%s' (known:", v);
		for (unsigned int i = 0; wl_nth(i) && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, "%s %s", i ? "," : "",
						wl_nth(i)->name);
		if (off < errlen)
			snprintf(err + off, errlen - off, ")");
		return -1;
	}
	return mt_job_set_workload(base, wl, err, errlen);
}

static int set_windows(const struct mt_opt *o, void *base, const char *v, char *err,
		       size_t errlen)
{
	struct mt_job *job = base;

	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_,. ", *c)) {
			snprintf(err, errlen, "'%s' is not a comma list of window names", v);
			return -1;
		}
	if (strlen(v) >= sizeof(job->inject.windows)) {
		snprintf(err, errlen, "value longer than %zu characters", sizeof(job->inject.windows) - 1);
		return -1;
	}
	snprintf(job->inject.windows, sizeof(job->inject.windows), "%s", v);
	return 0;
}

/* mix= of a job whose workload is set (the job file applies workload= first). */
static int set_mix(const struct mt_opt *o, void *base, const char *v, char *err, size_t errlen)
{
	struct mt_job *job = base;
	struct wl_mix mix;

	if (!*v) {
		snprintf(err, errlen, "empty: give role:weight,... or leave the key out for the "
			 "workload's mix");
		return -1;
	}
	if (strlen(v) >= sizeof(job->mix_spec)) {
		snprintf(err, errlen, "value longer than %zu characters", sizeof(job->mix_spec) - 1);
		return -1;
	}
	if (!job->wl) {
		snprintf(err, errlen, "mix= needs the job's workload");
		return -1;
	}
	if (wl_mix_parse(job->wl, v, &mix, err, errlen))
		return -1;
	job->mix = mix;
	snprintf(job->mix_spec, sizeof(job->mix_spec), "%s", v);
	return 0;
}

/* bugs=: catalogue names separated by commas, each once; empty: none. */
static int set_bugs(const struct mt_opt *o, void *base, const char *v, char *err, size_t errlen)
{
	struct mt_job *job = base;
	mt_bugset_t set;
	char name[64];

	if (strlen(v) >= sizeof(job->bugs_spec)) {
		snprintf(err, errlen, "value longer than %zu characters", sizeof(job->bugs_spec) - 1);
		return -1;
	}
	switch (mt_bugs_parse(v, &set, name, sizeof(name))) {
	case 0:
		job->bugs = set;
		snprintf(job->bugs_spec, sizeof(job->bugs_spec), "%s", v);
		return 0;
	case MT_BUGS_EMPTY:
		snprintf(err, errlen, "'%s' has an empty name: a comma too many?", v);
		break;
	case MT_BUGS_TWICE:
		snprintf(err, errlen, "bug '%s' is named twice", name);
		break;
	default:
		snprintf(err, errlen, "unknown bug '%s' (see `mmtorture bugs`%s)", name,
			 strpbrk(name, " \t") ? "; names are separated by commas" : "");
		break;
	}
	return -1;
}

#define JOB(field) .off = offsetof(struct mt_job, field), .size = sizeof(((struct mt_job *)0)->field)
#define DAY_NS	86400e9

const struct mt_opt mt_job_opts[] = {
	{ "workload", MT_OPT_CUSTOM, JOB(wl), .parse = set_workload, .range = "a workload name",
	  .help = "the workload: see `mmtorture workloads`" },
	{ "threads", MT_OPT_UINT, JOB(threads), .min = 1, .max = MT_MAX_THREADS, .def = "4",
	  .noun = "a thread count",
	  .help = "worker threads ($ncpus, $nodes and + - * / allowed)" },
	{ "runtime", MT_OPT_TIME, JOB(runtime_ns), .max = 365 * DAY_NS, .def = "30s",
	  .help = "how long to run: 30s, 5m, 2h, 1d; 0 = until cancelled" },
	{ "rcu", MT_OPT_ENUM, JOB(rcu), .choices = mt_rcu_flavor_names, .def = "memb",
	  .noun = "an RCU flavor", .help = "RCU flavor" },
	{ "seed", MT_OPT_U64, JOB(seed), .def = "0",
	  .help = "PRNG seed; 0 = draw one (it is printed with the results)" },
	{ "delay", MT_OPT_DOUBLE, JOB(inject.delay_prob), .max = 1, .def = "0.001",
	  .noun = "a probability", .help = "probability of a delay at each race window pass" },
	{ "sync_delay", MT_OPT_DOUBLE, JOB(inject.sync_delay_prob), .max = 1, .noun = "a probability",
	  .help = "probability of a delay at each generic sync point (lock release, end of an "
		  "RCU read side, rcu_dereference(), before a reference is taken, after one is "
		  "dropped); default delay/10" },
	{ "delay_mode", MT_OPT_ENUM, JOB(inject.delay_mode), .choices = mt_delay_mode_names,
	  .def = "mix", .noun = "a delay mode", .help = "how a delay waits" },
	{ "delay_max", MT_OPT_TIME, JOB(inject.delay_max_ns), .max = 1e9, .def = "20us",
	  .help = "longest delay (a sleep is as long as asked, the timer slack of the workers "
		  "1 ns, and as the kernel's timers allow)" },
	{ "windows", MT_OPT_CUSTOM, JOB(inject.windows), .parse = set_windows, .range = "a,b,...",
	  .help = "comma list of race windows where delays apply (default: all)" },
	{ "alloc_fail", MT_OPT_DOUBLE, JOB(inject.alloc_fail_prob), .max = 1, .def = "0",
	  .noun = "a probability", .help = "probability that a slab allocation fails" },
	{ "fail_nth", MT_OPT_UINT, JOB(inject.fail_nth), .max = 1e18, .def = "0",
	  .noun = "an unsigned integer", .help = "each worker's Nth slab allocation fails, once; 0 = off" },
	{ "audit_interval", MT_OPT_TIME, JOB(audit_interval_ns), .max = DAY_NS, .def = "5s",
	  .help = "refcount audit at a quiesce point this often; 0 = at the end only" },
	{ "min_audits", MT_OPT_UINT, JOB(min_audits), .max = 1000000, .def = "0",
	  .help = "the run lasts at least this many audits, the last one after the workers stop, "
		  "past its runtime if need be (a kernel workload measures the kernel's slab "
		  "counts at each)" },
	{ "stutter", MT_OPT_TIME, JOB(stutter_ns), .max = DAY_NS, .def = "0",
	  .help = "park and restart all workers together this often; 0 = off" },
	{ "nodes", MT_OPT_STRING, JOB(nodes), .def = "all",
	  .help = "NUMA nodes for the threads: all, 0, 0-1, 0,2" },
	{ "cpus", MT_OPT_STRING, JOB(cpus), .def = "",
	  .help = "PUs allowed: a list like 0-3,8; empty = all of the nodes" },
	{ "mix", MT_OPT_CUSTOM, JOB(mix_spec), .parse = set_mix, .range = "role:weight,...",
	  .help = "role weights (default: the workload's)" },
	{ "bugs", MT_OPT_CUSTOM, JOB(bugs_spec), .parse = set_bugs, .range = "name,...",
	  .help = "injected bugs, names from `mmtorture bugs`" },
	{ "expect", MT_OPT_ENUM, JOB(expect), .choices = expect_names, .def = "clean",
	  .noun = "an expectation",
	  .help = "clean (no race, no leak) or detect (the bugs must be caught)" },
	{ "stop_on_detect", MT_OPT_BOOL, JOB(stop_on_detect), .def = "1",
	  .help = "a detect job ends at its first detection" },
	{ "hang_timeout", MT_OPT_TIME, JOB(hang_grace_ns), .max = DAY_NS, .def = "60s",
	  .help = "a job without progress this long, or running this long past its runtime or "
		  "its cancel, is killed as hung; 0 = never" },
	{ "sched", MT_OPT_ENUM, JOB(sched), .choices = sched_names, .def = "free",
	  .noun = "a scheduler",
	  .help = "free: threads run as the machine schedules them; pct or random: one at a "
		  "time, a controlled scheduler choosing at every scheduling point (runs=, "
		  "run_ops=; exact replay)" },
	{ "pct_depth", MT_OPT_UINT, JOB(pct_depth), .min = 1, .max = 16, .def = "2",
	  .help = "sched=pct: the depth d of the bugs aimed at (d-1 priority change points)" },
	{ "pct_steps", MT_OPT_UINT, JOB(pct_steps), .max = 1e12, .def = "0",
	  .help = "sched=pct: k, the steps the change points are drawn over; 0 = the steps of "
		  "a first run" },
	{ "runs", MT_OPT_UINT, JOB(runs), .min = 1, .max = 10000000, .def = "1",
	  .help = "runs of the job, each a world of its own from its own seed (derived from "
		  "seed=), in its own process" },
	{ "run_ops", MT_OPT_UINT, JOB(run_ops), .max = 1e9, .def = "0",
	  .help = "operations per worker in a run; 0 = until the runtime (free), 32 (pct, "
		  "random)" },
	{ "run_steps", MT_OPT_UINT, JOB(run_steps), .max = 1e12, .def = "0",
	  .help = "sched=pct|random: a run stops at this many scheduling points; 0 = 10000000" },
	{ "timeline_interval", MT_OPT_TIME, JOB(timeline_ns), .max = DAY_NS, .def = "1s",
	  .help = "a row of timeline.csv in the results this often (time, phase, ops by role, "
		  "races and leaks by kind, audits; the runner looks every 100ms); 0 = none" },
	{ .name = NULL },
};
_Static_assert(ARRAY_SIZE(mt_job_opts) <= MT_JOB_MAX_OPTS + 1, "MT_JOB_MAX_OPTS holds every job key");

void mt_job_defaults(struct mt_job *job, const struct workload *wl)
{
	char err[128];

	memset(job, 0, sizeof(*job));
	snprintf(job->name, sizeof(job->name), "job");
	if (mt_opt_defaults(mt_job_opts, job, err, sizeof(err)))
		abort();	/* the table's own defaults: fixed at build time */
	job->inject.sync_delay_prob = -1;	/* delay / 10 */
	if (wl)
		mt_job_set_workload(job, wl, err, sizeof(err));
}

int mt_job_set_workload(struct mt_job *job, const struct workload *wl, char *err, size_t errlen)
{
	if (wl->opts_size > sizeof(job->wl_opts)) {
		snprintf(err, errlen, "workload %s: options too large", wl->name);
		return -1;
	}
	job->wl = wl;
	memset(job->wl_opts, 0, sizeof(job->wl_opts));
	if (mt_opt_defaults(wl->opts, job->wl_opts, err, errlen))
		return -1;
	snprintf(job->mix_spec, sizeof(job->mix_spec), "%s", wl->default_mix ? wl->default_mix : "");
	return wl_mix_parse(wl, job->mix_spec, &job->mix, err, errlen);
}

uint64_t mt_job_seed(struct mt_job *job)
{
	if (!job->seed)
		job->seed = mt_seed_random();
	return job->seed;
}

const char *mt_job_expect_name(const struct mt_job *job)
{
	return job->expect == MT_JOB_EXPECT_DETECT ? "detect" : "clean";
}

unsigned int wl_nroles(const struct workload *wl)
{
	unsigned int n = 0;

	while (wl->roles && wl->roles[n])
		n++;
	return n;
}

/* "unknown role 'x' (roles: a b c)" */
static void unknown_role(const struct workload *wl, const char *name, char *err, size_t errlen)
{
	size_t off = (size_t)snprintf(err, errlen, "unknown role '%s' (roles:", name);

	for (unsigned int k = 0; wl->roles && wl->roles[k] && off < errlen; k++)
		off += (size_t)snprintf(err + off, errlen - off, " %s", wl->roles[k]);
	if (off < errlen)
		snprintf(err + off, errlen - off, ")");
}

int wl_mix_parse(const struct workload *wl, const char *spec, struct wl_mix *mix,
		 char *err, size_t errlen)
{
	unsigned int nroles = wl_nroles(wl);
	bool seen[MT_MAX_OPS] = { false };
	const char *p = spec;

	memset(mix, 0, sizeof(*mix));
	mix->nroles = nroles;
	if (!spec || !*spec) {	/* every role, equally */
		for (unsigned int i = 0; i < nroles; i++)
			mix->weight[i] = 1;
		mix->total = nroles;
		return 0;
	}
	for (;;) {
		char name[64], wbuf[24];
		size_t n, wn;
		uint64_t w;
		unsigned int i;

		while (isspace((unsigned char)*p))
			p++;
		n = strcspn(p, ":,");
		if (n == 0 || n >= sizeof(name)) {
			snprintf(err, errlen, "expected role:weight in '%s'%s", spec,
				 n ? "" : ": a comma too many?");
			return -1;
		}
		memcpy(name, p, n);
		while (n && isspace((unsigned char)name[n - 1]))
			n--;
		name[n] = '\0';
		p += strcspn(p, ":,");
		for (i = 0; i < nroles; i++)
			if (!strcmp(wl->roles[i], name))
				break;
		if (i == nroles) {
			unknown_role(wl, name, err, errlen);
			return -1;
		}
		if (seen[i]) {
			snprintf(err, errlen, "role '%s' is given twice", name);
			return -1;
		}
		seen[i] = true;
		wn = *p == ':' ? strcspn(p + 1, ",") : 0;
		if (*p != ':' || !wn) {
			snprintf(err, errlen, "role '%s' has no weight: write %s:N", name, name);
			return -1;
		}
		p++;
		snprintf(wbuf, sizeof(wbuf), "%.*s", (int)(wn < sizeof(wbuf) ? wn : sizeof(wbuf) - 1), p);
		if (wn >= sizeof(wbuf) || mt_parse_u64(wbuf, &w) || w > 1000000) {
			snprintf(err, errlen, "role '%s': weight '%s%s' is not an integer in 0..1000000",
				 name, wbuf, wn >= sizeof(wbuf) ? "..." : "");
			return -1;
		}
		p += wn;
		mix->weight[i] = (uint32_t)w;
		if (!*p)
			break;
		p++;	/* the comma */
	}
	for (unsigned int i = 0; i < nroles; i++)
		mix->total += mix->weight[i];
	if (!mix->total) {
		snprintf(err, errlen, "every weight is zero");
		return -1;
	}
	return 0;
}
