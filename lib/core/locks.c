// SPDX-License-Identifier: GPL-2.0-only
/*
 * locks.c - spinlocks and rwsems with held-lock tracking; see locks.h.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "counters.h"
#include "inject.h"
#include "locks.h"
#include "rcu.h"
#include "sched.h"
#include "slab.h"

#define MT_MAX_HELD	32
#define SPINS_BEFORE_YIELD 64
/*
 * How long an rwsem's waiter spins before it sleeps.  The kernel's rwsem
 * spins on the owner while the owner runs (rwsem_optimistic_spin() in
 * kernel/locking/rwsem.c), because the holders of mmap_sem and
 * i_mmap_rwsem are short; a waiter that sleeps at once costs a futex
 * wait and a wake, and is not racing meanwhile.  It stops at once when
 * the writer that owns the lock is asleep, and spins on a reader-owned
 * lock for a bounded time: rwsem_rspin_threshold(), (20 + readers) / 2
 * µs, since 7d43f1ce9dd0 ("locking/rwsem: Enable time-based spinning on
 * reader-owned rwsem").  The kernel spins on a running writer until it
 * must reschedule itself; a user thread cannot see its owner preempted,
 * so that spin is bounded too, at five times the reader's: with more
 * threads than CPUs, a waiter that spins on a preempted owner keeps a
 * CPU from the owner.
 */
#define RWSEM_SPIN_READER_NS	20000
#define RWSEM_SPIN_WRITER_NS	100000
/* The longest pause between two tries of a spinning waiter, in cpu_relax()s. */
#define RWSEM_SPIN_PAUSE_MAX	64

struct held_lock {
	const void *lock;
	uint16_t class;		/* 0: untracked */
	uint8_t mode;
	bool bogus;		/* the lock word was not a lock: nothing taken */
};

static __thread struct held_lock held[MT_MAX_HELD];
static __thread int held_depth;
/* Holds below held_base belong to the code a window hook interrupted. */
static __thread int held_base;

/*
 * Record a hold.  Return: false if the table is full (counted): the caller
 * then releases what it took, so that an untracked hold never lingers.
 */
static bool held_push(const void *lock, uint16_t class, enum mt_lock_mode mode, bool bogus,
		      const char *where)
{
	if (held_depth >= MT_MAX_HELD) {
		mt_report(MT_LOCK_RULE, where, "more than %d locks held",
			  MT_MAX_HELD);
		return false;
	}
	held[held_depth].lock = lock;
	held[held_depth].class = class;
	held[held_depth].mode = (uint8_t)mode;
	held[held_depth].bogus = bogus;
	held_depth++;
	return true;
}

/*
 * Remove the innermost hold of @lock.  Return: 1 if it was a real hold,
 * 0 if bogus, -1 if the thread did not hold it.
 */
static int held_pop(const void *lock, enum mt_lock_mode mode)
{
	for (int i = held_depth - 1; i >= held_base; i--) {
		if (held[i].lock != lock)
			continue;
		if (mode && held[i].mode != mode)
			continue;
		bool bogus = held[i].bogus;

		memmove(&held[i], &held[i + 1],
			(size_t)(held_depth - i - 1) * sizeof(held[0]));
		held_depth--;
		return bogus ? 0 : 1;
	}
	return -1;
}

bool mt_lock_held(const void *lock, enum mt_lock_mode mode)
{
	for (int i = held_base; i < held_depth; i++) {
		if (held[i].lock != lock)
			continue;
		if (!mode || held[i].mode == mode)
			return true;
		/* a write hold satisfies a read assertion, as in lockdep */
		if (mode == MT_HELD_READ && held[i].mode == MT_HELD_WRITE)
			return true;
	}
	return false;
}

int mt_locks_held_count(void)
{
	return held_depth - held_base;
}

bool mt_holds_spinlock(void)
{
	for (int i = held_base; i < held_depth; i++)
		if (held[i].mode == MT_HELD_SPIN && !held[i].bogus)
			return true;
	return false;
}

