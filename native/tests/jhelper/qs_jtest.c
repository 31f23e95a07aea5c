/*
 * libqs_jtest: C readers, writers, a held section and an asynchronous
 * grace period for the Java tests of issue 13 (see qs_jtest.h). Test code:
 * it favours plain threads and counters over speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "qs_jtest.h"

#define PENDING_LIMIT 65536u

uint64_t qs_jtest_canary(void)
{
    return QS_JTEST_CANARY;
}

uint64_t qs_jtest_poison(void)
{
    return QS_JTEST_POISON;
}

uint64_t qs_jtest_payload_k(void)
{
    return QS_JTEST_PAYLOAD_K;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------ nodes */

void *qs_jtest_node_alloc(uint64_t generation)
{
    qs_jtest_node *n = qs_mem_alloc(sizeof(*n), 64);
    if (n == NULL) {
        return NULL;
    }
    /* Plain stores: the caller publishes the node with a release store
     * or seq_cst exchange, which orders them before any reader's load. */
    n->canary = QS_JTEST_CANARY;
    n->generation = generation;
    for (int i = 0; i < 6; i++) {
        n->payload[i] = generation ^ (QS_JTEST_PAYLOAD_K * (uint64_t)(i + 1));
    }
    return n;
}

void qs_jtest_node_free(void *node)
{
    qs_jtest_node *n = node;
    /* Relaxed atomic stores: a reader racing with this free is exactly
     * the bug the tests look for; make the poison visible to it, not a
     * compiler-reordered or elided store. */
    for (int i = 0; i < 6; i++) {
        __atomic_store_n(&n->payload[i], QS_JTEST_POISON, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&n->generation, QS_JTEST_POISON, __ATOMIC_RELAXED);
    __atomic_store_n(&n->canary, QS_JTEST_POISON, __ATOMIC_RELAXED);
    qs_mem_free(n);
}

int qs_jtest_node_check(const void *node)
{
    const qs_jtest_node *n = node;
    if (n == NULL) {
        return 0;
    }
    /* Relaxed loads: see qs_jtest_node_free. */
    if (__atomic_load_n(&n->canary, __ATOMIC_RELAXED) != QS_JTEST_CANARY) {
        return 1;
    }
    uint64_t g = __atomic_load_n(&n->generation, __ATOMIC_RELAXED);
    for (int i = 0; i < 6; i++) {
        if (__atomic_load_n(&n->payload[i], __ATOMIC_RELAXED) !=
            (g ^ (QS_JTEST_PAYLOAD_K * (uint64_t)(i + 1)))) {
            return 1;
        }
    }
    return 0;
}

/* ----------------------------------------------------- thread groups */

typedef struct worker_slot {
    _Alignas(64) pthread_t thread;
    int started;
    int rc;
    uint64_t sections;
    uint64_t violations;
    uint64_t replacements;
    uint64_t errors;
    uint64_t next_gen;               /* writers without a shared counter */
    struct group *group;
} worker_slot;

typedef struct group {
    qs_domain *dom;
    void **slot;
    uint64_t *generation;
    atomic_int stop;
    int nthreads;
    worker_slot *w;
} group;

struct qs_jtest_readers {
    group g;
};

struct qs_jtest_writers {
    group g;
};

static void *reader_main(void *arg)
{
    worker_slot *s = arg;
    group *g = s->group;
    qs_reader *r;
    s->rc = qs_reader_new(g->dom, &r);
    if (s->rc != 0) {
        return NULL;
    }
    uint64_t sections = 0, violations = 0;
    while (!atomic_load_explicit(&g->stop, memory_order_relaxed)) {
        qs_read_lock(r);
        /* Acquire load (qs_rcu_read): pairs with the writer's exchange,
         * so the node's initialisation is visible. */
        const qs_jtest_node *n = qs_rcu_read(g->slot);
        if (n != NULL) {
            violations += (uint64_t)qs_jtest_node_check(n);
            /* Stay a little inside, then look again: a node freed while
             * this section still holds it shows its poison now. */
            for (int i = 0; i < 32; i++) {
                __asm__ __volatile__("" ::: "memory");
            }
            violations += (uint64_t)qs_jtest_node_check(n);
        }
        qs_read_unlock(r);
        sections++;
    }
    s->sections = sections;
    s->violations = violations;
    qs_reader_free(r);
    return NULL;
}

static void *writer_main(void *arg)
{
    worker_slot *s = arg;
    group *g = s->group;
    uint64_t replacements = 0, errors = 0;
    while (!atomic_load_explicit(&g->stop, memory_order_relaxed)) {
        uint64_t gen = g->generation != NULL
                           ? __atomic_add_fetch(g->generation, 1, __ATOMIC_RELAXED)
                           : ++s->next_gen;
        void *n = qs_jtest_node_alloc(gen);
        if (n == NULL) {
            errors++;
            sleep_ms(1);
            continue;
        }
        /* seq_cst exchange: publishes n (release) and unpublishes the old
         * node before qs_retire queues it. */
        void *old = qs_rcu_exchange(g->slot, n);
        if (old != NULL) {
            int rc = qs_retire(g->dom, old, qs_jtest_node_free, QS_JTEST_NODE_SIZE);
            if (rc != 0) {
                errors++;
                /* Not queued: nobody else can reach it any more, but a
                 * reader may: free it only after a grace period. */
                if (qs_synchronize(g->dom) == 0) {
                    qs_jtest_node_free(old);
                }
            }
        }
        replacements++;
        if ((replacements & 1023) == 0) {
            qs_stats st;
            qs_stats_get(g->dom, &st);
            if (st.retired_pending > PENDING_LIMIT) {
                sleep_ms(1);
            }
        }
    }
    s->replacements = replacements;
    s->errors = errors;
    return NULL;
}

static int group_start(group *g, qs_domain *dom, void **slot, int nthreads, uint64_t *generation,
                       void *(*fn)(void *))
{
    if (dom == NULL || slot == NULL || nthreads <= 0 || nthreads > 256) {
        return -EINVAL;
    }
    g->dom = dom;
    g->slot = slot;
    g->generation = generation;
    atomic_init(&g->stop, 0);
    g->nthreads = nthreads;
    g->w = aligned_alloc(64, sizeof(worker_slot) * (size_t)nthreads);
    if (g->w == NULL) {
        return -ENOMEM;
    }
    memset(g->w, 0, sizeof(worker_slot) * (size_t)nthreads);
    for (int i = 0; i < nthreads; i++) {
        g->w[i].group = g;
        g->w[i].next_gen = (uint64_t)(i + 1) << 48;
        if (pthread_create(&g->w[i].thread, NULL, fn, &g->w[i]) != 0) {
            atomic_store(&g->stop, 1);
            for (int j = 0; j < i; j++) {
                pthread_join(g->w[j].thread, NULL);
            }
            free(g->w);
            return -EAGAIN;
        }
        g->w[i].started = 1;
    }
    return 0;
}

static int group_stop(group *g, qs_jtest_counts *out)
{
    atomic_store(&g->stop, 1);
    qs_jtest_counts c = { 0, 0, 0, 0 };
    int rc = 0;
    for (int i = 0; i < g->nthreads; i++) {
        pthread_join(g->w[i].thread, NULL);
        c.sections += g->w[i].sections;
        c.violations += g->w[i].violations;
        c.replacements += g->w[i].replacements;
        c.errors += g->w[i].errors;
        if (g->w[i].rc != 0 && rc == 0) {
            rc = g->w[i].rc;
        }
    }
    free(g->w);
    if (out != NULL) {
        *out = c;
    }
    return rc;
}

qs_jtest_readers *qs_jtest_readers_start(qs_domain *dom, void **slot, int nthreads)
{
    qs_jtest_readers *h = malloc(sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    int rc = group_start(&h->g, dom, slot, nthreads, NULL, reader_main);
    if (rc != 0) {
        free(h);
        errno = -rc;
        return NULL;
    }
    return h;
}

int qs_jtest_readers_stop(qs_jtest_readers *h, qs_jtest_counts *out)
{
    if (h == NULL) {
        return -EINVAL;
    }
    int rc = group_stop(&h->g, out);
    free(h);
    return rc;
}

qs_jtest_writers *qs_jtest_writers_start(qs_domain *dom, void **slot, int nthreads,
                                         uint64_t *generation)
{
    qs_jtest_writers *h = malloc(sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    int rc = group_start(&h->g, dom, slot, nthreads, generation, writer_main);
    if (rc != 0) {
        free(h);
        errno = -rc;
        return NULL;
    }
    return h;
}

int qs_jtest_writers_stop(qs_jtest_writers *h, qs_jtest_counts *out)
{
    if (h == NULL) {
        return -EINVAL;
    }
    int rc = group_stop(&h->g, out);
    free(h);
    return rc;
}

/* ------------------------------------------------------ held section */

struct qs_jtest_hold {
    qs_domain *dom;
    int ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int inside;      /* mu: 1 inside, or set with rc on failure */
    int rc;
    atomic_int done;
};

static void *hold_main(void *arg)
{
    qs_jtest_hold *h = arg;
    qs_reader *r;
    int rc = qs_reader_new(h->dom, &r);
    if (rc == 0) {
        qs_read_lock(r);
    }
    pthread_mutex_lock(&h->mu);
    h->rc = rc;
    h->inside = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
    if (rc != 0) {
        atomic_store(&h->done, 1);
        return NULL;
    }
    sleep_ms(h->ms);
    /* seq_cst store before the unlock's ctr := 0 (a release store): a
     * writer whose scan saw this reader quiescent, and anything ordered
     * after that writer's return, sees done == 1. */
    atomic_store(&h->done, 1);
    qs_read_unlock(r);
    qs_reader_free(r);
    return NULL;
}

qs_jtest_hold *qs_jtest_hold_section(qs_domain *dom, int ms)
{
    if (dom == NULL || ms < 0) {
        errno = EINVAL;
        return NULL;
    }
    qs_jtest_hold *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    h->dom = dom;
    h->ms = ms;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cond, NULL);
    atomic_init(&h->done, 0);
    if (pthread_create(&h->thread, NULL, hold_main, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cond);
        free(h);
        errno = EAGAIN;
        return NULL;
    }
    return h;
}

int qs_jtest_hold_wait_inside(qs_jtest_hold *h)
{
    if (h == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&h->mu);
    while (!h->inside) {
        pthread_cond_wait(&h->cond, &h->mu);
    }
    int rc = h->rc;
    pthread_mutex_unlock(&h->mu);
    return rc;
}

int qs_jtest_hold_done(qs_jtest_hold *h)
{
    return h != NULL && atomic_load(&h->done);
}

int qs_jtest_hold_join(qs_jtest_hold *h)
{
    if (h == NULL) {
        return -EINVAL;
    }
    pthread_join(h->thread, NULL);
    int rc = h->rc;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cond);
    free(h);
    return rc;
}

/* ----------------------------------------------------- async GP */

struct qs_jtest_sync {
    qs_domain *dom;
    pthread_t thread;
    int rc;          /* written before done's release store */
    atomic_int done;
};

static void *sync_main(void *arg)
{
    qs_jtest_sync *h = arg;
    h->rc = qs_synchronize(h->dom);
    /* Release: rc before done; pairs with the acquire in sync_done. */
    atomic_store_explicit(&h->done, 1, memory_order_release);
    return NULL;
}

qs_jtest_sync *qs_jtest_synchronize_async(qs_domain *dom)
{
    if (dom == NULL) {
        errno = EINVAL;
        return NULL;
    }
    qs_jtest_sync *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    h->dom = dom;
    atomic_init(&h->done, 0);
    if (pthread_create(&h->thread, NULL, sync_main, h) != 0) {
        free(h);
        errno = EAGAIN;
        return NULL;
    }
    return h;
}

int qs_jtest_sync_done(qs_jtest_sync *h)
{
    return h != NULL && atomic_load_explicit(&h->done, memory_order_acquire);
}

int qs_jtest_sync_join(qs_jtest_sync *h)
{
    if (h == NULL) {
        return -EINVAL;
    }
    pthread_join(h->thread, NULL);
    int rc = h->rc;
    free(h);
    return rc;
}
