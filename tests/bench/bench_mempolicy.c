// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_mempolicy - what the fault path's policy lookup costs under the
 * seed's protocol (refs only on shared policies) and under
 * mpol-unconditional-refs (the "overkill" before it: a get/put pair on
 * every lookup), for a task policy, a VMA policy and a shared (shmem)
 * policy, with 1 and 2 threads faulting in the same mm, in the same run.
 * Not a test: it prints a table.
 *
 * One op is mpol_fault_node(): get_vma_policy() plus what
 * alloc_page_vma() does with the policy (node choice, conditional unref),
 * without the page allocation.  Each thread holds mmap_sem for read
 * across a batch of 256 ops, as a fault holds it across one, so that the
 * rwsem's own cache line does not hide the policy's.  A second table adds
 * the allocation (alloc_page_vma() + put_page()), one thread.
 *
 *   bench_mempolicy [seconds-per-cell]     (default 0.5)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/rcu.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"

#define BATCH 256

static double secs = 0.5;
static struct task_struct *T;

struct cell {
	struct vm_area_struct *vma;
	bool alloc;
	int stop;			/* ATOMIC */
	pthread_barrier_t start;
	uint64_t ops[2];
};

struct targ {
	struct cell *c;
	int idx;
};

static void batch(struct cell *c)
{
	struct vm_area_struct *vma = c->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	int sink = 0;

	down_read(&mm->mmap_sem);
	for (unsigned long i = 0; i < BATCH; i++) {
		unsigned long addr = vma->vm_start + ((i % npages) << PAGE_SHIFT);

		if (c->alloc)
			put_page(alloc_page_vma(vma, addr));
		else
			sink += mpol_fault_node(vma, addr);
	}
	up_read(&mm->mmap_sem);
	__asm__ __volatile__("" : : "r"(sink));
}

static void *worker(void *p)
{
	struct targ *a = p;

	mpol_set_current(T);
	rcu_register_thread();
	for (int i = 0; i < 20; i++)	/* warm up */
		batch(a->c);
	pthread_barrier_wait(&a->c->start);
	while (!__atomic_load_n(&a->c->stop, __ATOMIC_RELAXED)) {
		batch(a->c);
		a->c->ops[a->idx] += BATCH;
	}
	rcu_unregister_thread();
	return NULL;
}

/* ns per op per thread, @n threads faulting in @vma together */
static double measure(struct vm_area_struct *vma, int n, bool alloc)
{
	struct cell c = { .vma = vma, .alloc = alloc };
	struct targ a[2];
	pthread_t tid[2];
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	uint64_t t0, t1, ops = 0;

	pthread_barrier_init(&c.start, NULL, (unsigned int)n + 1);
	for (int i = 0; i < n; i++) {
		a[i] = (struct targ){ &c, i };
		pthread_create(&tid[i], NULL, worker, &a[i]);
	}
	pthread_barrier_wait(&c.start);
	t0 = mt_now_ns();
	nanosleep(&ts, NULL);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	t1 = mt_now_ns();
	for (int i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		ops += c.ops[i];
	}
	pthread_barrier_destroy(&c.start);
	return (double)(t1 - t0) * n / (double)ops;
}

static struct vm_area_struct *add_vma(struct mm_struct *mm, struct mempolicy *pol)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	down_write(&mm->mmap_sem);
	vma->vm_start = get_unmapped_area(mm, 64 * PAGE_SIZE);
	vma->vm_end = vma->vm_start + 64 * PAGE_SIZE;
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma->vm_flags = VM_READ | VM_WRITE;
	vma->vm_policy = pol;
	insert_vm_struct(mm, vma);
	up_write(&mm->mmap_sem);
	return vma;
}

int main(int argc, char **argv)
{
	struct mt_region *R = mt_region_create(false);
	nodemask_t nodes = { 0x3 };
	struct vm_area_struct *v[3];
	static const char *const kind[3] = { "task policy", "VMA policy", "shared policy" };
	struct shmem_inode_info *seg;
	struct mm_struct *mm;
	unsigned long addr;
	int err;

	if (argc > 1)
		secs = atof(argv[1]);
	mt_region_use(R);
	rcu_register_thread();
	if (mm_core_init() || mempolicy_init() || shmem_init())
		return 1;
	mm = mm_alloc();
	T = task_create(mm);
	T->mempolicy = mpol_new(MPOL_BIND, &nodes, &err);
	mpol_set_current(T);
	v[0] = add_vma(mm, NULL);				/* falls back to T's */
	v[1] = add_vma(mm, mpol_new(MPOL_BIND, &nodes, &err));
	seg = shmem_create(64, MPOL_BIND, &nodes, false);
	addr = shmem_map(mm, seg, false);			/* private: COW faults */
	down_read(&mm->mmap_sem);
	v[2] = find_vma(mm, addr);
	up_read(&mm->mmap_sem);

	measure(v[0], 1, false);	/* warm the caches and the clock up; discarded */
	printf("fault-path policy lookup, MPOL_BIND{0,1} (mpol_fault_node: no page allocation)\n");
	printf("%-14s %7s %14s %18s %8s\n", "policy", "threads", "seed ns/op",
	       "unconditional ns/op", "ratio");
	for (int n = 1; n <= 2; n++)
		for (int k = 0; k < 3; k++) {
			double good, slow;

			mt_bugs_enabled = 0;
			good = measure(v[k], n, false);
			mt_bugs_enabled = 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS;
			slow = measure(v[k], n, false);
			mt_bugs_enabled = 0;
			printf("%-14s %7d %14.1f %18.1f %8.2f\n", kind[k], n, good, slow, slow / good);
		}
	printf("\nwith the allocation (alloc_page_vma + put_page), 1 thread\n");
	printf("%-14s %7s %14s %18s %8s\n", "policy", "threads", "seed ns/op",
	       "unconditional ns/op", "ratio");
	for (int k = 0; k < 3; k++) {
		double good, slow;

		mt_bugs_enabled = 0;
		good = measure(v[k], 1, true);
		mt_bugs_enabled = 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS;
		slow = measure(v[k], 1, true);
		mt_bugs_enabled = 0;
		printf("%-14s %7d %14.1f %18.1f %8.2f\n", kind[k], 1, good, slow, slow / good);
	}

	exit_mm(T);
	exit_mempolicy(T);
	put_task_struct(T);
	shmem_put(seg);
	rcu_barrier();
	shmem_fini();
	mempolicy_fini();
	mm_core_fini();
	if (mt_races_total(R) || mt_leaks_total(R)) {
		fprintf(stderr, "bench_mempolicy: races or leaks counted\n");
		return 1;
	}
	rcu_unregister_thread();
	return 0;
}
