// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_common.c - the cycle, processes and safe touches of the kernel
 * workloads; see kernel_common.h.  The self-test paths of the bug
 * catalogue are here, where the world is torn down: lib/kernel, which
 * detects, knows nothing of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/bugs.h"
#include "core/counters.h"
#include "core/prng.h"
#include "kernel/kjournal.h"
#include "lib/engine/job.h"
#include "workloads/kernel_common.h"

int kw_begin(struct kw_job *kj, struct wl_ctx *ctx, const struct kd_opts *o, unsigned int leak_shm,
	     const char *const *counters, unsigned int ncounters, uint64_t mem_bytes)
{
	const struct mt_placement *pl = &ctx->job->plan;
	int nodes[MT_MAX_NODES], n = pl->nnodes;

	memset(kj, 0, sizeof(*kj));
	kj->opts = o;
	kj->leak_shm = leak_shm;
	kj->next_shard = ctx->nthreads + 2;	/* after the workers and the control thread */
	for (int i = 0; i < n; i++)
		nodes[i] = pl->nodes[i];
	kw_touch_init();
	/* orphans of the job (a grandchild whose parent was killed) come back here to be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return kd_begin(&kj->kd, o, kd_default_caches, kd_ndefault_caches, counters, ncounters,
			nodes, n, pl->synthetic, mem_bytes);
}

bool kw_final_audit(void)
{
	return mt_cur_region && __atomic_load_n(&mt_cur_region->t_end_ns, __ATOMIC_ACQUIRE);
}

/* kernel-shm-policy-leak: segments with a shared policy, detached, never removed. */
static void leave_segments(struct kw_job *kj)
{
	size_t len = 64 * 1024;

	for (unsigned int i = 0; i < kj->leak_shm; i++) {
		int id = kw_shm_create(len);
		void *a;

		if (id < 0)
			return;
		if (kj->nleft == kj->left_cap) {
			unsigned int cap = kj->left_cap ? kj->left_cap * 2 : 64;
			int *l = realloc(kj->left, cap * sizeof(*l));

			if (!l) {
				shmctl(id, IPC_RMID, NULL);
				return;
			}
			kj->left = l;
			kj->left_cap = cap;
		}
		kj->left[kj->nleft++] = id;
		a = shmat(id, NULL, 0);
		if (a == (void *)-1)
			continue;
		/* one range, one policy: a shared_policy_node and its numa_policy */
		mbind(a, len, MPOL_INTERLEAVE, &kj->kd.nodemask, KD_MAX_NODES, 0);
		shmdt(a);
	}
}

/* kernel-kmsg-warning: a line as __warn() prints it, written as user space can. */
static void write_kmsg_line(struct kw_job *kj)
{
	char line[160];
	int fd, n;

	if (kj->kmsg_written)
		return;
	kj->kmsg_written = true;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "<4>WARNING: CPU: 0 PID: %d at mm/mempolicy.c:1 mmtorture_kmsg_selftest+0x0/0x10\n",
		     (int)getpid());
	if (write(fd, line, (size_t)n) != n)
		mt_region_add_note("could not write the self-test line to /dev/kmsg");
	close(fd);
}

void kw_cycle_end(struct kw_job *kj)
{
	if (mt_bug(MT_BUG_KERNEL_SHM_POLICY_LEAK))
		leave_segments(kj);
	if (mt_bug(MT_BUG_KERNEL_KMSG_WARNING))
		write_kmsg_line(kj);
	kd_cycle(&kj->kd, kj->opts);
}

void kw_end(struct kw_job *kj, const struct kd_cover *cover, unsigned int ncover)
{
	kd_end(&kj->kd, kj->opts, cover, ncover);
	if (kj->nleft) {
		unsigned int removed = 0;

		for (unsigned int i = 0; i < kj->nleft; i++)
			removed += !shmctl(kj->left[i], IPC_RMID, NULL);
		mt_region_add_note("left %u shm segments with policies on purpose, removed %u after counting",
				   kj->nleft, removed);
	}
	free(kj->left);
	kj->left = NULL;
	kj->nleft = 0;
	kd_close(&kj->kd);
}

pid_t kw_fork(struct kw_job *kj, void (*fn)(void *arg), void *arg, int cpu, bool counted)
{
	unsigned int shard = 0;
	pid_t parent = getpid(), pid;

	if (counted) {
		shard = __atomic_fetch_add(&kj->next_shard, 1, __ATOMIC_RELAXED);
		if (shard >= MT_MAX_SHARDS)
			shard = 0;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		/* the parent thread's shard is not this process's to write */
		mt_counters_detach();
		if (shard)
			mt_counters_attach(shard, kj->kd.nnodes ? kj->kd.nodes[0] : 0);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		fn(arg);
		_exit(0);
	}
	kj_note_pid(pid);
	return pid;
}

void kw_reap(pid_t *pids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (unsigned int i = 0; i < n; i++)
		if (pids[i] > 0) {
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
			pids[i] = 0;
		}
}

void kw_reap_all(void)
{
	uint64_t until = mt_now_ns() + 2000000000ull;
	struct timespec ts = { 0, 1000000 };

	/* what is left is dying (SIGKILL from its parent's death): wait for it, bounded */
	while (mt_now_ns() < until) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			return;
		if (p <= 0)
			nanosleep(&ts, NULL);
	}
	mt_region_add_note("some processes of the job were still alive 2s after their kill");
}

static __thread sigjmp_buf touch_env;
static __thread volatile sig_atomic_t touch_armed;

static void touch_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (touch_armed) {
		touch_armed = 0;
		siglongjmp(touch_env, 1);
	}
	/* not a guarded touch: a real crash, as the runner must see it */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void touch_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = touch_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

void kw_touch_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, touch_handlers);
}

int kw_touch(volatile char *p, bool write)
{
	if (sigsetjmp(touch_env, 1))
		return -EFAULT;
	touch_armed = 1;
	if (write)
		*p = (char)(*p + 1);
	else
		(void)*p;
	touch_armed = 0;
	return 0;
}

int kw_random_node(const struct kw_job *kj)
{
	return kj->kd.nnodes ? kj->kd.nodes[mt_random_below((uint32_t)kj->kd.nnodes)] : 0;
}

int kw_random_mode(void)
{
	static const int modes[] = { MPOL_INTERLEAVE, MPOL_BIND, MPOL_PREFERRED, MPOL_LOCAL };

	return modes[mt_random_below(ARRAY_SIZE(modes))];
}

int kw_shm_create(size_t len)
{
	return shmget(IPC_PRIVATE, len, IPC_CREAT | IPC_EXCL | 0600);
}
