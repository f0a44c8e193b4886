/* A frame that is never freed: memcheck must report it (frame_malloc.test). */
#include <acc.h>
#include <stdio.h>

int main(void)
{
    acc_frame *f = acc__frame_alloc(64);
    printf("allocated: %d\n", f != NULL);
    return 0;
}
