// SPDX-License-Identifier: GPL-2.0-only
/*
 * engine.c - one job, in this process: see engine.h and workload.h.
 *
 * Threads: the calling thread becomes the control thread (shard
 * nthreads+1); workers get shards 1..nthreads.  Quiesce points: the
 * control thread raises park_req; each worker parks in wl_continue()
 * (offline under qsbr) and the control thread waits until every running
 * worker is parked, then runs rcu_barrier() so that deferred frees have
 * landed, then audits, then releases the workers.
 *
 * Lock ordering: eng.lock only; nothing is taken under it.
 *
 * The two flags the workers poll between operations:
 *   park_req  set (release) by quiesce() before it waits on eng.lock,
 *             cleared by resume() under eng.lock; wl_continue() reads it
 *             without the lock (acquire), park() again under the lock
 *             before every wait, so a clear and its broadcast are never
 *             missed.
 *   stop      set (release) by finish() and by a start that failed; read
 *             (acquire) by wl_continue().  Nothing else is published with
 *             it: the joins that follow order the rest.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/counters.h"
#include "core/locks.h"
#include "core/prng.h"
#include "core/rcu.h"
#include "core/rcu_sched.h"
#include "core/sched.h"
#include "core/slab.h"
#include "core/thread.h"
#include "lib/engine/engine.h"
#include "lib/engine/runs.h"

#define TICK_NS		(10 * 1000 * 1000ull)
#define PARK_TIMEOUT_S	20

static struct {
	int stop;			/* ATOMIC: workers leave their loops; pairs above */
	int park_req;			/* ATOMIC: workers park at wl_continue(); pairs above */
	unsigned int parked;		/* protected by lock */
	unsigned int running;		/* protected by lock */
	pthread_mutex_t lock;
	pthread_cond_t cv_parked;	/* a worker parked or exited */
	pthread_cond_t cv_resume;
	uint64_t t0;
	struct wl_ctx ctx;
	bool scheduled;			/* a controlled scheduler runs the workers */
	int sched_cpu;			/* ... all on this CPU, or -1 */
	unsigned int run_ops;		/* operations per worker in this run; 0: no bound */
	struct mt_sched_report *rep;	/* the scheduled run's report */
} eng = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cv_parked = PTHREAD_COND_INITIALIZER,
	.cv_resume = PTHREAD_COND_INITIALIZER,
};

static volatile sig_atomic_t stop_requested;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

/* cv_parked times out on CLOCK_MONOTONIC: a change of the wall clock is no hang */
static void use_monotonic_clock(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_destroy(&eng.cv_parked);
	pthread_cond_init(&eng.cv_parked, &a);
	pthread_condattr_destroy(&a);
}

void mt_job_request_stop(void)
{
	stop_requested = 1;
}

uint64_t wl_elapsed_ns(const struct wl_ctx *ctx)
{
	return mt_now_ns() - eng.t0;
}

