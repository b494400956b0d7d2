// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_anon_vma.c - the running kernel's anon_vma trees under churn: a
 * process tree that forks with COW faults and exits, while the job
 * process maps, unmaps, mremaps and mprotect-splits its own regions,
 * merges and unmerges pages with KSM (ksmd scanning fast: the knobs are
 * journaled and restored), migrates pages (move_pages), and walks the
 * rmap (MADV_COLD, MADV_PAGEOUT, other tasks' /proc/PID/smaps) - the
 * protocols of seeds 002 and 004 as mm/rmap.c and mm/ksm.c run them.
 *
 * Each worker owns a pool of children (forked from it, so bound to its
 * PU and dying with it) and a region only it mremaps and mprotects; the
 * shared region and the KSM region are written only by children (COW).
 *
 * Lock ordering: w->ksm_lock only.
 */
#include <errno.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/prng.h"
#include "kernel/kutil.h"
#include "lib/engine/job.h"
#include "workloads/kernel_common.h"

#define PAGE		4096ul
#define KAV_MAX_POOL	8

struct kav_opts {
	struct kd_opts kd;
	unsigned int leak_shm;
	unsigned int anon_kb;
	unsigned int children;
	unsigned int ksm_pages;
};

static const struct mt_opt kav_opts_table[] = {
	KW_OPTS(struct kav_opts),
	MT_OPT(struct kav_opts, anon_kb, MT_OPT_UINT, 64, 65536, "1024",
	       "the region children share by fork (COW), and the KSM region, KiB each"),
	MT_OPT(struct kav_opts, children, MT_OPT_UINT, 1, KAV_MAX_POOL, "2",
	       "long-lived children per worker"),
	MT_OPT(struct kav_opts, ksm_pages, MT_OPT_UINT, 100, 100000, "5000",
	       "ksmd's pages_to_scan during the job (restored after)"),
	{ .name = NULL },
};

enum { KAV_FORK, KAV_EXIT, KAV_MMAP, KAV_MREMAP, KAV_MPROTECT, KAV_KSM, KAV_MOVE_PAGES,
       KAV_RMAP, KAV_SMAPS, KAV_NROLES };
static const char *const kav_roles[] = { "fork", "exit", "mmap", "mremap", "mprotect", "ksm",
	"move_pages", "rmap", "smaps", NULL };

struct kav_own {			/* one worker's; the control thread's at a quiesce point */
	pid_t pool[KAV_MAX_POOL];
	char *region;			/* two halves: the one mapped and the one it moves to */
	unsigned int half;
};

struct kav_world {
	const struct kav_opts *o;
	struct kw_job kj;
	size_t len;
	char *anon;			/* shared by fork */
	char *ksm;			/* identical pages */
	pthread_mutex_t ksm_lock;
	bool merged;			/* protected by ksm_lock */
	uint64_t merged_at;		/* protected by ksm_lock */
	int64_t ksm_sharing_max;	/* ATOMIC */
	uint64_t forks;			/* ATOMIC */
	unsigned int nown;
	struct kav_own own[MT_MAX_THREADS];
	bool up;
};

static void child_loop(void *arg)
{
	struct kav_world *w = arg;
	size_t pages = w->len / PAGE;
	struct timespec pause = { 0, 500 * 1000 };

	mt_prng_thread_seed(mt_random(), (uint64_t)getpid());
	for (;;) {
		for (int k = 0; k < 8; k++) {	/* COW faults, in the shared and the merged pages */
			w->anon[mt_random_below((uint32_t)pages) * PAGE] ^= 1;
			if (!mt_random_below(4))
				w->ksm[mt_random_below((uint32_t)pages) * PAGE] ^= 1;
		}
		if (!mt_random_below(32)) {	/* a grandchild: one level deeper, then its exit */
			pid_t g = fork();

			if (g == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);	/* no orphan outlives its parent */
				for (int k = 0; k < 16; k++)
					w->anon[mt_random_below((uint32_t)pages) * PAGE] ^= 2;
				_exit(0);
			}
			if (g > 0)
				waitpid(g, NULL, 0);
		}
		if (!mt_random_below(16))
			madvise(w->anon + mt_random_below((uint32_t)pages / 2) * PAGE, 8 * PAGE, MADV_COLD);
		nanosleep(&pause, NULL);
	}
}

