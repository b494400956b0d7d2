/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compiler.h - the handful of kernel idioms the models are written in.
 *
 * The models read like the kernel code they follow, so they need its
 * vocabulary: READ_ONCE/WRITE_ONCE for fields read locklessly under RCU,
 * likely/unlikely, container_of.  Everything here is a thin wrapper over
 * the GCC/Clang __atomic builtins; nothing is invented.
 */
#ifndef MT_COMPILER_H
#define MT_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MT_CACHELINE	64
#define __cacheline_aligned	__attribute__((aligned(MT_CACHELINE)))
#define __maybe_unused	__attribute__((unused))
#define __must_check	__attribute__((warn_unused_result))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

/*
 * Lockless single-copy-atomic accesses.  Relaxed atomics rather than
 * volatile casts, so that the sanitizers and the C11 memory model agree
 * that a racy read of a pointer published under RCU is intended.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define barrier()		__asm__ __volatile__("" ::: "memory")

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	barrier();
#endif
}

/*
 * MT_CHECKS: the detectors' per-use checks are compiled in (1), or out
 * for the benchmark's overhead ratio (Makefile CHECKS=0, -DMT_NO_CHECKS).
 */
#ifdef MT_NO_CHECKS
#define MT_CHECKS	0
#else
#define MT_CHECKS	1
#endif

#endif /* MT_COMPILER_H */
