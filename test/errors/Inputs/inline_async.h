/* An async function defined (not only declared) in a header. */
#pragma once
static inline async int once_inline(int x) { return x + 1; }
