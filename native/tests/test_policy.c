/*
 * policy: the seed's claims and the runtime's contract, checked with the
 * domain's own counters (short poll periods keep it fast).
 *
 *  1. normal_state_is_free: worker GPs with an idle reader and a reader
 *     doing short sections cost readers no slow-path unlock under FQS
 *     (slow_unlocks == 0, no FQS entry) while LEGACY, same workload,
 *     makes them take the slow path (slow_unlocks > 0).
 *  2. fqs_causes: each trigger enters FQS exactly once, recorded under its
 *     own cause: THRESHOLD, POLL_LIMIT, DRAIN, FORCE, EXPEDITED; the
 *     blocking reader's notifier fires and the GP completes.
 *  3. busy_reader: a reader spinning inside a section until its notifier
 *     fires. FQS: kicked, the callback runs. LEGACY: a plain call is NOT
 *     kicked (callback still pending after 100 ms, no notifier call;
 *     force() changes nothing), qs_drain kicks it and returns.
 *  4. drain_fifo: drain returns only after every earlier callback ran;
 *     callbacks run FIFO per producer, each exactly once;
 *     callbacks_run == callbacks_queued.
 *  5. misuse: error codes for deadlocking or invalid calls.
 *  6. fork: a fork in the middle of activity (readers reading, callbacks
 *     queued) leaves a child that can register, read, synchronize, call,
 *     drain and free the domain; the parent loses no callback.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#include "check.h"

#define MS 1000000ull

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until *v >= target; 1 if reached within `ms`. */
static int wait_for(atomic_long *v, long target, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (atomic_load(v) < target) {
        if (now_ms() > end) {
            return 0;
        }
        sleep_ms(1);
    }
    return 1;
}

static qs_domain *make_domain(int32_t policy, uint64_t poll_ns, uint32_t limit,
                              uint32_t threshold)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    cfg.params.poll_period_ns = poll_ns;
    cfg.params.poll_limit = limit;
    cfg.params.cb_threshold = threshold;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    return dom;
}

/* ------------------------------------------------------------ helpers */

/* Heap-allocated callbacks that count their runs. */
typedef struct counted {
    qs_head head;
    atomic_long *counter;
} counted;

static void counted_run(qs_head *h)
{
    counted *c = QS_CONTAINER_OF(h, counted, head);
    atomic_fetch_add(c->counter, 1);
    free(c);
}

static void call_counted(qs_domain *dom, atomic_long *counter)
{
    counted *c = malloc(sizeof(*c));
    CHECK(c != NULL);
    c->counter = counter;
    CHECK_OK(qs_call(dom, &c->head, counted_run));
}

/* A reader thread that enters one section and spins in it until told to
 * leave, by the test or (if kick_leaves) by its own force notifier. */
typedef struct holder {
    qs_domain *dom;
    int kick_leaves;
    pthread_t thread;
    qs_notifier notifier;
    atomic_int inside;
    atomic_int leave;
    atomic_long kicks;
} holder;

static void holder_kick(qs_reader *r, void *opaque)
{
    holder *h = opaque;
    (void)r;
    atomic_fetch_add(&h->kicks, 1);
    if (h->kick_leaves) {
        atomic_store(&h->leave, 1);
    }
}

static void *holder_main(void *arg)
{
    holder *h = arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(h->dom, &r));
    h->notifier.fn = holder_kick;
    h->notifier.opaque = h;
    CHECK_OK(qs_notifier_add(r, &h->notifier));
    qs_read_lock(r);
    atomic_store(&h->inside, 1);
    for (unsigned spins = 0; !atomic_load_explicit(&h->leave, memory_order_relaxed); spins++) {
        if (spins % 64 == 0) {
            sched_yield(); /* a busy vCPU, but polite on 2 cores */
        }
    }
    qs_read_unlock(r);
    atomic_store(&h->inside, 0);
    CHECK_OK(qs_notifier_remove(r, &h->notifier));
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void holder_start(holder *h, qs_domain *dom, int kick_leaves)
{
    memset(h, 0, sizeof(*h));
    h->dom = dom;
    h->kick_leaves = kick_leaves;
    CHECK_OK(pthread_create(&h->thread, NULL, holder_main, h));
    while (!atomic_load(&h->inside)) {
        sched_yield();
    }
}

