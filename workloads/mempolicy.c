// SPDX-License-Identifier: GPL-2.0-only
/*
 * mempolicy.c - the workload of the mempolicy model (seeds 000 and 001,
 * lib/mm/mempolicy.c, shared_policy.c, shmem.c).
 *
 * The world: tasks, each with its own mm; anonymous VMAs with and without
 * a vm_policy (the first one a VM_HUGETLB mapping); task policies; shm
 * segments with shared-policy trees, held by a shm id table and mapped
 * (MAP_SHARED or MAP_PRIVATE) into several tasks, so that one shared
 * policy is looked up by tasks with distinct mmap_sems.
 *
 * Anonymous VMAs are real ones of the anon_vma model (a page table and
 * anon_vmas): their faults go through handle_mm_fault(), whose
 * do_anonymous_page() allocates with alloc_page_vma().
 *
 * Who does what, as in the kernel.  Task i is run by worker i % threads
 * (its owner): only the owner acts as the task ("current"), so only the
 * task itself changes its policy (rule 2) and moves its il_next.  The
 * owner faults in its task's VMAs, queries and sets its policies, mbinds
 * its VMAs and shmem ranges (splitting the VMAs a range cuts: split_vma()),
 * migrates pages, swaps in, maps or unmaps segments and anonymous VMAs.
 * Other tasks' policies are reached only the ways the kernel reaches
 * them: /proc/<pid>/numa_maps of another task (holding that task's
 * mmap_sem for read, seed 001 point 3), and a shared segment whose ranges
 * another task's mbind replaces (point 4).
 *
 * Threads of one process.  Tasks come in groups of threads_per_mm that
 * share one mm, as the threads of a process do: consecutive tasks, so
 * run by different workers at once.  Each has its own task policy; their
 * faults, get_mempolicy(), mbind() and set_mempolicy() meet on the same
 * VMAs, ordered by the one mmap_sem (rule 4) -- where do_get_mempolicy()
 * must hold it until it has read the node mask (73223e4e2e38).
 *
 * Memory stays bounded: each worker keeps at most `stash` pages (the
 * pages "mapped" by its faults, which migration moves), tasks keep at
 * most shm_maps_max segment mappings, segments are replaced, not added.
 *
 * Overlaps (need_overlap): a user of a shared policy that drops the last
 * reference (every tree node owning it was deleted by a replace while it
 * used it) counts one; see mpol_note_last_ref().
 *
 * Lock ordering (beyond the model's): world->seg_lock is a leaf, taken
 * alone by workers and by the audit (which takes each tree's sp->lock
 * later, in mpol_audit_end(), without it).
 *
 * Each role function returns whether its path ran (a fault that found no
 * VMA, or a migration with nothing to move, did not), so that the
 * coverage minimums of a clean job count only real runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "core/rcu.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/memory.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"
#include "lib/engine/workload.h"

struct mpol_opts {
	unsigned int tasks;
	unsigned int threads_per_mm;
	unsigned int max_map_count;
	unsigned int shm_segments;
	unsigned int anon_vmas;
	unsigned int shm_maps;
	unsigned int shm_maps_max;
	unsigned int seg_pages;
	unsigned int vma_pages;
	unsigned int nodes;
	unsigned int stash;
	unsigned int readahead;
};

static const struct mt_opt mpol_opts_table[] = {
	MT_OPT(struct mpol_opts, tasks, MT_OPT_UINT, 1, 256, "8",
	       "tasks (at least one per thread)"),
	MT_OPT(struct mpol_opts, threads_per_mm, MT_OPT_UINT, 1, 16, "2",
	       "tasks sharing one mm (the threads of a process; 1: a process each)"),
	MT_OPT(struct mpol_opts, max_map_count, MT_OPT_UINT, 4, 4096, "24",
	       "VMAs an mm may have: split_vma() fails beyond (sysctl max_map_count)"),
	MT_OPT(struct mpol_opts, shm_segments, MT_OPT_UINT, 1, 64, "4",
	       "shm segments in the id table, each with a shared-policy tree"),
	MT_OPT(struct mpol_opts, anon_vmas, MT_OPT_UINT, 1, 16, "3",
	       "anonymous VMAs per task (the first is VM_HUGETLB)"),
	MT_OPT(struct mpol_opts, shm_maps, MT_OPT_UINT, 0, 16, "2",
	       "segment mappings per task at start"),
	MT_OPT(struct mpol_opts, shm_maps_max, MT_OPT_UINT, 1, 32, "4",
	       "segment mappings per task at most (shm_churn)"),
	MT_OPT(struct mpol_opts, seg_pages, MT_OPT_UINT, 1, 4096, "64",
	       "pages per segment: the range shared policies split"),
	MT_OPT(struct mpol_opts, vma_pages, MT_OPT_UINT, 1, MT_PGTABLE_MAX, "64",
	       "pages per anonymous VMA"),
	MT_OPT_NAMED("policy_nodes", struct mpol_opts, nodes, MT_OPT_UINT, 1, MAX_NUMNODES, "4",
	       "logical NUMA nodes the policies name"),
	MT_OPT(struct mpol_opts, stash, MT_OPT_UINT, 0, 4096, "32",
	       "pages each worker keeps mapped (migrate moves them)"),
	MT_OPT(struct mpol_opts, readahead, MT_OPT_UINT, 1, 32, "4",
	       "pages shmem_swapin()'s readahead allocates from one lookup"),
	{ .name = NULL },
};

enum {
	MPW_FAULT, MPW_GET_MEMPOLICY, MPW_NUMA_MAPS, MPW_MIGRATE, MPW_SWAPIN,
	MPW_HUGETLB, MPW_SET_MEMPOLICY, MPW_MBIND_VMA, MPW_MBIND_SHM, MPW_SHM_CHURN,
	MPW_MMAP_CHURN,
	MPW_NROLES
};

static const char *const mpol_roles[] = {
	[MPW_FAULT] = "fault",
	[MPW_GET_MEMPOLICY] = "get_mempolicy",
	[MPW_NUMA_MAPS] = "numa_maps",
	[MPW_MIGRATE] = "migrate",
	[MPW_SWAPIN] = "swapin",
	[MPW_HUGETLB] = "hugetlb",
	[MPW_SET_MEMPOLICY] = "set_mempolicy",
	[MPW_MBIND_VMA] = "mbind_vma",
	[MPW_MBIND_SHM] = "mbind_shm",
	[MPW_SHM_CHURN] = "shm_churn",
	[MPW_MMAP_CHURN] = "mmap_churn",
	[MPW_NROLES] = NULL,
};

/*
 * The protocol steps each role must reach in a clean job (inject.h's
 * mt_coverage_require()): the windows of the seeds' paths it runs.
 */
