#define PRE2_H 1
