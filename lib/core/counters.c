// SPDX-License-Identifier: GPL-2.0-only
/*
 * counters.c - the counter region: creation, registration, reporting and
 * summing.  See counters.h for the layout and the sharding rule.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "counters.h"

struct mt_region *mt_cur_region;
__thread struct mt_shard *mt_my_shard;
__thread unsigned int mt_my_shard_idx;

static const struct {
	const char *name;
	const char *desc;
	enum mt_counter_class cls;
} counter_table[MT_NCOUNTERS] = {
#define X(id, n, d) [MT_##id] = { n, d, MT_CLASS_RACE },
	MT_RACE_KINDS(X)
#undef X
#define X(id, n, d) [MT_##id] = { n, d, MT_CLASS_LEAK },
	MT_LEAK_KINDS(X)
#undef X
#define X(id, n, d) [MT_##id] = { n, d, MT_CLASS_INFO },
	MT_INFO_KINDS(X)
#undef X
};

const char *mt_phase_name(uint32_t phase)
{
	static const char *const names[] = {
		[MT_PHASE_NONE] = "start", [MT_PHASE_INIT] = "init",
		[MT_PHASE_RUNNING] = "running", [MT_PHASE_AUDIT] = "audit",
		[MT_PHASE_TEARDOWN] = "teardown", [MT_PHASE_DONE] = "done",
		[MT_PHASE_ERROR] = "error",
	};

	return phase < ARRAY_SIZE(names) && names[phase] ? names[phase] : "unknown";
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mt_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t mt_thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

const char *mt_counter_name(enum mt_counter c)
{
	return (unsigned int)c < MT_NCOUNTERS ? counter_table[c].name : "?";
}

const char *mt_counter_desc(enum mt_counter c)
{
	return (unsigned int)c < MT_NCOUNTERS ? counter_table[c].desc : "?";
}

enum mt_counter_class mt_counter_class(enum mt_counter c)
{
	return counter_table[c].cls;
}

int mt_counter_lookup(const char *name)
{
	for (int i = 0; i < MT_NCOUNTERS; i++)
		if (!strcmp(counter_table[i].name, name))
			return i;
	return -1;
}

struct mt_region *mt_region_create(bool shared)
{
	struct mt_region *r;
	int flags = MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, flags, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	mt_region_reset(r);
	return r;
}

void mt_region_destroy(struct mt_region *r)
{
	if (!r)
		return;
	if (mt_cur_region == r)
		mt_cur_region = NULL;
	munmap(r, sizeof(*r));
}

void mt_region_reset(struct mt_region *r)
{
	memset(r, 0, sizeof(*r));
	r->magic = MT_REGION_MAGIC;
	r->version = MT_REGION_VERSION;
	r->size = sizeof(*r);
	r->t_start_ns = mt_now_ns();
	for (int i = 0; i < MT_MAX_SHARDS; i++)
		r->shard_node[i] = -1;
}

void mt_region_use(struct mt_region *r)
{
	mt_cur_region = r;
}

void mt_counters_attach(unsigned int shard, int node)
{
	struct mt_region *r = mt_cur_region;

	if (!r || shard == 0 || shard >= MT_MAX_SHARDS)
		return;
	r->shard_node[shard] = node;
	__atomic_store_n(&r->shard_used[shard], 1, __ATOMIC_RELEASE);
	mt_my_shard = &r->shards[shard];
	mt_my_shard_idx = shard;
}

void mt_counters_detach(void)
{
	mt_my_shard = NULL;
	mt_my_shard_idx = 0;
}

unsigned int mt_counters_shard(void)
{
	return mt_my_shard_idx;
}

void mt_note_first(enum mt_counter c)
{
	struct mt_region *r = mt_cur_region;
	uint64_t expect = 0, now = mt_now_ns() - r->t_start_ns;

	if (!now)
		now = 1;
	__atomic_compare_exchange_n(&r->first_ns[c], &expect, now, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

uint64_t mt_problem_reports;
uint64_t mt_step_now;

void mt_vreport(enum mt_counter c, const char *where, const char *fmt,
		va_list ap)
{
	struct mt_region *r = mt_cur_region;
	struct mt_event *ev;
	uint64_t idx;

	if (!r)
		return;
	mt_count(c);
	if (mt_counter_class(c) != MT_CLASS_INFO)
		__atomic_fetch_add(&mt_problem_reports, 1, __ATOMIC_RELAXED);
	idx = __atomic_fetch_add(&r->nevents, 1, __ATOMIC_RELAXED);
	if (idx >= MT_MAX_EVENTS)
		return;
	ev = &r->events[idx];
	ev->t_ns = mt_now_ns() - r->t_start_ns;
	ev->step = __atomic_load_n(&mt_step_now, __ATOMIC_RELAXED);
	ev->kind = c;
	ev->thread = (int32_t)mt_my_shard_idx;
	snprintf(ev->where, sizeof(ev->where), "%s", where ? where : "");
	vsnprintf(ev->what, sizeof(ev->what), fmt, ap);
	__atomic_store_n(&ev->ready, 1, __ATOMIC_RELEASE);
}

void mt_report(enum mt_counter c, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mt_vreport(c, where, fmt, ap);
	va_end(ap);
}

uint64_t mt_counter_read(const struct mt_region *r, enum mt_counter c)
{
	uint64_t sum = 0;

	for (int i = 0; i < MT_MAX_SHARDS; i++)
		sum += __atomic_load_n(&r->shards[i].c[c], __ATOMIC_RELAXED);
	return sum;
}

uint64_t mt_ops_read(const struct mt_region *r, unsigned int op)
{
	uint64_t sum = 0;

	for (int i = 0; i < MT_MAX_SHARDS; i++)
		sum += __atomic_load_n(&r->shards[i].ops[op], __ATOMIC_RELAXED);
	return sum;
}

uint64_t mt_ops_read_node(const struct mt_region *r, unsigned int op, int node)
{
	uint64_t sum = 0;

	for (int i = 0; i < MT_MAX_SHARDS; i++)
		if (r->shard_node[i] == node)
			sum += __atomic_load_n(&r->shards[i].ops[op],
					       __ATOMIC_RELAXED);
	return sum;
}

uint64_t mt_ops_total(const struct mt_region *r)
{
	uint64_t sum = 0;

	for (unsigned int op = 0; op < MT_MAX_OPS; op++)
		sum += mt_ops_read(r, op);
	return sum;
}

static uint64_t sum_cache(const struct mt_region *r, size_t off, unsigned int slot)
{
	uint64_t sum = 0;

	for (int i = 0; i < MT_MAX_SHARDS; i++) {
		const uint64_t *v = (const uint64_t *)((const char *)&r->shards[i] + off);

		sum += __atomic_load_n(&v[slot], __ATOMIC_RELAXED);
	}
	return sum;
}

int64_t mt_cache_live(const struct mt_region *r, unsigned int slot)
{
	return (int64_t)(sum_cache(r, offsetof(struct mt_shard, cache_allocs), slot) -
			 sum_cache(r, offsetof(struct mt_shard, cache_frees), slot));
}

uint64_t mt_cache_allocs(const struct mt_region *r, unsigned int slot)
{
	return sum_cache(r, offsetof(struct mt_shard, cache_allocs), slot);
}

uint64_t mt_cache_remote_frees(const struct mt_region *r, unsigned int slot)
{
	return sum_cache(r, offsetof(struct mt_shard, cache_remote_frees), slot);
}

static uint64_t class_total(const struct mt_region *r, enum mt_counter_class cls)
{
	uint64_t sum = 0;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (counter_table[c].cls == cls)
			sum += mt_counter_read(r, c);
	return sum;
}

uint64_t mt_races_total(const struct mt_region *r)
{
	return class_total(r, MT_CLASS_RACE);
}

uint64_t mt_leaks_total(const struct mt_region *r)
{
	return class_total(r, MT_CLASS_LEAK);
}

/*
 * Slots are claimed under slot_lock, and a slot's name is written before
 * the count that publishes it (release), so that a reader in this or
 * another process never sees a counted slot without its name.  They are
 * never given back within a job: caches of the same name share a slot
 * (their metrics are reported by name), and a cache destroyed and created
 * again under its name reuses it.
 */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

