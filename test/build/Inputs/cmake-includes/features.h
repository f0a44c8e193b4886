/* features.h: a project header with the name of one of glibc's. */
#define PROJECT_FEATURES 3
