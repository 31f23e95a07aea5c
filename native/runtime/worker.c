/*
 * The call worker and its entry points: call, drain and force. One worker
 * thread per domain, started on the first call() or drain(), waits for
 * callbacks, runs a normal-state GP for a batch and invokes exactly that
 * batch in FIFO order.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>

#include "domain_impl.h"
#include "sched_hint.h"

_Thread_local qs_domain *qs_rt_worker_dom;


/* ------------------------------------------------------ token callbacks */

/* The head of one token callback. Heads come from slabs of
 * TOKEN_SLAB_HEADS: a producer thread hands out its current slab's heads
 * one by one (no malloc per call, and no cross-thread free per callback,
 * which glibc serves slowly: the worker's frees never refill the
 * producer's cache), and a slab is freed when its last head has been
 * collected. */
#define TOKEN_SLAB_HEADS 64u
typedef struct token_slab token_slab;
typedef struct token_head {
    qs_head head;
    uint64_t token;
    token_slab *slab;
} token_head;

struct token_slab {
    /* Heads not yet released: starts at TOKEN_SLAB_HEADS; each collected
     * head releases one, and the producer releases the ones it never
     * handed out when it exits. On its own cache line: the producer
     * writes the heads, the workers write this. */
    alignas(64) atomic_uint live;
    alignas(64) token_head heads[TOKEN_SLAB_HEADS];
};

/* The calling thread's slab and the index of its next free head; owner
 * only. token_slab_key's destructor releases the unused heads at exit. */
static _Thread_local token_slab *token_cur;
static _Thread_local uint32_t token_next;
static pthread_key_t token_slab_key;
static pthread_once_t token_slab_once = PTHREAD_ONCE_INIT;
static int token_slab_key_ok;

static void token_slab_release(token_slab *slab, uint32_t n)
{
    /* acq_rel: every release (the worker's after reading its head, the
     * owner's for heads it never used) happens before the free by the
     * last one, which acquires them all. */
    if (atomic_fetch_sub_explicit(&slab->live, n, memory_order_acq_rel) == n) {
        free(slab);
    }
}

static void token_slab_exit(void *arg)
{
    token_slab *slab = arg;
    if (slab == token_cur) {
        uint32_t unused = TOKEN_SLAB_HEADS - token_next;
        token_cur = NULL;
        if (unused != 0) {
            token_slab_release(slab, unused);
        }
    }
}

static void token_slab_key_init(void)
{
    token_slab_key_ok = pthread_key_create(&token_slab_key, token_slab_exit) == 0;
}

/* A fresh head from the calling thread's slab, or NULL (out of memory). */
static token_head *token_head_get(void)
{
    if (token_cur == NULL || token_next == TOKEN_SLAB_HEADS) {
        pthread_once(&token_slab_once, token_slab_key_init);
        if (!token_slab_key_ok) {
            return NULL;
        }
        token_slab *slab = aligned_alloc(alignof(token_slab), sizeof(token_slab));
        if (slab == NULL) {
            return NULL;
        }
        /* Relaxed: the slab reaches other threads only through the queue
         * push of one of its heads (seq_cst), which publishes this too. */
        atomic_init(&slab->live, TOKEN_SLAB_HEADS);
        for (uint32_t i = 0; i < TOKEN_SLAB_HEADS; i++) {
            slab->heads[i].slab = slab;
        }
        /* The full slab it replaces needs nothing from this thread: its
         * heads were all handed out, their collection frees it. */
        if (pthread_setspecific(token_slab_key, slab) != 0) {
            free(slab);
            return NULL;
        }
        token_cur = slab;
        token_next = 0;
    }
    return &token_cur->heads[token_next++];
}

/* The worker is done with head t (it read the token). */
static void token_head_put(token_head *t)
{
    token_slab_release(t->slab, 1);
}

/* The worker's releases, batched: consecutive heads of one slab (one
 * producer's consecutive calls) cost one atomic operation, not one each. */