static void holder_stop(holder *h)
{
    atomic_store(&h->leave, 1);
    pthread_join(h->thread, NULL);
}

static qs_stats stats_of(qs_domain *dom)
{
    qs_stats st;
    qs_stats_get(dom, &st);
    return st;
}

/* A force() that lands while the worker's GP runs answers that GP and
 * also forces the next one, which covers the forcing caller's callback.
 * (Answering only the running GP left the next one to poll to the limit.) */
static void test_force_during_gp(void)
{
    holder h1, h2;
    atomic_long ran;
    atomic_store(&ran, 0);
    qs_domain *dom = make_domain(QS_POLICY_FQS, 20 * MS, QS_DEFAULT_POLL_LIMIT,
                                 QS_DEFAULT_CB_THRESHOLD);
    holder_start(&h1, dom, 1);
    call_counted(dom, &ran);
    /* GP1 (batch: the first callback) sleeps in the normal state. */
    while (stats_of(dom).polls < 1) {
        sleep_ms(1);
    }
    /* h2 enters after GP1 began: it blocks only GP2. */
    holder_start(&h2, dom, 1);
    call_counted(dom, &ran);
    qs_force(dom);
    CHECK(wait_for(&ran, 2, 10000));
    qs_stats st = stats_of(dom);
    CHECK_EQ(st.fqs_by_cause[QS_FQS_FORCE], 2);
    CHECK_EQ(st.fqs_by_cause[QS_FQS_POLL_LIMIT], 0);
    holder_stop(&h1);
    holder_stop(&h2);
    CHECK_OK(qs_domain_free(dom));
    printf("policy: force during a GP forces the next one too OK\n");
}

/* ------------------------------------------- 1. normal state is free */

static atomic_int shorty_stop;
static volatile unsigned shorty_sink;

/* Short sections, back to back: inside most of the time. */
static void *shorty_main(void *arg)
{
    qs_domain *dom = arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    while (!atomic_load_explicit(&shorty_stop, memory_order_relaxed)) {
        qs_read_lock(r);
        for (int i = 0; i < 2000; i++) {
            shorty_sink += (unsigned)i;
        }
        qs_read_unlock(r);
        for (int i = 0; i < 50; i++) {
            shorty_sink += (unsigned)i;
        }
    }
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static qs_stats run_short_readers(int32_t policy, int gps)
{
    /* No FQS trigger can hold under FQS (huge limits); LEGACY pre-polls
     * one period per batch. */
    uint32_t limit = policy == QS_POLICY_FQS ? 100000 : 1;
    qs_domain *dom = make_domain(policy, 2 * MS, limit, 100000);
    qs_reader *idle;
    CHECK_OK(qs_reader_new(dom, &idle)); /* registered, never reads */
    atomic_store(&shorty_stop, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, shorty_main, dom));
    atomic_long ran = 0;
    for (long i = 0; i < gps; i++) {
        call_counted(dom, &ran);
        CHECK(wait_for(&ran, i + 1, 10000));
    }
    atomic_store(&shorty_stop, 1);
    pthread_join(t, NULL);
    qs_stats st = stats_of(dom);
    CHECK_OK(qs_reader_free(idle));
    CHECK_OK(qs_domain_free(dom));
    return st;
}

static void test_normal_state_is_free(void)
{
    const int gps = 40;
    qs_stats fqs = run_short_readers(QS_POLICY_FQS, gps);
    CHECK(fqs.gps >= (uint64_t)gps);
    CHECK_EQ(fqs.slow_unlocks, 0);
    CHECK_EQ(fqs.gps_fqs, 0);
    qs_stats legacy = run_short_readers(QS_POLICY_LEGACY, gps);
    CHECK(legacy.gps >= (uint64_t)gps);
    CHECK(legacy.slow_unlocks > 0);
    CHECK_EQ(legacy.gps_fqs, 0);
    printf("policy: normal state: FQS %llu GPs, %llu slow unlocks, %llu polls; "
           "LEGACY %llu GPs, %llu slow unlocks\n",
           (unsigned long long)fqs.gps, (unsigned long long)fqs.slow_unlocks,
           (unsigned long long)fqs.polls, (unsigned long long)legacy.gps,
           (unsigned long long)legacy.slow_unlocks);
}

