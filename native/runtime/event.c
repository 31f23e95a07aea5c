/*
 * The futex-backed event (see event.h for the protocol).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "event.h"

/* The one place futex(2) is called. `abs` is an absolute CLOCK_MONOTONIC
 * deadline or NULL. Returns 0 or -errno (EAGAIN: the word had changed;
 * ETIMEDOUT; EINTR). */
static int futex_wait(_Atomic uint32_t *word, uint32_t expected,
                      const struct timespec *abs)
{
    /* FUTEX_WAIT_BITSET takes an absolute deadline on CLOCK_MONOTONIC
     * (unless FUTEX_CLOCK_REALTIME is given), so spurious wake-ups do not
     * stretch the total wait. */
    long rc = syscall(SYS_futex, (uint32_t *)word,
                      FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, abs,
                      NULL, FUTEX_BITSET_MATCH_ANY);
    return rc == 0 ? 0 : -errno;
}

static void futex_wake_all(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
            INT_MAX, NULL, NULL, 0);
}

void qs_event_init(qs_event *e, int set)
{
    atomic_init(&e->word, set ? QS_EVENT_SET : QS_EVENT_FREE);
}

void qs_event_set(qs_event *e)
{
    /* Order the caller's stores (the condition) before our look at the
     * word; pairs with the seq_cst reset + condition check of a waiter. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&e->word, memory_order_relaxed) != QS_EVENT_SET) {
        uint32_t old = atomic_exchange_explicit(&e->word, QS_EVENT_SET,
                                                memory_order_seq_cst);
        if (old == QS_EVENT_FREE_WAITERS) {
            futex_wake_all(&e->word);
        }
    }
}

void qs_event_reset(qs_event *e)
{
    uint32_t expected = QS_EVENT_SET;
    /* Only SET -> FREE: a FREE_WAITERS word keeps its waiter flag. */
    atomic_compare_exchange_strong_explicit(&e->word, &expected, QS_EVENT_FREE,
                                            memory_order_seq_cst,
                                            memory_order_seq_cst);
    /* Order the reset before the caller's check of its condition; pairs
     * with the fence at the top of qs_event_set. */
    atomic_thread_fence(memory_order_seq_cst);
}

/* Announce a sleeper: FREE -> FREE_WAITERS. Returns 1 if the event is set
 * (no need to sleep). */
static int announce_waiter(qs_event *e)
{
    uint32_t v = atomic_load_explicit(&e->word, memory_order_acquire);
    if (v == QS_EVENT_SET) {
        return 1;
    }
    if (v == QS_EVENT_FREE &&
        !atomic_compare_exchange_strong_explicit(&e->word, &v,
                                                 QS_EVENT_FREE_WAITERS,
                                                 memory_order_acquire,
                                                 memory_order_acquire)) {
        /* v now holds what was there: SET, or another waiter's flag. */
        return v == QS_EVENT_SET;
    }
    return 0;
}

void qs_event_wait(qs_event *e)
{
    for (;;) {
        if (announce_waiter(e)) {
            return;
        }
        futex_wait(&e->word, QS_EVENT_FREE_WAITERS, NULL);
    }
}

int qs_event_timedwait(qs_event *e, uint64_t timeout_ns)
{
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    uint64_t nsec = (uint64_t)abs.tv_nsec + timeout_ns % 1000000000u;
    abs.tv_sec += (time_t)(timeout_ns / 1000000000u + nsec / 1000000000u);
    abs.tv_nsec = (long)(nsec % 1000000000u);
    for (;;) {
        if (announce_waiter(e)) {
            return 1;
        }
        if (futex_wait(&e->word, QS_EVENT_FREE_WAITERS, &abs) == -ETIMEDOUT) {
            return atomic_load_explicit(&e->word, memory_order_acquire) ==
                   QS_EVENT_SET;
        }
    }
}
