/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * locks.h - spinlock_t and struct rw_semaphore for the models, with
 * per-thread held-lock tracking.
 *
 * Held-lock tracking is a small lockdep: each thread keeps the locks it
 * holds and in which mode, so that a model states its kernel comment as
 * code ("Context: mmap_sem held for write") with lockdep_assert_held*(),
 * and a path that runs without the lock is counted as a lock_rule.
 * Unlocking a lock the thread does not hold, and sleeping on an rwsem
 * while holding a spinlock or inside an RCU read-side section, are
 * lock_rule too.
 *
 * Locks inside typesafe-by-RCU memory.  An rmap walker may take
 * anon_vma->root->lock in memory that was freed (seed 004).  In a typesafe
 * cache that memory is still a lock (initialised once by the cache's
 * constructor), and taking it is correct.  In memory that was poisoned or
 * has become another cache's, the lock word is not a lock: spin_lock()
 * then takes nothing, reports the bad access through the slab's address
 * classifier (use_after_free or type_confusion), and records a "bogus"
 * hold so that the matching spin_unlock() writes nothing.  The caller goes
 * on as a KASAN-instrumented kernel in multi-shot mode would, and its next
 * obj_check() tells it to bail out.  Nothing crashes and nothing hangs.
 *
 * Lock order.  Each lock has a class, named by the place that initialised
 * it (as lockdep's lock_class_key: every anon_vma lock is one class, every
 * mmap_sem another).  Taking a lock of class B while holding one of class
 * A records "A before B"; taking A while holding B after that is an AB-BA
 * inversion, a deadlock waiting for its timing, and a lock_rule -- counted
 * when the order is seen, not when the threads finally deadlock.  Trylocks
 * cannot deadlock and are neither checked nor recorded; locks of one class
 * nested in each other are not ordered.
 *
 * Spinners yield after a short spin: in user space a lock holder can be
 * preempted, which a kernel spinlock holder cannot.
 */
#ifndef MT_LOCKS_H
#define MT_LOCKS_H

#include <pthread.h>
#include <stdint.h>

#include "compiler.h"

#define MT_SPIN_MAGIC	0x53500000u	/* "SP" in the high half */
#define MT_SPIN_MASK	0xffff0000u
#define MT_SPIN_LOCKED	0x1u
#define MT_SPIN_CLASS_SHIFT 1		/* bits 1..15: the lock's class */

typedef struct spinlock {
	uint32_t val;		/* ATOMIC: MT_SPIN_MAGIC | class << 1 | MT_SPIN_LOCKED */
} spinlock_t;

#define MT_RWSEM_MAGIC	0x7277736du	/* "rwsm" */

struct rw_semaphore {
	uint32_t magic;
	uint16_t class;
	uint16_t owner;		/* ATOMIC: the writer's thread index, 0 for none or unknown */
	pthread_rwlock_t rw;
};

/* A lock class: one per place that initialises locks (a static key). */
struct mt_lock_class {
	const char *name;
	uint16_t id;		/* ATOMIC: 0 until first used */
};
#define MT_MAX_LOCK_CLASSES	256

#define __MT_STR(x)	#x
#define MT_STR(x)	__MT_STR(x)
#define MT_LOCK_CLASS(l)						\
	({ static struct mt_lock_class __mt_lock_class = {		\
		.name = #l " (" __FILE__ ":" MT_STR(__LINE__) ")" };	\
	   &__mt_lock_class; })

enum mt_lock_mode { MT_HELD_SPIN = 1, MT_HELD_READ, MT_HELD_WRITE };

void __spin_lock_init(spinlock_t *lock, struct mt_lock_class *class);
#define spin_lock_init(l)	__spin_lock_init((l), MT_LOCK_CLASS(l))
void __spin_lock(spinlock_t *lock, const char *where);
bool __spin_trylock(spinlock_t *lock, const char *where);
void __spin_unlock(spinlock_t *lock, const char *where);
#define spin_lock(l)		__spin_lock((l), __func__)
#define spin_trylock(l)		__spin_trylock((l), __func__)
#define spin_unlock(l)		__spin_unlock((l), __func__)

static inline bool spin_is_locked(const spinlock_t *lock)
{
	uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

	return (v & MT_SPIN_MASK) == MT_SPIN_MAGIC && (v & MT_SPIN_LOCKED);
}

/*
 * mt_off_cpu - the calling thread is about to sleep (@off true), or runs
 * again (false): a waiter spinning on an rw_semaphore this thread holds
 * for write stops spinning and sleeps, as the kernel's stops when the
 * owner is not on a CPU (owner_on_cpu()).
 */
void mt_off_cpu(bool off);

void __init_rwsem(struct rw_semaphore *sem, struct mt_lock_class *class);
#define init_rwsem(s)		__init_rwsem((s), MT_LOCK_CLASS(s))
void destroy_rwsem(struct rw_semaphore *sem);
void __down_read(struct rw_semaphore *sem, const char *where);
void __down_write(struct rw_semaphore *sem, const char *where);
bool __down_read_trylock(struct rw_semaphore *sem, const char *where);
void __up_read(struct rw_semaphore *sem, const char *where);
void __up_write(struct rw_semaphore *sem, const char *where);
#define down_read(s)		__down_read((s), __func__)
#define down_write(s)		__down_write((s), __func__)
#define down_read_trylock(s)	__down_read_trylock((s), __func__)
#define up_read(s)		__up_read((s), __func__)
#define up_write(s)		__up_write((s), __func__)

/* Does the calling thread hold @lock (in @mode, or any mode if 0)? */
bool mt_lock_held(const void *lock, enum mt_lock_mode mode);
/* Number of locks the calling thread holds. */
int mt_locks_held_count(void);
/* Does the calling thread hold a spinlock (it must not sleep)? */
bool mt_holds_spinlock(void);
/* The name of lock class @id ("&anon_vma->lock (lib/mm/anon_vma.c:80)"). */
const char *mt_lock_class_name(unsigned int id);
/* Forget every recorded lock order (a new job). */
void mt_lock_order_reset(void);

void __lockdep_assert(const void *lock, enum mt_lock_mode mode,
		      const char *what, const char *where);
/* Count a lock_rule unless the thread holds the lock as stated. */
#define lockdep_assert_held(l)		\
	do { if (MT_CHECKS) __lockdep_assert((l), 0, #l, __func__); } while (0)
#define lockdep_assert_held_read(l)	\
	do { if (MT_CHECKS) __lockdep_assert((l), MT_HELD_READ, #l, __func__); } while (0)
#define lockdep_assert_held_write(l)	\
	do { if (MT_CHECKS) __lockdep_assert((l), MT_HELD_WRITE, #l, __func__); } while (0)

/*
 * Count a lock_rule if a thread that holds locks is about to exit an op,
 * and release them, so that the other threads do not hang on them.
 */
void mt_lockdep_assert_none_held(const char *where);

/*
 * mt_lockdep_set_aside - hide the calling thread's holds from the checks,
 * for a window hook that plays another thread in the middle of this one
 * (the hook's own holds are tracked as usual).  Return: the state to give
 * mt_lockdep_restore(), which also counts (and releases) what the hook
 * left held.
 */
int mt_lockdep_set_aside(void);
void mt_lockdep_restore(int saved, const char *where);

/*
 * refcount_dec_and_lock() lives in refcount.h; it needs spinlock_t and
 * this header must not depend on refcount.h.
 */

#endif /* MT_LOCKS_H */
