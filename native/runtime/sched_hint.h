/*
 * Scheduler hints for the runtime's own threads.
 */
#ifndef QUIESCE_RUNTIME_SCHED_HINT_H
#define QUIESCE_RUNTIME_SCHED_HINT_H

#include <stdint.h>

#include "internal.h"

/* Ask the kernel for a scheduler slice of `ns` for the calling thread
 * (sched_setattr(2), SCHED_OTHER with sched_runtime: EEVDF's custom slice,
 * Linux 6.12+; older kernels ignore sched_runtime for SCHED_OTHER). Keeps
 * the thread's nice value; leaves a thread that is not SCHED_OTHER alone
 * (-EPERM). Returns 0 or -errno; failure changes nothing. */
QS_INTERNAL int qs_sched_request_slice(uint64_t ns);

#endif /* QUIESCE_RUNTIME_SCHED_HINT_H */
