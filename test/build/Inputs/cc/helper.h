/* helper.h: read by plain C (helper.c) and by async-C (uses_header.acc).
 * The async prototype is only for acc, which defines __ACC__. */
#ifndef HELPER_H
#define HELPER_H

int add(int a, int b);          /* helper.c */

#ifdef __ACC__
async int twice(int x);         /* uses_header.acc */
#endif

#endif
