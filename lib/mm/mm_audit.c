// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm_audit.c - the audit of VMA references (seed 003): at a quiesce
 * point, each VMA in an mm's tree holds the tree's reference and no
 * other.  A detector: it reads counts and trees, never the bug registry
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
