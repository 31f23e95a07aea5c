/*
 * The threaded runtime: domains, the reader registry, synchronize and
 * wait_for_readers, the call worker, drain/force, notifiers and stats.
 *
 * Every decision (poll or force, whom to arm, when a GP is over, when the
 * worker starts a GP and how many callbacks it covers) is taken by the
 * pure machines of engine/gp.c; this file performs the answers with real
 * mutexes, futex events, barriers and clocks.
 *
 * The read side lives in <quiesce/read.h>; its ordering argument (BARRIER
 * A and B) is written there. The writer-side barriers below are W1 and W2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/read.h>

#include "domain_impl.h"
#include "membarrier.h"
#include "sched_hint.h"

/* The domain whose worker runs on this thread (NULL elsewhere). */
static _Thread_local qs_domain *tls_worker_dom;

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static qs_domain *default_dom;

/* ------------------------------------------------------------ helpers */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep `ns` on CLOCK_MONOTONIC, not interruptible by any event. */
static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

static void *alloc_lines(size_t size)
{
    size_t rounded = (size + QS_CACHE_LINE - 1) / QS_CACHE_LINE * QS_CACHE_LINE;
    void *p = aligned_alloc(QS_CACHE_LINE, rounded);
    if (p != NULL) {
        memset(p, 0, rounded);
    }
    return p;
}

static void link_init(qs_link *head)
{
    head->prev = head;
    head->next = head;
}

