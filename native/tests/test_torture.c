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
 *   - a slow reader: sections that nanosleep (20-400 us) or busy-loop
 *     (~200 us, deaf to kicks) inside; its force notifier blocks ~100 us;
 *   - a churn reader: registers, reads a little, unregisters, repeatedly;
 *   - a thread churner: creates short-lived threads that register, read
 *     (one of their sections sleeps), unregister and exit, one after the
 *     other (a thread is joined before the next one starts);
 *   - a sync updater: replace, qs_synchronize, age, poison, quarantine;
 *   - a call updater: replace, qs_call (the callback ages, poisons and
 *     quarantines; every 256th callback first sleeps 1 ms), with an
 *     occasional qs_force and qs_drain;
 *   - a storm thread: every ~40 ms, 10 ms of qs_force and qs_drain in a
 *     tight loop;
 *   - the main thread forks every ~250 ms (at least once per
 *     configuration; every other fork aims at a drain in progress;
 *     not under sanitizers, see fork_enabled). The child registers a
 *     reader, reads and checks the published object, replaces it and
 *     synchronizes, queues callbacks and drains, checks that every
 *     callback the parent had counted as queued before the fork has run
 *     (in the parent or in the child), frees its reader and the domain,
 *     and _exits with a status the parent checks.
 *
 * Violations (each must be zero): a reader sees a poisoned object, an
 * inconsistent payload, or an object whose age reached 2 while the reader
 * still held it (a GP ended under it). Every queued callback must run
 * exactly once; every child must exit 0.
 *
 * Duration per configuration (4 of them): 1 s by default; QS_LONG=1:
 * 60 s; QS_TORTURE_SECONDS=N: N seconds (fractions allowed; overrides
 * QS_LONG). Runs of 20 s or more print a progress line every 10 s.
 * QS_TORTURE_NO_FORK=1 leaves the forks out (under ASan or TSan they are
 * out unless QS_TORTURE_FORK=1, see fork_enabled);
 * every other fork aims at a drain in progress (see drains_in_progress).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

/* Under valgrind, a fork child turns its exit-time leak check off (see
 * child_main); a no-op when not running under valgrind. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define QS_HAVE_VALGRIND_H 1
#endif
#endif

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
static atomic_long slept_sections;
static atomic_long busy_sections;
static atomic_long slow_kicks;
static atomic_long threads_churned;
static atomic_long slow_callbacks;
static atomic_long storm_drains;
static atomic_long storm_forces;
static long forks;
static quarantine q_sync;   /* sync updater only */
static quarantine q_worker; /* callbacks (worker thread) only */
/* In a fork child: the parent's threads are gone, and one of them may
 * have been half-way through reclaim() on q_worker or q_sync. The child's
 * callbacks and its main thread park objects in their own rings instead. */
static int in_child;
static quarantine q_child_main;
static quarantine q_child_worker;
static atomic_long child_ran;

/*
 * Forks during drains. This test found a runtime bug: a fork while another
 * thread was inside qs_drain left that thread's drain marker (a qs_head on
 * its stack) in the child's queue; glibc recycles the vanished thread's
 * stack for the child's next thread (typically its new worker), which then
 * popped the marker and called through whatever its own frames had written
 * there. qs_domain_fork_child now unlinks such markers. To keep that
 * covered, every other fork waits (up to 20 ms) for a drain to be in
 * progress (drains go through torture_drain, which counts them), and the
 * run counts the forks that did happen during a drain.
 */
static atomic_int drains_in_progress;
static long forks_in_drain;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) != 0) {
    }
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

/* A notifier that blocks briefly: it runs on the writer's thread, which
 * it holds up for ~100 us each time a GP this reader blocks is forced. */
static void slow_reader_kicked(qs_reader *r, void *opaque)
{
    (void)r;
    (void)opaque;
    sleep_ns(100000);
    atomic_fetch_add_explicit(&slow_kicks, 1, memory_order_relaxed);
}

