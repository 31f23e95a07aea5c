/*
 * qs-bench: libquiesce against liburcu (urcu-memb flavour) on this machine,
 * all figures from one run. Not a test: ctest does not run it.
 *
 *   qs-bench [--quick] [--json]
 *
 * Measures
 *   read side   ns per lock+unlock pair, 1 and 2 threads (pinned to
 *               CPUs 0 and 1): quiesce inline (read.h), quiesce exported
 *               functions (qs_read_lock_fn / qs_read_unlock_fn, what FFM
 *               pays without its own fast path), urcu-memb inline;
 *   synchronize latency p50 / p99, writer on CPU 0, one reader on CPU 1
 *               that is idle / doing short sections / holding 1 ms
 *               sections: quiesce FQS (expedited), quiesce LEGACY,
 *               urcu-memb;
 *   call        throughput (queue N callbacks, wait until all ran) and
 *               call-to-callback latency p50 / p99 with an idle reader:
 *               quiesce FQS / LEGACY (QEMU's 10 ms / 5 / 30 defaults) and
 *               urcu_memb_call_rcu.
 * Every figure is the median over several repetitions. Then the target
 * ratios, each with PASS or MISS.
 *
 * Built with liburcu-memb when CMake finds it (QS_BENCH_HAVE_URCU); else
 * the comparison columns and ratios are reported as unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#ifdef QS_BENCH_HAVE_URCU
#define _LGPL_SOURCE /* inline read side, like quiesce's read.h */
#include <urcu/urcu-memb.h>
#endif

/* ---------------------------------------------------------- utilities */

static int quick;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(unsigned us)
{
    struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static int ncpus;

static void pin_self(int cpu)
{
    if (ncpus < 2) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % ncpus, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static void unpin_self(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < ncpus; i++) {
        CPU_SET(i, &set);
    }
    sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile of sorted samples. */
static double pct_of(uint64_t *v, size_t n, double p)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof(*v), cmp_u64);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)v[i];
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define NA (-1.0) /* not measured */

/* ------------------------------------------------------ implementations */

enum impl { IMPL_QS_INLINE, IMPL_QS_FN, IMPL_URCU };

/* A system under test for the writer-side benchmarks. */
typedef struct sut {
    const char *name;
    int32_t policy;  /* quiesce policy, or -1 for urcu */
    qs_domain *dom;
} sut;

static void sut_open(sut *s)
{
    if (s->policy >= 0) {
        qs_domain_config cfg;
        qs_domain_config_init(&cfg, s->policy);
        if (qs_domain_new(&cfg, &s->dom) != 0) {
            fprintf(stderr, "qs_domain_new failed\n");
            exit(1);
        }
    }
}

static void sut_close(sut *s)
{
    if (s->policy >= 0) {
        qs_drain(s->dom);
        qs_domain_free(s->dom);
        s->dom = NULL;
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_barrier();
    }
#endif
}

/* Per-thread reader handle for either implementation. */
typedef struct rd {
    sut *s;
    qs_reader *r;
} rd;

static void rd_register(rd *x, sut *s)
{
    x->s = s;
    if (s->policy >= 0) {
        if (qs_reader_new(s->dom, &x->r) != 0) {
            fprintf(stderr, "qs_reader_new failed\n");
            exit(1);
        }
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_register_thread();
    }
#endif
}

static void rd_unregister(rd *x)
{
    if (x->s->policy >= 0) {
        qs_reader_free(x->r);
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_unregister_thread();
    }
#endif
}

static inline void rd_lock(rd *x)
{
    if (x->s->policy >= 0) {
        qs_read_lock(x->r);
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_read_lock();
    }
#endif
}

static inline void rd_unlock(rd *x)
{
    if (x->s->policy >= 0) {
        qs_read_unlock(x->r);
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_read_unlock();
    }
#endif
}

static void sut_sync(sut *s)
{
    if (s->policy >= 0) {
        qs_synchronize(s->dom);
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_synchronize_rcu();
    }
#endif
}

/* --------------------------------------------------------- read side */

typedef struct read_arg {
    enum impl impl;
    qs_domain *dom;
    int cpu;
    long iters;
    pthread_barrier_t *start;
    double ns_per_pair;
} read_arg;

