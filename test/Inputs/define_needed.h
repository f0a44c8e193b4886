#define NEEDED 1
