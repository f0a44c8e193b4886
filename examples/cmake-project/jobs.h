/*
 * jobs.h: the async functions of jobs.acc, shared by main.acc and jobs.acc.
 *
 * Only async-C reads this header: acc parses it while translating both .acc
 * files, and the C that acc generates includes it again (there `async`
 * expands to nothing). Plain C files do not include it.
 */
#ifndef JOBS_H
#define JOBS_H

/* Run job `id`: wait `seconds`, then report it. Returns id * id. */
async int job_run(int id, double seconds);

/* Run jobs 1..3 concurrently; returns the sum of their results. */
async int jobs_run_all(void);

#endif
