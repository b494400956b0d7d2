// SPDX-License-Identifier: GPL-2.0-only
/*
 * requests.c - the requests of the control protocol; see requests.h.
 *
 * A request is checked in one order: NUL bytes, JSON, an object with a
 * "cmd" string, the protocol version, a known command, then the right to
 * submit for the commands that need it; only then does its handler run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/jobs.h"
#include "daemon/metrics.h"
#include "daemon/requests.h"
#include "lib/engine/json.h"
#include "lib/engine/values.h"
#include "lib/proto/proto.h"

static double started;
static const char *machine = "";

void requests_init(double started_at, const char *machine_desc)
{
	started = started_at;
	machine = machine_desc;
}

json_t *requests_refusal(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[mt_utf8_valid_prefix(msg, strlen(msg))] = '\0';	/* cut on a whole character */
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
}

json_t *requests_job_reply(const struct djob *j)
{
	return json_pack("{s:b, s:o}", "ok", 1, "job", djob_json(j));
}

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

json_t *requests_status(const struct req_ctx *c)
{
	json_t *verdicts = json_object();
	struct jobs_counts n;

	jobs_count(&n);
	for (int v = 0; v < MT_NVERDICTS; v++)
		json_object_set_new(verdicts, mt_verdict_name(v), json_integer((json_int_t)n.verdicts[v]));
	json_object_set_new(verdicts, "CANCELLED", json_integer((json_int_t)n.cancelled_unrun));
	return json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:s, s:b, s:o}",
			 "version", MT_VERSION, "revision", MT_GIT_REV,
			 "protocol", MT_PROTO_VERSION, "pid", (int)getpid(),
			 "started", started, "uptime_seconds", now_real() - started,
			 "running", (json_int_t)n.running, "queued", (json_int_t)n.queued,
			 "finished", (json_int_t)n.finished, "cancelled", (json_int_t)n.cancelled,
			 "max_parallel", (json_int_t)dcfg.max_parallel,
			 "max_queue", (json_int_t)dcfg.max_queue,
			 "clients", (json_int_t)c->nclients,
			 "state_directory", mt_json_string(dcfg.state_dir),
			 "socket", mt_json_string(dcfg.socket_path),
			 "machine", machine, "socket_activated", c->socket_activated,
			 "verdicts", verdicts);
}

/* The job of the request's "id", or NULL with the refusal in @reply. */
static struct djob *want_job(const json_t *req, json_t **reply)
{
	const json_t *v = json_object_get(req, "id");
	struct djob *j;

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		*reply = requests_refusal("bad_request", "\"id\" must be a positive integer job id");
		return NULL;
	}
	j = jobs_find(json_integer_value(v));
	if (!j)
		*reply = requests_refusal("not_found", "no job %lld", (long long)json_integer_value(v));
	return j;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static json_t *do_version(struct req_ctx *c, const json_t *req)
{
	return json_pack("{s:b, s:s, s:s, s:i}", "ok", 1, "version", MT_VERSION,
			 "revision", MT_GIT_REV, "protocol", MT_PROTO_VERSION);
}

static json_t *do_bugs(struct req_ctx *c, const json_t *req)
{
	return json_pack("{s:b, s:o}", "ok", 1, "bugs", mt_bugs_json());
}

static json_t *do_list(struct req_ctx *c, const json_t *req)
{
	json_t *a = json_array();

	for (struct djob *j = jobs_first(); j; j = j->next)
		json_array_append_new(a, djob_json(j));
	return json_pack("{s:b, s:o}", "ok", 1, "jobs", a);
}

static json_t *do_status(struct req_ctx *c, const json_t *req)
{
	json_t *reply = NULL;
	struct djob *j;

	if (!json_object_get(req, "id"))
		return json_pack("{s:b, s:o}", "ok", 1, "daemon", requests_status(c));
	j = want_job(req, &reply);
	return j ? requests_job_reply(j) : reply;
}

static json_t *do_dump(struct req_ctx *c, const json_t *req)
{
	const char *fmt = json_string_value(json_object_get(req, "format"));
	json_t *reply;
	char *text;

	if (fmt && !strcmp(fmt, "json"))
		return json_pack("{s:b, s:s, s:o}", "ok", 1, "format", "json", "metrics",
				 metrics_json(requests_status(c)));
	if (fmt && strcmp(fmt, "prom"))
		return requests_refusal("bad_request", "dump format '%s': json or prom", fmt);
	text = metrics_prom();
	reply = text ? json_pack("{s:b, s:s, s:s}", "ok", 1, "format", "prom", "text", text) :
		requests_refusal("internal", "out of memory");
	free(text);
	return reply;
}