/* -------------------------------------------------- 2. FQS causes */

static void expect_only_cause(qs_domain *dom, int cause)
{
    qs_stats st = stats_of(dom);
    for (int c = 0; c < QS_FQS_CAUSES; c++) {
        if (st.fqs_by_cause[c] != (c == cause ? 1u : 0u)) {
            fprintf(stderr, "cause %d: by_cause[%d] = %llu\n", cause, c,
                    (unsigned long long)st.fqs_by_cause[c]);
        }
        CHECK_EQ(st.fqs_by_cause[c], c == cause ? 1 : 0);
    }
    CHECK_EQ(st.gps_fqs, 1);
    CHECK(st.notifier_calls >= 1);
}

static void test_fqs_causes(void)
{
    holder h;
    atomic_long ran;

    /* THRESHOLD: 4 callbacks pile up while a reader blocks the GP. */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, 100000, 4);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        for (int i = 0; i < 4; i++) {
            call_counted(dom, &ran);
        }
        CHECK(wait_for(&ran, 4, 10000));
        holder_stop(&h);
        CHECK(atomic_load(&h.kicks) >= 1);
        expect_only_cause(dom, QS_FQS_THRESHOLD);
        CHECK_OK(qs_domain_free(dom));
    }
    /* POLL_LIMIT: 3 polls of 2 ms, then force. */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, 3, 100000);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        call_counted(dom, &ran);
        CHECK(wait_for(&ran, 1, 10000));
        holder_stop(&h);
        CHECK(atomic_load(&h.kicks) >= 1);
        expect_only_cause(dom, QS_FQS_POLL_LIMIT);
        CHECK(stats_of(dom).polls >= 3);
        CHECK_OK(qs_domain_free(dom));
    }
    /* DRAIN: the GP polls (no other trigger can hold) until drain(). */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, 100000, 100000);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        call_counted(dom, &ran);
        sleep_ms(30);
        CHECK_EQ(atomic_load(&ran), 0);
        CHECK_EQ(stats_of(dom).gps_fqs, 0);
        CHECK(stats_of(dom).polls >= 2); /* normal state: polling */
        CHECK_OK(qs_drain(dom));
        CHECK_EQ(atomic_load(&ran), 1);
        holder_stop(&h);
        expect_only_cause(dom, QS_FQS_DRAIN);
        CHECK_OK(qs_domain_free(dom));
    }
    /* FORCE */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, 100000, 100000);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        call_counted(dom, &ran);
        sleep_ms(20);
        CHECK_EQ(atomic_load(&ran), 0);
        qs_force(dom);
        CHECK(wait_for(&ran, 1, 10000));
        holder_stop(&h);
        expect_only_cause(dom, QS_FQS_FORCE);
        CHECK_EQ(stats_of(dom).forces, 1);
        CHECK_OK(qs_domain_free(dom));
    }
    /* EXPEDITED: a direct synchronize() enters FQS after one scan. */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, 100000, 100000);
        holder_start(&h, dom, 1);
        uint64_t t0 = now_ms();
        CHECK_OK(qs_synchronize(dom));
        uint64_t took = now_ms() - t0;
        holder_stop(&h);
        expect_only_cause(dom, QS_FQS_EXPEDITED);
        qs_stats st = stats_of(dom);
        CHECK_EQ(st.syncs, 1);
        CHECK_EQ(st.polls, 0); /* never slept a poll period */
        CHECK_OK(qs_domain_free(dom));
        printf("policy: expedited synchronize with a kicked reader took %llu ms\n",
               (unsigned long long)took);
    }
    printf("policy: FQS causes THRESHOLD, POLL_LIMIT, DRAIN, FORCE, EXPEDITED OK\n");
}

/* ------------------------------------------------- 3. busy reader */

