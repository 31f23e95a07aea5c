/*
 * The reader registry: registering a thread's reader, retiring and freeing
 * it, finding the calling thread's reader, and the out-of-line twins of
 * the read side with its slow path.
 *
 * The read side itself lives in <quiesce/read.h>; its ordering argument
 * (BARRIER A and B) is written there.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "domain_impl.h"

/* The calling thread's reader of `dom`. Caller holds registry_mutex. */
qs_reader_rt *qs_rt_find_reader(qs_domain *dom, pthread_t thread)
{
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = l->next) {
        qs_reader_rt *rt = READER_OF_REG(l);
        if (pthread_equal(rt->owner, thread)) {
            return rt;
        }
    }
    return NULL;
}

/* 1 if the calling thread is inside a read section of `dom`. Tested on
 * ctr, which is non-zero exactly inside a section (gp_ctr has bit 0 set),
 * rather than on depth: bindings may keep the nesting count elsewhere (the
 * Java FFM backend does). We are the owner: a relaxed load sees our own
 * last store. */
int qs_rt_self_in_section(qs_domain *dom)
{
    pthread_mutex_lock(&dom->registry_mutex);
    qs_reader_rt *rt = qs_rt_find_reader(dom, pthread_self());
    int inside = rt != NULL &&
                 atomic_load_explicit(QS_ATOMIC_U64(&rt->pub.ctr), memory_order_relaxed) != 0;
    pthread_mutex_unlock(&dom->registry_mutex);
    return inside;
}


/* ------------------------------------------------------------ readers */

/* The inline unlock reads depth and fence_mode with one 8-byte load and
 * takes 0 for "outermost, membarrier mode" (read.h). */
_Static_assert(offsetof(qs_reader, fence_mode) == offsetof(qs_reader, depth) + 4,
               "depth and fence_mode must be adjacent");
_Static_assert(offsetof(qs_reader, depth) % 8 == 0, "depth must start an aligned 8-byte word");
_Static_assert(QS_FENCE_MEMBARRIER == 0, "the unlock fast path tests for 0");
_Static_assert(offsetof(qs_reader, waiting) + sizeof(uint32_t) <= 32,
               "the read side's fields share the record's first 32 bytes");

int qs_reader_new(qs_domain *dom, qs_reader **out)
{
    if (dom == NULL || out == NULL) {
        return -EINVAL;
    }
    qs_reader_rt *rt = alloc_lines(sizeof(*rt));
    if (rt == NULL) {
        return -ENOMEM;
    }
    rt->pub.gp_ctr = &dom->gp_ctr;
    rt->pub.fence_mode = (uint32_t)dom->fence_mode;
    rt->pub.domain = dom;
    rt->pub.runtime = rt;
    rt->owner = pthread_self();
    rt->tid = (int64_t)syscall(SYS_gettid);
    link_init(&rt->chk);

    pthread_mutex_lock(&dom->registry_mutex);
    if (qs_rt_find_reader(dom, rt->owner) != NULL) {
        pthread_mutex_unlock(&dom->registry_mutex);
        free(rt);
        return -EEXIST;
    }
    /* Not added to to_check: a GP in progress does not wait for a reader
     * that registered after gp_ctr advanced (it cannot hold an old
     * pointer, see read.h). */
    link_add_tail(&dom->registry, &rt->reg);
    dom->nreaders++;
    pthread_mutex_unlock(&dom->registry_mutex);
    *out = &rt->pub;
    return 0;
}

/* Unlink and free. Caller holds registry_mutex. */
void qs_rt_reader_drop(qs_domain *dom, qs_reader_rt *rt)
{
    link_del(&rt->reg);
    if (rt->in_check) {
        link_del(&rt->chk);
        rt->in_check = 0;
    }
    dom->nreaders--;
    dom->slow_unlocks_gone += atomic_load_explicit(QS_ATOMIC_U64(&rt->pub.slow_unlocks),
                                                   memory_order_relaxed);
    free(rt);
}

