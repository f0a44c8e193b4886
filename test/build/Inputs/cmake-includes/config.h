/* config.h beside main.acc: only "config.h" would find it. */
#define V 1