static void test_busy_reader(void)
{
    holder h;
    atomic_long ran;

    /* FQS: the poll limit (5 x 2 ms) forces the GP; the kick frees it. */
    {
        qs_domain *dom = make_domain(QS_POLICY_FQS, 2 * MS, QS_DEFAULT_POLL_LIMIT,
                                     QS_DEFAULT_CB_THRESHOLD);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        uint64_t t0 = now_ms();
        call_counted(dom, &ran);
        CHECK(wait_for(&ran, 1, 10000));
        uint64_t took = now_ms() - t0;
        holder_stop(&h);
        CHECK(atomic_load(&h.kicks) >= 1);
        CHECK(stats_of(dom).notifier_calls >= 1);
        CHECK_OK(qs_domain_free(dom));
        printf("policy: FQS busy reader kicked, callback after %llu ms\n",
               (unsigned long long)took);
    }
    /* LEGACY: stalls until a drain. */
    {
        qs_domain *dom = make_domain(QS_POLICY_LEGACY, 2 * MS, QS_DEFAULT_POLL_LIMIT,
                                     QS_DEFAULT_CB_THRESHOLD);
        holder_start(&h, dom, 1);
        atomic_store(&ran, 0);
        call_counted(dom, &ran);
        sleep_ms(100);
        CHECK_EQ(atomic_load(&ran), 0);
        CHECK_EQ(atomic_load(&h.kicks), 0);
        CHECK_EQ(atomic_load(&h.inside), 1);
        qs_force(dom); /* no such thing before the seed */
        sleep_ms(20);
        CHECK_EQ(atomic_load(&ran), 0);
        CHECK_EQ(atomic_load(&h.kicks), 0);
        qs_stats st = stats_of(dom);
        CHECK_EQ(st.notifier_calls, 0);
        CHECK_EQ(st.forces, 1);
        CHECK(st.polls >= QS_DEFAULT_POLL_LIMIT); /* the pre-polls */
        CHECK_OK(qs_drain(dom));
        CHECK_EQ(atomic_load(&ran), 1);
        CHECK(atomic_load(&h.kicks) >= 1);
        holder_stop(&h);
        st = stats_of(dom);
        CHECK(st.notifier_calls >= 1);
        CHECK_EQ(st.gps_fqs, 0);
        CHECK(st.slow_unlocks >= 1); /* the kicked reader woke the writer */
        CHECK_OK(qs_domain_free(dom));
    }
    printf("policy: busy reader: FQS kicks it; LEGACY stalls until drain OK\n");
}

/* --------------------------------------------------- 4. drain, FIFO */

#define FIFO_PRODUCERS 3

typedef struct seq_cb {
    qs_head head;
    int producer;
    long seq;
    atomic_int runs;
} seq_cb;

static long fifo_next[FIFO_PRODUCERS]; /* worker only */
static atomic_long fifo_errors;
static atomic_long fifo_ran[FIFO_PRODUCERS];
static qs_domain *fifo_dom;
static seq_cb *fifo_cbs[FIFO_PRODUCERS];
static long fifo_n;

static void seq_run(qs_head *h)
{
    seq_cb *c = QS_CONTAINER_OF(h, seq_cb, head);
    if (atomic_fetch_add(&c->runs, 1) != 0 || c->seq != fifo_next[c->producer]) {
        atomic_fetch_add(&fifo_errors, 1);
    }
    fifo_next[c->producer] = c->seq + 1;
    atomic_fetch_add(&fifo_ran[c->producer], 1);
}

static void *fifo_producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    for (long i = 0; i < fifo_n; i++) {
        seq_cb *c = &fifo_cbs[p][i];
        c->producer = p;
        c->seq = i;
        CHECK_OK(qs_call(fifo_dom, &c->head, seq_run));
        if (p == 0 && i % 500 == 499) {
            /* Producer 0 drains now and then: everything it queued before
             * has run when drain returns. */
            CHECK_OK(qs_drain(fifo_dom));
            CHECK_EQ(atomic_load(&fifo_ran[0]), i + 1);
        }
    }
    return NULL;
}

