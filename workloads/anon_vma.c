// SPDX-License-Identifier: GPL-2.0-only
/*
 * anon_vma.c - a process tree under churn, for the anon_vma protocol of
 * seeds 002 and 004 (lib/mm/anon_vma.c, rmap.c, ksm.c, migrate.c).
 *
 * The world is a table of processes (a task and its mm, and KSM's
 * mm_slot for that mm), shared by every worker.  Workers fork them (the
 * child's VMAs are linked to the parent's anon_vmas and get a child
 * anon_vma pinning the tree's root), exit them (exit_mmap() zaps and
 * unlinks every VMA while ksmd drops the mm's rmap_items), reap many at
 * once, mmap and munmap anonymous VMAs, fault pages in, play ksmd (merge
 * a page into a KSM page of the stable tree through a new rmap_item that
 * holds its anon_vma, or break the COW when the merge fails; walk a KSM
 * page's rmap; remove a KSM page from the stable tree; drop rmap_items),
 * migrate pages to another node (migration entries in the ptes while an
 * anon_vma reference is held across the move), and walk the rmap of pages
 * isolated off the LRU (page_lock_anon_vma() and its recheck, against
 * anon_vmas freed and reused under it).
 *
 * Slab pages cycle (seed 004).  The anon_vma cache is typesafe: a page
 * that empties waits a grace period before it goes back to the pool and
 * may become another cache's.  With slab_keep_empty=0 (the default) the
 * cache keeps no empty page, and reap swings the number of anon_vmas
 * between procs and init_procs processes' worth, so that pages empty
 * during the run and do go through that grace period (the coverage
 * points slab-typesafe-page-to-rcu and -to-pool count them).
 *
 * What keeps a process alive: the table holds one reference on its
 * struct av_proc; an operation takes another under proc_lock and an
 * mm_users reference (get_task_mm()) before it uses the mm; exit takes
 * the process out of the table, tells KSM (ksm_exit()), and drops the
 * task's mm (exit_mm(): the last mmput() runs exit_mmap()).  As in the
 * kernel, a fork holds the parent's mmap_sem for write, an mmap or munmap
 * the process's mmap_sem for write, a fault or a KSM hold for read;
 * walkers and migration hold no mmap_sem at all.
 *
 * Memory stays bounded: at most `procs` processes of at most `vmas` VMAs
 * of `pages` pages, at most `ksm_items` rmap_items, and anon_vma chains
 * no longer than `max_chain` (a VMA that long is not copied at fork).
 * A fork at the process limit reaps a process instead, and an exit of
 * the last process forks one, so the churn never stalls.
 *
 * Lock ordering: proc_lock is taken alone (never with a model lock);
 * then the model's (anon_vma.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "core/thread.h"
#include "lib/engine/job.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/fork.h"
#include "lib/mm/ksm.h"
#include "lib/mm/memory.h"
#include "lib/mm/migrate.h"
#include "lib/mm/mm.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"
#include "lib/engine/workload.h"

struct av_opts {
	unsigned int procs;
	unsigned int init_procs;
	unsigned int vmas;
	unsigned int pages;
	unsigned int ksm_items;
	unsigned int max_chain;
	bool slab_keep_empty;
};

static const struct mt_opt av_opts_table[] = {
	MT_OPT(struct av_opts, procs, MT_OPT_UINT, 2, 1024, "24",
	       "most processes at once (reap swings them back to init_procs)"),
	MT_OPT(struct av_opts, init_procs, MT_OPT_UINT, 1, 1024, "4",
	       "processes created at start (at most procs)"),
	MT_OPT(struct av_opts, vmas, MT_OPT_UINT, 1, 256, "4",
	       "most anonymous VMAs in a process"),
	MT_OPT(struct av_opts, pages, MT_OPT_UINT, 1, MT_PGTABLE_MAX, "8",
	       "pages in a VMA"),
	MT_OPT(struct av_opts, ksm_items, MT_OPT_UINT, 1, 65536, "64",
	       "most KSM rmap_items (anon_vma references) at once"),
	MT_OPT(struct av_opts, max_chain, MT_OPT_UINT, 2, 256, "8",
	       "a VMA linked to this many anon_vmas is not copied at fork"),
	MT_OPT(struct av_opts, slab_keep_empty, MT_OPT_BOOL, 0, 1, "0",
	       "the anon_vma cache keeps an empty slab page per node (1) or lets each go through its grace period to the pool (0)"),
	{ .name = NULL },
};

enum {
	AV_FORK, AV_EXIT, AV_MMAP, AV_MUNMAP, AV_FAULT,
	AV_KSM_HOLD, AV_KSM_WALK, AV_KSM_DROP, AV_MIGRATE, AV_RMAP_WALK,
	AV_KSM_MERGE, AV_KSM_REMOVE_NODE, AV_REAP,
	AV_NROLES
};
static const char *const av_roles[] = {
	"fork", "exit", "mmap", "munmap", "fault",
	"ksm_hold", "ksm_walk", "ksm_drop", "migrate", "rmap_walk",
	"ksm_merge", "ksm_remove_node", "reap", NULL
};

/*
 * The protocol steps each role must reach in a clean job (inject.h's
 * mt_coverage_require()), beside its own count: the paths seeds 002 and
 * 004 name.
 */
