/*
 * membarrier(2) detection and use (see membarrier.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "membarrier.h"

static pthread_once_t mb_once = PTHREAD_ONCE_INIT;
/* 1 once registered; written in mb_detect (under pthread_once) and in the
 * fork child (single-threaded). */
static atomic_int mb_registered;

static long sys_membarrier(int cmd)
{
#ifdef SYS_membarrier
    return syscall(SYS_membarrier, cmd, 0);
#else
    (void)cmd;
    errno = ENOSYS;
    return -1;
#endif
}

static void mb_register(void)
{
    long mask = sys_membarrier(MEMBARRIER_CMD_QUERY);
    if (mask < 0 || (mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 ||
        (mask & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
        return;
    }
    if (sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
        return;
    }
    atomic_store(&mb_registered, 1);
}

int qs_membarrier_available(void)
{
    pthread_once(&mb_once, mb_register);
    return atomic_load(&mb_registered);
}

void qs_membarrier_run(void)
{
    if (sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        /* Readers of this domain rely on it: continuing would be unsafe. */
        fprintf(stderr, "libquiesce: membarrier(PRIVATE_EXPEDITED) failed: %s\n",
                strerror(errno));
        abort();
    }
}

void qs_membarrier_after_fork(void)
{
    /* The kernel keeps the registration in the memory descriptor, which a
     * fork copies on current kernels; registering again is cheap and makes
     * the child independent of that detail. */
    if (atomic_load(&mb_registered) &&
        sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
        fprintf(stderr, "libquiesce: membarrier re-registration failed in a "
                        "fork child: %s\n", strerror(errno));
        abort();
    }
}