static const char *const mpw_steps[MPW_NROLES][3] = {
	[MPW_FAULT] = { "mpol-lookup-to-use" },
	[MPW_GET_MEMPOLICY] = { "mpol-get-mode-to-nodemask" },
	[MPW_NUMA_MAPS] = { "mpol-numa-maps-lookup-to-str" },
	[MPW_MIGRATE] = { "mpol-lookup-to-use" },
	[MPW_SWAPIN] = { "mpol-shared-lookup-to-use" },
	[MPW_HUGETLB] = { "mpol-hugetlb-zonelist-to-dequeue" },
	[MPW_SET_MEMPOLICY] = { "mpol-set-replace-to-put" },
	[MPW_MBIND_VMA] = { "mpol-mbind-replace-to-put", "split_vma-new-to-adjust" },
	[MPW_MBIND_SHM] = { "mpol-mbind-replace-to-put", "mpol-sp-replace-restart" },
	[MPW_MMAP_CHURN] = { "anon-zap-to-unlink" },
};

#define HPAGE_PAGES	(1ul << (HPAGE_SHIFT - PAGE_SHIFT))

struct mpw_world {
	struct mpol_opts opt;
	unsigned int nthreads;
	unsigned int ntasks;
	struct task_struct **task;
	unsigned int nsegs;
	struct shmem_inode_info **seg;	/* the shm id table: one ref each; seg_lock */
	spinlock_t seg_lock;
	unsigned int created;		/* ATOMIC: segments made, every other one huge */
};

