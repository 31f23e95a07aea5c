/*
 * The intrusive MPSC queue (see queue.h).
 *
 * Invariants: following `next` from `head` reaches every pushed node not
 * yet popped, in push order, except those behind a link window; `tail` is
 * the most recently pushed node (possibly the stub). The stub is pushed
 * back whenever the consumer would otherwise have to take the last node,
 * so the queue never becomes physically empty.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "queue.h"

/* qs_head.next is declared plain in the public header; every access to it
 * goes through this view. */
#define LINK(h) ((qs_head *_Atomic *)&(h)->next)

void qs_queue_init(qs_queue *q)
{
    atomic_init(LINK(&q->stub), NULL);
    q->stub.fn = NULL;
    q->head = &q->stub;
    atomic_init(&q->tail, &q->stub);
}

void qs_queue_push(qs_queue *q, qs_head *node)
{
    atomic_store_explicit(LINK(node), NULL, memory_order_relaxed);
    /* acq_rel: release publishes node->fn (and the caller's object) to
     * whoever next exchanges the tail; acquire orders us after the
     * previous producer so that our link store below lands on its node. */
    qs_head *prev = atomic_exchange_explicit(&q->tail, node, memory_order_acq_rel);
    /* The link window is here. Release: pairs with the consumer's acquire
     * load of prev->next, making node's contents visible to it. */
    atomic_store_explicit(LINK(prev), node, memory_order_release);
}

qs_head *qs_queue_pop(qs_queue *q)
{
    qs_head *first = q->head;
    qs_head *next = atomic_load_explicit(LINK(first), memory_order_acquire);
    if (first == &q->stub) {
        if (next == NULL) {
            return NULL;
        }
        /* Step over the stub. */
        q->head = next;
        first = next;
        next = atomic_load_explicit(LINK(first), memory_order_acquire);
    }
    if (next != NULL) {
        q->head = next;
        return first;
    }
    /* `first` is the last reachable node. If it is not the tail, a
     * producer is in its link window after it: come back later. */
    if (first != atomic_load_explicit(&q->tail, memory_order_acquire)) {
        return NULL;
    }
    /* Put the stub behind `first` so `first` can be taken. */
    qs_queue_push(q, &q->stub);
    next = atomic_load_explicit(LINK(first), memory_order_acquire);
    if (next != NULL) {
        q->head = next;
        return first;
    }
    /* Another producer got between `first` and the stub and is in its
     * link window. */
    return NULL;
}

qs_head *qs_queue_pop_wait(qs_queue *q)
{
    for (unsigned spins = 0;; spins++) {
        qs_head *h = qs_queue_pop(q);
        if (h != NULL) {
            return h;
        }
        /* A producer was preempted between its two steps: spin briefly,
         * then give it the CPU. */
        if (spins < 64) {
            qs_cpu_relax();
        } else {
            sched_yield();
        }
    }
}

size_t qs_queue_repair_after_fork(qs_queue *q, qs_cb_fn drop)
{
    /* Single-threaded here: the queue is rebuilt with ordinary pushes,
     * each node's link read before its push clears it. */
    qs_head *first = q->head;
    /* The stub may sit inside the chain; init resets its link. */
    qs_head *stub_next = atomic_load_explicit(LINK(&q->stub), memory_order_relaxed);
    qs_queue_init(q);
    size_t n = 0;
    qs_head *cur = first;
    while (cur != NULL) {
        /* Whatever a vanished producer would have linked after the last
         * reachable node is unreachable in this process: the chain ends
         * at the first NULL link. */
        qs_head *next = cur == &q->stub ? stub_next
                                        : atomic_load_explicit(LINK(cur), memory_order_relaxed);
        if (cur != &q->stub && (drop == NULL || cur->fn != drop)) {
            qs_queue_push(q, cur);
            n++;
        }
        cur = next;
    }
    return n;
}
