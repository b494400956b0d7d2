// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched.c - the controlled scheduler; see sched.h.
 *
 * A turn is passed by semaphores: each scheduled thread has one and waits
 * on it; the thread whose turn it is posts the next one's and waits on
 * its own.  So exactly one scheduled thread runs at a time, and the state
 * below is touched only by the thread that has the turn: the post and the
 * wait of each hand-over are the ordering (a sem_post() happens before
 * the sem_wait() it releases returns), no lock is needed for it.  The
 * threads' entry, before the first turn, is counted under enter_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "counters.h"
#include "sched.h"

enum { ST_ABSENT, ST_RUNNABLE, ST_BLOCKED, ST_EXITED };

#define MAX_DEPTH	16
#define PAIRS_CAP	65536	/* a power of two */

struct sthread {
	sem_t go;
	int state;
	const void *blocked_on;
	const char *blocked_what;
	unsigned int prio;		/* PCT: higher runs first */
	uint8_t last_kind;		/* the point it is at */
	const char *last_name;
};

int mt_sched_on;
__thread int mt_sched_self = -1;
const struct mt_sched_switch *mt_sched_guide;
unsigned int mt_sched_nguide;
void (*mt_sched_deadlock_hook)(void) = abort;

static struct {
	struct mt_sched_conf conf;
	struct sthread t[MT_SCHED_MAX_THREADS];
	int cur;
	unsigned int entered;		/* protected by enter_lock */
	pthread_mutex_t enter_lock;
	pthread_cond_t entered_cv;
	uint64_t step;
	uint64_t rng;			/* splitmix64 state */
	uint64_t change[MAX_DEPTH];	/* PCT change points, ascending */
	unsigned int nchange, next_change;
	unsigned int guide_i;
	bool stopping;			/* ATOMIC: read by workers between operations */
	bool hit_bound, deadlock;
	uint64_t preemptions, switches;
	uint64_t problems_seen, first_problem_step;
	struct mt_sched_step ring[MT_SCHED_TRACE];
	uint64_t nring;
	struct mt_sched_step *frozen;	/* the trace at the first problem */
	unsigned int nfrozen;
	uint64_t *pairs;		/* open addressing, 0 = empty */
	uint64_t npairs;
	struct mt_sched_switch *log;
	unsigned int nlog;
} S = {
	.enter_lock = PTHREAD_MUTEX_INITIALIZER,
	.entered_cv = PTHREAD_COND_INITIALIZER,
	.cur = -1,
};

#define LOG_BYTES	(MT_SCHED_MAX_SWITCHES * sizeof(struct mt_sched_switch))
#define PAIRS_BYTES	(PAIRS_CAP * sizeof(uint64_t))

/*
 * The run's big tables (the pair set, the switch log), mapped fresh and
 * populated, zeroed by the kernel.  A run is a forked process: memory
 * from its parent's heap is copy-on-write, and a fresh page read before
 * it is written is the shared zero page -- either way its first write in
 * the run is a write-protect fault, which, once the run's threads are up
 * on other CPUs, flushes their TLBs by IPI.  Populated at mmap, no page
 * of these faults during the run.
 */
static void *run_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void run_buf_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

static uint64_t next_rand(void)
{
	uint64_t z = (S.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rand_below(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)next_rand() * n) >> 64);
}

const char *mt_sched_mode_name(enum mt_sched_mode m)
{
	static const char *const names[] = { "free", "pct", "random", "guided" };

	return (unsigned int)m < ARRAY_SIZE(names) ? names[m] : "?";
}

const char *mt_sched_kind_name(enum mt_sched_kind k)
{
	static const char *const names[] = {
		[MT_PT_START] = "start", [MT_PT_WINDOW] = "window", [MT_PT_SYNC] = "sync",
		[MT_PT_LOCK] = "lock", [MT_PT_RCU_LOCK] = "rcu_read_lock", [MT_PT_GP] = "grace-period",
		[MT_PT_CALLBACK] = "callback", [MT_PT_BLOCK] = "block", [MT_PT_EXIT] = "exit",
	};

	return (unsigned int)k < MT_PT_NKINDS ? names[k] : "?";
}

