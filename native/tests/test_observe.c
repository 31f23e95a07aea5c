/*
 * observe: the GP observer (qs_set_observer).
 *  - errors: NULL domain (-EINVAL);
 *  - a synchronize() with no reader: one record, expedited, no FQS, no
 *    reader waited for; GP numbers increase by one per GP;
 *  - FQS policy, a reader parked in a section during synchronize(): fqs=1,
 *    cause EXPEDITED, readers_waited=1, duration covers the park;
 *  - FQS policy, a callback's GP forced with qs_force() while a reader is
 *    parked: fqs=1, cause FORCE, not expedited, the reader's notifier
 *    counted; on_force ran once; the batch record counts the callbacks;
 *  - LEGACY: a parked reader is waited for without FQS (cause NONE);
 *  - NULL function pointers are skipped; uninstalling stops the calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "check.h"

#define MAX_RECS 64

/* The observer's log; the calls come from the worker and from
 * synchronize() callers, hence the mutex. */
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static qs_gp_record gps[MAX_RECS];
static int ngps;
static qs_batch_record batches[MAX_RECS];
static int nbatches;
static int nforces;
static int tag; /* the opaque pointer's target */

static void on_gp_end(const qs_gp_record *rec, void *opaque)
{
    CHECK(opaque == &tag);
    pthread_mutex_lock(&log_mutex);
    CHECK(ngps < MAX_RECS);
    gps[ngps++] = *rec;
    pthread_mutex_unlock(&log_mutex);
}

static void on_batch(const qs_batch_record *rec, void *opaque)
{
    CHECK(opaque == &tag);
    pthread_mutex_lock(&log_mutex);
    CHECK(nbatches < MAX_RECS);
    batches[nbatches++] = *rec;
    pthread_mutex_unlock(&log_mutex);
}

static void on_force(void *opaque)
{
    CHECK(opaque == &tag);
    pthread_mutex_lock(&log_mutex);
    nforces++;
    pthread_mutex_unlock(&log_mutex);
}

static void log_reset(void)
{
    pthread_mutex_lock(&log_mutex);
    ngps = nbatches = nforces = 0;
    pthread_mutex_unlock(&log_mutex);
}

static int log_gps(void)
{
    pthread_mutex_lock(&log_mutex);
    int n = ngps;
    pthread_mutex_unlock(&log_mutex);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A reader that enters a section, says so, and leaves when told. */
typedef struct parked {
    qs_domain *dom;
    atomic_int inside;
    atomic_int release;
    atomic_int notified;
    pthread_t thread;
} parked;

static void parked_notify(qs_reader *r, void *opaque)
{
    (void)r;
    atomic_fetch_add(&((parked *)opaque)->notified, 1);
}

static void *parked_main(void *arg)
{
    parked *p = arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(p->dom, &r));
    qs_notifier n = { .fn = parked_notify, .opaque = p, .next = NULL };
    CHECK_OK(qs_notifier_add(r, &n));
    qs_read_lock_fn(r);
    atomic_store(&p->inside, 1);
    while (!atomic_load(&p->release)) {
        sleep_ms(1);
    }
    qs_read_unlock_fn(r);
    CHECK_OK(qs_notifier_remove(r, &n));
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void park(parked *p, qs_domain *dom)
{
    p->dom = dom;
    atomic_store(&p->inside, 0);
    atomic_store(&p->release, 0);
    atomic_store(&p->notified, 0);
    CHECK_OK(pthread_create(&p->thread, NULL, parked_main, p));
    while (!atomic_load(&p->inside)) {
        sleep_ms(1);
    }
}

static void *release_later(void *arg)
{
    sleep_ms(30);
    atomic_store(&((parked *)arg)->release, 1);
    return NULL;
}

static const qs_observer all = { on_gp_end, on_batch, on_force, &tag };

static qs_domain *domain_new(int32_t policy, uint64_t poll_period_ns)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    cfg.params.poll_period_ns = poll_period_ns;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    return dom;
}

