// SPDX-License-Identifier: GPL-2.0-only
/*
 * inject.c - delay and allocation-failure injection; see inject.h.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "counters.h"
#include "inject.h"
#include "locks.h"
#include "prng.h"
#include "rcu.h"

uint64_t mt_delay_threshold;
uint64_t mt_sync_delay_threshold;
void (*mt_window_hook)(const char *window);
int mt_inject_active;
uint64_t mt_alloc_fail_threshold;
__thread uint64_t mt_fail_nth;

static uint64_t fail_nth_conf;		/* armed in each worker by mt_inject_thread_arm() */
static enum mt_delay_mode delay_mode = MT_DELAY_MIX;
static uint32_t delay_max_ns = 20000;
static char *enabled_windows;		/* ",a,b," or NULL for all */
static unsigned int inject_gen = 1;	/* ATOMIC: bumped by configure */
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;

const char *const mt_delay_mode_names[] = {
	[MT_DELAY_SPIN] = "spin",
	[MT_DELAY_YIELD] = "yield",
	[MT_DELAY_SLEEP] = "sleep",
	[MT_DELAY_MIX] = "mix",
	NULL,
};

const char *mt_delay_mode_name(enum mt_delay_mode m)
{
	return (unsigned int)m <= MT_DELAY_MIX ? mt_delay_mode_names[m] : "?";
}

int mt_delay_mode_lookup(const char *name)
{
	for (unsigned int i = 0; mt_delay_mode_names[i]; i++)
		if (!strcmp(mt_delay_mode_names[i], name))
			return (int)i;
	return -1;
}

int mt_inject_configure(const struct mt_inject_conf *conf)
{
	char *list = NULL;

	if (conf->windows[0]) {
		size_t n = strlen(conf->windows);

		list = malloc(n + 3);
		if (!list)
			return -1;
		list[0] = ',';
		memcpy(list + 1, conf->windows, n);
		list[n + 1] = ',';
		list[n + 2] = '\0';
	}
	pthread_mutex_lock(&site_lock);
	free(enabled_windows);
	enabled_windows = list;
	delay_mode = conf->delay_mode;
	delay_max_ns = conf->delay_max_ns ? conf->delay_max_ns : 1;
	mt_delay_threshold = mt_prob_threshold(conf->delay_prob);
	mt_sync_delay_threshold = mt_prob_threshold(mt_inject_sync_prob(conf));
	mt_inject_active = mt_delay_threshold || mt_sync_delay_threshold || mt_window_hook;
	mt_alloc_fail_threshold = mt_prob_threshold(conf->alloc_fail_prob);
	__atomic_store_n(&fail_nth_conf, conf->fail_nth, __ATOMIC_RELAXED);
	__atomic_fetch_add(&inject_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&site_lock);
	return 0;
}

void mt_inject_reset(void)
{
	struct mt_inject_conf off = { .delay_mode = MT_DELAY_MIX, .delay_max_ns = 20000 };

	mt_inject_configure(&off);
	mt_fail_nth = 0;
}

