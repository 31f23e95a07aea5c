/*
 * queue: the MPSC callback queue through the public qs_call path and
 * directly. Several producer threads push numbered nodes while the single
 * consumer pops; asserts that nothing is lost or duplicated and that each
 * producer's nodes come out in the order it pushed them. A second phase
 * runs the same through qs_call + qs_drain on a domain: every callback
 * exactly once, FIFO per producer.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include <quiesce/quiesce.h>

#include "../runtime/queue.h"
#include "check.h"

#define PRODUCERS 4

typedef struct node {
    qs_head head; /* first: the queue links qs_heads */
    int producer;
    long seq;
} node;

static qs_queue q;
static node *nodes[PRODUCERS];
static long per_producer;
static atomic_long pushed;

static void *producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    for (long i = 0; i < per_producer; i++) {
        node *n = &nodes[p][i];
        n->producer = p;
        n->seq = i;
        qs_queue_push(&q, &n->head);
        atomic_fetch_add(&pushed, 1);
    }
    return NULL;
}

static void raw_queue(void)
{
    qs_queue_init(&q);
    CHECK(qs_queue_pop(&q) == NULL);
    pthread_t t[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        nodes[p] = calloc((size_t)per_producer, sizeof(node));
        CHECK(nodes[p] != NULL);
    }
    for (int p = 0; p < PRODUCERS; p++) {
        CHECK_OK(pthread_create(&t[p], NULL, producer, (void *)(intptr_t)p));
    }
    long next[PRODUCERS] = {0};
    long total = per_producer * PRODUCERS;
    for (long got = 0; got < total;) {
        if (atomic_load(&pushed) <= got) {
            /* Nothing counted yet: pop must not invent nodes. */
            continue;
        }
        qs_head *h = qs_queue_pop_wait(&q);
        node *n = (node *)h;
        CHECK(n->producer >= 0 && n->producer < PRODUCERS);
        CHECK_EQ(n->seq, next[n->producer]); /* FIFO per producer, no loss */
        next[n->producer]++;
        got++;
    }
    for (int p = 0; p < PRODUCERS; p++) {
        pthread_join(t[p], NULL);
        CHECK_EQ(next[p], per_producer);
        free(nodes[p]);
    }
    CHECK(qs_queue_pop(&q) == NULL);
}

/* ---- through the domain ---- */

typedef struct cb_node {
    qs_head head;
    int producer;
    long seq;
    atomic_int runs;
} cb_node;

static qs_domain *dom;
static cb_node *cbs[PRODUCERS];
static long cb_next[PRODUCERS]; /* written by the worker only */
static atomic_int cb_order_errors;

static void cb_run(qs_head *h)
{
    cb_node *n = QS_CONTAINER_OF(h, cb_node, head);
    if (atomic_fetch_add(&n->runs, 1) != 0 || n->seq != cb_next[n->producer]) {
        atomic_fetch_add(&cb_order_errors, 1);
    }
    cb_next[n->producer] = n->seq + 1;
}

static void *cb_producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    for (long i = 0; i < per_producer; i++) {
        cb_node *n = &cbs[p][i];
        n->producer = p;
        n->seq = i;
        CHECK_OK(qs_call(dom, &n->head, cb_run));
    }
    return NULL;
}

static void domain_queue(void)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 1000000;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    pthread_t t[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        cbs[p] = calloc((size_t)per_producer, sizeof(cb_node));
        CHECK(cbs[p] != NULL);
    }
    for (int p = 0; p < PRODUCERS; p++) {
        CHECK_OK(pthread_create(&t[p], NULL, cb_producer, (void *)(intptr_t)p));
    }
    for (int p = 0; p < PRODUCERS; p++) {
        pthread_join(t[p], NULL);
    }
    CHECK_OK(qs_drain(dom));
    for (int p = 0; p < PRODUCERS; p++) {
        for (long i = 0; i < per_producer; i++) {
            CHECK_EQ(atomic_load(&cbs[p][i].runs), 1);
        }
        CHECK_EQ(cb_next[p], per_producer);
    }
    CHECK_EQ(atomic_load(&cb_order_errors), 0);
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.callbacks_queued, PRODUCERS * per_producer + 1);
    CHECK_EQ(st.callbacks_run, st.callbacks_queued);
    CHECK_OK(qs_domain_free(dom));
    for (int p = 0; p < PRODUCERS; p++) {
        free(cbs[p]);
    }
}

int main(void)
{
    per_producer = qs_test_long() ? 2000000 : 200000;
    raw_queue();
    printf("queue: raw MPSC %d x %ld OK\n", PRODUCERS, per_producer);
    domain_queue();
    printf("queue: qs_call %d x %ld OK\n", PRODUCERS, per_producer);
    return 0;
}
