#!/usr/bin/env python3
"""gen.py N: print a .acc file with N async functions (issue 3, translator
speed). Each function has parameters, locals, a loop, an if and two awaits
of earlier functions, so the translator has frames to lay out and awaits to
lower; a few plain C functions sit between them, as in real files."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
out = ["#include <acc.h>", "#include <stdio.h>", "#include <string.h>", "",
       "struct point { int x, y; };", ""]
out.append("async int f0(int a, int b) { return a + b; }")
for i in range(1, n):
    j = max(0, i - 1)
    k = max(0, i // 2)
    if i % 10 == 0:
        out.append(f"static int plain{i}(int x) {{ return x * {i} + (x >> 3); }}")
    out.append(f"""async int f{i}(int a, int b)
{{
    int total = 0;
    struct point p = {{a, b}};
    char buf[16];
    for (int i = 0; i < a % 4; i++) {{
        total += await f{j}(i, p.y);
        if (total > {i * 7})
            break;
    }}
    if (b > 0 && await f{k}(b, a) > 3)
        total -= b;
    snprintf(buf, sizeof buf, "%d", total);
    return total + (int)strlen(buf) + p.x;
}}""")
out.append(f"""async int main(void)
{{
    int r = await f{n - 1}(3, 2);
    printf("%d\\n", r);
    return 0;
}}""")
print("\n".join(out))