static void *slow_reader_main(void *arg)
{
    (void)arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_notifier n = { .fn = slow_reader_kicked, .opaque = NULL };
    CHECK_OK(qs_notifier_add(r, &n));
    for (unsigned long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        qs_read_lock(r);
        obj *o = qs_rcu_read(&current);
        check_obj(o);
        if (i % 16 == 0) {
            /* Sleeps inside the section: no notifier can cut this short. */
            sleep_ns(20000 + (i / 16 % 20) * 20000);
            atomic_fetch_add_explicit(&slept_sections, 1, memory_order_relaxed);
        } else if (i % 16 == 8) {
            /* Busy inside the section, deaf to kicks, ~200 us. */
            uint64_t end = now_ns() + 200000;
            while (now_ns() < end) {
                check_obj(o);
            }
            atomic_fetch_add_explicit(&busy_sections, 1, memory_order_relaxed);
        }
        check_obj(o);
        qs_read_unlock(r);
        atomic_fetch_add_explicit(&sections, 1, memory_order_relaxed);
        if (i % 16 == 4) {
            sleep_ns(50000); /* and sometimes outside it */
        }
    }
    CHECK_OK(qs_notifier_remove(r, &n));
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

/* One short-lived thread: register, read (once asleep), unregister, exit. */
static void *ephemeral_main(void *arg)
{
    (void)arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    for (int i = 0; i < 20; i++) {
        qs_read_lock(r);
        obj *o = qs_rcu_read(&current);
        check_obj(o);
        if (i == 10) {
            sleep_ns(10000);
        }
        check_obj(o);
        qs_read_unlock(r);
    }
    CHECK_OK(qs_reader_free(r));
    atomic_fetch_add(&threads_churned, 1);
    return NULL;
}

static void *thread_churn_main(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        pthread_t t;
        CHECK_OK(pthread_create(&t, NULL, ephemeral_main, NULL));
        CHECK_OK(pthread_join(t, NULL));
    }
    return NULL;
}

/* qs_drain, counted in drains_in_progress for the forker to aim at. */
static int torture_drain(void)
{
    atomic_fetch_add(&drains_in_progress, 1);
    int rc = qs_drain(dom);
    atomic_fetch_sub(&drains_in_progress, 1);
    return rc;
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
    if (in_child) {
        reclaim(&q_child_worker, o);
        atomic_fetch_add(&child_ran, 1);
    } else {
        reclaim(&q_worker, o);
    }
    atomic_fetch_add(&ran, 1);
}

/* A callback that takes long: 1 ms asleep on the worker, then reclaim. */
static void obj_slow_cb(obj *o)
{
    sleep_ns(1000000);
    atomic_fetch_add(&slow_callbacks, 1);
    obj_reclaim_cb(o);
}

