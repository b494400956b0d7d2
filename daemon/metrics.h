/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - the daemon's metrics: Prometheus text and JSON of every job
 * it knows (the finished jobs it keeps, live snapshots of the running,
 * the carried counters of those let go), and the files they are written
 * to: metrics.prom and metrics.json in the state directory on SIGUSR2,
 * mmtorture.prom in textfile_dir for node_exporter when a job ends and
 * every textfile_interval while one runs.  (The /metrics endpoint,
 * http.c, serves the same text.)
 *
 * The `*_total` counters sum every job of the same name since the daemon
 * started, and never go down while it runs.
 */
#ifndef MT_DAEMON_METRICS_H
#define MT_DAEMON_METRICS_H

#include <jansson.h>

#include "daemon/djob.h"

/* @started_at: when the daemon started (Unix time), for its gauge. */
void metrics_init(double started_at);
/* When the daemon started (Unix time). */
double metrics_started(void);
/* malloc'd Prometheus text of the daemon, or NULL when out of memory. */
char *metrics_prom(void);
/* The JSON dump: {format_version, daemon: @status (taken), results, jobs}. */
json_t *metrics_json(json_t *status);
/* SIGUSR2: the state directory's files (and the textfile); logs what it wrote. */
int metrics_write_dumps(json_t *status);
/* A job ended: the textfile collector's file, if there is one. */
void metrics_job_ended(struct djob *j);
/* About every 100 ms: rewrite the textfile every textfile_interval while a job runs. */
void metrics_tick(void);

#endif /* MT_DAEMON_METRICS_H */