static void test_errors(void)
{
    CHECK_EQ(qs_set_observer(NULL, &all), -EINVAL);
    CHECK_EQ(qs_set_observer(NULL, NULL), -EINVAL);
}

static void test_sync_no_reader(void)
{
    qs_domain *dom = domain_new(QS_POLICY_FQS, 10000000u);
    log_reset();
    CHECK_OK(qs_set_observer(dom, &all));
    CHECK_OK(qs_synchronize(dom));
    CHECK_OK(qs_synchronize(dom));
    /* on_gp_end runs before the GP counts as completed: no waiting here. */
    CHECK_EQ(log_gps(), 2);
    CHECK_EQ(gps[0].number + 1, gps[1].number);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(gps[i].policy, QS_POLICY_FQS);
        CHECK_EQ(gps[i].expedited, 1);
        CHECK_EQ(gps[i].fqs, 0);
        CHECK_EQ(gps[i].cause, QS_FQS_NONE);
        CHECK_EQ(gps[i].fqs_ns, 0);
        CHECK_EQ(gps[i].readers_waited, 0);
        CHECK_EQ(gps[i].notifier_calls, 0);
        CHECK(gps[i].start_ns > 0);
    }
    CHECK(gps[1].start_ns >= gps[0].start_ns + gps[0].duration_ns);
    CHECK_EQ(nforces, 0);
    CHECK_EQ(nbatches, 0);

    /* Uninstalled: no more calls. */
    CHECK_OK(qs_set_observer(dom, NULL));
    CHECK_OK(qs_synchronize(dom));
    qs_force(dom);
    CHECK_EQ(log_gps(), 2);
    CHECK_EQ(nforces, 0);
    CHECK_OK(qs_domain_free(dom));
}

static void test_fqs_expedited_parked(void)
{
    qs_domain *dom = domain_new(QS_POLICY_FQS, 10000000u);
    log_reset();
    CHECK_OK(qs_set_observer(dom, &all));
    parked p;
    park(&p, dom);
    pthread_t rel;
    CHECK_OK(pthread_create(&rel, NULL, release_later, &p));
    CHECK_OK(qs_synchronize(dom));
    CHECK_OK(pthread_join(rel, NULL));
    CHECK_OK(pthread_join(p.thread, NULL));
    CHECK_EQ(log_gps(), 1);
    CHECK_EQ(gps[0].policy, QS_POLICY_FQS);
    CHECK_EQ(gps[0].fqs, 1);
    CHECK_EQ(gps[0].cause, QS_FQS_EXPEDITED);
    CHECK(gps[0].fqs_ns >= gps[0].start_ns);
    CHECK(gps[0].fqs_ns <= gps[0].start_ns + gps[0].duration_ns);
    CHECK_EQ(gps[0].expedited, 1);
    CHECK_EQ(gps[0].readers_waited, 1);
    CHECK_EQ(gps[0].notifier_calls, 1); /* the FQS entry kicked the reader once */
    CHECK_EQ(atomic_load(&p.notified), 1);
    CHECK(gps[0].duration_ns >= 20000000u); /* the reader stayed ~30 ms */
    CHECK_OK(qs_domain_free(dom));
}

static void cb_free(qs_head *h)
{
    free(h);
}