static void *call_updater(void *arg)
{
    (void)arg;
    for (unsigned long i = 1; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        obj *old = replace();
        if (i % 256 == 0) {
            CHECK_OK(QS_CALL(dom, old, head, obj_slow_cb));
        } else {
            CHECK_OK(QS_CALL(dom, old, head, obj_reclaim_cb));
        }
        atomic_fetch_add(&queued, 1);
        if (i % 997 == 0) {
            CHECK_OK(torture_drain());
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

/* Drain and force storms: ~10 ms of back-to-back qs_force and qs_drain
 * every ~40 ms. */
static void *storm_main(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        sleep_ns(30000000);
        uint64_t end = now_ns() + 10000000;
        for (unsigned i = 0;
             now_ns() < end && !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
            qs_force(dom);
            atomic_fetch_add_explicit(&storm_forces, 1, memory_order_relaxed);
            if (i % 2 == 0) {
                CHECK_OK(torture_drain());
                atomic_fetch_add_explicit(&storm_drains, 1, memory_order_relaxed);
            }
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- fork */

#define CHILD_CALLS 16

/* The fork child's main (the only thread of the child). Returns the exit
 * status: 0 or the number of the failed step. No CHECK here: exit() in a
 * child would run the parent's atexit handlers and stdio buffers. */
static int child_main(void)
{
    in_child = 1;
#ifdef QS_HAVE_VALGRIND_H
    /* A fork child inherits, unreferenced, whatever the parent's other
     * threads held only in registers or on their (now recycled) stacks at
     * the fork: an object between obj_new and qs_call, a reader record
     * between calloc and registration. memcheck would report those as
     * definitely lost at the child's exit, though they are fork's doing.
     * So the child skips only the leak check: invalid accesses are still
     * errors, and --error-exitcode still turns them into its exit status. */
    VALGRIND_CLO_CHANGE("--leak-check=no");
#endif
    long queued_at_fork = atomic_load(&queued);
    /* Register and read. */
    qs_reader *r;
    if (qs_reader_new(dom, &r) != 0) {
        return 10;
    }
    for (int i = 0; i < 100; i++) {
        qs_read_lock(r);
        check_obj(qs_rcu_read(&current));
        qs_read_unlock(r);
    }
    /* Replace and synchronize. */
    for (int i = 0; i < 4; i++) {
        obj *old = replace();
        if (qs_synchronize(dom) != 0) {
            return 11;
        }
        reclaim(&q_child_main, old);
    }
    /* Call and drain: the child's own callbacks and the parent's that
     * were still queued at the fork all run here. */
    for (int i = 0; i < CHILD_CALLS; i++) {
        obj *old = replace();
        if (QS_CALL(dom, old, head, obj_reclaim_cb) != 0) {
            return 12;
        }
        atomic_fetch_add(&queued, 1);
    }
    if (qs_drain(dom) != 0) {
        return 13;
    }
    if (atomic_load(&child_ran) < CHILD_CALLS) {
        return 14;
    }
    /* Nothing the parent had queued (and counted) before the fork is lost
     * to the child except, at most, the one callback the parent's worker
     * was invoking at that moment (domain.c, qs_domain_fork_child). */
    if (atomic_load(&ran) + 1 < queued_at_fork + CHILD_CALLS) {
        return 15;
    }
    qs_read_lock(r);
    check_obj(qs_rcu_read(&current));
    qs_read_unlock(r);
    if (qs_reader_free(r) != 0) {
        return 16;
    }
    /* The other threads' readers were dropped at the fork: the domain can
     * be freed here (it runs what is left and stops the child's worker). */
    obj *last = qs_rcu_exchange(&current, NULL);
    if (qs_domain_free(dom) != 0) {
        return 17;
    }
    free(last);
    quarantine_flush(&q_child_main);
    quarantine_flush(&q_child_worker);
    if (atomic_load(&violations) != 0) {
        return 18;
    }
    return 0;
}

static void fork_once(void)
{
    if (forks % 2 == 1) {
        /* Aim at a drain in progress (see drains_in_progress). */
        uint64_t until = now_ns() + 20000000u;
        while (atomic_load(&drains_in_progress) == 0 && now_ns() < until) {
            sched_yield();
        }
    }
    int in_drain = atomic_load(&drains_in_progress) > 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        _exit(child_main());
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fork child failed: wait status 0x%x (exit %d)\n", status,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    forks++;
    forks_in_drain += in_drain;
}

/* ---------------------------------------------------------------- run */

static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/*
 * The sanitizer runtimes of clang 14 (and gcc 12) do not hold all their
 * allocator locks across fork(): a child forked while another thread was
 * inside the sanitizer's allocator deadlocks at its first allocation. Seen
 * here under ASan (the child's new worker thread in AsanThread::Init ->
 * calloc, waiting on an allocator region lock; 1 hang in ~15 runs) and
 * under TSan (the child's pthread_create -> realloc in
 * DenseSlabAlloc::Refill, spinning on a slab lock; 1 hang in ~500 forks).
 * So under a sanitizer the torture does not fork unless QS_TORTURE_FORK=1;
 * fork children are checked for memory errors by the valgrind run
 * (torture_valgrind) and for the rest by the plain run.
 */
static int fork_enabled(void)
{
    if (env_flag("QS_TORTURE_NO_FORK")) {
        return 0;
    }
#ifdef QS_TEST_SANITIZED
    return env_flag("QS_TORTURE_FORK");
#else
    return 1;
#endif
}

static void print_progress(const char *label, double elapsed)
{
    printf("  %s %6.0f s: %ld sections, %ld syncs, %ld/%ld callbacks, "
           "%ld threads, %ld forks (%ld during a drain), violations %ld\n",
           label, elapsed, atomic_load(&sections), atomic_load(&synced),
           atomic_load(&ran), atomic_load(&queued), atomic_load(&threads_churned),
           forks, forks_in_drain, atomic_load(&violations));
}

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
    const char *label = policy == QS_POLICY_FQS
        ? (qs_domain_fence_mode(dom) == QS_FENCE_MEMBARRIER ? "FQS/membarrier" : "FQS/full-fence")
        : (qs_domain_fence_mode(dom) == QS_FENCE_MEMBARRIER ? "LEGACY/membarrier"
                                                            : "LEGACY/full-fence");
    atomic_long *counters[] = { &violations, &sections, &long_sections, &kicks,
                                &queued, &ran, &synced, &slept_sections,
                                &busy_sections, &slow_kicks, &threads_churned,
                                &slow_callbacks, &storm_drains, &storm_forces };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        atomic_store(counters[i], 0);
    }
    atomic_store(&stop, 0);
    forks = 0;
    forks_in_drain = 0;
    qs_rcu_init(&current, obj_new());

    pthread_t readers[READERS], slow, churn, tchurn, su, cu, storm;
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(pthread_create(&readers[i], NULL, reader_main, NULL));
    }
    CHECK_OK(pthread_create(&slow, NULL, slow_reader_main, NULL));
    CHECK_OK(pthread_create(&churn, NULL, churn_main, NULL));
    CHECK_OK(pthread_create(&tchurn, NULL, thread_churn_main, NULL));
    CHECK_OK(pthread_create(&su, NULL, sync_updater, NULL));
    CHECK_OK(pthread_create(&cu, NULL, call_updater, NULL));
    CHECK_OK(pthread_create(&storm, NULL, storm_main, NULL));

    /* The main thread (no reader: it must not fork inside a section)
     * forks every fork_every ns, and prints progress on long runs. */
    uint64_t start = now_ns();
    uint64_t total = (uint64_t)(seconds * 1e9);
    uint64_t fork_every = total / 3 < 250000000u ? total / 3 : 250000000u;
    uint64_t next_fork = start + fork_every;
    uint64_t next_progress = start + 10000000000u;
    int do_fork = fork_enabled() && fork_every > 0;
    for (;;) {
        uint64_t now = now_ns();
        if (now - start >= total) {
            if (do_fork && forks == 0) {
                fork_once(); /* a slow machine (valgrind) still forks once */
            }
            break;
        }
        if (do_fork && now >= next_fork) {
            fork_once();
            next_fork += fork_every;
            continue;
        }
        if (seconds >= 20 && now >= next_progress) {
            print_progress(label, (double)(now - start) / 1e9);
            next_progress += 10000000000u;
        }
        uint64_t wake = start + total;
        if (do_fork && next_fork < wake) {
            wake = next_fork;
        }
        if (seconds >= 20 && next_progress < wake) {
            wake = next_progress;
        }
        sleep_ns(wake > now ? wake - now : 0);
    }
    atomic_store(&stop, 1);
    pthread_join(storm, NULL);
    pthread_join(cu, NULL);
    pthread_join(su, NULL);
    pthread_join(tchurn, NULL);
    pthread_join(churn, NULL);
    pthread_join(slow, NULL);
    for (int i = 0; i < READERS; i++) {
        pthread_join(readers[i], NULL);
    }

    CHECK_OK(qs_drain(dom));
    qs_stats st;
    qs_stats_get(dom, &st);
    obj *last = qs_rcu_exchange(&current, NULL);
    CHECK_OK(qs_domain_free(dom));
    free(last);
    quarantine_flush(&q_sync);
    quarantine_flush(&q_worker);

    printf("torture %-17s: %ld sections (%ld long, %ld kicks; slow reader: %ld asleep, "
           "%ld busy, %ld blocking kicks), %ld threads churned, %ld syncs, "
           "%ld/%ld callbacks (%ld slow), storms: %ld drains %ld forces, %ld forks (%ld in a drain), "
           "%llu GPs (%llu FQS), %llu slow unlocks, GP p99 %llu us, violations %ld\n",
           label, atomic_load(&sections), atomic_load(&long_sections), atomic_load(&kicks),
           atomic_load(&slept_sections), atomic_load(&busy_sections),
           atomic_load(&slow_kicks), atomic_load(&threads_churned), atomic_load(&synced),
           atomic_load(&ran), atomic_load(&queued), atomic_load(&slow_callbacks),
           atomic_load(&storm_drains), atomic_load(&storm_forces), forks, forks_in_drain,
           (unsigned long long)st.gps, (unsigned long long)st.gps_fqs,
           (unsigned long long)st.slow_unlocks,
           (unsigned long long)(qs_stats_gp_percentile_ns(&st, 99) / 1000),
           atomic_load(&violations));
    CHECK_EQ(atomic_load(&violations), 0);
    CHECK_EQ(atomic_load(&ran), atomic_load(&queued));
    CHECK(atomic_load(&queued) > 0);
    CHECK(atomic_load(&synced) > 0);
    CHECK(atomic_load(&sections) > 0);
    CHECK(atomic_load(&threads_churned) > 0);
    CHECK(atomic_load(&slept_sections) > 0);
    CHECK_EQ(st.callbacks_run, st.callbacks_queued);
    if (do_fork) {
        CHECK(forks > 0);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double seconds = qs_test_long() ? 60.0 : 1.0;
    const char *env = getenv("QS_TORTURE_SECONDS");
    if (env != NULL && env[0] != '\0') {
        seconds = atof(env);
    }
    CHECK(seconds > 0);
    printf("torture: %.3g s per configuration%s\n", seconds,
           fork_enabled() ? "" : " (no fork: QS_TORTURE_NO_FORK, or a sanitizer without QS_TORTURE_FORK)");
    run(QS_POLICY_FQS, 1, seconds);
    run(QS_POLICY_FQS, 0, seconds);
    run(QS_POLICY_LEGACY, 1, seconds);
    run(QS_POLICY_LEGACY, 0, seconds);
    return 0;
}
