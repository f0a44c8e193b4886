#define HTRY(e) do { int hr_ = (e); if (hr_ < 0) return hr_; } while (0)
#define HGET(x) (await x)
