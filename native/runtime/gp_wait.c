/*
 * The grace period: the writer-side barriers (W1, W2), wait_for_readers
 * in its normal and force-quiescent states, GP sharing between concurrent
 * callers, the GP latency record, and synchronize.
 *
 * The read side lives in <quiesce/read.h>; its ordering argument (BARRIER
 * A and B) is written there. The writer-side barriers below are W1 and W2.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "domain_impl.h"
#include "membarrier.h"

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
static void wait_for_readers(qs_domain *dom, int expedited, uint64_t gp_no)
{
    const uint64_t gp_ctr = atomic_load_explicit(QS_ATOMIC_U64(&dom->gp_ctr),
                                                 memory_order_relaxed);
    for (qs_link *l = dom->registry.next; l != &dom->registry; l = l->next) {
        qs_reader_rt *rt = READER_OF_REG(l);
        link_add_tail(&dom->to_check, &rt->chk);
        rt->in_check = 1;
        rt->gp_kicks = 0;
    }
    qs_gp_begin(&dom->gp, expedited);
    unsigned scanned = 0; /* observer: which scan is the first */
    /* Stall watch: one clock read per GP, after the gp_ctr advance (every
     * section this GP waits for began before it). None when off. */
    qs_stall_watch stall;
    qs_rt_stall_begin(dom, &stall, gp_no, dom->cfg.stall_timeout_ms ? now_ns() : 0);

    for (;;) {
        /* Reset before the inputs are read below: a force() or drain()
         * from here on leaves the event set, so a poll sleep decided on
         * stale inputs ends at once. */
        qs_event_reset(&dom->wake_event);
        if (atomic_exchange(&dom->expedite_now, 0)) {
            /* An expedited synchronize() joined this GP (see qs_rt_gp_run). */
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
        const int first_scan = !scanned++;

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
                if (rt->sec_ctr != ctr) {
                    /* First GP to see this section block it (stall.c). */
                    rt->sec_ctr = ctr;
                    rt->sec_seen_ns = stall.t0;
                }
                if (kick) {
                    qs_rt_notify_reader(dom, rt);
                }
            }
        }

        if (first_scan) {
            dom->gp_readers_waited = in.remaining; /* the GP record's readers_waited */
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
            /* A poll period is short: the check before each sleep is
             * enough to notice a stall in time. */
            qs_rt_stall_check(dom, &stall);
            pthread_mutex_unlock(&dom->registry_mutex);
            qs_event_timedwait(&dom->wake_event, dom->cfg.params.poll_period_ns);
            pthread_mutex_lock(&dom->registry_mutex);
            qs_gp_poll_done(&dom->gp);
            stat_add(&dom->st.polls, 1);
            break;
        case QS_GP_ACT_FORCE:
            dom->gp_fqs_ns = now_ns(); /* the GP record's fqs_ns */
            stat_add(&dom->st.gps_fqs, 1);
            stat_add(&dom->st.fqs_by_cause[dom->gp.cause], 1);
            for (qs_link *l = dom->to_check.next; l != &dom->to_check; l = l->next) {
                qs_rt_notify_reader(dom, READER_OF_CHK(l));
            }
            break; /* arm and rescan at once */
        case QS_GP_ACT_WAIT:
        default: {
            /* With stall detection on, the wait is bounded by the next
             * report's deadline; a timeout rescans (re-arming is harmless:
             * the reset comes before `waiting` is set again, see above). */
            uint64_t until = qs_rt_stall_check(dom, &stall);
            /* Same list invariant as above while unlocked. */
            pthread_mutex_unlock(&dom->registry_mutex);
            if (until != 0) {
                qs_event_timedwait(&dom->gp_event, until);
            } else {
                qs_event_wait(&dom->gp_event);
            }
            pthread_mutex_lock(&dom->registry_mutex);
            break;
        }
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
static void gp_execute(qs_domain *dom, int expedited, uint64_t gp_no)
{
    pthread_mutex_lock(&dom->sync_mutex);
    /* W1: the caller's earlier stores (unpublishing what it will reclaim)
     * before the gp_ctr advance and the scans. Pairs with BARRIER A in
     * qs_read_lock: a reader either published its ctr before this
     * barrier (and the scan sees it), or its section's loads come after
     * the barrier and see the new pointers. */
    writer_barrier(dom);
    pthread_mutex_lock(&dom->registry_mutex);
    const uint64_t t0 = now_ns();
    const uint64_t notes0 = stat_read(&dom->st.notifier_calls); /* observer */
    const int waited = dom->nreaders > 0;
    if (waited) {
        uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(&dom->gp_ctr), memory_order_relaxed);
        /* Relaxed: readers load it relaxed; W1 before and the scan's
         * barriers order what matters (see read.h). */
        atomic_store_explicit(QS_ATOMIC_U64(&dom->gp_ctr), g + QS_GP_STEP,
                              memory_order_relaxed);
        wait_for_readers(dom, expedited, gp_no);
        record_latency(dom, now_ns() - t0);
    } else {
        /* Nothing to wait for: counted apart, so the histogram describes
         * GPs that scanned readers (see qs_stats). */
        stat_add(&dom->st.gps_no_readers, 1);
    }
    const uint64_t t1 = now_ns();
    stat_add(&dom->st.gps, 1);
    /* Observer: the record is built under the mutexes, delivered after
     * them (the GP still counts as running until our caller marks it
     * completed, so calls never overlap and precede the waiters' return). */
    qs_gp_record rec;
    const int observed = qs_rt_observing(dom) &&
                         qs_rt_gp_fill(dom, &rec, t0, t1, expedited, notes0, waited);
    pthread_mutex_unlock(&dom->registry_mutex);
    pthread_mutex_unlock(&dom->sync_mutex);
    if (observed) {
        qs_rt_observe_gp_end(dom, &rec);
    }
}