static void test_fqs_force_parked(void)
{
    /* A 1 s poll period: neither the poll limit nor a second poll can
     * force this GP before the test's qs_force does. */
    qs_domain *dom = domain_new(QS_POLICY_FQS, 1000000000u);
    log_reset();
    CHECK_OK(qs_set_observer(dom, &all));
    parked p;
    park(&p, dom);
    for (int i = 0; i < 3; i++) {
        qs_head *h = malloc(sizeof(*h));
        CHECK(h != NULL);
        CHECK_OK(qs_call(dom, h, cb_free));
    }
    sleep_ms(20); /* let the worker's GP start and block on the reader */
    qs_force(dom);
    /* Wait for the FQS entry's notifier, then let the reader go. */
    for (int i = 0; i < 5000 && atomic_load(&p.notified) == 0; i++) {
        sleep_ms(1);
    }
    CHECK_EQ(atomic_load(&p.notified), 1);
    atomic_store(&p.release, 1);
    CHECK_OK(pthread_join(p.thread, NULL));
    CHECK_OK(qs_drain(dom));
    /* qs_drain returns once its marker ran; on_batch for the marker's batch
     * comes after the batch's last callback: wait for it. */
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&log_mutex);
        uint32_t seen = 0;
        for (int j = 0; j < nbatches; j++) {
            seen += batches[j].count;
        }
        pthread_mutex_unlock(&log_mutex);
        if (seen >= 4) {
            break;
        }
        sleep_ms(1);
    }
    pthread_mutex_lock(&log_mutex);
    CHECK_EQ(nforces, 1);
    CHECK(ngps >= 1);
    /* The first GP is the worker's for the three callbacks. */
    CHECK_EQ(gps[0].fqs, 1);
    CHECK_EQ(gps[0].cause, QS_FQS_FORCE);
    CHECK(gps[0].fqs_ns > gps[0].start_ns); /* forced ~20 ms after the start */
    CHECK_EQ(gps[0].expedited, 0);
    CHECK_EQ(gps[0].readers_waited, 1);
    CHECK_EQ(gps[0].notifier_calls, 1);
    /* The callbacks ran in one or more batches (the worker's first GP
     * takes what was pending when it started, at least the first call),
     * the drain marker counted too: at least 4 callbacks in all. */
    CHECK(nbatches >= 1);
    uint32_t total = 0;
    for (int i = 0; i < nbatches; i++) {
        CHECK(batches[i].count > 0);
        total += batches[i].count;
    }
    CHECK(total >= 4);
    CHECK(batches[0].start_ns >= gps[0].start_ns + gps[0].duration_ns);
    pthread_mutex_unlock(&log_mutex);
    CHECK_OK(qs_domain_free(dom));
}

static void test_legacy_parked(void)
{
    qs_domain *dom = domain_new(QS_POLICY_LEGACY, 10000000u);
    log_reset();
    /* Only GP ends wanted. */
    qs_observer gp_only = { on_gp_end, NULL, NULL, &tag };
    CHECK_OK(qs_set_observer(dom, &gp_only));
    parked p;
    park(&p, dom);
    pthread_t rel;
    CHECK_OK(pthread_create(&rel, NULL, release_later, &p));
    CHECK_OK(qs_synchronize(dom));
    qs_force(dom); /* not wanted: not counted */
    CHECK_OK(pthread_join(rel, NULL));
    CHECK_OK(pthread_join(p.thread, NULL));
    CHECK_EQ(log_gps(), 1);
    CHECK_EQ(gps[0].policy, QS_POLICY_LEGACY);
    CHECK_EQ(gps[0].fqs, 0);
    CHECK_EQ(gps[0].fqs_ns, 0);
    CHECK_EQ(gps[0].cause, QS_FQS_NONE);
    CHECK_EQ(gps[0].expedited, 1);
    CHECK_EQ(gps[0].readers_waited, 1);
    CHECK_EQ(gps[0].polls, 0);
    CHECK(gps[0].duration_ns >= 20000000u);
    CHECK_EQ(nforces, 0);
    /* Replacing keeps working (the old copy is retired, freed with the domain). */
    CHECK_OK(qs_set_observer(dom, &all));
    CHECK_OK(qs_set_observer(dom, &all));
    qs_force(dom);
    CHECK_EQ(nforces, 1);
    CHECK_OK(qs_domain_free(dom));
}

int main(void)
{
    test_errors();
    test_sync_no_reader();
    test_fqs_expedited_parked();
    test_fqs_force_parked();
    test_legacy_parked();
    return 0;
}
