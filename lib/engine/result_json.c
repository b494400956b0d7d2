// SPDX-License-Identifier: GPL-2.0-only
/*
 * result_json.c - metrics.json: a run's result as JSON, and back (the
 * daemon reads the results of earlier runs at start).
 */
#include <stdlib.h>
#include <string.h>

#include "core/sched.h"
#include "lib/engine/json.h"
#include "lib/engine/result.h"

static const struct { uint32_t flag; const char *name; } run_flags[] = {
	{ MT_RUN_DETECTED, "detected" }, { MT_RUN_PROBLEM, "problem" },
	{ MT_RUN_HIT_BOUND, "hit_bound" }, { MT_RUN_DEADLOCK, "deadlock" },
	{ MT_RUN_CRASHED, "crashed" },
};

/* The runs of a job of several: what they found, and the runs to replay. */
static json_t *runs_to_json(const struct mt_result *res)
{
	json_t *o = json_object(), *recs = json_array();
	double bound = mt_result_pct_bound(res, res->threads);
	uint64_t done = res->runs.done ? res->runs.done : 1;

	json_object_set_new(o, "sched", json_string(mt_sched_mode_name(res->runs.mode)));
	json_object_set_new(o, "pct_depth", json_integer(res->runs.depth));
	json_object_set_new(o, "pct_steps", json_integer((json_int_t)res->runs.k));
	json_object_set_new(o, "pct_bound", bound >= 0 ? json_real(bound) : json_null());
	json_object_set_new(o, "planned", json_integer(res->runs.planned));
	json_object_set_new(o, "done", json_integer(res->runs.done));
	json_object_set_new(o, "detected", json_integer(res->runs.detected));
	json_object_set_new(o, "with_races_or_leaks", json_integer(res->runs.problems));
	json_object_set_new(o, "hit_step_bound", json_integer(res->runs.hit_bound));
	json_object_set_new(o, "deadlocks", json_integer(res->runs.deadlocks));
	json_object_set_new(o, "crashed", json_integer(res->runs.crashed));
	json_object_set_new(o, "steps_min", json_integer((json_int_t)res->runs.steps_min));
	json_object_set_new(o, "steps_max", json_integer((json_int_t)res->runs.steps_max));
	json_object_set_new(o, "steps_mean", json_real((double)res->runs.steps_sum / (double)done));
	json_object_set_new(o, "preemptions_mean",
			    json_real((double)res->runs.preemptions_sum / (double)done));
	json_object_set_new(o, "point_pairs_max", json_integer((json_int_t)res->runs.pairs_max));
	for (unsigned int i = 0; i < res->runs.nrecs; i++) {
		const struct mt_run_rec *r = &res->runs.recs[i];
		json_t *rec = json_pack("{s:i, s:o, s:I, s:I, s:I, s:o}", "run", (int)r->run,
					"seed", json_sprintf("%llu", (unsigned long long)r->seed),
					"steps", (json_int_t)r->steps,
					"preemptions", (json_int_t)r->preemptions,
					"first_step", (json_int_t)r->first_step,
					"digest", json_sprintf("%016llx", (unsigned long long)r->digest));

		for (unsigned int f = 0; f < ARRAY_SIZE(run_flags); f++)
			json_object_set_new(rec, run_flags[f].name, json_boolean(r->flags & run_flags[f].flag));
		json_array_append_new(recs, rec);
	}
	json_object_set_new(o, "records", recs);
	return o;
}