static void test_drain_fifo(void)
{
    fifo_n = qs_test_long() ? 50000 : 5000;
    fifo_dom = make_domain(QS_POLICY_FQS, 1 * MS, QS_DEFAULT_POLL_LIMIT,
                           QS_DEFAULT_CB_THRESHOLD);
    atomic_store(&shorty_stop, 0);
    pthread_t reader;
    CHECK_OK(pthread_create(&reader, NULL, shorty_main, fifo_dom));
    pthread_t t[FIFO_PRODUCERS];
    for (int p = 0; p < FIFO_PRODUCERS; p++) {
        fifo_cbs[p] = calloc((size_t)fifo_n, sizeof(seq_cb));
        CHECK(fifo_cbs[p] != NULL);
        CHECK_OK(pthread_create(&t[p], NULL, fifo_producer, (void *)(intptr_t)p));
    }
    for (int p = 0; p < FIFO_PRODUCERS; p++) {
        pthread_join(t[p], NULL);
    }
    CHECK_OK(qs_drain(fifo_dom));
    atomic_store(&shorty_stop, 1);
    pthread_join(reader, NULL);
    for (int p = 0; p < FIFO_PRODUCERS; p++) {
        CHECK_EQ(atomic_load(&fifo_ran[p]), fifo_n);
        CHECK_EQ(fifo_next[p], fifo_n);
        for (long i = 0; i < fifo_n; i++) {
            CHECK_EQ(atomic_load(&fifo_cbs[p][i].runs), 1);
        }
        free(fifo_cbs[p]);
    }
    CHECK_EQ(atomic_load(&fifo_errors), 0);
    qs_stats st = stats_of(fifo_dom);
    CHECK_EQ(st.callbacks_run, st.callbacks_queued);
    CHECK_EQ(st.drains, fifo_n / 500 + 1);
    CHECK_OK(qs_domain_free(fifo_dom));
    printf("policy: drain/FIFO: %d producers x %ld callbacks, %llu GPs OK\n",
           FIFO_PRODUCERS, fifo_n, (unsigned long long)st.gps);
}

/* ------------------------------------------------------- 5. misuse */

static qs_domain *misuse_dom;
static atomic_int cb_drain_rc;
static atomic_int cb_free_rc;
static atomic_int cb_sync_rc;
static qs_reader *foreign_reader;

static void misuse_cb(qs_head *h)
{
    atomic_store(&cb_drain_rc, qs_drain(misuse_dom));
    atomic_store(&cb_free_rc, qs_domain_free(misuse_dom));
    /* synchronize from a callback is allowed (the worker holds no lock) */
    atomic_store(&cb_sync_rc, qs_synchronize(misuse_dom));
    free(h);
}

static void *foreign_main(void *arg)
{
    CHECK_OK(qs_reader_new(arg, &foreign_reader));
    qs_read_lock(foreign_reader);
    qs_read_unlock(foreign_reader);
    return NULL; /* exits registered; main frees the reader */
}

static void noop_notify(qs_reader *r, void *opaque)
{
    (void)r;
    (void)opaque;
}

static void noop_cb(qs_head *h)
{
    (void)h;
}

static void test_misuse(void)
{
    qs_domain_config cfg;
    qs_domain *dom;
    CHECK_EQ(qs_domain_config_init(&cfg, 9), -EINVAL);
    CHECK_EQ(qs_domain_config_init(NULL, QS_POLICY_FQS), -EINVAL);
    CHECK_EQ(qs_domain_new(NULL, NULL), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_limit = 0;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.cb_threshold = 0;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 0;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.policy = 7;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.reserved = 1;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.use_membarrier = 2;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    CHECK_EQ(cfg.worker_slice_us, QS_DEFAULT_WORKER_SLICE_US);
    cfg.worker_slice_us = QS_WORKER_SLICE_MIN_US - 1;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    cfg.worker_slice_us = QS_WORKER_SLICE_MAX_US + 1;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);

    dom = make_domain(QS_POLICY_FQS, 1 * MS, 5, 30);
    CHECK(qs_reader_self(dom) == NULL);
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    CHECK(qs_reader_self(dom) == r);
    qs_reader *r2;
    CHECK_EQ(qs_reader_new(dom, &r2), -EEXIST);
    CHECK_EQ(qs_reader_new(NULL, &r2), -EINVAL);

    qs_notifier n = { .fn = noop_notify };
    qs_notifier nofn = { .fn = NULL };
    CHECK_EQ(qs_notifier_add(r, &nofn), -EINVAL);
    CHECK_OK(qs_notifier_add(r, &n));
    CHECK_EQ(qs_notifier_add(r, &n), -EEXIST);
    CHECK_OK(qs_notifier_remove(r, &n));
    CHECK_EQ(qs_notifier_remove(r, &n), -ENOENT);

    qs_head h;
    CHECK_EQ(qs_call(dom, NULL, noop_cb), -EINVAL);
    CHECK_EQ(qs_call(dom, &h, NULL), -EINVAL);
    CHECK_EQ(qs_call(NULL, &h, noop_cb), -EINVAL);

    qs_read_lock(r);
    qs_read_lock(r);
    CHECK_EQ(qs_synchronize(dom), -EDEADLK);
    CHECK_EQ(qs_drain(dom), -EDEADLK);
    CHECK_EQ(qs_reader_free(r), -EBUSY);
    qs_read_unlock(r);
    CHECK_EQ(qs_synchronize(dom), -EDEADLK); /* still nested once */
    qs_read_unlock(r);
    CHECK_OK(qs_synchronize(dom));
    CHECK_OK(qs_drain(dom));

    CHECK_EQ(qs_domain_free(dom), -EBUSY);
    CHECK_OK(qs_reader_free(r));
    CHECK_EQ(qs_reader_free(NULL), -EINVAL);

    /* A reader freed by another thread once its owner is done. */
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, foreign_main, dom));
    pthread_join(t, NULL);
    CHECK_EQ(qs_domain_free(dom), -EBUSY);
    CHECK_OK(qs_reader_free(foreign_reader));

    /* From a callback on the worker. */
    misuse_dom = dom;
    qs_head *ch = malloc(sizeof(*ch));
    CHECK_OK(qs_call(dom, ch, misuse_cb));
    CHECK_OK(qs_drain(dom));
    CHECK_EQ(atomic_load(&cb_drain_rc), -EDEADLK);
    CHECK_EQ(atomic_load(&cb_free_rc), -EBUSY);
    CHECK_EQ(atomic_load(&cb_sync_rc), 0);

    CHECK_OK(qs_domain_free(dom));
    CHECK_EQ(qs_domain_free(NULL), -EINVAL);
    printf("policy: misuse codes OK\n");
}

