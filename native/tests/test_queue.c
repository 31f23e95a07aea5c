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

static void keep_fn(qs_head *h)
{
    (void)h;
}

static void drop_fn(qs_head *h)
{
    (void)h;
}

/* The fork-child repair: markers (fn == drop_fn) are unlinked wherever
 * they sit (first, middle, last, around the stub), the rest stay in order,
 * and the repaired queue works as a queue. Run in this process: the repair
 * only needs that no other thread touches the queue. */
static void repair_after_fork(void)
{
    qs_head h[8];
    /* 1: before the stub moves (stub at the head). */
    const int drop1[8] = {1, 0, 1, 0, 0, 1, 0, 1};
    qs_queue_init(&q);
    for (int i = 0; i < 8; i++) {
        h[i].fn = drop1[i] ? drop_fn : keep_fn;
        qs_queue_push(&q, &h[i]);
    }
    CHECK_EQ(qs_queue_repair_after_fork(&q, drop_fn), 4);
    const int keep1[4] = {1, 3, 4, 6};
    for (int i = 0; i < 4; i++) {
        CHECK(qs_queue_pop_wait(&q) == &h[keep1[i]]);
    }
    CHECK(qs_queue_pop(&q) == NULL);

    /* 2: the stub at the head with a link (after a pop), then the stub
     * inside the chain, as a pop racing a producer can leave it. */
    qs_queue_init(&q);
    h[0].fn = keep_fn;
    qs_queue_push(&q, &h[0]);
    CHECK(qs_queue_pop(&q) == &h[0]); /* the stub, re-pushed, is the head */
    h[1].fn = drop_fn;
    h[2].fn = keep_fn;
    qs_queue_push(&q, &h[1]);
    qs_queue_push(&q, &h[2]);
    CHECK_EQ(qs_queue_repair_after_fork(&q, drop_fn), 1);
    CHECK(qs_queue_pop_wait(&q) == &h[2]);
    CHECK(qs_queue_pop(&q) == NULL);
    /* head h2 -> stub -> h3 (drop) -> h4, built by hand */
    qs_queue_init(&q);
    h[3].fn = drop_fn;
    h[4].fn = keep_fn;
    q.head = &h[2];
    h[2].next = &q.stub;
    q.stub.next = &h[3];
    h[3].next = &h[4];
    h[4].next = NULL;
    atomic_store(&q.tail, &h[4]);
    CHECK_EQ(qs_queue_repair_after_fork(&q, drop_fn), 2);
    CHECK(qs_queue_pop_wait(&q) == &h[2]);
    CHECK(qs_queue_pop_wait(&q) == &h[4]);
    CHECK(qs_queue_pop(&q) == NULL);

    /* 3: only markers; then the queue is empty and usable. */
    qs_queue_init(&q);
    h[5].fn = drop_fn;
    qs_queue_push(&q, &h[5]);
    CHECK_EQ(qs_queue_repair_after_fork(&q, drop_fn), 0);
    CHECK(qs_queue_pop(&q) == NULL);
    h[6].fn = keep_fn;
    qs_queue_push(&q, &h[6]);
    CHECK(qs_queue_pop_wait(&q) == &h[6]);

    /* 4: NULL drops nothing. */
    qs_queue_init(&q);
    h[7].fn = drop_fn;
    qs_queue_push(&q, &h[7]);
    CHECK_EQ(qs_queue_repair_after_fork(&q, NULL), 1);
    CHECK(qs_queue_pop_wait(&q) == &h[7]);
}

int main(void)
{
    repair_after_fork();
    printf("queue: fork-child repair OK\n");
    per_producer = qs_test_long() ? 2000000 : 200000;
    raw_queue();
    printf("queue: raw MPSC %d x %ld OK\n", PRODUCERS, per_producer);
    domain_queue();
    printf("queue: qs_call %d x %ld OK\n", PRODUCERS, per_producer);
    return 0;
}
