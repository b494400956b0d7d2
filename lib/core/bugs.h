/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bugs.h - the catalogue of injectable bugs, as one table (docs/BUGS.md is
 * printed from it: mmtorture bugs --markdown).
 *
 * A job turns bugs on by name; a model then runs the broken code path
 * where the kernel had it:
 *
 *	if (mt_bug(MT_BUG_MPOL_NUMA_MAPS_LEAK))
 *		return;			// the leak: no mpol_cond_put()
 *	mpol_cond_put(pol);
 *
 * The registry only chooses code paths in the models.  No detector reads
 * it: what fires is what a generic check in lib/core saw
 * (tests/cli/00-detectors-blind.sh checks this by grepping the detectors).
 *
 * Names are stable: job files and results refer to them.
 */
#ifndef MT_BUGS_H
#define MT_BUGS_H

#include <stdint.h>
#include <stdbool.h>

#include "compiler.h"
#include "counters.h"

/*
 * X(id, name, model, seed, expect, cache, description, counters...)
 *   expect: ALL (every counter must fire), ANY (one of them), NONE (a
 *   performance entry, expect=clean)
 *   cache: the cache label of leaked_objects{cache}, or NULL
 */
#define MT_BUGS(X)								\
	X(MPOL_NUMA_MAPS_LEAK, "mpol-numa-maps-leak", "mempolicy",		\
	  "001_37705b9bdf8018ef.txt", ALL, "numa_policy",			\
	  "show_numa_map() never drops the extra ref of another task's shared policy", \
	  MT_LEAKED_REFS, MT_LEAKED_OBJECTS)					\
	X(MPOL_MIGRATE_LEAK, "mpol-migrate-leak", "mempolicy",			\
	  "001_37705b9bdf8018ef.txt", ALL, "numa_policy",			\
	  "new_vma_page() (page migration) never drops the shared-policy ref",	\
	  MT_LEAKED_REFS, MT_LEAKED_OBJECTS)					\
	X(MPOL_HUGETLB_INTERLEAVE_PUT, "mpol-hugetlb-interleave-put", "mempolicy", \
	  "000_0d12215afd56b0db.txt", ANY, NULL,				\
	  "huge_zonelist() drops a ref on the interleave path whatever the policy", \
	  MT_REFCOUNT_UNDERFLOW, MT_USE_AFTER_FREE)				\
	X(MPOL_SWAPIN_MULTI_PUT, "mpol-swapin-multi-put", "mempolicy",		\
	  "001_37705b9bdf8018ef.txt", ANY, NULL,				\
	  "shmem_swapin() passes the shared policy to a multi-page readahead without mpol_cond_copy()", \
	  MT_REFCOUNT_UNDERFLOW, MT_USE_AFTER_FREE)				\
	X(MPOL_SET_NO_MMAP_SEM, "mpol-set-no-mmap-sem", "mempolicy",		\
	  "001_37705b9bdf8018ef.txt", ALL, NULL,				\
	  "do_set_mempolicy() replaces and frees the task policy without mmap_sem for write", \
	  MT_LOCK_RULE, MT_USE_AFTER_FREE)					\
	X(MPOL_SHARED_LOOKUP_NO_REF, "mpol-shared-lookup-no-ref", "mempolicy",	\
	  "001_37705b9bdf8018ef.txt", ANY, NULL,				\
	  "the shared-policy lookup returns the policy without the extra ref",	\
	  MT_USE_AFTER_FREE, MT_REFCOUNT_UNDERFLOW)				\
	X(MPOL_UNCONDITIONAL_REFS, "mpol-unconditional-refs", "mempolicy",	\
	  "000_0d12215afd56b0db.txt", NONE, NULL,				\
	  "a get/put pair on every policy lookup, shared or not: correct but slow (performance entry)") \
	X(ANON_VMA_ROOT_UNPINNED, "anon-vma-root-unpinned", "anon_vma",		\
	  "002_a78f23a9b5c75bed.txt", ANY, NULL,				\
	  "anon_vma_fork() takes no ref on the root; the root can be freed under a child", \
	  MT_USE_AFTER_FREE, MT_TYPE_CONFUSION)					\
	X(ANON_VMA_DROP_ONE_LEVEL, "anon-vma-drop-one-level", "anon_vma",	\
	  "002_a78f23a9b5c75bed.txt", ALL, "anon_vma",				\
	  "drop_anon_vma() frees the child but never drops its ref on the root", \
	  MT_LEAKED_OBJECTS, MT_LEAKED_REFS)					\
	X(ANON_VMA_NOT_TYPESAFE, "anon-vma-not-typesafe", "anon_vma",		\
	  "004_51e2d12db3bd8cc5.txt", ANY, NULL,				\
	  "the anon_vma cache lacks SLAB_TYPESAFE_BY_RCU; an oblique rmap walker locks another object", \
	  MT_TYPE_CONFUSION, MT_USE_AFTER_FREE)					\
	X(RMAP_NO_RECHECK, "rmap-no-recheck", "anon_vma",			\
	  "004_51e2d12db3bd8cc5.txt", ALL, NULL,				\
	  "page_lock_anon_vma() locks and does not recheck that the page still maps to that anon_vma", \
	  MT_STALE_OBJECT)							\
	X(KSM_UNLOCKED_DROP, "ksm-unlocked-drop", "anon_vma",			\
	  "002_a78f23a9b5c75bed.txt", ANY, NULL,				\
	  "KSM drops its external ref with a plain decrement and tests for empty without the root lock", \
	  MT_DOUBLE_FREE, MT_LEAKED_OBJECTS)					\
	X(VMA_FREE_NO_RCU, "vma-free-no-rcu", "vma",				\
	  "003_cf6d31174e8c4947.txt", ALL, NULL,				\
	  "put_vma() frees the VMA at once, not after a grace period (a bug under vma_lookup=rcu; the posted patch's own code under rb_lock)", \
	  MT_USE_AFTER_FREE)							\
	X(VMA_GET_PLAIN_INC, "vma-get-plain-inc", "vma",			\
	  "003_cf6d31174e8c4947.txt", ALL, NULL,				\
	  "the speculative path takes its VMA ref with a plain increment, not inc-not-zero (a bug under vma_lookup=rcu; the posted patch's own code under rb_lock)", \
	  MT_REFCOUNT_INC_ON_ZERO)						\
	X(VMA_FILE_AFTER_FPUT, "vma-file-after-fput", "vma",			\
	  "003_cf6d31174e8c4947.txt", ANY, NULL,				\
	  "the speculative path takes a file-backed VMA and uses vm_file, which remove_vma() put and does not unset (under both lookups)", \
	  MT_USE_AFTER_FREE, MT_REFCOUNT_UNDERFLOW)				\
	X(VMA_POLICY_PUT_EARLY, "vma-policy-put-early", "vma",			\
	  "003_cf6d31174e8c4947.txt", ALL, NULL,				\
	  "remove_vma() puts the VMA's policy at once, not in __free_vma() with the VMA (under both lookups)", \
	  MT_USE_AFTER_FREE)							\
	X(KERNEL_SHM_POLICY_LEAK, "kernel-shm-policy-leak", "kernel",		\
	  "001_37705b9bdf8018ef.txt", ALL, "shmem_inode_cache",		\
	  "self-test: each cycle leaves SysV shm segments with a shared policy behind (their shmem inode, numa_policy and shared_policy_node objects stay)", \
	  MT_LEAKED_OBJECTS)							\
	X(KERNEL_KMSG_WARNING, "kernel-kmsg-warning", "kernel",		\
	  "-", ANY, NULL,							\
	  "self-test: a WARNING: line in the kernel's format is written to /dev/kmsg (counted with kmsg_user=1)", \
	  MT_KERNEL_WARNING)							\
	X(MPOL_GET_MEMPOLICY_EARLY_UNLOCK, "mpol-get-mempolicy-early-unlock", "mempolicy", \
	  "001_37705b9bdf8018ef.txt", ALL, NULL,				\
	  "do_get_mempolicy() drops mmap_sem before it reads the node mask of a VMA policy another thread may mbind() away (2.6.31 to 4.12; fixed by 73223e4e2e38)", \
	  MT_USE_AFTER_FREE)							\
	X(MPOL_GET_MEMPOLICY_NO_PUT, "mpol-get-mempolicy-no-put", "mempolicy",	\
	  "001_37705b9bdf8018ef.txt", ALL, "numa_policy",			\
	  "do_get_mempolicy() never drops the extra ref of a shared policy (before seed 001's mpol_cond_put() at out:)", \
	  MT_LEAKED_REFS, MT_LEAKED_OBJECTS)					\
	X(MPOL_COND_COPY_KEEPS_SHARED, "mpol-cond-copy-keeps-shared", "mempolicy", \
	  "000_0d12215afd56b0db.txt", ANY, NULL,				\
	  "mpol_cond_copy() keeps MPOL_F_SHARED in the on-stack copy: each readahead allocation puts it", \
	  MT_TYPE_CONFUSION, MT_DOUBLE_FREE, MT_REFCOUNT_UNDERFLOW)		\
	X(MPOL_MBIND_NO_GET, "mpol-mbind-no-get", "mempolicy",			\
	  "001_37705b9bdf8018ef.txt", ANY, NULL,				\
	  "policy_vma() stores the policy in vm_policy without mpol_get(): mbind's put of the installer's ref frees it under the VMA", \
	  MT_USE_AFTER_FREE, MT_MISSING_REFS)					\
	X(MPOL_SHM_VM_POLICY_GET, "mpol-shm-vm-policy-get", "mempolicy",	\
	  "000_0d12215afd56b0db.txt", ALL, "numa_policy",			\
	  "shm_get_policy() takes mpol_get() on a SHM_HUGETLB mapping's vm_policy, which nobody drops (seed 000 reverted)", \
	  MT_LEAKED_REFS, MT_LEAKED_OBJECTS)					\
	X(VMA_ADJUST_FREE_NEXT, "vma-adjust-free-next", "vma",			\
	  "003_cf6d31174e8c4947.txt", ALL, NULL,				\
	  "__vma_adjust() puts next's policy and frees it at once when a merge removes it, not with put_vma() (before seed 003; under both lookups)", \
	  MT_USE_AFTER_FREE)

