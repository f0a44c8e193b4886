/*
 * spawn_fifo.c: the hand-written C baseline of issue 4 (a). A task is a
 * malloc'd state machine with a step function; the scheduler is a FIFO
 * queue (an intrusive singly linked list). Spawn N tasks; each yields
 * once (back to the end of the queue) and completes (frees itself).
 *
 * ROUNDS rounds as in spawn.acc: cold is the first, warm the best of the
 * others.
 *
 *   usage: spawn_fifo [N] [ROUNDS]     prints `key value` lines
 */
#include "bench.h"

typedef struct task task;
struct task {
    task *next;
    int (*step)(task *);
    int state;
};

static task *head, *tail;
static long done;

static void push(task *t)
{
    t->next = NULL;
    if (tail)
        tail->next = t;
    else
        head = t;
    tail = t;
}

static task *pop(void)
{
    task *t = head;
    if (t) {
        head = t->next;
        if (!head)
            tail = NULL;
    }
    return t;
}

/* 1: yield (requeue), 0: done */
static int child_step(task *t)
{
    switch (t->state) {
    case 0:
        t->state = 1;
        return 1;
    default:
        done++;
        return 0;
    }
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 1000000);
    long rounds = bench_arg(argc, argv, 2, 3);
    double cold = 0, warm = 1e30;
    for (long r = 0; r < rounds; r++) {
    done = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        task *t = malloc(sizeof *t);
        if (!t)
            return 1;
        t->step = child_step;
        t->state = 0;
        push(t);
    }
    task *t;
    while ((t = pop()) != NULL) {
        if (t->step(t))
            push(t);
        else
            free(t);
    }
    double t1 = bench_now();
    if (done != n)
        return 1;
    if (r == 0)
        cold = t1 - t0;
    else if (t1 - t0 < warm)
        warm = t1 - t0;
    }
    printf("ns_per_task_cold %.2f\n", cold * 1e9 / (double)n);
    if (rounds > 1)
        printf("ns_per_task_warm %.2f\n", warm * 1e9 / (double)n);
    return 0;
}