/*
 * Wait until GP number `target` has completed, sharing GPs between
 * concurrent callers (direct synchronize() callers, cond_synchronize and
 * the worker): while a GP runs, wait for it; when none runs and the
 * target is not reached, the first waiter to get there claims and runs
 * the next one for everyone. Without sharing, a thread calling
 * synchronize() in a loop re-takes a mutex the worker sleeps on and can
 * starve callbacks for seconds. A GP is expedited if any expedited caller
 * waits for it. Caller holds gp_lock; it is dropped while a GP executes
 * and while waiting.
 */
static void gp_wait_locked(qs_domain *dom, uint64_t target, int expedited)
{
    if (expedited) {
        dom->expedite_waiters++;
    }
    while (!qs_gp_seq_done(dom->gp_completed, target)) {
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
        uint64_t gp_no = dom->gp_started;
        pthread_mutex_unlock(&dom->gp_lock);
        gp_execute(dom, exp, gp_no);
        pthread_mutex_lock(&dom->gp_lock);
        dom->gp_completed = dom->gp_started;
        dom->gp_running = 0;
        pthread_cond_broadcast(&dom->gp_cond);
    }
    if (expedited) {
        dom->expedite_waiters--;
    }
}

/* Wait for a full grace period that starts after this call: if a GP is
 * running it began too early, so the target is the one after it (the
 * same number a cookie taken now names). */
void qs_rt_gp_run(qs_domain *dom, int expedited)
{
    pthread_mutex_lock(&dom->gp_lock);
    gp_wait_locked(dom, qs_gp_seq_snap(dom->gp_started), expedited);
    pthread_mutex_unlock(&dom->gp_lock);
}

/* --------------------------------------------------- polled GPs */

int qs_rt_gp_wanted(qs_domain *dom)
{
    pthread_mutex_lock(&dom->gp_lock);
    int wanted = !qs_gp_seq_done(dom->gp_completed, dom->gp_wanted);
    pthread_mutex_unlock(&dom->gp_lock);
    return wanted;
}

qs_gp_state qs_get_state(qs_domain *dom)
{
    if (dom == NULL) {
        return 0;
    }
    /* Under gp_lock: the cookie is consistent with gp_running (a GP
     * claimed before our snapshot is never the cookie's GP). */
    pthread_mutex_lock(&dom->gp_lock);
    qs_gp_state c = qs_gp_seq_snap(dom->gp_started);
    pthread_mutex_unlock(&dom->gp_lock);
    return c;
}

qs_gp_state qs_start_poll(qs_domain *dom)
{
    if (dom == NULL) {
        return 0;
    }
    pthread_mutex_lock(&dom->gp_lock);
    qs_gp_state c = qs_gp_seq_snap(dom->gp_started);
    /* The later of the two (wrap-safe): c is the newest cookie possible. */
    if ((int64_t)(c - dom->gp_wanted) > 0) {
        dom->gp_wanted = c;
    }
    pthread_mutex_unlock(&dom->gp_lock);
    /* The worker reads gp_wanted under gp_lock after resetting
     * work_event: either its read comes after our unlock and sees the
     * request, or its reset comes before our set below and its wait
     * returns (see worker_main). */
    if (qs_rt_worker_ensure(dom) == 0) {
        qs_event_set(&dom->work_event);
    }
    return c;
}

bool qs_poll_state(qs_domain *dom, qs_gp_state cookie)
{
    if (dom == NULL) {
        return false;
    }
    /* gp_lock orders our return after the GP's end: gp_completed is
     * written under it after gp_execute's scans (whose acquire loads saw
     * the readers leave), so a caller that sees true may reclaim. */
    pthread_mutex_lock(&dom->gp_lock);
    bool done = qs_gp_seq_done(dom->gp_completed, cookie);
    pthread_mutex_unlock(&dom->gp_lock);
    return done;
}

void qs_cond_synchronize(qs_domain *dom, qs_gp_state cookie)
{
    if (dom == NULL || qs_poll_state(dom, cookie)) {
        return;
    }
    if (qs_rt_self_in_section(dom)) {
        fprintf(stderr, "quiesce: qs_cond_synchronize inside a read section of the same "
                        "domain would wait for itself\n");
        abort();
    }
    pthread_mutex_lock(&dom->gp_lock);
    uint64_t next = qs_gp_seq_snap(dom->gp_started);
    if ((int64_t)(cookie - next) > 0) {
        /* Not a cookie of this domain (from its future): one full GP. */
        cookie = next;
    }
    gp_wait_locked(dom, cookie, 1);
    pthread_mutex_unlock(&dom->gp_lock);
    stat_add(&dom->st.syncs, 1);
}

int qs_synchronize(qs_domain *dom)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    if (qs_rt_self_in_section(dom)) {
        return -EDEADLK;
    }
    qs_rt_gp_run(dom, 1);
    stat_add(&dom->st.syncs, 1);
    return 0;
}
