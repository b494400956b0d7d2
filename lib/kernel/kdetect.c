// SPDX-License-Identifier: GPL-2.0-only
/*
 * kdetect.c - a kernel job's detectors, from baseline to judgement; see
 * kdetect.h.  The numbers of samples are chosen here: three samples 10 ms
 * apart per window, pairs of windows for the baseline and each measurement (kslab.c).
 */
#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/counters.h"
#include "kernel/kdetect.h"
#include "kernel/kjournal.h"
#include "kernel/kutil.h"

#define BASE_SAMPLES	3
#define WIN_SAMPLES	3
#define GAP_NS		(10 * 1000 * 1000ull)

const char *const kd_default_caches[] = {
	"numa_policy", "shared_policy_node", "anon_vma", "anon_vma_chain",
	"vm_area_struct", "shmem_inode_cache", "mm_struct", "task_struct",
};
const unsigned int kd_ndefault_caches = sizeof(kd_default_caches) / sizeof(kd_default_caches[0]);

static int fail(int rc, const char *fmt, const char *what)
{
	mt_region_set_error(fmt, what);
	return rc;
}

/* The job's nodes as the kernel's: a synthetic plan's nodes are not real. */
static void real_nodes(struct kd_state *d, const int *job_nodes, int n, bool synthetic)
{
	struct bitmask *allowed = numa_available() >= 0 ? numa_get_mems_allowed() : NULL;
	int real = 0;

	d->nodemask = 0;
	d->nnodes = 0;
	for (int i = 0; allowed && i < KD_MAX_NODES && i <= numa_max_node(); i++)
		if (numa_bitmask_isbitset(allowed, (unsigned int)i))
			real++;
	for (int i = 0; !synthetic && i < n; i++)
		if (job_nodes[i] >= 0 && job_nodes[i] < KD_MAX_NODES &&
		    (!allowed || numa_bitmask_isbitset(allowed, (unsigned int)job_nodes[i])))
			d->nodemask |= 1ul << job_nodes[i];
	if (!d->nodemask) {	/* synthetic, or none of them real: every allowed node */
		for (int i = 0; allowed && i < KD_MAX_NODES && i <= numa_max_node(); i++)
			if (numa_bitmask_isbitset(allowed, (unsigned int)i))
				d->nodemask |= 1ul << i;
		if (!d->nodemask)
			d->nodemask = 1;
		if (synthetic)
			mt_region_add_note("synthetic topology: memory policies use the machine's %d node%s",
					   real ? real : 1, real == 1 ? "" : "s");
	}
	for (int i = 0; i < KD_MAX_NODES; i++)
		if (d->nodemask & (1ul << i))
			d->nodes[d->nnodes++] = i;
	d->multinode = d->nnodes >= 2;
	if (allowed)
		numa_bitmask_free(allowed);
}

int kd_begin(struct kd_state *d, const struct kd_opts *o, const char *const *caches,
	     unsigned int ncaches, const char *const *counters, unsigned int ncounters,
	     const int *job_nodes, int njob_nodes, bool synthetic, uint64_t mem_bytes)
{
	char err[320];
	int64_t avail;
	int rc;

	memset(d, 0, sizeof(*d));
	d->kmsg.fd = -1;
	if (geteuid() != 0) {
		/* say what: the first thing a kernel job must read */
		if (km_open(&d->kmsg, NULL, false, err, sizeof(err)) == 0) {
			km_close(&d->kmsg);
			snprintf(err, sizeof(err), "cannot read /sys/kernel/slab/*/objects");
		}
		mt_region_set_error("kernel workloads need root (running as uid %d): %.200s",
				    (int)geteuid(), err);
		return -EPERM;
	}
	avail = kt_meminfo(NULL, "MemAvailable");
	if (avail < 0)
		return fail(-EIO, "cannot read %s", "MemAvailable in /proc/meminfo");
	if ((double)mem_bytes > (double)avail * 1024.0 * KD_MEM_SHARE) {
		mt_region_set_error("mem_mb=%u is above %.0f%% of MemAvailable (%lld MiB): refused",
				    o->mem_mb, KD_MEM_SHARE * 100, (long long)(avail / 1024));
		return -ENOMEM;
	}
	if ((rc = km_open(&d->kmsg, NULL, o->kmsg_user, err, sizeof(err))))
		return fail(rc, "%s", err);
	d->kmsg_open = true;
	if ((rc = kj_open(err, sizeof(err))))
		return fail(rc, "%s", err);
	d->journal_open = true;
	if ((rc = ks_init(&d->slab, NULL, NULL, caches, ncaches, err, sizeof(err))))
		return fail(rc, "%s", err);
	real_nodes(d, job_nodes, njob_nodes, synthetic);
	d->swap_on = kv_swap_on();
	/* the caches, named as the kernel names them, in the region's cache slots */
	for (unsigned int i = 0; i < d->slab.n; i++)
		if (d->slab.c[i].present)
			mt_region_cache_slot(d->slab.c[i].name, false);
	if ((rc = ks_baseline(&d->slab, BASE_SAMPLES, GAP_NS)))
		return fail(rc, "cannot read the slab counts: %s", strerror(-rc));
	kv_start(&d->vm, counters, ncounters);
	d->begun = true;
	return 0;
}

