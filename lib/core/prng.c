// SPDX-License-Identifier: GPL-2.0-only
/*
 * prng.c - seeding for the per-thread xoshiro256** generators.
 */
#include <time.h>
#include <unistd.h>

#include "prng.h"

__thread struct mt_prng mt_prng_tls = { { 1, 2, 3, 4 } };

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void mt_prng_seed(struct mt_prng *p, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);

	/* Mix the stream in twice so that neighbouring threads diverge. */
	x = splitmix64(&x) ^ stream;
	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&x);
	if (!(p->s[0] | p->s[1] | p->s[2] | p->s[3]))
		p->s[0] = 1;
}

uint64_t mt_prob_threshold(double p)
{
	if (!(p > 0.0))
		return 0;
	if (p >= 1.0)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551615.0);
}

uint64_t mt_seed_random(void)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 48);
	x = splitmix64(&x);
	return x ? x : 1;
}