int mt_sched_start(const struct mt_sched_conf *conf)
{
	unsigned int n = conf->nthreads;

	if (conf->mode == MT_SCHED_FREE || !n || n > MT_SCHED_MAX_THREADS ||
	    (conf->mode == MT_SCHED_PCT && (!conf->depth || conf->depth > MAX_DEPTH)))
		return -EINVAL;
	run_buf_free(S.pairs, PAIRS_BYTES);
	run_buf_free(S.log, LOG_BYTES);
	free(S.frozen);
	memset(&S.t, 0, sizeof(S.t));
	S.conf = *conf;
	S.cur = -1;
	S.entered = 0;
	S.step = 0;
	__atomic_store_n(&mt_step_now, 0, __ATOMIC_RELAXED);
	S.rng = conf->seed ^ 0x6d7473636865642dull;	/* "mtsched-" */
	S.nchange = S.next_change = S.guide_i = 0;
	S.stopping = S.hit_bound = S.deadlock = false;
	S.preemptions = S.switches = 0;
	S.problems_seen = __atomic_load_n(&mt_problem_reports, __ATOMIC_RELAXED);
	S.first_problem_step = 0;
	S.nring = 0;
	S.frozen = NULL;
	S.nfrozen = 0;
	S.pairs = run_buf(PAIRS_BYTES);
	S.npairs = 0;
	S.log = run_buf(LOG_BYTES);
	S.nlog = 0;
	if (!S.pairs || !S.log)
		return -ENOMEM;
	memset(S.ring, 0, sizeof(S.ring));	/* see run_buf() */
	for (unsigned int i = 0; i < n; i++)
		sem_init(&S.t[i].go, 0, 0);
	if (conf->mode == MT_SCHED_PCT) {
		/* priorities d..d+n-1, a random permutation (Fisher-Yates) */
		for (unsigned int i = 0; i < n; i++)
			S.t[i].prio = conf->depth + i;
		for (unsigned int i = n - 1; i > 0; i--) {
			unsigned int k = (unsigned int)rand_below(i + 1), p = S.t[i].prio;

			S.t[i].prio = S.t[k].prio;
			S.t[k].prio = p;
		}
		/* d-1 distinct change points over 1..k, ascending */
		while (S.nchange < conf->depth - 1 && S.nchange < (conf->steps ? conf->steps : 1)) {
			uint64_t c = 1 + rand_below(conf->steps ? conf->steps : 1);
			unsigned int i;

			for (i = 0; i < S.nchange && S.change[i] != c; i++)
				;
			if (i < S.nchange)
				continue;
			for (i = S.nchange; i > 0 && S.change[i - 1] > c; i--)
				S.change[i] = S.change[i - 1];
			S.change[i] = c;
			S.nchange++;
		}
	}
	__atomic_store_n(&mt_sched_on, 1, __ATOMIC_RELEASE);
	return 0;
}

static bool runnable(int i)
{
	return S.t[i].state == ST_RUNNABLE;
}

/* The lowest-numbered runnable thread, or -1. */
static int lowest_runnable(void)
{
	for (unsigned int i = 0; i < S.conf.nthreads; i++)
		if (runnable((int)i))
			return (int)i;
	return -1;
}

/* Who runs next: @me too if it may go on (@me < 0: nobody runs yet). */
static int choose(int me)
{
	unsigned int n = S.conf.nthreads, cnt = 0;
	int best = -1;

	switch (S.conf.mode) {
	case MT_SCHED_PCT:
		for (unsigned int i = 0; i < n; i++)
			if (runnable((int)i) && (best < 0 || S.t[i].prio > S.t[best].prio))
				best = (int)i;
		return best;
	case MT_SCHED_RANDOM:
		for (unsigned int i = 0; i < n; i++)
			cnt += runnable((int)i);
		if (!cnt)
			return -1;
		cnt = (unsigned int)rand_below(cnt);
		for (unsigned int i = 0; i < n; i++)
			if (runnable((int)i) && !cnt--)
				return (int)i;
		return -1;
	case MT_SCHED_GUIDED:
		while (S.guide_i < S.conf.nguide && S.conf.guide[S.guide_i].step < S.step)
			S.guide_i++;
		if (S.guide_i < S.conf.nguide && S.conf.guide[S.guide_i].step == S.step) {
			int to = S.conf.guide[S.guide_i++].to;

			if (to < (int)n && runnable(to))
				return to;
		}
		return me >= 0 && runnable(me) ? me : lowest_runnable();
	case MT_SCHED_FREE:
		break;
	}
	return -1;
}

