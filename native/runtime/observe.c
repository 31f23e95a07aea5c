/*
 * The GP observer (qs_set_observer): writer-side events for tracing.
 *
 * The domain holds a pointer to an immutable copy of the installed
 * observer (NULL: none). The hooks in gp_wait.c and worker.c test it with
 * one relaxed load (qs_rt_observing), which is all they cost while nothing
 * is installed; only when it is set do they build a record and call here.
 *
 * Ordering: qs_set_observer fills the copy, then publishes the pointer
 * with a release store; the hooks load it again with acquire before
 * reading the copy (pairs with that release), so they never see a
 * half-filled observer. The relaxed first load only decides whether to
 * look: a hook that misses an observer installed concurrently simply
 * reports nothing for that event.
 *
 * A hook may still be using a copy that a later qs_set_observer replaced,
 * so replaced copies are never freed while the domain lives: they go on a
 * retired list (under worker_mutex) that qs_domain_free releases. An
 * observer is installed a handful of times in a domain's life (the Java
 * binding: once per recording start and stop), so the list stays short.
 */
#include "domain_impl.h"

struct qs_obs_node {
    qs_observer obs;
    struct qs_obs_node *retired_next; /* worker_mutex */
};

int qs_set_observer(qs_domain *dom, const qs_observer *obs)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    qs_obs_node *node = NULL;
    if (obs != NULL) {
        node = malloc(sizeof(*node));
        if (node == NULL) {
            return -ENOMEM;
        }
        node->obs = *obs;
        node->retired_next = NULL;
    }
    pthread_mutex_lock(&dom->worker_mutex);
    /* Release: the copy's contents before the pointer (pairs with the
     * acquire load in observer_get). */
    qs_obs_node *old = atomic_exchange_explicit(&dom->observer, node, memory_order_acq_rel);
    if (old != NULL) {
        old->retired_next = dom->observer_retired;
        dom->observer_retired = old;
    }
    pthread_mutex_unlock(&dom->worker_mutex);
    return 0;
}

void qs_rt_observer_release(qs_domain *dom)
{
    /* Only from qs_domain_free: no GP, batch or force can run any more. */
    qs_obs_node *cur = atomic_load_explicit(&dom->observer, memory_order_relaxed);
    free(cur);
    atomic_store_explicit(&dom->observer, NULL, memory_order_relaxed);
    qs_obs_node *n = dom->observer_retired;
    while (n != NULL) {
        qs_obs_node *next = n->retired_next;
        free(n);
        n = next;
    }
    dom->observer_retired = NULL;
}

/* The installed observer, or NULL. Acquire: pairs with the release in
 * qs_set_observer, so the copy's fields are seen as written. */
static const qs_observer *observer_get(qs_domain *dom)
{
    qs_obs_node *n = atomic_load_explicit(&dom->observer, memory_order_acquire);
    return n != NULL ? &n->obs : NULL;
}

int qs_rt_gp_fill(qs_domain *dom, qs_gp_record *rec, uint64_t t0, uint64_t t1, int expedited,
                  uint64_t notifier_calls_before, int waited)
{
    memset(rec, 0, sizeof(*rec));
    /* Written under gp_lock by the thread that claimed this GP, which is
     * the caller (gp_running keeps every other thread from changing it
     * until the GP completes): a plain read is exact. */
    rec->number = dom->gp_started;
    rec->start_ns = t0;
    rec->duration_ns = t1 - t0;
    rec->policy = dom->cfg.params.policy;
    /* The writer machine keeps cause and polls of the GP that just ended
     * (qs_gp_end resets neither); they are stale when wait_for_readers did
     * not run, hence `waited`. */
    if (waited) {
        rec->cause = dom->gp.cause;
        rec->fqs = rec->cause != QS_FQS_NONE;
        rec->polls = dom->gp.polls;
        rec->readers_waited = dom->gp_readers_waited;
        rec->fqs_ns = rec->fqs ? dom->gp_fqs_ns : 0;
    }
    rec->expedited = expedited || rec->cause == QS_FQS_EXPEDITED;
    /* Notifiers fire only on the GP writer's thread, under sync_mutex,
     * which the caller holds: the difference is this GP's count. */
    rec->notifier_calls = (uint32_t)(stat_read(&dom->st.notifier_calls) - notifier_calls_before);
    return 1;
}

void qs_rt_observe_gp_end(qs_domain *dom, const qs_gp_record *rec)
{
    const qs_observer *o = observer_get(dom);
    if (o != NULL && o->on_gp_end != NULL) {
        o->on_gp_end(rec, o->opaque);
    }
}

void qs_rt_observe_batch(qs_domain *dom, uint32_t count, uint64_t t0)
{
    const qs_observer *o = observer_get(dom);
    if (o != NULL && o->on_batch != NULL && count > 0) {
        qs_batch_record rec = {
            .count = count, .reserved = 0, .start_ns = t0, .duration_ns = now_ns() - t0,
        };
        o->on_batch(&rec, o->opaque);
    }
}

void qs_rt_observe_force(qs_domain *dom)
{
    const qs_observer *o = observer_get(dom);
    if (o != NULL && o->on_force != NULL) {
        o->on_force(o->opaque);
    }
}