static void link_add_tail(qs_link *head, qs_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void link_del(qs_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l;
    l->next = l;
}

#define READER_OF_REG(l) QS_RT_CONTAINER(l, qs_reader_rt, reg)
#define READER_OF_CHK(l) QS_RT_CONTAINER(l, qs_reader_rt, chk)

static void stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t stat_read(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* The calling thread's reader of `dom`. Caller holds registry_mutex. */
static qs_reader_rt *find_reader_of(qs_domain *dom, pthread_t thread)
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
static int self_in_section(qs_domain *dom)
{
    pthread_mutex_lock(&dom->registry_mutex);
    qs_reader_rt *rt = find_reader_of(dom, pthread_self());
    int inside = rt != NULL &&
                 atomic_load_explicit(QS_ATOMIC_U64(&rt->pub.ctr), memory_order_relaxed) != 0;
    pthread_mutex_unlock(&dom->registry_mutex);
    return inside;
}

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
    link_init(&dom->registry);
    link_init(&dom->to_check);
    qs_gp_init(&dom->gp, &c.params);
    qs_event_init(&dom->gp_event, 0);
    qs_event_init(&dom->wake_event, 0);
    qs_event_init(&dom->work_event, 0);
    qs_queue_init(&dom->queue);
    dom->worker_state = QS_WORKER_STOPPED;
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

/* ------------------------------------------------------------ readers */

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
    link_init(&rt->chk);

    pthread_mutex_lock(&dom->registry_mutex);
    if (find_reader_of(dom, rt->owner) != NULL) {
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
static void reader_drop(qs_domain *dom, qs_reader_rt *rt)
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
    /* ctr, not depth: see self_in_section. Relaxed: the caller ordered
     * the owner's last unlock before this call. */
    if (atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed) != 0) {
        return -EBUSY;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    pthread_mutex_lock(&dom->registry_mutex);
    int was_checked = rt->in_check;
    reader_drop(dom, rt);
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
    qs_reader_rt *rt = find_reader_of(dom, pthread_self());
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

/* ---------------------------------------------------------- notifiers */

int qs_notifier_add(qs_reader *r, qs_notifier *n)
{
    if (r == NULL || n == NULL || n->fn == NULL) {
        return -EINVAL;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    pthread_mutex_lock(&dom->registry_mutex);
    for (qs_notifier *it = rt->notifiers; it != NULL; it = it->next) {
        if (it == n) {
            pthread_mutex_unlock(&dom->registry_mutex);
            return -EEXIST;
        }
    }
    n->next = rt->notifiers;
    rt->notifiers = n;
    pthread_mutex_unlock(&dom->registry_mutex);
    return 0;
}

int qs_notifier_remove(qs_reader *r, qs_notifier *n)
{
    if (r == NULL || n == NULL) {
        return -ENOENT;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    int rc = -ENOENT;
    pthread_mutex_lock(&dom->registry_mutex);
    for (qs_notifier **pp = &rt->notifiers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&dom->registry_mutex);
    return rc;
}

/* Fire one reader's force notifiers. On the writer's thread, with
 * sync_mutex and registry_mutex held. */
static void notify_reader(qs_domain *dom, qs_reader_rt *rt)
{
    qs_notifier *n = rt->notifiers;
    while (n != NULL) {
        qs_notifier *next = n->next;
        n->fn(&rt->pub, n->opaque);
        stat_add(&dom->st.notifier_calls, 1);
        n = next;
    }
}

/* ------------------------------------------------------------- writer */

/* The writer's full barrier: W1 before advancing gp_ctr, W2 between
 * setting `waiting` and scanning. With QS_FENCE_MEMBARRIER it is
 * membarrier(2), which turns every running reader's compiler barrier
 * (BARRIER A / B in read.h) into a full fence; otherwise a seq_cst fence
 * that pairs with the readers' seq_cst fences. */
static void writer_barrier(qs_domain *dom)
{
    if (dom->fence_mode == QS_FENCE_MEMBARRIER) {
        qs_membarrier_run();
    } else {
        atomic_thread_fence(memory_order_seq_cst);
    }
}

/*
 * Wait until no reader registered at the advance of gp_ctr is still in a
 * section that began before it. Called with sync_mutex and registry_mutex
 * held; drops and retakes registry_mutex while it sleeps or blocks.
 */
static void wait_for_readers(qs_domain *dom, int expedited)
{
    const uint64_t gp_ctr = atomic_load_explicit(QS_ATOMIC_U64(&dom->gp_ctr),
                                                 memory_order_relaxed);
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = l->next) {
        qs_reader_rt *rt = READER_OF_REG(l);
        link_add_tail(&dom->to_check, &rt->chk);
        rt->in_check = 1;
    }
    qs_gp_begin(&dom->gp, expedited);

    for (;;) {
        /* Reset before the inputs are read below: a force() or drain()
         * from here on leaves the event set, so a poll sleep decided on
         * stale inputs ends at once. */
        qs_event_reset(&dom->wake_event);
        if (atomic_exchange(&dom->expedite_now, 0)) {
            /* An expedited synchronize() joined this GP (see gp_run). */
            qs_gp_expedite(&dom->gp);
        }

        int armed = qs_gp_arms(&dom->gp);
        if (armed) {
            /* Reset before setting `waiting`: a reader that sees it set
             * sets the event after this reset, and the wait below returns. */
            qs_event_reset(&dom->gp_event);
            for (qs_link *l = dom->to_check.next; l != &dom->to_check; l = l->next) {
                atomic_store_explicit(QS_ATOMIC_U32(&READER_OF_CHK(l)->pub.waiting), 1,
                                      memory_order_relaxed);
            }
            /* W2: the `waiting` stores above before the ctr loads of the
             * scan. Pairs with BARRIER B in qs_read_unlock (ctr := 0
             * before its load of `waiting`): either we see ctr == 0, or
             * the reader sees `waiting` and wakes us. */
            writer_barrier(dom);
        }

        qs_gp_input in = {
            .remaining = 0,
            .pending = atomic_load(&dom->pending),
            .draining = atomic_load(&dom->draining),
            .forced = atomic_load(&dom->force_requests) !=
                      atomic_load(&dom->force_answered),
        };
        int kick = qs_gp_notifies_in_scan(&dom->gp, &in);

        /* The scan. */
        qs_link *next;
        for (qs_link *l = dom->to_check.next; l != &dom->to_check; l = next) {
            next = l->next;
            qs_reader_rt *rt = READER_OF_CHK(l);
            /* Acquire: pairs with the release stores of ctr in
             * qs_read_lock / qs_read_unlock, so everything the reader did
             * in a section we see as finished happens before our return
             * (and the caller's reclamation). */
            uint64_t ctr = atomic_load_explicit(QS_ATOMIC_U64(&rt->pub.ctr),
                                                memory_order_acquire);
            if (qs_reader_classify(ctr, gp_ctr) != QS_READER_ACTIVE_OLD) {
                link_del(&rt->chk);
                rt->in_check = 0;
                if (armed) {
                    /* No fence needed: at worst the reader takes one
                     * needless slow path. */
                    atomic_store_explicit(QS_ATOMIC_U32(&rt->pub.waiting), 0,
                                          memory_order_relaxed);
                }
            } else {
                in.remaining++;
                if (kick) {
                    notify_reader(dom, rt);
                }
            }
        }

        switch (qs_gp_after_scan(&dom->gp, &in)) {
        case QS_GP_ACT_DONE:
            qs_gp_end(&dom->gp);
            return;
        case QS_GP_ACT_SLEEP:
            /*
             * registry_mutex is dropped here and below, so threads can
             * register and unregister meanwhile. List invariant: to_check
             * holds exactly the readers that were registered when gp_ctr
             * advanced, are still registered, and were last seen blocking
             * this GP. qs_reader_free takes a reader off it (under
             * registry_mutex); readers that register meanwhile are never
             * put on it.
             */
            pthread_mutex_unlock(&dom->registry_mutex);
            qs_event_timedwait(&dom->wake_event, dom->cfg.params.poll_period_ns);
            pthread_mutex_lock(&dom->registry_mutex);
            qs_gp_poll_done(&dom->gp);
            stat_add(&dom->st.polls, 1);
            break;
        case QS_GP_ACT_FORCE:
            stat_add(&dom->st.gps_fqs, 1);
            stat_add(&dom->st.fqs_by_cause[dom->gp.cause], 1);
            for (qs_link *l = dom->to_check.next; l != &dom->to_check; l = l->next) {
                notify_reader(dom, READER_OF_CHK(l));
            }
            break; /* arm and rescan at once */
        case QS_GP_ACT_WAIT:
        default:
            /* Same list invariant as above while unlocked. */
            pthread_mutex_unlock(&dom->registry_mutex);
            qs_event_wait(&dom->gp_event);
            pthread_mutex_lock(&dom->registry_mutex);
            break;
        }
    }
}

static void record_latency(qs_domain *dom, uint64_t ns)
{
    stat_add(&dom->st.gp_lat_sum_ns, ns);
    unsigned bucket = ns == 0 ? 0 : 64u - (unsigned)__builtin_clzll(ns);
    if (bucket > 63) {
        bucket = 63;
    }
    stat_add(&dom->st.gp_lat_hist[bucket], 1);
    /* Only the writer (under sync_mutex) stores the max. */
    if (ns > stat_read(&dom->st.gp_lat_max_ns)) {
        atomic_store_explicit(&dom->st.gp_lat_max_ns, ns, memory_order_relaxed);
    }
}

/* Run one grace period now. Only one runs at a time (gp_running). */
static void gp_execute(qs_domain *dom, int expedited)
{
    pthread_mutex_lock(&dom->sync_mutex);
    /* W1: the caller's earlier stores (unpublishing what it will reclaim)
     * before the gp_ctr advance and the scans. Pairs with BARRIER A in
     * qs_read_lock: a reader either published its ctr before this
     * barrier (and the scan sees it), or its section's loads come after
     * the barrier and see the new pointers. */
    writer_barrier(dom);
    pthread_mutex_lock(&dom->registry_mutex);
    uint64_t t0 = now_ns();
    if (dom->nreaders > 0) {
        uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(&dom->gp_ctr), memory_order_relaxed);
        /* Relaxed: readers load it relaxed; W1 before and the scan's
         * barriers order what matters (see read.h). */
        atomic_store_explicit(QS_ATOMIC_U64(&dom->gp_ctr), g + QS_GP_STEP,
                              memory_order_relaxed);
        wait_for_readers(dom, expedited);
    }
    record_latency(dom, now_ns() - t0);
    stat_add(&dom->st.gps, 1);
    pthread_mutex_unlock(&dom->registry_mutex);
    pthread_mutex_unlock(&dom->sync_mutex);
}

/*
 * Wait for a full grace period that starts after this call, sharing GPs
 * between concurrent callers (direct synchronize() callers and the
 * worker): if a GP is already running, it began too early, so wait for it
 * and then for the next one, which the first waiter to get there runs for
 * everyone. Without sharing, a thread calling synchronize() in a loop
 * re-takes a mutex the worker sleeps on and can starve callbacks for
 * seconds. A GP is expedited if any expedited caller waits for it.
 */
static void gp_run(qs_domain *dom, int expedited)
{
    pthread_mutex_lock(&dom->gp_lock);
    /* GPs are numbered 1, 2, ... in start order; ours is the next one. */
    uint64_t target = dom->gp_started + 1;
    if (expedited) {
        dom->expedite_waiters++;
    }
    while (dom->gp_completed < target) {
        if (dom->gp_running) {
            if (expedited) {
                /* We wait for the running GP too: let it finish fast. */
                atomic_store(&dom->expedite_now, 1);
                qs_event_set(&dom->wake_event);
            }
            pthread_cond_wait(&dom->gp_cond, &dom->gp_lock);
            continue;
        }
        dom->gp_running = 1;
        dom->gp_started++;
        int exp = dom->expedite_waiters > 0;
        pthread_mutex_unlock(&dom->gp_lock);
        gp_execute(dom, exp);
        pthread_mutex_lock(&dom->gp_lock);
        dom->gp_completed = dom->gp_started;
        dom->gp_running = 0;
        pthread_cond_broadcast(&dom->gp_cond);
    }
    if (expedited) {
        dom->expedite_waiters--;
    }
    pthread_mutex_unlock(&dom->gp_lock);
}

int qs_synchronize(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    if (self_in_section(dom)) {
        return -EDEADLK;
    }
    gp_run(dom, 1);
    stat_add(&dom->st.syncs, 1);
    return 0;
}

/* ------------------------------------------------------------- worker */

static void *worker_main(void *arg)
{
    qs_domain *dom = arg;
    tls_worker_dom = dom;
    if (dom->cfg.worker_slice_us != 0) {
        qs_sched_request_slice((uint64_t)dom->cfg.worker_slice_us * 1000u);
    }
    qs_worker w;
    qs_worker_init(&w, &dom->cfg.params);

    for (;;) {
        /* Read before pending (both seq_cst, pairs with qs_force): the
         * force() calls this batch's GP answers. */
        uint64_t forces_seen = atomic_load(&dom->force_requests);
        uint32_t pending = atomic_load(&dom->pending);
        int32_t act = qs_worker_next(&w, pending);
        if (act == QS_WORKER_ACT_WAIT_WORK) {
            if (atomic_load(&dom->worker_stop)) {
                break;
            }
            /* Reset, re-check, wait: a call() that lands after the reset
             * sets the event again; one that landed before it is seen by
             * the re-check (both seq_cst, see event.h). */
            qs_event_reset(&dom->work_event);
            if (atomic_load(&dom->pending) == 0 && !atomic_load(&dom->worker_stop)) {
                qs_event_wait(&dom->work_event);
            }
            continue;
        }
        if (act == QS_WORKER_ACT_PREPOLL) {
            /* LEGACY: as before the seed, nothing cuts this short. */
            sleep_ns(dom->cfg.params.poll_period_ns);
            qs_worker_prepoll_done(&w);
            stat_add(&dom->st.polls, 1);
            continue;
        }
        /* RUN_GP: a normal-state GP, then exactly `batch` callbacks. */
        gp_run(dom, 0);
        /* Only the worker stores it; force() calls made after
         * forces_seen stay unanswered and force the next GP. */
        atomic_store(&dom->force_answered, forces_seen);
        qs_worker_gp_done(&w);
        for (uint32_t i = 0; i < w.batch; i++) {
            qs_head *h = qs_queue_pop_wait(&dom->queue);
            qs_cb_fn fn = h->fn;
            /* Counted before the call, so a drain that returns from its
             * marker sees its own marker counted. Single writer: no
             * locked instruction. */
            atomic_store_explicit(&dom->st.callbacks_run,
                                  stat_read(&dom->st.callbacks_run) + 1,
                                  memory_order_relaxed);
            /* No lock held: callbacks may call call(), synchronize(),
             * register readers... anything but drain() and free(). */
            fn(h);
        }
        /* Once per batch, not per callback: `pending` is the producers'
         * cache line. */
        atomic_fetch_sub(&dom->pending, w.batch);
        qs_worker_batch_done(&w);
    }
    tls_worker_dom = NULL;
    return NULL;
}

/* Start the worker if it is not running. Returns 0 or -EAGAIN. */
static int worker_ensure(qs_domain *dom)
{
    if (atomic_load_explicit(&dom->worker_started, memory_order_acquire)) {
        return 0;
    }
    int rc = 0;
    pthread_mutex_lock(&dom->worker_mutex);
    if (dom->worker_state == QS_WORKER_STOPPED) {
        atomic_store(&dom->worker_stop, 0);
        /* The worker takes no signals: they belong to the application. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&dom->worker_thread, NULL, worker_main, dom) != 0) {
            rc = -EAGAIN;
        } else {
            dom->worker_state = QS_WORKER_RUNNING;
            atomic_store_explicit(&dom->worker_started, 1, memory_order_release);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&dom->worker_mutex);
    return rc;
}

static void enqueue(qs_domain *dom, qs_head *head, qs_cb_fn fn)
{
    head->fn = fn;
    qs_queue_push(&dom->queue, head);
    /* Counted after the push: the worker pops only what it has counted,
     * which is what lets qs_queue_pop_wait wait out a link window. */
    atomic_fetch_add(&dom->pending, 1);
    stat_add(&dom->callbacks_queued, 1);
    qs_event_set(&dom->work_event);
}

int qs_call(qs_domain *dom, qs_head *head, qs_cb_fn fn)
{
    if (dom == NULL || head == NULL || fn == NULL) {
        return -EINVAL;
    }
    if (atomic_load_explicit(&dom->closing, memory_order_relaxed)) {
        return -ESHUTDOWN;
    }
    int rc = worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    enqueue(dom, head, fn);
    return 0;
}

typedef struct drain_marker {
    qs_head head;
    qs_event done;
} drain_marker;

static void drain_marker_run(qs_head *head)
{
    drain_marker *m = QS_RT_CONTAINER(head, drain_marker, head);
    qs_event_set(&m->done);
}

/* Queue a marker and wait for it. The worker must be running. */
static void drain_run(qs_domain *dom)
{
    drain_marker m;
    qs_event_init(&m.done, 0);
    atomic_fetch_add(&dom->draining, 1);
    enqueue(dom, &m.head, drain_marker_run);
    /* FQS: cut a normal-state poll sleep short, so the GP enters FQS
     * (cause DRAIN). LEGACY: wake a writer blocked on the GP event, so it
     * rescans and fires the notifiers of the readers still blocking. */
    qs_event_set(&dom->wake_event);
    qs_event_set(&dom->gp_event);
    qs_event_wait(&m.done);
    atomic_fetch_sub(&dom->draining, 1);
    stat_add(&dom->st.drains, 1);
}

int qs_drain(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    if (tls_worker_dom == dom || self_in_section(dom)) {
        return -EDEADLK;
    }
    int rc = worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    drain_run(dom);
    return 0;
}

void qs_force(qs_domain *dom)
{
    if (dom == NULL) {
        return;
    }
    stat_add(&dom->st.forces, 1);
    if (dom->cfg.params.policy == QS_POLICY_LEGACY) {
        return; /* force() did not exist before the seed */
    }
    /* seq_cst: pairs with the worker's load of force_requests before its
     * load of pending: a caller's call() then force() is either wholly
     * seen (its callback is in the batch the answer covers) or the force
     * stays unanswered for the next batch. */
    atomic_fetch_add(&dom->force_requests, 1);
    /* A GP sleeping in normal state rescans now and enters FQS. */
    qs_event_set(&dom->wake_event);
    qs_event_set(&dom->work_event);
}

int qs_domain_shutdown(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    if (dom->shut_down) {
        return 0;
    }
    if (tls_worker_dom == dom || dom == default_dom) {
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
        int rc = worker_ensure(dom);
        if (rc != 0) {
            return rc;
        }
    }
    qs_fork_untrack(dom);
    atomic_store(&dom->closing, 1);
    if (atomic_load(&dom->worker_started)) {
        drain_run(dom);
        pthread_mutex_lock(&dom->worker_mutex);
        int running = dom->worker_state == QS_WORKER_RUNNING;
        atomic_store(&dom->worker_stop, 1);
        qs_event_set(&dom->work_event);
        pthread_mutex_unlock(&dom->worker_mutex);
        if (running) {
            pthread_join(dom->worker_thread, NULL);
        }
    }
    pthread_mutex_destroy(&dom->gp_lock);
    pthread_cond_destroy(&dom->gp_cond);
    pthread_mutex_destroy(&dom->sync_mutex);
    pthread_mutex_destroy(&dom->registry_mutex);
    pthread_mutex_destroy(&dom->worker_mutex);
    dom->shut_down = 1;
    return 0;
}

int qs_domain_free(qs_domain *dom)
{
    int rc = qs_domain_shutdown(dom);
    if (rc != 0) {
        return rc;
    }
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
    pthread_mutex_lock(&dom->registry_mutex);
    uint64_t slow = dom->slow_unlocks_gone;
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = l->next) {
        slow += atomic_load_explicit(QS_ATOMIC_U64(&READER_OF_REG(l)->pub.slow_unlocks),
                                     memory_order_relaxed);
    }
    pthread_mutex_unlock(&dom->registry_mutex);
    out->slow_unlocks = slow;
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
}

void qs_domain_fork_parent(qs_domain *dom)
{
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
            reader_drop(dom, rt);
        }
    }
    /* GP sharing: a vanished thread may have been between claiming a GP
     * and running it; nobody here waits for that one. */
    dom->gp_running = 0;
    dom->gp_completed = dom->gp_started;
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
                 (uint32_t)qs_queue_repair_after_fork(&dom->queue, drain_marker_run));
    /* Drains in progress belonged to other threads. */
    atomic_store(&dom->draining, 0);
    /* No worker thread: the next call() or drain() starts one. */
    dom->worker_state = QS_WORKER_STOPPED;
    atomic_store(&dom->worker_started, 0);
    atomic_store(&dom->worker_stop, 0);
    if (tls_worker_dom == dom) {
        tls_worker_dom = NULL; /* a callback forked: this is no worker now */
    }
    qs_domain_fork_parent(dom);
}
