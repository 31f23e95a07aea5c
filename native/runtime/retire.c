/*
 * qs_retire: free an object after a grace period, on the worker.
 *
 * Each retire allocates a qs_retire_node, links it into the domain's
 * pending set (a chained hash set keyed by the object's address, under
 * its own leaf mutex) and queues it with qs_call, so retires share the
 * callback queue's guarantees: FIFO with every other callback, each run
 * exactly once, all run by qs_drain and qs_domain_shutdown. The node's
 * callback (retire_run, on the worker) unlinks the address from the set
 * and returns the node to a small pool (both under the set's mutex), then
 * calls the free function.
 *
 * Also here: the qs_mem allocator pair bindings retire through, and the
 * out-of-line twins of pointer.h's slot accessors.
 */
#define _GNU_SOURCE
#include "domain_impl.h"

#define RETIRE_MIN_BITS 6 /* 64 buckets at the first retire */

static unsigned bits_of(const qs_retire_set *set)
{
    return 64u - set->shift;
}

/* Fibonacci hashing of the address: the multiply spreads the low bits
 * (allocators align objects, so the lowest bits are mostly zero) into
 * the top bits, which select the bucket. */
static size_t bucket_of(const qs_retire_set *set, const void *ptr)
{
    return (size_t)(((uint64_t)(uintptr_t)ptr * UINT64_C(0x9E3779B97F4A7C15)) >> set->shift);
}

/* Double the table (mutex held). On allocation failure keep the old one:
 * chains just grow longer. */
static void set_grow(qs_retire_set *set)
{
    unsigned bits = bits_of(set) + 1;
    if (bits > 40) {
        return;
    }
    qs_retire_node **nb = calloc((size_t)1 << bits, sizeof(*nb));
    if (nb == NULL) {
        return;
    }
    size_t old_n = (size_t)1 << bits_of(set);
    qs_retire_node **ob = set->buckets;
    set->buckets = nb;
    set->shift = 64u - bits;
    for (size_t i = 0; i < old_n; i++) {
        qs_retire_node *n = ob[i];
        while (n != NULL) {
            qs_retire_node *next = n->next;
            size_t b = bucket_of(set, n->ptr);
            n->next = nb[b];
            nb[b] = n;
            n = next;
        }
    }
    free(ob);
}

/* 1 if `ptr` is pending (mutex held). */
static int set_contains(const qs_retire_set *set, const void *ptr)
{
    if (set->buckets == NULL) {
        return 0;
    }
    for (qs_retire_node *n = set->buckets[bucket_of(set, ptr)]; n != NULL; n = n->next) {
        if (n->ptr == ptr) {
            return 1;
        }
    }
    return 0;
}

/* Insert `node`, whose address is not present (mutex held). Returns 0 or
 * -ENOMEM (no table yet and none could be allocated). */
static int set_insert(qs_retire_set *set, qs_retire_node *node)
{
    if (set->buckets == NULL) {
        set->buckets = calloc((size_t)1 << RETIRE_MIN_BITS, sizeof(*set->buckets));
        if (set->buckets == NULL) {
            return -ENOMEM;
        }
        set->shift = 64u - RETIRE_MIN_BITS;
    }
    size_t b = bucket_of(set, node->ptr);
    node->next = set->buckets[b];
    set->buckets[b] = node;
    set->count++;
    set->bytes += node->bytes;
    if (set->count > ((size_t)1 << bits_of(set))) {
        set_grow(set);
    }
    return 0;
}

/* Unlink `node` (mutex held; it is in the set). */
static void set_remove(qs_retire_set *set, qs_retire_node *node)
{
    qs_retire_node **pp = &set->buckets[bucket_of(set, node->ptr)];
    while (*pp != node) {
        pp = &(*pp)->next;
    }
    *pp = node->next;
    set->count--;
    set->bytes -= node->bytes;
}

/* A node from the pool, or NULL (mutex held). The pool spares each
 * retire a malloc and the worker a free of memory another thread
 * allocated (an allocator arena shared with the retiring thread). */
static qs_retire_node *pool_take(qs_retire_set *set)
{
    qs_retire_node *n = set->pool;
    if (n != NULL) {
        set->pool = n->next;
        set->pool_len--;
    }
    return n;
}

/* Give a node back (mutex held); 1 if kept, 0 if the caller must free it. */
static int pool_put(qs_retire_set *set, qs_retire_node *n)
{
    if (set->pool_len >= QS_RETIRE_POOL_MAX) {
        return 0;
    }
    n->next = set->pool;
    set->pool = n;
    set->pool_len++;
    return 1;
}

/* The node's callback, on the worker after the GP. */
static void retire_run(qs_head *head)
{
    qs_retire_node *node = QS_RT_CONTAINER(head, qs_retire_node, head);
    qs_domain *dom = qs_rt_worker_dom;
    /* Out of the set BEFORE the free: once free_fn has freed the memory,
     * an allocator may hand the same address out again and its new owner
     * may retire it; that retire must not see this stale entry. The
     * mutex orders the removal before anything the free function does. */
    void *ptr = node->ptr;
    qs_free_fn free_fn = node->free_fn;
    size_t bytes = node->bytes;
    pthread_mutex_lock(&dom->retire.mutex);
    set_remove(&dom->retire, node);
    int kept = pool_put(&dom->retire, node);
    pthread_mutex_unlock(&dom->retire.mutex);
    if (!kept) {
        free(node);
    }
    free_fn(ptr);
    /* Worker only; relaxed: stats are a snapshot, not a synchronization. */
    stat_add(&dom->st.retired_freed, 1);
    stat_add(&dom->st.retired_freed_bytes, bytes);
}

