/*
 * qemu_compat: code written with QEMU's names compiles against
 * <quiesce/qemu_compat.h> and behaves: register/unregister, nested
 * rcu_read_lock, both scope guards (the section ends with the scope, also
 * on early exit, break and continue), get_ptr_rcu_reader and struct
 * rcu_reader_data, qatomic_rcu_read/set, call_rcu with a type-checked
 * callback, call_rcu1, g_free_rcu (through g_free when asked to),
 * drain_call_rcu ordering, synchronize_rcu, a force_rcu notifier that
 * kicks a busy reader, force_rcu, automatic registration (and
 * unregistration at exit) of a thread that never called
 * rcu_register_thread, and rcu_disable_atfork/rcu_enable_atfork: a fork
 * during a grace period waits for it only while atfork handling is on.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* g_free_rcu must call g_free when told to (glib would be detected by
 * its header guard; this test has no glib, so it provides g_free). */
#define QS_COMPAT_G_FREE_RCU_USES_G_FREE 1
void g_free(void *mem);

#include <quiesce/qemu_compat.h>

#include "check.h"

typedef struct Conf {
    struct rcu_head rcu; /* first, as call_rcu requires */
    int value;
} Conf;

static Conf *conf;
static atomic_int freed;
static atomic_int freed1;

static void conf_free(Conf *c)
{
    atomic_fetch_add(&freed, 1);
    free(c);
}

static void conf_free1(struct rcu_head *h)
{
    atomic_fetch_add(&freed1, 1);
    free(QS_CONTAINER_OF(h, Conf, rcu));
}

static atomic_int g_freed;

void g_free(void *mem)
{
    atomic_fetch_add(&g_freed, 1);
    free(mem);
}

/* QEMU tests keep the reader record's address. */
static struct rcu_reader_data *self_rec;

/* The nesting level of this thread's section: ctr != 0 is "inside", and
 * depth counts the levels nested inside the outermost one (read.h). */
static int depth_of_self(void)
{
    const struct rcu_reader_data *r = get_ptr_rcu_reader();
    CHECK(r == self_rec);
    if (atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed) == 0) {
        return 0;
    }
    return (int)r->depth + 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int guarded_early_return(int x)
{
    RCU_READ_LOCK_GUARD();
    if (x > 0) {
        return depth_of_self();
    }
    return -1;
}

/* ---- a busy reader kicked by its force_rcu notifier ---- */

static atomic_int kick;
static atomic_int inside;
static atomic_int notified;

static void on_force(Notifier *n, void *data)
{
    (void)n;
    CHECK(data == NULL);
    atomic_fetch_add(&notified, 1);
    atomic_store(&kick, 1);
}

static void *busy_reader(void *arg)
{
    (void)arg;
    rcu_register_thread();
    Notifier n = { .notify = on_force };
    rcu_add_force_rcu_notifier(&n);
    rcu_read_lock();
    atomic_store(&inside, 1);
    while (!atomic_load(&kick)) {
        sched_yield();
    }
    rcu_read_unlock();
    rcu_remove_force_rcu_notifier(&n);
    rcu_unregister_thread();
    return NULL;
}

/* ---- atfork: a reader holding a GP open while the main thread forks ---- */

#define HOLD_S 1.0

static atomic_int holding;
static atomic_int synced;

static void *holding_reader(void *arg)
{
    (void)arg;
    rcu_read_lock();
    CHECK(get_ptr_rcu_reader()->ctr != 0);
    atomic_store(&holding, 1);
    double t0 = now_s();
    while (now_s() - t0 < HOLD_S) {
        usleep(1000);
    }
    rcu_read_unlock();
    atomic_store(&holding, 0);
    return NULL;
}

static void *syncer(void *arg)
{
    (void)arg;
    synchronize_rcu();
    atomic_store(&synced, 1);
    return NULL;
}

/* Forks while a GP waits for a reader that holds its section HOLD_S;
 * returns how long fork() took in the parent. */
static double fork_during_gp(void)
{
    pthread_t rd, sy;
    atomic_store(&synced, 0);
    CHECK_OK(pthread_create(&rd, NULL, holding_reader, NULL));
    while (!atomic_load(&holding)) {
        usleep(1000);
    }
    CHECK_OK(pthread_create(&sy, NULL, syncer, NULL));
    usleep(100 * 1000); /* the syncer is inside its GP by now */
    CHECK(!atomic_load(&synced));
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0); /* touches nothing: the exempt domain is unrepaired */
    }
    double took = now_s() - t0;
    CHECK(pid > 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pthread_join(sy, NULL);
    pthread_join(rd, NULL);
    CHECK(atomic_load(&synced));
    return took;
}

/* ---- a thread that never registers explicitly ---- */

static void *lazy_reader(void *arg)
{
    (void)arg;
    CHECK(qs_compat_reader == NULL);
    WITH_RCU_READ_LOCK_GUARD() {
        Conf *c = qatomic_rcu_read(&conf);
        CHECK(c != NULL && c->value >= 1);
    }
    CHECK(qs_compat_reader != NULL);
    /* Exits registered: the thread-exit destructor unregisters it. */
    return NULL;
}