static void runs_from_json(const json_t *o, struct mt_result *res)
{
	const json_t *recs = json_object_get(o, "records"), *r;
	const char *mode = mt_json_str(o, "sched", "free");
	size_t i;

	for (unsigned int m = MT_SCHED_FREE; m <= MT_SCHED_GUIDED; m++)
		if (!strcmp(mt_sched_mode_name(m), mode))
			res->runs.mode = m;
	res->runs.depth = (uint32_t)mt_json_count(o, "pct_depth", UINT32_MAX);
	res->runs.k = mt_json_count(o, "pct_steps", UINT64_MAX);
	res->runs.planned = (uint32_t)mt_json_count(o, "planned", UINT32_MAX);
	res->runs.done = (uint32_t)mt_json_count(o, "done", UINT32_MAX);
	res->runs.detected = (uint32_t)mt_json_count(o, "detected", UINT32_MAX);
	res->runs.problems = (uint32_t)mt_json_count(o, "with_races_or_leaks", UINT32_MAX);
	res->runs.hit_bound = (uint32_t)mt_json_count(o, "hit_step_bound", UINT32_MAX);
	res->runs.deadlocks = (uint32_t)mt_json_count(o, "deadlocks", UINT32_MAX);
	res->runs.crashed = (uint32_t)mt_json_count(o, "crashed", UINT32_MAX);
	res->runs.steps_min = mt_json_count(o, "steps_min", UINT64_MAX);
	res->runs.steps_max = mt_json_count(o, "steps_max", UINT64_MAX);
	res->runs.steps_sum = (uint64_t)(mt_json_count(o, "steps_mean", UINT32_MAX) * (uint64_t)res->runs.done);
	res->runs.preemptions_sum = (uint64_t)(mt_json_count(o, "preemptions_mean", UINT32_MAX) * (uint64_t)res->runs.done);
	res->runs.pairs_max = mt_json_count(o, "point_pairs_max", UINT64_MAX);
	json_array_foreach(recs, i, r) {
		struct mt_run_rec *rec;

		if (res->runs.nrecs >= MT_RUN_RECS)
			break;
		rec = &res->runs.recs[res->runs.nrecs++];
		rec->run = (uint32_t)mt_json_count(r, "run", UINT32_MAX);
		rec->seed = strtoull(mt_json_str(r, "seed", "0"), NULL, 10);
		rec->steps = mt_json_count(r, "steps", UINT64_MAX);
		rec->preemptions = mt_json_count(r, "preemptions", UINT64_MAX);
		rec->first_step = mt_json_count(r, "first_step", UINT64_MAX);
		rec->digest = strtoull(mt_json_str(r, "digest", "0"), NULL, 16);
		for (unsigned int f = 0; f < ARRAY_SIZE(run_flags); f++)
			if (json_is_true(json_object_get(r, run_flags[f].name)))
				rec->flags |= run_flags[f].flag;
	}
}

json_t *mt_result_to_json(const struct mt_result *res)
{
	json_t *j = json_object(), *job = json_object(), *races = json_object();
	json_t *leaks = json_object(), *info = json_object(), *first = json_object();
	json_t *ops = json_object(), *mix = json_object(), *nodes = json_object();
	json_t *caches = json_array(), *windows = json_object(), *events = json_array();
	json_t *cov = json_object();
	double first_s;

	json_object_set_new(j, "format_version", json_integer(MT_RESULT_FORMAT_VERSION));
	json_object_set_new(j, "tool", json_string("mmtorture"));
	json_object_set_new(j, "version", json_string(MT_VERSION));
	json_object_set_new(job, "name", mt_json_string(res->job));
	json_object_set_new(job, "workload", mt_json_string(res->workload));
	json_object_set_new(job, "file", mt_json_string(res->file));
	json_object_set_new(job, "line", json_integer(res->line));
	json_object_set_new(job, "threads", json_integer(res->threads));
	json_object_set_new(job, "rcu", json_string(res->rcu));
	json_object_set_new(job, "runtime_seconds", json_real(res->runtime_s));
	json_object_set_new(job, "delay", json_real(res->delay));
	json_object_set_new(job, "sync_delay", json_real(res->sync_delay));
	json_object_set_new(job, "bugs", mt_json_string(res->bugs));
	json_object_set_new(job, "expect", json_string(res->expect_detect ? "detect" : "clean"));
	json_object_set_new(job, "nodes", mt_json_string(res->nodes));
	json_object_set_new(job, "mix", mt_json_string(res->mix));
	json_object_set_new(j, "job", job);

	/* a string: 64-bit seeds do not survive JSON readers that use doubles */
	json_object_set_new(j, "seed", json_sprintf("%llu", (unsigned long long)res->seed));
	json_object_set_new(j, "started", mt_json_string(res->started));
	json_object_set_new(j, "verdict", json_string(mt_verdict_name(res->verdict)));
	json_object_set_new(j, "why", mt_json_string(res->why));
	json_object_set_new(j, "exit_category", json_integer(mt_verdict_exit(res->verdict)));
	json_object_set_new(j, "crash_signal", res->term_signal ?
			    json_integer(res->term_signal) : json_null());
	json_object_set_new(j, "hung", json_boolean(res->hung));
	json_object_set_new(j, "hang", res->hung ? mt_json_string(res->hang) : json_null());
	json_object_set_new(j, "cancelled", json_boolean(res->cancelled));
	json_object_set_new(j, "error", res->error[0] ? mt_json_string(res->error) : json_null());
	json_object_set_new(j, "elapsed_seconds", json_real(res->elapsed_s));
	json_object_set_new(j, "time_to_detection_seconds",
			    res->detect_s >= 0 ? json_real(res->detect_s) : json_null());
	json_object_set_new(j, "first_detection_seconds",
			    res->first_detect_s >= 0 ? json_real(res->first_detect_s) : json_null());
	first_s = mt_result_first_problem(res, NULL);
	json_object_set_new(j, "first_race_or_leak_seconds",
			    first_s >= 0 ? json_real(first_s) : json_null());
	json_object_set_new(j, "placement", mt_json_string(res->placement));

	for (int c = 0; c < MT_NCOUNTERS; c++) {
		json_t *dst = mt_counter_class(c) == MT_CLASS_RACE ? races :
			      mt_counter_class(c) == MT_CLASS_LEAK ? leaks : info;

		json_object_set_new(dst, mt_counter_name(c), json_integer((json_int_t)res->counters[c]));
		if (res->first_s[c] >= 0)
			json_object_set_new(first, mt_counter_name(c), json_real(res->first_s[c]));
	}
	json_object_set_new(j, "races", races);
	json_object_set_new(j, "leaks", leaks);
	json_object_set_new(j, "info", info);
	json_object_set_new(j, "first_seconds", first);
	for (unsigned int i = 0; i < res->nroles; i++) {
		json_object_set_new(ops, res->roles[i], json_integer((json_int_t)res->ops[i]));
		json_object_set_new(mix, res->roles[i], json_integer(res->weight[i]));
	}
	json_object_set_new(j, "ops", ops);
	json_object_set_new(j, "mix_weights", mix);
	for (int k = 0; k < res->nnodes; k++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", res->node_id[k]);
		json_object_set_new(nodes, id, json_integer((json_int_t)res->node_ops[k]));
	}
	json_object_set_new(j, "ops_by_node", nodes);
	for (unsigned int i = 0; i < res->ncaches; i++) {
		const struct mt_result_cache *c = &res->caches[i];

		json_array_append_new(caches, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}",
			"name", c->name, "typesafe", c->typesafe, "live", (json_int_t)c->live,
			"allocs", (json_int_t)c->allocs, "remote_frees", (json_int_t)c->remote_frees,
			"leaked", (json_int_t)c->leaked));
	}
	json_object_set_new(j, "caches", caches);
	/* the windows where delays were injected; every window is in coverage */
	for (unsigned int i = 0; i < res->nwindows; i++) {
		const struct mt_result_window *w = &res->windows[i];

		if (w->hits)
			json_object_set_new(windows, w->name, json_integer((json_int_t)w->hits));
		json_object_set_new(cov, w->name, json_pack("{s:I, s:I, s:I, s:b}",
			"passes", (json_int_t)w->passes, "delays", (json_int_t)w->hits,
			"overlaps", (json_int_t)w->overlaps, "required", w->required));
	}
	json_object_set_new(j, "race_windows", windows);
	json_object_set_new(j, "coverage", cov);
	for (unsigned int i = 0; i < res->nevents; i++) {
		const struct mt_result_event *e = &res->events[i];

		json_array_append_new(events, json_pack("{s:f, s:s, s:o, s:o, s:i}",
			"t_seconds", e->t_s, "kind", e->kind, "where", mt_json_string(e->where),
			"what", mt_json_string(e->what), "thread", e->thread));
	}
	json_object_set_new(j, "events", events);
	json_object_set_new(j, "events_total", json_integer((json_int_t)res->nevents_total));
	if (res->runs.planned)
		json_object_set_new(j, "runs", runs_to_json(res));
	return j;
}

