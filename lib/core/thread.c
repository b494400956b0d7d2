// SPDX-License-Identifier: GPL-2.0-only
/*
 * thread.c - per-thread set-up of lib/core.
 */
#include "counters.h"
#include "inject.h"
#include "locks.h"
#include "prng.h"
#include "rcu.h"
#include "slab.h"
#include "thread.h"

__thread int mt_this_node;

void mt_thread_enter(unsigned int idx, int node, uint64_t seed)
{
	mt_this_node = node < 0 ? 0 : node;
	mt_counters_attach(idx, mt_this_node);
	mt_prng_thread_seed(seed, idx);
	mt_inject_thread_arm();
	rcu_register_thread();
}

void mt_thread_leave(void)
{
	mt_lockdep_assert_none_held("mt_thread_leave");
	mt_slab_thread_leave();
	rcu_unregister_thread();
	mt_counters_detach();
}