static const char *const av_steps[AV_NROLES][3] = {
	[AV_FORK] = { "anon-fork-to-pin" },
	[AV_MIGRATE] = { "anon-migrate-ref-to-move", "anon-migrate-copy-to-remap" },
	[AV_RMAP_WALK] = { "anon-lookup-to-lock" },
	[AV_KSM_WALK] = { "anon-ksm-walk-lock" },
	[AV_KSM_MERGE] = { "anon-ksm-merge-to-insert", "anon-ksm-break-cow-drop-to-lookup" },
	[AV_KSM_REMOVE_NODE] = { "anon-ksm-unlink-node-to-drop" },
	[AV_REAP] = { "anon-drop-dec" },
};

/*
 * struct av_proc - a process of the world
 * @ref: the table's reference, and one per operation using it
 * @task: owns the mm (task->mm, mm_users) until exit_mm()
 * @slot: KSM's mm_slot for the mm; released with the last reference
 */
struct av_proc {
	refcount_t ref;
	struct task_struct *task;
	struct mm_slot *slot;
};

struct av_world {
	const struct av_opts *opt;
	spinlock_t proc_lock;
	struct av_proc **procs;		/* protected by proc_lock */
	unsigned int nprocs;		/* protected by proc_lock */
	int nnodes;			/* migration targets */
	int node_ids[MT_MAX_NODES];
	bool caches_up;
};

/* ---- processes ---- */

static struct av_proc *proc_new(struct mm_struct *mm)
{
	struct av_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->slot = ksm_enter();
	p->task = p->slot ? task_create(mm) : NULL;
	if (!p->task) {
		if (p->slot)
			ksm_slot_release(p->slot);
		free(p);
		return NULL;
	}
	refcount_set(&p->ref, 1);
	return p;
}

static void proc_put(struct av_proc *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	ksm_slot_release(p->slot);
	put_task_struct(p->task);
	free(p);
}

/* A random process with a reference, or NULL if there is none. */
static struct av_proc *proc_get_random(struct av_world *w)
{
	struct av_proc *p = NULL;

	spin_lock(&w->proc_lock);
	if (w->nprocs) {
		p = w->procs[mt_random_below(w->nprocs)];
		refcount_inc(&p->ref);
	}
	spin_unlock(&w->proc_lock);
	return p;
}

/* Put @p in the table.  Return: false if the table is full. */
static bool proc_insert(struct av_world *w, struct av_proc *p)
{
	bool ok = false;

	spin_lock(&w->proc_lock);
	if (w->nprocs < w->opt->procs) {
		w->procs[w->nprocs++] = p;
		ok = true;
	}
	spin_unlock(&w->proc_lock);
	return ok;
}

/* Take a random process out of the table (keeping @keep).  Return it. */
static struct av_proc *proc_remove_random(struct av_world *w, unsigned int keep)
{
	struct av_proc *p = NULL;

	spin_lock(&w->proc_lock);
	if (w->nprocs > keep) {
		unsigned int i = mt_random_below(w->nprocs);

		p = w->procs[i];
		w->procs[i] = w->procs[--w->nprocs];
	}
	spin_unlock(&w->proc_lock);
	return p;
}

/* do_exit() of a process out of the table: its table reference goes. */
static void proc_exit(struct av_proc *p)
{
	/* mmput(): ksm_exit() first, then exit_mmap() */
	ksm_exit(p->slot);
	race_window("anon-exit-ksm-to-mmap");
	exit_mm(p->task);
	proc_put(p);
}

/* A process with its mm, or NULL. */
static struct av_proc *proc_get_mm(struct av_world *w, struct mm_struct **mmp)
{
	struct av_proc *p = proc_get_random(w);

	if (!p)
		return NULL;
	*mmp = get_task_mm(p->task);
	if (!*mmp) {
		proc_put(p);
		return NULL;
	}
	return p;
}