int mt_region_cache_slot(const char *name, bool typesafe)
{
	struct mt_region *r = mt_cur_region;
	int slot = -1;
	uint32_t n;

	if (!r)
		return -1;
	pthread_mutex_lock(&slot_lock);
	n = r->ncaches;
	for (uint32_t i = 0; i < n && i < MT_MAX_CACHES; i++)
		if (!strncmp(r->caches[i].name, name, MT_NAME_LEN - 1)) {
			r->caches[i].destroyed = 0;
			r->caches[i].typesafe = typesafe;
			slot = (int)i;
			goto out;
		}
	if (n < MT_MAX_CACHES) {
		snprintf(r->caches[n].name, MT_NAME_LEN, "%s", name);
		r->caches[n].typesafe = typesafe;
		__atomic_store_n(&r->ncaches, n + 1, __ATOMIC_RELEASE);
		slot = (int)n;
	}
out:
	pthread_mutex_unlock(&slot_lock);
	return slot;
}

void mt_region_set_unmet(const char *fmt, ...)
{
	va_list ap;

	if (!mt_cur_region || mt_cur_region->unmet[0])
		return;	/* the first reason stands */
	va_start(ap, fmt);
	vsnprintf(mt_cur_region->unmet, sizeof(mt_cur_region->unmet), fmt, ap);
	va_end(ap);
}

void mt_region_add_note(const char *fmt, ...)
{
	struct mt_region *r = mt_cur_region;
	size_t off;
	va_list ap;

	if (!r)
		return;
	off = strlen(r->note);
	if (off && off + 2 < sizeof(r->note))
		off += (size_t)snprintf(r->note + off, sizeof(r->note) - off, "; ");
	if (off >= sizeof(r->note) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->note + off, sizeof(r->note) - off, fmt, ap);
	va_end(ap);
}

void mt_region_set_error(const char *fmt, ...)
{
	va_list ap;

	if (!mt_cur_region)
		return;
	va_start(ap, fmt);
	vsnprintf(mt_cur_region->error, sizeof(mt_cur_region->error), fmt, ap);
	va_end(ap);
}

int mt_region_window_slot(const char *name)
{
	struct mt_region *r = mt_cur_region;
	int slot = -1;
	uint32_t n;

	if (!r)
		return -1;
	pthread_mutex_lock(&slot_lock);
	n = r->nwindows;
	if (n < MT_MAX_WINDOWS) {
		snprintf(r->windows[n].name, sizeof(r->windows[n].name), "%s", name);
		__atomic_store_n(&r->nwindows, n + 1, __ATOMIC_RELEASE);
		slot = (int)n;
	}
	pthread_mutex_unlock(&slot_lock);
	return slot;
}

void mt_region_set_op_names(struct mt_region *r, const char *const *names,
			    unsigned int n)
{
	if (n > MT_MAX_OPS)
		n = MT_MAX_OPS;
	for (unsigned int i = 0; i < n; i++)
		snprintf(r->op_names[i], MT_NAME_LEN, "%s", names[i]);
	r->nops = n;
}
