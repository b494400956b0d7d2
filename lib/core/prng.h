/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prng.h - a fast per-thread PRNG: xoshiro256**, seeded through
 * splitmix64 from (job seed, thread index).  The same pair gives the same
 * sequence, so a failing run can be repeated from the seed it printed.
 */
#ifndef MT_PRNG_H
#define MT_PRNG_H

#include <stdint.h>
#include <stdbool.h>

struct mt_prng {
	uint64_t s[4];
};

/* The calling thread's generator, seeded by mt_prng_thread_seed(). */
extern __thread struct mt_prng mt_prng_tls;

void mt_prng_seed(struct mt_prng *p, uint64_t seed, uint64_t stream);
static inline void mt_prng_thread_seed(uint64_t seed, uint64_t stream)
{
	mt_prng_seed(&mt_prng_tls, seed, stream);
}

static inline uint64_t mt_prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t mt_prng_next(struct mt_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = mt_prng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = mt_prng_rotl(s[3], 45);
	return result;
}

static inline uint64_t mt_random(void)
{
	return mt_prng_next(&mt_prng_tls);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift, bias < 2^-32). */
static inline uint32_t mt_random_below(uint32_t n)
{
	return (uint32_t)(((mt_random() >> 32) * (uint64_t)n) >> 32);
}

/* A probability as a 64-bit threshold: 0 never, UINT64_MAX always. */
uint64_t mt_prob_threshold(double p);

static inline bool mt_random_chance(uint64_t threshold)
{
	return threshold && mt_random() <= threshold;
}

/* A fresh non-zero seed from the clock and the pid, for seed=0. */
uint64_t mt_seed_random(void);

#endif /* MT_PRNG_H */