static void proc_done(struct av_proc *p, struct mm_struct *mm)
{
	mmput(mm);
	proc_put(p);
}

/*
 * ---- the roles ----
 * Each returns whether its path ran (a fork copied an mm, a walk walked):
 * only those count as the role's operations, so that a role that only
 * ever finds nothing to do shows as never run.
 */

static bool av_fork(struct av_world *w)
{
	struct av_proc *parent, *child;
	struct mm_struct *mm, *newmm;

	parent = proc_get_mm(w, &mm);
	if (!parent)
		return false;
	newmm = dup_mm(mm, w->opt->max_chain);
	proc_done(parent, mm);
	if (!newmm)
		return true;	/* dup_mmap() ran, and failed: its error path */
	child = proc_new(newmm);
	if (!child) {
		mmput(newmm);
		return true;
	}
	if (!proc_insert(w, child))
		proc_exit(child);	/* no room: it exits at once */
	return true;
}

static bool av_exit(struct av_world *w)
{
	struct av_proc *p = proc_remove_random(w, 1);

	if (!p)
		return false;
	proc_exit(p);
	return true;
}

/*
 * Many exits at once (a job killed, a fork bomb reaped): the table
 * shrinks to init_procs processes, so that the anon_vmas of the others
 * go together and slab pages empty.  Return: whether any exited.
 */
static bool av_reap(struct av_world *w)
{
	struct av_proc *p;
	unsigned int keep = w->opt->init_procs ? w->opt->init_procs : 1, n = 0;

	while ((p = proc_remove_random(w, keep))) {
		proc_exit(p);
		n++;
	}
	return n > 0;
}

static bool av_mmap(struct av_world *w)
{
	struct mm_struct *mm;
	struct av_proc *p = proc_get_mm(w, &mm);
	bool ran = false;

	if (!p)
		return false;
	down_write(&mm->mmap_sem);
	if ((unsigned int)mm->map_count < w->opt->vmas) {
		do_mmap_anon(mm, w->opt->pages);
		ran = true;
	}
	up_write(&mm->mmap_sem);
	proc_done(p, mm);
	return ran;
}

static bool av_munmap(struct av_world *w)
{
	struct mm_struct *mm;
	struct av_proc *p = proc_get_mm(w, &mm);
	unsigned int nr;

	if (!p)
		return false;
	down_write(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	if (nr)
		do_munmap(mm, mm_vma_at(mm, mt_random_below(nr))->vm_start);
	up_write(&mm->mmap_sem);
	proc_done(p, mm);
	return nr > 0;
}

/* A random VMA of @mm and a page address in it.  Context: mmap_sem held. */
static struct vm_area_struct *pick_vma(struct mm_struct *mm, unsigned long *addr)
{
	unsigned int nr = mm_nr_vmas(mm);
	struct vm_area_struct *vma;

	if (!nr)
		return NULL;
	vma = mm_vma_at(mm, mt_random_below(nr));
	*addr = vma->vm_start + ((unsigned long)mt_random_below(
		(uint32_t)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT)) << PAGE_SHIFT);
	return vma;
}

static bool av_fault(struct av_world *w)
{
	struct mm_struct *mm;
	struct av_proc *p = proc_get_mm(w, &mm);
	struct vm_area_struct *vma;
	unsigned long addr;

	if (!p)
		return false;
	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, &addr);
	if (vma)
		handle_mm_fault(vma, addr);
	up_read(&mm->mmap_sem);
	proc_done(p, mm);
	return vma != NULL;
}

/* Return: whether an rmap_item now holds a reference (hold_anon_vma()). */
static bool av_ksm_hold(struct av_world *w)
{
	struct mm_struct *mm;
	struct av_proc *p = proc_get_mm(w, &mm);
	struct vm_area_struct *vma;
	unsigned long addr;
	int err = -EAGAIN;

	if (!p)
		return false;
	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, &addr);
	if (vma)
		err = ksm_hold_page(p->slot, vma, addr);
	up_read(&mm->mmap_sem);
	proc_done(p, mm);
	return !err;
}

/* ksmd merges a page of a random process (no mmap_sem held here). */
static bool av_ksm_merge(struct av_world *w)
{
	struct mm_struct *mm;
	struct av_proc *p = proc_get_mm(w, &mm);
	unsigned long addr = 0;
	int err;

	if (!p)
		return false;
	down_read(&mm->mmap_sem);
	pick_vma(mm, &addr);
	up_read(&mm->mmap_sem);
	err = addr ? ksm_merge_page(p->slot, mm, addr) : -EAGAIN;
	proc_done(p, mm);
	return err == 0 || err == -EBUSY;	/* merged, or broke the COW */
}

