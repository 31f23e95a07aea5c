/*
 * Domains: configuration, creation, the process default domain, the
 * two-stage teardown (shutdown, free), stats, and the per-domain halves of
 * the atfork handlers.
 *
 * Every decision (poll or force, whom to arm, when a GP is over, when the
 * worker starts a GP and how many callbacks it covers) is taken by the
 * pure machines of engine/gp.c; the runtime's files (see domain_impl.h)
 * perform the answers with real mutexes, futex events, barriers and
 * clocks.
 */
#define _GNU_SOURCE
#include "domain_impl.h"
#include "membarrier.h"

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static qs_domain *default_dom;

/* ------------------------------------------------------------- config */

int qs_domain_config_init(qs_domain_config *cfg, int32_t policy)
{
    if (cfg == NULL) {
        return -EINVAL;
    }
    memset(cfg, 0, sizeof(*cfg));
    int rc = qs_params_init(&cfg->params, policy);
    if (rc != 0) {
        return rc;
    }
    cfg->use_membarrier = 1;
    cfg->worker_slice_us = QS_DEFAULT_WORKER_SLICE_US;
    cfg->stall_timeout_ms = QS_DEFAULT_STALL_TIMEOUT_MS;
    return 0;
}

static int config_check(const qs_domain_config *cfg)
{
    if (qs_params_check(&cfg->params) != 0) {
        return -EINVAL;
    }
    if (cfg->use_membarrier != 0 && cfg->use_membarrier != 1) {
        return -EINVAL;
    }
    if (cfg->worker_slice_us != 0 && (cfg->worker_slice_us < QS_WORKER_SLICE_MIN_US ||
                                      cfg->worker_slice_us > QS_WORKER_SLICE_MAX_US)) {
        return -EINVAL;
    }
    if (cfg->stall_timeout_ms > QS_STALL_TIMEOUT_MAX_MS) {
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------ domains */

int qs_domain_new(const qs_domain_config *cfg, qs_domain **out)
{
    if (out == NULL) {
        return -EINVAL;
    }
    qs_domain_config c;
    if (cfg != NULL) {
        c = *cfg;
    } else {
        qs_domain_config_init(&c, QS_POLICY_FQS);
    }
    if (config_check(&c) != 0) {
        return -EINVAL;
    }
    qs_domain *dom = alloc_lines(sizeof(*dom));
    if (dom == NULL) {
        return -ENOMEM;
    }
    dom->gp_ctr = QS_GP_CTR_INIT;
    dom->cfg = c;
    dom->fence_mode = c.use_membarrier && qs_membarrier_available()
                          ? QS_FENCE_MEMBARRIER
                          : QS_FENCE_FULL;
    pthread_mutex_init(&dom->gp_lock, NULL);
    pthread_cond_init(&dom->gp_cond, NULL);
    pthread_mutex_init(&dom->sync_mutex, NULL);
    pthread_mutex_init(&dom->registry_mutex, NULL);
    pthread_mutex_init(&dom->worker_mutex, NULL);
    pthread_mutex_init(&dom->stall_mutex, NULL);
    link_init(&dom->registry);
    link_init(&dom->to_check);
    qs_gp_init(&dom->gp, &c.params);
    qs_event_init(&dom->gp_event, 0);
    qs_event_init(&dom->wake_event, 0);
    qs_event_init(&dom->work_event, 0);
    qs_queue_init(&dom->queue);
    dom->worker_state = QS_WORKER_STOPPED;
    qs_rt_retire_init(dom);
    qs_fork_track(dom);
    *out = dom;
    return 0;
}

static void default_init(void)
{
    if (qs_domain_new(NULL, &default_dom) != 0) {
        default_dom = NULL;
    }
}

qs_domain *qs_domain_default(void)
{
    pthread_once(&default_once, default_init);
    return default_dom;
}

int32_t qs_domain_fence_mode(const qs_domain *dom)
{
    return dom->fence_mode;
}

int qs_domain_shutdown(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    if (dom->shut_down) {
        return 0;
    }
    if (qs_rt_worker_dom == dom || dom == default_dom) {
        return -EBUSY;
    }
    pthread_mutex_lock(&dom->registry_mutex);
    int busy = dom->nreaders > 0;
    pthread_mutex_unlock(&dom->registry_mutex);
    if (busy) {
        return -EBUSY;
    }
    if (atomic_load(&dom->pending) > 0 || atomic_load(&dom->worker_started)) {
        /* Pending callbacks without a worker exist only in a fork child. */
        int rc = qs_rt_worker_ensure(dom);
        if (rc != 0) {
            return rc;
        }
    }
    qs_fork_untrack(dom);
    atomic_store(&dom->closing, 1);
    if (atomic_load(&dom->worker_started)) {
        qs_rt_drain_run(dom);
        pthread_mutex_lock(&dom->worker_mutex);
        int running = dom->worker_state == QS_WORKER_RUNNING;
        atomic_store(&dom->worker_stop, 1);
        qs_event_set(&dom->work_event);
        pthread_mutex_unlock(&dom->worker_mutex);
        if (running) {
            pthread_join(dom->worker_thread, NULL);
        }
    }
    qs_rt_retire_destroy(dom);
    pthread_mutex_destroy(&dom->gp_lock);
    pthread_cond_destroy(&dom->gp_cond);
    pthread_mutex_destroy(&dom->sync_mutex);
    pthread_mutex_destroy(&dom->registry_mutex);
    pthread_mutex_destroy(&dom->worker_mutex);
    pthread_mutex_destroy(&dom->stall_mutex);
    dom->shut_down = 1;
    return 0;
}

int qs_domain_free(qs_domain *dom)
{
    int rc = qs_domain_shutdown(dom);
    if (rc != 0) {
        return rc;
    }
    qs_rt_observer_release(dom);
    free(dom);
    return 0;
}

/* -------------------------------------------------------------- stats */

void qs_stats_get(qs_domain *dom, qs_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (dom == NULL) {
        return;
    }
    qs_stats_counters *c = &dom->st;
    out->gps = stat_read(&c->gps);
    out->gps_fqs = stat_read(&c->gps_fqs);
    for (int i = 0; i < QS_FQS_CAUSES; i++) {
        out->fqs_by_cause[i] = stat_read(&c->fqs_by_cause[i]);
    }
    out->polls = stat_read(&c->polls);
    out->notifier_calls = stat_read(&c->notifier_calls);
    out->callbacks_queued = stat_read(&dom->callbacks_queued);
    out->callbacks_run = stat_read(&c->callbacks_run);
    out->drains = stat_read(&c->drains);
    out->forces = stat_read(&c->forces);
    out->syncs = stat_read(&c->syncs);
    out->gp_lat_max_ns = stat_read(&c->gp_lat_max_ns);
    out->gp_lat_sum_ns = stat_read(&c->gp_lat_sum_ns);
    for (int i = 0; i < 64; i++) {
        out->gp_lat_hist[i] = stat_read(&c->gp_lat_hist[i]);
    }
    out->gps_no_readers = stat_read(&c->gps_no_readers);
    out->stalls = stat_read(&c->stalls);
    pthread_mutex_lock(&dom->registry_mutex);
    uint64_t slow = dom->slow_unlocks_gone;
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = l->next) {
        slow += atomic_load_explicit(QS_ATOMIC_U64(&READER_OF_REG(l)->pub.slow_unlocks),
                                     memory_order_relaxed);
    }
    pthread_mutex_unlock(&dom->registry_mutex);
    out->slow_unlocks = slow;
    qs_rt_retire_stats(dom, out);
}

uint64_t qs_stats_gp_percentile_ns(const qs_stats *s, double pct)
{
    uint64_t total = 0;
    for (int i = 0; i < 64; i++) {
        total += s->gp_lat_hist[i];
    }
    if (total == 0) {
        return 0;
    }
    if (pct < 0) {
        pct = 0;
    }
    if (pct > 100) {
        pct = 100;
    }
    /* The rank of the wanted sample, 1-based. */
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)total + 0.999999);
    if (rank == 0) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (int i = 0; i < 64; i++) {
        seen += s->gp_lat_hist[i];
        if (seen >= rank) {
            /* Bucket i holds bit length i: [2^(i-1), 2^i - 1]. */
            return i == 0 ? 0 : i == 63 ? UINT64_MAX : (1ull << i) - 1;
        }
    }
    return UINT64_MAX;
}

