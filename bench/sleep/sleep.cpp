// sleep.cpp: the C++20 peer of sleep.acc (g++ -std=c++20 -O2). N
// fire-and-forget coroutines each co_await a sleep awaiter that puts
// (deadline, sequence, handle) into a binary min-heap, the minimal timer
// a hand-written C++20 event loop needs. Prints RSS growth per task and
// the coroutine frame size (recorded by the promise's operator new).
#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <queue>
#include <unistd.h>
#include <vector>

static long rss()
{
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    if (f)
        fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}

static double now()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Timer {
    double deadline;
    unsigned long seq;
    std::coroutine_handle<> h;
    bool operator>(const Timer &o) const { return deadline != o.deadline ? deadline > o.deadline : seq > o.seq; }
};
static std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
static unsigned long seq;
static size_t frame_size;

struct Detached {
    struct promise_type {
        static void *operator new(size_t n)
        {
            frame_size = n;
            return ::operator new(n);
        }
        static void operator delete(void *p) { ::operator delete(p); }
        Detached get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::abort(); }
    };
};

struct Sleep {
    double seconds;
    bool await_ready() { return seconds <= 0; }
    void await_suspend(std::coroutine_handle<> h) { timers.push({now() + seconds, seq++, h}); }
    void await_resume() {}
};

static Detached sleeper()
{
    co_await Sleep{3600};
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long r0 = rss();
    for (long i = 0; i < n; i++)
        sleeper();
    long r1 = rss();
    printf("bytes_per_task %.1f\n", double(r1 - r0) / n);
    printf("frame_bytes_sleeper %zu\n", frame_size);
    printf("sizeof_heap_entry %zu\n", sizeof(Timer));
    return 0;
}
