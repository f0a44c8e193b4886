/* worker.h: found through the worker target's include directory. */
#ifndef WORKER_H
#define WORKER_H

async int worker_scaled(int x);   /* x * WORKER_SCALE + LOCAL_OFFSET */

#endif
