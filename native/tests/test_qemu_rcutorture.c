/*
 * qemu_rcutorture: the pipeline-age check of rcutorture (as in QEMU's
 * tests/unit/rcutorture.c), written against <quiesce/qemu_compat.h>.
 *
 * One pointer, `current`, names one of PIPE_LEN stages. Readers, inside
 * rcu_read_lock() (with a nested section in the middle), load it with
 * qatomic_rcu_read, check that the stage's `ready` flag is set (the
 * updater clears it, then sets it before publishing: a reader seeing it
 * clear saw a stage before its publication finished), and record the
 * stage's age. The updater publishes the next stage with age 0 and
 * qatomic_rcu_set, ages every other stage by one, and calls
 * synchronize_rcu(); extra threads call synchronize_rcu() concurrently.
 * A stage a reader holds was current when its section loaded it, so at
 * most one aging step can happen before the grace period that waits for
 * the reader: no reader may see an age of 2 or more.
 *
 * Phase 2 does the same with call_rcu instead of synchronize_rcu: each
 * replaced stage is a fresh heap object aged to 1 at once and to 2 by its
 * call_rcu callback, which then frees it. A reader seeing age 2 held an
 * object whose grace period ended under it (and ASan would see the free).
 * Every object queued is reclaimed by the end (drain_call_rcu).
 *
 * Duration: 0.5 s per phase; QS_LONG=1: 10 s; QS_QEMU_TORTURE_SECONDS=N.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/qemu_compat.h>

#include "check.h"

#define PIPE_LEN 10
#define READERS 3
#define FAKE_UPDATERS 2

struct stage {
    struct rcu_head rcu; /* first: call_rcu passes the stage itself */
    atomic_int age;      /* update steps since it stopped being current */
    atomic_int ready;    /* 1 once fully published */
};

static struct stage stages[PIPE_LEN];
static struct stage *current;
static atomic_int stop;
static atomic_int running;
static atomic_llong ages[PIPE_LEN + 1]; /* readers' histogram of ages */
static atomic_llong not_ready;
static atomic_llong n_reads;
static atomic_llong n_updates;
static atomic_llong n_queued, n_reclaimed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *reader(void *arg)
{
    (void)arg;
    long long local[PIPE_LEN + 1] = { 0 };
    long long reads = 0, bad = 0;
    volatile int spin = 0;
    rcu_register_thread();
    atomic_fetch_add(&running, 1);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        rcu_read_lock();
        struct stage *p = qatomic_rcu_read(&current);
        if (!atomic_load_explicit(&p->ready, memory_order_relaxed)) {
            bad++;
        }
        rcu_read_lock();
        for (int i = 0; i < 100; i++) {
            spin = spin + 1;
        }
        rcu_read_unlock();
        int age = atomic_load_explicit(&p->age, memory_order_relaxed);
        rcu_read_unlock();
        if (age < 0 || age > PIPE_LEN) {
            age = PIPE_LEN;
        }
        local[age]++;
        reads++;
    }
    for (int i = 0; i <= PIPE_LEN; i++) {
        atomic_fetch_add(&ages[i], local[i]);
    }
    atomic_fetch_add(&n_reads, reads);
    atomic_fetch_add(&not_ready, bad);
    rcu_unregister_thread();
    return NULL;
}

static void *fake_updater(void *arg)
{
    (void)arg;
    rcu_register_thread();
    atomic_fetch_add(&running, 1);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        synchronize_rcu();
        usleep(1000);
    }
    rcu_unregister_thread();
    return NULL;
}

/* Phase 1: the static pipeline, synchronize_rcu. */
static void *sync_updater(void *arg)
{
    double end = now_s() + *(double *)arg;
    int idx = 0;
    while (now_s() < end) {
        idx = (idx + 1) % PIPE_LEN;
        struct stage *p = &stages[idx];
        CHECK(p != current); /* a stage is reused only PIPE_LEN steps later */
        atomic_store_explicit(&p->ready, 0, memory_order_relaxed);
        atomic_store_explicit(&p->age, 0, memory_order_relaxed);
        atomic_store_explicit(&p->ready, 1, memory_order_relaxed);
        /* Release: a reader that loads p also sees ready == 1, age == 0. */
        qatomic_rcu_set(&current, p);
        for (int i = 0; i < PIPE_LEN; i++) {
            if (i != idx) {
                atomic_fetch_add_explicit(&stages[i].age, 1, memory_order_relaxed);
            }
        }
        synchronize_rcu();
        atomic_fetch_add(&n_updates, 1);
    }
    atomic_store(&stop, 1);
    return NULL;
}

