/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap.h - Test Anything Protocol output for the C tests, run by prove.
 *
 * Multi-threaded tests take their seed from MT_TEST_SEED (or draw one),
 * print it first, and print it again with every failure, so that a
 * failing run can be repeated: MT_TEST_SEED=<seed> build/.../tests/t_x
 */
#ifndef MT_TAP_H
#define MT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;
static uint64_t tap_seed_value;
static int tap_seed_set;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		if (tap_seed_set)
			printf("# failed with seed %" PRIu64 " (MT_TEST_SEED=%" PRIu64 ")\n",
			       tap_seed_value, tap_seed_value);
	}
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_u64(got, want, ...) do {					\
	unsigned long long __g = (unsigned long long)(got);		\
	unsigned long long __w = (unsigned long long)(want);		\
	if (!ok(__g == __w, __VA_ARGS__))				\
		diag("  got %llu, expected %llu", __g, __w);		\
} while (0)

static inline void tap_skip(int n, const char *why)
{
	for (int i = 0; i < n; i++) {
		tap_n++;
		printf("ok %d # SKIP %s\n", tap_n, why);
	}
	fflush(stdout);
}

static inline __attribute__((noreturn)) void tap_bail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(255);
}

/* The test's seed: MT_TEST_SEED, or one drawn from the clock. */
static inline uint64_t tap_seed(uint64_t drawn)
{
	const char *e = getenv("MT_TEST_SEED");

	tap_seed_value = e && *e ? strtoull(e, NULL, 0) : drawn;
	tap_seed_set = 1;
	printf("# seed %" PRIu64 "\n", tap_seed_value);
	return tap_seed_value;
}

static inline int tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif /* MT_TAP_H */
