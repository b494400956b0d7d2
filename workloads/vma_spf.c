// SPDX-License-Identifier: GPL-2.0-only
/*
 * vma_spf.c - speculative page faults against mmap/munmap/merge churn
 * (seed 003, 003_cf6d31174e8c4947.txt: the VMA reference counter of the
 * SPF series), with VMAs that carry policies and files.
 *
 * The speculative fault (handle_speculative_fault() in lib/mm/vma.c),
 * under the protocol the job chooses (vma_lookup=):
 *
 *	rb_lock (the posted patch)          rcu (the series' next step)
 *	spin_lock(&mm->mm_rb_lock);         rcu_read_lock();
 *	vma = find in the tree;             vma = find_vma_rcu(mm, addr);
 *	get_vma(vma);  // atomic_inc        get_vma(vma);  // inc-not-zero
 *	spin_unlock(&mm->mm_rb_lock);       rcu_read_unlock();
 *	seq = vm_read_begin(vma); if detached or seq odd: fall back;
 *	if vma->vm_ops (file-backed): fall back -- vm_file is never read;
 *	...allocate the page from the VMA policy's node...
 *	if (vm_read_retry(vma, seq)) discard and fall back;
 *	put_vma(vma);  // the last one frees: at once (rb_lock), after a GP (rcu)
 *
 * Every load from the VMA and its policy there is a checked load
 * (lib/core/access.h).  vma-free-no-rcu and vma-get-plain-inc are bugs of
 * the rcu lookup only (under rb_lock they are the patch's own code);
 * vma-file-after-fput, vma-policy-put-early and vma-adjust-free-next are
 * bugs of both.
 *
 * The world: mms with VMAs (each VMA owns its policy: refcnt 1, put in
 * __free_vma; and a reference on its file), and a table of files, each
 * holding one reference, replaced from time to time so that a VMA's
 * reference can be a file's last.  An mmap now and then copies the
 * attributes of the last VMA (the same file, an equal policy), so that
 * merge finds neighbours to join (vma_merge_hole(): __vma_adjust()
 * removing next with put_vma()).  The audit counts those owners.
 *
 * Lock ordering: mm->mmap_sem, then mm->mm_rb_lock, then the file
 * table's spinlock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/inject.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "core/thread.h"
#include "lib/engine/job.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/engine/workload.h"

struct spf_opts {
	unsigned int mms;
	unsigned int vmas;
	unsigned int files;
	unsigned int file_pct;
	unsigned int policy_pct;
	unsigned int pages;
	unsigned int lookup;
};

static const char *const spf_lookups[] = { "rcu", "rb_lock", NULL };

static const struct mt_opt spf_opts_table[] = {
	MT_OPT(struct spf_opts, mms, MT_OPT_UINT, 1, 64, "4", "address spaces"),
	MT_OPT(struct spf_opts, vmas, MT_OPT_UINT, 1, 1024, "24", "most VMAs in an address space"),
	MT_OPT(struct spf_opts, files, MT_OPT_UINT, 1, 256, "8", "open files VMAs may map"),
	MT_OPT(struct spf_opts, file_pct, MT_OPT_UINT, 0, 100, "60", "percent of new VMAs that map a file"),
	MT_OPT(struct spf_opts, policy_pct, MT_OPT_UINT, 0, 100, "80", "percent of new VMAs with their own policy"),
	MT_OPT(struct spf_opts, pages, MT_OPT_UINT, 1, 512, "8", "pages in a VMA"),
	{ .name = "vma_lookup", .type = MT_OPT_ENUM, .off = offsetof(struct spf_opts, lookup),
	  .size = sizeof(((struct spf_opts *)0)->lookup), .def = "rcu", .choices = spf_lookups,
	  .help = "the speculative lookup: rcu (inc-not-zero, RCU-deferred free) or rb_lock "
		  "(seed 003 as posted: plain increment under mm_rb_lock, synchronous free)" },
	{ .name = NULL },
};

enum { SPF_SPF, SPF_FAULT, SPF_MMAP, SPF_MUNMAP, SPF_FILE_CHURN, SPF_MERGE, SPF_NROLES };
static const char *const spf_roles[] = {
	"spf", "fault", "mmap", "munmap", "file_churn", "merge", NULL
};

/* The protocol steps each role must reach in a clean job. */
static const char *const spf_steps[SPF_NROLES][2] = {
	[SPF_SPF] = { "spf-get-to-use", "spf-use-to-retry" },
	[SPF_MUNMAP] = { "remove_vma-fput-to-clear" },
	[SPF_MERGE] = { "vma_adjust-remove-to-put" },
};