static void park(void)
{
	rcu_thread_offline();
	pthread_mutex_lock(&eng.lock);
	eng.parked++;
	pthread_cond_broadcast(&eng.cv_parked);
	while (__atomic_load_n(&eng.park_req, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&eng.cv_resume, &eng.lock);
	eng.parked--;
	pthread_mutex_unlock(&eng.lock);
	rcu_thread_online();
}

bool wl_continue(struct wl_thread *t)
{
	rcu_quiescent_state();
	mt_lockdep_assert_none_held("wl_continue");
	if (unlikely(eng.run_ops) && t->ops_done++ >= eng.run_ops)
		return false;
	if (eng.scheduled)
		return !mt_sched_stopping();
	if (unlikely(__atomic_load_n(&eng.park_req, __ATOMIC_ACQUIRE)))
		park();
	return !__atomic_load_n(&eng.stop, __ATOMIC_ACQUIRE);
}

unsigned int wl_pick_role(struct wl_thread *t)
{
	const struct wl_mix *m = t->ctx->mix;
	uint32_t x;

	if (!m->total)
		return 0;
	x = mt_random_below(m->total);
	for (unsigned int i = 0; i < m->nroles; i++) {
		if (x < m->weight[i])
			return i;
		x -= m->weight[i];
	}
	return m->nroles - 1;
}

struct worker_arg {
	struct wl_thread t;
	pthread_t tid;
	uint64_t seed;
};

static void bind_to_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * A scheduled thread's last step: what it still holds of the slab goes back
 * while it is the one thread running.  Given back after mt_sched_exit(),
 * in mt_thread_leave(), it would race with the next thread's allocations,
 * and the run would no longer follow from its seed alone.
 */
static void scheduled_exit(void)
{
	mt_slab_thread_leave();
	mt_sched_exit();
}

/* The scheduled run's RCU callback thread: the scheduler's thread number n. */
static void *callbacks_main(void *p)
{
	unsigned int n = eng.ctx.nthreads;

	bind_to_cpu(eng.sched_cpu);
	mt_thread_enter(n + 2, 0, 0);
	mt_sched_enter(n);
	mt_rcu_sched_callbacks();
	scheduled_exit();
	mt_thread_leave();
	return NULL;
}

static void *worker_main(void *p)
{
	struct worker_arg *a = p;

	/*
	 * Under the controlled scheduler one thread runs at a time: every
	 * thread of the run shares one CPU, so that a hand-over (a sem_post()
	 * and a sem_wait()) switches threads on that CPU rather than waking
	 * one on another, an interrupt away -- several times cheaper, and a
	 * run is thousands of hand-overs.
	 */
	bind_to_cpu(eng.scheduled ? eng.sched_cpu : a->t.cpu);
	mt_thread_enter(a->t.idx + 1, a->t.node, a->seed);
	if (eng.scheduled) {
		mt_sched_enter(a->t.idx);
		a->t.ctx->wl->run(&a->t);
		mt_rcu_sched_worker_done();
		scheduled_exit();
	} else {
		a->t.ctx->wl->run(&a->t);
	}
	mt_thread_leave();

	pthread_mutex_lock(&eng.lock);
	eng.running--;
	pthread_cond_broadcast(&eng.cv_parked);
	pthread_mutex_unlock(&eng.lock);
	return NULL;
}

static void set_phase(struct mt_region *r, enum mt_phase ph)
{
	__atomic_store_n(&r->phase, (uint32_t)ph, __ATOMIC_RELEASE);
}

static int harness_error(struct mt_region *r, const char *fmt, ...) __printf(2, 3);
static int harness_error(struct mt_region *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	set_phase(r, MT_PHASE_ERROR);
	return -1;
}

/*
 * Park every running worker.  Return: 0, or -1 if some worker did not
 * reach a quiesce point in time (it is stuck: a hang).
 */
static int quiesce(void)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += PARK_TIMEOUT_S;
	__atomic_store_n(&eng.park_req, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&eng.lock);
	while (eng.parked < eng.running && !rc)
		rc = pthread_cond_timedwait(&eng.cv_parked, &eng.lock, &until);
	pthread_mutex_unlock(&eng.lock);
	return rc ? -1 : 0;
}

static void resume(void)
{
	pthread_mutex_lock(&eng.lock);
	__atomic_store_n(&eng.park_req, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&eng.cv_resume);
	pthread_mutex_unlock(&eng.lock);
}

static void audit(struct mt_region *r)
{
	set_phase(r, MT_PHASE_AUDIT);
	rcu_barrier();
	if (eng.ctx.wl->audit)
		eng.ctx.wl->audit(&eng.ctx);
	mt_count(MT_AUDITS);
	set_phase(r, MT_PHASE_RUNNING);
}

static bool region_fired(void *arg, enum mt_counter c, const char *cache, double *first_s)
{
	const struct mt_region *r = arg;

	*first_s = (double)__atomic_load_n(&r->first_ns[c], __ATOMIC_RELAXED) / 1e9;
	if (c == MT_LEAKED_OBJECTS && cache) {
		for (uint32_t i = 0; i < r->ncaches && i < MT_MAX_CACHES; i++)
			if (!strcmp(r->caches[i].name, cache) && r->caches[i].leaked)
				return true;
		return false;
	}
	return mt_counter_read(r, c) > 0;
}

bool mt_job_expectation_met(const struct mt_job *job, const struct mt_region *r, bool all)
{
	return mt_bugs_expectation(job->bugs, all ? MT_EXPECT_EVERY : MT_EXPECT_SOME, region_fired,
				   (void *)r, NULL, NULL) == 1;
}

/* Can a detect job stop now: will its verdict find the expectation met? */
static bool detected_so_far(const struct mt_job *job, const struct mt_region *r)
{
	return mt_bugs_expectation(job->bugs, MT_EXPECT_SO_FAR, region_fired, (void *)r, NULL,
				   NULL) == 1;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

/* Start @n workers placed by the job's plan.  Return: how many started. */
static unsigned int start_workers(struct mt_job *job, struct worker_arg *w, unsigned int n,
				  uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++) {
		w[i].t.ctx = &eng.ctx;
		w[i].t.idx = i;
		w[i].t.node = job->plan.thread[i].node;
		w[i].t.cpu = job->plan.bind ? job->plan.thread[i].cpu : -1;
		w[i].seed = seed;
		pthread_mutex_lock(&eng.lock);
		eng.running++;
		pthread_mutex_unlock(&eng.lock);
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			pthread_mutex_lock(&eng.lock);
			eng.running--;
			pthread_mutex_unlock(&eng.lock);
			return i;
		}
	}
	return n;
}