void mt_inject_thread_arm(void)
{
	mt_fail_nth = __atomic_load_n(&fail_nth_conf, __ATOMIC_RELAXED);
	/*
	 * A sleeping delay lasts as long as asked: the default timer slack
	 * (50 µs) would stretch a delay of a few microseconds four to eight
	 * times, and the thread would try that many fewer windows.
	 */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static bool window_enabled(const char *name)
{
	const char *p;
	size_t n = strlen(name);

	if (!enabled_windows)
		return true;
	for (p = strstr(enabled_windows, name); p; p = strstr(p + 1, name))
		if (p[-1] == ',' && p[n] == ',')
			return true;
	return false;
}

/* FNV-1a of the name, never 0 (0 marks an unused slot). */
static uint32_t window_key(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h ? h : 1;
}

/*
 * The slot of @name in the current region, claimed if new.  Called with
 * site_lock held: every claim of a window slot goes through here, so
 * that two sites of one name share one slot.
 * Return: the slot, or -1 (no region, or its table is full).
 */
static int window_slot_locked(const char *name, uint32_t key)
{
	struct mt_region *r = mt_cur_region;
	uint32_t n;
	int slot;

	if (!r)
		return -1;
	n = __atomic_load_n(&r->nwindows, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n && i < MT_MAX_WINDOWS; i++)
		if (__atomic_load_n(&r->windows[i].key, __ATOMIC_RELAXED) == key &&
		    !strcmp(r->windows[i].name, name))
			return (int)i;
	slot = mt_region_window_slot(name);
	if (slot >= 0)
		__atomic_store_n(&r->windows[slot].key, key, __ATOMIC_RELEASE);
	return slot;
}

void __race_window_register(struct mt_window_site *site)
{
	uint32_t key = window_key(site->name);
	int slot;

	pthread_mutex_lock(&site_lock);
	slot = window_slot_locked(site->name, key);
	__atomic_store_n(&site->key, key, __ATOMIC_RELAXED);
	__atomic_store_n(&site->slot, slot, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&site_lock);
	if (slot >= 0)
		mt_shard_add(mt_my_shard ? &mt_my_shard->window_passes[slot] : NULL,
			     &mt_cur_region->shards[0].window_passes[slot], 1);
}

int mt_coverage_require(const char *name)
{
	int slot;

	pthread_mutex_lock(&site_lock);
	slot = window_slot_locked(name, window_key(name));
	if (slot >= 0)
		mt_cur_region->windows[slot].required = 1;
	pthread_mutex_unlock(&site_lock);
	return slot >= 0 ? 0 : -1;
}

uint64_t mt_window_passes(const struct mt_region *r, unsigned int slot)
{
	uint64_t sum = 0;

	if (slot >= MT_MAX_WINDOWS)
		return 0;
	for (int i = 0; i < MT_MAX_SHARDS; i++)
		sum += __atomic_load_n(&r->shards[i].window_passes[slot], __ATOMIC_RELAXED);
	return sum;
}

static void site_resolve(struct mt_window_site *site, unsigned int gen)
{
	pthread_mutex_lock(&site_lock);
	if (site->gen != gen) {
		__atomic_store_n(&site->sync, !strncmp(site->name, "sync-", 5), __ATOMIC_RELAXED);
		__atomic_store_n(&site->enabled, window_enabled(site->name), __ATOMIC_RELAXED);
		__atomic_store_n(&site->gen, gen, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&site_lock);
}

/*
 * Objects freed so far by every thread of the job: the cache frees of
 * the shards in use, shard 0 (the call_rcu thread's) included.  Read
 * before and after a delay: a difference is another thread's free during
 * it, since the delayed thread frees nothing meanwhile.
 */
static uint64_t frees_so_far(const struct mt_region *r)
{
	uint32_t nc = __atomic_load_n(&r->ncaches, __ATOMIC_ACQUIRE);
	uint64_t sum = 0;

	if (nc > MT_MAX_CACHES)
		nc = MT_MAX_CACHES;
	for (int i = 0; i < MT_MAX_SHARDS; i++) {
		if (i && !__atomic_load_n(&r->shard_used[i], __ATOMIC_RELAXED))
			continue;
		for (uint32_t c = 0; c < nc; c++)
			sum += __atomic_load_n(&r->shards[i].cache_frees[c], __ATOMIC_RELAXED);
	}
	return sum;
}

static void spin_for(uint64_t ns)
{
	uint64_t end = mt_now_ns() + ns;

	while (mt_now_ns() < end)
		cpu_relax();
}

void mt_delay(enum mt_delay_mode mode, uint32_t max_ns)
{
	uint64_t ns = max_ns ? mt_random_below(max_ns) : 0;

	if (mode == MT_DELAY_MIX)
		mode = (enum mt_delay_mode)mt_random_below(3);
	switch (mode) {
	case MT_DELAY_SPIN:
		spin_for(ns);
		break;
	case MT_DELAY_YIELD:
		mt_off_cpu(true);	/* another thread may run a timeslice */
		sched_yield();
		mt_off_cpu(false);
		break;
	default: {
		struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
				       .tv_nsec = (long)(ns % 1000000000u) };
		/*
		 * Under qsbr a thread asleep while online holds up every grace
		 * period; inside a read-side section the sleep is part of it,
		 * as a reader delay should be.
		 */
		bool off = mt_block_begin();

		nanosleep(&ts, NULL);
		mt_block_done(off);
		break;
	}
	}
}

void mt_window_hook_set(void (*hook)(const char *window))
{
	mt_window_hook = hook;
	mt_inject_active = mt_delay_threshold || mt_sync_delay_threshold || hook;
}

/*
 * The hook plays another thread at this point of this one: the rule
 * checks must not see the interrupted code's read-side section or locks
 * as the hook's own (a munmap in the hook is not "blocking inside RCU").
 * They are set aside, not dropped: the read-side section is still real,
 * so a hook that waits for a grace period is refused (it would wait for
 * itself), and qsbr does not go offline under it.
 */
static __thread bool in_window_hook;	/* the hook's own windows do not re-enter it */

static void run_window_hook(const char *name)
{
	int locks = mt_lockdep_set_aside();
	int nesting = mt_rcu_nesting;

	in_window_hook = true;
	mt_rcu_hidden += nesting;
	mt_rcu_nesting = 0;
	mt_window_hook(name);
	mt_rcu_nesting = nesting;
	mt_rcu_hidden -= nesting;
	mt_lockdep_restore(locks, "window hook");
	in_window_hook = false;
}

/* Bring @site's sync and enabled flags up to the current injection config. */
static void site_refresh(struct mt_window_site *site)
{
	unsigned int gen = __atomic_load_n(&inject_gen, __ATOMIC_ACQUIRE);

	if (unlikely(__atomic_load_n(&site->gen, __ATOMIC_ACQUIRE) != gen))
		site_resolve(site, gen);
}

/*
 * A stretch in which other threads may run inside @site's window (a delay,
 * or the scheduler's turn to others): counted as a hit, and as an overlap
 * when some other thread freed meanwhile.
 */
struct window_stretch {
	struct mt_region *r;
	int slot;		/* -1: the region was reset under us, nothing counted */
	uint64_t frees;
};

static struct window_stretch stretch_begin(struct mt_window_site *site)
{
	struct window_stretch w = { .r = mt_cur_region, .slot = -1 };
	int slot = __atomic_load_n(&site->slot, __ATOMIC_ACQUIRE);

	if (w.r && slot >= 0 && __atomic_load_n(&w.r->windows[slot].key, __ATOMIC_RELAXED) ==
				__atomic_load_n(&site->key, __ATOMIC_RELAXED)) {
		w.slot = slot;
		__atomic_fetch_add(&w.r->windows[slot].hits, 1, __ATOMIC_RELAXED);
		w.frees = frees_so_far(w.r);
	}
	return w;
}

static void stretch_end(const struct window_stretch *w)
{
	if (w->slot >= 0 && frees_so_far(w->r) != w->frees)
		__atomic_fetch_add(&w->r->windows[w->slot].overlaps, 1, __ATOMIC_RELAXED);
}

void __race_window(struct mt_window_site *site)
{
	struct window_stretch w;
	uint64_t threshold;

	if (mt_window_hook && !in_window_hook)
		run_window_hook(site->name);
	if (!mt_delay_threshold && !mt_sync_delay_threshold)
		return;
	site_refresh(site);
	threshold = __atomic_load_n(&site->sync, __ATOMIC_RELAXED) ? mt_sync_delay_threshold :
								    mt_delay_threshold;
	if (!__atomic_load_n(&site->enabled, __ATOMIC_RELAXED) || !threshold ||
	    !mt_random_chance(threshold))
		return;
	w = stretch_begin(site);
	mt_count(MT_DELAYS_INJECTED);
	mt_delay(delay_mode, delay_max_ns);
	stretch_end(&w);
}

void __race_window_sched(struct mt_window_site *site)
{
	struct window_stretch w;

	site_refresh(site);
	w = stretch_begin(site);
	mt_sched_point(__atomic_load_n(&site->sync, __ATOMIC_RELAXED) ? MT_PT_SYNC : MT_PT_WINDOW,
		       site->name, NULL);
	stretch_end(&w);
}

bool __mt_should_fail_alloc(void)
{
	bool fail = false;

	if (mt_fail_nth) {
		if (--mt_fail_nth == 0)
			fail = true;
	}
	if (!fail && mt_random_chance(mt_alloc_fail_threshold))
		fail = true;
	if (fail)
		mt_count(MT_ALLOC_FAILS_INJECTED);
	return fail;
}
