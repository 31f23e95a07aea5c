/*
 * poll: polled grace periods on the threaded runtime (issue 15).
 *  - qs_get_state starts no GP: its cookie stays not done until some GP
 *    (here a synchronize) runs;
 *  - qs_start_poll with no callback queued gets its GP from the worker,
 *    with no synchronize call, and runs no callback;
 *  - a cookie taken while a reader is inside a section is not done until
 *    that section ends (both policies);
 *  - qs_cond_synchronize returns at once for a done cookie (even while
 *    another reader would block a GP), and waits otherwise;
 *  - cookies taken while a GP runs name the GP after it.
 * The counters' wrap is tested on the engine (test_sim.c test_poll_wrap):
 * the runtime compares with the same qs_gp_seq_done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#include "check.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static qs_domain *new_domain(int32_t policy)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    return dom;
}

/* Poll until done or `ms` elapsed; true if done. */
static bool poll_for(qs_domain *dom, qs_gp_state c, long ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (!qs_poll_state(dom, c)) {
        if (now_ms() > end) {
            return false;
        }
        sleep_ms(1);
    }
    return true;
}

static void get_state_starts_nothing(void)
{
    qs_domain *dom = new_domain(QS_POLICY_FQS);
    qs_gp_state c = qs_get_state(dom);
    CHECK(!qs_poll_state(dom, c));
    sleep_ms(50);
    CHECK(!qs_poll_state(dom, c));
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK_EQ(s.gps, 0);
    CHECK_EQ(qs_get_state(dom), c); /* no GP claimed meanwhile */
    CHECK_OK(qs_synchronize(dom));
    CHECK(qs_poll_state(dom, c));
    CHECK(!qs_poll_state(dom, qs_get_state(dom)));
    CHECK_OK(qs_domain_free(dom));
}

static void start_poll_without_callbacks(int32_t policy)
{
    qs_domain *dom = new_domain(policy);
    qs_gp_state c = qs_start_poll(dom);
    CHECK(poll_for(dom, c, 5000));
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK(s.gps >= 1);
    CHECK_EQ(s.syncs, 0);
    CHECK_EQ(s.callbacks_run, 0);
    CHECK_EQ(s.callbacks_queued, 0);
    /* The worker goes idle again: no GP for nobody. */
    sleep_ms(30);
    qs_stats_get(dom, &s);
    uint64_t gps = s.gps;
    sleep_ms(50);
    qs_stats_get(dom, &s);
    CHECK_EQ(s.gps, gps);
    CHECK_OK(qs_domain_free(dom));
}

/* The main thread's own section holds the cookie's GP. */
static void reader_holds_cookie(int32_t policy)
{
    qs_domain *dom = new_domain(policy);
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock_fn(r);
    qs_gp_state c = qs_start_poll(dom);
    CHECK(!poll_for(dom, c, 100));
    /* A GP is running for the request (the worker claimed it): a new
     * snapshot names the one after it. */
    qs_gp_state c2 = qs_get_state(dom);
    CHECK_EQ(c2, c + 1);
    qs_read_unlock_fn(r);
    CHECK(poll_for(dom, c, 5000));
    CHECK(!qs_poll_state(dom, c2));
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

struct holder {
    qs_domain *dom;
    long hold_ms;
    atomic_int inside;
    atomic_int left;
};

static void *hold_section(void *p)
{
    struct holder *h = p;
    qs_reader *r;
    CHECK_OK(qs_reader_new(h->dom, &r));
    qs_read_lock_fn(r);
    atomic_store(&h->inside, 1);
    sleep_ms(h->hold_ms);
    atomic_store(&h->left, 1);
    qs_read_unlock_fn(r);
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void cond_synchronize(void)
{
    qs_domain *dom = new_domain(QS_POLICY_FQS);
    qs_gp_state done = qs_get_state(dom);
    CHECK_OK(qs_synchronize(dom));

    struct holder h = {.dom = dom, .hold_ms = 300};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, hold_section, &h));
    while (!atomic_load(&h.inside)) {
        sleep_ms(1);
    }
    qs_stats before, after;
    qs_stats_get(dom, &before);
    uint64_t t0 = now_ms();
    /* Done: at once, although a GP now would wait ~300 ms for h. */
    qs_cond_synchronize(dom, done);
    CHECK(now_ms() - t0 < 100);
    CHECK(!atomic_load(&h.left));
    qs_stats_get(dom, &after);
    CHECK_EQ(after.gps, before.gps);
    CHECK_EQ(after.syncs, before.syncs);

    /* Not done: waits for the section that began before the snapshot. */
    qs_gp_state pending = qs_get_state(dom);
    qs_cond_synchronize(dom, pending);
    CHECK(atomic_load(&h.left));
    CHECK(qs_poll_state(dom, pending));
    qs_stats_get(dom, &after);
    CHECK_EQ(after.syncs, before.syncs + 1);
    pthread_join(t, NULL);

    /* A cookie from this domain's future waits one GP, not forever. */
    qs_stats_get(dom, &before);
    qs_cond_synchronize(dom, qs_get_state(dom) + 1000);
    qs_stats_get(dom, &after);
    CHECK_EQ(after.gps, before.gps + 1);
    /* NULL changes nothing and does not crash. */
    CHECK_EQ(qs_get_state(NULL), 0);
    CHECK_EQ(qs_start_poll(NULL), 0);
    CHECK(!qs_poll_state(NULL, 1));
    qs_cond_synchronize(NULL, 1);
    CHECK_OK(qs_domain_free(dom));
}

/* Many pollers at once share GPs: each cookie gets done, and the GP count
 * stays far below one per request. */
static void *poller(void *p)
{
    qs_domain *dom = p;
    for (int i = 0; i < 50; i++) {
        qs_gp_state c = qs_start_poll(dom);
        CHECK(poll_for(dom, c, 10000));
    }
    return NULL;
}

static void concurrent_pollers(void)
{
    qs_domain *dom = new_domain(QS_POLICY_FQS);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        CHECK_OK(pthread_create(&t[i], NULL, poller, dom));
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK(s.gps >= 50);
    CHECK(s.gps <= 200);
    CHECK_EQ(s.syncs, 0);
    CHECK_OK(qs_domain_free(dom));
}

int main(void)
{
    get_state_starts_nothing();
    start_poll_without_callbacks(QS_POLICY_FQS);
    start_poll_without_callbacks(QS_POLICY_LEGACY);
    reader_holds_cookie(QS_POLICY_FQS);
    reader_holds_cookie(QS_POLICY_LEGACY);
    cond_synchronize();
    concurrent_pollers();
    printf("poll: all checks passed\n");
    return 0;
}