struct spf_world {
	const struct spf_opts *opt;
	struct mm_struct **mm;
	unsigned int nmm;
	spinlock_t files_lock;		/* protects files[] */
	struct file **files;		/* each slot holds one f_count reference */
	nodemask_t nodes;		/* the job's nodes, for policies */
	int nnodes;
	int node_ids[MT_MAX_NODES];
};

/* ---- policies: the node a fault allocates from ---- */

/* Every load from the policy checked: a VMA's policy lives as long as the VMA. */
static int spf_policy_node(const struct mempolicy *pol, unsigned long addr)
{
	nodemask_t nodes;
	int w, target, pref;

	if (!pol)
		return mt_this_node;
	switch (pol_read(pol, mode)) {
	case MPOL_PREFERRED:
		pref = pol_read(pol, v.preferred_node);
		return pref < 0 ? mt_this_node : pref;
	case MPOL_BIND:
		nodes = pol_copy(pol, v.nodes);
		return node_isset(mt_this_node, &nodes) || !nodes.bits ? mt_this_node :
		       __builtin_ctzl(nodes.bits);
	case MPOL_INTERLEAVE:
		nodes = pol_copy(pol, v.nodes);
		w = nodes_weight(&nodes);
		if (!w)
			break;
		target = (int)((addr >> PAGE_SHIFT) % (unsigned long)w);
		for (int nid = 0; nid < MT_MAX_NODES; nid++)
			if (node_isset(nid, &nodes) && target-- == 0)
				return nid;
		break;
	}
	return mt_this_node;
}

static struct mempolicy *spf_new_policy(struct spf_world *w)
{
	static const unsigned short modes[] = { MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE };
	nodemask_t nm = { 0 };
	int err;

	node_set(w->node_ids[mt_random_below((uint32_t)w->nnodes)], &nm);
	if (mt_random_below(2))
		nm = w->nodes;
	return mpol_new(modes[mt_random_below(3)], &nm, &err);
}

/* ---- faults ---- */

static void touch_page(int nid)
{
	struct page *pg = alloc_pages_node(nid);

	if (pg)
		put_page(pg);
}

static void spf_fault_page(struct vm_area_struct *vma, struct mempolicy *pol,
			   unsigned long addr, void *arg)
{
	touch_page(spf_policy_node(pol, addr));
}

/* The classic fault: under mmap_sem for read.  Return: a VMA was found. */
static bool mmap_sem_fault(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	down_read(&mm->mmap_sem);
	vma = find_vma(mm, addr);
	if (vma) {
		struct file *file = vma_read(vma, vm_file);

		touch_page(spf_policy_node(vma_read(vma, vm_policy), addr));
		if (file)
			(void)file_read(file, f_id);	/* the file the fault reads */
	}
	up_read(&mm->mmap_sem);
	return vma != NULL;
}

/*
 * A random address inside a random VMA of @mm (or 0), read as the
 * speculative path reads the tree: under mm_rb_lock (rb_lock: VMAs are
 * freed at once), or under RCU (rcu: freed after a grace period).
 */
static unsigned long pick_addr(struct spf_world *w, struct mm_struct *mm)
{
	bool rb = vma_lookup == VMA_LOOKUP_RB_LOCK;
	struct vma_array *a;
	unsigned long addr = 0;
	unsigned int nr;

	if (rb)
		spin_lock(&mm->mm_rb_lock);
	else
		rcu_read_lock();
	a = rb ? mm->mmap : rcu_dereference_sync(mm->mmap);
	nr = READ_ONCE(a->nr);
	if (nr) {
		struct vm_area_struct *vma = READ_ONCE(a->vma[mt_random_below(nr)]);

		/* only numbers are read: the VMA's memory lives until unlock */
		addr = vma_read(vma, vm_start) + mt_random_below(w->opt->pages) * PAGE_SIZE;
	}
	if (rb)
		spin_unlock(&mm->mm_rb_lock);
	else
		rcu_read_unlock();
	return addr;
}

/* ---- mmap, munmap, files ---- */

static struct file *file_table_get(struct spf_world *w)
{
	struct file *f;

	spin_lock(&w->files_lock);
	f = w->files[mt_random_below(w->opt->files)];
	if (f)
		get_file(f);
	spin_unlock(&w->files_lock);
	return f;
}

