/*
 * xorshift.h: the pseudo-random numbers of the model tests (xorshift64,
 * a fixed seed, so that a failure comes back the same).
 */
#ifndef TEST_XORSHIFT_H
#define TEST_XORSHIFT_H

#include <stdint.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#endif