static void *read_thread(void *p)
{
    read_arg *a = p;
    pin_self(a->cpu);
    qs_reader *r = NULL;
    if (a->impl == IMPL_URCU) {
#ifdef QS_BENCH_HAVE_URCU
        urcu_memb_register_thread();
#endif
    } else if (qs_reader_new(a->dom, &r) != 0) {
        exit(1);
    }
    pthread_barrier_wait(a->start);
    uint64_t t0 = now_ns();
    switch (a->impl) {
    case IMPL_QS_INLINE:
        for (long i = 0; i < a->iters; i++) {
            qs_read_lock(r);
            qs_read_unlock(r);
        }
        break;
    case IMPL_QS_FN:
        for (long i = 0; i < a->iters; i++) {
            qs_read_lock_fn(r);
            qs_read_unlock_fn(r);
        }
        break;
    case IMPL_URCU:
#ifdef QS_BENCH_HAVE_URCU
        for (long i = 0; i < a->iters; i++) {
            urcu_memb_read_lock();
            urcu_memb_read_unlock();
        }
#endif
        break;
    }
    uint64_t t1 = now_ns();
    a->ns_per_pair = (double)(t1 - t0) / (double)a->iters;
    if (a->impl == IMPL_URCU) {
#ifdef QS_BENCH_HAVE_URCU
        urcu_memb_unregister_thread();
#endif
    } else {
        qs_reader_free(r);
    }
    return NULL;
}

/* One repetition: ns per pair (with 2 threads, the mean of the two). */
static double bench_read_once(enum impl impl, int threads)
{
#ifndef QS_BENCH_HAVE_URCU
    if (impl == IMPL_URCU) {
        return NA;
    }
#endif
    qs_domain *dom = NULL;
    if (impl != IMPL_URCU) {
        qs_domain_new(NULL, &dom);
    }
    long iters = quick ? 5000000 : 20000000;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    pthread_t t[2];
    read_arg a[2];
    for (int i = 0; i < threads; i++) {
        a[i] = (read_arg){ impl, dom, i, iters, &start, 0 };
        pthread_create(&t[i], NULL, read_thread, &a[i]);
    }
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        sum += a[i].ns_per_pair;
    }
    pthread_barrier_destroy(&start);
    if (dom != NULL) {
        qs_domain_free(dom);
    }
    return sum / threads;
}

/* ------------------------------------------------- synchronize latency */

enum load { LOAD_IDLE, LOAD_SHORT, LOAD_1MS };

typedef struct load_arg {
    sut *s;
    enum load load;
    atomic_int stop;
    atomic_int ready;
} load_arg;

static volatile unsigned long load_sink;

static void *load_thread(void *p)
{
    load_arg *a = p;
    pin_self(1);
    rd x;
    rd_register(&x, a->s);
    atomic_store(&a->ready, 1);
    while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
        switch (a->load) {
        case LOAD_IDLE:
            sleep_us(1000);
            break;
        case LOAD_SHORT:
            rd_lock(&x);
            for (int i = 0; i < 20; i++) {
                load_sink += (unsigned long)i;
            }
            rd_unlock(&x);
            break;
        case LOAD_1MS: {
            rd_lock(&x);
            uint64_t end = now_ns() + 1000000;
            while (now_ns() < end) {
            }
            rd_unlock(&x);
            break;
        }
        }
    }
    rd_unregister(&x);
    return NULL;
}

typedef struct lat2 {
    double p50, p99;
} lat2;

/* One repetition: p50 and p99 of n synchronize calls. */
static lat2 bench_sync_once(sut *s, enum load load)
{
    lat2 out = { NA, NA };
#ifndef QS_BENCH_HAVE_URCU
    if (s->policy < 0) {
        return out;
    }
#endif
    int n = load == LOAD_1MS ? (quick ? 50 : 150) : (quick ? 500 : 2000);
    uint64_t *v = malloc(sizeof(uint64_t) * (size_t)n);
    sut_open(s);
    pin_self(0);
    rd self;
    rd_register(&self, s); /* urcu: synchronize from a registered thread */
    load_arg a = { .s = s, .load = load };
    pthread_t t;
    pthread_create(&t, NULL, load_thread, &a);
    while (!atomic_load(&a.ready)) {
        sched_yield();
    }
    sleep_us(2000);
    for (int i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        sut_sync(s);
        v[i] = now_ns() - t0;
    }
    atomic_store(&a.stop, 1);
    pthread_join(t, NULL);
    out.p50 = pct_of(v, (size_t)n, 50);
    out.p99 = pct_of(v, (size_t)n, 99);
    rd_unregister(&self);
    unpin_self();
    sut_close(s);
    free(v);
    return out;
}

/* ---------------------------------------------------------------- call */

