// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_mempolicy.c - the running kernel's mempolicy paths: task, VMA
 * and shared (shmem) policies replaced while other threads and other
 * processes look them up and allocate under them.
 *
 * The world of a cycle: SysV shm segments and memfds with policies
 * (mbind: shared-policy replace and range splits), an anonymous region,
 * a hugetlb memfd with interleaved policies when huge pages are reserved
 * (hugepages=), and peers: processes of the job that attach the segments
 * by id, fault in them and mbind them, while the workers of the job
 * process fault, mbind, set and look up policies, read the peers'
 * /proc/PID/numa_maps (seed 001's show_numa_map), migrate their pages
 * (move_pages, migrate_pages: seed 001's new_vma_page), page shmem out
 * (MADV_PAGEOUT; swap-in by the next fault, where swap is on) and churn
 * the segments (IPC_RMID while peers hold them, a new one in the slot).
 *
 * Lock ordering: seg[i].lock only (a pthread rwlock: the mapping of slot
 * i in this process); nothing is taken under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "core/prng.h"
#include "kernel/kutil.h"
#include "lib/engine/job.h"
#include "workloads/kernel_common.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define PAGE		4096ul
#define HPAGE		(2ul << 20)
#define KMP_MAX_SEGS	64
#define KMP_NMEMFD	2

struct kmp_opts {
	struct kd_opts kd;
	unsigned int leak_shm;
	unsigned int segments;
	unsigned int seg_kb;
	unsigned int peers;
	unsigned int hugepages;
};

static const struct mt_opt kmp_opts_table[] = {
	KW_OPTS(struct kmp_opts),
	MT_OPT(struct kmp_opts, segments, MT_OPT_UINT, 1, KMP_MAX_SEGS, "8",
	       "SysV shm segments shared with the peers"),
	MT_OPT(struct kmp_opts, seg_kb, MT_OPT_UINT, 16, 65536, "512", "size of each segment, KiB"),
	MT_OPT(struct kmp_opts, peers, MT_OPT_UINT, 1, KW_MAX_PEERS, "2",
	       "processes that attach, fault and mbind the segments"),
	MT_OPT(struct kmp_opts, hugepages, MT_OPT_UINT, 0, 64, "4",
	       "huge pages reserved for the job (nr_hugepages, given back at the end); 0: no hugetlb role"),
	{ .name = NULL },
};

enum { KMP_FAULT, KMP_SET, KMP_GET, KMP_MBIND, KMP_NUMA_MAPS, KMP_MIGRATE, KMP_PAGEOUT,
       KMP_HUGETLB, KMP_SHM_CHURN, KMP_NROLES };
static const char *const kmp_roles[] = { "fault", "set_mempolicy", "get_mempolicy", "mbind",
	"numa_maps", "migrate", "pageout", "hugetlb", "shm_churn", NULL };

/* Shared with the peers (MAP_SHARED): what they attach, and when to stop. */
struct kmp_shared {
	int stop;			/* ATOMIC */
	int ids[KMP_MAX_SEGS];		/* ATOMIC: the segment of each slot */
	uint64_t peer_faults;		/* ATOMIC */
};

struct kmp_seg {
	pthread_rwlock_t lock;		/* the mapping of this slot, here */
	int id;
	char *addr;
};

struct kmp_world {
	const struct kmp_opts *o;
	struct kw_job kj;
	struct kmp_shared *sh;
	size_t seg_len, memfd_len, anon_len, huge_len;
	unsigned int nseg;
	struct kmp_seg seg[KMP_MAX_SEGS];
	int memfd[KMP_NMEMFD];
	char *memmap[KMP_NMEMFD];
	char *anon;
	int hugefd;
	char *huge;
	pid_t peer[KW_MAX_PEERS];
	unsigned int npeers;
	int cpus[MT_MAX_THREADS];
	unsigned int ncpus;
	bool up;
};

static void bind_range(struct kmp_world *w, void *a, size_t len, int mode)
{
	unsigned long mask = mode == MPOL_DEFAULT || mode == MPOL_LOCAL ? 0 : w->kj.kd.nodemask;

	if (mode == MPOL_PREFERRED || mode == MPOL_BIND)
		mask = 1ul << kw_random_node(&w->kj);
	mbind(a, len, mode, mask ? &mask : NULL, mask ? KD_MAX_NODES : 0, 0);
}

static void seg_new(struct kmp_world *w, unsigned int i)
{
	struct kmp_seg *s = &w->seg[i];

	s->id = kw_shm_create(w->seg_len);
	s->addr = NULL;
	if (s->id >= 0) {
		void *a = shmat(s->id, NULL, 0);

		if (a != (void *)-1) {
			s->addr = a;
			bind_range(w, a, w->seg_len, MPOL_INTERLEAVE);
		}
	}
	__atomic_store_n(&w->sh->ids[i], s->id, __ATOMIC_RELEASE);
}

static void seg_del(struct kmp_world *w, unsigned int i)
{
	struct kmp_seg *s = &w->seg[i];

	if (s->addr)
		shmdt(s->addr);
	if (s->id >= 0)
		shmctl(s->id, IPC_RMID, NULL);	/* destroyed when the peers detach */
	s->addr = NULL;
	s->id = -1;
}

/* A peer: attach a segment by id, fault, mbind part of it, detach. */
static void peer_main(void *arg)
{
	struct kmp_world *w = arg;
	char *inherited[KMP_MAX_SEGS];

	/* the job process's attachments, inherited: not this process's to hold */
	for (unsigned int i = 0; i < w->nseg; i++)
		inherited[i] = w->seg[i].addr;
	for (unsigned int i = 0; i < w->nseg; i++)
		if (inherited[i])
			shmdt(inherited[i]);
	mt_prng_thread_seed(mt_random(), (uint64_t)getpid());
	while (!__atomic_load_n(&w->sh->stop, __ATOMIC_ACQUIRE)) {
		unsigned int i = mt_random_below(w->nseg);
		int id = __atomic_load_n(&w->sh->ids[i], __ATOMIC_ACQUIRE);
		char *a = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;

		if (a == (void *)-1)
			continue;	/* removed under us: the churn is doing its work */
		for (int k = 0; k < 16; k++)
			a[mt_random_below((uint32_t)(w->seg_len / PAGE)) * PAGE] ^= 1;
		if (!mt_random_below(4)) {
			size_t off = mt_random_below((uint32_t)(w->seg_len / PAGE)) * PAGE;

			bind_range(w, a + off, PAGE * (1 + mt_random_below(4)) > w->seg_len - off ?
				   w->seg_len - off : PAGE * (1 + mt_random_below(4)), kw_random_mode());
		}
		/* the inherited memfd and anonymous pages, for move_pages and migrate_pages */
		w->memmap[0][mt_random_below((uint32_t)(w->memfd_len / PAGE)) * PAGE] ^= 1;
		w->anon[mt_random_below((uint32_t)(w->anon_len / PAGE)) * PAGE] ^= 1;
		shmdt(a);
		mt_ops_inc(KMP_FAULT);
		__atomic_fetch_add(&w->sh->peer_faults, 1, __ATOMIC_RELAXED);
	}
}

static int world_up(struct kmp_world *w)
{
	for (unsigned int i = 0; i < w->nseg; i++)
		seg_new(w, i);
	for (int f = 0; f < KMP_NMEMFD; f++) {
		w->memfd[f] = memfd_create("mmtorture-kmp", MFD_CLOEXEC);
		w->memmap[f] = MAP_FAILED;
		if (w->memfd[f] >= 0 && !ftruncate(w->memfd[f], (off_t)w->memfd_len))
			w->memmap[f] = mmap(NULL, w->memfd_len, PROT_READ | PROT_WRITE, MAP_SHARED,
					    w->memfd[f], 0);
		if (w->memmap[f] == MAP_FAILED)
			return -errno;
		bind_range(w, w->memmap[f], w->memfd_len, MPOL_INTERLEAVE);
	}
	w->anon = mmap(NULL, w->anon_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->anon == MAP_FAILED)
		return -errno;
	/* the first half under a VMA policy, the second under the task's */
	bind_range(w, w->anon, w->anon_len / 2, MPOL_INTERLEAVE);
	memset(w->anon, 1, w->anon_len);
	memset(w->memmap[0], 1, w->memfd_len);
	w->hugefd = -1;
	w->huge = MAP_FAILED;
	if (w->kj.kd.huge) {
		w->hugefd = memfd_create("mmtorture-kmp-huge", MFD_CLOEXEC | MFD_HUGETLB);
		if (w->hugefd >= 0 && !ftruncate(w->hugefd, (off_t)w->huge_len))
			w->huge = mmap(NULL, w->huge_len, PROT_READ | PROT_WRITE, MAP_SHARED,
				       w->hugefd, 0);
		if (w->huge != MAP_FAILED)
			bind_range(w, w->huge, w->huge_len, MPOL_INTERLEAVE);
	}
	__atomic_store_n(&w->sh->stop, 0, __ATOMIC_RELEASE);
	w->npeers = w->o->peers;
	for (unsigned int p = 0; p < w->npeers; p++) {
		pid_t pid = kw_fork(&w->kj, peer_main, w, w->ncpus ? w->cpus[p % w->ncpus] : -1, true);

		w->peer[p] = pid > 0 ? pid : 0;
	}
	w->up = true;
	return 0;
}

static void world_down(struct kmp_world *w)
{
	if (!w->up)
		return;
	__atomic_store_n(&w->sh->stop, 1, __ATOMIC_RELEASE);
	kw_reap(w->peer, w->npeers);
	kw_reap_all();
	for (unsigned int i = 0; i < w->nseg; i++)
		seg_del(w, i);
	for (int f = 0; f < KMP_NMEMFD; f++) {
		if (w->memmap[f] != MAP_FAILED)
			munmap(w->memmap[f], w->memfd_len);
		if (w->memfd[f] >= 0)
			close(w->memfd[f]);
		w->memmap[f] = MAP_FAILED;
		w->memfd[f] = -1;
	}
	if (w->anon != MAP_FAILED)
		munmap(w->anon, w->anon_len);
	w->anon = MAP_FAILED;
	if (w->huge != MAP_FAILED)
		munmap(w->huge, w->huge_len);
	if (w->hugefd >= 0)
		close(w->hugefd);
	w->huge = MAP_FAILED;
	w->hugefd = -1;
	w->up = false;
}

static const char *const kmp_counters[] = { "numa_interleave", "pgfault", "pgmigrate_success", "pswpin" };
static const struct kd_cover kmp_cover[] = {
	{ "numa_interleave", KD_ALWAYS, false, "interleaved allocations" },
	{ "pgfault", KD_ALWAYS, false, "faults" },
	{ "pgmigrate_success", KD_MULTINODE, false, "pages migrated" },
	{ "pswpin", KD_SWAP, false, "shmem swap-ins" },
};

/* Reserve the job's huge pages: nr_hugepages raised by hugepages=, journaled. */
static void reserve_huge(struct kmp_world *w)
{
	char buf[32], val[32];
	long orig;

	if (!w->o->hugepages || kt_read_file("/proc/sys/vm/nr_hugepages", buf, sizeof(buf)) < 0)
		return;
	orig = strtol(buf, NULL, 10);
	snprintf(val, sizeof(val), "%ld", orig + (long)w->o->hugepages);
	if (kd_knob(&w->kj.kd, "/proc/sys/vm/nr_hugepages", val)) {
		mt_region_add_note("huge pages not reserved: %.120s", mt_cur_region->error);
		mt_cur_region->error[0] = '\0';
		return;
	}
	w->kj.kd.huge = kt_meminfo(NULL, "HugePages_Free") >= (int64_t)w->o->hugepages;
	if (!w->kj.kd.huge)
		mt_region_add_note("could not reserve %u huge pages", w->o->hugepages);
}

static int kmp_init(struct wl_ctx *ctx)
{
	const struct kmp_opts *o = ctx->opts;
	struct kmp_world *w = calloc(1, sizeof(*w));
	uint64_t mem;
	int rc;

	if (!w)
		return -ENOMEM;
	ctx->priv = w;
	w->o = o;
	w->nseg = o->segments;
	w->seg_len = (size_t)o->seg_kb * 1024;
	w->memfd_len = 1ul << 20;
	w->anon_len = 1ul << 20;
	w->huge_len = (size_t)o->hugepages * HPAGE;
	for (unsigned int i = 0; i < KMP_MAX_SEGS; i++) {
		pthread_rwlock_init(&w->seg[i].lock, NULL);
		w->seg[i].id = -1;
	}
	for (int f = 0; f < KMP_NMEMFD; f++) {
		w->memfd[f] = -1;
		w->memmap[f] = MAP_FAILED;
	}
	w->anon = w->huge = MAP_FAILED;
	w->hugefd = -1;
	if (ctx->job->plan.bind)
		for (unsigned int t = 0; t < ctx->nthreads; t++)
			if (ctx->job->plan.thread[t].cpu >= 0)
				w->cpus[w->ncpus++] = ctx->job->plan.thread[t].cpu;
	/* what is mapped at most: the segments, memfds, anon (and a copy per peer), huge pages */
	mem = (uint64_t)w->nseg * w->seg_len + KMP_NMEMFD * w->memfd_len +
	      (1 + o->peers) * w->anon_len + w->huge_len;
	if (mem > (uint64_t)o->kd.mem_mb << 20) {
		mt_region_set_error("segments=%u x seg_kb=%u, peers=%u and hugepages=%u need %llu MiB: above mem_mb=%u",
				    o->segments, o->seg_kb, o->peers, o->hugepages,
				    (unsigned long long)(mem >> 20) + 1, o->kd.mem_mb);
		return -ENOMEM;
	}
	if ((rc = kw_begin(&w->kj, ctx, &o->kd, o->leak_shm, kmp_counters, ARRAY_SIZE(kmp_counters),
			   (uint64_t)o->kd.mem_mb << 20)))
		return rc;
	w->sh = mmap(NULL, sizeof(*w->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->sh == MAP_FAILED) {
		w->sh = NULL;
		return -ENOMEM;
	}
	reserve_huge(w);
	return world_up(w);
}

static char *seg_page(struct kmp_world *w, struct kmp_seg *s)
{
	return s->addr + mt_random_below((uint32_t)(w->seg_len / PAGE)) * PAGE;
}

static void do_fault(struct kmp_world *w)
{
	struct kmp_seg *s = &w->seg[mt_random_below(w->nseg)];

	pthread_rwlock_rdlock(&s->lock);
	if (s->addr) {
		for (int k = 0; k < 8; k++)
			*(volatile char *)seg_page(w, s) ^= 1;
		if (!mt_random_below(8))	/* free a page: the next fault allocates again */
			madvise(seg_page(w, s), PAGE, MADV_REMOVE);
	}
	pthread_rwlock_unlock(&s->lock);
	w->memmap[mt_random_below(KMP_NMEMFD)][mt_random_below((uint32_t)(w->memfd_len / PAGE)) * PAGE] ^= 1;
	w->anon[mt_random_below((uint32_t)(w->anon_len / PAGE)) * PAGE] ^= 1;
}

static void lookups(struct kmp_world *w)
{
	unsigned long mask[KD_MAX_NODES / (8 * sizeof(long))];
	struct kmp_seg *s = &w->seg[mt_random_below(w->nseg)];
	int mode, node;

	get_mempolicy(&mode, mask, KD_MAX_NODES, NULL, 0);			/* task */
	get_mempolicy(&mode, mask, KD_MAX_NODES, w->anon, MPOL_F_ADDR);		/* VMA */
	get_mempolicy(&node, NULL, 0, w->anon + w->anon_len - PAGE, MPOL_F_ADDR | MPOL_F_NODE);
	get_mempolicy(&mode, mask, KD_MAX_NODES, w->memmap[mt_random_below(KMP_NMEMFD)] +
		      mt_random_below((uint32_t)(w->memfd_len / PAGE)) * PAGE, MPOL_F_ADDR);
	pthread_rwlock_rdlock(&s->lock);
	if (s->addr) {							/* shared */
		get_mempolicy(&mode, mask, KD_MAX_NODES, seg_page(w, s), MPOL_F_ADDR);
		get_mempolicy(&node, NULL, 0, seg_page(w, s), MPOL_F_ADDR | MPOL_F_NODE);
	}
	pthread_rwlock_unlock(&s->lock);
}

static void do_set(struct kmp_world *w)
{
	int mode = kw_random_mode();
	unsigned long mask = mode == MPOL_LOCAL ? 0 :
			     mode == MPOL_INTERLEAVE ? w->kj.kd.nodemask : 1ul << kw_random_node(&w->kj);

	set_mempolicy(mode, mask ? &mask : NULL, mask ? KD_MAX_NODES : 0);
	/* allocations under the task policy: the half of anon without a VMA policy */
	for (int k = 0; k < 4; k++) {
		char *p = w->anon + w->anon_len / 2 +
			  mt_random_below((uint32_t)(w->anon_len / 2 / PAGE)) * PAGE;

		madvise(p, PAGE, MADV_DONTNEED);
		*(volatile char *)p = 1;
	}
	lookups(w);
	/* a parked worker holds no task policy: the slab counts see none of ours */
	set_mempolicy(MPOL_DEFAULT, NULL, 0);
}

static void do_mbind(struct kmp_world *w)
{
	unsigned int what = mt_random_below(3);

	if (what == 0) {
		struct kmp_seg *s = &w->seg[mt_random_below(w->nseg)];
		size_t pages = w->seg_len / PAGE, off = mt_random_below((uint32_t)pages);
		size_t n = 1 + mt_random_below((uint32_t)(pages - off));

		pthread_rwlock_rdlock(&s->lock);
		if (s->addr)	/* a shared-policy replace, splitting its ranges */
			bind_range(w, s->addr + off * PAGE, n * PAGE, kw_random_mode());
		pthread_rwlock_unlock(&s->lock);
	} else if (what == 1) {
		size_t pages = w->memfd_len / PAGE, off = mt_random_below((uint32_t)pages);

		bind_range(w, w->memmap[mt_random_below(KMP_NMEMFD)] + off * PAGE,
			   (1 + mt_random_below((uint32_t)(pages - off))) * PAGE, kw_random_mode());
	} else {
		size_t pages = w->anon_len / 2 / PAGE, off = mt_random_below((uint32_t)pages);

		bind_range(w, w->anon + off * PAGE, (1 + mt_random_below((uint32_t)(pages - off))) * PAGE,
			   MPOL_INTERLEAVE);
	}
}

static void do_numa_maps(struct kmp_world *w)
{
	char path[64], buf[16384];
	pid_t pid = w->peer[mt_random_below(w->npeers)];

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	kt_read_file(path, buf, sizeof(buf));
}

static void do_migrate(struct kmp_world *w)
{
	pid_t pid = w->peer[mt_random_below(w->npeers)];
	void *pages[16];
	int nodes[16], status[16];
	unsigned long from = w->kj.kd.nodemask, to = 1ul << kw_random_node(&w->kj);

	for (int k = 0; k < 16; k++) {
		char *base = k & 1 ? w->anon : w->memmap[0];
		size_t len = k & 1 ? w->anon_len : w->memfd_len;

		pages[k] = base + mt_random_below((uint32_t)(len / PAGE)) * PAGE;
		nodes[k] = kw_random_node(&w->kj);
	}
	/* the peer's pages, at the addresses it inherited */
	move_pages(pid, 16, pages, nodes, status, MPOL_MF_MOVE);
	move_pages(pid, 16, pages, NULL, status, 0);
	if (!mt_random_below(8))
		migrate_pages(pid, KD_MAX_NODES, &from, &to);
}

static void do_pageout(struct kmp_world *w)
{
	struct kmp_seg *s = &w->seg[mt_random_below(w->nseg)];

	pthread_rwlock_rdlock(&s->lock);
	if (s->addr)
		madvise(s->addr, w->seg_len, MADV_PAGEOUT);
	pthread_rwlock_unlock(&s->lock);
	madvise(w->memmap[mt_random_below(KMP_NMEMFD)], w->memfd_len, MADV_PAGEOUT);
}

static bool do_hugetlb(struct kmp_world *w)
{
	size_t n = w->huge_len / HPAGE, i;

	if (w->huge == MAP_FAILED || !n)
		return false;
	i = mt_random_below((uint32_t)n);
	/* interleaved: the fault takes the interleave path of the huge page allocation */
	if (!mt_random_below(4))
		bind_range(w, w->huge + i * HPAGE, HPAGE, MPOL_INTERLEAVE);
	kw_touch(w->huge + i * HPAGE, true);
	if (!mt_random_below(2))
		fallocate(w->hugefd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(i * HPAGE),
			  (off_t)HPAGE);
	return true;
}

static void do_churn(struct kmp_world *w)
{
	unsigned int i = mt_random_below(w->nseg);
	struct kmp_seg *s = &w->seg[i];

	pthread_rwlock_wrlock(&s->lock);
	seg_del(w, i);
	seg_new(w, i);
	if (s->addr)
		memset(s->addr, 1, PAGE);
	pthread_rwlock_unlock(&s->lock);
}

static void kmp_run(struct wl_thread *t)
{
	struct kmp_world *w = t->ctx->priv;

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);

		switch (role) {
		case KMP_FAULT:		do_fault(w); break;
		case KMP_SET:		do_set(w); break;
		case KMP_GET:		lookups(w); break;
		case KMP_MBIND:		do_mbind(w); break;
		case KMP_NUMA_MAPS:	do_numa_maps(w); break;
		case KMP_MIGRATE:	do_migrate(w); break;
		case KMP_PAGEOUT:	do_pageout(w); break;
		case KMP_HUGETLB:	if (!do_hugetlb(w)) continue; break;
		case KMP_SHM_CHURN:	do_churn(w); break;
		}
		mt_ops_inc(role);
	}
	set_mempolicy(MPOL_DEFAULT, NULL, 0);
}

/* A cycle: everything down and measured, then up again for the workers. */
static void kmp_audit(struct wl_ctx *ctx)
{
	struct kmp_world *w = ctx->priv;

	kd_poll(&w->kj.kd);
	if (kw_final_audit())
		return;		/* teardown measures the last cycle */
	world_down(w);
	kw_cycle_end(&w->kj);
	if (world_up(w))
		mt_region_set_unmet("the world could not be built again after a cycle");
}

static void kmp_teardown(struct wl_ctx *ctx)
{
	struct kmp_world *w = ctx->priv;
	uint64_t peer_faults = w->sh ? w->sh->peer_faults : 0;

	world_down(w);
	if (w->kj.kd.begun) {
		kw_cycle_end(&w->kj);
		if (!peer_faults)
			mt_region_set_unmet("the peers made no fault in the shared segments");
		if (w->o->hugepages && !w->kj.kd.huge)
			mt_region_set_unmet("no huge pages could be reserved (hugepages=%u)", w->o->hugepages);
		kw_end(&w->kj, kmp_cover, ARRAY_SIZE(kmp_cover));
	} else {
		kd_close(&w->kj.kd);
	}
	if (w->sh)
		munmap(w->sh, sizeof(*w->sh));
	for (unsigned int i = 0; i < KMP_MAX_SEGS; i++)
		pthread_rwlock_destroy(&w->seg[i].lock);
	free(w);
	ctx->priv = NULL;
}

const struct workload wl_kernel_mempolicy = {
	.name = "kernel_mempolicy",
	.desc = "the running kernel's task, VMA and shared mempolicies: replace vs lookup, "
		"numa_maps of other tasks, migration, shm churn (root)",
	.opts = kmp_opts_table,
	.opts_size = sizeof(struct kmp_opts),
	.roles = kmp_roles,
	.default_mix = "fault:30,set_mempolicy:10,get_mempolicy:15,mbind:15,numa_maps:5,"
		       "migrate:5,pageout:3,hugetlb:5,shm_churn:5",
	.models = "kernel",
	.init = kmp_init,
	.run = kmp_run,
	.audit = kmp_audit,
	.teardown = kmp_teardown,
};
MT_WORKLOAD(wl_kernel_mempolicy);
