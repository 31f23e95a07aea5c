/*
 * token: qs_call_token and the domain's batch function.
 *  - errors: no batch function yet (-EINVAL), set twice (-EEXIST), NULLs;
 *  - every token is delivered exactly once, each producer's in its order,
 *    in runs (fewer deliveries than tokens), never more than
 *    QS_TOKEN_CHUNK at a time;
 *  - FIFO across kinds: an ordinary callback queued after a token runs
 *    after that token was delivered; qs_drain covers tokens;
 *  - a token is not delivered while a reader that was inside a section
 *    when it was queued is still there;
 *  - shutdown delivers what is still queued;
 *  - heads outlive their producer: threads that queue a few tokens (part
 *    of a head slab) and exit before delivery still get them delivered
 *    (run under ASan/valgrind, a slab freed early or never shows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "check.h"

#define PRODUCERS 2
#define PER_PRODUCER 200000

/* Written by the worker only (the batch function and the callbacks). */
static uint64_t next_expected[PRODUCERS];
static uint64_t delivered;
static uint64_t deliveries;
static uint32_t largest_run;
static atomic_uint_fast64_t delivered_seen; /* for other threads */

/* A token is (producer << 32) | sequence. */
static void on_batch(void *opaque, const uint64_t *tokens, uint32_t n)
{
    CHECK(opaque == &next_expected);
    CHECK(n >= 1 && n <= QS_TOKEN_CHUNK);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t p = tokens[i] >> 32, seq = tokens[i] & 0xffffffffu;
        CHECK(p < PRODUCERS);
        CHECK_EQ(seq, next_expected[p]); /* once each, in its producer's order */
        next_expected[p]++;
    }
    delivered += n;
    deliveries++;
    if (n > largest_run) {
        largest_run = n;
    }
    atomic_store(&delivered_seen, delivered);
}

typedef struct ordinary {
    qs_head head;
    uint64_t tokens_before; /* tokens queued by its producer before it */
    int producer;
    atomic_int *ran;
} ordinary;

static void on_ordinary(qs_head *h)
{
    ordinary *o = (ordinary *)h;
    /* Every token its producer queued before it was delivered already. */
    CHECK(next_expected[o->producer] >= o->tokens_before);
    atomic_fetch_add(o->ran, 1);
    free(o);
}

struct producer_arg {
    qs_domain *dom;
    int id;
    atomic_int *ordinary_ran;
};

static void *producer(void *p)
{
    struct producer_arg *a = p;
    for (uint64_t i = 0; i < PER_PRODUCER; i++) {
        CHECK_OK(qs_call_token(a->dom, ((uint64_t)a->id << 32) | i));
        if (i % 1000 == 999) {
            ordinary *o = malloc(sizeof(*o));
            CHECK(o != NULL);
            o->tokens_before = i + 1;
            o->producer = a->id;
            o->ran = a->ordinary_ran;
            CHECK_OK(qs_call(a->dom, &o->head, on_ordinary));
        }
    }
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void errors(void)
{
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    CHECK_EQ(qs_call_token(dom, 1), -EINVAL);    /* no batch function */
    CHECK_EQ(qs_call_token(NULL, 1), -EINVAL);
    CHECK_EQ(qs_domain_set_batch_fn(NULL, on_batch, NULL), -EINVAL);
    CHECK_EQ(qs_domain_set_batch_fn(dom, NULL, NULL), -EINVAL);
    CHECK_OK(qs_domain_set_batch_fn(dom, on_batch, &next_expected));
    CHECK_EQ(qs_domain_set_batch_fn(dom, on_batch, &next_expected), -EEXIST);
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.callbacks_queued, 0);            /* the failed calls queued nothing */
    CHECK_OK(qs_domain_free(dom));
}

