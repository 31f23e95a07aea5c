/*
 * quiesce — the inline read-side fast paths.
 *
 * Not read by jextract: the exported twins qs_read_lock_fn and
 * qs_read_unlock_fn in <quiesce/domain.h> do the same thing out of line.
 * The Java FFM backend runs the same steps on the reader record directly;
 * keep the three in step (java-api: dev.quiesce.ffm.FfmReadSide).
 *
 * Ordering argument (pairs with wait_for_readers and the writer barriers
 * W1 / W2 in runtime/gp_wait.c):
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
 *
 * Nesting: "inside a section" is ctr != 0 (gp_ctr always has bit 0 set).
 * Only the outermost lock and unlock touch ctr and `waiting`; `depth`
 * counts the levels nested inside the outermost one (0 outside a section
 * and in an outermost section), owner only. So the common pair writes the
 * record only with its two ctr stores, and a binding that keeps its own
 * nesting count (the FFM backend) leaves depth at 0 and stays compatible.
 *
 * Fast-path shape (docs/BENCH.md has the measurements and the assembly):
 * each side tests "outermost, membarrier mode" (QS_FENCE_MEMBARRIER is 0)
 * with one branch: lock tests (ctr | fence_mode) == 0, unlock the 8 bytes
 * {depth, fence_mode} == 0 in one load. Both common cases fall through,
 * so a pair runs three never-taken branches (the third is `waiting`) and
 * the caller's loop. (Storing depth on every pair and testing depth and
 * fence_mode apart made the pair ~1.2x urcu-memb's; one more branch in
 * lock made its speed depend on where the loop lands in the cache line.)
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

/* BARRIER A / B above, in QS_FENCE_FULL mode. */
static inline void qs_read_full_fence(void)
{
    /* Full fence: pairs with the writer's seq_cst fence (W1 / W2). */
    atomic_thread_fence(memory_order_seq_cst);
}

/* The outermost lock: ctr := gp_ctr, then BARRIER A (as `full` says). */
static inline void qs_read_lock_outer(qs_reader *r, int full)
{
    /* gp_ctr only changes under the writer's mutex; a relaxed load is
     * enough, the barrier below orders what matters. */
    uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(r->gp_ctr), memory_order_relaxed);
    /* Release: orders the previous section's loads before this store for
     * writers that read ctr with acquire (helps race detectors). */
    atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), g, memory_order_release);
    if (full) {
        qs_read_full_fence(); /* BARRIER A */
    } else {
        /* BARRIER A, compiler-only: the writer's membarrier() supplies
         * the CPU fence. */
        atomic_signal_fence(memory_order_seq_cst);
    }
}

/* Enter a read section (nestable). */
static inline void qs_read_lock(qs_reader *r)
{
    /* Relaxed: the owner is ctr's only writer, so it reads its own last
     * store; 0 means outside every section. One test covers "outermost,
     * membarrier mode" (QS_FENCE_MEMBARRIER is 0), the common case. */
    uint64_t c = atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed);
    if (__builtin_expect((c | r->fence_mode) == 0, 1)) {
        qs_read_lock_outer(r, 0);
    } else if (c != 0) {
        /* Nested: nothing the writer waits on changes. A relaxed atomic
         * store (a plain move) because a stall report reads depth from the
         * writer's thread; only the owner writes it. */
        atomic_store_explicit(QS_ATOMIC_U32(&r->depth), r->depth + 1, memory_order_relaxed);
    } else {
        qs_read_lock_outer(r, 1);
    }
}

/* The outermost unlock: ctr := 0, BARRIER B (as `full` says), `waiting`. */
static inline void qs_read_unlock_outer(qs_reader *r, int full)
{
    /* Release: the section's loads happen before a writer's acquire load
     * that sees 0 (and before it reclaims). */
    atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), 0, memory_order_release);
    if (full) {
        qs_read_full_fence(); /* BARRIER B */
    } else {
        /* BARRIER B, compiler-only: the writer's membarrier() supplies
         * the CPU fence. */
        atomic_signal_fence(memory_order_seq_cst);
    }
    if (__builtin_expect(atomic_load_explicit(QS_ATOMIC_U32(&r->waiting),
                                              memory_order_relaxed) != 0, 0)) {
        qs_read_unlock_slow(r);
    }
}

/* Leave a read section. */
static inline void qs_read_unlock(qs_reader *r)
{
    /* depth and fence_mode are adjacent 32-bit fields (checked in
     * runtime/registry.c) and QS_FENCE_MEMBARRIER is 0: one 8-byte load
     * tells "outermost, membarrier mode", the common case. Neither field
     * is written concurrently (depth: owner only; fence_mode: constant),
     * so the owner's plain load races with nothing (a stall report only
     * reads depth, atomically). */
    uint64_t depth_fence;
    __builtin_memcpy(&depth_fence, &r->depth, sizeof(depth_fence));
    if (__builtin_expect(depth_fence == 0, 1)) {
        qs_read_unlock_outer(r, 0);
    } else if (r->depth != 0) {
        /* Nested: relaxed atomic store, as in qs_read_lock. */
        atomic_store_explicit(QS_ATOMIC_U32(&r->depth), r->depth - 1, memory_order_relaxed);
    } else {
        qs_read_unlock_outer(r, 1);
    }
}

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_READ_H */
