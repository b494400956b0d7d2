/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * thread.h - what lib/core knows of the calling thread: its index (the
 * counter shard), its NUMA node (where its slab pages come from), its PRNG
 * stream and its RCU registration, set up in one call.
 */
#ifndef MT_THREAD_H
#define MT_THREAD_H

#include <stdint.h>

/* Logical NUMA node of the calling thread (0 when never set). */
extern __thread int mt_this_node;

/**
 * mt_thread_enter - make the calling thread a worker of the running job
 * @idx: 1..MT_MAX_SHARDS-1, unique among running threads
 * @node: its logical NUMA node
 * @seed: the job seed; the thread's PRNG stream is (seed, idx)
 *
 * Attaches the counter shard, seeds the PRNG, arms the job's fail-the-Nth
 * countdown and registers with RCU.
 */
void mt_thread_enter(unsigned int idx, int node, uint64_t seed);
/* Context: outside any RCU read-side section, holding no lock. */
void mt_thread_leave(void);

#endif /* MT_THREAD_H */
