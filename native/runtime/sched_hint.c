/*
 * Scheduler hints (see sched_hint.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <quiesce/domain.h>

#include "sched_hint.h"

/* The kernel's struct sched_attr (include/uapi/linux/sched/types.h), first
 * version (48 bytes). Declared here: glibc 2.36 has no wrapper, and
 * <linux/sched/types.h> clashes with <sched.h>'s struct sched_param. */
typedef struct qs_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
} qs_sched_attr;

int qs_sched_request_slice(uint64_t ns)
{
#ifdef SYS_sched_setattr
    if (sched_getscheduler(0) != SCHED_OTHER) {
        return -EPERM; /* a real-time or batch thread: leave its policy alone */
    }
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0); /* this thread's (Linux: tid 0 = caller) */
    if (nice == -1 && errno != 0) {
        return -errno;
    }
    qs_sched_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = nice; /* sched_setattr sets the nice value too: keep it */
    a.sched_runtime = ns;
    if (syscall(SYS_sched_setattr, 0, &a, 0) != 0) {
        return -errno;
    }
    return 0;
#else
    (void)ns;
    return -ENOSYS;
#endif
}

int qs_thread_set_slice_us(uint32_t us)
{
    if (us != 0 && (us < QS_WORKER_SLICE_MIN_US || us > QS_WORKER_SLICE_MAX_US)) {
        return -EINVAL;
    }
    return qs_sched_request_slice((uint64_t)us * 1000u);
}
