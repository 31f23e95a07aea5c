/*
 * torture: rcutorture-style stress of one domain, for each policy (FQS,
 * LEGACY) and each fence mode (membarrier, full fences).
 *
 * One RCU-published object at a time. Each object carries a magic word, a
 * generation copied into a payload, and a "pipe" age: 0 while published,
 * 1 once replaced, 2 once a grace period has ended after the replacement.
 * Reclaimers poison the magic word, then park the object in a quarantine
 * ring before free(), so a premature reclaim shows up as poison rather
 * than as a use-after-free (ASan still sees one if it gets that far).
 *
 * Threads:
 *   - readers: short sections, nested sections, and ~1 ms long sections
 *     (cut short by their force notifier, like a kicked vCPU);
 *   - a churn reader: registers, reads a little, unregisters, repeatedly;
 *   - a sync updater: replace, qs_synchronize, age, poison, quarantine;
 *   - a call updater: replace, qs_call (the callback ages, poisons and
 *     quarantines), with an occasional qs_force and qs_drain.
 *
 * Violations (each must be zero): a reader sees a poisoned object, an
 * inconsistent payload, or an object whose age reached 2 while the reader
 * still held it (a GP ended under it). Every queued callback must run
 * exactly once. Default: ~1 s per configuration; QS_LONG=1: 15 s.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "check.h"

#define MAGIC_LIVE 0x5155494553434521ull
#define MAGIC_POISON 0xdeaddeaddeaddeadull
#define PAYLOAD 4
#define QUARANTINE 256
#define READERS 2
#define MAX_BACKLOG 20000

typedef struct obj {
    qs_head head; /* first: QS_CALL passes the object itself */
    _Atomic uint64_t magic;
    atomic_int pipe;
    atomic_int runs;
    uint64_t gen;
    _Atomic uint64_t payload[PAYLOAD];
} obj;

typedef struct quarantine {
    obj *slot[QUARANTINE];
    unsigned next;
} quarantine;

static qs_domain *dom;
static obj *current;
static atomic_int stop;
static _Atomic uint64_t next_gen;
static atomic_long violations;
static atomic_long sections;
static atomic_long long_sections;
static atomic_long kicks;
static atomic_long queued;
static atomic_long ran;
static atomic_long synced;
static quarantine q_sync;   /* sync updater only */
static quarantine q_worker; /* callbacks (worker thread) only */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static obj *obj_new(void)
{
    obj *o = calloc(1, sizeof(*o));
    CHECK(o != NULL);
    o->gen = atomic_fetch_add(&next_gen, 1);
    for (int i = 0; i < PAYLOAD; i++) {
        atomic_init(&o->payload[i], o->gen);
    }
    atomic_init(&o->magic, MAGIC_LIVE);
    return o;
}

/* A GP has ended since `o` was replaced: age it, poison it, park it. */
static void reclaim(quarantine *q, obj *o)
{
    atomic_store_explicit(&o->pipe, 2, memory_order_relaxed);
    atomic_store_explicit(&o->magic, MAGIC_POISON, memory_order_relaxed);
    for (int i = 0; i < PAYLOAD; i++) {
        atomic_store_explicit(&o->payload[i], MAGIC_POISON, memory_order_relaxed);
    }
    free(q->slot[q->next]);
    q->slot[q->next] = o;
    q->next = (q->next + 1) % QUARANTINE;
}

static void quarantine_flush(quarantine *q)
{
    for (int i = 0; i < QUARANTINE; i++) {
        free(q->slot[i]);
        q->slot[i] = NULL;
    }
    q->next = 0;
}

/* Everything a reader may assert about an object it holds. */
static void check_obj(const obj *o)
{
    if (atomic_load_explicit(&o->magic, memory_order_relaxed) != MAGIC_LIVE ||
        atomic_load_explicit(&o->pipe, memory_order_relaxed) >= 2) {
        atomic_fetch_add(&violations, 1);
        return;
    }
    for (int i = 0; i < PAYLOAD; i++) {
        if (atomic_load_explicit(&o->payload[i], memory_order_relaxed) != o->gen) {
            atomic_fetch_add(&violations, 1);
            return;
        }
    }
}

/* ------------------------------------------------------------ readers */

typedef struct reader_ctx {
    atomic_int cut_short;
} reader_ctx;

static void reader_kicked(qs_reader *r, void *opaque)
{
    (void)r;
    reader_ctx *ctx = opaque;
    atomic_store_explicit(&ctx->cut_short, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&kicks, 1, memory_order_relaxed);
}

static void *reader_main(void *arg)
{
    (void)arg;
    reader_ctx ctx;
    atomic_init(&ctx.cut_short, 0);
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_notifier n = { .fn = reader_kicked, .opaque = &ctx };
    CHECK_OK(qs_notifier_add(r, &n));
    for (unsigned long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        qs_read_lock(r);
        obj *o = qs_rcu_read(&current);
        check_obj(o);
        if (i % 7 == 0) {
            /* Nested: the inner section must not end the outer one. */
            qs_read_lock(r);
            check_obj(qs_rcu_read(&current));
            qs_read_unlock(r);
            check_obj(o);
        }
        if (i % 500 == 0) {
            /* A long section, ~1 ms, unless kicked. */
            atomic_store_explicit(&ctx.cut_short, 0, memory_order_relaxed);
            uint64_t end = now_ns() + 1000000;
            while (now_ns() < end &&
                   !atomic_load_explicit(&ctx.cut_short, memory_order_relaxed)) {
                check_obj(o);
            }
            atomic_fetch_add_explicit(&long_sections, 1, memory_order_relaxed);
        }
        check_obj(o);
        qs_read_unlock(r);
        atomic_fetch_add_explicit(&sections, 1, memory_order_relaxed);
    }
    CHECK_OK(qs_notifier_remove(r, &n));
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void *churn_main(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        qs_reader *r;
        CHECK_OK(qs_reader_new(dom, &r));
        for (int i = 0; i < 100; i++) {
            qs_read_lock(r);
            check_obj(qs_rcu_read(&current));
            qs_read_unlock(r);
        }
        CHECK_OK(qs_reader_free(r));
        sched_yield();
    }
    return NULL;
}

