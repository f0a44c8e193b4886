// acc.h from C++ (its extern "C" block): the runtime's plain C API,
// including the inline parts of the ABI (thread-locals, frame allocator).
#include <acc.h>
#include <cstdio>

int main()
{
    int r = -1;
    int err = acc_run(acc_sleep__coro(&r, 0.001));
    acc_frame *f = acc__frame_alloc(64);
    acc__frame_free(f);
    std::printf("run %d, sleep %d, frame %d\n", err, r, f != nullptr);
    return 0;
}