int kd_knob(struct kd_state *d, const char *path, const char *value)
{
	char err[320];
	int rc = kj_knob_set(path, value, err, sizeof(err));

	if (rc)
		mt_region_set_error("%s", err);
	return rc;
}

void kd_poll(struct kd_state *d)
{
	if (!d->begun)
		return;
	km_poll(&d->kmsg, NULL, NULL);
	kv_sample(&d->vm);
}

int kd_cycle(struct kd_state *d, const struct kd_opts *o)
{
	bool settled;
	int rc;

	if (!d->begun)
		return -EINVAL;
	kd_poll(d);
	rc = ks_measure(&d->slab, o->settle_ns, WIN_SAMPLES, GAP_NS, &settled);
	if (rc)
		return rc;
	d->cycles++;
	d->unsettled += !settled;
	kd_poll(d);
	return 0;
}

static bool cond_holds(const struct kd_state *d, enum kd_cond c)
{
	switch (c) {
	case KD_ALWAYS:		return true;
	case KD_MULTINODE:	return d->multinode;
	case KD_SWAP:		return d->swap_on;
	case KD_HUGE:		return d->huge;
	case KD_KSM:		return d->ksm;
	}
	return false;
}

void kd_end(struct kd_state *d, const struct kd_opts *o, const struct kd_cover *cover,
	    unsigned int ncover)
{
	char missing[192] = "";
	size_t off = 0;

	if (!d->begun)
		return;
	kd_poll(d);
	for (unsigned int i = 0; i < d->slab.n; i++) {
		const struct ks_cache *c = &d->slab.c[i];
		struct ks_verdict v;

		if (!c->present)
			continue;
		ks_judge(c, o->min_cycles, &v);
		if (getenv("MMTORTURE_KSLAB_TRACE")) {	/* the series, for whoever tunes the band */
			fprintf(stderr, "kslab %s: base %lld spread %lld band %lld:", c->name,
				(long long)c->base, (long long)c->spread, (long long)v.band);
			for (unsigned int k = 0; k < c->n && k < KS_MAX_SERIES; k++)
				fprintf(stderr, " %+lld%s", (long long)(c->m[k] - c->base),
					c->settled[k] ? "" : "?");
			fprintf(stderr, "\n");
		}
		if (c->merged)
			mt_region_add_note("not attributable: %s (merged with %.80s)%s", c->name,
					   c->merged_with, v.unattributed ? ", grew as a leak would" : "");
		if (v.unattributed) {
			mt_report(MT_SLAB_UNATTRIBUTED, "slab",
				  "%s: %+lld objects over the baseline (band %lld) in %u cycles; merged with %.40s",
				  c->name, (long long)v.excess, (long long)v.band, c->n, c->merged_with);
			mt_count_add(MT_SLAB_UNATTRIBUTED, (uint64_t)v.excess - 1);
		}
		if (v.leak) {
			int slot = mt_region_cache_slot(c->name, false);

			if (slot >= 0 && mt_cur_region)
				__atomic_fetch_add(&mt_cur_region->caches[slot].leaked,
						   (uint64_t)v.excess, __ATOMIC_RELAXED);
			mt_report(MT_LEAKED_OBJECTS, "slab",
				  "%s: %lld objects over the baseline of %lld after %u cycles (band %lld)",
				  c->name, (long long)v.excess, (long long)c->base, c->n,
				  (long long)v.band);
			mt_count_add(MT_LEAKED_OBJECTS, (uint64_t)v.excess - 1);
		}
	}
	if (d->cycles < o->min_cycles)
		mt_region_set_unmet("%u slab measurement%s of the %u needed to judge growth (audit_interval= shorter)",
				    d->cycles, d->cycles == 1 ? "" : "s", o->min_cycles);
	if (d->unsettled)
		mt_region_add_note("slab counts still moving after %.1fs at %u of %u measurements",
				   (double)o->settle_ns / 1e9, d->unsettled, d->cycles);
	for (unsigned int i = 0; i < ncover; i++) {
		const struct kd_cover *k = &cover[i];
		int64_t v = k->use_max ? kv_max(&d->vm, k->counter) : kv_delta(&d->vm, k->counter);

		if (!cond_holds(d, k->cond) || v > 0)
			continue;
		if (off < sizeof(missing))
			off += (size_t)snprintf(missing + off, sizeof(missing) - off, "%s%s (%s)%s",
						off ? ", " : "", k->what, k->counter,
						v < 0 ? " not in this kernel" : " did not move");
	}
	if (missing[0])
		mt_region_set_unmet("%s", missing);
}

void kd_close(struct kd_state *d)
{
	kj_close();
	d->journal_open = false;
	if (d->kmsg_open)
		km_close(&d->kmsg);
	d->kmsg_open = false;
	d->begun = false;
}
