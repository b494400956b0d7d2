// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_anon_vma - what the anon_vma model's paths cost, in the same run:
 *  - fork+exit of a small process tree: a parent of 4 VMAs x 8 pages
 *    (all faulted) forks a child, the child a grandchild, both exit
 *    (dup_mmap with anon_vma_fork, copy_page_range; exit_mmap with the
 *    zap, unlink_anon_vmas and the two-level frees);
 *  - an rmap walk: page_referenced() of a page mapped by 1, 4 and 8 VMAs
 *    (page_lock_anon_vma(), its recheck, the walk of the chains);
 *  - a fault's VMA lookup, speculative (spf_get_vma(): RCU lookup,
 *    get_vma, sequence and detached checks; then put_vma) against classic
 *    (down_read + find_vma + up_read), with 1 and 2 reader threads, and
 *    with 1 reader against a thread that mmaps and munmaps in the same mm
 *    (mmap_sem for write).
 * Each cell is one untimed warm-up run and REPS timed runs of the given
 * length; it prints the median run, and the fastest and slowest.
 * Not a test: it prints a table.
 *
 *   bench_anon_vma [seconds-per-run]     (default 0.1)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/counters.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/thread.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/fork.h"
#include "lib/mm/ksm.h"
#include "lib/mm/memory.h"
#include "lib/mm/mm.h"
#include "lib/mm/rmap.h"
#include "lib/mm/vmscan.h"

#define NVMAS		16
#define VMA_PAGES	8
#define REPS		5

static double secs = 0.1;

/* A cell: the median of its runs, and their spread. */
struct cell {
	double median, min, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Run @run once to warm up, then REPS times; the median of those. */
static struct cell repeat(double (*run)(void *), void *arg)
{
	double ns[REPS];
	struct cell c;

	run(arg);
	for (int i = 0; i < REPS; i++)
		ns[i] = run(arg);
	qsort(ns, REPS, sizeof(ns[0]), cmp_double);
	c.median = ns[REPS / 2];
	c.min = ns[0];
	c.max = ns[REPS - 1];
	return c;
}

struct loop {
	void (*fn)(void *);
	void *arg;
};

/* One run: call fn until @secs have passed; return ns per call. */
static double loop_run(void *p)
{
	struct loop *l = p;
	uint64_t t0, t, calls = 0;

	t0 = mt_now_ns();
	do {
		for (int i = 0; i < 64; i++)
			l->fn(l->arg);
		calls += 64;
		t = mt_now_ns();
	} while (t - t0 < (uint64_t)(secs * 1e9));
	return (double)(t - t0) / (double)calls;
}

static struct cell measure(void (*fn)(void *), void *arg)
{
	struct loop l = { .fn = fn, .arg = arg };

	return repeat(loop_run, &l);
}

static void print_cell(const char *what, struct cell c, const struct cell *base)
{
	char vs[16] = "-";

	if (base)
		snprintf(vs, sizeof(vs), "%.2f", c.median / base->median);
	printf("%-58s %10.1f %9.1f %9.1f %8s\n", what, c.median, c.min, c.max, vs);
}

static struct mm_struct *make_mm(unsigned int nvmas, unsigned int npages, bool fault)
{
	struct mm_struct *mm = mm_alloc();

	down_write(&mm->mmap_sem);
	for (unsigned int i = 0; i < nvmas; i++) {
		unsigned long start = do_mmap_anon(mm, npages);
		struct vm_area_struct *vma = find_vma(mm, start);

		for (unsigned int k = 0; fault && k < npages; k++)
			handle_mm_fault(vma, start + ((unsigned long)k << PAGE_SHIFT));
	}
	up_write(&mm->mmap_sem);
	return mm;
}

/* ---- fork + exit ---- */

static void fork_exit_tree(void *arg)
{
	struct mm_struct *parent = arg, *child, *grandchild;

	child = dup_mm(parent, 0);
	grandchild = dup_mm(child, 0);
	mmput(grandchild);
	mmput(child);
}

/* ---- rmap walk ---- */

static void rmap_walk_one(void *arg)
{
	if (page_referenced(arg) < 1)
		abort();
}

/* A page mapped by @nmaps VMAs: a parent and nmaps-1 children. */
static struct cell bench_rmap(unsigned int nmaps)
{
	struct mm_struct *mm[8];
	struct page *page;
	struct cell ns;

	mm[0] = make_mm(1, 1, true);
	for (unsigned int i = 1; i < nmaps; i++)
		mm[i] = dup_mm(mm[0], 0);
	page = isolate_lru_page();
	ns = measure(rmap_walk_one, page);
	putback_lru_page(page);
	for (unsigned int i = nmaps; i-- > 0;)
		mmput(mm[i]);
	return ns;
}

/* ---- VMA lookups ---- */

enum lookup_kind { LOOKUP_MMAP_SEM, LOOKUP_SPF };

struct lookup_cell {
	struct mm_struct *mm;
	enum lookup_kind kind;
	int readers;
	bool writer;
	int stop;			/* ATOMIC */
	pthread_barrier_t start;
	uint64_t ops[2];
	uint64_t ns[2];
};

struct lookup_arg {
	struct lookup_cell *c;
	int idx;
};

static unsigned long mm_base;		/* the first VMA's start */

static void *lookup_reader(void *p)
{
	struct lookup_arg *a = p;
	struct lookup_cell *c = a->c;
	uint64_t n = 0, t0;
	int sink = 0;

	mt_thread_enter((unsigned int)a->idx + 1, 0, 1);
	pthread_barrier_wait(&c->start);
	t0 = mt_now_ns();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 256; i++) {
			unsigned long addr = mm_base + ((mt_random_below(NVMAS) *
					(VMA_PAGES + 1ul)) << PAGE_SHIFT);
			struct vm_area_struct *vma;

			if (c->kind == LOOKUP_MMAP_SEM) {
				down_read(&c->mm->mmap_sem);
				vma = find_vma(c->mm, addr);
				sink += vma != NULL;
				up_read(&c->mm->mmap_sem);
			} else {
				unsigned int seq;

				vma = spf_get_vma(c->mm, addr, &seq);
				if (vma) {
					sink++;
					put_vma(vma);
				}
			}
		}
		n += 256;
		rcu_quiescent_state();
	}
	c->ns[a->idx] = mt_now_ns() - t0;
	c->ops[a->idx] = n + (sink < 0);
	mt_thread_leave();
	return NULL;
}

