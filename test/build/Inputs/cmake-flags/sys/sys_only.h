#define SYS_H 1