/* ----------------------------------------------------------- updaters */

static obj *replace(void)
{
    obj *old = qs_rcu_exchange(&current, obj_new());
    atomic_store_explicit(&old->pipe, 1, memory_order_relaxed);
    return old;
}

static void *sync_updater(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        obj *old = replace();
        CHECK_OK(qs_synchronize(dom));
        reclaim(&q_sync, old);
        atomic_fetch_add(&synced, 1);
    }
    return NULL;
}

static void obj_reclaim_cb(obj *o)
{
    if (atomic_fetch_add(&o->runs, 1) != 0) {
        atomic_fetch_add(&violations, 1); /* ran twice */
        return;
    }
    reclaim(&q_worker, o);
    atomic_fetch_add(&ran, 1);
}

static void *call_updater(void *arg)
{
    (void)arg;
    for (unsigned long i = 1; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        obj *old = replace();
        CHECK_OK(QS_CALL(dom, old, head, obj_reclaim_cb));
        atomic_fetch_add(&queued, 1);
        if (i % 997 == 0) {
            CHECK_OK(qs_drain(dom));
        } else if (i % 301 == 0) {
            qs_force(dom);
        }
        while (atomic_load(&queued) - atomic_load(&ran) > MAX_BACKLOG &&
               !atomic_load_explicit(&stop, memory_order_relaxed)) {
            sched_yield();
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- run */

static void run(int32_t policy, int32_t use_membarrier, double seconds)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    cfg.params.poll_period_ns = 1000000; /* 1 ms */
    cfg.use_membarrier = use_membarrier;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    if (!use_membarrier) {
        CHECK_EQ(qs_domain_fence_mode(dom), QS_FENCE_FULL);
    }
    atomic_store(&stop, 0);
    atomic_store(&violations, 0);
    atomic_store(&sections, 0);
    atomic_store(&long_sections, 0);
    atomic_store(&kicks, 0);
    atomic_store(&queued, 0);
    atomic_store(&ran, 0);
    atomic_store(&synced, 0);
    qs_rcu_init(&current, obj_new());

    pthread_t readers[READERS], churn, su, cu;
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(pthread_create(&readers[i], NULL, reader_main, NULL));
    }
    CHECK_OK(pthread_create(&churn, NULL, churn_main, NULL));
    CHECK_OK(pthread_create(&su, NULL, sync_updater, NULL));
    CHECK_OK(pthread_create(&cu, NULL, call_updater, NULL));

    struct timespec ts = { (time_t)seconds,
                           (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&ts, &ts) != 0) {
    }
    atomic_store(&stop, 1);
    pthread_join(cu, NULL);
    pthread_join(su, NULL);
    pthread_join(churn, NULL);
    for (int i = 0; i < READERS; i++) {
        pthread_join(readers[i], NULL);
    }

    CHECK_OK(qs_drain(dom));
    qs_stats st;
    qs_stats_get(dom, &st);
    int32_t mode = qs_domain_fence_mode(dom);
    obj *last = qs_rcu_exchange(&current, NULL);
    CHECK_OK(qs_domain_free(dom));
    free(last);
    quarantine_flush(&q_sync);
    quarantine_flush(&q_worker);

    printf("torture %-6s %-10s: %ld sections (%ld long, %ld kicks), %ld syncs, "
           "%ld/%ld callbacks, %llu GPs (%llu FQS), %llu slow unlocks, "
           "GP p99 %llu us, violations %ld\n",
           policy == QS_POLICY_FQS ? "FQS" : "LEGACY",
           mode == QS_FENCE_MEMBARRIER ? "membarrier" : "full-fence",
           atomic_load(&sections), atomic_load(&long_sections), atomic_load(&kicks),
           atomic_load(&synced), atomic_load(&ran), atomic_load(&queued),
           (unsigned long long)st.gps, (unsigned long long)st.gps_fqs,
           (unsigned long long)st.slow_unlocks,
           (unsigned long long)(qs_stats_gp_percentile_ns(&st, 99) / 1000),
           atomic_load(&violations));
    CHECK_EQ(atomic_load(&violations), 0);
    CHECK_EQ(atomic_load(&ran), atomic_load(&queued));
    CHECK(atomic_load(&queued) > 0);
    CHECK(atomic_load(&synced) > 0);
    CHECK(atomic_load(&sections) > 0);
    CHECK_EQ(st.callbacks_run, st.callbacks_queued);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double seconds = qs_test_long() ? 15.0 : 1.0;
    const char *env = getenv("QS_TORTURE_SECONDS");
    if (env != NULL) {
        seconds = atof(env);
    }
    run(QS_POLICY_FQS, 1, seconds);
    run(QS_POLICY_FQS, 0, seconds);
    run(QS_POLICY_LEGACY, 1, seconds);
    run(QS_POLICY_LEGACY, 0, seconds);
    return 0;
}
