// SPDX-License-Identifier: GPL-2.0-only
/*
 * carry.c - counters of finished jobs let go from memory; see carry.h.
 */
#include <stdlib.h>

#include "daemon/carry.h"
#include "daemon/log.h"

static struct mt_totals *carried;	/* MT_DAEMON_CARRY_JOBS, then _other */
static int ncarried;
static bool said_other;

void carry_result(const struct mt_result *res)
{
	struct mt_totals one, *t;

	if (!carried && !(carried = calloc(MT_DAEMON_CARRY_JOBS + 1, sizeof(*carried)))) {
		dlog(LOG_ERR, "out of memory for the counters of jobs let go: job %s's are lost",
		     res->job);
		return;
	}
	t = mt_totals_find(carried, &ncarried, MT_DAEMON_CARRY_JOBS, res->job, res->workload);
	if (!t) {
		if (!said_other) {
			dlog(LOG_NOTICE, "more than %d job names: the counters of older jobs of other "
			     "names are kept under job_name=\"_other\"", MT_DAEMON_CARRY_JOBS);
			said_other = true;
		}
		t = mt_totals_find(carried, &ncarried, MT_DAEMON_CARRY_JOBS + 1, "_other", "_other");
	}
	mt_totals_init(&one, res->job, res->workload);
	mt_totals_add(&one, res);
	mt_totals_merge(t, &one);
}

const struct mt_totals *carry_totals(int *n)
{
	*n = ncarried;
	return carried;
}
