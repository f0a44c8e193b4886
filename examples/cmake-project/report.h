/*
 * report.h: plain C helpers for printing results, used by both .acc files
 * and by report.c.
 */
#ifndef REPORT_H
#define REPORT_H

void report(const char *what, int value);

#endif