/* Return: whether a VMA was made and inserted (or failed to be: -ENOMEM). */
static bool spf_mmap(struct spf_world *w, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long len = w->opt->pages * PAGE_SIZE;

	down_write(&mm->mmap_sem);
	if ((unsigned int)mm->map_count >= w->opt->vmas) {
		up_write(&mm->mmap_sem);
		return false;
	}
	vma = vm_area_alloc(mm);
	if (!vma) {
		up_write(&mm->mmap_sem);
		return true;
	}
	vma->vm_start = get_unmapped_area(mm, len);
	vma->vm_end = vma->vm_start + len;
	vma->vm_flags = VM_READ | VM_WRITE;
	if (mm->map_count && !mt_random_below(3)) {
		/* like the last VMA: a neighbour merge may join them */
		struct vm_area_struct *last = mm_vma_at(mm, mm_nr_vmas(mm) - 1);
		int err;

		vma->vm_policy = mpol_dup(last->vm_policy, &err);
		vma->vm_file = last->vm_file;
		if (vma->vm_file)
			get_file(vma->vm_file);
	} else {
		if (mt_random_below(100) < w->opt->policy_pct)
			vma->vm_policy = spf_new_policy(w);
		if (mt_random_below(100) < w->opt->file_pct) {
			/*
			 * Half map a file of the table; half open a file, map
			 * it and close it (mmap(); close(fd)): the VMA's
			 * reference is then the file's only one, and
			 * remove_vma() puts the last.
			 */
			vma->vm_file = mt_random_below(2) ? file_table_get(w) : file_alloc();
		}
	}
	if (vma->vm_file)
		vma->vm_ops = &generic_file_vm_ops;	/* not anonymous: no speculative fault */
	if (insert_vm_struct(mm, vma))
		vm_area_free_unused(vma);
	up_write(&mm->mmap_sem);
	return true;
}