int mt_lockdep_set_aside(void)
{
	int old = held_base;

	held_base = held_depth;
	return old;
}

void mt_lockdep_restore(int base, const char *where)
{
	mt_lockdep_assert_none_held(where);
	held_base = base;
}

static const char *mode_name(enum mt_lock_mode mode)
{
	switch (mode) {
	case MT_HELD_READ:  return "for read";
	case MT_HELD_WRITE: return "for write";
	default:            return "";
	}
}

void __lockdep_assert(const void *lock, enum mt_lock_mode mode,
		      const char *what, const char *where)
{
	if (likely(mt_lock_held(lock, mode)))
		return;
	mt_report(MT_LOCK_RULE, where, "%s not held %s", what, mode_name(mode));
}

static void lock_release_raw(const struct held_lock *h);

void mt_lockdep_assert_none_held(const char *where)
{
	if (likely(held_depth == held_base))
		return;
	mt_report(MT_LOCK_RULE, where, "%d lock(s) still held at the end of an operation",
		  held_depth - held_base);
	/*
	 * Release them, innermost first, so that the other threads do not
	 * hang on a lock nobody will drop: the bug is counted, the torture
	 * goes on.
	 */
	while (held_depth > held_base) {
		held_depth--;
		if (!held[held_depth].bogus)
			lock_release_raw(&held[held_depth]);
	}
}

/* ---- lock classes and their order ---- */

static pthread_mutex_t class_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mt_lock_class *classes[MT_MAX_LOCK_CLASSES];	/* by id; 0 unused */
static unsigned int nclasses;					/* protected by class_lock */

#define ORDER_SEEN	1u	/* [a][b]: b was taken while a was held */
#define ORDER_REPORTED	2u	/* [a][b]: the inversion of that order was counted */
static uint8_t order[MT_MAX_LOCK_CLASSES][MT_MAX_LOCK_CLASSES];	/* ATOMIC */