static int other_node(struct av_world *w, int nid)
{
	for (int i = 0; i < w->nnodes; i++)
		if (w->node_ids[i] == nid)
			return w->node_ids[(i + 1) % w->nnodes];
	return w->node_ids[0];
}

/* Return: whether the page moved (the anon_vma reference was held across). */
static bool av_migrate(struct av_world *w)
{
	struct page *page = isolate_lru_page();
	int rc;

	if (!page)
		return false;
	rc = unmap_and_move(page, other_node(w, page->nid));
	putback_lru_page(page);
	return rc == 0;
}

/* Return: whether the walk ran (page_lock_anon_vma() locked an anon_vma). */
static bool av_rmap_walk(struct av_world *w)
{
	struct page *page = isolate_lru_page();
	int referenced;

	if (!page)
		return false;
	referenced = page_referenced(page);
	putback_lru_page(page);
	return referenced >= 0;
}

static void av_run(struct wl_thread *t)
{
	struct av_world *w = t->ctx->priv;

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);
		bool ran = false;

		/* keep the churn going at the limits */
		if (role == AV_FORK && READ_ONCE(w->nprocs) >= w->opt->procs)
			role = AV_EXIT;
		else if ((role == AV_EXIT || role == AV_REAP) && READ_ONCE(w->nprocs) <= 1)
			role = AV_FORK;
		/* reap when the table is nearly full: the count swings between the limits */
		else if (role == AV_REAP && READ_ONCE(w->nprocs) < w->opt->procs * 3 / 4)
			role = AV_FORK;
		switch (role) {
		case AV_FORK:
			ran = av_fork(w);
			break;
		case AV_EXIT:
			ran = av_exit(w);
			break;
		case AV_MMAP:
			ran = av_mmap(w);
			break;
		case AV_MUNMAP:
			ran = av_munmap(w);
			break;
		case AV_FAULT:
			ran = av_fault(w);
			break;
		case AV_KSM_HOLD:
			ran = av_ksm_hold(w);
			break;
		case AV_KSM_WALK:
			ran = ksm_rmap_walk() >= 0;
			break;
		case AV_KSM_DROP:
			ran = ksm_scan_drop() > 0;
			break;
		case AV_MIGRATE:
			ran = av_migrate(w);
			break;
		case AV_RMAP_WALK:
			ran = av_rmap_walk(w);
			break;
		case AV_KSM_MERGE:
			ran = av_ksm_merge(w);
			break;
		case AV_KSM_REMOVE_NODE:
			ran = ksm_remove_stable_node() > 0;
			break;
		case AV_REAP:
			ran = av_reap(w);
			break;
		}
		if (ran)
			mt_ops_inc(role);
	}
}

/* ---- init, audit, teardown ---- */

/*
 * A new process with a few VMAs, half their pages faulted in.  Injected
 * allocation failures may already be on: a VMA or a page that cannot be
 * had is left out.  Return: 0, or -ENOMEM if there is no process.
 */
static int spawn_one(struct av_world *w)
{
	struct mm_struct *mm = mm_alloc();
	struct av_proc *p;
	unsigned int nvmas = w->opt->vmas / 2 + 1;

	if (!mm)
		return -ENOMEM;
	down_write(&mm->mmap_sem);
	for (unsigned int i = 0; i < nvmas && i < w->opt->vmas; i++) {
		unsigned long start = do_mmap_anon(mm, w->opt->pages);

		if (!start)
			break;
		for (unsigned int k = 0; k < w->opt->pages; k += 2)
			handle_mm_fault(find_vma(mm, start), start + ((unsigned long)k << PAGE_SHIFT));
	}
	up_write(&mm->mmap_sem);
	p = proc_new(mm);
	if (!p) {
		mmput(mm);
		return -ENOMEM;
	}
	if (!proc_insert(w, p))
		proc_exit(p);
	return 0;
}

#define SPAWN_TRIES	16

static int av_check(const void *opts, char *err, size_t errlen)
{
	const struct av_opts *opt = opts;

	if (opt->init_procs > opt->procs) {
		snprintf(err, errlen, "init_procs=%u is more than procs=%u",
			 opt->init_procs, opt->procs);
		return -1;
	}
	return 0;
}