/* Record the step that is being taken at the point (@kind, @name, @obj). */
static void take_step(int me, enum mt_sched_kind kind, const char *name, const void *obj)
{
	uint64_t reports = __atomic_load_n(&mt_problem_reports, __ATOMIC_RELAXED);
	struct mt_sched_step *st;

	S.step++;
	__atomic_store_n(&mt_step_now, S.step, __ATOMIC_RELAXED);
	st = &S.ring[S.nring++ % MT_SCHED_TRACE];
	*st = (struct mt_sched_step){ .step = S.step, .thread = (uint16_t)me, .kind = (uint8_t)kind,
				      .name = name, .obj = obj };
	if (me >= 0) {
		S.t[me].last_kind = (uint8_t)kind;
		__atomic_store_n(&S.t[me].last_name, name, __ATOMIC_RELAXED);
	}
	if (reports != S.problems_seen && !S.first_problem_step) {
		/* a race or leak was reported since the last point: freeze the trace */
		unsigned int n = S.nring < MT_SCHED_TRACE ? (unsigned int)S.nring : MT_SCHED_TRACE;

		S.first_problem_step = S.step;
		S.frozen = malloc(n * sizeof(*S.frozen));
		for (unsigned int i = 0; S.frozen && i < n; i++)
			S.frozen[i] = S.ring[(S.nring - n + i) % MT_SCHED_TRACE];
		S.nfrozen = S.frozen ? n : 0;
	}
	S.problems_seen = reports;
	if (S.conf.max_steps && S.step >= S.conf.max_steps && !S.stopping) {
		S.hit_bound = true;
		__atomic_store_n(&S.stopping, true, __ATOMIC_RELEASE);
	}
	if (S.conf.mode == MT_SCHED_PCT && S.next_change < S.nchange &&
	    S.step >= S.change[S.next_change] && me >= 0)
		S.t[me].prio = S.next_change++;	/* below every first priority (>= d) */
}

static uint64_t pair_hash(const char *a, uint8_t ka, const char *b, uint8_t kb)
{
	uint64_t h = 1469598103934665603ull;

	h = (h ^ (uintptr_t)a) * 1099511628211ull;
	h = (h ^ ka) * 1099511628211ull;
	h = (h ^ (uintptr_t)b) * 1099511628211ull;
	h = (h ^ kb) * 1099511628211ull;
	return h ? h : 1;
}

static void note_pair(int from, int to)
{
	uint64_t h, i;

	if (from < 0 || to < 0 || S.npairs >= PAIRS_CAP / 2)
		return;
	h = pair_hash(S.t[from].last_name, S.t[from].last_kind, S.t[to].last_name, S.t[to].last_kind);
	for (i = h & (PAIRS_CAP - 1); S.pairs[i]; i = (i + 1) & (PAIRS_CAP - 1))
		if (S.pairs[i] == h)
			return;
	S.pairs[i] = h;
	S.npairs++;
}

/* Give the turn to @next; @me waits for its next turn unless it is gone. */
static void switch_to(int me, int next, bool preempt)
{
	if (me >= 0 && S.nlog < MT_SCHED_MAX_SWITCHES)
		S.log[S.nlog++] = (struct mt_sched_switch){ .step = S.step, .to = (uint16_t)next,
							    .from = (uint16_t)me,
							    .kind = S.t[me].last_kind,
							    .name = S.t[me].last_name,
							    .preempt = preempt };
	S.switches++;
	S.preemptions += preempt;
	note_pair(me, next);
	S.ring[(S.nring - 1) % MT_SCHED_TRACE].preempt = preempt;
	__atomic_store_n(&S.cur, next, __ATOMIC_RELAXED);
	sem_post(&S.t[next].go);
	if (me >= 0 && S.t[me].state != ST_EXITED)
		while (sem_wait(&S.t[me].go) && errno == EINTR)
			;
}

/* Every thread left is blocked: say who waits for what, and end the run. */
static __noreturn void deadlocked(void)
{
	char who[512];
	size_t off = 0;

	S.deadlock = true;
	who[0] = '\0';
	for (unsigned int i = 0; i < S.conf.nthreads && off < sizeof(who); i++)
		if (S.t[i].state == ST_BLOCKED)
			off += (size_t)snprintf(who + off, sizeof(who) - off, "%st%u on %s %p",
						off ? ", " : "", i, S.t[i].blocked_what,
						S.t[i].blocked_on);
	mt_report(MT_LOCK_RULE, "scheduler", "deadlock at step %llu: every thread is blocked (%s)",
		  (unsigned long long)S.step, who);
	mt_sched_deadlock_hook();
	abort();
}

void __mt_sched_point(enum mt_sched_kind kind, const char *name, const void *obj)
{
	int me = mt_sched_self, next;

	take_step(me, kind, name, obj);
	next = choose(me);
	if (next >= 0 && next != me)
		switch_to(me, next, true);
}

void mt_sched_block(const void *on, const char *what)
{
	int me = mt_sched_self, next;

	S.t[me].state = ST_BLOCKED;
	S.t[me].blocked_on = on;
	S.t[me].blocked_what = what;
	take_step(me, MT_PT_BLOCK, what, on);
	next = choose(me);
	if (next < 0)
		deadlocked();
	switch_to(me, next, false);
}