int mt_result_from_json(const json_t *j, struct mt_result *res)
{
	const json_t *job = json_object_get(j, "job"), *v;
	const char *key;
	int verdict;
	char vs[16];

	memset(res, 0, sizeof(*res));
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "format_version")) !=
	    MT_RESULT_FORMAT_VERSION || !json_is_object(job))
		return -1;
	mt_json_copy(job, "name", res->job, sizeof(res->job));
	mt_json_copy(job, "workload", res->workload, sizeof(res->workload));
	mt_json_copy(job, "file", res->file, sizeof(res->file));
	res->line = (int)mt_json_int(job, "line", 0, INT32_MAX, 0);
	res->threads = (unsigned int)mt_json_count(job, "threads", MT_MAX_THREADS);
	mt_json_copy(job, "rcu", res->rcu, sizeof(res->rcu));
	res->runtime_s = mt_json_num(job, "runtime_seconds", 0);
	res->delay = mt_json_num(job, "delay", 0);
	res->sync_delay = mt_json_num(job, "sync_delay", 0);
	mt_json_copy(job, "bugs", res->bugs, sizeof(res->bugs));
	mt_json_copy(job, "nodes", res->nodes, sizeof(res->nodes));
	mt_json_copy(job, "mix", res->mix, sizeof(res->mix));
	{
		char e[8];

		mt_json_copy(job, "expect", e, sizeof(e));
		res->expect_detect = !strcmp(e, "detect");
	}
	{
		char s[32];

		mt_json_copy(j, "seed", s, sizeof(s));
		res->seed = strtoull(s, NULL, 10);
	}
	mt_json_copy(j, "started", res->started, sizeof(res->started));
	mt_json_copy(j, "verdict", vs, sizeof(vs));
	verdict = mt_verdict_lookup(vs);
	if (verdict < 0)
		return -1;
	res->verdict = (enum mt_verdict)verdict;
	mt_json_copy(j, "why", res->why, sizeof(res->why));
	res->term_signal = (int)mt_json_int(j, "crash_signal", 0, 64, 0);
	res->hung = json_is_true(json_object_get(j, "hung"));
	mt_json_copy(j, "hang", res->hang, sizeof(res->hang));
	res->cancelled = json_is_true(json_object_get(j, "cancelled"));
	mt_json_copy(j, "error", res->error, sizeof(res->error));
	res->elapsed_s = mt_json_num(j, "elapsed_seconds", 0);
	res->detect_s = mt_json_num(j, "time_to_detection_seconds", -1);
	res->first_detect_s = mt_json_num(j, "first_detection_seconds", -1);
	mt_json_copy(j, "placement", res->placement, sizeof(res->placement));
	for (int c = 0; c < MT_NCOUNTERS; c++) {
		const char *cls = mt_counter_class(c) == MT_CLASS_RACE ? "races" :
				  mt_counter_class(c) == MT_CLASS_LEAK ? "leaks" : "info";

		res->counters[c] = mt_json_count(json_object_get(j, cls), mt_counter_name(c), UINT64_MAX);
		res->first_s[c] = mt_json_num(json_object_get(j, "first_seconds"), mt_counter_name(c), -1);
	}
	json_object_foreach((json_t *)json_object_get(j, "ops"), key, v) {
		if (res->nroles >= MT_MAX_OPS)
			break;
		snprintf(res->roles[res->nroles], MT_NAME_LEN, "%s", key);
		res->ops[res->nroles] = mt_json_value_count(v, UINT64_MAX);
		res->weight[res->nroles] =
			(uint32_t)mt_json_count(json_object_get(j, "mix_weights"), key, 1000000);
		res->nroles++;
	}
	json_object_foreach((json_t *)json_object_get(j, "ops_by_node"), key, v) {
		if (res->nnodes >= MT_MAX_NODES)
			break;
		res->node_id[res->nnodes] = atoi(key);
		res->node_ops[res->nnodes++] = mt_json_value_count(v, UINT64_MAX);
	}
	{
		size_t i;
		json_t *c;

		json_array_foreach(json_object_get(j, "caches"), i, c) {
			struct mt_result_cache *rc;

			if (res->ncaches >= MT_MAX_CACHES)
				break;
			rc = &res->caches[res->ncaches++];
			mt_json_copy(c, "name", rc->name, sizeof(rc->name));
			rc->typesafe = json_is_true(json_object_get(c, "typesafe"));
			rc->live = mt_json_int(c, "live", INT64_MIN, INT64_MAX, 0);
			rc->allocs = mt_json_count(c, "allocs", UINT64_MAX);
			rc->remote_frees = mt_json_count(c, "remote_frees", UINT64_MAX);
			rc->leaked = mt_json_count(c, "leaked", UINT64_MAX);
		}
		json_array_foreach(json_object_get(j, "events"), i, c) {
			struct mt_result_event *e;

			if (res->nevents >= MT_MAX_EVENTS)
				break;
			e = &res->events[res->nevents++];
			e->t_s = mt_json_num(c, "t_seconds", 0);
			mt_json_copy(c, "kind", e->kind, sizeof(e->kind));
			mt_json_copy(c, "where", e->where, sizeof(e->where));
			mt_json_copy(c, "what", e->what, sizeof(e->what));
			e->thread = (int)mt_json_int(c, "thread", 0, MT_MAX_SHARDS, 0);
		}
	}
	/* coverage has every window; race_windows, in older files, the delayed ones */
	json_object_foreach((json_t *)json_object_get(j, json_object_get(j, "coverage") ?
						      "coverage" : "race_windows"), key, v) {
		struct mt_result_window *w = &res->windows[res->nwindows];

		if (res->nwindows >= MT_MAX_WINDOWS)
			break;
		snprintf(w->name, sizeof(w->name), "%s", key);
		if (json_is_object(v)) {
			w->hits = mt_json_count(v, "delays", UINT64_MAX);
			w->passes = mt_json_count(v, "passes", UINT64_MAX);
			w->overlaps = mt_json_count(v, "overlaps", UINT64_MAX);
			w->required = json_is_true(json_object_get(v, "required"));
		} else {
			w->hits = mt_json_value_count(v, UINT64_MAX);
		}
		res->nwindows++;
	}
	res->nevents_total = json_is_number(json_object_get(j, "events_total")) ?
			     mt_json_count(j, "events_total", UINT64_MAX) : res->nevents;
	if (json_is_object(json_object_get(j, "runs")))
		runs_from_json(json_object_get(j, "runs"), res);
	return 0;
}

