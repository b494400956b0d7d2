/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * requests.h - the requests of the control protocol (docs/PROTOCOL.md),
 * one table: each command, whether it needs the right to submit, and its
 * handler, which makes the reply.
 */
#ifndef MT_DAEMON_REQUESTS_H
#define MT_DAEMON_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "core/compiler.h"
#include "daemon/djob.h"

/* Who asks, and what the server knows that a reply may tell. */
struct req_ctx {
	uid_t uid;
	bool privileged;		/* root, the daemon's user, or the group */
	int nclients;
	bool socket_activated;
	long long waiting_for;		/* out: `wait` for this job is pending */
};

/* What the daemon's status tells besides the jobs: fixed at start. */
void requests_init(double started, const char *machine);
/*
 * requests_handle - answer one request line
 * Return: the reply (taken by the caller), or NULL when it is a `wait`
 * for a job not ended yet (c->waiting_for says which).
 */
json_t *requests_handle(struct req_ctx *c, const char *line, size_t len);
/* {"ok": false, "code": @code, "error": ...} */
json_t *requests_refusal(const char *code, const char *fmt, ...) __printf(2, 3);
/* {"ok": true, "job": ...}: the answer to a `wait` */
json_t *requests_job_reply(const struct djob *j);
/* The daemon's status, as `status` tells it. */
json_t *requests_status(const struct req_ctx *c);

#endif /* MT_DAEMON_REQUESTS_H */