/* Phase 2: fresh objects, call_rcu. */
static void stage_reclaim(struct stage *s)
{
    atomic_store_explicit(&s->age, 2, memory_order_relaxed);
    free(s);
    atomic_fetch_add(&n_reclaimed, 1);
}

static void *call_updater(void *arg)
{
    double end = now_s() + *(double *)arg;
    while (now_s() < end) {
        struct stage *n = calloc(1, sizeof(*n));
        CHECK(n != NULL);
        atomic_store_explicit(&n->ready, 1, memory_order_relaxed);
        struct stage *old = current;
        qatomic_rcu_set(&current, n); /* release: pairs with the readers' load */
        atomic_store_explicit(&old->age, 1, memory_order_relaxed);
        if (old < &stages[0] || old >= &stages[PIPE_LEN]) {
            atomic_fetch_add(&n_queued, 1);
            call_rcu(old, stage_reclaim, rcu);
        }
        atomic_fetch_add(&n_updates, 1);
        while (atomic_load(&n_queued) - atomic_load(&n_reclaimed) > 20000) {
            usleep(100); /* bound the backlog */
        }
    }
    atomic_store(&stop, 1);
    return NULL;
}

static void run_phase(const char *name, void *(*updater)(void *), double seconds)
{
    atomic_store(&stop, 0);
    atomic_store(&running, 0);
    atomic_store(&n_reads, 0);
    atomic_store(&n_updates, 0);
    atomic_store(&not_ready, 0);
    for (int i = 0; i <= PIPE_LEN; i++) {
        atomic_store(&ages[i], 0);
    }
    pthread_t rd[READERS], fk[FAKE_UPDATERS], up;
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(pthread_create(&rd[i], NULL, reader, NULL));
    }
    for (int i = 0; i < FAKE_UPDATERS; i++) {
        CHECK_OK(pthread_create(&fk[i], NULL, fake_updater, NULL));
    }
    while (atomic_load(&running) < READERS + FAKE_UPDATERS) {
        sched_yield();
    }
    CHECK_OK(pthread_create(&up, NULL, updater, &seconds));
    pthread_join(up, NULL);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i], NULL);
    }
    for (int i = 0; i < FAKE_UPDATERS; i++) {
        pthread_join(fk[i], NULL);
    }
    printf("qemu_rcutorture %s: %lld reads, %lld updates, %lld not ready; ages:", name,
           (long long)atomic_load(&n_reads), (long long)atomic_load(&n_updates),
           (long long)atomic_load(&not_ready));
    for (int i = 0; i <= PIPE_LEN; i++) {
        printf(" %lld", (long long)atomic_load(&ages[i]));
    }
    printf("\n");
    CHECK_EQ(atomic_load(&not_ready), 0);
    CHECK(atomic_load(&n_updates) > 0);
    CHECK(atomic_load(&ages[0]) > 0);
    for (int i = 2; i <= PIPE_LEN; i++) {
        CHECK_EQ(atomic_load(&ages[i]), 0);
    }
}

int main(void)
{
    double seconds = qs_test_long() ? 10.0 : 0.5;
    const char *env = getenv("QS_QEMU_TORTURE_SECONDS");
    if (env != NULL) {
        seconds = atof(env);
    }

    atomic_store(&stages[0].ready, 1);
    qatomic_rcu_set(&current, &stages[0]);
    run_phase("synchronize_rcu", sync_updater, seconds);

    run_phase("call_rcu", call_updater, seconds);
    struct stage *last = current;
    qatomic_rcu_set(&current, &stages[0]);
    if (last < &stages[0] || last >= &stages[PIPE_LEN]) {
        atomic_fetch_add(&n_queued, 1);
        call_rcu(last, stage_reclaim, rcu);
    }
    drain_call_rcu();
    printf("qemu_rcutorture: %lld queued, %lld reclaimed\n",
           (long long)atomic_load(&n_queued), (long long)atomic_load(&n_reclaimed));
    CHECK(atomic_load(&n_queued) > 0);
    CHECK_EQ(atomic_load(&n_queued), atomic_load(&n_reclaimed));
    return 0;
}
