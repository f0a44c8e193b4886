/* a #pragma once header (no include guard) with async prototypes in
   several specifier orders; included twice by fn_pragma_once_header.acc */
#pragma once
#include <acc.h>
async int once_v(int x);
int async once_after_type(void);
static inline int once_plain(int x) { return x * 100; }