struct mpw_thread {
	unsigned int cap, nr, head;	/* the page stash, a FIFO ring */
	struct page **stash;
	char buf[8192];			/* numa_maps output */
};

/* ---- helpers ---- */

static unsigned long vma_npages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* A random mode and a non-empty node set; MPOL_DEFAULT 1 time in @dflt_in. */
static unsigned short random_policy(const struct mpw_world *w, nodemask_t *nodes,
				    unsigned int dflt_in)
{
	unsigned int nn = w->opt.nodes, x;

	nodes->bits = 1ul + mt_random_below((1u << nn) - 1u);
	if (dflt_in && !mt_random_below(dflt_in))
		return MPOL_DEFAULT;
	x = mt_random_below(8);
	if (x < 2)
		return MPOL_PREFERRED;
	if (x < 4)
		return MPOL_BIND;
	return MPOL_INTERLEAVE;
}

static struct mempolicy *random_mpol(const struct mpw_world *w, unsigned int dflt_in)
{
	nodemask_t nodes;
	unsigned short mode = random_policy(w, &nodes, dflt_in);
	int err;

	return mpol_new(mode, &nodes, &err);
}

/* One of the tasks thread @idx owns (runs as). */
static struct task_struct *own_task(const struct mpw_world *w, unsigned int idx)
{
	unsigned int n = (w->ntasks - idx + w->nthreads - 1) / w->nthreads;

	return w->task[idx + mt_random_below(n) * w->nthreads];
}

/*
 * VK_TMPFS: a mapping of a tmpfs segment, whose policies live in its
 * shared tree; a SHM_HUGETLB mapping is VK_HUGE (its policy is its
 * vm_policy) and VK_SHMEM, not VK_TMPFS.
 */
enum vma_kind { VK_ANY, VK_ANON, VK_SHMEM, VK_TMPFS, VK_HUGE, VK_SMALL };

static bool vma_is(const struct vm_area_struct *vma, enum vma_kind k)
{
	switch (k) {
	case VK_ANON:
		return !shmem_vma_info(vma) && !(vma->vm_flags & VM_HUGETLB);
	case VK_SHMEM:
		return shmem_vma_info(vma) != NULL;
	case VK_TMPFS:
		return shmem_vma_info(vma) && !(vma->vm_flags & VM_HUGETLB);
	case VK_HUGE:
		return vma->vm_flags & VM_HUGETLB;
	case VK_SMALL:
		return !(vma->vm_flags & VM_HUGETLB);
	default:
		return true;
	}
}

/* A random VMA of @kind, or NULL.  Context: mmap_sem held. */
static struct vm_area_struct *pick_vma(struct mm_struct *mm, enum vma_kind kind,
				       unsigned int *count)
{
	struct vm_area_struct *match[32];
	unsigned int nr, n = 0, k;
	struct vm_area_struct *const *v = mm_vmas(mm, &nr);

	for (unsigned int i = 0; i < nr; i++)
		if (vma_is(v[i], kind)) {
			if (n < ARRAY_SIZE(match))
				match[n] = v[i];
			n++;
		}
	if (count)
		*count = n;
	if (!n)
		return NULL;
	k = mt_random_below(n);
	if (k < ARRAY_SIZE(match))
		return match[k];
	for (unsigned int i = 0; i < nr; i++)	/* beyond the first ones seen */
		if (vma_is(v[i], kind) && !k--)
			return v[i];
	return NULL;
}

static unsigned long random_addr(const struct vm_area_struct *vma)
{
	return vma->vm_start + ((unsigned long)mt_random_below((uint32_t)vma_npages(vma)) << PAGE_SHIFT);
}

static void stash_page(struct mpw_thread *ts, struct page *page)
{
	if (!page)
		return;
	if (!ts->cap) {
		put_page(page);
		return;
	}
	if (ts->nr == ts->cap) {
		put_page(ts->stash[ts->head]);
		ts->stash[ts->head] = page;
		ts->head = (ts->head + 1) % ts->cap;
		return;
	}
	ts->stash[(ts->head + ts->nr++) % ts->cap] = page;
}

