// SPDX-License-Identifier: GPL-2.0-only
/*
 * djob.c - one job of the daemon and its JSON view; see djob.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "daemon/djob.h"
#include "lib/engine/json.h"

static const char *const state_names[] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_FINISHED] = "finished",
	[JOB_CANCELLED] = "cancelled",
};

const char *djob_state_name(enum djob_state s)
{
	return (unsigned int)s <= JOB_CANCELLED ? state_names[s] : "?";
}

int djob_state_lookup(const char *name)
{
	for (int i = 0; i <= JOB_CANCELLED; i++)
		if (!strcmp(state_names[i], name))
			return i;
	return -1;
}

struct djob *djob_new(void)
{
	return calloc(1, sizeof(struct djob));
}

void djob_free(struct djob *j)
{
	free(j->src);
	free(j->res);
	if (j->region)
		mt_region_destroy(j->region);
	if (j->handoff)
		munmap(j->handoff, sizeof(*j->handoff));
	free(j);
}

struct mt_result *djob_error_result(const struct djob *j, const char *fmt, ...)
{
	struct mt_result *res = calloc(1, sizeof(*res));
	va_list ap;

	if (!res)
		return NULL;
	snprintf(res->job, sizeof(res->job), "%s", j->name);
	snprintf(res->workload, sizeof(res->workload), "%s", j->workload);
	res->verdict = MT_V_ERROR;
	res->detect_s = res->first_detect_s = -1;
	for (int c = 0; c < MT_NCOUNTERS; c++)
		res->first_s[c] = -1;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return res;
}

int djob_exit_category(const struct djob *j)
{
	if (!j->res)
		return MT_EXIT_EXPECT;	/* cancelled before it ran */
	if (j->res->files_error[0])
		return MT_EXIT_HARNESS;	/* its results could not be kept */
	return mt_verdict_exit(j->res->verdict);
}

/* The counters of @r by class: {"refcount_underflow": 0, ...} */
static json_t *counters_json(const struct mt_result *r, enum mt_counter_class cls)
{
	json_t *o = json_object();

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) == cls)
			json_object_set_new(o, mt_counter_name(c), json_integer((json_int_t)r->counters[c]));
	return o;
}

/* What a run says of itself, live or finished. */
static void run_json(json_t *o, const struct djob *j, const struct mt_result *r, bool live)
{
	uint64_t ops = 0;

	json_object_set_new(o, "seed", json_sprintf("%llu", (unsigned long long)
				(r->seed ? r->seed : j->job.seed)));
	json_object_set_new(o, "rcu", mt_json_string(r->rcu));
	json_object_set_new(o, "threads", json_integer(r->threads));
	json_object_set_new(o, "bugs", mt_json_string(r->bugs));
	json_object_set_new(o, "elapsed_seconds", json_real(r->elapsed_s));
	json_object_set_new(o, "runtime_seconds", json_real(r->runtime_s));
	if (!live) {
		json_object_set_new(o, "verdict", json_string(mt_verdict_name(r->verdict)));
		json_object_set_new(o, "why", mt_json_string(r->why));
		json_object_set_new(o, "exit_category", json_integer(djob_exit_category(j)));
		json_object_set_new(o, "time_to_detection_seconds",
				    r->detect_s >= 0 ? json_real(r->detect_s) : json_null());
		if (r->files_error[0])
			json_object_set_new(o, "results_error", mt_json_string(r->files_error));
	}
	for (unsigned int i = 0; i < r->nroles; i++)
		ops += r->ops[i];
	json_object_set_new(o, "ops_total", json_integer((json_int_t)ops));
	json_object_set_new(o, "races", counters_json(r, MT_CLASS_RACE));
	json_object_set_new(o, "leaks", counters_json(r, MT_CLASS_LEAK));
}

json_t *djob_json(const struct djob *j)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "name", mt_json_string(j->name));
	json_object_set_new(o, "section", mt_json_string(j->section));
	json_object_set_new(o, "workload", mt_json_string(j->workload));
	json_object_set_new(o, "filename", mt_json_string(j->filename));
	json_object_set_new(o, "state", json_string(djob_state_name(j->state)));
	json_object_set_new(o, "submitted", json_real(j->submitted));
	json_object_set_new(o, "submitter", json_integer((json_int_t)j->submitter));
	json_object_set_new(o, "results", mt_json_string(j->results));
	if (j->record_pending)
		json_object_set_new(o, "record_saved", json_false());
	if (j->state == JOB_RUNNING && j->region && j->job.wl) {
		struct mt_result *snap = calloc(1, sizeof(*snap));

		json_object_set_new(o, "phase", json_string(mt_phase_name(j->region->phase)));
		json_object_set_new(o, "ops_per_second", json_real(j->ops_rate));
		if (snap) {
			mt_result_snapshot(snap, &j->job, j->region);
			run_json(o, j, snap, true);
		}
		free(snap);
	} else if (j->res) {
		run_json(o, j, j->res, false);
	} else if (j->state == JOB_CANCELLED) {
		json_object_set_new(o, "verdict", json_string("CANCELLED"));
		json_object_set_new(o, "why", json_string("cancelled before it ran"));
		json_object_set_new(o, "exit_category", json_integer(MT_EXIT_EXPECT));
	}
	return o;
}
