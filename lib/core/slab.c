// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab.c - slab caches over a NUMA-local page pool; see slab.h.
 *
 * Lock ordering:
 *   caches_lock
 *     kmem_cache->lock
 *       pool.lock
 *
 * Per-thread slabs.  As SLUB serves most allocations from a per-CPU slab
 * without the node's list_lock, each worker thread (one with a counter
 * shard) holds per cache one page of its node, frozen: the page's free
 * objects are on the thread's own freelist, and the thread allocates from
 * it and frees its objects back to it without the cache's lock.  A free by
 * another thread goes to the page's own freelist under the lock, from
 * where the owner takes them all when its freelist runs dry; a page with
 * neither is unfrozen onto the full list and another page is frozen.  A
 * frozen page never empties (it is nobody else's to release), so a
 * typesafe object still leaves its cache only after its page's grace
 * period; every other page empties, and changes hands, as before.  A
 * worker holds one frozen page per node (the models place pages on nodes
 * by policy), and a ring of freed objects that wait: a SLAB_POISON
 * cache's quarantine, or a plain cache's frees to pages not its own; the
 * ring gives its oldest back RING_BATCH at a time under one lock.  Typesafe
 * caches have no per-thread slabs (this_cpu_slab() says why).  The frozen
 * pages are unfrozen when their thread leaves (mt_slab_thread_leave()) and
 * at kmem_cache_destroy(); the live count is the cache's plus each
 * thread's, exact at a quiesce point.
 *
 * Fields read by lockless readers (obj_check() and friends) are written
 * with atomic stores and read with atomic loads: page->cache_id,
 * page->state, page->stride, page->first, and each object header's state
 * and gen.  Everything else is protected by the cache's lock (a page on a
 * cache's lists) or by pool.lock (a page in the pool).
 */
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "counters.h"
#include "inject.h"
#include "rcu.h"
#include "slab.h"
#include "thread.h"

#define SLAB_PAGE_MAGIC		0x736c6162u	/* "slab" */
#define CHUNK_SHIFT		21
#define CHUNK_SIZE		(1u << CHUNK_SHIFT)	/* 2 MiB, aligned */
#define MAX_CHUNKS		4096		/* 8 GiB of slab pages */
#define FRAME_TAB		(2 * MAX_CHUNKS)	/* power of two, half full at most */
#define QUARANTINE_OBJS		1024	/* per cache, and per worker thread */
#define RING_BATCH		16	/* a thread's waiting objects given back at a time */
#define GEN_BLOCK		64	/* generations a thread draws at a time */

enum page_state { PAGE_POOL = 1, PAGE_ACTIVE, PAGE_RCU };
enum page_list_id { LIST_NONE, LIST_PARTIAL, LIST_FULL, LIST_CPU /* frozen: a thread's */ };
enum obj_hdr_state { OBJ_STATE_FREE = 0xf7, OBJ_STATE_LIVE = 0xa1 };

struct obj_hdr {
	uint16_t cache_id;		/* ATOMIC */
	uint8_t state;			/* ATOMIC: OBJ_STATE_* (LIVE to FREE by compare-and-swap) */
	uint8_t node;			/* node of the allocating thread */
	uint32_t gen;			/* ATOMIC */
	struct obj_hdr *next_free;	/* protected by cache->lock */
};
_Static_assert(sizeof(struct obj_hdr) == 16, "object header is 16 bytes");

/*
 * Freed objects that wait before they go back to their pages, oldest
 * first: a quarantine (SLAB_POISON), or a worker's frees of a plain cache
 * to pages not its own.
 */
struct obj_ring {
	struct obj_hdr **slot;
	uint32_t cap, head, count;
};

/*
 * A thread's slab of one cache: written by its thread only (and under the
 * cache's lock by destroy, when no thread uses the cache), except @live,
 * which kmem_cache_live() reads.
 */
struct slab_cpu {
	long live;			/* ATOMIC: allocations - frees through it */
	uint32_t gen_next, gen_left;	/* a block of the cache's generations */
	struct {
		struct slab_page *page;		/* frozen (LIST_CPU), or NULL */
		struct obj_hdr *freelist;	/* free objects of ->page, the owner's */
	} node[MT_MAX_NODES];
	struct obj_ring ring;		/* its slots follow the struct */
};

/*
 * The first cache line is what every checked load reads and only a page's
 * (re)assignment writes; what each alloc and free writes is on the next,
 * so that the checks of one CPU do not miss on the frees of another.
 */
struct slab_page {
	union {
		struct {
			uint32_t magic;
			uint16_t cache_id;	/* ATOMIC: owner, 0 in the pool */
			uint8_t state;		/* ATOMIC: enum page_state */
			uint8_t node;
		};
		uint64_t id_word;	/* ATOMIC: the four in one load (obj_check_page()) */
	};
	uint32_t stride;		/* ATOMIC */
	uint32_t first;			/* ATOMIC: offset of object 0 */
	uint32_t nobj;
	struct kmem_cache *cache;
	_Alignas(64) uint32_t inuse;	/* protected by cache->lock */
	uint8_t list;			/* enum page_list_id */
	struct obj_hdr *freelist;	/* protected by cache->lock */
	struct slab_page *next, *prev;	/* cache list, or pool list */
	struct rcu_head rcu;
};
_Static_assert(offsetof(struct slab_page, node) + sizeof(uint8_t) == sizeof(uint64_t),
	       "id_word is magic, cache_id, state and node, nothing else");

struct page_list {
	struct slab_page *head;
	unsigned long nr;
};

struct kmem_cache {
	char name[MT_NAME_LEN];
	uint16_t id;
	int slot;			/* counter region cache slot */
	size_t size;
	uint32_t stride;
	uint32_t objs_per_page;
	uint32_t recip;			/* slot_recip(stride), as SLUB's reciprocal_size
					 * (obj_to_index()): the slot check of its pages */
	uint64_t page_word;		/* a page of this cache's id_word, node masked */
	unsigned long flags;
	void (*ctor)(void *);
	/* above: read-mostly, what every check reads; below: what alloc and free write */
	_Alignas(64) pthread_mutex_t lock;
	struct page_list partial[MT_MAX_NODES];	/* protected by ->lock */
	struct page_list full;			/* protected by ->lock */
	uint32_t nempty[MT_MAX_NODES];		/* protected by ->lock */
	uint32_t gen_seq;			/* ATOMIC */
	bool drop_empty;			/* typesafe: keep no empty page (kmem_cache_keep_empty()) */
	long live;				/* protected by ->lock */
	struct obj_ring quarantine;		/* protected by ->lock; SLAB_POISON */
	uint32_t ring_cap;			/* a thread's ring: quarantine, or deferred frees */
	struct slab_cpu *cpus[MT_MAX_SHARDS];	/* by shard; set under ->lock */
	struct kmem_cache *next_cache;		/* protected by caches_lock */
};

static struct {
	pthread_mutex_t lock;
	struct slab_page *free[MT_MAX_NODES];	/* LIFO: freed pages reused first */
	unsigned long nfree;
	unsigned long ntotal;
	unsigned long numa_chunks;
	char *chunks[MAX_CHUNKS];		/* each CHUNK_SIZE, for the release */
	unsigned int nchunks;
	uintptr_t frames[FRAME_TAB];		/* ATOMIC: chunk frame + 1, 0 = empty */
	unsigned long gen;			/* ATOMIC: bumped when chunks are unmapped */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmem_cache *caches;
static uint16_t next_cache_id = 1;

static inline int node_index(int node)
{
	return node < 0 || node >= MT_MAX_NODES ? 0 : node;
}

static inline struct slab_page *page_of(const void *p)
{
	return (struct slab_page *)((uintptr_t)p & ~(uintptr_t)(MT_SLAB_PAGE_SIZE - 1));
}

static inline struct obj_hdr *hdr_of(const void *obj)
{
	return (struct obj_hdr *)obj - 1;
}

static inline void *payload(struct obj_hdr *h)
{
	return h + 1;
}

static inline uint8_t ld8(const uint8_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* ---- the page pool ---- */

static bool node_is_real(int node)
{
	return numa_available() >= 0 && node <= numa_max_node() &&
	       numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned int)node);
}

/*
 * Chunks are CHUNK_SIZE bytes aligned on CHUNK_SIZE, so the chunk of an
 * address is addr >> CHUNK_SHIFT, looked up in an open-addressing table
 * of chunk frame numbers: pool_page_of() is O(1) on every free and every
 * reader check.  Entries are added under pool.lock and never removed while
 * a cache exists; readers load them without a lock.
 */
static inline size_t frame_hash(uintptr_t frame)
{
	return (size_t)((frame * 0x9e3779b97f4a7c15ull) >> 32) & (FRAME_TAB - 1);
}

/* Called with pool.lock held. */
static void frame_insert(uintptr_t frame)
{
	size_t i = frame_hash(frame);

	while (pool.frames[i])
		i = (i + 1) & (FRAME_TAB - 1);
	__atomic_store_n(&pool.frames[i], frame + 1, __ATOMIC_RELEASE);
}

static bool frame_known(uintptr_t frame)
{
	for (size_t i = frame_hash(frame);; i = (i + 1) & (FRAME_TAB - 1)) {
		uintptr_t f = __atomic_load_n(&pool.frames[i], __ATOMIC_ACQUIRE);

		if (!f)
			return false;
		if (f == frame + 1)
			return true;
	}
}

/* Map CHUNK_SIZE bytes aligned on CHUNK_SIZE.  Return: NULL on failure. */
static char *chunk_map(void)
{
	size_t len = 2 * (size_t)CHUNK_SIZE;
	char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *base;

	if (raw == MAP_FAILED)
		return NULL;
	base = (char *)(((uintptr_t)raw + CHUNK_SIZE - 1) & ~(uintptr_t)(CHUNK_SIZE - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + len > base + CHUNK_SIZE)
		munmap(base + CHUNK_SIZE, (size_t)(raw + len - (base + CHUNK_SIZE)));
	return base;
}

/* Called with pool.lock held. */
static int pool_grow(int node)
{
	char *base, *p;
	bool numa = false;
	unsigned int n = pool.nchunks;

	if (n >= MAX_CHUNKS)
		return -ENOMEM;
	base = chunk_map();
	if (!base)
		return -ENOMEM;
	/* Place it on the node, as numa_alloc_onnode() would (mmap + mbind). */
	if (node_is_real(node)) {
		numa_tonode_memory(base, CHUNK_SIZE, node);
		numa = true;
	}
	pool.chunks[n] = base;
	pool.numa_chunks += numa;
	pool.nchunks = n + 1;
	frame_insert((uintptr_t)base >> CHUNK_SHIFT);

	for (p = base; p + MT_SLAB_PAGE_SIZE <= base + CHUNK_SIZE; p += MT_SLAB_PAGE_SIZE) {
		struct slab_page *pg = (struct slab_page *)p;

		pg->magic = SLAB_PAGE_MAGIC;
		pg->node = (uint8_t)node;
		__atomic_store_n(&pg->state, PAGE_POOL, __ATOMIC_RELEASE);
		pg->next = pool.free[node];
		pool.free[node] = pg;
		pool.nfree++;
		pool.ntotal++;
	}
	return 0;
}

static struct slab_page *pool_get(int node)
{
	struct slab_page *pg;

	node = node_index(node);
	pthread_mutex_lock(&pool.lock);
	if (!pool.free[node] && pool_grow(node)) {
		pthread_mutex_unlock(&pool.lock);
		return NULL;
	}
	pg = pool.free[node];
	pool.free[node] = pg->next;
	pool.nfree--;
	pthread_mutex_unlock(&pool.lock);
	pg->next = pg->prev = NULL;
	return pg;
}

static void pool_put(struct slab_page *pg)
{
	int node = node_index(pg->node);

	/* Readers that find this page now see it is nobody's. */
	__atomic_store_n(&pg->cache_id, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pg->state, PAGE_POOL, __ATOMIC_RELEASE);
	pg->cache = NULL;
	pg->list = LIST_NONE;
	pthread_mutex_lock(&pool.lock);
	pg->next = pool.free[node];
	pool.free[node] = pg;
	pool.nfree++;
	pthread_mutex_unlock(&pool.lock);
}

void mt_pagepool_stats(struct mt_pool_stats *st)
{
	pthread_mutex_lock(&pool.lock);
	st->chunks = pool.nchunks;
	st->numa_chunks = pool.numa_chunks;
	st->pages_total = pool.ntotal;
	st->pages_free = pool.nfree;
	pthread_mutex_unlock(&pool.lock);
}

void mt_pagepool_release(void)
{
	pthread_mutex_lock(&pool.lock);
	for (unsigned int i = 0; i < pool.nchunks; i++)
		munmap(pool.chunks[i], CHUNK_SIZE);
	memset(pool.free, 0, sizeof(pool.free));
	memset(pool.frames, 0, sizeof(pool.frames));
	__atomic_add_fetch(&pool.gen, 1, __ATOMIC_RELEASE);
	pool.nchunks = 0;
	pool.nfree = pool.ntotal = pool.numa_chunks = 0;
	pthread_mutex_unlock(&pool.lock);
}

/*
 * The chunk this thread last found in the pool, and the pool's generation
 * then: most checks in a row land in the same chunk, and the table probe
 * is skipped for them.  A release of the chunks bumps the generation, so
 * a stale entry is never trusted.
 */
static __thread uintptr_t last_frame;
static __thread unsigned long last_gen;

/* Is @addr inside a chunk of the pool?  Return its page, or NULL. */
static inline __attribute__((always_inline)) struct slab_page *pool_page_of(const void *addr)
{
	uintptr_t frame = (uintptr_t)addr >> CHUNK_SHIFT;
	unsigned long gen = __atomic_load_n(&pool.gen, __ATOMIC_ACQUIRE);

	if (likely(last_frame == frame + 1 && last_gen == gen))
		return page_of(addr);
	if (!frame_known(frame))
		return NULL;
	last_frame = frame + 1;
	last_gen = gen;
	return page_of(addr);
}

/* ---- page lists (cache->lock held) ---- */

static void list_add(struct page_list *l, struct slab_page *pg, enum page_list_id id)
{
	pg->prev = NULL;
	pg->next = l->head;
	if (l->head)
		l->head->prev = pg;
	l->head = pg;
	l->nr++;
	pg->list = (uint8_t)id;
}

static void list_del(struct page_list *l, struct slab_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		l->head = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
	l->nr--;
	pg->list = LIST_NONE;
}

static struct page_list *page_list_of(struct kmem_cache *c, struct slab_page *pg)
{
	return pg->list == LIST_FULL ? &c->full : &c->partial[node_index(pg->node)];
}

/* ---- caches ---- */

/* The id_word of a page of cache @id in @state, its node masked out. */
static uint64_t page_word(uint16_t id, uint8_t state)
{
	struct slab_page pg = { .magic = SLAB_PAGE_MAGIC, .cache_id = id, .state = state };

	return pg.id_word;
}

static uint64_t page_word_mask(void)
{
	struct slab_page pg = { .magic = ~0u, .cache_id = 0xffff, .state = 0xff };

	return pg.id_word;
}

static uint32_t round_up16(size_t n)
{
	return (uint32_t)((n + 15) & ~(size_t)15);
}

static uint32_t page_first_offset(void)
{
	return (uint32_t)((sizeof(struct slab_page) + 63) & ~(size_t)63);
}

/*
 * ceil(2^32 / stride).  For an offset x below MT_SLAB_PAGE_SIZE,
 * (x * recip) >> 32 is exactly x / stride: the error of recip is below
 * stride, and x * stride < 2^32 (lib/math/reciprocal_div.c does the same
 * for SLUB's obj_to_index()).  It saves a division on every check.
 */
static uint32_t slot_recip(uint32_t stride)
{
	return (uint32_t)(((1ull << 32) + stride - 1) / stride);
}
_Static_assert((uint64_t)MT_SLAB_PAGE_SIZE * MT_SLAB_PAGE_SIZE < (1ull << 32),
	       "slot_recip() is exact on a slab page");

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     unsigned long flags, void (*ctor)(void *))
{
	struct kmem_cache *c;

	if ((flags & SLAB_TYPESAFE_BY_RCU) && (flags & SLAB_POISON)) {
		errno = EINVAL;	/* seed 004: incompatible with poisoning */
		return NULL;
	}
	if (!size || size > MT_SLAB_PAGE_SIZE / 4) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->size = size;
	c->stride = (uint32_t)sizeof(struct obj_hdr) + round_up16(size);
	c->recip = slot_recip(c->stride);
	c->objs_per_page = (MT_SLAB_PAGE_SIZE - page_first_offset()) / c->stride;
	c->flags = flags;
	c->ctor = ctor;
	{
		pthread_mutexattr_t attr;

		/*
		 * A cache's lock is held for a few dozen instructions: spin a
		 * while before sleeping, as the kernel's spinlock would
		 * (glibc's adaptive mutex), rather than pay a futex wait and
		 * wake on every contended alloc and free.
		 */
		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
		pthread_mutex_init(&c->lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	if (flags & SLAB_POISON) {
		c->quarantine.cap = QUARANTINE_OBJS;
		c->quarantine.slot = calloc(QUARANTINE_OBJS, sizeof(*c->quarantine.slot));
		if (!c->quarantine.slot) {
			free(c);
			return NULL;
		}
	}
	/*
	 * A worker's freed objects wait in its ring before they go back to
	 * their pages: a poison cache's quarantine, a plain cache's frees to
	 * pages not its own, given back RING_BATCH at a time under one lock.
	 */
	c->ring_cap = (flags & SLAB_POISON) ? QUARANTINE_OBJS : RING_BATCH;
	c->slot = mt_region_cache_slot(name, flags & SLAB_TYPESAFE_BY_RCU);

	pthread_mutex_lock(&caches_lock);
	c->id = next_cache_id++;
	c->page_word = page_word(c->id, PAGE_ACTIVE);
	if (!next_cache_id)
		next_cache_id = 1;
	c->next_cache = caches;
	caches = c;
	pthread_mutex_unlock(&caches_lock);
	return c;
}

void kmem_cache_keep_empty(struct kmem_cache *c, bool keep)
{
	pthread_mutex_lock(&c->lock);
	c->drop_empty = !keep;
	pthread_mutex_unlock(&c->lock);
}

const char *kmem_cache_name(const struct kmem_cache *c)
{
	return c->name;
}

size_t kmem_cache_size(const struct kmem_cache *c)
{
	return c->size;
}

unsigned long kmem_cache_flags(const struct kmem_cache *c)
{
	return c->flags;
}

long kmem_cache_live(struct kmem_cache *c)
{
	long n;

	pthread_mutex_lock(&c->lock);
	n = c->live;
	for (unsigned int i = 0; i < MT_MAX_SHARDS; i++)
		if (c->cpus[i])
			n += __atomic_load_n(&c->cpus[i]->live, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);
	return n;
}

static const char *cache_name_by_id(uint16_t id, char *buf, size_t len)
{
	struct kmem_cache *c;

	snprintf(buf, len, "#%u", id);
	pthread_mutex_lock(&caches_lock);
	for (c = caches; c; c = c->next_cache)
		if (c->id == id) {
			snprintf(buf, len, "%s", c->name);
			break;
		}
	pthread_mutex_unlock(&caches_lock);
	return buf;
}

/* Lay the cache's objects out on a page fresh from the pool. */
static void page_format(struct kmem_cache *c, struct slab_page *pg)
{
	uint32_t first = page_first_offset();
	struct obj_hdr *prev = NULL;

	pg->cache = c;
	pg->nobj = c->objs_per_page;
	pg->inuse = 0;
	pg->freelist = NULL;
	__atomic_store_n(&pg->stride, c->stride, __ATOMIC_RELAXED);
	__atomic_store_n(&pg->first, first, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < pg->nobj; i++) {
		struct obj_hdr *h = (struct obj_hdr *)((char *)pg + first + i * c->stride);

		__atomic_store_n(&h->cache_id, c->id, __ATOMIC_RELAXED);
		__atomic_store_n(&h->state, OBJ_STATE_FREE, __ATOMIC_RELAXED);
		h->node = pg->node;
		h->next_free = NULL;
		if (c->flags & SLAB_POISON)
			memset(payload(h), POISON_FREE, c->stride - sizeof(*h));
		else if (c->ctor && (c->flags & SLAB_TYPESAFE_BY_RCU))
			c->ctor(payload(h));
		if (prev)
			prev->next_free = h;
		else
			pg->freelist = h;
		prev = h;
	}
	__atomic_store_n(&pg->cache_id, c->id, __ATOMIC_RELAXED);
	__atomic_store_n(&pg->state, PAGE_ACTIVE, __ATOMIC_RELEASE);
}

/*
 * Return the offset of the first byte that is not poison, or -1.  Eight
 * bytes at a time, as the kernel's memchr_inv() checks SLUB's poison (the
 * payload is a multiple of 16 bytes).
 */
static long poison_check(struct kmem_cache *c, struct obj_hdr *h)
{
	const unsigned char *p = payload(h);
	size_t n = c->stride - sizeof(*h);
	const uint64_t pat = 0x0101010101010101ull * POISON_FREE;

	for (size_t i = 0; i < n; i += sizeof(uint64_t)) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		if (likely(w == pat))
			continue;
		for (size_t j = i; j < i + sizeof(w); j++)
			if (p[j] != POISON_FREE)
				return (long)j;
	}
	return -1;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	return kmem_cache_alloc_node(c, mt_this_node);
}

static void slab_page_rcu_free(struct rcu_head *head)
{
	struct slab_page *pg = container_of(head, struct slab_page, rcu);

	pool_put(pg);
	mt_count(MT_SLAB_PAGES_RCU_FREED);
	coverage_point("slab-typesafe-page-to-pool");
}

static void pages_dispose(struct slab_page *to_pool, struct slab_page *to_rcu)
{
	while (to_pool) {
		struct slab_page *next = to_pool->next;

		pool_put(to_pool);
		mt_count(MT_SLAB_PAGES_FREED);
		to_pool = next;
	}
	while (to_rcu) {
		struct slab_page *next = to_rcu->next;

		call_rcu(&to_rcu->rcu, slab_page_rcu_free);
		to_rcu = next;
	}
}

/*
 * Make a free object of @c live as generation @gen: verify its poison,
 * then publish it.  The object is the caller's alone (off every free list).
 */
static void *obj_arm(struct kmem_cache *c, struct obj_hdr *h, uint32_t gen)
{
	long bad = -1;

	h->next_free = NULL;
	if (c->flags & SLAB_POISON)
		bad = poison_check(c, h);
	h->node = (uint8_t)node_index(mt_this_node);
	__atomic_store_n(&h->gen, gen, __ATOMIC_RELAXED);
	__atomic_store_n(&h->state, OBJ_STATE_LIVE, __ATOMIC_RELEASE);

	if (c->slot >= 0 && mt_cur_region)
		mt_shard_add(mt_my_shard ? &mt_my_shard->cache_allocs[c->slot] : NULL,
			     &mt_cur_region->shards[0].cache_allocs[c->slot], 1);
	if (unlikely(bad >= 0))
		mt_report(MT_USE_AFTER_FREE, "kmem_cache_alloc",
			  "write after free in %s object %p: byte %ld is 0x%02x, not poison",
			  c->name, payload(h), bad, ((unsigned char *)payload(h))[bad]);
	if (c->ctor && !(c->flags & SLAB_TYPESAFE_BY_RCU))
		c->ctor(payload(h));
	return payload(h);
}

/*
 * A page of node @node with a free object: the first partial one, or a
 * new one from the pool.  Called with c->lock held; drops it around
 * pool_get().  Return: NULL when the pool is out.
 */
static struct slab_page *partial_page(struct kmem_cache *c, int node)
{
	struct slab_page *pg = c->partial[node].head;

	if (pg)
		return pg;
	pthread_mutex_unlock(&c->lock);
	pg = pool_get(node);
	if (pg) {
		page_format(c, pg);
		mt_count(MT_SLAB_PAGES_NEW);
	}
	pthread_mutex_lock(&c->lock);
	if (!pg)
		return NULL;
	list_add(&c->partial[node], pg, LIST_PARTIAL);
	c->nempty[node]++;	/* a fresh page counts as empty */
	return pg;
}

/*
 * Where a page that is nobody's slab goes after its free list changed: to
 * the partial list, or out of the cache when it emptied, through *to_pool
 * (at once) or *to_rcu (typesafe).  Called with c->lock held.
 */
static void page_settle(struct kmem_cache *c, struct slab_page *pg,
			struct slab_page **to_pool, struct slab_page **to_rcu)
{
	int node = node_index(pg->node);

	if (pg->list == LIST_FULL && pg->freelist) {
		list_del(&c->full, pg);
		list_add(&c->partial[node], pg, LIST_PARTIAL);
	}
	if (pg->inuse)
		return;
	/*
	 * A typesafe cache keeps one empty page per node (as SLUB keeps
	 * min_partial), so that a freed object is reused at once even when
	 * it was its page's last.
	 */
	if ((c->flags & SLAB_TYPESAFE_BY_RCU) && !c->drop_empty && !c->nempty[node]) {
		c->nempty[node]++;
		return;
	}
	list_del(page_list_of(c, pg), pg);
	if (c->flags & SLAB_TYPESAFE_BY_RCU) {
		coverage_point("slab-typesafe-page-to-rcu");
		__atomic_store_n(&pg->state, PAGE_RCU, __ATOMIC_RELEASE);
		pg->next = *to_rcu;
		*to_rcu = pg;
	} else {
		pg->next = *to_pool;
		*to_pool = pg;
	}
}

/*
 * Put @h back on its page's free list.  A frozen page keeps it for its
 * owner to take; any other page settles.  Called with c->lock held.
 */
static void obj_release(struct kmem_cache *c, struct obj_hdr *h,
			struct slab_page **to_pool, struct slab_page **to_rcu)
{
	struct slab_page *pg = page_of(h);

	h->next_free = pg->freelist;
	pg->freelist = h;
	pg->inuse--;
	if (pg->list != LIST_CPU)
		page_settle(c, pg, to_pool, to_rcu);
}

/*
 * Freeze @pg, a partial page, as @cpu's slab: its free objects become the
 * owner's.  Every object of a frozen page counts in ->inuse but those on
 * the page's own freelist (freed since by other threads).  c->lock held.
 */
static void cpu_freeze(struct kmem_cache *c, struct slab_cpu *cpu, struct slab_page *pg)
{
	int node = node_index(pg->node);

	if (!pg->inuse)
		c->nempty[node]--;
	list_del(&c->partial[node], pg);
	pg->list = LIST_CPU;
	cpu->node[node].page = pg;
	cpu->node[node].freelist = pg->freelist;
	pg->freelist = NULL;
	pg->inuse = pg->nobj;
}

/* Give @cpu's page of node @node back to the cache's lists.  c->lock held. */
static void cpu_unfreeze(struct kmem_cache *c, struct slab_cpu *cpu, int node,
			 struct slab_page **to_pool, struct slab_page **to_rcu)
{
	struct slab_page *pg = cpu->node[node].page;
	struct obj_hdr *h, *next;

	if (!pg)
		return;
	for (h = cpu->node[node].freelist; h; h = next) {
		next = h->next_free;
		h->next_free = pg->freelist;
		pg->freelist = h;
		pg->inuse--;
	}
	cpu->node[node].freelist = NULL;
	cpu->node[node].page = NULL;
	if (pg->freelist)
		list_add(&c->partial[node], pg, LIST_PARTIAL);
	else
		list_add(&c->full, pg, LIST_FULL);
	page_settle(c, pg, to_pool, to_rcu);	/* an empty page is counted there */
}

/*
 * Refill @cpu's freelist: the objects other threads freed to its page, or
 * else a new page (the old, full one unfrozen).  Return: false when the
 * pool is out.
 */
static bool cpu_refill(struct kmem_cache *c, struct slab_cpu *cpu, int node)
{
	struct slab_page *to_pool = NULL, *to_rcu = NULL, *pg = cpu->node[node].page;

	pthread_mutex_lock(&c->lock);
	if (pg && pg->freelist) {
		cpu->node[node].freelist = pg->freelist;
		pg->freelist = NULL;
		pg->inuse = pg->nobj;
		pthread_mutex_unlock(&c->lock);
		return true;
	}
	cpu_unfreeze(c, cpu, node, &to_pool, &to_rcu);
	pg = partial_page(c, node);
	if (pg)
		cpu_freeze(c, cpu, pg);
	pthread_mutex_unlock(&c->lock);
	pages_dispose(to_pool, to_rcu);
	return pg != NULL;
}

/*
 * The calling thread's slabs of @c (one per node), or NULL when there are
 * none to use: a thread without a shard, or a typesafe cache.  A typesafe
 * cache keeps one freelist per page for all threads: the object one
 * thread frees is the next that any thread allocates, the reuse at once
 * under a reader that the typesafe protocol must survive (seed 004) and
 * its detectors must see; per-CPU slabs would confine it to the freeing
 * thread's own page.
 */
static inline struct slab_cpu *this_cpu_slab(struct kmem_cache *c)
{
	unsigned int idx = mt_my_shard_idx;
	struct slab_cpu *cpu;

	if (!idx || (c->flags & SLAB_TYPESAFE_BY_RCU))
		return NULL;
	cpu = c->cpus[idx];
	if (likely(cpu))
		return cpu;
	cpu = calloc(1, sizeof(*cpu) + c->ring_cap * sizeof(struct obj_hdr *));
	if (!cpu)
		return NULL;
	cpu->ring.slot = (struct obj_hdr **)(cpu + 1);
	cpu->ring.cap = c->ring_cap;
	pthread_mutex_lock(&c->lock);
	c->cpus[idx] = cpu;
	pthread_mutex_unlock(&c->lock);
	return cpu;
}

static inline void cpu_live_add(struct slab_cpu *cpu, long d)
{
	__atomic_store_n(&cpu->live, __atomic_load_n(&cpu->live, __ATOMIC_RELAXED) + d,
			 __ATOMIC_RELAXED);
}

void *kmem_cache_alloc_node(struct kmem_cache *c, int nid)
{
	int node = node_index(nid);
	struct slab_cpu *cpu;
	struct slab_page *pg;
	struct obj_hdr *h;
	uint32_t gen;

	if (mt_should_fail_alloc())
		return NULL;

	cpu = this_cpu_slab(c);
	if (likely(cpu)) {
		if (unlikely(!cpu->node[node].freelist) && !cpu_refill(c, cpu, node))
			return NULL;
		h = cpu->node[node].freelist;
		cpu->node[node].freelist = h->next_free;
		/*
		 * SLUB's prefetch_freepointer() (0ad9500e16fe): the next
		 * allocation loads the next free object's header, cold when
		 * it was freed long ago; fetch it while this one is used.
		 */
		__builtin_prefetch(h->next_free, 1);
		if (unlikely(!cpu->gen_left)) {
			cpu->gen_next = __atomic_fetch_add(&c->gen_seq, GEN_BLOCK,
							   __ATOMIC_RELAXED) + 1;
			cpu->gen_left = GEN_BLOCK;
		}
		gen = cpu->gen_next++;
		cpu->gen_left--;
		cpu_live_add(cpu, 1);
		return obj_arm(c, h, gen);
	}

	pthread_mutex_lock(&c->lock);
	pg = partial_page(c, node);
	if (!pg) {
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	h = pg->freelist;
	pg->freelist = h->next_free;
	if (!pg->inuse++)
		c->nempty[node]--;
	if (!pg->freelist) {
		list_del(&c->partial[node], pg);
		list_add(&c->full, pg, LIST_FULL);
	}
	gen = __atomic_add_fetch(&c->gen_seq, 1, __ATOMIC_RELAXED);
	c->live++;
	pthread_mutex_unlock(&c->lock);
	return obj_arm(c, h, gen);
}

void *kmem_cache_zalloc(struct kmem_cache *c)
{
	void *obj = kmem_cache_alloc(c);

	if (obj)
		memset(obj, 0, c->size);
	return obj;
}

/*
 * Is @h the start of an object slot of @pg, a page of @c?  The caller has
 * seen @pg owned by @c, so the geometry is @c's (read-mostly, set at
 * create): no load of the page's own fields, which a reassignment of the
 * page would rewrite.
 */
static inline __attribute__((always_inline)) bool
hdr_on_slot(const struct kmem_cache *c, const struct slab_page *pg, const struct obj_hdr *h)
{
	uintptr_t off = (uintptr_t)h - (uintptr_t)pg;
	uint32_t first = page_first_offset();
	uint64_t x = off - first;

	return off >= first && off + c->stride <= MT_SLAB_PAGE_SIZE &&
	       ((x * c->recip) >> 32) * c->stride == x;
}

/*
 * Is @pg an active page of @c now (magic, owner and state in one load),
 * with @h on one of its object slots?  The test of every free and of
 * every checked load.
 */
static inline __attribute__((always_inline)) bool
obj_of_cache(const struct kmem_cache *c, const struct slab_page *pg, const struct obj_hdr *h)
{
	return likely((__atomic_load_n(&pg->id_word, __ATOMIC_ACQUIRE) & page_word_mask()) ==
		      c->page_word) &&
	       likely(hdr_on_slot(c, pg, h));
}

/* Fill a freed object of a SLAB_POISON cache with poison. */
static inline void poison(struct kmem_cache *c, struct obj_hdr *h)
{
	memset(payload(h), POISON_FREE, c->stride - sizeof(*h));
}

/* If @h is on one of @cpu's frozen pages, put it on that page's freelist. */
static inline bool cpu_take_back(struct slab_cpu *cpu, struct obj_hdr *h)
{
	struct slab_page *pg = page_of(h);
	int node = node_index(pg->node);

	if (pg != cpu->node[node].page)
		return false;
	h->next_free = cpu->node[node].freelist;
	cpu->node[node].freelist = h;
	return true;
}

static inline bool ring_full(const struct obj_ring *r)
{
	return r->count == r->cap;
}

/* Add @h to @r, which is not full. */
static inline void ring_push(struct obj_ring *r, struct obj_hdr *h)
{
	r->slot[(r->head + r->count++) % r->cap] = h;
}

/* Return: the oldest object of @r, taken off it, or NULL. */
static inline struct obj_hdr *ring_pop(struct obj_ring *r)
{
	struct obj_hdr *h;

	if (!r->count)
		return NULL;
	h = r->slot[r->head];
	r->head = (r->head + 1) % r->cap;
	r->count--;
	return h;
}

/* Give back every object of @r to its page.  c->lock held. */
static void ring_drain(struct kmem_cache *c, struct obj_ring *r,
		       struct slab_page **to_pool, struct slab_page **to_rcu)
{
	struct obj_hdr *h;

	while ((h = ring_pop(r)))
		obj_release(c, h, to_pool, to_rcu);
}

/*
 * Give @cpu's @n oldest waiting objects back: to its own freelists those
 * of its frozen pages, the rest to their pages under one lock.
 */
static void cpu_unquarantine(struct kmem_cache *c, struct slab_cpu *cpu, uint32_t n)
{
	struct slab_page *to_pool = NULL, *to_rcu = NULL;
	struct obj_hdr *h;
	bool locked = false;

	for (; n && (h = ring_pop(&cpu->ring)); n--) {
		/* the oldest objects are cold: fetch the next one's header now */
		if (n > 1 && cpu->ring.count)
			__builtin_prefetch(cpu->ring.slot[cpu->ring.head], 1);
		if (cpu_take_back(cpu, h))
			continue;
		if (!locked) {
			pthread_mutex_lock(&c->lock);
			locked = true;
		}
		obj_release(c, h, &to_pool, &to_rcu);
	}
	if (locked)
		pthread_mutex_unlock(&c->lock);
	pages_dispose(to_pool, to_rcu);
}

/*
 * A free through the calling thread's slabs @cpu: a poison cache's object
 * is quarantined; a plain cache's goes back to its frozen page at once
 * (the next allocation reuses it, as SLUB's per-CPU freelist does) or
 * waits in the ring with the others for one lock.
 */
static void cpu_free(struct kmem_cache *c, struct slab_cpu *cpu, struct obj_hdr *h)
{
	cpu_live_add(cpu, -1);
	if (c->flags & SLAB_POISON)
		poison(c, h);
	else if (cpu_take_back(cpu, h))
		return;
	if (ring_full(&cpu->ring))
		cpu_unquarantine(c, cpu, RING_BATCH);
	ring_push(&cpu->ring, h);
}

/* A free by a thread without a slab: quarantine and pages under the lock. */
static void shared_free(struct kmem_cache *c, struct obj_hdr *h)
{
	struct slab_page *to_pool = NULL, *to_rcu = NULL;
	struct obj_hdr *old;

	pthread_mutex_lock(&c->lock);
	c->live--;
	if (c->flags & SLAB_POISON) {
		poison(c, h);
		/* when it is full, the oldest leaves the quarantine for the newest */
		old = ring_full(&c->quarantine) ? ring_pop(&c->quarantine) : NULL;
		ring_push(&c->quarantine, h);
		h = old;
	}
	if (h)
		obj_release(c, h, &to_pool, &to_rcu);
	pthread_mutex_unlock(&c->lock);
	pages_dispose(to_pool, to_rcu);
}

static __attribute__((noinline, cold)) void
report_free_not_ours(const struct kmem_cache *c, const void *obj, const char *where)
{
	mt_report(MT_DOUBLE_FREE, where, "free of %p: not an object of cache %s (its page was freed)",
		  obj, c->name);
}

void __kmem_cache_free(struct kmem_cache *c, void *obj, const char *where)
{
	struct obj_hdr *h = hdr_of(obj);
	struct slab_page *pg = pool_page_of(h);
	uint8_t live = OBJ_STATE_LIVE;
	struct slab_cpu *cpu;
	bool remote;

	if (unlikely(!pg)) {
		mt_report(MT_DOUBLE_FREE, where, "free of %p to cache %s: not slab memory",
			  obj, c->name);
		return;
	}
	if (unlikely(!obj_of_cache(c, pg, h))) {
		report_free_not_ours(c, obj, where);
		return;
	}
	/* Of two frees of one object, exactly one finds it live. */
	if (unlikely(!__atomic_compare_exchange_n(&h->state, &live, OBJ_STATE_FREE, false,
						  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))) {
		mt_report(MT_DOUBLE_FREE, where, "double free of %s object %p",
			  c->name, obj);
		return;
	}
	/*
	 * The page can only have changed hands before the exchange if the
	 * object was free already: the exchange then hit a slot of the
	 * page's new cache.  Undo it and report the free.
	 */
	if (unlikely(!obj_of_cache(c, pg, h))) {
		__atomic_store_n(&h->state, live, __ATOMIC_RELEASE);
		report_free_not_ours(c, obj, where);
		return;
	}
	remote = h->node != (uint8_t)node_index(mt_this_node);

	cpu = this_cpu_slab(c);
	if (likely(cpu))
		cpu_free(c, cpu, h);
	else
		shared_free(c, h);

	if (c->slot >= 0 && mt_cur_region) {
		struct mt_shard *sh = &mt_cur_region->shards[0];

		mt_shard_add(mt_my_shard ? &mt_my_shard->cache_frees[c->slot] : NULL,
			     &sh->cache_frees[c->slot], 1);
		if (remote)
			mt_shard_add(mt_my_shard ? &mt_my_shard->cache_remote_frees[c->slot] : NULL,
				     &sh->cache_remote_frees[c->slot], 1);
	}
	if (remote)
		mt_count(MT_REMOTE_FREES);
}

/* Give @cpu's quarantine and page back to the cache.  c->lock held. */
static void cpu_drain(struct kmem_cache *c, struct slab_cpu *cpu,
		      struct slab_page **to_pool, struct slab_page **to_rcu)
{
	ring_drain(c, &cpu->ring, to_pool, to_rcu);
	for (int n = 0; n < MT_MAX_NODES; n++)
		cpu_unfreeze(c, cpu, n, to_pool, to_rcu);
	c->live += __atomic_load_n(&cpu->live, __ATOMIC_RELAXED);
	__atomic_store_n(&cpu->live, 0, __ATOMIC_RELAXED);
	cpu->gen_left = 0;
}

void mt_slab_thread_leave(void)
{
	unsigned int idx = mt_my_shard_idx;
	struct slab_page *to_pool = NULL, *to_rcu = NULL;

	if (!idx)
		return;
	pthread_mutex_lock(&caches_lock);
	for (struct kmem_cache *c = caches; c; c = c->next_cache) {
		pthread_mutex_lock(&c->lock);
		if (c->cpus[idx])
			cpu_drain(c, c->cpus[idx], &to_pool, &to_rcu);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&caches_lock);
	pages_dispose(to_pool, to_rcu);
}

/* Call @fn on every live object of @pg, a page of @c.  Return: how many. */
static unsigned long page_walk_live(struct kmem_cache *c, struct slab_page *pg,
				    void (*fn)(void *obj, void *arg), void *arg)
{
	unsigned long n = 0;

	for (uint32_t i = 0; i < pg->nobj; i++) {
		struct obj_hdr *h = (struct obj_hdr *)((char *)pg + pg->first + i * c->stride);

		if (ld8(&h->state) == OBJ_STATE_LIVE) {
			fn(payload(h), arg);
			n++;
		}
	}
	return n;
}

/* page_walk_live()'s @fn for destroy: the first leaked object, for the report. */
static void note_first(void *obj, void *arg)
{
	void **first = arg;

	if (!*first)
		*first = obj;
}

unsigned long kmem_cache_destroy(struct kmem_cache *c)
{
	struct slab_page *to_pool = NULL, *to_rcu = NULL, *pg;
	unsigned long leaked = 0;
	void *first_leak = NULL;
	struct kmem_cache **pp;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < MT_MAX_SHARDS; i++)
		if (c->cpus[i]) {
			cpu_drain(c, c->cpus[i], &to_pool, &to_rcu);
			free(c->cpus[i]);
			c->cpus[i] = NULL;
		}
	ring_drain(c, &c->quarantine, &to_pool, &to_rcu);	/* empty unless SLAB_POISON */
	for (int n = 0; n <= MT_MAX_NODES; n++) {
		struct page_list *l = n < MT_MAX_NODES ? &c->partial[n] : &c->full;

		while ((pg = l->head)) {
			leaked += page_walk_live(c, pg, note_first, &first_leak);
			list_del(l, pg);
			/*
			 * A reader inside rcu_read_lock() may still hold a
			 * freed object of a typesafe cache: its page must not
			 * become another cache's before a grace period, at
			 * destroy as at any other time (seed 004:
			 * "kmem_cache_destroy needs to synchronize").
			 */
			if (c->flags & SLAB_TYPESAFE_BY_RCU) {
				__atomic_store_n(&pg->state, PAGE_RCU, __ATOMIC_RELEASE);
				pg->next = to_rcu;
				to_rcu = pg;
			} else {
				pg->next = to_pool;
				to_pool = pg;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);

	/* Typesafe pages go back through call_rcu(): let every one land. */
	pages_dispose(to_pool, to_rcu);
	if (c->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();

	kmem_cache_count_leaked(c, leaked);
	if (c->slot >= 0 && mt_cur_region)
		mt_cur_region->caches[c->slot].destroyed = 1;
	if (leaked) {
		mt_report(MT_LEAKED_OBJECTS, "kmem_cache_destroy",
			  "%lu %s object(s) still live at destroy, first %p",
			  leaked, c->name, first_leak);
		mt_count_add(MT_LEAKED_OBJECTS, leaked - 1);
	}

	pthread_mutex_lock(&caches_lock);
	for (pp = &caches; *pp; pp = &(*pp)->next_cache)
		if (*pp == c) {
			*pp = c->next_cache;
			break;
		}
	pthread_mutex_unlock(&caches_lock);
	pthread_mutex_destroy(&c->lock);
	free(c->quarantine.slot);
	free(c);
	return leaked;
}

unsigned long kmem_cache_walk_live(struct kmem_cache *c,
				   void (*fn)(void *obj, void *arg), void *arg)
{
	unsigned long n = 0;

	pthread_mutex_lock(&c->lock);
	for (int l = 0; l <= MT_MAX_NODES; l++) {
		struct page_list *pl = l < MT_MAX_NODES ? &c->partial[l] : &c->full;

		for (struct slab_page *pg = pl->head; pg; pg = pg->next)
			n += page_walk_live(c, pg, fn, arg);
	}
	for (unsigned int i = 0; i < MT_MAX_SHARDS; i++)
		for (int node = 0; c->cpus[i] && node < MT_MAX_NODES; node++)
			if (c->cpus[i]->node[node].page)
				n += page_walk_live(c, c->cpus[i]->node[node].page, fn, arg);
	pthread_mutex_unlock(&c->lock);
	return n;
}

void kmem_cache_count_leaked(struct kmem_cache *c, unsigned long n)
{
	if (n && c->slot >= 0 && mt_cur_region)
		__atomic_fetch_add(&mt_cur_region->caches[c->slot].leaked, n, __ATOMIC_RELAXED);
}

bool kmem_addr_is_slab(const void *addr)
{
	const struct slab_page *pg = pool_page_of(addr);

	return pg && pg->magic == SLAB_PAGE_MAGIC;
}

int kmem_obj_node(const void *obj)
{
	return page_of(obj)->node;
}

uint32_t obj_gen(const void *obj)
{
	return __atomic_load_n(&hdr_of(obj)->gen, __ATOMIC_ACQUIRE);
}

bool obj_is_live(const void *obj)
{
	return ld8(&hdr_of(obj)->state) == OBJ_STATE_LIVE;
}

/* ---- reader checks ---- */

/* The memory of @obj is another cache's now: say whose (the slow path). */
static __attribute__((noinline, cold)) enum obj_status
report_other_owner(const void *obj, const struct kmem_cache *c, uint16_t owner, const char *where)
{
	char other[MT_NAME_LEN];

	mt_report(MT_TYPE_CONFUSION, where, "%s object %p: the memory now belongs to cache %s",
		  c->name, obj, cache_name_by_id(owner, other, sizeof(other)));
	return OBJ_BAD;
}

/* A slot of a page of @c: is its object live, free but typesafe, or free? */
static inline __attribute__((always_inline)) enum obj_status
obj_state(const void *obj, const struct kmem_cache *c, const char *where)
{
	if (likely(ld8(&hdr_of(obj)->state) == OBJ_STATE_LIVE))
		return OBJ_LIVE;
	if (c->flags & SLAB_TYPESAFE_BY_RCU)
		return OBJ_FREE_TYPESAFE;
	mt_report(MT_USE_AFTER_FREE, where, "%s object %p is free%s", c->name, obj,
		  (c->flags & SLAB_POISON) ? " (poisoned)" : "");
	return OBJ_BAD;
}

/* obj_check_page() for memory that is not a slot of an active page of @c. */
static __attribute__((noinline)) enum obj_status
obj_check_slow(const void *obj, const struct kmem_cache *c, bool any, const char *where)
{
	const struct obj_hdr *h = hdr_of(obj);
	const struct slab_page *pg = pool_page_of(h);
	uint8_t pstate;
	uint16_t owner;

	if (unlikely(!pg || pg->magic != SLAB_PAGE_MAGIC)) {
		if (any)
			return OBJ_LIVE;	/* no slab memory: not checked */
		mt_report(MT_TYPE_CONFUSION, where, "%s pointer %p is not slab memory",
			  c->name, obj);
		return OBJ_BAD;
	}
	pstate = ld8(&pg->state);
	owner = __atomic_load_n(&pg->cache_id, __ATOMIC_RELAXED);
	if (unlikely(pstate == PAGE_POOL || !owner)) {
		mt_report(MT_USE_AFTER_FREE, where,
			  "%s object %p: its page was freed back to the pool",
			  c->name, obj);
		return OBJ_BAD;
	}
	if (unlikely(owner != c->id))
		return report_other_owner(obj, c, owner, where);
	if (unlikely(!hdr_on_slot(c, pg, h))) {
		mt_report(MT_TYPE_CONFUSION, where, "%s pointer %p is not on an object slot",
			  c->name, obj);
		return OBJ_BAD;
	}
	return obj_state(obj, c, where);
}

/*
 * A checked load: the object on a slot of an active page of @c, then its
 * own state; anything else is classified by obj_check_slow().
 */
static inline __attribute__((always_inline)) enum obj_status
obj_check_page(const void *obj, const struct kmem_cache *c, bool any, const char *where)
{
	const struct obj_hdr *h = hdr_of(obj);
	const struct slab_page *pg = pool_page_of(h);

	if (likely(pg) && obj_of_cache(c, pg, h))
		return obj_state(obj, c, where);
	return obj_check_slow(obj, c, any, where);
}

enum obj_status __obj_check(const void *obj, const struct kmem_cache *c,
			    const char *where)
{
	return obj_check_page(obj, c, false, where);
}

enum obj_status __obj_check_any(const void *obj, const struct kmem_cache *c,
				const char *where)
{
	return obj_check_page(obj, c, true, where);
}

enum obj_status __obj_check_gen(const void *obj, const struct kmem_cache *c,
				uint32_t gen, const char *where)
{
	enum obj_status st = __obj_check(obj, c, where);
	uint32_t now;

	if (st == OBJ_BAD)
		return st;
	now = obj_gen(obj);
	if (unlikely(now != gen)) {
		/*
		 * Only a typesafe object may legally be met again as another
		 * identity (the caller failed to recheck); in any other cache
		 * the handle outlived its object.
		 */
		if (c->flags & SLAB_TYPESAFE_BY_RCU)
			mt_report(MT_STALE_OBJECT, where,
				  "%s object %p was reused: generation %u, looked up as %u",
				  c->name, obj, now, gen);
		else
			mt_report(MT_USE_AFTER_FREE, where,
				  "%s object %p was freed and allocated again: generation %u, looked up as %u",
				  c->name, obj, now, gen);
		return OBJ_BAD;
	}
	return st;
}

void mt_slab_report_bad_access(const void *addr, const char *where,
			       const char *what)
{
	struct slab_page *pg = pool_page_of(addr);
	char name[MT_NAME_LEN];
	uint32_t first, stride;
	uint16_t owner;
	const struct obj_hdr *h;

	if (!pg || pg->magic != SLAB_PAGE_MAGIC) {
		mt_report(MT_USE_AFTER_FREE, where, "%s at %p (not slab memory)",
			  what, addr);
		return;
	}
	owner = __atomic_load_n(&pg->cache_id, __ATOMIC_RELAXED);
	if (ld8(&pg->state) == PAGE_POOL || !owner) {
		mt_report(MT_USE_AFTER_FREE, where, "%s at %p, in a page back in the pool",
			  what, addr);
		return;
	}
	cache_name_by_id(owner, name, sizeof(name));
	first = __atomic_load_n(&pg->first, __ATOMIC_RELAXED);
	stride = __atomic_load_n(&pg->stride, __ATOMIC_RELAXED);
	if (stride && (uintptr_t)addr >= (uintptr_t)pg + first) {
		uintptr_t idx = ((uintptr_t)addr - (uintptr_t)pg - first) / stride;

		h = (const struct obj_hdr *)((char *)pg + first + idx * stride);
		if (ld8(&h->state) != OBJ_STATE_LIVE) {
			mt_report(MT_USE_AFTER_FREE, where, "%s at %p, in a freed %s object",
				  what, addr, name);
			return;
		}
	}
	mt_report(MT_TYPE_CONFUSION, where, "%s at %p: the memory is a live %s object",
		  what, addr, name);
}