/*
 * A new segment: every other one SHM_HUGETLB (no shared policies: its
 * mappings' vm_policy serves), the others tmpfs with a random mpol= and
 * a few sub-ranges.
 */
static struct shmem_inode_info *new_segment(struct mpw_world *w)
{
	unsigned int n = __atomic_fetch_add(&w->created, 1, __ATOMIC_RELAXED);
	bool huge = n % 2 == 1;
	struct shmem_inode_info *info;
	struct mempolicy *pol;
	nodemask_t nodes;
	unsigned short mode = random_policy(w, &nodes, 0);

	info = shmem_create(w->opt.seg_pages, huge ? MPOL_DEFAULT : mode, &nodes, huge);
	if (!info || huge)
		return info;
	for (int k = 0; k < 2 && w->opt.seg_pages > 2; k++) {
		unsigned long a = mt_random_below(w->opt.seg_pages - 1);
		unsigned long len = 1 + mt_random_below((uint32_t)(w->opt.seg_pages - a - 1));

		pol = random_mpol(w, 0);
		if (pol)
			mpol_set_shared_policy(&info->policy, a, len, pol);
		mpol_put(pol);
	}
	return info;
}

/* ---- roles: each returns whether its path ran ---- */

/*
 * MADV_DONTNEED of an anonymous VMA, so that its faults allocate again:
 * zap_vma_pages() (which wants mmap_sem for write in the model).
 */
static void zap_anon_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	down_write(&mm->mmap_sem);
	vma = find_vma(mm, addr);
	if (vma && vma_is(vma, VK_ANON))
		zap_vma_pages(vma);
	up_write(&mm->mmap_sem);
}

/* A page fault in one of the task's VMAs (or a page-cache allocation). */
static bool mpw_fault(struct mpw_world *w, struct mpw_thread *ts, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	struct shmem_inode_info *info;
	struct page *page;
	unsigned long addr;
	int ret;

	if (!mt_random_below(8)) {
		stash_page(ts, alloc_pages_current());
		return true;
	}
	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, VK_SMALL, NULL);
	if (!vma) {
		up_read(&mm->mmap_sem);
		return false;
	}
	addr = random_addr(vma);
	info = shmem_vma_info(vma);
	if (!info) {
		ret = handle_mm_fault(vma, addr);	/* do_anonymous_page() */
		up_read(&mm->mmap_sem);
		if (ret == 1)	/* mapped already: no allocation ran */
			zap_anon_vma(mm, addr);
		return ret == 0;
	}
	if (!(vma->vm_flags & VM_SHARED) && mt_random_below(2))
		page = alloc_page_vma(vma, addr);	/* COW of a private tmpfs mapping */
	else
		page = shmem_alloc_page(info, linear_page_index(vma, addr));	/* shmem_getpage() */
	if (page)
		page->index = linear_page_index(vma, addr);
	up_read(&mm->mmap_sem);
	stash_page(ts, page);
	return true;
}

static bool mpw_get_mempolicy(struct mpw_world *w, struct task_struct *me)
{
	struct vm_area_struct *vma;
	unsigned long addr = 0;
	nodemask_t nodes;
	int mode;

	if (mt_random_below(2))
		return do_get_mempolicy(&mode, &nodes, 0, 0) == 0;
	/* an address of ours: only we change our mm's layout */
	down_read(&me->mm->mmap_sem);
	vma = pick_vma(me->mm, VK_ANY, NULL);
	if (vma)
		addr = random_addr(vma);
	up_read(&me->mm->mmap_sem);
	return addr && do_get_mempolicy(&mode, &nodes, addr, MPOL_F_ADDR) == 0;
}

/* /proc/<pid>/numa_maps of another task. */
static bool mpw_numa_maps(struct mpw_world *w, struct mpw_thread *ts, unsigned int idx)
{
	unsigned int i = mt_random_below(w->ntasks);

	if (w->ntasks > 1 && i % w->nthreads == idx)
		i = (i + 1) % w->ntasks;	/* rather another's: point 3 */
	return show_numa_maps(w->task[i], ts->buf, sizeof(ts->buf)) >= 0;
}

