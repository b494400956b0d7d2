/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * workload.h - the plug-in contract: what a workload is, and the engine's
 * calls it may make.  A workload is one file in workloads/, ending in one
 * descriptor (name, option table with types and bounds, thread roles,
 * init/run/audit/teardown) and the line that registers it:
 *
 *	const struct workload wl_null = {
 *		.name = "null",
 *		.opts = null_opts, .opts_size = sizeof(struct null_opts),
 *		.roles = null_roles,
 *		.init = null_init, .run = null_run,
 *		.audit = null_audit, .teardown = null_teardown,
 *	};
 *	MT_WORKLOAD(wl_null);
 *
 * The engine knows no workload by name: each registers itself when the
 * program starts (a constructor, as fio's engines do), so the arrows run
 * from the plug-ins to the engine only.
 *
 * Roles are the kinds of operation a worker performs ("fault",
 * "numa_maps", "fork" ...).  The job's mix= weights them; each worker
 * draws its next role with wl_pick_role(), and counts what it did with
 * mt_ops_inc(role).  Role indices are op indices in the metrics.
 *
 * The lifecycle, run by lib/engine in the job's own process:
 *  1. init(ctx): build the world (caches, tasks, segments).  Called once,
 *     on the control thread, registered with RCU.  Return 0 or -errno;
 *     on failure, teardown(ctx) is still called if ctx->priv was set.
 *  2. run(t) on each worker thread, already placed, registered with RCU
 *     and given its counter shard and PRNG stream:
 *
 *	while (wl_continue(t)) {
 *		unsigned int role = wl_pick_role(t);
 *		...do one operation...
 *		mt_ops_inc(role);
 *	}
 *	...release what this thread owns...
 *
 *     A worker calls wl_continue() only between operations, holding no
 *     lock and no transient reference: the audit runs while every worker
 *     is parked there.  Under qsbr, wl_continue() is also the quiescent
 *     state.
 *  3. audit(ctx): at a quiesce point (all workers parked, rcu_barrier()
 *     done), compare every live object's count with its owners and report
 *     leaked_refs / missing_refs.  Called every audit_interval and once
 *     after the workers stop, before teardown.
 *  4. teardown(ctx): free the world and destroy the caches, which counts
 *     leaked_objects{cache}.
 */
#ifndef MT_WORKLOAD_H
#define MT_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "core/compiler.h"
#include "core/counters.h"
#include "lib/engine/opt.h"

/*
 * Option names share the job file with the job keys (job.h): an option
 * may not be named like one (`nodes`, `runtime` ...), or the job key
 * would always take the value; MT_OPT_NAMED gives an option another name
 * than its field.  t_engine checks that no workload breaks the rule.
 */

struct wl_mix {
	uint32_t weight[MT_MAX_OPS];
	uint32_t total;
	unsigned int nroles;
};

struct workload;
struct mt_job;

struct wl_ctx {
	const struct workload *wl;
	const struct mt_job *job;
	const void *opts;		/* the workload's options struct */
	const struct wl_mix *mix;
	unsigned int nthreads;
	uint64_t seed;
	void *priv;			/* the workload's world */
};

struct wl_thread {
	struct wl_ctx *ctx;
	unsigned int idx;		/* 0 .. nthreads-1 */
	int node;			/* logical NUMA node */
	int cpu;			/* PU it is bound to, -1 if not bound */
	void *priv;			/* the workload's per-thread state */
	uint64_t ops_done;		/* the engine's: operations begun in this run */
};

struct workload {
	const char *name;
	const char *desc;
	const struct mt_opt *opts;	/* terminated by { NULL } */
	size_t opts_size;
	const char *const *roles;	/* terminated by NULL; <= MT_MAX_OPS */
	const char *default_mix;	/* "fault:60,numa_maps:10,..." */
	/* The models it exercises, as bug catalogue models: "mempolicy,vma". */
	const char *models;
	/* Coverage for PASS: needs overlaps > 0 when threads > 1. */
	bool need_overlap;
	/*
	 * What holds across options (each is checked against its bounds on
	 * its own), checked when the job file is read.  Return: 0, or -1
	 * with a message naming the options in @err.  May be NULL.
	 */
	int (*check)(const void *opts, char *err, size_t errlen);
	int (*init)(struct wl_ctx *ctx);
	void (*run)(struct wl_thread *t);
	void (*audit)(struct wl_ctx *ctx);
	void (*teardown)(struct wl_ctx *ctx);
};

/* ---- the registry (lib/engine/registry.c) ---- */

#define MT_MAX_WORKLOADS	32

/* Add @wl to the registry.  Context: before main(), from MT_WORKLOAD(). */
void mt_workload_register(const struct workload *wl);
#define MT_WORKLOAD(wl)							\
	static void __attribute__((constructor)) mt_register_##wl(void)	\
	{								\
		mt_workload_register(&wl);				\
	}
/* The workload named @name, or NULL. */
const struct workload *wl_lookup(const char *name);
/* The registered workloads, by name; NULL after the last. */
const struct workload *wl_nth(unsigned int i);

/* ---- for workers (lib/engine/engine.c) ---- */

/**
 * wl_continue - between two operations: park if the control thread asks
 * (stutter, audit), announce a quiescent state, check that no lock is
 * held.
 *
 * Context: a worker, holding no lock and no transient reference, outside
 * any RCU read side.
 * Return: false when the job is over.
 */
bool wl_continue(struct wl_thread *t);
/* Draw the next role by the job's mix weights.  Context: a worker. */
unsigned int wl_pick_role(struct wl_thread *t);
/* Nanoseconds since the job started.  Context: any thread of the job. */
uint64_t wl_elapsed_ns(const struct wl_ctx *ctx);

/* Parse "name:weight,..." against the roles.  Context: any.  Return: 0, or -1 with err. */
int wl_mix_parse(const struct workload *wl, const char *spec, struct wl_mix *mix,
		 char *err, size_t errlen);
unsigned int wl_nroles(const struct workload *wl);

#endif /* MT_WORKLOAD_H */
