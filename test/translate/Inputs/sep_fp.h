/* async prototypes shared by sep_lib.acc and separate_compilation.acc */
#ifndef SEP_H
#define SEP_H
struct stats { int count; long total; };
async int sep_square(int x);
async struct stats sep_stats(const int *xs, int n);
async void sep_log(const char *msg);
typedef async int (*sep_op)(int);
extern sep_op sep_default_op;
#endif