/* Migrate stashed pages into a VMA's policy (mbind MPOL_MF_MOVE's step). */
static bool mpw_migrate(struct mpw_world *w, struct mpw_thread *ts, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	bool ran = false;

	if (!ts->nr)
		return false;
	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, VK_SMALL, NULL);
	for (unsigned int k = 0; vma && k < 4 && k < ts->nr; k++) {
		unsigned int slot = (ts->head + mt_random_below(ts->nr)) % ts->cap;
		struct page *page = ts->stash[slot], *newpage;

		/* the stashed pages stand for the pages mapped in the VMA */
		page->index = linear_page_index(vma, random_addr(vma));
		newpage = new_vma_page(page, (unsigned long)vma, NULL);
		ran = true;
		if (!newpage)
			continue;
		memcpy(newpage->frame, page->frame, PAGE_SIZE);
		newpage->index = page->index;
		ts->stash[slot] = newpage;
		put_page(page);
	}
	up_read(&mm->mmap_sem);
	return ran;
}

static bool mpw_swapin(struct mpw_world *w, struct mpw_thread *ts, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	struct page *page;

	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, VK_TMPFS, NULL);	/* hugetlbfs does not swap */
	if (!vma) {
		up_read(&mm->mmap_sem);
		return false;
	}
	/* shmem_getpage() found the page in swap */
	page = shmem_swapin(shmem_vma_info(vma), linear_page_index(vma, random_addr(vma)));
	up_read(&mm->mmap_sem);
	stash_page(ts, page);
	return true;
}

/* A hugetlb fault: an anonymous huge VMA or a SHM_HUGETLB mapping. */
static bool mpw_hugetlb(struct mpw_world *w, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;

	down_read(&mm->mmap_sem);
	vma = pick_vma(mm, VK_HUGE, NULL);
	if (vma)
		page = dequeue_huge_page(vma, random_addr(vma));	/* hugetlb_no_page() */
	up_read(&mm->mmap_sem);
	if (page)
		put_page(page);		/* back to the huge page pool */
	return vma != NULL;
}

static bool mpw_set_mempolicy(struct mpw_world *w)
{
	nodemask_t nodes;
	unsigned short mode = random_policy(w, &nodes, 8);

	return do_set_mempolicy(mode, &nodes) == 0;
}

/*
 * mbind() of an anonymous or hugetlb VMA, its vm_policy: the whole VMA,
 * or a range of it that split_vma() cuts out (at huge page boundaries in
 * a hugetlb VMA, now and then not: -EINVAL).
 */
static bool mpw_mbind_vma(struct mpw_world *w, struct task_struct *me)
{
	struct vm_area_struct *vma;
	unsigned long start = 0, len = 0;
	nodemask_t nodes;
	unsigned short mode = random_policy(w, &nodes, 6);
	bool huge = !mt_random_below(4);

	down_read(&me->mm->mmap_sem);
	vma = pick_vma(me->mm, huge ? VK_HUGE : VK_ANON, NULL);
	if (vma) {
		unsigned long unit = huge && mt_random_below(8) ? HPAGE_PAGES << PAGE_SHIFT : PAGE_SIZE;
		uint32_t n = (uint32_t)((vma->vm_end - vma->vm_start) / unit);

		start = vma->vm_start;
		len = vma->vm_end - vma->vm_start;
		if (n > 1 && mt_random_below(2)) {
			uint32_t a = mt_random_below(n);

			start += a * unit;
			len = (1 + mt_random_below(n - a)) * unit;
		} else if (!mt_random_below(8)) {
			/*
			 * over the next VMA too, whatever it is: a tmpfs one
			 * is refused (no policy shared between a VMA and a
			 * tree, the 3.7 fix), two anonymous ones both get it
			 */
			struct vm_area_struct *next = NULL;
			unsigned int nr;
			struct vm_area_struct *const *v = mm_vmas(me->mm, &nr);

			for (unsigned int i = 0; i + 1 < nr; i++)
				if (v[i] == vma)
					next = v[i + 1];
			if (next)
				len = next->vm_end - start;
		}
	}
	up_read(&me->mm->mmap_sem);
	return len && do_mbind(start, len, mode, &nodes) != -EFAULT;
}

