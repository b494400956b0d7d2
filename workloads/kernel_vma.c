// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_vma.c - the running kernel's VMA paths under one mm: threads
 * fault (the per-VMA-lock fault path, CONFIG_PER_VMA_LOCK, where seed
 * 003's speculative faults landed) while other threads of the same
 * process mmap, unmap, mprotect, mremap, mbind and madvise the very
 * ranges they fault in, anonymous and file-backed (a memfd), and read
 * /proc/self/numa_maps (a VMA walk taking each VMA's policy).
 *
 * The ranges are slots of one mapping that is this workload's alone.
 * Nothing ever leaves a hole in it (another mapping of the process could
 * take a hole, and a fault would then write into it): an unmap is a
 * MAP_FIXED PROT_NONE placeholder (the kernel's munmap path runs for the
 * old VMA), a move is mremap(MREMAP_DONTUNMAP).  A fault that finds its
 * page unmapped or protected is caught (kw_touch) and counted as such.
 */
#include <errno.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/prng.h"
#include "kernel/kutil.h"
#include "lib/engine/job.h"
#include "workloads/kernel_common.h"

#define PAGE	4096ul

struct kvma_opts {
	struct kd_opts kd;
	unsigned int leak_shm;
	unsigned int slots;
	unsigned int slot_kb;
};

static const struct mt_opt kvma_opts_table[] = {
	KW_OPTS(struct kvma_opts),
	MT_OPT(struct kvma_opts, slots, MT_OPT_UINT, 2, 1024, "16", "ranges faulted and remapped"),
	MT_OPT(struct kvma_opts, slot_kb, MT_OPT_UINT, 16, 65536, "256", "size of each range, KiB"),
	{ .name = NULL },
};

enum { KVMA_FAULT, KVMA_MMAP, KVMA_MUNMAP, KVMA_MPROTECT, KVMA_MREMAP, KVMA_MBIND,
       KVMA_MADVISE, KVMA_NUMA_MAPS, KVMA_NROLES };
static const char *const kvma_roles[] = { "fault", "mmap", "munmap", "mprotect", "mremap",
	"mbind", "madvise", "numa_maps", NULL };

struct kvma_world {
	const struct kvma_opts *o;
	struct kw_job kj;
	size_t slot_len, len;
	char *base;
	int memfd;
	uint64_t faults_ok;		/* ATOMIC */
	uint64_t faults_caught;		/* ATOMIC */
	bool up;
};

/* A random page-aligned sub-range of a random slot: its start, and its length in *len. */
static char *pick(struct kvma_world *w, size_t *len, size_t *fileoff)
{
	unsigned int s = mt_random_below(w->o->slots);
	size_t pages = w->slot_len / PAGE, off = mt_random_below((uint32_t)pages);
	size_t n = 1 + mt_random_below((uint32_t)(pages - off) < 8 ? (uint32_t)(pages - off) : 8);

	*len = n * PAGE;
	if (fileoff)
		*fileoff = (size_t)s * w->slot_len + off * PAGE;
	return w->base + (size_t)s * w->slot_len + off * PAGE;
}

/* Map [p, p+len) afresh: anonymous or the memfd's pages at @fileoff. */
static void map_fresh(struct kvma_world *w, char *p, size_t len, size_t fileoff)
{
	if (mt_random_below(2))
		mmap(p, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		mmap(p, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, w->memfd, (off_t)fileoff);
}

static int world_up(struct kvma_world *w)
{
	w->memfd = memfd_create("mmtorture-kvma", MFD_CLOEXEC);
	if (w->memfd < 0 || ftruncate(w->memfd, (off_t)w->len))
		return -errno;
	w->base = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->base == MAP_FAILED)
		return -errno;
	for (unsigned int s = 0; s < w->o->slots; s += 2)	/* every other slot file-backed */
		mmap(w->base + s * w->slot_len, w->slot_len, PROT_READ | PROT_WRITE,
		     MAP_FIXED | MAP_SHARED, w->memfd, (off_t)(s * w->slot_len));
	mbind(w->base, w->len, MPOL_INTERLEAVE, &w->kj.kd.nodemask, KD_MAX_NODES, 0);
	w->up = true;
	return 0;
}

static void world_down(struct kvma_world *w)
{
	if (!w->up)
		return;
	munmap(w->base, w->len);
	close(w->memfd);
	w->base = MAP_FAILED;
	w->memfd = -1;
	w->up = false;
}

static const char *const kvma_counters[] = { "pgfault", "vma_lock_success" };
static const struct kd_cover kvma_cover[] = {
	{ "pgfault", KD_ALWAYS, false, "faults" },
};

static int kvma_init(struct wl_ctx *ctx)
{
	const struct kvma_opts *o = ctx->opts;
	struct kvma_world *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	ctx->priv = w;
	w->o = o;
	w->slot_len = (size_t)o->slot_kb * 1024;
	w->len = w->slot_len * o->slots;
	w->base = MAP_FAILED;
	w->memfd = -1;
	/* anonymous and file pages of every slot, at most */
	if (2 * (uint64_t)w->len > (uint64_t)o->kd.mem_mb << 20) {
		mt_region_set_error("slots=%u x slot_kb=%u need %llu MiB: above mem_mb=%u", o->slots,
				    o->slot_kb, (unsigned long long)(2 * w->len >> 20) + 1, o->kd.mem_mb);
		return -ENOMEM;
	}
	if ((rc = kw_begin(&w->kj, ctx, &o->kd, o->leak_shm, kvma_counters, ARRAY_SIZE(kvma_counters),
			   (uint64_t)o->kd.mem_mb << 20)))
		return rc;
	return world_up(w);
}

static void do_fault(struct kvma_world *w)
{
	for (int k = 0; k < 8; k++) {
		size_t len;
		char *p = pick(w, &len, NULL);

		if (kw_touch(p, mt_random_below(4) != 0))
			__atomic_fetch_add(&w->faults_caught, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&w->faults_ok, 1, __ATOMIC_RELAXED);
	}
}

static void do_mremap(struct kvma_world *w)
{
	size_t len, off1, off2;
	char *from = pick(w, &len, &off1), *to;
	size_t len2;

	to = pick(w, &len2, &off2);
	if (len2 < len)
		len = len2;
	if (from + len > to && to + len > from)
		return;		/* overlapping: mremap refuses it anyway */
	mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
}

static void kvma_run(struct wl_thread *t)
{
	struct kvma_world *w = t->ctx->priv;
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE };

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);
		size_t len, off;
		char *p;
		unsigned long mask = w->kj.kd.nodemask;
		char buf[32768];

		switch (role) {
		case KVMA_FAULT:
			do_fault(w);
			break;
		case KVMA_MMAP:
			p = pick(w, &len, &off);
			map_fresh(w, p, len, off);
			break;
		case KVMA_MUNMAP:	/* the old VMA goes the munmap way; a placeholder stays */
			p = pick(w, &len, NULL);
			mmap(p, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			break;
		case KVMA_MPROTECT:
			p = pick(w, &len, NULL);
			mprotect(p, len, prots[mt_random_below(3)]);
			break;
		case KVMA_MREMAP:
			do_mremap(w);
			break;
		case KVMA_MBIND:
			p = pick(w, &len, NULL);
			mbind(p, len, mt_random_below(2) ? MPOL_INTERLEAVE : MPOL_PREFERRED,
			      &mask, KD_MAX_NODES, 0);
			break;
		case KVMA_MADVISE:
			p = pick(w, &len, NULL);
			madvise(p, len, MADV_DONTNEED);
			break;
		case KVMA_NUMA_MAPS:
			kt_read_file("/proc/self/numa_maps", buf, sizeof(buf));
			break;
		}
		mt_ops_inc(role);
	}
}