int main(void)
{
    qs_domain *dom = qs_domain_default();
    CHECK(dom != NULL);
    CHECK(qs_domain_default() == dom);
    CHECK_EQ(qs_domain_free(dom), -EBUSY);

    rcu_register_thread();
    rcu_register_thread(); /* idempotent */
    CHECK(qs_compat_reader != NULL);
    CHECK(qs_reader_self(dom) == qs_compat_reader);
    self_rec = get_ptr_rcu_reader();
    CHECK(self_rec == qs_compat_reader);
    CHECK_EQ(self_rec->ctr, 0);
    CHECK_EQ(self_rec->waiting, 0);

    Conf *c0 = calloc(1, sizeof(*c0));
    c0->value = 1;
    qatomic_rcu_set(&conf, c0);

    rcu_read_lock();
    rcu_read_lock();
    CHECK_EQ(depth_of_self(), 2);
    CHECK_EQ(qatomic_rcu_read(&conf)->value, 1);
    rcu_read_unlock();
    rcu_read_unlock();
    CHECK_EQ(depth_of_self(), 0);

    CHECK_EQ(guarded_early_return(1), 1);
    CHECK_EQ(depth_of_self(), 0);
    WITH_RCU_READ_LOCK_GUARD() {
        CHECK_EQ(depth_of_self(), 1);
        WITH_RCU_READ_LOCK_GUARD() {
            CHECK_EQ(depth_of_self(), 2);
        }
        CHECK_EQ(depth_of_self(), 1);
    }
    CHECK_EQ(depth_of_self(), 0);
    /* break and continue leave WITH_RCU_READ_LOCK_GUARD, unlocking. */
    for (int i = 0; i < 3; i++) {
        WITH_RCU_READ_LOCK_GUARD() {
            CHECK_EQ(depth_of_self(), 1);
            if (i == 0) {
                continue;
            }
            break;
        }
        CHECK_EQ(depth_of_self(), 0);
    }
    CHECK_EQ(depth_of_self(), 0);

    /* g_free_rcu: through g_free here (see the top). */
    for (int i = 0; i < 5; i++) {
        Conf *g = calloc(1, sizeof(*g));
        g_free_rcu(g, rcu);
    }
    drain_call_rcu();
    CHECK_EQ(atomic_load(&g_freed), 5);

    /* Replace and reclaim with both call flavours and synchronize. */
    for (int i = 2; i <= 50; i++) {
        Conf *n = calloc(1, sizeof(*n));
        n->value = i;
        Conf *old = qs_rcu_exchange(&conf, n);
        if (i % 3 == 0) {
            call_rcu(old, conf_free, rcu);
        } else if (i % 3 == 1) {
            call_rcu1(&old->rcu, conf_free1);
        } else {
            synchronize_rcu();
            free(old);
        }
    }
    drain_call_rcu();
    /* i = 2..50: 16 multiples of 3 (call_rcu), 16 with i % 3 == 1. */
    CHECK_EQ(atomic_load(&freed), 16);
    CHECK_EQ(atomic_load(&freed1), 16);

    /* Automatic registration and exit-time unregistration. */
    qs_stats before;
    qs_stats_get(dom, &before);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, lazy_reader, NULL));
    pthread_join(t, NULL);

    /* force_rcu notifiers: a busy reader is kicked by a GP that enters
     * FQS (synchronize_rcu is expedited). */
    CHECK_OK(pthread_create(&t, NULL, busy_reader, NULL));
    while (!atomic_load(&inside)) {
        sched_yield();
    }
    force_rcu();
    synchronize_rcu();
    pthread_join(t, NULL);
    CHECK(atomic_load(&notified) >= 1);

    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK(st.forces >= 1);
    CHECK(st.drains >= 1);
    CHECK(st.notifier_calls >= 1);

    /* rcu_disable_atfork: the fork does not wait for the GP in progress;
     * enabled again (QEMU's count back at 1), it does. Not under
     * sanitizers unless asked to (fork children, see check.h). */
    int fork_test = 1;
#ifdef QS_TEST_SANITIZED
    fork_test = getenv("QS_TEST_FORK") != NULL;
#endif
    if (fork_test) {
        rcu_disable_atfork();
        rcu_disable_atfork();
        rcu_enable_atfork(); /* still below 1 */
        double exempt = fork_during_gp();
        rcu_enable_atfork();
        double waited = fork_during_gp();
        printf("qemu_compat: fork during a GP took %.3f s with atfork disabled, "
               "%.3f s enabled\n", exempt, waited);
        CHECK(exempt < HOLD_S * 0.6);
        CHECK(waited > HOLD_S * 0.5);
    }

    rcu_unregister_thread();
    CHECK(qs_compat_reader == NULL);
    CHECK(qs_reader_self(dom) == NULL);
    /* Every thread is gone or unregistered: GPs have no one to wait for. */
    synchronize_rcu();
    Conf *last = qs_rcu_exchange(&conf, NULL);
    call_rcu(last, conf_free, rcu);
    drain_call_rcu();
    CHECK_EQ(atomic_load(&freed), 17);
    printf("qemu_compat: OK (%llu GPs, %llu FQS)\n", (unsigned long long)st.gps,
           (unsigned long long)st.gps_fqs);
    return 0;
}