/*
 * mbind() of a range of a tmpfs mapping (now and then the whole VMA).
 * The range lies in one tmpfs VMA, so the path ran only if the policy
 * went in: an error here (the range refused as mixed, a split that
 * failed) is not a run, and a job in which no such mbind() ever
 * succeeds is INCONCLUSIVE rather than PASS.
 */
static bool mpw_mbind_shm(struct mpw_world *w, struct task_struct *me)
{
	struct vm_area_struct *vma;
	unsigned long start = 0, len = 0;
	nodemask_t nodes;
	unsigned short mode = random_policy(w, &nodes, 16);

	down_read(&me->mm->mmap_sem);
	vma = pick_vma(me->mm, VK_TMPFS, NULL);
	if (vma && !mt_random_below(4)) {
		start = vma->vm_start;
		len = vma->vm_end - vma->vm_start;
	} else if (vma) {
		uint32_t np = (uint32_t)vma_npages(vma);
		uint32_t a = mt_random_below(np);

		start = vma->vm_start + ((unsigned long)a << PAGE_SHIFT);
		len = (unsigned long)(1 + mt_random_below(np - a)) << PAGE_SHIFT;
	}
	up_read(&me->mm->mmap_sem);
	return len && !do_mbind(start, len, mode, &nodes);
}

/* shmat()/shmdt() on our task, and now and then IPC_RMID + shmget(). */
static bool mpw_shm_churn(struct mpw_world *w, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	unsigned int nmaps;

	down_write(&mm->mmap_sem);
	vma = pick_vma(mm, VK_SHMEM, &nmaps);
	if (vma && (nmaps >= w->opt.shm_maps_max || mt_random_below(2)))
		do_munmap(mm, vma->vm_start);		/* shmdt() */
	else
		vma = NULL;
	up_write(&mm->mmap_sem);

	if (!vma) {					/* shmat() */
		struct shmem_inode_info *info;

		spin_lock(&w->seg_lock);
		info = w->seg[mt_random_below(w->nsegs)];
		shmem_get(info);
		spin_unlock(&w->seg_lock);
		shmem_map(mm, info, mt_random_below(2));
		shmem_put(info);
	}

	if (!mt_random_below(4)) {			/* IPC_RMID, shmget() */
		struct shmem_inode_info *new = new_segment(w), *old;
		unsigned int i = mt_random_below(w->nsegs);

		if (!new)
			return true;
		spin_lock(&w->seg_lock);
		old = w->seg[i];
		w->seg[i] = new;
		spin_unlock(&w->seg_lock);
		shmem_put(old);		/* lives on while mapped */
	}
	return true;
}

static int add_anon_vma(struct mpw_world *w, struct mm_struct *mm, bool huge);

/*
 * munmap() of an anonymous VMA (one of the pieces mbind split, or a
 * whole one), and an mmap() of a new one while the task has fewer than
 * anon_vmas: the splits of mbind_vma do not pile up to max_map_count.
 */
static bool mpw_mmap_churn(struct mpw_world *w, struct task_struct *me)
{
	struct mm_struct *mm = me->mm;
	struct vm_area_struct *vma;
	unsigned int n;

	down_write(&mm->mmap_sem);
	vma = pick_vma(mm, VK_ANON, &n);
	if (vma && n > 1)
		do_munmap(mm, vma->vm_start);
	up_write(&mm->mmap_sem);
	if (n <= w->opt.anon_vmas)
		add_anon_vma(w, mm, false);
	return true;
}

static bool mpw_role(struct mpw_world *w, struct mpw_thread *ts, struct wl_thread *t,
		     unsigned int role, struct task_struct *me)
{
	switch (role) {
	case MPW_FAULT:
		return mpw_fault(w, ts, me);
	case MPW_GET_MEMPOLICY:
		return mpw_get_mempolicy(w, me);
	case MPW_NUMA_MAPS:
		return mpw_numa_maps(w, ts, t->idx);
	case MPW_MIGRATE:
		return mpw_migrate(w, ts, me);
	case MPW_SWAPIN:
		return mpw_swapin(w, ts, me);
	case MPW_HUGETLB:
		return mpw_hugetlb(w, me);
	case MPW_SET_MEMPOLICY:
		return mpw_set_mempolicy(w);
	case MPW_MBIND_VMA:
		return mpw_mbind_vma(w, me);
	case MPW_MBIND_SHM:
		return mpw_mbind_shm(w, me);
	case MPW_SHM_CHURN:
		return mpw_shm_churn(w, me);
	case MPW_MMAP_CHURN:
		return mpw_mmap_churn(w, me);
	default:
		return false;
	}
}