/*
 * The control thread while the workers run: the runtime, a detect job's
 * early stop, audits and stutter at quiesce points.  Return: 0 at the end
 * of the run, -1 on a hang (a harness error, said in @r).
 */
static int control_loop(const struct mt_job *job, struct mt_region *r)
{
	uint64_t now = mt_now_ns() - eng.t0;
	uint64_t next_audit = job->audit_interval_ns ? now + job->audit_interval_ns : UINT64_MAX;
	uint64_t next_stutter = job->stutter_ns ? now + job->stutter_ns : UINT64_MAX;

	for (;;) {
		rcu_quiescent_state();
		now = mt_now_ns() - eng.t0;
		/* the final audit, after the loop, is one of min_audits */
		if (stop_requested || (job->runtime_ns && now >= job->runtime_ns &&
				       mt_counter_read(r, MT_AUDITS) + 1 >= job->min_audits))
			return 0;
		if (job->expect == MT_JOB_EXPECT_DETECT && job->stop_on_detect &&
		    detected_so_far(job, r))
			return 0;
		if (eng.run_ops && !__atomic_load_n(&eng.running, __ATOMIC_ACQUIRE))
			return 0;	/* every worker did its operations */
		if (now < next_audit && now < next_stutter) {
			rcu_thread_offline();
			sleep_ns(TICK_NS);
			rcu_thread_online();
			continue;
		}
		if (quiesce()) {
			resume();
			return harness_error(r, "a worker did not reach a quiesce point in %ds (hang)",
					     PARK_TIMEOUT_S);
		}
		mt_count(MT_STUTTERS);
		if (now >= next_audit) {
			audit(r);
			next_audit = mt_now_ns() - eng.t0 + job->audit_interval_ns;
		}
		if (now >= next_stutter) {
			/* stutter: hold the workers a moment, then release them together */
			rcu_thread_offline();
			sleep_ns(TICK_NS);
			rcu_thread_online();
			next_stutter = mt_now_ns() - eng.t0 + job->stutter_ns;
		}
		resume();
	}
}

