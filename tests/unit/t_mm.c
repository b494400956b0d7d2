// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_mm - the ground the models stand on: tasks, mms, the RCU-searchable
 * VMA tree, files and pages keep their counts and leave nothing behind.
 */
#include "core/counters.h"
#include "core/rcu.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "tests/tap.h"

int main(void)
{
	struct mt_region *R = mt_region_create(false);
	struct mm_struct *mm;
	struct task_struct *t;
	struct vm_area_struct *v[8], *found;
	struct file *f;
	struct page *pg;
	unsigned long addr[8];
	int err;
	nodemask_t nm = { 1 };

	mt_region_use(R);
	rcu_register_thread();
	ok(mm_core_init() == 0 && mempolicy_init() == 0, "caches created");

	mm = mm_alloc();
	t = task_create(mm);
	f = file_alloc();
	down_write(&mm->mmap_sem);
	for (int i = 0; i < 8; i++) {
		v[i] = vm_area_alloc(mm);
		addr[i] = get_unmapped_area(mm, 4 * PAGE_SIZE);
		v[i]->vm_start = addr[i];
		v[i]->vm_end = addr[i] + 4 * PAGE_SIZE;
		if (i % 2) {
			get_file(f);
			v[i]->vm_file = f;
		}
		if (i == 3)
			v[i]->vm_policy = mpol_new(MPOL_BIND, &nm, &err);
		insert_vm_struct(mm, v[i]);
	}
	ok(mm->map_count == 8 && mm_nr_vmas(mm) == 8, "8 VMAs inserted");
	ok(find_vma(mm, addr[5] + PAGE_SIZE) == v[5] && !find_vma(mm, addr[5] + 4 * PAGE_SIZE),
	   "find_vma finds the VMA containing an address, not the gap");
	up_write(&mm->mmap_sem);
	rcu_read_lock();
	found = find_vma_rcu(mm, addr[2] + 100);
	rcu_read_unlock();
	ok(found == v[2], "find_vma_rcu without mmap_sem");
	ok(refcount_read(&f->f_count) == 5, "the file: 1 + 4 VMAs");

	down_write(&mm->mmap_sem);
	ok(do_munmap(mm, addr[3]) == 0 && mm->map_count == 7, "munmap of one VMA");
	rcu_read_lock();
	ok(find_vma_rcu(mm, addr[3]) == NULL, "gone from RCU lookups");
	rcu_read_unlock();
	up_write(&mm->mmap_sem);
	ok(refcount_read(&f->f_count) == 4, "its file reference was put");
	rcu_barrier();
	ok(kmem_cache_live(policy_cache) == 0, "its policy was put in __free_vma after a grace period");

	pg = alloc_pages_node(0);
	ok(pg && pg->nid == 0 && page_mapcount(pg) == 0 && refcount_read(&pg->_refcount) == 1,
	   "a page with a frame on node 0, unmapped");
	get_page(pg);
	put_page(pg);
	put_page(pg);

	ok(get_task_mm(t) == mm && refcount_read(&mm->mm_users) == 2, "get_task_mm takes a user");
	mmput(mm);
	exit_mm(t);
	ok(t->mm == NULL, "exit_mm clears the task's mm");
	put_task_struct(t);
	ok(refcount_read(&f->f_count) == 1, "exit put every VMA's file reference");
	fput(f);
	ok(mt_races_total(R) == 0, "no race counted");
	mempolicy_fini();
	mm_core_fini();
	ok(mt_leaks_total(R) == 0, "no object leaked");

	mpol_put(&default_policy);
	ok(mt_counter_read(R, MT_REFCOUNT_UNDERFLOW) == 1, "a put on default_policy is counted");
	rcu_unregister_thread();
	tap_done();
	return tap_exit();
}