int qs_retire(qs_domain *dom, void *ptr, qs_free_fn free_fn, size_t bytes)
{
    if (dom == NULL || ptr == NULL || free_fn == NULL) {
        return -EINVAL;
    }
    if (atomic_load_explicit(&dom->closing, memory_order_relaxed)) {
        return -ESHUTDOWN;
    }
    qs_retire_set *set = &dom->retire;
    pthread_mutex_lock(&set->mutex);
    if (set_contains(set, ptr)) {
        pthread_mutex_unlock(&set->mutex);
        return -EALREADY;
    }
    qs_retire_node *node = pool_take(set);
    if (node == NULL) {
        /* Allocate without the lock, then look again: the address may
         * have been retired meanwhile by another thread. */
        pthread_mutex_unlock(&set->mutex);
        node = malloc(sizeof(*node));
        if (node == NULL) {
            return -ENOMEM;
        }
        pthread_mutex_lock(&set->mutex);
        if (set_contains(set, ptr)) {
            pthread_mutex_unlock(&set->mutex);
            free(node);
            return -EALREADY;
        }
    }
    node->ptr = ptr;
    node->free_fn = free_fn;
    node->bytes = bytes;
    int rc = set_insert(set, node);
    if (rc != 0 && pool_put(set, node)) {
        node = NULL;
    }
    pthread_mutex_unlock(&set->mutex);
    if (rc != 0) {
        free(node);
        return rc;
    }
    /* The caller's unpublishing store is before this push in program
     * order, and the push is a seq_cst exchange the worker's pop
     * acquires: the worker's W1 (gp_wait.c) comes after both, and pairs
     * with BARRIER A of every reader (read.h). */
    rc = qs_call(dom, &node->head, retire_run);
    if (rc != 0) {
        /* -EAGAIN or -ESHUTDOWN (a racing shutdown): not queued, so
         * undo the insert; nothing else saw the node. */
        pthread_mutex_lock(&set->mutex);
        set_remove(set, node);
        int kept = pool_put(set, node);
        pthread_mutex_unlock(&set->mutex);
        if (!kept) {
            free(node);
        }
    }
    return rc;
}

int qs_mem_retire(qs_domain *dom, void *ptr, size_t bytes)
{
    return qs_retire(dom, ptr, qs_mem_free, bytes);
}

void *qs_mem_alloc(size_t size, size_t align)
{
    if (size == 0 || align == 0 || (align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (align < sizeof(void *)) {
        align = sizeof(void *); /* posix_memalign's minimum */
    }
    void *p = NULL;
    int rc = posix_memalign(&p, align, size);
    if (rc != 0) {
        errno = rc;
        return NULL;
    }
    memset(p, 0, size);
    return p;
}

void qs_mem_free(void *ptr)
{
    free(ptr);
}

/* ------------------------------------------------ pointer.h twins */

void *qs_rcu_read_fn(void *const *slot)
{
    /* Acquire (what consume compiles to): pairs with the writer's
     * release in qs_rcu_set_fn / qs_rcu_exchange_fn. */
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

void qs_rcu_set_fn(void **slot, void *value)
{
    /* Release: the object's initialisation before its publication;
     * pairs with the readers' acquire load. */
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
}

void *qs_rcu_exchange_fn(void **slot, void *value)
{
    /* seq_cst, as qs_rcu_exchange: release for `value`, acquire for the
     * old object the caller is about to retire. */
    return __atomic_exchange_n(slot, value, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------ domain lifecycle */

void qs_rt_retire_init(qs_domain *dom)
{
    pthread_mutex_init(&dom->retire.mutex, NULL);
    dom->retire.buckets = NULL;
    dom->retire.shift = 64u - RETIRE_MIN_BITS;
    dom->retire.count = 0;
    dom->retire.bytes = 0;
    dom->retire.pool = NULL;
    dom->retire.pool_len = 0;
}

void qs_rt_retire_destroy(qs_domain *dom)
{
    /* The worker is joined and every queued node ran, so the set is
     * empty, except in a fork child for nodes a vanished thread was
     * queueing or freeing: nobody will run those, free their nodes (not
     * their objects: whether free_fn already ran is unknown). */
    qs_retire_set *set = &dom->retire;
    if (set->buckets != NULL) {
        size_t n = (size_t)1 << bits_of(set);
        for (size_t i = 0; i < n; i++) {
            qs_retire_node *node = set->buckets[i];
            while (node != NULL) {
                qs_retire_node *next = node->next;
                free(node);
                node = next;
            }
        }
        free(set->buckets);
        set->buckets = NULL;
    }
    while (set->pool != NULL) {
        qs_retire_node *next = set->pool->next;
        free(set->pool);
        set->pool = next;
    }
    set->pool_len = 0;
    set->count = 0;
    set->bytes = 0;
    pthread_mutex_destroy(&set->mutex);
}

void qs_rt_retire_stats(qs_domain *dom, qs_stats *out)
{
    /* Freed before pending: an object moves pending -> (being freed) ->
     * freed, so reading in this order never counts one twice. */
    out->retired_freed = stat_read(&dom->st.retired_freed);
    out->retired_freed_bytes = stat_read(&dom->st.retired_freed_bytes);
    pthread_mutex_lock(&dom->retire.mutex);
    out->retired_pending = dom->retire.count;
    out->retired_pending_bytes = dom->retire.bytes;
    pthread_mutex_unlock(&dom->retire.mutex);
}

void qs_rt_retire_lock(qs_domain *dom)
{
    pthread_mutex_lock(&dom->retire.mutex);
}

void qs_rt_retire_unlock(qs_domain *dom)
{
    pthread_mutex_unlock(&dom->retire.mutex);
}
