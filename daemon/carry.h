/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * carry.h - the counters of finished jobs the daemon no longer keeps in
 * memory.
 *
 * `dump prom` sums the counters of the jobs the daemon keeps, by job
 * name.  It keeps at most MT_DAEMON_KEEP_RESULTS finished jobs: when it
 * lets the oldest go, its share of every counter would vanish from the
 * sums, and Prometheus would read the drop as a counter reset.  So a job
 * let go is first added, as numbers, to carried totals, and every dump
 * adds them back.  The first MT_DAEMON_CARRY_JOBS job names keep their own
 * totals; jobs of any other name are folded into job_name="_other".  Gauges
 * are a last value, not a sum: they are not carried.
 */
#ifndef MT_DAEMON_CARRY_H
#define MT_DAEMON_CARRY_H

#include "lib/engine/prom.h"

#define MT_DAEMON_KEEP_RESULTS	1000	/* finished jobs kept in memory */
#define MT_DAEMON_CARRY_JOBS	256	/* job names with totals of their own */

/* Fold @res, a job about to be let go, into the carried totals. */
void carry_result(const struct mt_result *res);
/* The carried totals: @n of them. */
const struct mt_totals *carry_totals(int *n);

#endif /* MT_DAEMON_CARRY_H */