/* Return: the class's id, 0 when the table is full (the lock goes untracked). */
static uint16_t class_id(struct mt_lock_class *c)
{
	uint16_t id = __atomic_load_n(&c->id, __ATOMIC_ACQUIRE);

	if (likely(id))
		return id;
	pthread_mutex_lock(&class_lock);
	id = c->id;
	if (!id && nclasses + 1 < MT_MAX_LOCK_CLASSES) {
		id = (uint16_t)++nclasses;
		classes[id] = c;
		__atomic_store_n(&c->id, id, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&class_lock);
	return id;
}

const char *mt_lock_class_name(unsigned int id)
{
	const char *name = "?";

	pthread_mutex_lock(&class_lock);
	if (id && id <= nclasses)
		name = classes[id]->name;
	pthread_mutex_unlock(&class_lock);
	return name;
}

void mt_lock_order_reset(void)
{
	memset(order, 0, sizeof(order));
}

/*
 * About to block on a lock of class @b: for every lock this thread holds,
 * check that @b was never seen taken before it, then record that it is
 * taken after it.  Called before the wait, so that an inversion is counted
 * even when this very acquisition is the one that deadlocks.
 */
static void lock_order_check(uint16_t b, const char *where)
{
	if (!MT_CHECKS || !b)
		return;
	for (int i = held_base; i < held_depth; i++) {
		uint16_t a = held[i].class;

		if (held[i].bogus || !a || a == b)
			continue;
		if (unlikely(__atomic_load_n(&order[b][a], __ATOMIC_RELAXED) & ORDER_SEEN) &&
		    !(__atomic_fetch_or(&order[b][a], ORDER_REPORTED, __ATOMIC_RELAXED) &
		      ORDER_REPORTED))
			mt_report(MT_LOCK_RULE, where,
				  "lock order: %s taken while holding %s, which has been taken "
				  "while holding it (AB-BA deadlock)",
				  mt_lock_class_name(b), mt_lock_class_name(a));
		if (!(__atomic_load_n(&order[a][b], __ATOMIC_RELAXED) & ORDER_SEEN))
			__atomic_fetch_or(&order[a][b], ORDER_SEEN, __ATOMIC_RELAXED);
	}
}

/* ---- spinlock ---- */

void __spin_lock_init(spinlock_t *lock, struct mt_lock_class *class)
{
	uint32_t id = class_id(class);

	__atomic_store_n(&lock->val, MT_SPIN_MAGIC | id << MT_SPIN_CLASS_SHIFT, __ATOMIC_RELEASE);
	/* a waiter on the word of a freed object looks again, and sees a new lock */
	if (mt_sched_here())
		mt_sched_wake(lock);
}

static bool spin_word_valid(uint32_t v)
{
	return (v & MT_SPIN_MASK) == MT_SPIN_MAGIC;
}

static uint16_t spin_class(uint32_t v)
{
	return (uint16_t)((v & ~MT_SPIN_MASK) >> MT_SPIN_CLASS_SHIFT);
}

static void spin_bad(spinlock_t *lock, const char *where)
{
	mt_slab_report_bad_access(lock, where, "spin_lock on a word that is not a lock");
	held_push(lock, 0, MT_HELD_SPIN, true, where);
}

void __spin_lock(spinlock_t *lock, const char *where)
{
	unsigned int spins = 0;
	uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

	if (spin_word_valid(v))
		lock_order_check(spin_class(v), where);
	mt_sched_point(MT_PT_LOCK, "spin_lock", lock);
	/*
	 * Look at the word again: another thread may have run at the point.
	 * Under the scheduler a waiter blocks on what it saw, and nobody
	 * wakes it for a release that came before it looked.
	 */
	for (;;) {
		v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
		if (unlikely(!spin_word_valid(v))) {
			spin_bad(lock, where);
			return;
		}
		if (!(v & MT_SPIN_LOCKED) &&
		    __atomic_compare_exchange_n(&lock->val, &v, v | MT_SPIN_LOCKED,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (mt_sched_here())
			mt_sched_block(lock, "spin_lock");	/* the holder must run */
		else if (++spins % SPINS_BEFORE_YIELD)
			cpu_relax();
		else
			sched_yield();
	}
	if (!held_push(lock, spin_class(v), MT_HELD_SPIN, false, where))
		__atomic_store_n(&lock->val, v, __ATOMIC_RELEASE);
}

bool __spin_trylock(spinlock_t *lock, const char *where)
{
	uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

	if (unlikely(!spin_word_valid(v))) {
		mt_slab_report_bad_access(lock, where,
					  "spin_trylock on a word that is not a lock");
		return false;
	}
	if ((v & MT_SPIN_LOCKED) ||
	    !__atomic_compare_exchange_n(&lock->val, &v, v | MT_SPIN_LOCKED, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	if (!held_push(lock, spin_class(v), MT_HELD_SPIN, false, where)) {
		__atomic_store_n(&lock->val, v, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

/*
 * Drop a lock this thread took.  The word must still read "locked": if
 * the memory was freed and became something else while the lock was held
 * (a non-typesafe object reused under the holder), writing the unlocked
 * value would corrupt the new object, so nothing is written and the
 * access is reported instead.
 */
static void spin_release(spinlock_t *lock, const char *where)
{
	uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

	if (unlikely(!spin_word_valid(v) || !(v & MT_SPIN_LOCKED) ||
		     !__atomic_compare_exchange_n(&lock->val, &v, v & ~MT_SPIN_LOCKED, false,
						  __ATOMIC_RELEASE, __ATOMIC_RELAXED)))
		mt_slab_report_bad_access(lock, where,
					  "spin_unlock of a lock word that changed under its holder");
	if (mt_sched_here())
		mt_sched_wake(lock);
}

void __spin_unlock(spinlock_t *lock, const char *where)
{
	int r = held_pop(lock, MT_HELD_SPIN);

	if (r == 0)
		return;		/* bogus hold: nothing was taken */
	if (r < 0) {
		mt_report(MT_LOCK_RULE, where, "spin_unlock of a lock not held");
		return;
	}
	spin_release(lock, where);
	race_window("sync-unlock");
}

/* ---- rw_semaphore ---- */

void __init_rwsem(struct rw_semaphore *sem, struct mt_lock_class *class)
{
	pthread_rwlockattr_t attr;

	sem->class = class_id(class);
	pthread_rwlockattr_init(&attr);
	/* A writer must not starve behind a stream of fault-path readers. */
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sem->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	__atomic_store_n(&sem->magic, MT_RWSEM_MAGIC, __ATOMIC_RELEASE);
}

void destroy_rwsem(struct rw_semaphore *sem)
{
	__atomic_store_n(&sem->magic, 0, __ATOMIC_RELEASE);
	pthread_rwlock_destroy(&sem->rw);
}

static bool rwsem_valid(struct rw_semaphore *sem, const char *where)
{
	if (likely(__atomic_load_n(&sem->magic, __ATOMIC_ACQUIRE) == MT_RWSEM_MAGIC))
		return true;
	mt_slab_report_bad_access(sem, where, "rw_semaphore that is not one");
	return false;
}

/*
 * might_sleep(): a down_*() may sleep whether or not it has to wait this
 * time, so the rules are checked on every call, not only on contention.
 */
static void rwsem_sleep_checks(const char *where)
{
	if (unlikely(mt_rcu_nesting > 0))
		mt_report(MT_LOCK_RULE, where,
			  "down on an rw_semaphore inside an RCU read-side critical section");
	if (mt_holds_spinlock())
		mt_report(MT_LOCK_RULE, where,
			  "sleeping on an rw_semaphore while holding a spinlock");
}

static bool rwsem_trylock(struct rw_semaphore *sem, bool write)
{
	return !(write ? pthread_rwlock_trywrlock(&sem->rw) : pthread_rwlock_tryrdlock(&sem->rw));
}

/*
 * Whether each thread is asleep, by thread index (0: a thread without
 * one, never marked), a line each: written by its thread at every sleep,
 * read by the waiters that spin on a lock it owns.
 */
static struct {
	_Alignas(64) bool off;
} run_state[MT_MAX_SHARDS];

void mt_off_cpu(bool off)
{
	unsigned int idx = mt_my_shard_idx;

	if (idx && idx < MT_MAX_SHARDS)
		__atomic_store_n(&run_state[idx].off, off, __ATOMIC_RELAXED);
}

/* Is thread @idx (an rwsem's owner, 0 for none known) asleep? */
static bool thread_off_cpu(uint16_t idx)
{
	return idx && idx < MT_MAX_SHARDS && __atomic_load_n(&run_state[idx].off, __ATOMIC_RELAXED);
}

/*
 * rwsem_optimistic_spin(): try @sem with a growing pause between tries
 * while its owner may release it soon -- a writer that runs, for up to
 * RWSEM_SPIN_WRITER_NS, a reader, for up to RWSEM_SPIN_READER_NS -- and
 * give up at once when the writer sleeps.  The clock is read every few
 * tries, once the short pauses are over.
 * Return: whether @sem was taken.
 */
static bool rwsem_spin(struct rw_semaphore *sem, bool write)
{
	uint64_t start = 0;

	for (unsigned int i = 0;; i++) {
		uint16_t owner = __atomic_load_n(&sem->owner, __ATOMIC_RELAXED);

		if (thread_off_cpu(owner))
			return false;
		for (unsigned int j = 0; j <= i && j < RWSEM_SPIN_PAUSE_MAX; j++)
			cpu_relax();
		if (rwsem_trylock(sem, write))
			return true;
		if (i >= 16 && !(i % 4)) {
			uint64_t now = mt_now_ns();

			if (!start)
				start = now;
			else if (now - start > (owner ? RWSEM_SPIN_WRITER_NS : RWSEM_SPIN_READER_NS))
				return false;
		}
	}
}

/*
 * Take @sem: at once if it is free; under the controlled scheduler by
 * waiting in the scheduler (one thread runs: the holder runs only when
 * this one waits); otherwise by optimistic spinning, a growing pause
 * between tries, as the kernel's rwsem spins while the owner runs, and
 * then by sleeping, offline for RCU.  The try follows the scheduling
 * point: what was seen before it is stale once another thread has run.
 */
static void rwsem_acquire(struct rw_semaphore *sem, bool write, const char *what)
{
	bool off;

	mt_sched_point(MT_PT_LOCK, what, sem);
	if (rwsem_trylock(sem, write))
		return;
	if (mt_sched_here()) {
		do
			mt_sched_block(sem, what);
		while (!rwsem_trylock(sem, write));
		return;
	}
	if (rwsem_spin(sem, write))
		return;
	off = mt_block_begin();
	if (write)
		pthread_rwlock_wrlock(&sem->rw);
	else
		pthread_rwlock_rdlock(&sem->rw);
	mt_block_done(off);
}

void __down_read(struct rw_semaphore *sem, const char *where)
{
	if (!rwsem_valid(sem, where)) {
		held_push(sem, 0, MT_HELD_READ, true, where);
		return;
	}
	rwsem_sleep_checks(where);
	lock_order_check(sem->class, where);
	rwsem_acquire(sem, false, "down_read");
	if (!held_push(sem, sem->class, MT_HELD_READ, false, where))
		pthread_rwlock_unlock(&sem->rw);
}

bool __down_read_trylock(struct rw_semaphore *sem, const char *where)
{
	if (!rwsem_valid(sem, where))
		return false;
	if (!rwsem_trylock(sem, false))
		return false;
	if (!held_push(sem, sem->class, MT_HELD_READ, false, where)) {
		pthread_rwlock_unlock(&sem->rw);
		return false;
	}
	return true;
}

void __down_write(struct rw_semaphore *sem, const char *where)
{
	if (!rwsem_valid(sem, where)) {
		held_push(sem, 0, MT_HELD_WRITE, true, where);
		return;
	}
	rwsem_sleep_checks(where);
	lock_order_check(sem->class, where);
	rwsem_acquire(sem, true, "down_write");
	if (!held_push(sem, sem->class, MT_HELD_WRITE, false, where)) {
		pthread_rwlock_unlock(&sem->rw);
		return;
	}
	__atomic_store_n(&sem->owner, (uint16_t)mt_my_shard_idx, __ATOMIC_RELAXED);
}

static void rwsem_unlock(struct rw_semaphore *sem, enum mt_lock_mode mode)
{
	if (mode == MT_HELD_WRITE)
		__atomic_store_n(&sem->owner, 0, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&sem->rw);
	if (mt_sched_here())
		mt_sched_wake(sem);
}

static void rwsem_release(struct rw_semaphore *sem, enum mt_lock_mode mode,
			  const char *where)
{
	int r = held_pop(sem, mode);

	if (r == 0)
		return;
	if (r < 0) {
		mt_report(MT_LOCK_RULE, where, "up_%s of an rw_semaphore not held %s",
			  mode == MT_HELD_READ ? "read" : "write", mode_name(mode));
		return;
	}
	rwsem_unlock(sem, mode);
	race_window("sync-unlock");
}

static void lock_release_raw(const struct held_lock *h)
{
	if (h->mode == MT_HELD_SPIN)
		spin_release((spinlock_t *)h->lock, "mt_lockdep_assert_none_held");
	else
		rwsem_unlock((struct rw_semaphore *)h->lock, h->mode);
}

void __up_read(struct rw_semaphore *sem, const char *where)
{
	rwsem_release(sem, MT_HELD_READ, where);
}

void __up_write(struct rw_semaphore *sem, const char *where)
{
	rwsem_release(sem, MT_HELD_WRITE, where);
}
