#define OPT_H 1