/* Return: whether a VMA was unmapped. */
static bool spf_munmap(struct spf_world *w, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned int nr;

	down_write(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	if (nr) {
		vma = mm_vma_at(mm, mt_random_below(nr));
		race_window("spf-munmap");
		do_munmap(mm, vma->vm_start);
	}
	up_write(&mm->mmap_sem);
	return nr > 0;
}

/*
 * A mapping fills the hole after a VMA with the same attributes, and the
 * two become one (vma_merge() case 1).  Return: whether two merged.
 */
static bool spf_merge(struct spf_world *w, struct mm_struct *mm)
{
	unsigned int nr;
	bool merged = false;

	down_write(&mm->mmap_sem);
	nr = mm_nr_vmas(mm);
	for (unsigned int k = 0, i = nr > 1 ? mt_random_below(nr - 1) : 0; nr > 1 && k < nr - 1;
	     k++, i = (i + 1) % (nr - 1)) {
		if (vma_can_merge(mm_vma_at(mm, i), mm_vma_at(mm, i + 1))) {
			merged = vma_merge_hole(mm, mm_vma_at(mm, i)) == 0;
			break;
		}
	}
	up_write(&mm->mmap_sem);
	return merged;
}

/*
 * Replace a file of the table: its reference goes, VMAs keep theirs.
 * Return: whether a file was put.
 */
static bool spf_file_churn(struct spf_world *w)
{
	struct file *n = file_alloc(), *old;
	unsigned int i = mt_random_below(w->opt->files);

	spin_lock(&w->files_lock);
	old = w->files[i];
	w->files[i] = n;
	spin_unlock(&w->files_lock);
	if (old)
		fput(old);
	return old != NULL;
}

/* ---- the workload ---- */

#define INIT_TRIES	16

static int spf_init(struct wl_ctx *ctx)
{
	const struct spf_opts *opt = ctx->opts;
	const struct mt_placement *plan = &ctx->job->plan;
	struct spf_world *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->opt = opt;
	vma_lookup = opt->lookup ? VMA_LOOKUP_RB_LOCK : VMA_LOOKUP_RCU;
	for (unsigned int r = 0; r < SPF_NROLES; r++)
		for (unsigned int k = 0; ctx->mix->weight[r] && k < 2 && spf_steps[r][k]; k++)
			mt_coverage_require(spf_steps[r][k]);
	if ((err = mm_core_init())) {
		free(w);
		return err;
	}
	if ((err = mempolicy_init())) {
		mm_core_fini();
		free(w);
		return err;
	}
	w->nnodes = plan->nnodes ? plan->nnodes : 1;
	for (int i = 0; i < w->nnodes; i++) {
		w->node_ids[i] = plan->nnodes ? plan->nodes[i] : 0;
		node_set(w->node_ids[i], &w->nodes);
	}
	spin_lock_init(&w->files_lock);
	w->nmm = opt->mms;
	w->mm = calloc(w->nmm, sizeof(*w->mm));
	w->files = calloc(opt->files, sizeof(*w->files));
	if (!w->mm || !w->files)
		goto nomem;
	/*
	 * The engine turns allocation-failure injection on before init: a
	 * file that cannot be had leaves its slot empty (file_churn fills
	 * it), a VMA is left out, an mm is tried again.
	 */
	for (unsigned int i = 0; i < opt->files; i++)
		w->files[i] = file_alloc();
	for (unsigned int i = 0; i < w->nmm; i++) {
		for (unsigned int tries = 0; tries < INIT_TRIES && !w->mm[i]; tries++)
			w->mm[i] = mm_alloc();
		if (!w->mm[i])
			goto nomem;
		for (unsigned int k = 0; k < opt->vmas / 2 + 1; k++)
			spf_mmap(w, w->mm[i]);
	}
	ctx->priv = w;
	return 0;
nomem:
	ctx->priv = w;		/* the engine calls teardown after a failed init */
	return -ENOMEM;
}

static void spf_run(struct wl_thread *t)
{
	struct spf_world *w = t->ctx->priv;

	while (wl_continue(t)) {
		unsigned int role = wl_pick_role(t);
		struct mm_struct *mm = w->mm[mt_random_below(w->nmm)];
		unsigned long addr;
		bool ran = false;

		/* a role counts only when its path ran (a VMA to fault in...) */
		switch (role) {
		case SPF_SPF:
			addr = pick_addr(w, mm);
			if (addr && !handle_speculative_fault(mm, addr, spf_fault_page, w))
				mmap_sem_fault(mm, addr);	/* the fallback */
			ran = addr != 0;
			break;
		case SPF_FAULT:
			addr = pick_addr(w, mm);
			ran = addr && mmap_sem_fault(mm, addr);
			break;
		case SPF_MMAP:
			ran = spf_mmap(w, mm);
			break;
		case SPF_MUNMAP:
			ran = spf_munmap(w, mm);
			break;
		case SPF_FILE_CHURN:
			ran = spf_file_churn(w);
			break;
		case SPF_MERGE:
			ran = spf_merge(w, mm);
			break;
		}
		if (ran)
			mt_ops_inc(role);
	}
}

/* ---- audit ---- */

static int file_count(const void *obj)
{
	return refcount_read_raw(&((const struct file *)obj)->f_count);
}

static int policy_count(const void *obj)
{
	return refcount_read_raw(&((const struct mempolicy *)obj)->refcnt);
}

static const struct mt_census_ops file_census = {
	.what = "file", .where = "vma_spf_audit", .count = file_count,
};

static const struct mt_census_ops policy_census = {
	.what = "numa_policy", .where = "vma_spf_audit", .count = policy_count,
};

/*
 * Owners: a file is held by its slot in the table and by each VMA that
 * maps it; a policy by the one VMA it was made for.
 */
static void spf_audit(struct wl_ctx *ctx)
{
	struct spf_world *w = ctx->priv;
	struct mt_census *files = mt_census_begin(filp_cachep, &file_census);
	struct mt_census *pols = mt_census_begin(policy_cache, &policy_census);

	for (unsigned int i = 0; i < w->opt->files; i++)
		mt_census_own(files, w->files[i], "the file table", NULL);
	for (unsigned int i = 0; i < w->nmm; i++) {
		struct mm_struct *mm = w->mm[i];

		mm_audit_vmas(mm);
		down_read(&mm->mmap_sem);
		for (unsigned int k = 0; k < mm_nr_vmas(mm); k++) {
			struct vm_area_struct *vma = mm_vma_at(mm, k);

			mt_census_own(files, vma->vm_file, "vma", vma);
			mt_census_own(pols, vma->vm_policy, "vma", vma);
		}
		up_read(&mm->mmap_sem);
	}
	mt_census_end(files);
	mt_census_end(pols);
}

static void spf_teardown(struct wl_ctx *ctx)
{
	struct spf_world *w = ctx->priv;

	if (!w)
		return;
	for (unsigned int i = 0; w->mm && i < w->nmm; i++)
		if (w->mm[i])
			mmput(w->mm[i]);
	for (unsigned int i = 0; w->files && i < w->opt->files; i++)
		if (w->files[i])
			fput(w->files[i]);
	rcu_barrier();
	mempolicy_fini();
	mm_core_fini();
	vma_lookup = VMA_LOOKUP_RCU;
	free(w->mm);
	free(w->files);
	free(w);
	ctx->priv = NULL;
}

const struct workload wl_vma_spf = {
	.name = "vma_spf",
	.desc = "speculative faults (VMA refcount; mm_rb_lock or RCU lookup) against mmap/munmap/merge churn; VMAs with policies and files",
	.opts = spf_opts_table,
	.opts_size = sizeof(struct spf_opts),
	.roles = spf_roles,
	.default_mix = "spf:58,fault:10,mmap:12,munmap:10,file_churn:5,merge:5",
	.models = "vma",
	.need_overlap = true,
	.init = spf_init,
	.run = spf_run,
	.audit = spf_audit,
	.teardown = spf_teardown,
};
MT_WORKLOAD(wl_vma_spf);