static void kvma_audit(struct wl_ctx *ctx)
{
	struct kvma_world *w = ctx->priv;

	kd_poll(&w->kj.kd);
	if (kw_final_audit())
		return;
	world_down(w);
	kw_cycle_end(&w->kj);
	if (world_up(w))
		mt_region_set_unmet("the world could not be built again after a cycle");
}

static void kvma_teardown(struct wl_ctx *ctx)
{
	struct kvma_world *w = ctx->priv;

	world_down(w);
	if (w->kj.kd.begun) {
		int64_t v;

		kw_cycle_end(&w->kj);
		if (!w->faults_ok && ctx->mix->weight[KVMA_FAULT])
			mt_region_set_unmet("no fault completed (%llu caught on unmapped or protected pages)",
					    (unsigned long long)w->faults_caught);
		if (kv_read("vma_lock_success", &v))
			mt_region_add_note("per-VMA lock counters not in this kernel (CONFIG_PER_VMA_LOCK_STATS): "
					   "faults seen by pgfault");
		else if (kv_delta(&w->kj.kd.vm, "vma_lock_success") <= 0)
			mt_region_set_unmet("no fault took the per-VMA lock (vma_lock_success did not move)");
		mt_region_add_note("%llu faults, %llu on pages unmapped or protected under them",
				   (unsigned long long)(w->faults_ok + w->faults_caught),
				   (unsigned long long)w->faults_caught);
		kw_end(&w->kj, kvma_cover, ARRAY_SIZE(kvma_cover));
	} else {
		kd_close(&w->kj.kd);
	}
	free(w);
	ctx->priv = NULL;
}

const struct workload wl_kernel_vma = {
	.name = "kernel_vma",
	.desc = "the running kernel's VMA paths in one mm: faults (per-VMA locks) against mmap, "
		"munmap, mprotect, mremap, mbind of the same ranges (root)",
	.opts = kvma_opts_table,
	.opts_size = sizeof(struct kvma_opts),
	.roles = kvma_roles,
	.default_mix = "fault:50,mmap:10,munmap:8,mprotect:8,mremap:6,mbind:8,madvise:6,numa_maps:4",
	.models = "kernel",
	.init = kvma_init,
	.run = kvma_run,
	.audit = kvma_audit,
	.teardown = kvma_teardown,
};
MT_WORKLOAD(wl_kernel_vma);
