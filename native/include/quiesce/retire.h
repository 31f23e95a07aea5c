/*
 * quiesce — retire memory: free an object after a grace period, on the
 * domain's worker, without a callback head inside the object.
 *
 *     struct node *old = qs_rcu_exchange(&slot, fresh);   // 1. unpublish
 *     qs_retire(dom, old, node_free, sizeof(*old));        // 2. retire
 *
 * qs_retire(dom, p, fn, bytes) queues `fn(p)` behind every callback queued
 * before it (one FIFO with qs_call: a qs_drain that returns has freed every
 * object retired before it) to run exactly once, on the worker, after a
 * grace period that began after the call. The library allocates a small
 * node per retire (the object needs no qs_head) and keeps the addresses
 * waiting to be freed in a per-domain set, so retiring one address twice
 * is caught instead of freeing it twice.
 *
 * qs_mem_alloc / qs_mem_free are the allocator pair for bindings: memory
 * from qs_mem_alloc is retired with qs_mem_retire (or qs_retire with
 * qs_mem_free as free_fn) and is then freed by the worker itself, with no
 * call back into the binding's runtime (no FFM upcall per object).
 *
 * This header is read by jextract: no static inline functions and no
 * function-like macros here.
 */
#ifndef QUIESCE_RETIRE_H
#define QUIESCE_RETIRE_H

#include <stddef.h>
#include <quiesce/domain.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Frees one retired object; runs on the domain's worker thread with no
 * lock of the library held. It must not call qs_drain or
 * qs_domain_free/shutdown on the same domain (it may call qs_retire,
 * qs_call, qs_synchronize). */
typedef void (*qs_free_fn)(void *ptr);

/*
 * Queue free_fn(ptr) to run once after a grace period, on dom's worker.
 *
 * The caller must already have made `ptr` unreachable to new readers (an
 * exchange or store of the slot(s) that held it, in program order before
 * this call): only readers that found `ptr` before the call may still
 * hold it, and the grace period waits for them. Ordering: this call
 * queues through the same path as qs_call (the push is a seq_cst exchange,
 * so the unpublishing store is ordered before it); the worker's grace
 * period starts after it takes the node, and its writer barrier (gp_wait.c
 * W1, membarrier or a full fence) pairs with the readers' lock-side
 * barrier (read.h BARRIER A): a reader that could still load `ptr` is
 * inside a section the GP waits for, and one that locks later loads the
 * new value.
 *
 * `bytes` is the object's size, only counted in qs_stats
 * (retired_pending_bytes, retired_freed_bytes); 0 is allowed.
 *
 * The address is in the domain's pending set from this call until just
 * BEFORE free_fn(ptr) runs (the worker removes it, then calls free_fn), so
 * memory freed and allocated again at the same address can be retired
 * again. Retiring an address after its free_fn started but before the
 * memory was freed and reallocated is a use-after-free in the caller (the
 * library cannot tell it from a fresh object) and is not detected.
 *
 * Returns 0, or (nothing queued, nothing changed):
 *   -EINVAL     dom, ptr or free_fn NULL;
 *   -EALREADY   `ptr` is already waiting to be freed by `dom` (whatever
 *               its free_fn); the first retire stands;
 *   -ESHUTDOWN  qs_domain_shutdown/free began;
 *   -ENOMEM     no memory for the node;
 *   -EAGAIN     the worker could not be started.
 * At qs_domain_shutdown every object still pending is freed (shutdown
 * drains the queue). Cost: one mutex (shared with the worker), a hash
 * lookup and a qs_call; nodes are pooled (malloc only when the pool is
 * empty).
 *
 * After fork(2) the child keeps the parent's pending objects and frees
 * them itself, like queued callbacks; an object whose node a parent thread
 * was queueing or freeing at the fork may stay pending (and its address
 * unretirable) in the child.
 */
int qs_retire(qs_domain *dom, void *ptr, qs_free_fn free_fn, size_t bytes);

/* qs_retire(dom, ptr, qs_mem_free, bytes): for memory from qs_mem_alloc. */
int qs_mem_retire(qs_domain *dom, void *ptr, size_t bytes);

/* Allocate `size` bytes aligned to `align` (a power of two; alignments
 * below sizeof(void *) are rounded up to it). Contents are zeroed. Returns
 * NULL with errno EINVAL (size 0, align 0 or not a power of two) or ENOMEM.
 * Free with qs_mem_free, directly or through qs_mem_retire. */
void *qs_mem_alloc(size_t size, size_t align);
/* Free memory from qs_mem_alloc (NULL: nothing). A qs_free_fn. */
void qs_mem_free(void *ptr);

/* Out-of-line twins of <quiesce/pointer.h>'s qs_rcu_read, qs_rcu_publish
 * and qs_rcu_exchange on a `void *` slot, with the same ordering (acquire
 * load, release store, seq_cst exchange), for callers that cannot use the
 * macros (FFM tests; Java's own RcuPointer uses VarHandles instead). */
void *qs_rcu_read_fn(void *const *slot);
void qs_rcu_set_fn(void **slot, void *value);
void *qs_rcu_exchange_fn(void **slot, void *value);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_RETIRE_H */