typedef struct token_puts {
    token_slab *slab;
    uint32_t n;
} token_puts;

static void token_puts_flush(token_puts *p)
{
    if (p->n != 0) {
        token_slab_release(p->slab, p->n);
        p->n = 0;
    }
}

static void token_puts_add(token_puts *p, token_head *t)
{
    if (p->slab != t->slab) {
        token_puts_flush(p);
        p->slab = t->slab;
    }
    p->n++;
}

/* Tokens collected by the worker, not yet delivered. */
typedef struct token_run {
    uint32_t n;
    uint64_t tokens[QS_TOKEN_CHUNK];
} token_run;

/* The worker recognises token heads by this fn and never calls it itself;
 * it exists for a head run any other way (none today), and delivers the
 * token alone. */
static void token_head_run(qs_head *h)
{
    token_head *t = QS_RT_CONTAINER(h, token_head, head);
    qs_domain *dom = qs_rt_worker_dom;
    uint64_t token = t->token;
    token_head_put(t);
    if (dom != NULL) {
        /* Acquire: pairs with the release in qs_domain_set_batch_fn, as in
         * token_run_flush. */
        qs_batch_fn fn = atomic_load_explicit(&dom->batch_fn, memory_order_acquire);
        fn(dom->batch_opaque, &token, 1);
    }
}

static void token_run_flush(qs_domain *dom, token_run *run)
{
    if (run->n == 0) {
        return;
    }
    /* Acquire: pairs with the release in qs_domain_set_batch_fn; the
     * producer of these tokens saw batch_fn set before pushing them. */
    qs_batch_fn fn = atomic_load_explicit(&dom->batch_fn, memory_order_acquire);
    fn(dom->batch_opaque, run->tokens, run->n);
    run->n = 0;
}

int qs_domain_set_batch_fn(qs_domain *dom, qs_batch_fn fn, void *opaque)
{
    if (dom == NULL || fn == NULL) {
        return -EINVAL;
    }
    int rc = qs_rt_worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&dom->worker_mutex);
    if (atomic_load_explicit(&dom->batch_fn, memory_order_relaxed) != NULL) {
        pthread_mutex_unlock(&dom->worker_mutex);
        return -EEXIST;
    }
    dom->batch_opaque = opaque;
    /* Release: publishes batch_opaque with it (see token_run_flush). */
    atomic_store_explicit(&dom->batch_fn, fn, memory_order_release);
    pthread_mutex_unlock(&dom->worker_mutex);
    return 0;
}

/* ------------------------------------------------------------- worker */