void mt_sched_wake(const void *on)
{
	for (unsigned int i = 0; i < S.conf.nthreads; i++)
		if (S.t[i].state == ST_BLOCKED && S.t[i].blocked_on == on) {
			S.t[i].state = ST_RUNNABLE;
			S.t[i].blocked_on = NULL;
		}
}

bool mt_sched_stopping(void)
{
	return __atomic_load_n(&S.stopping, __ATOMIC_ACQUIRE);
}

uint64_t mt_sched_step(void)
{
	return __atomic_load_n(&mt_step_now, __ATOMIC_RELAXED);
}

int mt_sched_running(const char **name)
{
	int cur = __atomic_load_n(&S.cur, __ATOMIC_RELAXED);

	*name = cur >= 0 && cur < MT_SCHED_MAX_THREADS ?
		__atomic_load_n(&S.t[cur].last_name, __ATOMIC_RELAXED) : NULL;
	return cur;
}

void mt_sched_enter(unsigned int idx)
{
	mt_sched_self = (int)idx;
	pthread_mutex_lock(&S.enter_lock);
	S.t[idx].state = ST_RUNNABLE;
	S.t[idx].last_name = "start";
	S.t[idx].last_kind = MT_PT_START;
	S.entered++;
	pthread_cond_broadcast(&S.entered_cv);
	pthread_mutex_unlock(&S.enter_lock);
	while (sem_wait(&S.t[idx].go) && errno == EINTR)
		;
}

void mt_sched_go(void)
{
	int first;

	pthread_mutex_lock(&S.enter_lock);
	while (S.entered < S.conf.nthreads)
		pthread_cond_wait(&S.entered_cv, &S.enter_lock);
	pthread_mutex_unlock(&S.enter_lock);
	first = choose(-1);
	__atomic_store_n(&S.cur, first, __ATOMIC_RELAXED);
	S.log[S.nlog++] = (struct mt_sched_switch){ .step = 0, .to = (uint16_t)first };
	take_step(first, MT_PT_START, "start", NULL);
	sem_post(&S.t[first].go);
}

void mt_sched_exit(void)
{
	int me = mt_sched_self, next;
	bool blocked = false;

	S.t[me].state = ST_EXITED;
	take_step(me, MT_PT_EXIT, "exit", NULL);
	mt_sched_self = -1;
	next = choose(me);
	for (unsigned int i = 0; i < S.conf.nthreads; i++)
		blocked |= S.t[i].state == ST_BLOCKED;
	if (next < 0 && blocked)
		deadlocked();	/* it left while others wait for what it held */
	if (next >= 0)
		switch_to(me, next, false);
}

void mt_sched_snapshot(struct mt_sched_report *rep)
{
	const struct mt_sched_step *src = S.frozen;
	unsigned int n = S.nfrozen;

	memset(rep, 0, offsetof(struct mt_sched_report, trace));
	rep->steps = S.step;
	rep->preemptions = S.preemptions;
	rep->switches = S.switches;
	rep->hit_bound = S.hit_bound;
	rep->deadlock = S.deadlock;
	rep->first_problem_step = S.first_problem_step;
	rep->pairs = S.npairs;
	if (!src) {
		/* no problem: the run's last steps */
		n = S.nring < MT_SCHED_TRACE ? (unsigned int)S.nring : MT_SCHED_TRACE;
		for (unsigned int i = 0; i < n; i++)
			rep->trace[i] = S.ring[(S.nring - n + i) % MT_SCHED_TRACE];
	} else {
		memcpy(rep->trace, src, n * sizeof(*src));
	}
	rep->ntrace = n;
	rep->nswitches = S.nlog;
	rep->switch_log = malloc((S.nlog ? S.nlog : 1) * sizeof(*rep->switch_log));
	if (rep->switch_log)
		memcpy(rep->switch_log, S.log, S.nlog * sizeof(*S.log));
	else
		rep->nswitches = 0;
}

void mt_sched_finish(struct mt_sched_report *rep)
{
	if (rep)
		mt_sched_snapshot(rep);
	__atomic_store_n(&mt_sched_on, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&mt_step_now, 0, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < S.conf.nthreads; i++)
		sem_destroy(&S.t[i].go);
	free(S.frozen);
	S.frozen = NULL;
	run_buf_free(S.pairs, PAIRS_BYTES);
	S.pairs = NULL;
	run_buf_free(S.log, LOG_BYTES);
	S.log = NULL;
}