static void mpw_run(struct wl_thread *t)
{
	struct mpw_world *w = t->ctx->priv;
	struct mpw_thread *ts = calloc(1, sizeof(*ts));

	if (ts && w->opt.stash) {
		ts->stash = calloc(w->opt.stash, sizeof(*ts->stash));
		ts->cap = ts->stash ? w->opt.stash : 0;
	}
	while (ts && wl_continue(t)) {
		unsigned int role = wl_pick_role(t);
		struct task_struct *me = own_task(w, t->idx);

		mpol_set_current(me);
		if (mpw_role(w, ts, t, role, me))
			mt_ops_inc(role);	/* counted when the path ran */
	}
	mpol_set_current(NULL);
	if (ts) {
		while (ts->nr) {
			put_page(ts->stash[ts->head]);
			ts->head = (ts->head + 1) % ts->cap;
			ts->nr--;
		}
		free(ts->stash);
		free(ts);
	}
}

/* ---- world ---- */

/*
 * An anonymous VMA: a small one has a page table (anon_vma_setup()) and
 * takes faults through handle_mm_fault(); a huge one (VM_HUGETLB) takes
 * hugetlb faults and has none.
 */
static int add_anon_vma(struct mpw_world *w, struct mm_struct *mm, bool huge)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);
	unsigned long npages = huge ? 4 * HPAGE_PAGES : w->opt.vma_pages;
	unsigned long start;
	int err = 0;

	if (!vma)
		return -ENOMEM;
	if (mt_random_below(3))
		vma->vm_policy = random_mpol(w, 0);	/* else: the task's */
	down_write(&mm->mmap_sem);
	start = get_unmapped_area(mm, npages << PAGE_SHIFT);
	if (huge) {
		vma->vm_start = start;
		vma->vm_end = start + (npages << PAGE_SHIFT);
		vma->vm_pgoff = start >> PAGE_SHIFT;
		vma->vm_flags = VM_READ | VM_WRITE | VM_HUGETLB;
	} else {
		err = anon_vma_setup(vma, start, (unsigned int)npages);
	}
	if (!err)
		err = insert_vm_struct(mm, vma);
	up_write(&mm->mmap_sem);
	if (err)
		anon_vma_teardown_unused(vma);	/* its page table, if any, and it */
	return err;
}

static void world_free(struct mpw_world *w)
{
	for (unsigned int i = 0; w->task && i < w->ntasks; i++) {
		struct task_struct *t = w->task[i];

		if (!t)
			continue;
		exit_mm(t);		/* exit_mmap(): ->close and policies of VMAs */
		exit_mempolicy(t);
		put_task_struct(t);
	}
	for (unsigned int i = 0; w->seg && i < w->nsegs; i++)
		if (w->seg[i])
			shmem_put(w->seg[i]);
	/* __free_vma() puts the VMA policies after a grace period */
	rcu_barrier();
	anon_vma_fini();
	anon_memory_fini();
	shmem_fini();
	mempolicy_fini();
	mm_core_fini();
	free(w->task);
	free(w->seg);
	free(w);
}

static int mpw_check(const void *opts, char *err, size_t errlen)
{
	const struct mpol_opts *opt = opts;

	if (opt->shm_maps > opt->shm_maps_max) {
		snprintf(err, errlen, "shm_maps=%u is more than shm_maps_max=%u",
			 opt->shm_maps, opt->shm_maps_max);
		return -1;
	}
	return 0;
}

