/*
 * hand_coro.h: coroutines written by hand against acc.h's frame ABI
 * (docs/abi.md), for the plain-C runtime tests. The macros fold the shape
 * acc generates: a body is a switch on self->acc_state, each await a numbered
 * resume point. A step function names its frame `self` (the acc_frame) and
 * `f` (its own struct, with `acc_frame hdr` and `T *acc_out`).
 */
#ifndef TEST_HAND_CORO_H
#define TEST_HAND_CORO_H

#include <acc.h>

#define BEGIN switch (self->acc_state) { case 0:
#define AWAIT(k, call)                               \
    self->acc_state = k;                                 \
    if (acc__await(self, (call)) == ACC_PENDING)     \
        return ACC_PENDING;                          \
    goto resume_##k;                                 \
    case k:                                          \
    resume_##k:;
#define END(value)                                   \
    if (f->acc_out)                                  \
        *f->acc_out = (value);                       \
    return acc__return(self);                        \
    }                                                \
    return ACC_DONE;
#define NEW(type, step)                                          \
    type *f = (type *)acc__frame_alloc(sizeof *f);               \
    if (f == NULL)                                               \
        return NULL;                                             \
    f->hdr.acc_resume = step;                                        \
    f->hdr.acc_state = 0;                                            \
    f->acc_out = acc_out;

/* A test's entry and its C main: run main_step's coroutine on a new loop
 * and print what acc_run returned. */
#define TEST_MAIN(type, step)                                    \
    static acc_frame *main_coro(int *acc_out)                    \
    {                                                            \
        NEW(type, step)                                          \
        return &f->hdr;                                          \
    }                                                            \
    int main(void)                                               \
    {                                                            \
        printf("acc_run: %d\n", acc_run(main_coro(NULL)));       \
        return 0;                                                \
    }

#endif
