// SPDX-License-Identifier: GPL-2.0-only
/*
 * null.c - the workload that exercises the framework alone.
 *
 * Its world is a table of slots, each owning one refcounted object from a
 * typesafe cache; workers look objects up under RCU and take a ref with
 * inc_not_zero (the get/put role), replace them (the replace role: the
 * slot's ref is dropped, the object freed by the last put through
 * call_rcu), and churn a plain cache (alloc).  The audit compares each
 * live object's count with its single owner.  It stands for no kernel
 * protocol: it proves the engine, the audit and the runner.
 *
 * For the isolation tests it can be told to crash (crash=segv|abort|
 * bus after crash_after) or to hang a worker outside its quiesce points
 * (hang=1), so that the runner and the daemon show they survive it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "lib/engine/workload.h"

struct null_opts {
	unsigned int objects;
	unsigned int crash;		/* an index in null_crashes */
	uint64_t crash_after;
	bool hang;
};

static const char *const null_crashes[] = { "none", "segv", "abort", "bus", NULL };
static const int null_crash_sig[] = { 0, SIGSEGV, SIGABRT, SIGBUS };
_Static_assert(ARRAY_SIZE(null_crash_sig) == ARRAY_SIZE(null_crashes) - 1,
	       "a signal for each crash choice");

static const struct mt_opt null_opts_table[] = {
	MT_OPT(struct null_opts, objects, MT_OPT_UINT, 1, 65536, "64",
	       "slots, each owning one refcounted object"),
	MT_OPT_CHOICE(struct null_opts, crash, null_crashes, "none",
		      "kill the job process with that signal (none: do not)"),
	MT_OPT(struct null_opts, crash_after, MT_OPT_TIME, 0, 86400e9, "0s",
	       "when to crash, after the start"),
	MT_OPT(struct null_opts, hang, MT_OPT_BOOL, 0, 1, "0",
	       "one worker stops reaching quiesce points (for the watchdog)"),
	{ .name = NULL },
};

enum { NULL_GET_PUT, NULL_REPLACE, NULL_ALLOC, NULL_NROLES };
static const char *const null_roles[] = { "get_put", "replace", "alloc", NULL };

struct null_obj {
	refcount_t ref;
	unsigned int slot;
	struct rcu_head rcu;
};

struct null_world {
	struct kmem_cache *objs;
	struct kmem_cache *junk;
	unsigned int n;
	struct null_obj **slot;		/* RCU-protected */
	int crash_sig;
};

static struct null_world *world;

static void null_obj_rcu_free(struct rcu_head *h)
{
	kmem_cache_free(world->objs, container_of(h, struct null_obj, rcu));
}

static void null_put(struct null_obj *o)
{
	if (refcount_dec_and_test(&o->ref))
		call_rcu(&o->rcu, null_obj_rcu_free);
}

static struct null_obj *null_new(unsigned int slot)
{
	struct null_obj *o = kmem_cache_alloc(world->objs);

	if (!o)
		return NULL;
	refcount_set(&o->ref, 1);
	o->slot = slot;
	return o;
}

static int null_init(struct wl_ctx *ctx)
{
	const struct null_opts *opt = ctx->opts;
	struct null_world *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	/* the option table checked the value when the job file was read */
	w->crash_sig = null_crash_sig[opt->crash];
	w->n = opt->objects;
	w->slot = calloc(w->n, sizeof(*w->slot));
	w->objs = kmem_cache_create("null_obj", sizeof(struct null_obj),
				    SLAB_TYPESAFE_BY_RCU, NULL);
	w->junk = kmem_cache_create("null_junk", 96, SLAB_POISON, NULL);
	if (!w->slot || !w->objs || !w->junk) {
		kmem_cache_destroy(w->objs);
		kmem_cache_destroy(w->junk);
		free(w->slot);
		free(w);
		return -ENOMEM;
	}
	world = w;
	for (unsigned int i = 0; i < w->n; i++)
		rcu_assign_pointer(w->slot[i], null_new(i));
	ctx->priv = w;
	return 0;
}