/* -------------------------------------------------------- 6. fork */

typedef struct fobj {
    qs_head head;
    long value;
} fobj;

static qs_domain *fork_dom;
static fobj *fork_current;
static atomic_int fork_stop;
static atomic_long fork_queued;
static atomic_long fork_ran;
static atomic_long fork_bad_reads;

static void fobj_free(qs_head *h)
{
    fobj *o = QS_CONTAINER_OF(h, fobj, head);
    o->value = -1;
    free(o);
    atomic_fetch_add(&fork_ran, 1);
}

static void *fork_reader(void *arg)
{
    (void)arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(fork_dom, &r));
    while (!atomic_load_explicit(&fork_stop, memory_order_relaxed)) {
        qs_read_lock(r);
        fobj *o = qs_rcu_read(&fork_current);
        if (o != NULL && o->value < 0) {
            atomic_fetch_add(&fork_bad_reads, 1);
        }
        qs_read_unlock(r);
    }
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void replace_current(long value)
{
    fobj *n = malloc(sizeof(*n));
    CHECK(n != NULL);
    n->value = value;
    fobj *old = qs_rcu_exchange(&fork_current, n);
    if (old != NULL) {
        CHECK_OK(qs_call(fork_dom, &old->head, fobj_free));
        atomic_fetch_add(&fork_queued, 1);
    }
}

static void *fork_updater(void *arg)
{
    (void)arg;
    for (long v = 1; !atomic_load_explicit(&fork_stop, memory_order_relaxed); v++) {
        replace_current(v);
        if (v % 64 == 0) {
            sched_yield();
        }
    }
    return NULL;
}

static atomic_int child_thread_ok;

static void *child_thread(void *arg)
{
    (void)arg;
    qs_reader *r;
    if (qs_reader_new(fork_dom, &r) != 0) {
        return NULL;
    }
    qs_read_lock(r);
    fobj *o = qs_rcu_read(&fork_current);
    int ok = o != NULL && o->value > 0;
    qs_read_unlock(r);
    if (qs_reader_free(r) == 0 && ok) {
        atomic_store(&child_thread_ok, 1);
    }
    return NULL;
}

