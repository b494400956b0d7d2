// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm.c - tasks, mm_structs and files: the owners the models' references
 * hang from (kernel/fork.c, kernel/exit.c and fs/file_table.c, reduced).
 *
 * Lifetimes:
 *  - task_struct: ->usage; freed by the last put_task_struct().
 *  - mm_struct: ->mm_users, one per task using it plus get_task_mm()
 *    users; the last mmput() removes every VMA and frees it.  ->mm of a
 *    task is protected by task_lock().
 *  - file: ->f_count, one per VMA mapping it plus whoever opened it; the
 *    last fput() frees it after a grace period, late as the kernel's
 *    fput() is (its __fput() runs as task work, after the caller
 *    returns).  Nobody looks a file up under RCU: the speculative fault
 *    never reads vm_file (seed 003).
 */
#include <errno.h>

#include "core/counters.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"

struct kmem_cache *task_cachep;
struct kmem_cache *mm_cachep;
struct kmem_cache *vm_area_cachep;
struct kmem_cache *filp_cachep;
struct kmem_cache *page_cachep;
struct kmem_cache *page_frame_cachep;

void (*mm_unmap_vma)(struct vm_area_struct *vma);

static int next_pid = 1;	/* ATOMIC */
static int next_mm_id = 1;	/* ATOMIC */
static unsigned long next_file_id = 1;	/* ATOMIC */

int mm_core_init(void)
{
	task_cachep = kmem_cache_create("task_struct", sizeof(struct task_struct),
					SLAB_POISON, NULL);
	mm_cachep = kmem_cache_create("mm_struct", sizeof(struct mm_struct),
				      SLAB_POISON, NULL);
	vm_area_cachep = kmem_cache_create("vm_area_struct", sizeof(struct vm_area_struct),
					   SLAB_POISON, NULL);
	filp_cachep = kmem_cache_create("filp", sizeof(struct file), SLAB_POISON, NULL);
	page_cachep = kmem_cache_create("page", sizeof(struct page), SLAB_POISON, NULL);
	page_frame_cachep = kmem_cache_create("page_frame", PAGE_SIZE, 0, NULL);
	if (!task_cachep || !mm_cachep || !vm_area_cachep || !filp_cachep ||
	    !page_cachep || !page_frame_cachep) {
		mm_core_fini();
		return -ENOMEM;
	}
	return 0;
}

void mm_core_fini(void)
{
	/* Deferred frees (VMAs, files, VMA arrays) land before the count. */
	rcu_barrier();
	kmem_cache_destroy(task_cachep);
	kmem_cache_destroy(mm_cachep);
	kmem_cache_destroy(vm_area_cachep);
	kmem_cache_destroy(filp_cachep);
	kmem_cache_destroy(page_cachep);
	kmem_cache_destroy(page_frame_cachep);
	task_cachep = mm_cachep = vm_area_cachep = NULL;
	filp_cachep = page_cachep = page_frame_cachep = NULL;
	mm_unmap_vma = NULL;
}

/* ---- tasks ---- */

struct task_struct *task_create(struct mm_struct *mm)
{
	struct task_struct *t = kmem_cache_zalloc(task_cachep);

	if (!t)
		return NULL;
	refcount_set(&t->usage, 1);
	spin_lock_init(&t->alloc_lock);
	t->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
	t->mm = mm;
	if (mm && !mm->owner)
		mm->owner = t;
	return t;
}

void get_task_struct(struct task_struct *t)
{
	if (obj_access(t, task_cachep))
		refcount_inc(&t->usage);
}

void put_task_struct(struct task_struct *t)
{
	if (!obj_access(t, task_cachep))
		return;		/* a put on a freed task: reported */
	if (refcount_dec_and_test(&t->usage))
		kmem_cache_free(task_cachep, t);
}

struct mm_struct *get_task_mm(struct task_struct *t)
{
	struct mm_struct *mm;

	task_lock(t);
	mm = task_read(t, mm);
	if (mm)
		mmget(mm);	/* the task holds one: it cannot be zero here */
	task_unlock(t);
	return mm;
}

void exit_mm(struct task_struct *t)
{
	struct mm_struct *mm;

	task_lock(t);
	mm = task_read(t, mm);
	WRITE_ONCE(t->mm, NULL);
	task_unlock(t);
	if (mm) {
		if (mm_read(mm, owner) == t)
			WRITE_ONCE(mm->owner, NULL);
		mmput(mm);
	}
}

/* ---- mm_struct ---- */

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = kmem_cache_zalloc(mm_cachep);

	if (!mm)
		return NULL;
	mm->mmap = calloc(1, sizeof(struct vma_array));
	if (!mm->mmap) {
		kmem_cache_free(mm_cachep, mm);
		return NULL;
	}
	refcount_set(&mm->mm_users, 1);
	init_rwsem(&mm->mmap_sem);
	spin_lock_init(&mm->mm_rb_lock);
	mm->free_area = 0x10000000ul;
	mm->id = __atomic_fetch_add(&next_mm_id, 1, __ATOMIC_RELAXED);
	return mm;
}

void mmget(struct mm_struct *mm)
{
	if (obj_access(mm, mm_cachep))
		refcount_inc(&mm->mm_users);
}

void mmput(struct mm_struct *mm)
{
	if (!obj_access(mm, mm_cachep))
		return;		/* a put on a freed mm: reported */
	if (!refcount_dec_and_test(&mm->mm_users))
		return;
	exit_mmap(mm);
	destroy_rwsem(&mm->mmap_sem);
	free(mm->mmap);		/* empty now; readers of older arrays are RCU-deferred */
	kmem_cache_free(mm_cachep, mm);
}

/* ---- files ---- */

struct file *file_alloc(void)
{
	struct file *f = kmem_cache_zalloc(filp_cachep);

	if (!f)
		return NULL;
	refcount_set(&f->f_count, 1);
	f->f_id = __atomic_fetch_add(&next_file_id, 1, __ATOMIC_RELAXED);
	return f;
}

void get_file(struct file *f)
{
	if (obj_access(f, filp_cachep))
		refcount_inc(&f->f_count);
}

static void file_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(filp_cachep, container_of(head, struct file, f_rcu));
}

void fput(struct file *f)
{
	/* a put on a freed file: report it, do not write into the poison */
	if (!obj_access(f, filp_cachep))
		return;
	if (refcount_dec_and_test(&f->f_count))
		call_rcu(&f->f_rcu, file_free_rcu);
}
