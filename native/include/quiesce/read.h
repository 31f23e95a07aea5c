/*
 * quiesce — the inline read-side fast paths.
 *
 * Not read by jextract: the exported twins qs_read_lock_fn and
 * qs_read_unlock_fn in <quiesce/domain.h> do the same thing out of line.
 * The Java FFM backend runs the same steps on the reader record directly;
 * keep the three in step (java-api: dev.quiesce.ffm.FfmReadSide).
 *
 * Ordering argument (pairs with wait_for_readers in runtime/domain.c):
 *   lock:   store ctr := gp_ctr, then BARRIER A, then the section's loads.
 *           A keeps the ctr store before every load inside the section, so
 *           a writer that scans after its own barrier either sees the reader
 *           as active (and waits) or the reader sees the new pointers.
 *   unlock: the section's loads, then store-release ctr := 0, BARRIER B,
 *           then load `waiting`. B orders the ctr store before the `waiting`
 *           load; the writer stores `waiting`, issues its barrier, then loads
 *           ctr. Both sides store-then-load with a full barrier between, so
 *           at least one sees the other: either the writer sees ctr == 0 or
 *           the reader sees `waiting` and wakes the writer (no lost wake-up).
 *   With QS_FENCE_MEMBARRIER, A and B are compiler barriers; the writer's
 *   membarrier(2) makes them full barriers on every running thread.
 *   With QS_FENCE_FULL they are sequentially consistent fences.
 */
#ifndef QUIESCE_READ_H
#define QUIESCE_READ_H

#include <stdatomic.h>
#include <quiesce/domain.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QS_ATOMIC_U64(p) ((_Atomic uint64_t *)(p))
#define QS_ATOMIC_U32(p) ((_Atomic uint32_t *)(p))

/* BARRIER A / B above. */
static inline void qs_read_barrier(const qs_reader *r)
{
    if (r->fence_mode == QS_FENCE_MEMBARRIER) {
        /* Compiler-only: the writer's membarrier() supplies the CPU fence. */
        atomic_signal_fence(memory_order_seq_cst);
    } else {
        /* Full fence: pairs with the writer's fence before its scan. */
        atomic_thread_fence(memory_order_seq_cst);
    }
}

/* Enter a read section (nestable). */
static inline void qs_read_lock(qs_reader *r)
{
    /* depth: relaxed atomics only so a stall report may read it from the
     * writer's thread without a data race; they compile to plain moves
     * (no fence, no locked instruction), and only the owner writes. */
    uint32_t d = atomic_load_explicit(QS_ATOMIC_U32(&r->depth), memory_order_relaxed);
    atomic_store_explicit(QS_ATOMIC_U32(&r->depth), d + 1, memory_order_relaxed);
    if (d == 0) {
        /* gp_ctr only changes under the writer's mutex; a relaxed load is
         * enough, the barrier below orders what matters. */
        uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(r->gp_ctr),
                                          memory_order_relaxed);
        /* Release: orders the previous section's loads before this store
         * for writers that read ctr with acquire (helps race detectors). */
        atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), g, memory_order_release);
        qs_read_barrier(r); /* BARRIER A */
    }
}

/* Leave a read section. */
static inline void qs_read_unlock(qs_reader *r)
{
    /* Relaxed atomics: see qs_read_lock. */
    uint32_t d = atomic_load_explicit(QS_ATOMIC_U32(&r->depth), memory_order_relaxed) - 1;
    atomic_store_explicit(QS_ATOMIC_U32(&r->depth), d, memory_order_relaxed);
    if (d == 0) {
        /* Release: the section's loads happen before a writer's acquire
         * load that sees 0 (and before it reclaims). */
        atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), 0, memory_order_release);
        qs_read_barrier(r); /* BARRIER B */
        if (__builtin_expect(atomic_load_explicit(QS_ATOMIC_U32(&r->waiting),
                                                  memory_order_relaxed) != 0, 0)) {
            qs_read_unlock_slow(r);
        }
    }
}

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_READ_H */
