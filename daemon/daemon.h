/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon.h - mmtortured's state, shared by its four files:
 *
 *   mmtortured.c    main: options and config, signals, the event loop,
 *                   systemd notification, logging
 *   daemon_server.c the control socket: connections, requests, access
 *   daemon_jobs.c   the job queue, job supervisors, persistence, metrics
 *   daemon_metrics.c the counters of finished jobs no longer in memory
 *
 * One thread.  Every fd is non-blocking and polled; signals arrive through
 * a signalfd.  Each job runs in a supervisor process (fork), which runs
 * the engine's runner (which forks the job process itself), writes the
 * job's results into the state directory, and exits with the verdict's
 * exit category.  The counters of a running job live in a shared region
 * the daemon created before the fork, so `status` reads them live.
 */
#ifndef MT_DAEMON_H
#define MT_DAEMON_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <sys/types.h>

#include "core/counters.h"
#include "daemon/proto.h"
#include "lib/engine/job.h"
#include "lib/engine/placement.h"
#include "lib/engine/result.h"

#define MT_DAEMON_MAX_CLIENTS	64	/* connections; read-only peers get half */
#define MT_DAEMON_CLIENT_TIMEOUT 60	/* s: a connection idle this long is dropped */
#define MT_DAEMON_KEEP_RESULTS	1000	/* finished jobs kept in memory */
#define MT_DAEMON_CARRY_JOBS	256	/* job label values kept for trimmed jobs' counters */

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_FINISHED, JOB_CANCELLED };

struct djob {
	long long id;
	char name[MT_JOB_NAME_LEN];	/* the job's section name, or --name */
	char section[MT_JOB_NAME_LEN];	/* the section in the job file */
	char workload[32];
	char filename[128];		/* the file name the client gave */
	char *jobfile;			/* the job file's text (queued, running) */
	uid_t submitter;
	double submitted;		/* CLOCK_REALTIME seconds */
	enum job_state state;
	bool cancel_requested;

	/* running */
	pid_t supervisor;
	struct mt_region *region;	/* shared with the supervisor */
	struct mt_job job;		/* parsed again at start */
	uint64_t t_start_ns;
	uint64_t last_ops, last_ops_t;
	double ops_rate;

	/* finished */
	struct mt_result *res;		/* NULL if the results were lost */
	char results[PATH_MAX];

	struct djob *next;		/* list: queue order, then finish order */
};

struct dconfig {
	unsigned int max_parallel;
	unsigned int max_queue;
	char group[64];			/* may submit and cancel */
	char socket_group[64];		/* owns the socket we create (not under systemd) */
	char textfile_dir[256];		/* node_exporter textfile collector, or "" */
	unsigned int client_timeout;	/* s without progress before a client is dropped */
};

struct daemon {
	struct dconfig cfg;
	char config_path[256];
	bool config_explicit;		/* --config: the file must exist */
	char socket_path[256];
	char state_dir[256];
	bool socket_activated;
	int listen_fd;
	int signal_fd;
	gid_t group_gid;
	bool group_known;
	struct mt_topology topo;
	double started;			/* CLOCK_REALTIME seconds */
	uint64_t watchdog_usec;
	uint64_t next_watchdog_ns;
	long long next_id;
	struct djob *jobs;		/* every job known, in id order */
	unsigned int nqueued, nrunning, nfinished, ncancelled;
	uint64_t verdicts[MT_NVERDICTS];
	uint64_t cancelled_unrun;	/* verdict CANCELLED: cancelled before it ran */
	bool stopping;
	bool journal;			/* stderr is the journal: <N> prefixes */
	char status_text[256];
};

extern struct daemon D;

/* logging: priorities of syslog(3) */
void dlog(int prio, const char *fmt, ...) __printf(2, 3);
/*
 * Copy @src into @dst of @size bytes for names in messages, logs and JSON:
 * cut on a whole UTF-8 character, control characters and invalid bytes
 * replaced by '?'.
 */
void dstrcpy(char *dst, size_t size, const char *src);

/* mmtortured.c */
void daemon_notify_status(void);
struct mt_errors;
/**
 * daemon_load_config - read the [daemon] section of a config file into @cfg
 * @cfg: the configuration, its defaults already set
 * @path: the file
 * @must_exist: a missing file is an error (it was named on the command line)
 * @err: every problem found, each with its file:line
 *
 * Context: the daemon's thread; sets libinih's parsing globals.
 * Return: 1 when the file was read, 0 when there is none (and it may be
 * missing), -1 with the problems added to @err.
 */
int daemon_load_config(struct dconfig *cfg, const char *path, bool must_exist,
		       struct mt_errors *err);
/* Warn that mmtorture.prom cannot be written (@what failed with @err), with the fix. */
void daemon_textfile_warn(const char *what, int err);

/* daemon_server.c */
int server_init(char *err, size_t errlen);
void server_fds(struct pollfd *pfd, int *n, int max);
void server_handle(struct pollfd *pfd, int n);
bool server_pending(void);	/* requests buffered: poll without sleeping */
void server_job_finished(struct djob *j);
void server_stopping(void);	/* refuse the waiters, stop accepting, close when flushed */
void server_access_changed(void);	/* the group changed: who may submit, again */
void server_socket_group(void);	/* give the socket we created to socket_group */
void server_close_all(void);
int server_ncfds(void);

/* daemon_jobs.c */
int jobs_init(char *err, size_t errlen);
/* Parse and queue a job file.  Return: the number of jobs queued, or -1 with the reply's error. */
int jobs_submit(const char *text, const char *filename, const char *name, uid_t uid,
		json_t *reply);
struct djob *jobs_find(long long id);
/* Return: 0, -ENOENT, or -EALREADY (finished). */
int jobs_cancel(struct djob *j);
void jobs_schedule(void);
void jobs_reap(void);		/* after SIGCHLD */
void jobs_tick(void);		/* live rates, about every 100 ms */
void jobs_shutdown(void);	/* SIGTERM: cancel the running, wait, keep the queue */
json_t *jobs_job_json(struct djob *j);
json_t *jobs_list_json(void);
json_t *jobs_status_json(void);
char *jobs_dump_prom(void);	/* malloc'd Prometheus text */
json_t *jobs_dump_json(void);
int jobs_write_dumps(void);	/* SIGUSR2: state dir (and textfile dir); logs what it wrote */

/* daemon_metrics.c: the counters of finished jobs let go from memory */
void metrics_carry(const struct mt_result *res);	/* before letting it go */
void metrics_merge(FILE *out, const char *live);	/* mt_prom_write() text plus them */

#endif /* MT_DAEMON_H */