typedef struct cb_item {
    qs_head qs;
#ifdef QS_BENCH_HAVE_URCU
    struct rcu_head urcu;
#endif
    uint64_t t_called;
} cb_item;

static atomic_long cb_done;
static uint64_t *cb_lat; /* call-to-callback latencies, by index */
static cb_item *cb_items;

static void record(cb_item *it)
{
    if (cb_lat != NULL) {
        cb_lat[it - cb_items] = now_ns() - it->t_called;
    }
    atomic_fetch_add_explicit(&cb_done, 1, memory_order_release);
}

static void qs_cb(qs_head *h)
{
    record(QS_CONTAINER_OF(h, cb_item, qs));
}

#ifdef QS_BENCH_HAVE_URCU
static void urcu_cb(struct rcu_head *h)
{
    record(caa_container_of(h, cb_item, urcu));
}
#endif

static void sut_call(sut *s, cb_item *it)
{
    it->t_called = now_ns();
    if (s->policy >= 0) {
        qs_call(s->dom, &it->qs, qs_cb);
    }
#ifdef QS_BENCH_HAVE_URCU
    else {
        urcu_memb_call_rcu(&it->urcu, urcu_cb);
    }
#endif
}

static void wait_done(long n)
{
    while (atomic_load_explicit(&cb_done, memory_order_acquire) < n) {
        sleep_us(50);
    }
}

/* One repetition: callbacks per second for a burst of n. */
static double bench_call_throughput_once(sut *s)
{
#ifndef QS_BENCH_HAVE_URCU
    if (s->policy < 0) {
        return NA;
    }
#endif
    long n = quick ? 100000 : 300000;
    cb_items = calloc((size_t)n, sizeof(cb_item));
    cb_lat = NULL;
    sut_open(s);
    load_arg idle = { .s = s, .load = LOAD_IDLE };
    pthread_t t;
    pthread_create(&t, NULL, load_thread, &idle);
    while (!atomic_load(&idle.ready)) {
        sched_yield();
    }
    rd self;
    rd_register(&self, s);
    atomic_store(&cb_done, 0);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        sut_call(s, &cb_items[i]);
    }
    wait_done(n);
    double v = (double)n / ((double)(now_ns() - t0) / 1e9);
    rd_unregister(&self);
    atomic_store(&idle.stop, 1);
    pthread_join(t, NULL);
    sut_close(s);
    free(cb_items);
    cb_items = NULL;
    return v;
}

/* One repetition: call-to-callback latency of isolated calls (one
 * outstanding at a time) with an idle reader. */
static lat2 bench_call_latency_once(sut *s)
{
    lat2 out = { NA, NA };
#ifndef QS_BENCH_HAVE_URCU
    if (s->policy < 0) {
        return out;
    }
#endif
    /* LEGACY sleeps ~50 ms per isolated call: fewer samples. */
    long n = s->policy == QS_POLICY_LEGACY ? (quick ? 5 : 15) : (quick ? 30 : 100);
    cb_items = calloc((size_t)n, sizeof(cb_item));
    cb_lat = calloc((size_t)n, sizeof(uint64_t));
    sut_open(s);
    load_arg idle = { .s = s, .load = LOAD_IDLE };
    pthread_t t;
    pthread_create(&t, NULL, load_thread, &idle);
    while (!atomic_load(&idle.ready)) {
        sched_yield();
    }
    rd self;
    rd_register(&self, s);
    atomic_store(&cb_done, 0);
    for (long i = 0; i < n; i++) {
        sut_call(s, &cb_items[i]);
        wait_done(i + 1);
        sleep_us(200);
    }
    out.p50 = pct_of(cb_lat, (size_t)n, 50);
    out.p99 = pct_of(cb_lat, (size_t)n, 99);
    rd_unregister(&self);
    atomic_store(&idle.stop, 1);
    pthread_join(t, NULL);
    sut_close(s);
    free(cb_items);
    free(cb_lat);
    cb_items = NULL;
    cb_lat = NULL;
    return out;
}

/* -------------------------------------------------------------- report */

static void fmt(char *buf, size_t len, double v, const char *unit)
{
    if (v < 0) {
        snprintf(buf, len, "n/a");
    } else if (strcmp(unit, "ns") == 0 && v >= 100000) {
        snprintf(buf, len, "%.2f ms", v / 1e6);
    } else if (strcmp(unit, "ns") == 0 && v >= 1000) {
        snprintf(buf, len, "%.1f us", v / 1e3);
    } else if (strcmp(unit, "ns") == 0) {
        snprintf(buf, len, "%.2f ns", v);
    } else {
        snprintf(buf, len, "%.3g %s", v, unit);
    }
}

