/* local.h: beside worker.acc, included as "local.h". */
#define LOCAL_OFFSET 1
