/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * store.h - what the daemon keeps in its state directory, so that a
 * restart loses no job and no verdict:
 *
 *   queue/<id>.json        a job waiting or running: the job as a file of
 *                          its own (its section, its [global]s folded in)
 *   jobs/<id>.json         a finished or cancelled job: its record
 *   results/<id>-<name>/   summary.txt, metrics.json, metrics.prom, job.log
 *                          (<id>-<name>.run2/ ... for a run after one the
 *                          daemon did not see end)
 *   next_id
 *   metrics.prom, metrics.json   written on SIGUSR2
 *
 * Every file is written aside and renamed into place.  A queue entry goes
 * only once the record that replaces it is on disk.
 */
#ifndef MT_DAEMON_STORE_H
#define MT_DAEMON_STORE_H

#include <stddef.h>

#include "daemon/djob.h"

/* The largest job id: one every JSON reader keeps exactly (2^53 - 1). */
#define MT_MAX_JOB_ID	9007199254740991LL

struct mt_topology;

/* Make the directories.  Return: 0, or -1 with @err. */
int store_init(char *err, size_t errlen);
/* @buf = <state dir>/@fmt... */
void store_path(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);

/* Return: 0, or -errno (the job is then not kept: refuse it). */
int store_save_queued(const struct djob *j);
void store_remove_queued(long long id);
/*
 * store_save_record - the record of a finished or cancelled job, then the
 * queue entry goes.  Return: 0, or -errno with the queue entry kept.
 */
int store_save_record(const struct djob *j);
/* Return: 0, or -errno. */
int store_save_next_id(long long next_id);

/*
 * store_load - every job of the state directory, passed to @add in no
 * particular order; queued jobs parsed for @topo (one that no longer
 * parses is finished as ERROR, saying why, with record_pending set).
 * Return: the next job id: past every job seen, and past next_id.
 */
long long store_load(struct mt_topology *topo, void (*add)(struct djob *));

/* The results directory of a run of @j, made: <id>-<name>, or .run2 ... when taken. */
int store_results_dir(const struct djob *j, char *buf, size_t len);

#endif /* MT_DAEMON_STORE_H */
