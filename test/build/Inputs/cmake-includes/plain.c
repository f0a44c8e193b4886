/* plain.c: the same <config.h> as main.acc. */
#include <config.h>
#include <stdio.h>

void plain(void)
{
    printf("plain.c: V=%d\n", V);
}