static void *worker_main(void *arg)
{
    qs_domain *dom = arg;
    qs_rt_worker_dom = dom;
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
        /* A qs_start_poll cookie not done yet: run a GP even with no
         * callback (qs_worker_decide). */
        int32_t act = qs_worker_decide(&w, pending, (uint32_t)qs_rt_gp_wanted(dom));
        if (act == QS_WORKER_ACT_WAIT_WORK) {
            if (atomic_load(&dom->worker_stop)) {
                break;
            }
            /* Reset, re-check, wait: a call() that lands after the reset
             * sets the event again; one that landed before it is seen by
             * the re-check (both seq_cst, see event.h). The same for
             * qs_start_poll, whose gp_wanted store and our load are
             * ordered by gp_lock. */
            qs_event_reset(&dom->work_event);
            if (atomic_load(&dom->pending) == 0 && !atomic_load(&dom->worker_stop) &&
                !qs_rt_gp_wanted(dom)) {
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
        /* RUN_GP: a normal-state GP, then exactly `batch` callbacks
         * (zero for a GP only a qs_start_poll wanted). The GP starts after
         * the request, so it is the wanted one or later. */
        qs_rt_gp_run(dom, 0);
        /* Only the worker stores it; force() calls made after
         * forces_seen stay unanswered and force the next GP. */
        atomic_store(&dom->force_answered, forces_seen);
        qs_worker_gp_done(&w);
        token_run run = { .n = 0 };
        token_puts puts = { NULL, 0 };
        const uint64_t batch_t0 = qs_rt_observing(dom) ? now_ns() : 0; /* observer */
        for (uint32_t i = 0; i < w.batch; i++) {
            qs_head *h = qs_queue_pop_wait(&dom->queue);
            qs_cb_fn fn = h->fn;
            /* Counted before the call, so a drain that returns from its
             * marker sees its own marker counted. Single writer: no
             * locked instruction. */
            atomic_store_explicit(&dom->st.callbacks_run,
                                  stat_read(&dom->st.callbacks_run) + 1,
                                  memory_order_relaxed);
            if (fn == token_head_run) {
                /* Collected, delivered with its neighbours below. */
                token_head *t = QS_RT_CONTAINER(h, token_head, head);
                run.tokens[run.n++] = t->token;
                token_puts_add(&puts, t);
                if (run.n == QS_TOKEN_CHUNK) {
                    token_run_flush(dom, &run);
                }
                continue;
            }
            /* FIFO across both kinds: earlier tokens first. */
            token_run_flush(dom, &run);
            /* No lock held: callbacks may call call(), synchronize(),
             * register readers... anything but drain() and free(). */
            fn(h);
        }
        token_run_flush(dom, &run);
        token_puts_flush(&puts);
        if (batch_t0 != 0) {
            qs_rt_observe_batch(dom, w.batch, batch_t0);
        }
        /* Once per batch, not per callback: `pending` is the producers'
         * cache line. */
        atomic_fetch_sub(&dom->pending, w.batch);
        qs_worker_batch_done(&w);
    }
    qs_rt_worker_dom = NULL;
    return NULL;
}

/* Start the worker if it is not running. Returns 0 or -EAGAIN. */
int qs_rt_worker_ensure(qs_domain *dom)
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
    int rc = qs_rt_worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    enqueue(dom, head, fn);
    return 0;
}

int qs_call_token(qs_domain *dom, uint64_t token)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    /* Acquire: pairs with the release in qs_domain_set_batch_fn (a token
     * queued after it is delivered to the function it published). */
    if (atomic_load_explicit(&dom->batch_fn, memory_order_acquire) == NULL) {
        return -EINVAL;
    }
    if (atomic_load_explicit(&dom->closing, memory_order_relaxed)) {
        return -ESHUTDOWN;
    }
    /* The worker was started by qs_domain_set_batch_fn (a fork child has
     * none until restarted: ensure it, as qs_call does; cheap when running). */
    int rc = qs_rt_worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    token_head *t = token_head_get();
    if (t == NULL) {
        return -ENOMEM;
    }
    t->token = token;
    enqueue(dom, &t->head, token_head_run);
    return 0;
}

typedef struct drain_marker {
    qs_head head;
    qs_event done;
} drain_marker;

void qs_rt_drain_marker_run(qs_head *head)
{
    drain_marker *m = QS_RT_CONTAINER(head, drain_marker, head);
    qs_event_set(&m->done);
}

/* Queue a marker and wait for it. The worker must be running. */
void qs_rt_drain_run(qs_domain *dom)
{
    drain_marker m;
    qs_event_init(&m.done, 0);
    atomic_fetch_add(&dom->draining, 1);
    enqueue(dom, &m.head, qs_rt_drain_marker_run);
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
    if (qs_rt_worker_dom == dom || qs_rt_self_in_section(dom)) {
        return -EDEADLK;
    }
    int rc = qs_rt_worker_ensure(dom);
    if (rc != 0) {
        return rc;
    }
    qs_rt_drain_run(dom);
    return 0;
}

void qs_force(qs_domain *dom)
{
    if (dom == NULL) {
        return;
    }
    stat_add(&dom->st.forces, 1);
    if (qs_rt_observing(dom)) {
        qs_rt_observe_force(dom);
    }
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
