/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kdetect.h - the detectors of a kernel job, from the kernel's own
 * evidence, in one place for every kernel workload:
 *
 *	kd_begin()	root and access checked (a clear error naming what
 *			could not be read or written), memory bound checked
 *			against MemAvailable, the journal opened, /dev/kmsg
 *			read from here on, slab baseline and its noise,
 *			the coverage counters started
 *	kd_poll()	the kernel log read, coverage counters sampled
 *	kd_cycle()	after the workload tore its world down (every process
 *			reaped, every IPC object removed): settle, measure
 *	kd_end()	judge: leaked_objects{cache} for an attributable cache
 *			that leaked; a note for the merged ones; coverage
 *	kd_close()	knobs restored, journal removed
 *
 * Everything found is reported through lib/core's counters: kernel log
 * kinds as races (mt_report), leaks in the cache slots of the region
 * under the kernel's cache names, missing coverage as mt_region_set_unmet().
 * No detector here knows what a job was told to break.
 *
 * Context: the job process's control thread (init, audit, teardown).
 */
#ifndef MT_KDETECT_H
#define MT_KDETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kmsg.h"
#include "kernel/kslab.h"
#include "kernel/kstat.h"

/* The options every kernel workload has (embedded in its options struct). */
struct kd_opts {
	unsigned int mem_mb;		/* memory the job may use */
	bool kmsg_user;			/* count kernel-format records of user space */
	unsigned int min_cycles;	/* slab measurements needed to judge growth */
	uint64_t settle_ns;		/* how long counts may take to settle */
};

/* Memory refused above this share of MemAvailable. */
#define KD_MEM_SHARE	0.25

/* A coverage counter, and when it can move at all. */
enum kd_cond { KD_ALWAYS, KD_MULTINODE, KD_SWAP, KD_HUGE, KD_KSM };

struct kd_cover {
	const char *counter;		/* kv_read() name */
	enum kd_cond cond;
	bool use_max;			/* the largest value seen (a gauge), not the delta */
	const char *what;		/* "interleaved allocations" */
};

#define KD_MAX_NODES	64

struct kd_state {
	struct ks_set slab;
	struct km_reader kmsg;
	struct kv_set vm;
	unsigned int cycles;		/* measurements taken */
	unsigned int unsettled;		/* of which did not settle in time */
	bool begun, kmsg_open, journal_open;
	/* the kernel's nodes the job's memory goes to */
	unsigned long nodemask;
	int nodes[KD_MAX_NODES];
	int nnodes;
	bool multinode;			/* two or more real nodes */
	bool swap_on;
	bool huge;			/* huge pages reserved for the job */
	bool ksm;			/* KSM running for the job */
};

/**
 * kd_begin - checks, journal, kernel log, baseline (see above)
 * @job_nodes: the logical nodes of the job's plan; @synthetic: the plan's
 *	topology is not the machine's (its nodes become the real ones)
 * @mem_bytes: what the workload will map at most
 *
 * On failure the reason is in the region's error (mt_region_set_error).
 * Return: 0 or -errno.
 */
int kd_begin(struct kd_state *d, const struct kd_opts *o, const char *const *caches,
	     unsigned int ncaches, const char *const *counters, unsigned int ncounters,
	     const int *job_nodes, int njob_nodes, bool synthetic, uint64_t mem_bytes);

/**
 * kd_knob - change a sysctl or sysfs knob for the job, its original value
 * journaled first (restored by kd_close(), or by the runner on a crash)
 * Return: 0, or -errno with the region's error set.
 */
int kd_knob(struct kd_state *d, const char *path, const char *value);

/* Read the kernel log and sample the coverage counters.  Cheap; any time. */
void kd_poll(struct kd_state *d);

/* After a world teardown: settle and measure the slab counts.  Return: 0 or -errno. */
int kd_cycle(struct kd_state *d, const struct kd_opts *o);

/*
 * kd_end - judge the slab series, report leaks and notes, check the
 * @ncover coverage counters (those whose condition holds).
 */
void kd_end(struct kd_state *d, const struct kd_opts *o, const struct kd_cover *cover,
	    unsigned int ncover);

/* Restore every knob, close the log and the journal.  Safe to call twice. */
void kd_close(struct kd_state *d);

/* The kernel caches of the protocols kernel mode tortures. */
extern const char *const kd_default_caches[];
extern const unsigned int kd_ndefault_caches;

#endif /* MT_KDETECT_H */
