// SPDX-License-Identifier: GPL-2.0-only
/*
 * inject.c - delay and allocation-failure injection; see inject.h.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
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

static void site_resolve(struct mt_window_site *site, unsigned int gen)
{
	pthread_mutex_lock(&site_lock);
	if (site->gen != gen) {
		int slot = -1;

		if (window_enabled(site->name)) {
			struct mt_region *r = mt_cur_region;
			uint32_t n = r ? __atomic_load_n(&r->nwindows, __ATOMIC_ACQUIRE) : 0;

			for (uint32_t i = 0; i < n && i < MT_MAX_WINDOWS; i++)
				if (!strcmp(r->windows[i].name, site->name))
					slot = (int)i;
			if (slot < 0)
				slot = mt_region_window_slot(site->name);
			if (slot < 0)	/* region full: still inject */
				slot = MT_MAX_WINDOWS;
		}
		__atomic_store_n(&site->sync, !strncmp(site->name, "sync-", 5), __ATOMIC_RELAXED);
		__atomic_store_n(&site->slot, slot, __ATOMIC_RELAXED);
		__atomic_store_n(&site->gen, gen, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&site_lock);
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
		sched_yield();
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

void __race_window(struct mt_window_site *site)
{
	unsigned int gen = __atomic_load_n(&inject_gen, __ATOMIC_ACQUIRE);
	struct mt_region *r;
	uint64_t threshold;
	int slot;

	if (mt_window_hook && !in_window_hook)
		run_window_hook(site->name);
	if (!mt_delay_threshold && !mt_sync_delay_threshold)
		return;
	if (unlikely(__atomic_load_n(&site->gen, __ATOMIC_ACQUIRE) != gen))
		site_resolve(site, gen);
	slot = __atomic_load_n(&site->slot, __ATOMIC_RELAXED);
	threshold = __atomic_load_n(&site->sync, __ATOMIC_RELAXED) ? mt_sync_delay_threshold :
								    mt_delay_threshold;
	if (slot < 0 || !threshold || !mt_random_chance(threshold))
		return;
	r = mt_cur_region;
	if (r && slot < MT_MAX_WINDOWS)
		__atomic_fetch_add(&r->windows[slot].hits, 1, __ATOMIC_RELAXED);
	mt_count(MT_DELAYS_INJECTED);
	mt_delay(delay_mode, delay_max_ns);
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