enum mt_bug_id {
#define X(id, ...) MT_BUG_##id,
	MT_BUGS(X)
#undef X
	MT_NBUGS
};

enum mt_expect { MT_EXPECT_ALL, MT_EXPECT_ANY, MT_EXPECT_NONE };

#define MT_BUG_MAX_FIRES 4

struct mt_bug_desc {
	const char *name;
	const char *model;
	const char *seed;
	const char *desc;
	enum mt_expect expect;
	const char *cache;		/* label of leaked_objects{cache} */
	int nfires;
	enum mt_counter fires[MT_BUG_MAX_FIRES];
};

extern const struct mt_bug_desc mt_bug_table[MT_NBUGS];

typedef uint32_t mt_bugset_t;
_Static_assert(MT_NBUGS <= 32, "mt_bugset_t holds every bug");

/* The bugs enabled for the running job.  Models test it; detectors never. */
extern mt_bugset_t mt_bugs_enabled;

static inline bool mt_bug(enum mt_bug_id b)
{
	return unlikely(mt_bugs_enabled & (1u << b));
}

/* Return: the bug of that name, or -1. */
int mt_bug_lookup(const char *name);
/*
 * mt_bugs_parse - parse a list of bug names separated by commas (spaces
 * around a name allowed), each named once; "" is no bug.
 * Return: 0, or an MT_BUGS_* error with the name at fault copied to @bad
 * (may be NULL).
 */
