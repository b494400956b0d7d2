/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab.h - a slab allocator with SLAB_TYPESAFE_BY_RCU and SLAB_POISON,
 * and the reader checks that turn its object headers into detectors.
 *
 * Seed 004 (Hugh Dickins, "rmaplock: SLAB_DESTROY_BY_RCU"): memory of a
 * freed object of a typesafe cache may be reused at once for an object of
 * the *same type*, but never for another use until a grace period has
 * passed, so that a reader that approaches an object obliquely under
 * rcu_read_lock() may lock it and then recheck its identity.  The flag is
 * incompatible with poisoning: kmem_cache_create() refuses the pair.
 *
 * Memory.  Slab pages (MT_SLAB_PAGE_SIZE) come from a page pool, carved
 * from chunks allocated on the caller's NUMA node with libnuma (plain
 * mmap when NUMA is unavailable or the node is not a real one).  Chunks
 * are never returned to the OS while a job runs, so a stale pointer reads
 * memory, never a hole.
 *
 *  - typesafe free: the object goes back on its page's free list at once
 *    and may be reused by the same cache at once, by any thread; a page
 *    that becomes empty goes back to the pool only after call_rcu().
 *  - SLAB_POISON free: the object is filled with POISON_FREE and held in
 *    a quarantine (the freeing worker's own, 1024 objects, or the
 *    cache's); when it leaves the quarantine and its page is empty, the
 *    page goes back to the pool at once (and may become another cache's).
 *    The poison is verified at the next allocation, so a write after free
 *    is found.
 *  - plain free: immediate reuse, empty page back to the pool at once; a
 *    worker's free to a page that is not its own waits for up to 15 more.
 *
 * Worker threads (those with a counter shard) allocate from per-thread
 * slabs, as SLUB's per-CPU slabs: see slab.c.
 *
 * Each object carries a header: cache id, state (LIVE/FREE) and a
 * generation drawn from a per-cache sequence at each allocation, so that
 * two identities of the same memory never share a generation.
 *
 * Detectors (all generic: they look only at pages and headers):
 *  - obj_check(): a reader holding a pointer asks whether the memory is
 *    still an object of the cache it expects: type_confusion if the page
 *    now belongs to another cache, use_after_free if the page is back in
 *    the pool or (non-typesafe) the object is FREE;
 *  - obj_check_gen(): the same, and, if the generation changed since the
 *    pointer was looked up, stale_object (typesafe: reused for another
 *    identity and not rechecked) or use_after_free (any other cache);
 *  - kmem_cache_free(): double_free on an object that is not live;
 *  - kmem_cache_alloc(): use_after_free when the poison was overwritten;
 *  - kmem_cache_destroy(): leaked_objects{cache} for objects still live.
 */
#ifndef MT_SLAB_H
#define MT_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define SLAB_TYPESAFE_BY_RCU	0x00080000ul
#define SLAB_DESTROY_BY_RCU	SLAB_TYPESAFE_BY_RCU	/* the 2.6 name */
#define SLAB_POISON		0x00000800ul

#define POISON_FREE		0x6b
#define MT_SLAB_PAGE_SIZE	16384u

struct kmem_cache;

/**
 * kmem_cache_create - create a cache of objects of @size bytes
 * @name: the cache's name, used in reports and metrics (numa_policy ...)
 * @size: object size
 * @flags: SLAB_TYPESAFE_BY_RCU, SLAB_POISON (not both)
 * @ctor: for typesafe caches, called once on each object when its page
 *        is set up (not at each allocation: a concurrent reader may hold
 *        the object's lock across free and reuse); otherwise called at
 *        each allocation.  May be NULL.
 *
 * Return: the cache, or NULL with errno: EINVAL for typesafe+poison or a
 * bad size, ENOMEM.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     unsigned long flags, void (*ctor)(void *));

/**
 * kmem_cache_destroy - destroy a cache, reporting what it leaked
 *
 * Context: no thread may use the cache any more.  Waits for the pages of
 * a typesafe cache still in a grace period (rcu_barrier()), so it must
 * not be called inside an RCU read-side section.
 * Return: the number of objects still live (counted as leaked_objects).
 */
unsigned long kmem_cache_destroy(struct kmem_cache *c);

/* Return: an object, or NULL (injected failure, or the pool is exhausted). */
void *kmem_cache_alloc(struct kmem_cache *c);
/* The same, from a page of node @nid (the calling thread's node otherwise). */
void *kmem_cache_alloc_node(struct kmem_cache *c, int nid);
void *kmem_cache_zalloc(struct kmem_cache *c);
void __kmem_cache_free(struct kmem_cache *c, void *obj, const char *where);
#define kmem_cache_free(c, o)	__kmem_cache_free((c), (o), __func__)

/*
 * kmem_cache_keep_empty - whether a typesafe cache keeps one empty page
 * per node (the default, as SLUB keeps min_partial) or lets every page
 * that empties go through its grace period back to the pool, where it
 * may become another cache's (cache pressure).  Context: any.
 */
void kmem_cache_keep_empty(struct kmem_cache *c, bool keep);

const char *kmem_cache_name(const struct kmem_cache *c);
size_t kmem_cache_size(const struct kmem_cache *c);
unsigned long kmem_cache_flags(const struct kmem_cache *c);
long kmem_cache_live(struct kmem_cache *c);
/* The node of the pool the object's page came from. */
int kmem_obj_node(const void *obj);

enum obj_status {
	OBJ_LIVE,		/* an object of that cache, allocated */
	OBJ_FREE_TYPESAFE,	/* freed, typesafe cache: still that type */
	OBJ_BAD,		/* counted: see the detector list above */
};

enum obj_status __obj_check(const void *obj, const struct kmem_cache *c,
			    const char *where);
enum obj_status __obj_check_gen(const void *obj, const struct kmem_cache *c,
				uint32_t gen, const char *where);
/* __obj_check(), but memory that is no slab memory at all (the stack, static data) is OBJ_LIVE. */
enum obj_status __obj_check_any(const void *obj, const struct kmem_cache *c,
				const char *where);
#define obj_check(o, c)		__obj_check((o), (c), __func__)
#define obj_check_gen(o, c, g)	__obj_check_gen((o), (c), (g), __func__)
/* True unless obj_check() counted a bad access. */
#define obj_valid(o, c)		(obj_check((o), (c)) != OBJ_BAD)

/**
 * kmem_cache_walk_live - call @fn on every live object of @c
 *
 * For audits: finds objects that no owner points to any more.
 * Context: a quiesce point: nobody allocates or frees from @c meanwhile
 * (the cache lock is held across the walk; @fn must not call into @c).
 * Return: the number of live objects walked.
 */
unsigned long kmem_cache_walk_live(struct kmem_cache *c,
				   void (*fn)(void *obj, void *arg), void *arg);

/**
 * kmem_cache_count_leaked - an audit found @n live objects of @c that
 * nobody will ever free: count them in leaked_objects{@c}, as
 * kmem_cache_destroy() counts what is still live at the end
 * Context: any.  The caller reports the event (mt_report()) itself.
 */
void kmem_cache_count_leaked(struct kmem_cache *c, unsigned long n);

/*
 * kmem_addr_is_slab - is @addr inside the slab's page pool (memory that
 * is, or was, an object of some cache)?  False for the stack, the heap
 * and static data.  Context: any.
 */
bool kmem_addr_is_slab(const void *addr);

/* The object's generation (read without a lock; for handles). */
uint32_t obj_gen(const void *obj);
/* Is the object allocated right now?  (For audits and asserts.) */
bool obj_is_live(const void *obj);

/*
 * mt_slab_report_bad_access - classify and count an access to @addr that
 * found something that is not what it should be (a lock word that is not
 * a lock): use_after_free if the memory is free, type_confusion if it is
 * another cache's.
 */
void mt_slab_report_bad_access(const void *addr, const char *where,
			       const char *what);

struct mt_pool_stats {
	unsigned long chunks;		/* chunks allocated from the OS */
	unsigned long numa_chunks;	/* of which placed with libnuma */
	unsigned long pages_total;
	unsigned long pages_free;
};
void mt_pagepool_stats(struct mt_pool_stats *st);

/*
 * mt_slab_thread_leave - give the calling thread's magazines (its free
 * objects of each cache, and its quarantines) back to the caches' pages
 * Context: the thread is leaving (mt_thread_leave()); holds no cache lock.
 */
void mt_slab_thread_leave(void);
/* Return every chunk to the OS.  Context: no cache exists any more. */
void mt_pagepool_release(void);

#endif /* MT_SLAB_H */
