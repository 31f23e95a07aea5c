/*
 * libqs_jbench: the C write path, called from the JVM, so that JMH can put
 * the C callRcu rate beside the Java one in the same run (issue 16, item
 * 2). Bench-only: built next to qs-bench, never part of libquiesce.
 *
 * qs_jbench_call_burst(dom, n) queues n qs_call callbacks whose function
 * is a no-op that marks its head as run. Heads come from a per-thread ring
 * of JBENCH_RING preallocated heads; a head is reused only after its
 * callback ran (the caller yields until then), so a long run measures the
 * C path's steady-state throughput: the caller's rate while the worker
 * keeps up, the worker's rate once JBENCH_RING callbacks are pending. That
 * is what qs-bench's c.call_per_s measures for one burst (calls until
 * every callback ran), without a malloc per call.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <quiesce/domain.h>
#include <quiesce/pointer.h>

#define JBENCH_RING (1u << 16)
#define JBENCH_MASK (JBENCH_RING - 1u)

typedef struct jbench_head {
    qs_head head;
    atomic_int pending; /* 1 from qs_call until the callback ran */
} jbench_head;

typedef struct jbench_ring {
    jbench_head heads[JBENCH_RING];
    uint64_t pos;
} jbench_ring;

static _Thread_local jbench_ring *ring;

static void jbench_noop(qs_head *h)
{
    jbench_head *j = QS_CONTAINER_OF(h, jbench_head, head);
    /* Release: the worker's use of the head (its queue link) happens
     * before the producer, which acquires `pending == 0`, reuses it. */
    atomic_store_explicit(&j->pending, 0, memory_order_release);
}

/* A domain with FQS defaults and the calling thread registered as an idle
 * reader (what the Java benchmark's RcuDomain and registerThread() give).
 * Returns 0, or a negative errno from qs_domain_new / qs_reader_new. */
int qs_jbench_open(qs_domain **out)
{
    if (out == NULL) {
        return -EINVAL;
    }
    qs_domain *dom;
    int rc = qs_domain_new(NULL, &dom);
    if (rc != 0) {
        return rc;
    }
    qs_reader *r;
    rc = qs_reader_new(dom, &r);
    if (rc != 0) {
        qs_domain_free(dom);
        return rc;
    }
    *out = dom;
    return 0;
}

/* Queue n no-op callbacks on dom (see the file comment). Returns 0, or
 * -EINVAL (NULL dom, n < 0), -ENOMEM (the ring), or qs_call's error. */
int qs_jbench_call_burst(qs_domain *dom, int n)
{
    if (dom == NULL || n < 0) {
        return -EINVAL;
    }
    if (ring == NULL) {
        ring = calloc(1, sizeof(*ring));
        if (ring == NULL) {
            return -ENOMEM;
        }
    }
    for (int i = 0; i < n; i++) {
        jbench_head *j = &ring->heads[ring->pos & JBENCH_MASK];
        /* Acquire: pairs with the release in jbench_noop. */
        while (atomic_load_explicit(&j->pending, memory_order_acquire) != 0) {
            sched_yield();
        }
        /* Relaxed: qs_call's queue push (seq_cst) publishes it to the
         * worker, which clears it only after popping the head. */
        atomic_store_explicit(&j->pending, 1, memory_order_relaxed);
        int rc = qs_call(dom, &j->head, jbench_noop);
        if (rc != 0) {
            atomic_store_explicit(&j->pending, 0, memory_order_relaxed);
            return rc;
        }
        ring->pos++;
    }
    return 0;
}

/* Wait until every callback of this thread's ring ran. Returns 0. */
int qs_jbench_wait(void)
{
    if (ring == NULL) {
        return 0;
    }
    for (uint32_t i = 0; i < JBENCH_RING; i++) {
        /* Acquire: pairs with the release in jbench_noop. */
        while (atomic_load_explicit(&ring->heads[i].pending, memory_order_acquire) != 0) {
            sched_yield();
        }
    }
    return 0;
}

/* Drain, unregister the calling thread's reader and free the domain.
 * Returns 0 or qs_domain_free's error (-EBUSY: another thread's reader). */
int qs_jbench_close(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    qs_drain(dom);
    qs_jbench_wait();
    qs_reader *r = qs_reader_self(dom);
    if (r != NULL) {
        qs_reader_free(r);
    }
    return qs_domain_free(dom);
}