/* The child's checks; returns the exit status. */
static int child_main(qs_reader *mine)
{
    alarm(30); /* a hang here fails the parent's check */
    /* The forking thread keeps its reader; the others' are gone. */
    CHECK(qs_reader_self(fork_dom) == mine);
    qs_read_lock(mine);
    fobj *o = qs_rcu_read(&fork_current);
    CHECK(o != NULL && o->value > 0);
    qs_read_unlock(mine);
    CHECK_OK(qs_synchronize(fork_dom));
    /* A new thread can register and read. */
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, child_thread, NULL));
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&child_thread_ok), 1);
    /* call + drain: the worker restarts in the child. */
    long before = atomic_load(&fork_ran);
    replace_current(1000000);
    CHECK_OK(qs_drain(fork_dom));
    CHECK(atomic_load(&fork_ran) >= before + 1);
    CHECK_OK(qs_reader_free(mine));
    CHECK_OK(qs_domain_free(fork_dom));
    CHECK_EQ(atomic_load(&fork_bad_reads), 0);
    return 0;
}

static void test_fork(void)
{
    fork_dom = make_domain(QS_POLICY_FQS, 1 * MS, QS_DEFAULT_POLL_LIMIT,
                           QS_DEFAULT_CB_THRESHOLD);
    qs_reader *mine;
    CHECK_OK(qs_reader_new(fork_dom, &mine));
    replace_current(0);
    atomic_store(&fork_stop, 0);
    pthread_t readers[2], updater;
    for (int i = 0; i < 2; i++) {
        CHECK_OK(pthread_create(&readers[i], NULL, fork_reader, NULL));
    }
    CHECK_OK(pthread_create(&updater, NULL, fork_updater, NULL));
    int forks = 3;
    for (int i = 0; i < forks; i++) {
        sleep_ms(20);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            _exit(child_main(mine));
        }
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork child failed: status 0x%x\n", status);
        }
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&fork_stop, 1);
    pthread_join(updater, NULL);
    for (int i = 0; i < 2; i++) {
        pthread_join(readers[i], NULL);
    }
    fobj *last = qs_rcu_exchange(&fork_current, NULL);
    CHECK_OK(qs_synchronize(fork_dom));
    free(last);
    CHECK_OK(qs_drain(fork_dom));
    /* The parent lost nothing across the forks. */
    CHECK_EQ(atomic_load(&fork_ran), atomic_load(&fork_queued));
    CHECK_EQ(atomic_load(&fork_bad_reads), 0);
    CHECK_OK(qs_reader_free(mine));
    CHECK_OK(qs_domain_free(fork_dom));
    printf("policy: fork x%d during activity OK (%ld callbacks in the parent)\n",
           forks, atomic_load(&fork_queued));
}

/* The worker's scheduler slice, as a callback running on it sees it
 * (sched_getattr's sched_runtime: the custom slice on Linux 6.12+). */
typedef struct slice_probe {
    qs_head head;
    uint64_t runtime_ns;
    int rc;
} slice_probe;

static void slice_probe_run(qs_head *h)
{
    slice_probe *p = (slice_probe *)h;
    uint64_t attr[7]; /* struct sched_attr, first version: 48 bytes */
    memset(attr, 0, sizeof(attr));
    p->rc = (int)syscall(SYS_sched_getattr, 0, attr, (unsigned)sizeof(attr), 0u);
    p->runtime_ns = attr[3]; /* after size, policy, flags, nice, priority */
}

static uint64_t worker_slice_ns(uint32_t slice_us)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.worker_slice_us = slice_us;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    slice_probe p = {.rc = -1};
    CHECK_OK(qs_call(dom, &p.head, slice_probe_run));
    CHECK_OK(qs_drain(dom));
    CHECK_OK(p.rc);
    CHECK_OK(qs_domain_free(dom));
    return p.runtime_ns;
}

/* A thread that asks for 300 us and reports what sched_getattr says. */
static void *thread_slice_probe(void *arg)
{
    CHECK_OK(qs_thread_set_slice_us(300));
    uint64_t attr[7];
    memset(attr, 0, sizeof(attr));
    CHECK_OK((int)syscall(SYS_sched_getattr, 0, attr, (unsigned)sizeof(attr), 0u));
    *(uint64_t *)arg = attr[3];
    return NULL;
}

