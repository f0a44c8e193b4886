// resume.cpp: the C++20 peer of resume.acc (g++ -std=c++20 -O2), with
// minimal hand-written coroutine types:
//
//  gen_always  a coroutine that does `co_await std::suspend_always{}` n
//              times; main calls h.resume() until it is done. The pure
//              resume of a suspended coroutine.
//  gen_nested  the shape of acc's abi benchmark: a task awaits a leaf task
//              pause() n times (a new frame each time, symmetric transfer
//              in and out); pause() suspends once and the driver resumes the
//              innermost suspended frame, as acc's trampoline does.
//
// Frame sizes are recorded by the promise's operator new.
#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>

static double now()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t last_frame_size;

struct promise_alloc {
    static void *operator new(size_t n)
    {
        last_frame_size = n;
        return ::operator new(n);
    }
    static void operator delete(void *p) { ::operator delete(p); }
};

// ---- a coroutine resumed by its owner ----
struct Gen {
    struct promise_type : promise_alloc {
        Gen get_return_object() { return Gen{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::abort(); }
    };
    std::coroutine_handle<promise_type> h;
};

static Gen gen_always(long n)
{
    for (long i = 0; i < n; i++)
        co_await std::suspend_always{};
}

// ---- a task that can be awaited (symmetric transfer) ----
static std::coroutine_handle<> top; // innermost suspended frame

struct Task {
    struct promise_type : promise_alloc {
        std::coroutine_handle<> cont;
        Task get_return_object() { return Task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct Final {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept
            {
                auto c = h.promise().cont;
                return c ? c : std::noop_coroutine();
            }
            void await_resume() noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::abort(); }
    };
    std::coroutine_handle<promise_type> h;
    explicit Task(std::coroutine_handle<promise_type> h) : h(h) {}
    Task(Task &&o) : h(o.h) { o.h = {}; }
    ~Task()
    {
        if (h)
            h.destroy();
    }
    bool await_ready() { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> c)
    {
        h.promise().cont = c;
        return h;
    }
    void await_resume() {}
};

struct Suspend { // the leaf suspends its task: the driver resumes it
    bool await_ready() { return false; }
    void await_suspend(std::coroutine_handle<> h) { top = h; }
    void await_resume() {}
};

static size_t pause_frame_size;

static Task pause_leaf()
{
    co_await Suspend{};
}

static size_t nested_frame_size;

static Task gen_nested(long n)
{
    for (long i = 0; i < n; i++)
        co_await pause_leaf();
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    double best_a = 1e30, best_n = 1e30;
    size_t always_size = 0;

    for (int r = 0; r < 5; r++) {
        Gen g = gen_always(n);
        always_size = last_frame_size;
        double t0 = now();
        while (!g.h.done())
            g.h.resume();
        double t1 = now();
        g.h.destroy();
        if (t1 - t0 < best_a)
            best_a = t1 - t0;

        Task t = gen_nested(n);
        nested_frame_size = last_frame_size;
        top = t.h;
        t0 = now();
        while (!t.h.done())
            top.resume();
        t1 = now();
        pause_frame_size = last_frame_size;
        if (t1 - t0 < best_n)
            best_n = t1 - t0;
    }
    printf("cxx_always_resume_ns %.3f\n", best_a * 1e9 / n);
    printf("cxx_nested_resume_ns %.3f\n", best_n * 1e9 / n);
    printf("cxx_frame_bytes_gen_always %zu\n", always_size);
    printf("cxx_frame_bytes_gen_nested %zu\n", nested_frame_size);
    printf("cxx_frame_bytes_pause_leaf %zu\n", pause_frame_size);
    return 0;
}
