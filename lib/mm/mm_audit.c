// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm_audit.c - the detectors of the VMA model (seed 003): the audit of
 * VMA references (at a quiesce point, each VMA in an mm's tree holds the
 * tree's reference and no other), and the check of a speculative fault's
 * commit.  They read counts, trees and flags, never the bug registry
 * (tests/cli/00-detectors-blind.sh).
 */
#include "core/counters.h"
#include "lib/mm/mm.h"

unsigned int mm_audit_vmas(struct mm_struct *mm)
{
	struct vma_array *a;
	unsigned int n;

	down_read(&mm->mmap_sem);
	a = mm->mmap;
	n = a->nr;
	for (unsigned int i = 0; i < n; i++) {
		struct vm_area_struct *vma = a->vma[i];
		int have = refcount_read_raw(&vma->vm_ref_count);

		mt_count(MT_AUDITED_OBJECTS);
		if (have > 1)
			mt_report(MT_LEAKED_REFS, "mm_audit_vmas",
				  "vma %p [%#lx,%#lx) of mm %d: vm_ref_count %d, 1 owner (the tree)",
				  (void *)vma, vma->vm_start, vma->vm_end, mm->id, have);
		else if (have < 1)
			mt_report(MT_MISSING_REFS, "mm_audit_vmas",
				  "vma %p [%#lx,%#lx) of mm %d: vm_ref_count %d, 1 owner (the tree)",
				  (void *)vma, vma->vm_start, vma->vm_end, mm->id, have);
	}
	up_read(&mm->mmap_sem);
	return n;
}

bool spf_commit_check(const struct vm_area_struct *vma, unsigned int seq, const char *where)
{
	/*
	 * The flag first, with acquire: detach_vma() set it inside a write
	 * section of the sequence count, so if it is seen set here, the
	 * sequence read after it has moved -- unless the VMA was already
	 * removed when the fault read its sequence.
	 */
	bool detached = smp_load_acquire(&vma->vm_detached);

	if (!obj_access(vma, vm_area_cachep))
		return false;
	if (vm_read_retry(vma, seq)) {
		mt_count(MT_OVERLAPS);	/* changed under the fault: redo it */
		return false;
	}
	if (likely(!detached))
		return true;
	/*
	 * The fault would map a page into page tables free_pgtables() is
	 * taking down: the VMA was removed from its mm before the fault
	 * began (the sequence count did not move since).
	 */
	mt_report(MT_USE_AFTER_FREE, where,
		  "speculative fault committed into vma %p, removed from its mm", (const void *)vma);
	return false;
}