static int mpw_init(struct wl_ctx *ctx)
{
	const struct mpol_opts *opt = ctx->opts;
	struct mpw_world *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->opt = *opt;
	w->nthreads = ctx->nthreads;
	w->ntasks = opt->tasks > ctx->nthreads ? opt->tasks : ctx->nthreads;
	w->nsegs = opt->shm_segments;
	spin_lock_init(&w->seg_lock);
	swapin_readahead_pages = opt->readahead;
	if (mm_core_init()) {
		free(w);
		return -ENOMEM;
	}
	w->task = calloc(w->ntasks, sizeof(*w->task));
	w->seg = calloc(w->nsegs, sizeof(*w->seg));
	if (!w->task || !w->seg || mempolicy_init() || shmem_init() || anon_vma_init() ||
	    anon_memory_init())
		goto nomem;
	for (unsigned int i = 0; i < w->nsegs; i++)
		if (!(w->seg[i] = new_segment(w)))
			goto nomem;
	vma_max_map_count = opt->max_map_count;
	for (unsigned int r = 0; r < MPW_NROLES; r++)
		for (unsigned int k = 0; ctx->mix->weight[r] && k < 3 && mpw_steps[r][k]; k++)
			mt_coverage_require(mpw_steps[r][k]);
	for (unsigned int i = 0; i < w->ntasks; i++) {
		/* the first task of a group makes the mm; the others are its threads */
		bool leader = i % opt->threads_per_mm == 0;
		struct mm_struct *mm = leader ? mm_alloc() : w->task[i - 1]->mm;
		struct task_struct *t;
		nodemask_t nodes;
		unsigned short mode;
		int err;

		if (mm && !leader)
			mmget(mm);
		if (!mm || !(t = task_create(mm))) {
			if (mm)
				mmput(mm);
			goto nomem;
		}
		w->task[i] = t;
		mode = random_policy(w, &nodes, 4);
		t->mempolicy = mpol_new(mode, &nodes, &err);
		if (t->mempolicy && mode == MPOL_INTERLEAVE)
			t->il_next = (unsigned int)first_node(&nodes);
		if (!leader)
			continue;
		for (unsigned int j = 0; j < opt->anon_vmas; j++)
			if (add_anon_vma(w, mm, j == 0))
				goto nomem;
		for (unsigned int k = 0; k < opt->shm_maps; k++)
			if (!shmem_map(mm, w->seg[(i + k) % w->nsegs], k % 2 == 0))
				goto nomem;
	}
	ctx->priv = w;
	return 0;
nomem:
	world_free(w);
	return -ENOMEM;
}

static void mpw_audit(struct wl_ctx *ctx)
{
	struct mpw_world *w = ctx->priv;
	struct mpol_audit *a = mpol_audit_begin();

	for (unsigned int i = 0; i < w->ntasks; i++)
		mpol_audit_task(a, w->task[i]);
	spin_lock(&w->seg_lock);
	for (unsigned int i = 0; i < w->nsegs; i++)
		mpol_audit_shmem(a, w->seg[i], 1);	/* the id table's reference */
	spin_unlock(&w->seg_lock);
	mpol_audit_end(a);
}

static void mpw_teardown(struct wl_ctx *ctx)
{
	world_free(ctx->priv);
	ctx->priv = NULL;
}

const struct workload wl_mempolicy = {
	.name = "mempolicy",
	.desc = "mempolicy refcounting (seeds 000/001): task, VMA and shared shmem policies "
		"under faults, numa_maps, migration, swapin, hugetlb, set_mempolicy and mbind "
		"(splitting VMAs), by tasks that share an mm as the threads of a process do",
	.opts = mpol_opts_table,
	.opts_size = sizeof(struct mpol_opts),
	.roles = mpol_roles,
	.default_mix = "fault:25,get_mempolicy:6,numa_maps:15,migrate:8,swapin:8,hugetlb:8,"
		       "set_mempolicy:8,mbind_vma:8,mbind_shm:10,shm_churn:4,mmap_churn:3",
	.models = "mempolicy",
	.need_overlap = true,
	.check = mpw_check,
	.init = mpw_init,
	.run = mpw_run,
	.audit = mpw_audit,
	.teardown = mpw_teardown,
};
MT_WORKLOAD(wl_mempolicy);