int qs_reader_free(qs_reader *r)
{
    if (r == NULL) {
        return -EINVAL;
    }
    qs_reader_rt *self = r->runtime;
    /* Acquire: pairs with the release in qs_reader_retire (the caller
     * ordered the two calls; this keeps a race detector informed). */
    if (atomic_load_explicit(&self->retired, memory_order_acquire)) {
        free(self);
        return 0;
    }
    /* A reader may be freed by another thread once its owner is outside
     * every section; the caller orders that (e.g. by joining the owner). */
    /* ctr, not depth: see qs_rt_self_in_section. Relaxed: the caller ordered
     * the owner's last unlock before this call. */
    if (atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed) != 0) {
        return -EBUSY;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    pthread_mutex_lock(&dom->registry_mutex);
    int was_checked = rt->in_check;
    qs_rt_reader_drop(dom, rt);
    pthread_mutex_unlock(&dom->registry_mutex);
    if (was_checked) {
        /* The writer may be blocked on the GP event waiting for this
         * reader; it rescans and no longer finds it. */
        qs_event_set(&dom->gp_event);
    }
    return 0;
}

int qs_reader_retire(qs_reader *r)
{
    if (r == NULL) {
        return -EINVAL;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    pthread_mutex_lock(&dom->registry_mutex);
    if (atomic_load_explicit(&rt->retired, memory_order_relaxed)) {
        pthread_mutex_unlock(&dom->registry_mutex);
        return -EALREADY;
    }
    int was_checked = rt->in_check;
    /* Notifiers run under registry_mutex: none is running now, and none
     * will (the record leaves the registry). */
    rt->notifiers = NULL;
    dom->nreaders--;
    dom->slow_unlocks_gone += atomic_load_explicit(QS_ATOMIC_U64(&r->slow_unlocks),
                                                   memory_order_relaxed);
    link_del(&rt->reg);
    if (rt->in_check) {
        link_del(&rt->chk);
        rt->in_check = 0;
    }
    /* Relaxed: the owner only needs to see it eventually, to report a
     * section that lost its protection; nothing is ordered by it. */
    atomic_store_explicit(QS_ATOMIC_U32(&r->waiting), 1, memory_order_relaxed);
    /* Release: pairs with the acquire loads in qs_reader_free and the
     * slow path, which then see the record unlinked. */
    atomic_store_explicit(&rt->retired, 1, memory_order_release);
    pthread_mutex_unlock(&dom->registry_mutex);
    if (was_checked) {
        /* As in qs_reader_free: a writer waiting for this reader rescans. */
        qs_event_set(&dom->gp_event);
    }
    return 0;
}

qs_reader *qs_reader_self(qs_domain *dom)
{
    if (dom == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&dom->registry_mutex);
    qs_reader_rt *rt = qs_rt_find_reader(dom, pthread_self());
    pthread_mutex_unlock(&dom->registry_mutex);
    return rt != NULL ? &rt->pub : NULL;
}

void qs_read_lock_fn(qs_reader *r)
{
    qs_read_lock(r);
}

void qs_read_unlock_fn(qs_reader *r)
{
    qs_read_unlock(r);
}

void qs_read_unlock_slow(qs_reader *r)
{
    /* Clear first: a writer that re-arms later sets it again. */
    atomic_store_explicit(QS_ATOMIC_U32(&r->waiting), 0, memory_order_relaxed);
    /* Acquire: pairs with qs_reader_retire's release; a retired record
     * belongs to no writer any more (and its domain may be shut down). */
    if (atomic_load_explicit(&((qs_reader_rt *)r->runtime)->retired, memory_order_acquire)) {
        return;
    }
    /* Owner-only writer: load + store is enough. */
    uint64_t n = atomic_load_explicit(QS_ATOMIC_U64(&r->slow_unlocks), memory_order_relaxed);
    atomic_store_explicit(QS_ATOMIC_U64(&r->slow_unlocks), n + 1, memory_order_relaxed);
    /* The event's set is fenced: our ctr := 0 is visible before the
     * writer wakes and rescans. */
    qs_event_set(&r->domain->gp_event);
}