static void short_child(void *arg)
{
	struct kav_world *w = arg;

	for (int k = 0; k < 16; k++)
		w->anon[mt_random_below((uint32_t)(w->len / PAGE)) * PAGE] ^= 4;
}

static int world_up(struct kav_world *w)
{
	w->anon = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->ksm = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->anon == MAP_FAILED || w->ksm == MAP_FAILED)
		return -ENOMEM;
	mbind(w->anon, w->len, MPOL_INTERLEAVE, &w->kj.kd.nodemask, KD_MAX_NODES, 0);
	for (size_t i = 0; i < w->len; i += PAGE) {
		w->anon[i] = (char)(i / PAGE);
		memset(w->ksm + i, 0x5a, PAGE);	/* every page alike: ksmd merges them */
	}
	w->merged = false;
	for (unsigned int t = 0; t < w->nown; t++) {
		struct kav_own *ow = &w->own[t];

		ow->region = mmap(NULL, 2 * w->len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ow->region == MAP_FAILED)
			return -ENOMEM;
		memset(ow->region, 1, w->len);
		ow->half = 0;
	}
	w->up = true;
	return 0;
}

static void world_down(struct kav_world *w)
{
	if (!w->up)
		return;
	for (unsigned int t = 0; t < w->nown; t++) {
		kw_reap(w->own[t].pool, KAV_MAX_POOL);
		if (w->own[t].region != MAP_FAILED)
			munmap(w->own[t].region, 2 * w->len);
		w->own[t].region = MAP_FAILED;
	}
	kw_reap_all();
	if (w->merged)
		madvise(w->ksm, w->len, MADV_UNMERGEABLE);
	munmap(w->anon, w->len);
	munmap(w->ksm, w->len);
	w->anon = w->ksm = MAP_FAILED;
	w->up = false;
}

static const char *const kav_counters[] = { "pgfault", "pgdeactivate", "ksm:full_scans",
	"pgmigrate_success" };
static const struct kd_cover kav_cover[] = {
	{ "pgfault", KD_ALWAYS, false, "faults" },
	{ "pgdeactivate", KD_ALWAYS, false, "rmap walks of MADV_COLD" },
	{ "ksm:full_scans", KD_KSM, false, "ksmd scans" },
	{ "pgmigrate_success", KD_MULTINODE, false, "pages migrated" },
};

static int kav_init(struct wl_ctx *ctx)
{
	const struct kav_opts *o = ctx->opts;
	struct kav_world *w = calloc(1, sizeof(*w));
	uint64_t mem;
	char v[32];
	int rc;

	if (!w)
		return -ENOMEM;
	ctx->priv = w;
	w->o = o;
	w->len = (size_t)o->anon_kb * 1024;
	w->nown = ctx->nthreads;
	w->anon = w->ksm = MAP_FAILED;
	for (unsigned int t = 0; t < MT_MAX_THREADS; t++)
		w->own[t].region = MAP_FAILED;
	pthread_mutex_init(&w->ksm_lock, NULL);
	/* the shared and KSM regions, a COW copy of both per child and grandchild, the own regions */
	mem = (uint64_t)w->len * (2 + 2 * 2 * ctx->nthreads * o->children + 2 * ctx->nthreads);
	if (mem > (uint64_t)o->kd.mem_mb << 20) {
		mt_region_set_error("anon_kb=%u with %u children per worker and %u threads need %llu MiB: above mem_mb=%u",
				    o->anon_kb, o->children, ctx->nthreads,
				    (unsigned long long)(mem >> 20) + 1, o->kd.mem_mb);
		return -ENOMEM;
	}
	if ((rc = kw_begin(&w->kj, ctx, &o->kd, o->leak_shm, kav_counters, ARRAY_SIZE(kav_counters),
			   (uint64_t)o->kd.mem_mb << 20)))
		return rc;
	/* ksmd scanning fast, for the job only: journaled before each write */
	snprintf(v, sizeof(v), "%u", o->ksm_pages);
	if ((rc = kd_knob(&w->kj.kd, "/sys/kernel/mm/ksm/pages_to_scan", v)) ||
	    (rc = kd_knob(&w->kj.kd, "/sys/kernel/mm/ksm/sleep_millisecs", "10")) ||
	    (rc = kd_knob(&w->kj.kd, "/sys/kernel/mm/ksm/run", "1")))
		return rc;
	w->kj.kd.ksm = true;
	return world_up(w);
}

