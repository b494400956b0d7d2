/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel_common.h - what the kernel workloads (workloads/kernel_*.c)
 * share: their common options, the cycle of a kernel job (world built,
 * tortured, torn down and measured at each audit, see lib/kernel/
 * kdetect.h), the job's own processes, and memory touches that survive
 * a mapping taken away by another thread.
 *
 * A kernel workload's world lives in the running kernel: mappings, SysV
 * segments, memfds, child processes.  At each audit (a quiesce point:
 * every worker parked) the world is torn down (every child reaped, every
 * IPC object removed), the slab counts measured, and the world built
 * again; teardown does the same a last time and judges.  The self-test
 * bugs of the catalogue (kernel-shm-policy-leak, kernel-kmsg-warning)
 * choose code paths here and in the workloads; lib/kernel never reads them.
 */
#ifndef MT_KERNEL_COMMON_H
#define MT_KERNEL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kernel/kdetect.h"
#include "lib/engine/workload.h"

/* The options of every kernel workload; its options struct has a `kd` member. */
#define KW_OPTS(st)								\
	MT_OPT_NAMED("mem_mb", st, kd.mem_mb, MT_OPT_UINT, 1, 65536, "64",	\
		     "memory the job maps at most, MiB (refused above 25% of MemAvailable)"), \
	MT_OPT_NAMED("kmsg_user", st, kd.kmsg_user, MT_OPT_BOOL, 0, 1, "0",	\
		     "also count kernel-format lines that user space wrote to /dev/kmsg"), \
	MT_OPT_NAMED("min_cycles", st, kd.min_cycles, MT_OPT_UINT, 2, 64, "5",	\
		     "slab measurements (one per audit, one at teardown) needed to judge growth"), \
	MT_OPT_NAMED("settle", st, kd.settle_ns, MT_OPT_TIME, 0, 60e9, "2s",	\
		     "how long slab counts may take to settle after a teardown"), \
	MT_OPT_NAMED("leak_shm", st, leak_shm, MT_OPT_UINT, 1, 256, "8",	\
		     "segments left per cycle by the kernel-shm-policy-leak self-test")

#define KW_MAX_PEERS	32

/* The state every kernel workload keeps for its job. */
struct kw_job {
	struct kd_state kd;
	const struct kd_opts *opts;
	unsigned int leak_shm;		/* kernel-shm-policy-leak: per cycle */
	int *left;			/* the segments it left, to remove after counting */
	unsigned int nleft, left_cap;
	bool kmsg_written;
	unsigned int next_shard;	/* for long-lived children */
};

/**
 * kw_begin - the kernel detectors for @ctx's job (kd_begin()), with the
 * default caches and @counters for coverage
 * Return: 0 or -errno (the region's error says why).
 */
int kw_begin(struct kw_job *kj, struct wl_ctx *ctx, const struct kd_opts *o, unsigned int leak_shm,
	     const char *const *counters, unsigned int ncounters, uint64_t mem_bytes);

/*
 * kw_cycle_end - the world is down: the self-test paths of the bugs
 * enabled, then the slab measurement.
 */
void kw_cycle_end(struct kw_job *kj);

/* The job is over: judge, remove what the self-test left, restore the knobs. */
void kw_end(struct kw_job *kj, const struct kd_cover *cover, unsigned int ncover);

/* Is this audit the final one (the workers are gone, teardown follows)? */
bool kw_final_audit(void);

/**
 * kw_fork - a process of the job, running @fn(@arg) and exiting
 * @cpu: the PU to bind it to, -1 to keep the caller's
 * @counted: give it a counter shard of its own (long-lived children):
 *	otherwise it must not count ops (its parent counts them)
 *
 * The child dies with the thread that forked it (PR_SET_PDEATHSIG) and
 * is journaled (its SysV segments are removed if the job dies).
 * Context: any thread of the job process.
 * Return: the pid, or -errno.
 */
pid_t kw_fork(struct kw_job *kj, void (*fn)(void *arg), void *arg, int cpu, bool counted);

/* SIGKILL and reap @n processes (0 entries skipped); each entry zeroed. */
void kw_reap(pid_t *pids, unsigned int n);
/*
 * kw_reap_all - reap every child left, orphans of the job included (the
 * job process is their subreaper), waiting at most 2 s.
 * Context: no other thread of the job process waits for a child meanwhile.
 */
void kw_reap_all(void);

/*
 * kw_touch - read or write one byte at @p, surviving a SIGSEGV or SIGBUS
 * (the mapping was unmapped, protected or shrunk by another thread).
 * kw_touch_init() installs the handler once, before any worker starts.
 * Return: 0, or -EFAULT if the access faulted.
 */
void kw_touch_init(void);
int kw_touch(volatile char *p, bool write);

/* A node of the job's real nodes, at random; and its mask (for mbind). */
int kw_random_node(const struct kw_job *kj);

/* A random policy mode for mbind/set_mempolicy: interleave, bind, preferred, local. */
int kw_random_mode(void);

/* A SysV segment created by this process: journaled via its creator pid. */
int kw_shm_create(size_t len);

#endif /* MT_KERNEL_COMMON_H */
