/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * djob.h - one job of the daemon: what was submitted (the job, parsed
 * once, and its section as a file of its own for the state directory),
 * its state, the run's live region while it runs, its result once it has
 * run; and its JSON view, the same for clients and for the record kept on
 * disk.
 */
#ifndef MT_DAEMON_DJOB_H
#define MT_DAEMON_DJOB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "core/counters.h"
#include "lib/engine/job.h"
#include "lib/engine/result.h"

enum djob_state { JOB_QUEUED, JOB_RUNNING, JOB_FINISHED, JOB_CANCELLED };

/* What a supervisor hands back: its run's result, in shared memory. */
struct djob_handoff {
	uint32_t done;			/* ATOMIC: res is whole (release/acquire) */
	int exit_code;
	struct mt_result res;
};

struct djob {
	long long id;
	char name[MT_JOB_NAME_LEN];	/* the job's section name, or --name */
	char section[MT_JOB_NAME_LEN];	/* the section in the job file */
	char workload[32];
	char filename[128];		/* the file name the client gave */
	char *src;			/* the job as a file of its own (queued, running) */
	struct mt_job job;		/* parsed once, at submit or when loaded */
	uid_t submitter;
	double submitted;		/* CLOCK_REALTIME seconds */
	enum djob_state state;
	bool cancel_requested;

	/* running */
	pid_t supervisor;
	struct mt_region *region;	/* shared with the supervisor */
	struct djob_handoff *handoff;	/* shared with the supervisor */
	uint64_t t_start_ns;
	uint64_t last_ops, last_ops_t;
	double ops_rate;

	/* finished */
	struct mt_result *res;		/* NULL: cancelled before it ran */
	char results[PATH_MAX];
	bool record_pending;		/* its record is not on disk yet: retried */

	struct djob *next;		/* the list: id order */
};

struct djob *djob_new(void);
void djob_free(struct djob *j);
/* "queued", "running", "finished", "cancelled" */
const char *djob_state_name(enum djob_state s);
/* Return: the state of that name, or -1. */
int djob_state_lookup(const char *name);
/*
 * djob_error_result - a result for a job that has none of its own (it
 * could not start, its supervisor died): ERROR, @fmt.  NULL when out of
 * memory.
 */
struct mt_result *djob_error_result(const struct djob *j, const char *fmt, ...) __printf(2, 3);
/* The exit category of a finished job, as `mmtorture wait` exits with it. */
int djob_exit_category(const struct djob *j);
/*
 * djob_json - the job as clients and the record see it: with live
 * counters while it runs, the verdict once it has run (PROTOCOL.md).
 */
json_t *djob_json(const struct djob *j);

#endif /* MT_DAEMON_DJOB_H */