static pid_t any_child(struct kav_own *ow)
{
	unsigned int k = mt_random_below(KAV_MAX_POOL);

	for (unsigned int i = 0; i < KAV_MAX_POOL; i++)
		if (ow->pool[(k + i) % KAV_MAX_POOL] > 0)
			return ow->pool[(k + i) % KAV_MAX_POOL];
	return 0;
}

static void do_fork(struct kav_world *w, struct kav_own *ow, unsigned int cap)
{
	unsigned int k = mt_random_below(cap);
	pid_t pid;

	if (mt_random_below(2)) {	/* short: fork, COW, exit */
		pid = kw_fork(&w->kj, short_child, w, -1, false);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else {			/* long-lived, in the pool: its exit comes later */
		if (ow->pool[k] > 0)
			kw_reap(&ow->pool[k], 1);
		pid = kw_fork(&w->kj, child_loop, w, -1, false);
		ow->pool[k] = pid > 0 ? pid : 0;
	}
	__atomic_fetch_add(&w->forks, 1, __ATOMIC_RELAXED);
}

static void do_mremap(struct kav_world *w, struct kav_own *ow)
{
	char *from = ow->region + ow->half * w->len, *to = ow->region + (1 - ow->half) * w->len;

	/* the source stays mapped (DONTUNMAP): no hole another mapping could take */
	if (mremap(from, w->len, w->len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to) == to) {
		ow->half = 1 - ow->half;
		for (size_t i = 0; i < w->len; i += 16 * PAGE)
			to[i] ^= 1;
	}
}

static void do_mprotect(struct kav_world *w, struct kav_own *ow)
{
	char *base = ow->region + ow->half * w->len;
	size_t pages = w->len / PAGE, off = mt_random_below((uint32_t)pages);
	size_t n = 1 + mt_random_below((uint32_t)(pages - off));

	mprotect(base + off * PAGE, n * PAGE, PROT_READ);	/* a split in three */
	mprotect(base + off * PAGE, n * PAGE, PROT_READ | PROT_WRITE);	/* merged back */
	base[off * PAGE] ^= 1;
}

static void do_ksm(struct kav_world *w)
{
	uint64_t now = mt_now_ns();
	int64_t sharing;

	pthread_mutex_lock(&w->ksm_lock);
	if (!w->merged) {
		if (!madvise(w->ksm, w->len, MADV_MERGEABLE)) {
			w->merged = true;
			w->merged_at = now;
		}
	} else if (now - w->merged_at > 400 * 1000 * 1000ull) {
		madvise(w->ksm, w->len, MADV_UNMERGEABLE);
		w->merged = false;
	}
	pthread_mutex_unlock(&w->ksm_lock);
	if (!kv_read("ksm:pages_sharing", &sharing) &&
	    sharing > __atomic_load_n(&w->ksm_sharing_max, __ATOMIC_RELAXED))
		__atomic_store_n(&w->ksm_sharing_max, sharing, __ATOMIC_RELAXED);
}

static void do_move_pages(struct kav_world *w, struct kav_own *ow)
{
	void *pages[16];
	int nodes[16], status[16];
	pid_t pid = mt_random_below(2) ? any_child(ow) : 0;

	for (int k = 0; k < 16; k++) {
		pages[k] = w->anon + mt_random_below((uint32_t)(w->len / PAGE)) * PAGE;
		nodes[k] = kw_random_node(&w->kj);
	}
	move_pages(pid, 16, pages, nodes, status, MPOL_MF_MOVE);
}

static void do_rmap(struct kav_world *w)
{
	size_t pages = w->len / PAGE, off = mt_random_below((uint32_t)pages);
	size_t n = 1 + mt_random_below((uint32_t)(pages - off));

	madvise(w->anon + off * PAGE, n * PAGE, mt_random_below(2) ? MADV_COLD : MADV_PAGEOUT);
}

static void do_smaps(struct kav_own *ow)
{
	char path[64], buf[32768];
	pid_t pid = any_child(ow);

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)(pid ? pid : getpid()));
	kt_read_file(path, buf, sizeof(buf));
}

