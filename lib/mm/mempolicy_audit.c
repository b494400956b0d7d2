// SPDX-License-Identifier: GPL-2.0-only
/*
 * mempolicy_audit.c - the detectors of the mempolicy model (seeds 000 and
 * 001): the checks of a policy pointer before a load or a put, and the
 * refcount audit of policies and shmem segments at quiesce points.
 *
 * Like lib/core, this file never reads the bug registry: what it reports
 * is what it saw in slab headers, counts and owners
 * (tests/cli/00-detectors-blind.sh greps it).
 *
 * Lock ordering (the audit):
 *   mm->mmap_sem (read, each task's, in turn)
 *   sp->lock (each live segment's tree, in mpol_audit_end())
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/audit.h"
#include "core/counters.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"

/* ---- checks of a policy pointer ---- */

bool mpol_put_check(const struct mempolicy *pol, const char *where)
{
	/* Rule 1: never unref the system default policy. */
	if (unlikely(pol == &default_policy)) {
		mt_report(MT_REFCOUNT_UNDERFLOW, where,
			  "put on default_policy, which is never reference counted");
		return false;
	}
	return __obj_check(pol, policy_cache, where) != OBJ_BAD;
}

/* ---- the refcount audit ---- */

/*
 * Two censuses (lib/core/audit.h): the live policies, owned by tasks,
 * VMAs, shared-policy tree nodes and the caller's tables; and the live
 * shmem segments, owned by the VMAs that map them and the caller's.
 */
struct mpol_audit {
	struct mt_census *pols;
	struct mt_census *segs;
};

static int policy_census_count(const void *obj)
{
	return refcount_read_raw(&((const struct mempolicy *)obj)->refcnt);
}

static void policy_census_describe(const void *obj, char *buf, size_t len)
{
	const struct mempolicy *pol = obj;

	snprintf(buf, len, "mode %u, flags %#x", pol->mode, pol->flags);
}

/* A live policy that no task, VMA, tree node or table owns is lost. */
static const struct mt_census_ops policy_census_ops = {
	.what = "numa_policy",
	.where = "mpol_audit",
	.count = policy_census_count,
	.describe = policy_census_describe,
	.orphan_is_leaked_object = true,
};

static int seg_census_count(const void *obj)
{
	return refcount_read_raw(&((const struct shmem_inode_info *)obj)->count);
}

static void seg_census_describe(const void *obj, char *buf, size_t len)
{
	snprintf(buf, len, "segment %d", ((const struct shmem_inode_info *)obj)->id);
}

static const struct mt_census_ops seg_census_ops = {
	.what = "shmem segment",
	.where = "mpol_audit",
	.count = seg_census_count,
	.describe = seg_census_describe,
};

struct mpol_audit *mpol_audit_begin(void)
{
	struct mpol_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->pols = mt_census_begin(policy_cache, &policy_census_ops);
	a->segs = mt_census_begin(shmem_inode_cachep, &seg_census_ops);
	if (!a->pols || !a->segs) {
		/* a harness failure, not the model's: audit nothing */
		fprintf(stderr, "mpol_audit: out of memory, audit skipped\n");
		mt_census_end(a->pols);
		mt_census_end(a->segs);
		free(a);
		return NULL;
	}
	return a;
}

void mpol_audit_owner(struct mpol_audit *a, struct mempolicy *pol,
		      const char *kind, const void *who)
{
	if (!a || !pol)
		return;
	if (pol == &default_policy) {
		/* installed as if it were a policy: it would be put one day */
		mt_report(MT_LEAKED_REFS, "mpol_audit", "%s %p owns default_policy",
			  kind, who);
		return;
	}
	mt_census_own(a->pols, pol, kind, who);
}

void mpol_audit_shmem(struct mpol_audit *a, struct shmem_inode_info *info,
		      int extra_refs)
{
	if (!a)
		return;
	while (extra_refs-- > 0)
		mt_census_own(a->segs, info, "a table of segments", NULL);
}

void mpol_audit_task(struct mpol_audit *a, struct task_struct *t)
{
	struct mm_struct *mm;
	unsigned int nr;

	if (!a)
		return;
	mpol_audit_owner(a, t->mempolicy, "task", t);
	mm = get_task_mm(t);
	if (!mm)
		return;
	if (mm->owner != t) {
		mmput(mm);	/* a thread of the process: its mm is its owner's to audit */
		return;
	}
	down_read(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *vma = mm_vma_at(mm, i);
		struct shmem_inode_info *info = shmem_vma_info(vma);

		mpol_audit_owner(a, vma->vm_policy, "vma", vma);
		if (info)
			mt_census_own(a->segs, info, "vma", vma);	/* the mapping's reference */
	}
	up_read(&mm->mmap_sem);
	mmput(mm);
}

static void audit_sp_node(const struct sp_node *n, void *arg)
{
	mpol_audit_owner(arg, n->policy, "shared-policy node", n);
}

/* Every live segment's tree owns the policies of its ranges. */
static void audit_seg_tree(void *obj, void *arg)
{
	struct shmem_inode_info *info = obj;

	mpol_shared_policy_walk(&info->policy, audit_sp_node, arg);
}

unsigned long mpol_audit_end(struct mpol_audit *a)
{
	unsigned long bad;
	int dref;

	if (!a)
		return 0;
	mt_census_foreach(a->segs, audit_seg_tree, a);
	bad = mt_census_end(a->pols) + mt_census_end(a->segs);

	dref = refcount_read_raw(&default_policy.refcnt);
	mt_count(MT_AUDITED_OBJECTS);
	if (dref != 1) {
		bad++;
		mt_report(dref > 1 ? MT_LEAKED_REFS : MT_MISSING_REFS, "mpol_audit",
			  "default_policy: refcount %d, it is never reference counted", dref);
	}
	free(a);
	return bad;
}
