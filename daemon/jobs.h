/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jobs.h - the daemon's jobs and their lifecycle: submitted (parsed once,
 * kept in the state directory before the client hears ok), queued, run by
 * a supervisor process each (which runs the engine's runner, which forks
 * the job process itself), finished with the result the supervisor hands
 * back in shared memory, recorded, and let go from memory after
 * MT_DAEMON_KEEP_RESULTS (their counters carried on).
 *
 * Context: the daemon's thread.
 */
#ifndef MT_DAEMON_JOBS_H
#define MT_DAEMON_JOBS_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "daemon/djob.h"
#include "lib/engine/placement.h"

struct jobs_counts {
	unsigned int queued, running, finished, cancelled;
	uint64_t verdicts[MT_NVERDICTS];
	uint64_t cancelled_unrun;	/* verdict CANCELLED: cancelled before it ran */
};

/* Load the state directory.  Return: 0, or -1 with @err. */
int jobs_init(struct mt_topology *topo, char *err, size_t errlen);
/* Called with each job that ends (finished, or cancelled before it ran). */
void jobs_on_end(void (*fn)(struct djob *j));
/* What a supervisor must close of the daemon's (its sockets), as it starts. */
void jobs_set_close_fds(void (*fn)(void));

/*
 * jobs_submit - parse job file @text (named @filename) and queue its jobs
 * @name: renames them (NAME, or NAME.SECTION for several), or NULL
 * @reply: filled: ok with ids and jobs, or a refusal with its code
 * Return: the number of jobs queued, or -1.
 */
int jobs_submit(const char *text, const char *filename, const char *name, uid_t uid,
		json_t *reply);
struct djob *jobs_find(long long id);
/* The first job, in id order; then ->next. */
struct djob *jobs_first(void);
/* Return: 0, or -EALREADY (it has ended). */
int jobs_cancel(struct djob *j);
/* Start what may start. */
void jobs_schedule(void);
void jobs_reap(void);		/* after SIGCHLD */
void jobs_tick(void);		/* about every 100 ms: live rates, records to retry */
bool jobs_stopping(void);
void jobs_shutdown(void);	/* SIGTERM: cancel the running, wait, keep the queue */
void jobs_count(struct jobs_counts *c);
/* The running job's name, for systemd's STATUS=, or "" */
const char *jobs_running_name(void);

#endif /* MT_DAEMON_JOBS_H */
