// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_engine - the engine runs the null workload in-process under each RCU
 * flavor: workers park for audits, the audit sees every object with its
 * one owner, teardown leaves no leak, and options and mixes parse.
 */
#include "core/counters.h"
#include "core/prng.h"
#include "lib/engine/engine.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/options.h"
#include "tests/tap.h"

extern const struct workload wl_null;

/* No workload option may be named like a job key (the key would win), nor twice. */
static void option_names(void)
{
	int clash = 0, twice = 0, nopts = 0;

	for (const struct workload *const *w = mt_workloads; *w; w++)
		for (const struct wl_opt *o = (*w)->opts; o && o->name; o++) {
			nopts++;
			for (const struct mt_job_key *k = mt_job_keys; k->name; k++)
				if (!strcmp(k->name, o->name)) {
					diag("workload %s: option '%s' is a job key", (*w)->name, o->name);
					clash++;
				}
			for (const struct wl_opt *p = (*w)->opts; p != o; p++)
				if (!strcmp(p->name, o->name)) {
					diag("workload %s: option '%s' twice", (*w)->name, o->name);
					twice++;
				}
		}
	ok(nopts > 10 && !clash && !twice,
	   "none of the %d workload options is named like a job key or twice", nopts);
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
	ok(wl_opt_set(wl_opt_lookup(&wl_null, "objects"), job.wl_opts, "0", err, sizeof(err)) == -1 &&
	   strstr(err, "1..65536"), "an option out of bounds names them: %s", err);
	ok(wl_opt_set(wl_opt_lookup(&wl_null, "crash"), job.wl_opts, "foo", err, sizeof(err)) == -1 &&
	   strstr(err, "not one of none, segv, abort, bus"), "an enum option names its choices: %s", err);
	ok(wl_opt_set(wl_opt_lookup(&wl_null, "crash"), job.wl_opts, "abort", err, sizeof(err)) == 0 &&
	   *(unsigned int *)(job.wl_opts + wl_opt_lookup(&wl_null, "crash")->off) == 2,
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

	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