static void test_worker_slice(void)
{
    struct utsname u;
    CHECK_OK(uname(&u));
    int major = 0, minor = 0;
    sscanf(u.release, "%d.%d", &major, &minor);
    uint64_t def = worker_slice_ns(0);
    uint64_t set = worker_slice_ns(QS_DEFAULT_WORKER_SLICE_US);
    uint64_t big = worker_slice_ns(5000);
    if (major > 6 || (major == 6 && minor >= 12)) {
        /* Custom slices exist: the worker got what it asked for. */
        CHECK_EQ(set, QS_DEFAULT_WORKER_SLICE_US * 1000ull);
        CHECK_EQ(big, 5000000ull);
        CHECK(def != set);
        printf("policy: worker slice: kernel default %llu ns, asked 100 us -> %llu ns, 5 ms -> %llu ns\n",
               (unsigned long long)def, (unsigned long long)set, (unsigned long long)big);
    } else {
        printf("policy: worker slice: kernel %s has no custom slices; not checked\n", u.release);
    }

    /* The same request for any thread: qs_thread_set_slice_us, on a
     * thread of our own (not the test's main thread). */
    CHECK_EQ(qs_thread_set_slice_us(QS_WORKER_SLICE_MIN_US - 1), -EINVAL);
    CHECK_EQ(qs_thread_set_slice_us(QS_WORKER_SLICE_MAX_US + 1), -EINVAL);
    pthread_t t;
    uint64_t got = 0;
    CHECK_OK(pthread_create(&t, NULL, thread_slice_probe, &got));
    CHECK_OK(pthread_join(t, NULL));
    if (major > 6 || (major == 6 && minor >= 12)) {
        CHECK_EQ(got, 300000ull);
    }
}

/* Regression (RELIABILITY.md finding 1): fork while another thread waits
 * in qs_drain behind a slow callback. The child inherits the queue with
 * that thread's drain marker in it; the marker lives on the vanished
 * thread's stack, which glibc hands to the child's next thread (its new
 * worker). The child must not run the marker: it drains, calls and frees
 * the domain, and exits 0. Crashed the child before the fix. */
static qs_domain *fid_dom;
static atomic_int fid_slow_started;

static void fid_slow(qs_head *h)
{
    (void)h;
    atomic_store(&fid_slow_started, 1);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
}

static void *fid_drainer(void *arg)
{
    (void)arg;
    CHECK_OK(qs_drain(fid_dom));
    return NULL;
}

static atomic_int fid_child_ran;

static void fid_child_cb(qs_head *h)
{
    (void)h;
    atomic_fetch_add(&fid_child_ran, 1);
}

static void test_fork_during_drain(void)
{
    fid_dom = make_domain(QS_POLICY_FQS, 1 * MS, QS_DEFAULT_POLL_LIMIT, QS_DEFAULT_CB_THRESHOLD);
    qs_head slow;
    CHECK_OK(qs_call(fid_dom, &slow, fid_slow));
    while (!atomic_load(&fid_slow_started)) {
        sched_yield();
    }
    pthread_t drainer;
    CHECK_OK(pthread_create(&drainer, NULL, fid_drainer, NULL));
    /* Let the drainer queue its marker behind the slow callback. */
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    qs_stats st;
    qs_stats_get(fid_dom, &st);
    CHECK_EQ(st.callbacks_queued, 2); /* the slow callback and the marker */
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* New threads first (they may get the drainer's old stack). */
        qs_head h[4];
        for (int i = 0; i < 4; i++) {
            CHECK_OK(qs_call(fid_dom, &h[i], fid_child_cb));
        }
        CHECK_OK(qs_drain(fid_dom));
        CHECK_EQ(atomic_load(&fid_child_ran), 4);
        CHECK_OK(qs_synchronize(fid_dom));
        CHECK_OK(qs_domain_free(fid_dom));
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(pthread_join(drainer, NULL));
    CHECK_OK(qs_domain_free(fid_dom));
    printf("policy: fork during another thread's drain: child exited 0\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_misuse();
    test_worker_slice();
    test_normal_state_is_free();
    test_fqs_causes();
    test_busy_reader();
    test_force_during_gp();
    test_drain_fifo();
#ifdef QS_TEST_SANITIZED
    /* The sanitizer runtime may deadlock the fork child (see check.h);
     * the plain and valgrind runs cover fork. */
    const char *f = getenv("QS_TEST_FORK");
    if (f == NULL || strcmp(f, "1") != 0) {
        printf("policy: fork test skipped under a sanitizer (QS_TEST_FORK=1 runs it)\n");
        return 0;
    }
#endif
    test_fork();
    test_fork_during_drain();
    return 0;
}
