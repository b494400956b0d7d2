// SPDX-License-Identifier: GPL-2.0-only
/*
 * placement.c - NUMA topology with hwloc and the thread placement plan;
 * see placement.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/counters.h"
#include "lib/engine/placement.h"

/*
 * Why hwloc refuses the synthetic description @desc, in its words: it
 * says them on stderr, and only under HWLOC_SYNTHETIC_VERBOSE, so a child
 * process says them into a pipe (this process's stderr and environment
 * are left alone).  Only called once hwloc has refused @desc.
 */
static void synthetic_complaint(const char *desc, char *buf, size_t len)
{
	size_t n = 0;
	int fd[2];
	pid_t pid;

	snprintf(buf, len, "hwloc refuses it");
	if (pipe(fd))
		return;
	pid = fork();
	if (pid == 0) {
		hwloc_topology_t t;

		dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		setenv("HWLOC_SYNTHETIC_VERBOSE", "1", 1);
		if (!hwloc_topology_init(&t))
			hwloc_topology_set_synthetic(t, desc);
		_exit(0);
	}
	close(fd[1]);
	while (pid > 0 && n + 1 < len) {
		ssize_t r = read(fd[0], buf + n, len - n - 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (!n) {
		snprintf(buf, len, "hwloc refuses it");
		return;
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *c = buf; *c; c++)	/* one line, for a message */
		if (*c == '\n')
			*c = ';';
}

int mt_topology_load(struct mt_topology *t, char *err, size_t errlen)
{
	const char *syn = getenv("HWLOC_SYNTHETIC");
	const char *xml = getenv("HWLOC_XMLFILE");

	memset(t, 0, sizeof(*t));
	if (hwloc_topology_init(&t->topo)) {
		snprintf(err, errlen, "hwloc cannot start: %s", strerror(errno));
		t->topo = NULL;
		return -1;
	}
	/* hwloc would fall back to the real machine, silently */
	if (syn && hwloc_topology_set_synthetic(t->topo, syn)) {
		char why[160];

		synthetic_complaint(syn, why, sizeof(why));
		snprintf(err, errlen, "HWLOC_SYNTHETIC='%s' is not a topology hwloc can build: %s",
			 syn, why);
		goto fail;
	}
	if (!syn && xml && hwloc_topology_set_xml(t->topo, xml)) {
		snprintf(err, errlen, "HWLOC_XMLFILE='%s': hwloc cannot read it: %s", xml,
			 strerror(errno));
		goto fail;
	}
	if (hwloc_topology_load(t->topo)) {
		snprintf(err, errlen, "hwloc cannot read the topology%s%s: %s",
			 syn ? " of HWLOC_SYNTHETIC=" : xml ? " of HWLOC_XMLFILE=" : "",
			 syn ? syn : xml ? xml : "", strerror(errno));
		goto fail;
	}
	t->thissystem = hwloc_topology_is_thissystem(t->topo);
	t->nnodes = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
	t->npus = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
	if (t->nnodes < 1)
		t->nnodes = 1;
	if (t->nnodes > MT_MAX_NODES) {
		snprintf(err, errlen, "%d NUMA nodes: more than the %d supported",
			 t->nnodes, MT_MAX_NODES);
		goto fail;
	}
	snprintf(t->desc, sizeof(t->desc), "%s%d NUMA node%s, %d PU%s",
		 t->thissystem ? "" : (syn ? "synthetic: " : xml ? "from XML: " : "not this system: "),
		 t->nnodes, t->nnodes == 1 ? "" : "s", t->npus, t->npus == 1 ? "" : "s");
	return 0;
fail:
	hwloc_topology_destroy(t->topo);
	t->topo = NULL;
	return -1;
}

void mt_topology_fini(struct mt_topology *t)
{
	if (t->topo)
		hwloc_topology_destroy(t->topo);
	t->topo = NULL;
}

/* Parse a numactl/fio list ("all", "0-3,8") into @set; check it against @max. */
static int parse_list(const char *spec, hwloc_bitmap_t set, hwloc_const_bitmap_t all,
		      const char *what, char *err, size_t errlen)
{
	const char *p;

	if (!spec || !*spec || !strcmp(spec, "all")) {
		hwloc_bitmap_copy(set, all);
		return 0;
	}
	for (p = spec; *p; p++)
		if (!strchr("0123456789,- ", *p)) {
			snprintf(err, errlen, "%s '%s': expected a list like 0-3,8 or 'all'",
				 what, spec);
			return -1;
		}
	if (hwloc_bitmap_list_sscanf(set, spec) || hwloc_bitmap_iszero(set)) {
		snprintf(err, errlen, "%s '%s': expected a list like 0-3,8 or 'all'", what, spec);
		return -1;
	}
	if (!hwloc_bitmap_isincluded(set, all)) {
		char have[64];

		hwloc_bitmap_list_snprintf(have, sizeof(have), all);
		snprintf(err, errlen, "%s '%s': this machine has %s %s", what, spec, what, have);
		return -1;
	}
	return 0;
}

int mt_placement_plan(struct mt_topology *t, const char *nodes, const char *cpus,
		      unsigned int threads, struct mt_placement *plan,
		      const char **key, char *err, size_t errlen)
{
	hwloc_bitmap_t all_nodes = hwloc_bitmap_alloc(), want_nodes = hwloc_bitmap_alloc();
	hwloc_bitmap_t want_pus = hwloc_bitmap_alloc();
	hwloc_const_bitmap_t all_pus = hwloc_topology_get_topology_cpuset(t->topo);
	hwloc_obj_t node = NULL;
	struct { int os; int npus; int pus[1024]; int next; } *nl = NULL;
	int n = 0, rc = -1;

	memset(plan, 0, sizeof(*plan));
	*key = "threads";
	if (threads > MT_MAX_THREADS) {
		snprintf(err, errlen, "threads=%u: at most %d", threads, MT_MAX_THREADS);
		goto out;
	}
	while ((node = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, node)))
		hwloc_bitmap_set(all_nodes, node->os_index);
	*key = "nodes";
	if (parse_list(nodes, want_nodes, all_nodes, "nodes", err, errlen))
		goto out;
	*key = "cpus";
	if (parse_list(cpus, want_pus, all_pus, "cpus", err, errlen))
		goto out;

	*key = "threads";
	nl = calloc(MT_MAX_NODES, sizeof(*nl));
	if (!nl) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	node = NULL;
	while ((node = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, node))) {
		hwloc_obj_t pu = NULL;

		if (!hwloc_bitmap_isset(want_nodes, node->os_index) || n >= MT_MAX_NODES)
			continue;
		nl[n].os = (int)node->os_index;
		while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(t->topo, node->cpuset,
								      HWLOC_OBJ_PU, pu)))
			if (hwloc_bitmap_isset(want_pus, pu->os_index) && nl[n].npus < 1024)
				nl[n].pus[nl[n].npus++] = (int)pu->os_index;
		if (nl[n].npus)	/* a node with no allowed PU runs no thread */
			n++;
	}
	if (!n) {
		snprintf(err, errlen, "nodes '%s' with cpus '%s': no PU is left to run on",
			 nodes && *nodes ? nodes : "all", cpus && *cpus ? cpus : "all");
		*key = cpus && *cpus ? "cpus" : "nodes";
		goto out;
	}
	plan->nnodes = n;
	for (int i = 0; i < n; i++)
		plan->nodes[i] = nl[i].os;
	for (unsigned int i = 0; i < threads; i++) {
		int k = (int)(i % (unsigned int)n);

		plan->thread[i].node = nl[k].os;
		plan->thread[i].cpu = nl[k].pus[nl[k].next++ % nl[k].npus];
	}
	plan->synthetic = !t->thissystem;
	plan->bind = t->thissystem;
	if (!t->thissystem)
		snprintf(plan->why_not_bound, sizeof(plan->why_not_bound),
			 "the topology is not this machine's (%s)", t->desc);
	rc = 0;
out:
	free(nl);
	hwloc_bitmap_free(all_nodes);
	hwloc_bitmap_free(want_nodes);
	hwloc_bitmap_free(want_pus);
	return rc;
}

void mt_placement_print(const struct mt_placement *plan, unsigned int threads, FILE *f)
{
	fprintf(f, "placement: %u thread%s on %d node%s, %s\n", threads,
		threads == 1 ? "" : "s", plan->nnodes, plan->nnodes == 1 ? "" : "s",
		plan->bind ? "bound to their PUs" : "not bound:");
	if (!plan->bind)
		fprintf(f, "  %s\n", plan->why_not_bound);
	for (int k = 0; k < plan->nnodes; k++) {
		int cnt = 0;

		fprintf(f, "  node %d:", plan->nodes[k]);
		for (unsigned int i = 0; i < threads; i++)
			if (plan->thread[i].node == plan->nodes[k]) {
				fprintf(f, " t%u@cpu%d", i, plan->thread[i].cpu);
				cnt++;
			}
		fprintf(f, "%s\n", cnt ? "" : " (no thread)");
	}
}
