/*
 * qs_queue: the callback queue, an intrusive multi-producer /
 * single-consumer FIFO on qs_head links with a stub node.
 *
 * Producers are wait-free: one atomic exchange of the tail, then one store
 * linking the previous tail to the new node. Between the two ("the link
 * window") the node is counted but not yet reachable from the head; the
 * consumer then sees an apparently short queue. qs_queue_pop_wait() covers
 * that by spinning (then yielding) until the link appears, so it must only
 * be called when the caller knows a node was pushed (the pending count).
 *
 * Only one thread at a time may consume.
 */
#ifndef QUIESCE_RUNTIME_QUEUE_H
#define QUIESCE_RUNTIME_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>

#include <quiesce/domain.h>

#include "internal.h"

typedef struct qs_queue {
    /* Producers' end; written by every producer. */
    _Alignas(QS_CACHE_LINE) qs_head *_Atomic tail;
    /* Consumer's end (consumer only) and the stub it recycles. */
    _Alignas(QS_CACHE_LINE) qs_head *head;
    qs_head stub;
} qs_queue;

QS_INTERNAL void qs_queue_init(qs_queue *q);
/* Append `node` (any thread). */
QS_INTERNAL void qs_queue_push(qs_queue *q, qs_head *node);
/* Take the oldest node, or NULL if none is reachable right now (empty, or
 * the oldest producer is inside its link window). Consumer only. */
QS_INTERNAL qs_head *qs_queue_pop(qs_queue *q);
/* Take the oldest node, waiting out a producer's link window. The caller
 * guarantees that at least one pushed node has not been taken yet. */
QS_INTERNAL qs_head *qs_queue_pop_wait(qs_queue *q);
/* Fork child only (no other thread exists): cut the queue at the first
 * link a vanished producer never completed, unlink every node whose fn is
 * `drop` (nodes that live on a vanished thread's stack; NULL drops none),
 * and return how many nodes remain. */
QS_INTERNAL size_t qs_queue_repair_after_fork(qs_queue *q, qs_cb_fn drop);

#endif /* QUIESCE_RUNTIME_QUEUE_H */
