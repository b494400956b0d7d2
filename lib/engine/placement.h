/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * placement.h - where a job's threads run: the NUMA nodes and PUs of the
 * machine, read with hwloc, and the plan that spreads threads over the
 * nodes a job names (nodes=) and the PUs it allows (cpus=), in the list
 * syntax of numactl and fio ("all", "0", "0-1", "0,2-3").
 *
 * HWLOC_SYNTHETIC (or HWLOC_XMLFILE) makes hwloc describe another
 * machine: the plan spreads threads over its nodes all the same, and
 * binding is skipped (and the plan says so), since those PUs are not this
 * machine's.  Memory follows the thread's node: slab pages come from a
 * pool placed on that node with libnuma when the node exists here.
 */
#ifndef MT_PLACEMENT_H
#define MT_PLACEMENT_H

#include <stdio.h>
#include <hwloc.h>

#include "lib/engine/job.h"

struct mt_topology {
	hwloc_topology_t topo;
	bool thissystem;	/* the topology is the machine we run on */
	int nnodes;		/* NUMA nodes */
	int npus;		/* PUs allowed to this process */
	char desc[160];		/* "1 NUMA node, 2 PUs" / "synthetic: ..." */
};

/*
 * mt_topology_load - read the machine's topology, or the one that
 * HWLOC_SYNTHETIC or HWLOC_XMLFILE describe (in hwloc's order: the
 * first of them that is set).
 * Context: any thread; the topology is read-only after it.
 * Return: 0, or -1 with a message in @err: a variable hwloc refuses is
 * an error naming it, with hwloc's complaint, not a silent fallback to
 * the real machine.
 */
int mt_topology_load(struct mt_topology *t, char *err, size_t errlen);
void mt_topology_fini(struct mt_topology *t);

/*
 * mt_placement_plan - spread @threads over the nodes of @nodes and the
 * PUs of @cpus: thread i goes to node i mod N, and within its node to
 * the next allowed PU, round-robin.
 * Context: any thread; reads @t only.
 * @key: on an error, the job key at fault: "nodes", "cpus" (also when
 *	 the PUs of @cpus leave none on the nodes of @nodes) or "threads"
 * Return: 0, or -1 with a message naming what is wrong in @err.
 */
int mt_placement_plan(struct mt_topology *t, const char *nodes, const char *cpus,
		      unsigned int threads, struct mt_placement *plan,
		      const char **key, char *err, size_t errlen);

/* The plan, for humans: one line, then one line per node. */
void mt_placement_print(const struct mt_placement *plan, unsigned int threads, FILE *f);

#endif /* MT_PLACEMENT_H */
