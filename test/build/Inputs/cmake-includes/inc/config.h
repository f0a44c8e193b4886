/* inc/config.h: what <config.h> finds, from any source of the target. */
#define V 2
