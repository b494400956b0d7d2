// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork.c - the address space of a forked process (kernel/fork.c of
 * 2.6.34: dup_mmap() with anon_vma_fork(), seed 002), and anonymous mmap
 * (mm/mmap.c, reduced).  Exit and munmap are exit_mmap() and do_munmap()
 * of vma.c, which call anon_unmap_vma() (memory.c) for each VMA.
 *
 * Lock ordering:
 *   oldmm->mmap_sem (write)
 *     mm->mmap_sem (write; the new mm is not visible yet)
 *       anon_vma->root->lock
 *         vma_pgtable(vma)->ptl (parent's, then child's)
 */
#include <errno.h>

#include "core/counters.h"
#include "core/inject.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/fork.h"
#include "lib/mm/memory.h"

unsigned long do_mmap_anon(struct mm_struct *mm, unsigned int npages)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	lockdep_assert_held_write(&mm->mmap_sem);
	vma = vm_area_alloc(mm);
	if (!vma)
		return 0;
	addr = get_unmapped_area(mm, (unsigned long)npages << PAGE_SHIFT);
	if (anon_vma_setup(vma, addr, npages)) {
		vm_area_free_unused(vma);
		return 0;
	}
	if (insert_vm_struct(mm, vma)) {
		anon_vma_teardown_unused(vma);
		return 0;
	}
	return addr;
}

/* Copy one VMA of the parent into @mm.  Return: 0, or -ENOMEM. */
static int dup_one_vma(struct mm_struct *mm, struct vm_area_struct *mpnt)
{
	struct vm_area_struct *tmp = vm_area_alloc(mm);

	if (!tmp)
		return -ENOMEM;
	unsigned long start = vma_read(mpnt, vm_start), end = vma_read(mpnt, vm_end);

	if (anon_vma_setup(tmp, start, (unsigned int)((end - start) >> PAGE_SHIFT))) {
		vm_area_free_unused(tmp);
		return -ENOMEM;
	}
	tmp->vm_flags = vma_read(mpnt, vm_flags);
	if (anon_vma_fork(tmp, mpnt))
		goto fail_nomem_anon_vma_fork;
	if (insert_vm_struct(mm, tmp))
		goto fail_unlink;
	race_window("anon-fork-link-to-copy");
	copy_page_range(tmp, mpnt);
	return 0;

fail_unlink:
	unlink_anon_vmas(tmp);
fail_nomem_anon_vma_fork:
	anon_vma_teardown_unused(tmp);
	return -ENOMEM;
}

struct mm_struct *dup_mm(struct mm_struct *oldmm, unsigned int max_chain)
{
	struct mm_struct *mm = mm_alloc();
	struct vm_area_struct *const *v;
	unsigned int nr;
	int err = 0;

	if (!mm)
		return NULL;
	down_write(&oldmm->mmap_sem);
	down_write(&mm->mmap_sem);	/* down_write_nested(SINGLE_DEPTH_NESTING) */
	mm->free_area = oldmm->free_area;
	v = mm_vmas(oldmm, &nr);	/* the old mm does not change: it is only read */
	for (unsigned int i = 0; i < nr; i++) {
		struct vm_area_struct *mpnt = v[i];

		if (max_chain && anon_vma_chain_length(mpnt) >= max_chain)
			continue;	/* VM_DONTCOPY */
		err = dup_one_vma(mm, mpnt);
		if (err)
			break;
	}
	up_write(&mm->mmap_sem);
	up_write(&oldmm->mmap_sem);
	if (err) {
		mmput(mm);	/* exit_mmap() unmaps what was copied */
		return NULL;
	}
	return mm;
}