/* mmap and munmap a VMA at the end of the address space, over and over. */
static void *lookup_writer(void *p)
{
	struct lookup_arg *a = p;
	struct lookup_cell *c = a->c;

	mt_thread_enter((unsigned int)a->idx + 1, 0, 2);
	pthread_barrier_wait(&c->start);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		unsigned long start;

		down_write(&c->mm->mmap_sem);
		start = do_mmap_anon(c->mm, VMA_PAGES);
		up_write(&c->mm->mmap_sem);
		down_write(&c->mm->mmap_sem);
		if (start)
			do_munmap(c->mm, start);
		up_write(&c->mm->mmap_sem);
		rcu_quiescent_state();
	}
	mt_thread_leave();
	return NULL;
}

struct lookup_conf {
	struct mm_struct *mm;
	enum lookup_kind kind;
	int readers;
	bool writer;
};

/* One run: the readers (and the writer) for @secs; ns per lookup per reader. */
static double lookup_run(void *p)
{
	const struct lookup_conf *conf = p;
	struct lookup_cell c = { .mm = conf->mm, .kind = conf->kind,
				 .readers = conf->readers, .writer = conf->writer };
	int readers = conf->readers;
	bool writer = conf->writer;
	struct lookup_arg args[3];
	pthread_t tid[3];
	int n = readers + writer;
	double ns = 0;

	pthread_barrier_init(&c.start, NULL, (unsigned int)n + 1);
	for (int i = 0; i < n; i++) {
		args[i].c = &c;
		args[i].idx = i;
		pthread_create(&tid[i], NULL, i < readers ? lookup_reader : lookup_writer, &args[i]);
	}
	rcu_thread_offline();
	pthread_barrier_wait(&c.start);
	{
		struct timespec ts = { .tv_sec = (time_t)secs,
				       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };

		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	rcu_thread_online();
	pthread_barrier_destroy(&c.start);
	for (int i = 0; i < readers; i++)
		ns += (double)c.ns[i] / (double)c.ops[i];
	return ns / readers;	/* per lookup, per reader thread */
}

static struct cell bench_lookup(struct mm_struct *mm, enum lookup_kind kind, int readers,
				bool writer)
{
	struct lookup_conf conf = { .mm = mm, .kind = kind, .readers = readers, .writer = writer };

	return repeat(lookup_run, &conf);
}

int main(int argc, char **argv)
{
	struct mt_region *R = mt_region_create(false);
	struct mm_struct *mm;
	struct cell base;

	if (argc > 1)
		secs = atof(argv[1]);
	mt_region_use(R);
	mt_thread_enter(10, 0, 1);
	if (mm_core_init() || anon_vma_init() || anon_memory_init() || ksm_init(16)) {
		fprintf(stderr, "bench_anon_vma: cannot create the caches\n");
		return 1;
	}

	printf("%-58s %10s %9s %9s %8s\n", "operation (median of 5 runs)", "ns/op", "min",
	       "max", "vs base");
	mm = make_mm(4, VMA_PAGES, true);
	print_cell("fork+exit, parent->child->grandchild, 4 VMAs x 8 pages",
		   measure(fork_exit_tree, mm), NULL);
	mmput(mm);

	base = bench_rmap(1);
	print_cell("rmap walk (page_referenced), 1 VMA (base)", base, &base);
	for (unsigned int n = 4; n <= 8; n += 4) {
		char what[64];

		snprintf(what, sizeof(what), "rmap walk (page_referenced), %u VMAs", n);
		print_cell(what, bench_rmap(n), &base);
	}

	mm = make_mm(NVMAS, VMA_PAGES, false);
	down_read(&mm->mmap_sem);
	mm_base = mm_vma_at(mm, 0)->vm_start;
	up_read(&mm->mmap_sem);
	for (int cfg = 0; cfg < 3; cfg++) {
		static const char *const what[] = { "1 reader", "2 readers", "1 reader + mmap/munmap writer" };
		int readers = cfg == 1 ? 2 : 1;
		bool writer = cfg == 2;
		char row[80];
		struct cell sem = bench_lookup(mm, LOOKUP_MMAP_SEM, readers, writer);
		struct cell spf = bench_lookup(mm, LOOKUP_SPF, readers, writer);

		snprintf(row, sizeof(row), "lookup, mmap_sem: %s (base)", what[cfg]);
		print_cell(row, sem, &sem);
		snprintf(row, sizeof(row), "lookup, spf_get_vma+put_vma: %s", what[cfg]);
		print_cell(row, spf, &sem);
	}
	mmput(mm);

	if (mt_races_total(R) || mt_leaks_total(R))
		printf("warning: the benchmark fired %llu race and %llu leak counters\n",
		       (unsigned long long)mt_races_total(R), (unsigned long long)mt_leaks_total(R));
	ksm_fini();
	rcu_barrier();
	anon_memory_fini();
	anon_vma_fini();
	mm_core_fini();
	mt_thread_leave();
	return 0;
}