static void exactly_once_fifo(void)
{
    memset(next_expected, 0, sizeof(next_expected));
    delivered = deliveries = 0;
    largest_run = 0;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    CHECK_OK(qs_domain_set_batch_fn(dom, on_batch, &next_expected));
    atomic_int ordinary_ran = 0;
    pthread_t t[PRODUCERS];
    struct producer_arg args[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (struct producer_arg){dom, i, &ordinary_ran};
        CHECK_OK(pthread_create(&t[i], NULL, producer, &args[i]));
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(t[i], NULL);
    }
    CHECK_OK(qs_drain(dom)); /* covers tokens: all delivered on return */
    CHECK_EQ(atomic_load(&delivered_seen), (uint64_t)PRODUCERS * PER_PRODUCER);
    for (int i = 0; i < PRODUCERS; i++) {
        CHECK_EQ(next_expected[i], PER_PRODUCER);
    }
    CHECK_EQ(atomic_load(&ordinary_ran), PRODUCERS * (PER_PRODUCER / 1000));
    /* Batched: far fewer deliveries than tokens. */
    CHECK(deliveries < delivered / 4);
    CHECK(largest_run <= QS_TOKEN_CHUNK);
    printf("token: %llu tokens in %llu deliveries (largest %u)\n",
           (unsigned long long)delivered, (unsigned long long)deliveries, largest_run);
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.callbacks_run, st.callbacks_queued); /* the drain marker counts in both */
    CHECK_OK(qs_domain_free(dom));
}

static void waits_for_reader(void)
{
    memset(next_expected, 0, sizeof(next_expected));
    delivered = 0;
    atomic_store(&delivered_seen, 0);
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    CHECK_OK(qs_domain_set_batch_fn(dom, on_batch, &next_expected));
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock(r);
    CHECK_OK(qs_call_token(dom, 0));
    sleep_ms(100); /* longer than the FQS poll limit: the GP is forced, still held */
    CHECK_EQ(atomic_load(&delivered_seen), 0);
    qs_read_unlock(r);
    for (int i = 0; i < 2000 && atomic_load(&delivered_seen) == 0; i++) {
        sleep_ms(1);
    }
    CHECK_EQ(atomic_load(&delivered_seen), 1);
    CHECK_OK(qs_reader_free(r));

    /* Shutdown delivers what is still queued. */
    for (uint64_t i = 1; i <= 100; i++) {
        CHECK_OK(qs_call_token(dom, i));
    }
    CHECK_OK(qs_domain_shutdown(dom));
    CHECK_EQ(next_expected[0], 101);
    CHECK_EQ(qs_call_token(dom, 101), -ESHUTDOWN);
    CHECK_OK(qs_domain_free(dom));
}

#define SHORT_LIVED 8
#define SHORT_TOKENS 3

struct short_arg {
    qs_domain *dom;
    int id;
    uint64_t first; /* its producer id's next sequence number */
};

static void *short_lived(void *p)
{
    struct short_arg *a = p;
    for (uint64_t i = 0; i < SHORT_TOKENS; i++) {
        CHECK_OK(qs_call_token(a->dom, ((uint64_t)a->id << 32) | (a->first + i)));
    }
    return NULL; /* exits with most of its slab unused */
}

static void producer_exits_first(void)
{
    memset(next_expected, 0, sizeof(next_expected));
    delivered = 0;
    atomic_store(&delivered_seen, 0);
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    CHECK_OK(qs_domain_set_batch_fn(dom, on_batch, &next_expected));
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock(r); /* nothing is delivered before the producers exit */
    for (int round = 0; round < SHORT_LIVED; round++) {
        pthread_t t[PRODUCERS];
        struct short_arg args[PRODUCERS];
        for (int i = 0; i < PRODUCERS; i++) {
            args[i] = (struct short_arg){dom, i, (uint64_t)round * SHORT_TOKENS};
            CHECK_OK(pthread_create(&t[i], NULL, short_lived, &args[i]));
        }
        for (int i = 0; i < PRODUCERS; i++) {
            pthread_join(t[i], NULL);
        }
        if (round == 0) {
            CHECK_EQ(atomic_load(&delivered_seen), 0);
            qs_read_unlock(r);
        }
    }
    CHECK_OK(qs_drain(dom));
    CHECK_EQ(atomic_load(&delivered_seen), (uint64_t)SHORT_LIVED * PRODUCERS * SHORT_TOKENS);
    for (int i = 0; i < PRODUCERS; i++) {
        CHECK_EQ(next_expected[i], (uint64_t)SHORT_LIVED * SHORT_TOKENS); /* once each, in order */
    }
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

int main(void)
{
    errors();
    exactly_once_fifo();
    waits_for_reader();
    producer_exits_first();
    printf("token: ok\n");
    return 0;
}
