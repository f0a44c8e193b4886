// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Two sleeps of 0.2 s and 0.1 s gathered: the shorter finishes first, both
// sleep at once, and the whole takes at least 0.2 s. (Not "less than
// 0.3 s": a loaded machine can add 0.1 s.) Written by hand against the
// frame ABI of acc.h (docs/abi.md), as acc would generate it from:
//
//   async int nap(const char *name, double s) {
//       int r = await acc_sleep(s);
//       printf("%s woke: %d\n", name, r);
//       return (int)(s * 10);
//   }
//   async int main_(void) {
//       int a = -1, b = -1;
//       await acc_gather(a = nap("a", 0.2), b = nap("b", 0.1));
//       return a * 10 + b;
//   }
#include <acc.h>
#include <stdio.h>

typedef struct nap_frame {
    acc_frame hdr;
    int *acc_out;
    const char *name;
    double s;
    int r;
} nap_frame;

static int sleeping, most_sleeping; /* naps in acc_sleep now, and at most */

static int nap__step(acc_frame *self)
{
    nap_frame *f = (nap_frame *)self;

    switch (self->acc_state) {
    case 0:
        self->acc_state = 1;
        if (++sleeping > most_sleeping)
            most_sleeping = sleeping;
        if (acc__await(self, acc_sleep__coro(&f->r, f->s)) == ACC_PENDING)
            return ACC_PENDING;
        /* fall through */
    case 1:
        sleeping--;
        printf("%s woke: %d\n", f->name, f->r);
        if (f->acc_out)
            *f->acc_out = (int)(f->s * 10 + 0.5);
        return acc__return(self);
    }
    return ACC_DONE;
}

static acc_frame *nap__coro(int *acc_out, const char *name, double s)
{
    nap_frame *f = (nap_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = nap__step;
    f->hdr.acc_state = 0;
    f->acc_out = acc_out;
    f->name = name;
    f->s = s;
    return &f->hdr;
}

typedef struct main_frame {
    acc_frame hdr;
    int *acc_out;
    int a, b, g;
} main_frame;

static int main__step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;

    switch (self->acc_state) {
    case 0:
        f->a = f->b = -1;
        self->acc_state = 1;
        if (acc__await(self, acc_gather__coro(&f->g, 2, (acc_frame *[]){
                                  nap__coro(&f->a, "a", 0.2),
                                  nap__coro(&f->b, "b", 0.1)})) == ACC_PENDING)
            return ACC_PENDING;
        /* fall through */
    case 1:
        printf("gather: %d a=%d b=%d\n", f->g, f->a, f->b);
        if (f->acc_out)
            *f->acc_out = f->a * 10 + f->b;
        return acc__return(self);
    }
    return ACC_DONE;
}

static acc_frame *main__coro(int *acc_out)
{
    main_frame *f = (main_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = main__step;
    f->hdr.acc_state = 0;
    f->acc_out = acc_out;
    return &f->hdr;
}

int main(void)
{
    int result = -1;
    double t0 = acc_now();
    int r = acc_run(main__coro(&result));
    double dt = acc_now() - t0;

    printf("acc_run: %d result: %d\n", r, result);
    /* concurrent: both asleep at once, and at least the longer sleep */
    printf("asleep at once: %d\n", most_sleeping);
    printf("elapsed ok: %d\n", dt >= 0.2);
    return 0;
}

// CHECK: b woke: 0
// CHECK-NEXT: a woke: 0
// CHECK-NEXT: gather: 0 a=2 b=1
// CHECK-NEXT: acc_run: 0 result: 21
// CHECK-NEXT: asleep at once: 2
// CHECK-NEXT: elapsed ok: 1