/* The workers leave their loops; the final audit and teardown count the leaks. */
static void finish(const struct mt_job *job, struct mt_region *r, struct worker_arg *w,
		   unsigned int n, bool audit_last)
{
	__atomic_store_n(&eng.stop, 1, __ATOMIC_RELEASE);
	resume();
	rcu_thread_offline();
	for (unsigned int i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	rcu_thread_online();
	__atomic_store_n(&r->t_end_ns, mt_now_ns() - eng.t0, __ATOMIC_RELEASE);
	if (audit_last)
		audit(r);
	set_phase(r, MT_PHASE_TEARDOWN);
	rcu_barrier();
	if (job->wl->teardown)
		job->wl->teardown(&eng.ctx);
	rcu_barrier();
}

/* The world is built: the job's own settings for the engine's context. */
static void context_init(struct mt_job *job, uint64_t seed)
{
	memset(&eng.ctx, 0, sizeof(eng.ctx));
	eng.ctx.wl = job->wl;
	eng.ctx.job = job;
	eng.ctx.opts = job->wl_opts;
	eng.ctx.mix = &job->mix;
	eng.ctx.nthreads = job->threads;
	eng.ctx.seed = seed;
	eng.stop = 0;
	eng.park_req = 0;
	eng.parked = 0;
	eng.running = 0;
}

/* A scheduled run's scheduler, set up before any of its threads starts. */
static int scheduled_start(const struct mt_job *job, unsigned int n)
{
	struct mt_sched_conf c = {
		.mode = (enum mt_sched_mode)job->sched, .seed = eng.ctx.seed,
		.nthreads = n + 1, .depth = job->pct_depth, .steps = job->pct_steps,
		.max_steps = job->run_steps ? job->run_steps : MT_RUN_STEPS_DEFAULT,
		.guide = mt_sched_guide, .nguide = mt_sched_nguide,
	};

	if (mt_sched_guide)
		c.mode = MT_SCHED_GUIDED;
	if (mt_sched_start(&c))
		return -1;
	eng.sched_cpu = sched_getcpu();
	mt_rcu_sched_begin(n);
	return 0;
}

/*
 * A scheduled run: the workers and the callback thread take turns under
 * the controlled scheduler until every one has left.
 */
static int scheduled_loop(void)
{
	pthread_t cb;

	if (pthread_create(&cb, NULL, callbacks_main, NULL))
		return -1;
	mt_sched_go();
	rcu_thread_offline();
	pthread_join(cb, NULL);
	rcu_thread_online();
	return 0;
}

int mt_run_world(struct mt_job *job, struct mt_region *r, uint64_t seed, bool scheduled,
		 struct mt_sched_report *rep)
{
	unsigned int n = job->threads, started;
	struct worker_arg *w;
	int rc = 0, err;

	context_init(job, seed);
	eng.scheduled = scheduled;
	eng.run_ops = job->run_ops;
	mt_thread_enter(n + 1, job->plan.nnodes ? job->plan.nodes[0] : 0, seed);
	r->t_start_ns = mt_now_ns();
	eng.t0 = r->t_start_ns;
	if (job->wl->init && (err = job->wl->init(&eng.ctx))) {
		char why[sizeof(r->error)];

		/* the workload's own words (mt_region_set_error()), or the errno */
		snprintf(why, sizeof(why), "%s", r->error[0] ? r->error : strerror(err < 0 ? -err : err));
		if (eng.ctx.priv && job->wl->teardown)
			job->wl->teardown(&eng.ctx);
		mt_thread_leave();
		return harness_error(r, "workload %s: init failed: %s", job->wl->name, why);
	}
	/*
	 * Injection starts with the torture, not before: the world init
	 * builds is set-up, and a failure there would end the job as an
	 * ERROR before any protocol ran.  Workers arm fail_nth as they enter.
	 */
	mt_inject_configure(&job->inject);
	if (scheduled && scheduled_start(job, n)) {
		mt_thread_leave();
		return harness_error(r, "cannot set up the scheduler");
	}
	w = calloc(n, sizeof(*w));
	started = w ? start_workers(job, w, n, seed) : 0;
	if (started < n) {
		__atomic_store_n(&eng.stop, 1, __ATOMIC_RELEASE);
		rc = w ? harness_error(r, "cannot start worker %u", started) :
			 harness_error(r, "out of memory");
	} else {
		set_phase(r, MT_PHASE_RUNNING);
		rc = scheduled ? scheduled_loop() : control_loop(job, r);
		if (rc && scheduled)
			rc = harness_error(r, "cannot start the scheduled run");
	}
	if (scheduled && !rc) {
		/* every scheduled thread has left once the callback thread has */
		for (unsigned int i = 0; i < n; i++)
			pthread_join(w[i].tid, NULL);
		mt_sched_finish(rep);
		started = 0;
	}
	finish(job, r, w, started, !rc);
	free(w);
	mt_thread_leave();
	mt_inject_reset();
	eng.scheduled = false;
	eng.run_ops = 0;
	return rc;
}

int mt_job_execute(struct mt_job *job, struct mt_region *r)
{
	unsigned int n = job->threads;
	uint64_t seed;
	int rc, err;
	bool runs = job->runs > 1 || job->sched != MT_SCHED_FREE;

	pthread_once(&clock_once, use_monotonic_clock);
	mt_region_reset(r);
	mt_region_use(r);
	set_phase(r, MT_PHASE_INIT);
	seed = mt_job_seed(job);
	r->seed = seed;
	r->nthreads = n;
	/* stop_requested is not reset here: a stop asked before the start is kept */
	mt_region_set_op_names(r, job->wl->roles, wl_nroles(job->wl));
	if (n < 1 || n > MT_MAX_THREADS)
		return harness_error(r, "threads=%u out of range 1..%d", n, MT_MAX_THREADS);
	err = mt_rcu_set_flavor(mt_job_rcu(job));
	if (err)
		return harness_error(r, "cannot switch to RCU flavor %s: %s",
				     mt_rcu_flavor_name(job->rcu), strerror(-err));
	mt_bugs_enabled = job->bugs;
	rc = runs ? mt_runs_execute(job, r) : mt_run_world(job, r, seed, false, NULL);
	mt_bugs_enabled = 0;
	stop_requested = 0;	/* for the next job of this process */
	if (!rc)
		set_phase(r, MT_PHASE_DONE);
	return rc;
}

bool mt_job_stop_requested(void)
{
	return stop_requested;
}
