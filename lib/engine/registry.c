// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry.c - the workloads linked into the program, kept in name order
 * as each registers itself (MT_WORKLOAD() in workload.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/engine/workload.h"

static const struct workload *registry[MT_MAX_WORKLOADS];
static unsigned int nregistered;

void mt_workload_register(const struct workload *wl)
{
	unsigned int i;

	if (nregistered >= MT_MAX_WORKLOADS || wl_lookup(wl->name)) {
		fprintf(stderr, "mmtorture: workload %s: %s\n", wl->name,
			nregistered >= MT_MAX_WORKLOADS ? "too many workloads" : "registered twice");
		abort();
	}
	for (i = nregistered; i && strcmp(registry[i - 1]->name, wl->name) > 0; i--)
		registry[i] = registry[i - 1];
	registry[i] = wl;
	nregistered++;
}

const struct workload *wl_lookup(const char *name)
{
	for (unsigned int i = 0; i < nregistered; i++)
		if (!strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}

const struct workload *wl_nth(unsigned int i)
{
	return i < nregistered ? registry[i] : NULL;
}
