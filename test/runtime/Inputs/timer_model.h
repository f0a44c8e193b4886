/*
 * timer_model.h: what the model tests of the timers share
 * (timer_wheel.c, sleep_wheel.c): pseudo-random numbers (xorshift64, a
 * fixed seed, so that a failure comes back the same) and the check of
 * acc__timer_next after a run. The test defines fail(what, i) first.
 */
#ifndef TEST_TIMER_MODEL_H
#define TEST_TIMER_MODEL_H

#include <stdint.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fail(const char *what, long i);

/* next, from acc__timer_next after a run at now; first, the model's
 * earliest armed timer (its deadline), or -1 if none. Never later than
 * the earliest deadline, and later than now: no busy loop. */
static void check_next(uint64_t next, long first, uint64_t first_deadline, uint64_t now)
{
    if (first < 0 && next != UINT64_MAX)
        fail("next is not UINT64_MAX with nothing armed", 0);
    if (first >= 0 && next > first_deadline)
        fail("next is later than the earliest deadline", first);
    if (first >= 0 && next <= now)
        fail("next is not after now after a run", first);
}

#endif