typedef struct ratio {
    const char *what;
    double value;     /* quiesce / urcu */
    double limit;
    int lower_is_better;
} ratio;

static const char *verdict(const ratio *r)
{
    if (r->value < 0) {
        return "n/a";
    }
    return (r->lower_is_better ? r->value <= r->limit : r->value >= r->limit) ? "PASS"
                                                                              : "MISS";
}

static double ratio_of(double a, double b)
{
    return a < 0 || b <= 0 ? NA : a / b;
}

int main(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "usage: %s [--quick] [--json]\n", argv[0]);
            return 2;
        }
    }
    ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifndef QS_BENCH_HAVE_URCU
    fprintf(stderr, "qs-bench: built without liburcu-memb: no comparison columns\n");
#endif
    qs_domain *probe;
    qs_domain_new(NULL, &probe);
    int32_t fence = qs_domain_fence_mode(probe);
    qs_domain_free(probe);

    uint64_t t_start = now_ns();
    if (!json) {
        fprintf(stderr, "qs-bench: %d CPUs, quiesce %s, fence mode %s%s; running...\n",
                ncpus, qs_version(), fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full",
                quick ? ", quick" : "");
    }

    /*
     * Repetitions are interleaved (every implementation once per round),
     * so a burst of outside load hits all of them alike; each figure is
     * the median over the rounds.
     */
    int reps = quick ? 3 : 5;
    const char *rs_name[3] = { "quiesce inline", "quiesce exported fn", "urcu-memb inline" };
    sut suts[3] = {
        { "quiesce FQS", QS_POLICY_FQS, NULL },
        { "quiesce LEGACY", QS_POLICY_LEGACY, NULL },
        { "urcu-memb", -1, NULL },
    };
    const char *load_name[3] = { "idle reader", "short sections", "1 ms sections" };
    double rs_v[3][2][8], sync50[3][3][8], sync99[3][3][8], thr_v[3][8];
    double cl50[3][8], cl99[3][8];
    for (int rep = 0; rep < reps; rep++) {
        for (int th = 1; th <= 2; th++) {
            for (int impl = 0; impl < 3; impl++) {
                rs_v[impl][th - 1][rep] = bench_read_once((enum impl)impl, th);
            }
        }
        for (int l = 0; l < 3; l++) {
            for (int s = 0; s < 3; s++) {
                lat2 x = bench_sync_once(&suts[s], (enum load)l);
                sync50[s][l][rep] = x.p50;
                sync99[s][l][rep] = x.p99;
            }
        }
        for (int s = 0; s < 3; s++) {
            thr_v[s][rep] = bench_call_throughput_once(&suts[s]);
        }
        for (int s = 0; s < 3; s++) {
            lat2 x = bench_call_latency_once(&suts[s]);
            cl50[s][rep] = x.p50;
            cl99[s][rep] = x.p99;
        }
    }
    double rs[3][2];
    lat2 sync[3][3];
    double thr[3];
    lat2 clat[3];
    for (int i = 0; i < 3; i++) {
        for (int th = 0; th < 2; th++) {
            rs[i][th] = median(rs_v[i][th], reps);
        }
        for (int l = 0; l < 3; l++) {
            sync[i][l].p50 = median(sync50[i][l], reps);
            sync[i][l].p99 = median(sync99[i][l], reps);
        }
        thr[i] = median(thr_v[i], reps);
        clat[i].p50 = median(cl50[i], reps);
        clat[i].p99 = median(cl99[i], reps);
    }
    double secs = (double)(now_ns() - t_start) / 1e9;

    ratio ratios[] = {
        { "read pair inline, 1 thread: quiesce / urcu-memb <= 1.2",
          ratio_of(rs[0][0], rs[2][0]), 1.2, 1 },
        { "read pair inline, 2 threads: quiesce / urcu-memb <= 1.2",
          ratio_of(rs[0][1], rs[2][1]), 1.2, 1 },
        { "synchronize p50 alone (idle reader): FQS / urcu-memb <= 2",
          ratio_of(sync[0][0].p50, sync[2][0].p50), 2.0, 1 },
        { "synchronize p50 with short-section reader: FQS / urcu-memb <= 2",
          ratio_of(sync[0][1].p50, sync[2][1].p50), 2.0, 1 },
        { "call throughput: FQS / urcu-memb >= 0.5",
          ratio_of(thr[0], thr[2]), 0.5, 0 },
        { "call-to-callback p50, idle reader: FQS / urcu-memb <= 0.2",
          ratio_of(clat[0].p50, clat[2].p50), 0.2, 1 },
    };
    int nratios = (int)(sizeof(ratios) / sizeof(ratios[0]));

    if (json) {
        printf("{\n  \"version\": \"%s\", \"cpus\": %d, \"fence_mode\": \"%s\", "
               "\"quick\": %s, \"seconds\": %.1f,\n",
               qs_version(), ncpus, fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full",
               quick ? "true" : "false", secs);
        printf("  \"read_ns_per_pair\": {");
        for (int i = 0; i < 3; i++) {
            printf("%s\"%s\": [%.3f, %.3f]", i ? ", " : "", rs_name[i], rs[i][0], rs[i][1]);
        }
        printf("},\n  \"synchronize_ns\": {");
        for (int s = 0; s < 3; s++) {
            printf("%s\"%s\": {", s ? ", " : "", suts[s].name);
            for (int l = 0; l < 3; l++) {
                printf("%s\"%s\": {\"p50\": %.0f, \"p99\": %.0f}", l ? ", " : "",
                       load_name[l], sync[s][l].p50, sync[s][l].p99);
            }
            printf("}");
        }
        printf("},\n  \"call\": {");
        for (int s = 0; s < 3; s++) {
            printf("%s\"%s\": {\"per_sec\": %.0f, \"latency_p50_ns\": %.0f, "
                   "\"latency_p99_ns\": %.0f}",
                   s ? ", " : "", suts[s].name, thr[s], clat[s].p50, clat[s].p99);
        }
        printf("},\n  \"ratios\": [");
        for (int i = 0; i < nratios; i++) {
            printf("%s\n    {\"what\": \"%s\", \"value\": %.3f, \"limit\": %.2f, "
                   "\"verdict\": \"%s\"}",
                   i ? "," : "", ratios[i].what, ratios[i].value, ratios[i].limit,
                   verdict(&ratios[i]));
        }
        printf("\n  ]\n}\n");
        return 0;
    }

    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf("\nquiesce %s vs liburcu urcu-memb — %d CPUs, fence mode %s, %.0f s%s\n",
           qs_version(), ncpus, fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full", secs,
           quick ? " (quick)" : "");
    printf("\nRead side, per lock+unlock pair (median of reps)\n");
    printf("  %-22s %14s %14s\n", "", "1 thread", "2 threads");
    for (int i = 0; i < 3; i++) {
        fmt(a, sizeof(a), rs[i][0], "ns");
        fmt(b, sizeof(b), rs[i][1], "ns");
        printf("  %-22s %14s %14s\n", rs_name[i], a, b);
    }
    printf("\nsynchronize latency p50 / p99 (writer CPU 0, one reader CPU 1)\n");
    printf("  %-16s %23s %23s %23s\n", "", load_name[0], load_name[1], load_name[2]);
    for (int s = 0; s < 3; s++) {
        fmt(a, sizeof(a), sync[s][0].p50, "ns");
        fmt(b, sizeof(b), sync[s][0].p99, "ns");
        fmt(c, sizeof(c), sync[s][1].p50, "ns");
        fmt(d, sizeof(d), sync[s][1].p99, "ns");
        fmt(e, sizeof(e), sync[s][2].p50, "ns");
        fmt(f, sizeof(f), sync[s][2].p99, "ns");
        printf("  %-16s %10s / %10s %10s / %10s %10s / %10s\n", suts[s].name, a, b, c, d, e,
               f);
    }
    printf("\ncall (idle reader registered)\n");
    printf("  %-16s %16s %26s\n", "", "callbacks/s", "call->callback p50 / p99");
    for (int s = 0; s < 3; s++) {
        if (thr[s] < 0) {
            snprintf(a, sizeof(a), "n/a");
        } else {
            snprintf(a, sizeof(a), "%.2f M", thr[s] / 1e6);
        }
        fmt(b, sizeof(b), clat[s].p50, "ns");
        fmt(c, sizeof(c), clat[s].p99, "ns");
        printf("  %-16s %16s %12s / %11s\n", suts[s].name, a, b, c);
    }
    printf("\nTargets\n");
    for (int i = 0; i < nratios; i++) {
        if (ratios[i].value < 0) {
            printf("  %-66s %8s  %s\n", ratios[i].what, "n/a", verdict(&ratios[i]));
        } else {
            printf("  %-66s %8.3f  %s\n", ratios[i].what, ratios[i].value,
                   verdict(&ratios[i]));
        }
    }
    return 0;
}
