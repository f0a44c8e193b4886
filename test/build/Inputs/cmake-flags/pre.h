#define PRE_H 1