static int av_init(struct wl_ctx *ctx)
{
	const struct av_opts *opt = ctx->opts;
	const struct mt_placement *plan = &ctx->job->plan;
	struct av_world *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->opt = opt;
	spin_lock_init(&w->proc_lock);
	w->procs = calloc(opt->procs, sizeof(*w->procs));
	if (!w->procs) {
		free(w);
		return -ENOMEM;
	}
	/* two logical nodes at least, so that migration always moves */
	w->nnodes = plan->nnodes >= 2 ? plan->nnodes : 2;
	for (int i = 0; i < w->nnodes; i++)
		w->node_ids[i] = plan->nnodes >= 2 ? plan->nodes[i] : i;
	ctx->priv = w;		/* the engine calls teardown after a failed init */

	if ((err = mm_core_init()))
		return err;
	w->caches_up = true;
	if ((err = anon_vma_init()) || (err = anon_memory_init()) ||
	    (err = ksm_init(opt->ksm_items)))
		return err;
	kmem_cache_keep_empty(anon_vma_cachep, opt->slab_keep_empty);
	for (unsigned int r = 0; r < AV_NROLES; r++)
		for (unsigned int k = 0; ctx->mix->weight[r] && k < 3 && av_steps[r][k]; k++)
			mt_coverage_require(av_steps[r][k]);
	/* pages that empty under reap go through their grace period (seed 004) */
	if (!opt->slab_keep_empty && ctx->mix->weight[AV_REAP] && opt->procs > 2 * opt->init_procs)
		mt_coverage_require("slab-typesafe-page-to-rcu");
	/*
	 * The engine turns allocation-failure injection on before init, and
	 * lib/core has no way to hold it off here: a process that could not
	 * be built is tried again, then done without.  Init fails only when
	 * not one process could be built.
	 */
	for (unsigned int i = 0; i < opt->init_procs && i < opt->procs; i++)
		for (unsigned int tries = 0; tries < SPAWN_TRIES && spawn_one(w); tries++)
			;
	return w->nprocs ? 0 : -ENOMEM;
}

/*
 * The audit, at a quiesce point: every live anon_vma's external_refcount
 * against its owners (its children if it is a root, KSM rmap_items; no
 * migration is in flight between operations), every VMA's chain against
 * the live anon_vmas, every VMA's own count (mm_audit_vmas()), and every
 * page's references against its ptes and its place on the LRU.
 */
static void av_audit(struct wl_ctx *ctx)
{
	struct av_world *w = ctx->priv;
	struct anon_vma_census *c = anon_vma_audit_begin();

	if (!c)
		return;
	spin_lock(&w->proc_lock);
	for (unsigned int i = 0; i < w->nprocs; i++) {
		/*
		 * Quiesced: nobody exits it meanwhile.  proc_lock is a
		 * spinlock and mmap_sem sleeps: take the mm, drop proc_lock.
		 */
		struct mm_struct *mm = get_task_mm(w->procs[i]->task);

		if (!mm)
			continue;
		spin_unlock(&w->proc_lock);
		down_read(&mm->mmap_sem);
		for (unsigned int k = 0; k < mm_nr_vmas(mm); k++)
			anon_vma_audit_vma(c, mm_vma_at(mm, k));
		up_read(&mm->mmap_sem);
		mm_audit_vmas(mm);
		mmput(mm);
		spin_lock(&w->proc_lock);
	}
	spin_unlock(&w->proc_lock);
	ksm_audit(c);
	anon_vma_audit_end(c);
	anon_pages_audit();
}

static void av_teardown(struct wl_ctx *ctx)
{
	struct av_world *w = ctx->priv;
	struct av_proc *p;

	if (!w)
		return;
	if (w->caches_up) {
		while ((p = proc_remove_random(w, 0)))
			proc_exit(p);
		ksm_fini();
		rcu_barrier();
		anon_memory_fini();
		anon_vma_fini();
		mm_core_fini();
	}
	free(w->procs);
	free(w);
	ctx->priv = NULL;
}

const struct workload wl_anon_vma = {
	.name = "anon_vma",
	.desc = "a process tree under fork/exit/mmap/munmap churn, with KSM's stable tree, "
		"migration entries and rmap walkers on anon_vmas (root pinning, two-level drop, "
		"typesafe recheck, slab pages through their grace period)",
	.opts = av_opts_table,
	.opts_size = sizeof(struct av_opts),
	.roles = av_roles,
	.default_mix = "fork:10,exit:8,mmap:6,munmap:6,fault:18,ksm_hold:4,ksm_walk:6,"
		       "ksm_drop:6,migrate:8,rmap_walk:16,ksm_merge:6,ksm_remove_node:3,reap:1",
	.models = "anon_vma",
	.need_overlap = true,
	.check = av_check,
	.init = av_init,
	.run = av_run,
	.audit = av_audit,
	.teardown = av_teardown,
};
MT_WORKLOAD(wl_anon_vma);