/* --------------------------------------------------------------- fork */

void qs_domain_fork_prepare(qs_domain *dom)
{
    /* The nesting order of domain_impl.h. Holding sync_mutex means no GP
     * is executing at the fork. */
    pthread_mutex_lock(&dom->sync_mutex);
    pthread_mutex_lock(&dom->gp_lock);
    pthread_mutex_lock(&dom->registry_mutex);
    pthread_mutex_lock(&dom->worker_mutex);
    qs_rt_retire_lock(dom);
    pthread_mutex_lock(&dom->stall_mutex); /* a leaf: see domain_impl.h */
}

void qs_domain_fork_parent(qs_domain *dom)
{
    pthread_mutex_unlock(&dom->stall_mutex);
    qs_rt_retire_unlock(dom);
    pthread_mutex_unlock(&dom->worker_mutex);
    pthread_mutex_unlock(&dom->registry_mutex);
    pthread_mutex_unlock(&dom->gp_lock);
    pthread_mutex_unlock(&dom->sync_mutex);
}

void qs_domain_fork_child(qs_domain *dom)
{
    /* Only the forking thread exists here, and it holds every mutex. */
    pthread_t self = pthread_self();
    qs_link *next;
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = next) {
        next = l->next;
        qs_reader_rt *rt = READER_OF_REG(l);
        if (!pthread_equal(rt->owner, self)) {
            /* Its thread does not exist in this process. */
            qs_rt_reader_drop(dom, rt);
        }
    }
    /* GP sharing: a vanished thread may have been between claiming a GP
     * and running it; nobody here waits for that one. It is not marked
     * completed (it never ran): a cookie naming it is done only after the
     * next GP, which is numbered one past it. Requests in gp_wanted carry
     * over; the next call(), drain() or start_poll starts a worker. */
    dom->gp_running = 0;
    dom->expedite_waiters = 0;
    pthread_cond_init(&dom->gp_cond, NULL);
    /* Waiter flags in the event words name threads that are gone. */
    qs_event_init(&dom->gp_event, 0);
    qs_event_init(&dom->wake_event, 0);
    qs_event_init(&dom->work_event, 0);
    /* Callbacks queued in the parent are reclaimed here too (this
     * process has its own copy of their objects). At most the callback
     * the parent's worker was invoking at the fork, and whatever a
     * producer had not linked yet, are lost to the child. */
    /* A thread inside qs_drain at the fork left its marker, which lives
     * on that thread's stack: a stack this process may reuse for the next
     * thread it creates. Nobody here waits for it: unlink it. */
    atomic_store(&dom->pending,
                 (uint32_t)qs_queue_repair_after_fork(&dom->queue, qs_rt_drain_marker_run));
    /* Drains in progress belonged to other threads. */
    atomic_store(&dom->draining, 0);
    /* No worker thread: the next call() or drain() starts one. */
    dom->worker_state = QS_WORKER_STOPPED;
    atomic_store(&dom->worker_started, 0);
    atomic_store(&dom->worker_stop, 0);
    if (qs_rt_worker_dom == dom) {
        qs_rt_worker_dom = NULL; /* a callback forked: this is no worker now */
    }
    qs_domain_fork_parent(dom);
}