/* Kill one of the thread's long-lived children and reap it.  Return: whether it had one. */
static bool exit_one(struct kav_own *ow, unsigned int n)
{
	unsigned int start = mt_random_below(n);

	for (unsigned int k = 0; k < n; k++) {
		pid_t *p = &ow->pool[(start + k) % n];

		if (*p > 0) {
			kw_reap(p, 1);
			return true;
		}
	}
	return false;
}

static void kav_run(struct wl_thread *t)
{
	struct kav_world *w = t->ctx->priv;
	struct kav_own *ow = &w->own[t->idx];

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);
		char *p;

		switch (role) {
		case KAV_FORK:		do_fork(w, ow, w->o->children); break;
		case KAV_EXIT:
			if (!exit_one(ow, w->o->children))
				continue;	/* no child to exit: no operation */
			break;
		case KAV_MMAP:
			p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED) {
				memset(p, 1, 16 * PAGE);
				munmap(p, 16 * PAGE);
			}
			break;
		case KAV_MREMAP:	do_mremap(w, ow); break;
		case KAV_MPROTECT:	do_mprotect(w, ow); break;
		case KAV_KSM:		do_ksm(w); break;
		case KAV_MOVE_PAGES:	do_move_pages(w, ow); break;
		case KAV_RMAP:		do_rmap(w); break;
		case KAV_SMAPS:		do_smaps(ow); break;
		}
		mt_ops_inc(role);
	}
	/* this thread's children die with it (PR_SET_PDEATHSIG): reap them first */
	kw_reap(ow->pool, KAV_MAX_POOL);
}

static void kav_audit(struct wl_ctx *ctx)
{
	struct kav_world *w = ctx->priv;

	kd_poll(&w->kj.kd);
	if (kw_final_audit())
		return;
	world_down(w);
	kw_cycle_end(&w->kj);
	if (world_up(w))
		mt_region_set_unmet("the world could not be built again after a cycle");
}

static void kav_teardown(struct wl_ctx *ctx)
{
	struct kav_world *w = ctx->priv;

	world_down(w);
	if (w->kj.kd.begun) {
		kw_cycle_end(&w->kj);
		if (w->kj.kd.ksm && w->ksm_sharing_max <= 0 && ctx->mix->weight[KAV_KSM])
			mt_region_set_unmet("ksmd merged no page (ksm:pages_sharing stayed 0)");
		if (!w->forks && ctx->mix->weight[KAV_FORK])
			mt_region_set_unmet("no fork");
		kw_end(&w->kj, kav_cover, ARRAY_SIZE(kav_cover));
	} else {
		kd_close(&w->kj.kd);
	}
	pthread_mutex_destroy(&w->ksm_lock);
	free(w);
	ctx->priv = NULL;
}

const struct workload wl_kernel_anon_vma = {
	.name = "kernel_anon_vma",
	.desc = "the running kernel's anon_vma trees: fork/COW/exit, mremap and mprotect splits, "
		"KSM merge/unmerge, move_pages, rmap walkers (root)",
	.opts = kav_opts_table,
	.opts_size = sizeof(struct kav_opts),
	.roles = kav_roles,
	.default_mix = "fork:20,exit:5,mmap:15,mremap:10,mprotect:15,ksm:5,move_pages:10,rmap:10,smaps:10",
	.models = "kernel",
	.init = kav_init,
	.run = kav_run,
	.audit = kav_audit,
	.teardown = kav_teardown,
};
MT_WORKLOAD(wl_kernel_anon_vma);
