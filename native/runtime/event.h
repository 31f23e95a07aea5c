/*
 * qs_event: the runtime's one wait/wake primitive, a manual-reset event on
 * a futex word. Every blocking wait in the runtime goes through it; this
 * file pair is the only place that issues futex system calls.
 *
 * Protocol (the classic reset / check / wait pattern, no lost wake-ups):
 *   waiter:  qs_event_reset(e); if (!condition) qs_event_wait(e);
 *   waker:   make condition true; qs_event_set(e);
 * set and reset are sequentially consistent, so if the waker's set was
 * wiped out by the waiter's reset, the waiter's later check of the
 * condition sees the waker's earlier store.
 */
#ifndef QUIESCE_RUNTIME_EVENT_H
#define QUIESCE_RUNTIME_EVENT_H

#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"

/* Word values. FREE and FREE_WAITERS are both "not set"; the second tells
 * a setter that someone sleeps in the kernel and needs a futex wake. */
enum {
    QS_EVENT_FREE = 0,
    QS_EVENT_SET = 1,
    QS_EVENT_FREE_WAITERS = 2
};

typedef struct qs_event {
    _Atomic uint32_t word;
} qs_event;

QS_INTERNAL void qs_event_init(qs_event *e, int set);
/* Set the event and wake every waiter. Ordered after the caller's earlier
 * stores (full fence first). */
QS_INTERNAL void qs_event_set(qs_event *e);
/* Clear a set event; no effect on a free one. */
QS_INTERNAL void qs_event_reset(qs_event *e);
/* Block until the event is set. */
QS_INTERNAL void qs_event_wait(qs_event *e);
/* Block until the event is set or `timeout_ns` elapsed (CLOCK_MONOTONIC).
 * Returns 1 if the event was seen set, 0 on timeout. */
QS_INTERNAL int qs_event_timedwait(qs_event *e, uint64_t timeout_ns);

#endif /* QUIESCE_RUNTIME_EVENT_H */
