/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fork.h - processes of the anon_vma model: an address space copied at
 * fork (kernel/fork.c dup_mmap(), with anon_vma_fork() per VMA), new
 * anonymous mappings (mm/mmap.c), and what exit and munmap already do
 * through the mm_unmap_vma hook (memory.c: anon_unmap_vma()).
 *
 * Lock ordering:
 *   oldmm->mmap_sem (write)
 *     mm->mmap_sem (write, the new mm: nobody else can see it yet)
 *       anon_vma->root->lock ...   (anon_vma.h)
 */
#ifndef MT_FORK_H
#define MT_FORK_H

#include "lib/mm/mm.h"

/**
 * dup_mm - a copy of @oldmm for a child process (dup_mmap())
 * @oldmm: the parent's mm; the caller holds an mm_users reference
 * @max_chain: a VMA already linked to this many anon_vmas is not copied,
 *	as if it were VM_DONTCOPY: it bounds the length of anon_vma chains
 *	(and the memory of a tree) under endless forks of forks, which the
 *	kernel of 2.6.34 did not bound
 *
 * Takes oldmm's mmap_sem for write (2.6.34's dup_mmap does), then the new
 * mm's; for each VMA: a copy with its own page table, anon_vma_fork(), the
 * insertion, copy_page_range().
 * Context: registered thread, no lock held.
 * Return: the new mm (mm_users 1) or NULL (-ENOMEM: what was built is
 * torn down through mmput()).
 */
struct mm_struct *dup_mm(struct mm_struct *oldmm, unsigned int max_chain);

/**
 * do_mmap_anon - a new anonymous VMA of @npages pages in @mm
 * Context: mmap_sem of @mm held for write.
 * Return: its start address, or 0 (-ENOMEM).
 */
unsigned long do_mmap_anon(struct mm_struct *mm, unsigned int npages);

#endif /* MT_FORK_H */
