/*
 * The writer-side process-wide barrier: membarrier(2) with
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED when the kernel offers it.
 *
 * Registration (MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) is done once per
 * process, the first time a domain asks for it. A domain whose config asks
 * for membarrier but whose process cannot register falls back to
 * QS_FENCE_FULL; its readers then pay a full fence instead.
 */
#ifndef QUIESCE_RUNTIME_MEMBARRIER_H
#define QUIESCE_RUNTIME_MEMBARRIER_H

#include "internal.h"

/* 1 if private expedited membarrier is registered for this process (the
 * first call tries to register), else 0. Thread-safe. */
QS_INTERNAL int qs_membarrier_available(void);
/* Issue the barrier: on return, every thread of the process that was
 * running has executed a full memory barrier. Aborts if the kernel
 * refuses after a successful registration (readers would be unsafe). */
QS_INTERNAL void qs_membarrier_run(void);
/* Fork child: renew the registration if the parent had one. */
QS_INTERNAL void qs_membarrier_after_fork(void);

#endif /* QUIESCE_RUNTIME_MEMBARRIER_H */
