// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_mempolicy - what the fault path's policy lookup costs under the
 * seed's protocol (refs only on shared policies) and under
 * mpol-unconditional-refs (the "overkill" before it: a get/put pair on
 * every lookup but of current's own policy and the default), for a task
 * policy, a VMA policy and a shared (shmem) policy, with 1 and 2 threads
 * faulting in the same mm.  Not a test: it prints a table.
 *
 * One op is mpol_fault_node(): get_vma_policy() plus what
 * alloc_page_vma() does with the policy (node choice, conditional unref),
 * without the page allocation.  Each thread holds mmap_sem for read
 * across a batch of 256 ops, as a fault holds it across one, so that the
 * rwsem's own cache line does not hide the policy's.  A second table adds
 * the allocation (alloc_page_vma() + put_page()), one thread.
 *
 * Measurement: each cell (policy, threads, protocol) is measured REPS
 * times; the runs are interleaved (every cell once, then every cell
 * again, the order reversed each round), so that drift of the machine
 * hits every cell alike.  A run's ns/op is each worker's own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) over its ops, averaged over the workers, so
 * that time the scheduler gives to other processes does not count.  The
 * table gives the median and the minimum ns/op of each cell, and the
 * ratio of the medians.  Workers are pinned, one per CPU of the process's
 * affinity mask.  The task policy is current's own, which
 * mpol-unconditional-refs does not pair either: its two columns take no
 * reference and differ by one test of the bug switch, so their ratio
 * shows the noise floor.
 *
 *   bench_mempolicy [seconds-per-run [runs-per-cell]]   (default 0.1 7)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/rcu.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"

#define BATCH		256
#define MAX_REPS	64
#define NKINDS		3

static double secs = 0.1;
static int reps = 7;
static struct task_struct *T;
static int cpus[CPU_SETSIZE], ncpus;

struct cell {
	const char *kind;
	struct vm_area_struct *vma;
	int threads;
	bool alloc;
	bool uncond;			/* mpol-unconditional-refs */
	double ns[MAX_REPS];		/* ns/op per thread, one per run */
};

struct run {
	struct cell *c;
	int stop;			/* ATOMIC */
	pthread_barrier_t start;
	uint64_t ops[2];
	uint64_t cpu_ns[2];
};

struct targ {
	struct run *r;
	int idx;
};

static void batch(const struct cell *c)
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

static void pin(int idx)
{
	cpu_set_t set;

	if (!ncpus)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpus[idx % ncpus], &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *worker(void *p)
{
	struct targ *a = p;
	struct run *r = a->r;
	uint64_t t0;

	pin(a->idx);
	mpol_set_current(T);
	rcu_register_thread();
	for (int i = 0; i < 20; i++)	/* warm up */
		batch(r->c);
	pthread_barrier_wait(&r->start);
	t0 = mt_thread_cpu_ns();
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		batch(r->c);
		r->ops[a->idx] += BATCH;
	}
	r->cpu_ns[a->idx] = mt_thread_cpu_ns() - t0;
	rcu_unregister_thread();
	return NULL;
}

/* One run of @c: CPU ns per op, averaged over the threads. */
static double measure(struct cell *c)
{
	struct run r = { .c = c };
	struct targ a[2];
	pthread_t tid[2];
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	double sum = 0;

	mt_bugs_enabled = c->uncond ? 1u << MT_BUG_MPOL_UNCONDITIONAL_REFS : 0;
	pthread_barrier_init(&r.start, NULL, (unsigned int)c->threads + 1);
	for (int i = 0; i < c->threads; i++) {
		a[i] = (struct targ){ &r, i };
		pthread_create(&tid[i], NULL, worker, &a[i]);
	}
	pthread_barrier_wait(&r.start);
	nanosleep(&ts, NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < c->threads; i++) {
		pthread_join(tid[i], NULL);
		sum += r.ops[i] ? (double)r.cpu_ns[i] / (double)r.ops[i] : 0;
	}
	pthread_barrier_destroy(&r.start);
	mt_bugs_enabled = 0;
	return sum / c->threads;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void stats(const struct cell *c, double *median, double *min)
{
	double v[MAX_REPS];

	for (int i = 0; i < reps; i++)
		v[i] = c->ns[i];
	qsort(v, (size_t)reps, sizeof(v[0]), cmp_double);
	*min = v[0];
	*median = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
}

/* Every cell @reps times, interleaved, the order reversed every round. */
static void measure_all(struct cell *cells, int n)
{
	for (int rep = 0; rep < reps; rep++)
		for (int k = 0; k < n; k++) {
			struct cell *c = &cells[rep % 2 ? n - 1 - k : k];

			c->ns[rep] = measure(c);
		}
}

/* @cells in pairs: the seed's protocol, then mpol-unconditional-refs. */
static void print_table(const char *title, const struct cell *cells, int n)
{
	printf("%s\n", title);
	printf("%-14s %7s %22s %22s %14s\n", "policy", "threads", "seed ns/op",
	       "unconditional ns/op", "ratio");
	printf("%-14s %7s %22s %22s %14s\n", "", "", "median (min)", "median (min)",
	       "of medians");
	for (int k = 0; k + 1 < n; k += 2) {
		double gm, gmin, sm, smin;

		stats(&cells[k], &gm, &gmin);
		stats(&cells[k + 1], &sm, &smin);
		printf("%-14s %7d %12.1f (%7.1f) %12.1f (%7.1f) %14.2f\n", cells[k].kind,
		       cells[k].threads, gm, gmin, sm, smin, gm > 0 ? sm / gm : 0);
	}
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

static void affinity(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[ncpus++] = i;
}

int main(int argc, char **argv)
{
	struct mt_region *R = mt_region_create(false);
	nodemask_t nodes = { 0x3 };
	struct vm_area_struct *v[NKINDS];
	static const char *const kind[NKINDS] = { "task policy", "VMA policy", "shared policy" };
	struct cell lookup[2 * 2 * NKINDS], alloc[2 * NKINDS];
	struct shmem_inode_info *seg;
	struct mm_struct *mm;
	unsigned long addr;
	int err, n = 0;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		reps = atoi(argv[2]);
	if (secs <= 0 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: bench_mempolicy [seconds-per-run (> 0) [runs-per-cell (1-%d)]]\n",
			MAX_REPS);
		return 2;
	}
	affinity();
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

	for (int threads = 1; threads <= 2; threads++)
		for (int k = 0; k < NKINDS; k++)
			for (int u = 0; u < 2; u++)
				lookup[n++] = (struct cell){ .kind = kind[k], .vma = v[k],
							     .threads = threads, .uncond = u };
	for (int k = 0; k < NKINDS; k++)
		for (int u = 0; u < 2; u++)
			alloc[2 * k + u] = (struct cell){ .kind = kind[k], .vma = v[k], .threads = 1,
							  .alloc = true, .uncond = u };

	printf("%d runs of %.2f s per cell, interleaved; CPU ns per op; workers pinned to %d CPU(s)\n",
	       reps, secs, ncpus);
	measure(&lookup[0]);	/* warm the caches and the clock up; discarded */
	measure_all(lookup, n);
	print_table("\nfault-path policy lookup, MPOL_BIND{0,1} (mpol_fault_node: no page allocation)",
		    lookup, n);
	measure_all(alloc, 2 * NKINDS);
	print_table("\nwith the allocation (alloc_page_vma + put_page)", alloc, 2 * NKINDS);
	printf("\nThe task policy is current's own: neither column takes a reference on it,\n"
	       "so its ratio is the noise floor of the table.\n");

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