static void null_get_put(struct null_world *w)
{
	unsigned int i = mt_random_below(w->n);
	struct null_obj *o;

	rcu_read_lock();
	o = rcu_dereference(w->slot[i]);
	race_window("null-lookup-to-get");
	if (o && obj_valid(o, w->objs) && refcount_inc_not_zero_acquire(&o->ref)) {
		rcu_read_unlock();
		/* typesafe: recheck that the ref is on the object of slot i */
		if (READ_ONCE(o->slot) != i || rcu_dereference(w->slot[i]) != o)
			mt_count(MT_RECHECK_CAUGHT);
		null_put(o);
		return;
	}
	if (o)
		mt_count(MT_OVERLAPS);	/* found it on its way out */
	rcu_read_unlock();
}

static void null_replace(struct null_world *w)
{
	unsigned int i = mt_random_below(w->n);
	struct null_obj *n = null_new(i), *old;

	if (!n)
		return;
	old = rcu_xchg_pointer(&w->slot[i], n);
	if (old)
		null_put(old);
}

static void null_alloc(struct null_world *w)
{
	void *v[8];
	int k = 0;

	for (; k < 8; k++)
		if (!(v[k] = kmem_cache_zalloc(w->junk)))
			break;
	while (k--)
		kmem_cache_free(w->junk, v[k]);
}

static void null_run(struct wl_thread *t)
{
	const struct null_opts *opt = t->ctx->opts;
	struct null_world *w = t->ctx->priv;

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);

		if (w->crash_sig && t->idx == 0 && wl_elapsed_ns(t->ctx) >= opt->crash_after) {
			/* die of the signal itself, whoever installed a handler (a sanitizer) */
			signal(w->crash_sig, SIG_DFL);
			raise(w->crash_sig);
		}
		if (opt->hang && t->idx == 0 && wl_elapsed_ns(t->ctx) >= 100000000ull)
			for (;;)
				pause();
		switch (role) {
		case NULL_GET_PUT:
			null_get_put(w);
			break;
		case NULL_REPLACE:
			null_replace(w);
			break;
		case NULL_ALLOC:
			null_alloc(w);
			break;
		}
		mt_ops_inc(role);
	}
}

static void null_audit(struct wl_ctx *ctx)
{
	struct null_world *w = ctx->priv;

	for (unsigned int i = 0; i < w->n; i++) {
		struct null_obj *o = w->slot[i];
		int have;

		if (!o)
			continue;
		mt_count(MT_AUDITED_OBJECTS);
		have = refcount_read_raw(&o->ref);
		if (have > 1)
			mt_report(MT_LEAKED_REFS, "null_audit", "null_obj %p of slot %u: count %d, 1 owner",
				  (void *)o, i, have);
		else if (have < 1)
			mt_report(MT_MISSING_REFS, "null_audit", "null_obj %p of slot %u: count %d, 1 owner",
				  (void *)o, i, have);
	}
}

static void null_teardown(struct wl_ctx *ctx)
{
	struct null_world *w = ctx->priv;

	for (unsigned int i = 0; i < w->n; i++) {
		struct null_obj *o = rcu_xchg_pointer(&w->slot[i], NULL);

		if (o)
			null_put(o);
	}
	rcu_barrier();
	kmem_cache_destroy(w->objs);
	kmem_cache_destroy(w->junk);
	free(w->slot);
	free(w);
	world = NULL;
	ctx->priv = NULL;
}

const struct workload wl_null = {
	.name = "null",
	.desc = "the framework alone: refcounted objects in RCU slots (and crashes on request)",
	.opts = null_opts_table,
	.opts_size = sizeof(struct null_opts),
	.roles = null_roles,
	.default_mix = "get_put:70,replace:20,alloc:10",
	.models = "",
	.need_overlap = false,
	.init = null_init,
	.run = null_run,
	.audit = null_audit,
	.teardown = null_teardown,
};
MT_WORKLOAD(wl_null);
