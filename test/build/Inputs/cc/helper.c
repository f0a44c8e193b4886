/* helper.c: plain C beside async-C, passed through `acc cc` untouched. */
#include "helper.h"

int add(int a, int b)
{
    return a + b;
}