enum { MT_BUGS_UNKNOWN = -1, MT_BUGS_TWICE = -2, MT_BUGS_EMPTY = -3 };
int mt_bugs_parse(const char *list, mt_bugset_t *set, char *bad, size_t badlen);
/*
 * Did counter @c fire (leaked_objects{@cache} when @cache is set)?  If so,
 * say when in *first_s (seconds since the start, -1 if unknown).
 */
typedef bool (*mt_fired_fn)(void *arg, enum mt_counter c, const char *cache,
			    double *first_s);
enum mt_expect_mode {
	MT_EXPECT_EVERY,	/* every counter of an ALL bug, one of an ANY bug */
	MT_EXPECT_SO_FAR,	/* the same while the job runs: leaked_objects, counted at
				 * teardown, is pending; an ALL bug needs its other counters */
	MT_EXPECT_SOME,		/* any expected counter of each bug */
};

/**
 * mt_bugs_expectation - have the counters the bugs of @set expect fired?
 * @mode: how much of each bug's expectation must have fired
 * @first_s: the earliest time an expected counter fired, -1 if none
 * @met_s: when the expectation was met, as @mode judges it: for each bug
 *	the last first-firing of its counters (ALL) or the first (ANY), the
 *	latest over the bugs; -1 if not met or no time is known.  May be NULL.
 *
 * The one judge of an expectation: the verdict, and a detect job's early
 * stop.  Never used by a detector.
 * Return: -1 when no bug of @set expects anything, 1 when met, 0 if not.
 */
int mt_bugs_expectation(mt_bugset_t set, enum mt_expect_mode mode, mt_fired_fn fired,
			void *arg, double *first_s, double *met_s);

/* "leaked_refs, leaked_objects{numa_policy}" or "a / b": what should fire. */
void mt_bug_fires_str(const struct mt_bug_desc *b, char *buf, size_t len);

#endif /* MT_BUGS_H */