static json_t *do_wait(struct req_ctx *c, const json_t *req)
{
	json_t *reply = NULL;
	struct djob *j = want_job(req, &reply);

	if (!j)
		return reply;
	if (j->state >= JOB_FINISHED)
		return requests_job_reply(j);
	c->waiting_for = j->id;		/* answered when it ends */
	return NULL;
}

static json_t *do_cancel(struct req_ctx *c, const json_t *req)
{
	json_t *reply = NULL;
	struct djob *j = want_job(req, &reply);
	bool again;

	if (!j)
		return reply;
	again = j->cancel_requested;
	if (jobs_cancel(j) != -EALREADY)
		return json_pack("{s:b, s:s}", "ok", 1, "message",
				 j->state == JOB_CANCELLED ? "cancelled before it ran" :
				 again ? "already being cancelled: partial results will be written" :
				 "cancelling: partial results will be written");
	if (j->state == JOB_CANCELLED)
		return requests_refusal("cancelled", "job %lld was already cancelled %s", j->id,
					j->res ? "while it ran" : "before it ran");
	return requests_refusal("finished", "job %lld has already finished", j->id);
}

static json_t *do_submit(struct req_ctx *c, const json_t *req)
{
	const char *text = json_string_value(json_object_get(req, "jobfile"));
	const char *fname = json_string_value(json_object_get(req, "filename"));
	const char *name = json_string_value(json_object_get(req, "name"));
	json_t *reply;
	char fn[128];

	if (!text)
		return requests_refusal("bad_request", "submit needs \"jobfile\": the job file's text");
	if (json_object_get(req, "name") && !name)
		return requests_refusal("bad_request", "\"name\" must be a string");
	if (name && (!*name || strlen(name) >= MT_JOB_NAME_LEN))
		return requests_refusal("bad_request", "\"name\" must be 1 to %d bytes",
					MT_JOB_NAME_LEN - 1);
	if (name && has_control(name))
		return requests_refusal("bad_request", "\"name\" has a control character");
	/* it names the file in messages and logs: one line, whole characters */
	mt_strcpy_text(fn, sizeof(fn), fname && *fname ? fname : "(submitted)");
	reply = json_object();
	jobs_submit(text, fn, name, c->uid, reply);
	return reply;
}

static const struct request {
	const char *cmd;
	bool control;			/* needs root, the daemon's user, or the group */
	json_t *(*handle)(struct req_ctx *c, const json_t *req);
} requests[] = {
	{ "submit", true, do_submit },
	{ "list", false, do_list },
	{ "status", false, do_status },
	{ "cancel", true, do_cancel },
	{ "wait", false, do_wait },
	{ "dump", false, do_dump },
	{ "bugs", false, do_bugs },
	{ "version", false, do_version },
};

/* The request @req, a JSON object: its checks, then its handler. */
static json_t *dispatch(struct req_ctx *c, const json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const json_t *v = json_object_get(req, "v");

	if (!json_is_object(req) || !cmd)
		return requests_refusal("bad_request", "a request is a JSON object with a \"cmd\" string");
	if (v && (!json_is_integer(v) || json_integer_value(v) != MT_PROTO_VERSION))
		return requests_refusal("bad_version", "this daemon speaks protocol version %d",
					MT_PROTO_VERSION);
	for (unsigned int i = 0; i < ARRAY_SIZE(requests); i++) {
		const struct request *r = &requests[i];

		if (strcmp(r->cmd, cmd))
			continue;
		if (r->control && !c->privileged)
			return requests_refusal("permission_denied",
						"uid %d may only read: %s needs root or group %s",
						(int)c->uid, cmd, dcfg.group);
		if (r->control && jobs_stopping())
			return requests_refusal("stopping", "the daemon is stopping");
		return r->handle(c, req);
	}
	return requests_refusal("unknown_command", "unknown command '%s' (submit, list, status, "
				"cancel, wait, dump, bugs, version)", cmd);
}

json_t *requests_handle(struct req_ctx *c, const char *line, size_t len)
{
	const char *nul = memchr(line, '\0', len);
	json_error_t je;
	json_t *req, *reply;

	if (nul)
		return requests_refusal("bad_json", "a request may not contain NUL bytes (one at byte %zu)",
					(size_t)(nul - line) + 1);
	req = json_loadb(line, len, 0, &je);
	if (!req && json_error_code(&je) == json_error_null_character)
		return requests_refusal("bad_json", "a request may not contain NUL characters (\\u0000, "
					"column %d)", je.column);
	if (!req)
		return requests_refusal("bad_json", "the request is not JSON: %s (column %d)", je.text,
					je.column);
	reply = dispatch(c, req);
	json_decref(req);
	return reply;
}
