/*
 * qs-bench: libquiesce against liburcu (urcu-memb flavour) on this machine,
 * all figures from one run. Not a test: ctest does not run it.
 *
 *   qs-bench [--quick] [--json] [--reps N] [--only read,sync,call]
 *
 * Measures
 *   read side   ns per lock+unlock pair, 1 and 2 threads (pinned to
 *               CPUs 0 and 1): quiesce inline (read.h) with the handle in
 *               a local; quiesce inline with the handle read from a
 *               thread-local slot at every call (as <quiesce/qemu_compat.h>
 *               does); quiesce exported functions (qs_read_lock_fn /
 *               qs_read_unlock_fn, what FFM pays without its own fast
 *               path); urcu-memb inline; urcu-memb through its exported
 *               functions;
 *   synchronize latency p50 / p99, writer on CPU 0, one reader on CPU 1
 *               that is idle / doing short sections / holding 1 ms
 *               sections: quiesce FQS (expedited), quiesce LEGACY,
 *               urcu-memb;
 *   call        throughput (queue N callbacks, wait until all ran) and
 *               call-to-callback latency p50 / p99 with an idle reader:
 *               quiesce FQS / LEGACY (QEMU's 10 ms / 5 / 30 defaults) and
 *               urcu_memb_call_rcu.
 * Repetitions are interleaved (every implementation once per round). Every
 * figure is the median over the rounds; a ratio (quiesce / urcu) is the
 * median of the per-round ratios, both measured in the same round. A
 * read-side sample is the fastest of READ_TRIALS interleaved trials of 5 M
 * pairs (1.25 M through calls). Then the target ratios, each with PASS or
 * MISS.
 *
 * --json prints one object in the format docs/BENCH.md describes
 * ("quiesce-bench/1": meta + flat named figures); native/bench/compare.py
 * compares two such files, native/bench/table.py prints the README table.
 *
 * Built with liburcu-memb when CMake finds it (QS_BENCH_HAVE_URCU); else
 * the comparison figures are null and the ratios unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#ifdef QS_BENCH_HAVE_URCU
#define _LGPL_SOURCE /* inline read side, like quiesce's read.h */
#include <urcu/urcu-memb.h>
/* The exported (out-of-line) urcu read side: with _LGPL_SOURCE the header
 * renames urcu_memb_read_lock to the inline version, so bind the symbols
 * under other names. */
void qs_bench_urcu_lock_call(void) __asm__("urcu_memb_read_lock");
void qs_bench_urcu_unlock_call(void) __asm__("urcu_memb_read_unlock");
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

enum rs_impl {
    RS_QS_INLINE,   /* read.h, handle in a local the compiler keeps in a register */
    RS_QS_TLS,      /* read.h, handle loaded from a thread-local slot per call */
    RS_QS_FN,       /* qs_read_lock_fn / qs_read_unlock_fn */
    RS_URCU_INLINE, /* urcu-memb, _LGPL_SOURCE inline */
    RS_URCU_FN,     /* urcu-memb through its exported functions */
    RS_NIMPL
};

static const char *const rs_key[RS_NIMPL] = { "qs_inline", "qs_inline_tls", "qs_fn",
                                              "urcu_inline", "urcu_fn" };

static int rs_is_urcu(enum rs_impl impl)
{
    return impl == RS_URCU_INLINE || impl == RS_URCU_FN;
}

/* The slot of RS_QS_TLS, like qs_compat_reader in <quiesce/qemu_compat.h>:
 * lock looks it up and checks it, unlock loads it. */
static _Thread_local qs_reader *tls_reader;

static inline qs_reader *tls_self(void)
{
    qs_reader *r = tls_reader;
    if (__builtin_expect(r == NULL, 0)) {
        abort();
    }
    return r;
}

typedef struct read_arg {
    enum rs_impl impl;
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
    qs_reader *made = NULL;
    if (rs_is_urcu(a->impl)) {
#ifdef QS_BENCH_HAVE_URCU
        urcu_memb_register_thread();
#endif
    } else if (qs_reader_new(a->dom, &made) != 0) {
        exit(1);
    }
    /* `made` had its address taken, so the compiler reloads it from memory
     * after every compiler barrier; a copy whose address is never taken
     * stays in a register, as a caller's handle normally does. */
    qs_reader *const r = made;
    tls_reader = r;
    const long n = a->iters;
    pthread_barrier_wait(a->start);
    uint64_t t0 = now_ns();
    switch (a->impl) {
    case RS_QS_INLINE:
        for (long i = 0; i < n; i++) {
            qs_read_lock(r);
            qs_read_unlock(r);
        }
        break;
    case RS_QS_TLS:
        for (long i = 0; i < n; i++) {
            qs_read_lock(tls_self());
            qs_read_unlock(tls_reader);
        }
        break;
    case RS_QS_FN:
        for (long i = 0; i < n; i++) {
            qs_read_lock_fn(r);
            qs_read_unlock_fn(r);
        }
        break;
    case RS_URCU_INLINE:
#ifdef QS_BENCH_HAVE_URCU
        for (long i = 0; i < n; i++) {
            urcu_memb_read_lock();
            urcu_memb_read_unlock();
        }
#endif
        break;
    case RS_URCU_FN:
#ifdef QS_BENCH_HAVE_URCU
        for (long i = 0; i < n; i++) {
            qs_bench_urcu_lock_call();
            qs_bench_urcu_unlock_call();
        }
#endif
        break;
    case RS_NIMPL:
        break;
    }
    uint64_t t1 = now_ns();
    a->ns_per_pair = (double)(t1 - t0) / (double)n;
    tls_reader = NULL;
    if (rs_is_urcu(a->impl)) {
#ifdef QS_BENCH_HAVE_URCU
        urcu_memb_unregister_thread();
#endif
    } else {
        qs_reader_free(r);
    }
    return NULL;
}

/* One repetition: ns per pair (with 2 threads, the mean of the two). */
static double bench_read_once(enum rs_impl impl, int threads)
{
#ifndef QS_BENCH_HAVE_URCU
    if (rs_is_urcu(impl)) {
        return NA;
    }
#endif
    qs_domain *dom = NULL;
    if (!rs_is_urcu(impl)) {
        qs_domain_new(NULL, &dom);
    }
    long iters = quick ? 2000000 : 5000000;
    if (impl == RS_QS_FN || impl == RS_URCU_FN) {
        iters /= 4; /* calls are slower: keep each repetition short */
    }
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

/* ------------------------------------------------------------- figures */

/*
 * Every measurement is a named figure with its samples (one per round);
 * its value is their median. Keys are flat ("c.<what>.<variant>..."), so
 * another producer (the Java benchmarks) can add its own "java.*" keys to
 * the same file and compare.py can match keys across files.
 */
#define MAX_REPS 15

typedef struct figure {
    char key[64];
    const char *unit;    /* "ns", "1/s" or "ratio" */
    int lower_is_better;
    int n;               /* samples so far */
    double v[MAX_REPS];
} figure;

static figure figs[96];
static int nfigs;

__attribute__((format(printf, 3, 4)))
static figure *fig(const char *unit, int lower_is_better, const char *fmt_key, ...)
{
    char key[64];
    va_list ap;
    va_start(ap, fmt_key);
    vsnprintf(key, sizeof(key), fmt_key, ap);
    va_end(ap);
    for (int i = 0; i < nfigs; i++) {
        if (strcmp(figs[i].key, key) == 0) {
            return &figs[i];
        }
    }
    if (nfigs == (int)(sizeof(figs) / sizeof(figs[0]))) {
        fprintf(stderr, "qs-bench: too many figures\n");
        exit(1);
    }
    figure *f = &figs[nfigs++];
    snprintf(f->key, sizeof(f->key), "%s", key);
    f->unit = unit;
    f->lower_is_better = lower_is_better;
    return f;
}

/* Not-measured samples (NA) are dropped: a figure without samples is null. */
static void fig_add(figure *f, double v)
{
    if (v >= 0 && f->n < MAX_REPS) {
        f->v[f->n++] = v;
    }
}

static double fig_value(const figure *f)
{
    if (f->n == 0) {
        return NA;
    }
    double tmp[MAX_REPS];
    memcpy(tmp, f->v, sizeof(double) * (size_t)f->n);
    return median(tmp, f->n);
}

/* The value of figure `key`, or NA if it was not measured. */
__attribute__((format(printf, 1, 2)))
static double val(const char *fmt_key, ...)
{
    char key[64];
    va_list ap;
    va_start(ap, fmt_key);
    vsnprintf(key, sizeof(key), fmt_key, ap);
    va_end(ap);
    for (int i = 0; i < nfigs; i++) {
        if (strcmp(figs[i].key, key) == 0) {
            return fig_value(&figs[i]);
        }
    }
    return NA;
}

static int fig_known(const char *key)
{
    for (int i = 0; i < nfigs; i++) {
        if (strcmp(figs[i].key, key) == 0) {
            return 1;
        }
    }
    return 0;
}

static double ratio_of(double a, double b)
{
    return a < 0 || b <= 0 ? NA : a / b;
}

/* ---------------------------------------------------------------- meta */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/* The "model name" of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return;
    }
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon != NULL) {
                colon++;
                while (*colon == ' ' || *colon == '\t') {
                    colon++;
                }
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, len, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

static double load1(void)
{
    double l[1];
    return getloadavg(l, 1) == 1 ? l[0] : NA;
}

/* ------------------------------------------------------------- targets */

typedef struct target {
    const char *key;      /* a ratio figure */
    const char *what;
    double limit;
    int lower_is_better;
} target;

static const target targets[] = {
    { "c.read_ratio.inline.1t", "read pair inline, 1 thread: quiesce / urcu-memb <= 1.0", 1.0, 1 },
    { "c.read_ratio.inline.2t", "read pair inline, 2 threads: quiesce / urcu-memb <= 1.0", 1.0, 1 },
    { "c.sync_ratio.idle.p50", "synchronize p50 alone (idle reader): FQS / urcu-memb <= 2", 2.0, 1 },
    { "c.sync_ratio.short.p50", "synchronize p50 with short-section reader: FQS / urcu-memb <= 2",
      2.0, 1 },
    { "c.call_ratio.throughput", "call throughput: FQS / urcu-memb >= 0.5", 0.5, 0 },
    { "c.call_ratio.latency_p50", "call-to-callback p50, idle reader: FQS / urcu-memb <= 0.2", 0.2,
      1 },
};
#define NTARGETS ((int)(sizeof(targets) / sizeof(targets[0])))

static const char *verdict(const target *t, double v)
{
    if (v < 0) {
        return "n/a";
    }
    return (t->lower_is_better ? v <= t->limit : v >= t->limit) ? "PASS" : "MISS";
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

static void usage(FILE *to, const char *argv0)
{
    fprintf(to,
            "usage: %s [--quick] [--json] [--reps N] [--only GROUPS]\n"
            "  --quick        shorter runs (3 rounds unless --reps)\n"
            "  --json         print the figures as JSON (format: docs/BENCH.md)\n"
            "  --reps N       rounds, 1..%d (default 5); each figure is the median\n"
            "  --only GROUPS  comma-separated subset of read,sync,call (default all)\n",
            argv0, MAX_REPS);
}

enum { G_READ = 1, G_SYNC = 2, G_CALL = 4 };

static int parse_groups(const char *s)
{
    int g = 0;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "read") == 0) {
            g |= G_READ;
        } else if (strcmp(tok, "sync") == 0) {
            g |= G_SYNC;
        } else if (strcmp(tok, "call") == 0) {
            g |= G_CALL;
        } else {
            return -1;
        }
    }
    return g;
}

static const char *const sut_key[3] = { "fqs", "legacy", "urcu" };
static const char *const load_key[3] = { "idle", "short", "1ms" };

/* Trials per read-side sample: the sample is the fastest of them. Outside
 * load (other processes on these CPUs) only ever adds time, so the minimum
 * of short interleaved trials is the figure least disturbed by it. */
#define READ_TRIALS 4

static void round_read(void)
{
    for (int th = 1; th <= 2; th++) {
        double v[RS_NIMPL];
        for (int impl = 0; impl < RS_NIMPL; impl++) {
            v[impl] = NA;
        }
        for (int trial = 0; trial < READ_TRIALS; trial++) {
            for (int impl = 0; impl < RS_NIMPL; impl++) {
                double x = bench_read_once((enum rs_impl)impl, th);
                if (x >= 0 && (v[impl] < 0 || x < v[impl])) {
                    v[impl] = x;
                }
            }
        }
        for (int impl = 0; impl < RS_NIMPL; impl++) {
            fig_add(fig("ns", 1, "c.read_pair_ns.%s.%dt", rs_key[impl], th), v[impl]);
        }
        /* Ratios of one round: both sides ran back to back. */
        fig_add(fig("ratio", 1, "c.read_ratio.inline.%dt", th),
                ratio_of(v[RS_QS_INLINE], v[RS_URCU_INLINE]));
        fig_add(fig("ratio", 1, "c.read_ratio.inline_tls.%dt", th),
                ratio_of(v[RS_QS_TLS], v[RS_URCU_INLINE]));
        fig_add(fig("ratio", 1, "c.read_ratio.fn.%dt", th),
                ratio_of(v[RS_QS_FN], v[RS_URCU_FN]));
    }
}

static void round_sync(sut *suts)
{
    for (int l = 0; l < 3; l++) {
        lat2 x[3];
        for (int s = 0; s < 3; s++) {
            x[s] = bench_sync_once(&suts[s], (enum load)l);
            fig_add(fig("ns", 1, "c.sync_ns.%s.%s.p50", sut_key[s], load_key[l]), x[s].p50);
            fig_add(fig("ns", 1, "c.sync_ns.%s.%s.p99", sut_key[s], load_key[l]), x[s].p99);
        }
        fig_add(fig("ratio", 1, "c.sync_ratio.%s.p50", load_key[l]), ratio_of(x[0].p50, x[2].p50));
    }
}

static void round_call(sut *suts)
{
    double thr[3];
    lat2 lat[3];
    for (int s = 0; s < 3; s++) {
        thr[s] = bench_call_throughput_once(&suts[s]);
        fig_add(fig("1/s", 0, "c.call_per_s.%s", sut_key[s]), thr[s]);
    }
    for (int s = 0; s < 3; s++) {
        lat[s] = bench_call_latency_once(&suts[s]);
        fig_add(fig("ns", 1, "c.call_latency_ns.%s.p50", sut_key[s]), lat[s].p50);
        fig_add(fig("ns", 1, "c.call_latency_ns.%s.p99", sut_key[s]), lat[s].p99);
    }
    fig_add(fig("ratio", 0, "c.call_ratio.throughput"), ratio_of(thr[0], thr[2]));
    fig_add(fig("ratio", 1, "c.call_ratio.latency_p50"), ratio_of(lat[0].p50, lat[2].p50));
}

static void print_json(const char *date, int32_t fence, int reps, const char *groups, double secs,
                       double load_start, double load_end)
{
    struct utsname u;
    char uts[512] = "unknown";
    if (uname(&u) == 0) {
        snprintf(uts, sizeof(uts), "%s %s %s", u.sysname, u.release, u.machine);
    }
    char cpu[256];
    cpu_model(cpu, sizeof(cpu));
    printf("{\n  \"schema\": \"quiesce-bench/1\",\n  \"meta\": {\n    \"date\": ");
    json_str(date);
    printf(",\n    \"machine\": {\"uname\": ");
    json_str(uts);
    printf(", \"cpu_model\": ");
    json_str(cpu);
    printf(", \"cores\": %d},\n    \"c\": {\"producer\": \"qs-bench\", \"quiesce_version\": ", ncpus);
    json_str(qs_version());
    printf(", \"compiler\": ");
    json_str(__VERSION__);
    printf(", \"fence_mode\": \"%s\", \"urcu\": %s, \"quick\": %s, \"reps\": %d, \"groups\": ",
           fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full",
#ifdef QS_BENCH_HAVE_URCU
           "true",
#else
           "false",
#endif
           quick ? "true" : "false", reps);
    json_str(groups);
    printf(", \"seconds\": %.1f, \"loadavg_start\": %.2f, \"loadavg_end\": %.2f}\n  },\n", secs,
           load_start, load_end);
    printf("  \"figures\": {");
    for (int i = 0; i < nfigs; i++) {
        const figure *f = &figs[i];
        double v = fig_value(f);
        printf("%s\n    \"%s\": {\"value\": ", i ? "," : "", f->key);
        if (v < 0) {
            printf("null");
        } else {
            printf("%.6g", v);
        }
        printf(", \"unit\": \"%s\", \"better\": \"%s\", \"samples\": [", f->unit,
               f->lower_is_better ? "lower" : "higher");
        for (int k = 0; k < f->n; k++) {
            printf("%s%.6g", k ? ", " : "", f->v[k]);
        }
        printf("]}");
    }
    printf("\n  },\n  \"targets\": [");
    int first = 1;
    for (int i = 0; i < NTARGETS; i++) {
        const target *t = &targets[i];
        double v = val("%s", t->key);
        if (!fig_known(t->key)) {
            continue; /* its group was not run */
        }
        printf("%s\n    {\"figure\": \"%s\", \"what\": ", first ? "" : ",", t->key);
        json_str(t->what);
        printf(", \"op\": \"%s\", \"limit\": %.2f, \"value\": ", t->lower_is_better ? "<=" : ">=",
               t->limit);
        if (v < 0) {
            printf("null");
        } else {
            printf("%.4f", v);
        }
        printf(", \"verdict\": \"%s\"}", verdict(t, v));
        first = 0;
    }
    printf("\n  ]\n}\n");
}

static void print_text(int32_t fence, double secs, int groups)
{
    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf("\nquiesce %s vs liburcu urcu-memb — %d CPUs, fence mode %s, %.0f s%s\n",
           qs_version(), ncpus, fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full", secs,
           quick ? " (quick)" : "");
    if (groups & G_READ) {
        static const char *const rs_name[RS_NIMPL] = {
            "quiesce inline", "quiesce inline, TLS", "quiesce exported fn", "urcu-memb inline",
            "urcu-memb exported fn"
        };
        printf("\nRead side, per lock+unlock pair (median of rounds)\n");
        printf("  %-24s %14s %14s\n", "", "1 thread", "2 threads");
        for (int i = 0; i < RS_NIMPL; i++) {
            fmt(a, sizeof(a), val("c.read_pair_ns.%s.1t", rs_key[i]), "ns");
            fmt(b, sizeof(b), val("c.read_pair_ns.%s.2t", rs_key[i]), "ns");
            printf("  %-24s %14s %14s\n", rs_name[i], a, b);
        }
        static const char *const ratio_key[3] = { "inline", "inline_tls", "fn" };
        static const char *const ratio_name[3] = { "inline / urcu inline", "inline TLS / urcu inline",
                                                   "exported / urcu exported" };
        printf("  quiesce / urcu, median of per-round ratios\n");
        for (int i = 0; i < 3; i++) {
            double r1 = val("c.read_ratio.%s.1t", ratio_key[i]);
            double r2 = val("c.read_ratio.%s.2t", ratio_key[i]);
            printf("  %-24s %14.3f %14.3f\n", ratio_name[i], r1, r2);
        }
    }
    static const char *const sut_name[3] = { "quiesce FQS", "quiesce LEGACY", "urcu-memb" };
    if (groups & G_SYNC) {
        printf("\nsynchronize latency p50 / p99 (writer CPU 0, one reader CPU 1)\n");
        printf("  %-16s %23s %23s %23s\n", "", "idle reader", "short sections", "1 ms sections");
        for (int s = 0; s < 3; s++) {
            fmt(a, sizeof(a), val("c.sync_ns.%s.idle.p50", sut_key[s]), "ns");
            fmt(b, sizeof(b), val("c.sync_ns.%s.idle.p99", sut_key[s]), "ns");
            fmt(c, sizeof(c), val("c.sync_ns.%s.short.p50", sut_key[s]), "ns");
            fmt(d, sizeof(d), val("c.sync_ns.%s.short.p99", sut_key[s]), "ns");
            fmt(e, sizeof(e), val("c.sync_ns.%s.1ms.p50", sut_key[s]), "ns");
            fmt(f, sizeof(f), val("c.sync_ns.%s.1ms.p99", sut_key[s]), "ns");
            printf("  %-16s %10s / %10s %10s / %10s %10s / %10s\n", sut_name[s], a, b, c, d, e, f);
        }
    }
    if (groups & G_CALL) {
        printf("\ncall (idle reader registered)\n");
        printf("  %-16s %16s %26s\n", "", "callbacks/s", "call->callback p50 / p99");
        for (int s = 0; s < 3; s++) {
            double thr = val("c.call_per_s.%s", sut_key[s]);
            if (thr < 0) {
                snprintf(a, sizeof(a), "n/a");
            } else {
                snprintf(a, sizeof(a), "%.2f M", thr / 1e6);
            }
            fmt(b, sizeof(b), val("c.call_latency_ns.%s.p50", sut_key[s]), "ns");
            fmt(c, sizeof(c), val("c.call_latency_ns.%s.p99", sut_key[s]), "ns");
            printf("  %-16s %16s %12s / %11s\n", sut_name[s], a, b, c);
        }
    }
    printf("\nTargets\n");
    for (int i = 0; i < NTARGETS; i++) {
        const target *t = &targets[i];
        double v = val("%s", t->key);
        if (!fig_known(t->key)) {
            continue;
        }
        if (v < 0) {
            printf("  %-66s %8s  %s\n", t->what, "n/a", verdict(t, v));
        } else {
            printf("  %-66s %8.3f  %s\n", t->what, v, verdict(t, v));
        }
    }
}

int main(int argc, char **argv)
{
    int json = 0;
    int reps = 0;
    int groups = G_READ | G_SYNC | G_CALL;
    const char *groups_arg = "read,sync,call";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > MAX_REPS) {
                fprintf(stderr, "qs-bench: --reps takes 1..%d\n", MAX_REPS);
                return 2;
            }
            reps = (int)n;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            groups_arg = argv[++i];
            groups = parse_groups(groups_arg);
            if (groups <= 0) {
                fprintf(stderr, "qs-bench: --only takes a comma-separated subset of "
                                "read,sync,call\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else {
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (reps == 0) {
        reps = quick ? 3 : 5;
    }
    ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifndef QS_BENCH_HAVE_URCU
    fprintf(stderr, "qs-bench: built without liburcu-memb: no comparison figures\n");
#endif
    qs_domain *probe;
    if (qs_domain_new(NULL, &probe) != 0) {
        fprintf(stderr, "qs-bench: qs_domain_new failed\n");
        return 1;
    }
    int32_t fence = qs_domain_fence_mode(probe);
    qs_domain_free(probe);

    char date[32];
    time_t wall = time(NULL);
    struct tm tm;
    gmtime_r(&wall, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    double load_start = load1();
    uint64_t t_start = now_ns();
    if (!json) {
        fprintf(stderr, "qs-bench: %d CPUs, quiesce %s, fence mode %s%s, %d rounds; running...\n",
                ncpus, qs_version(), fence == QS_FENCE_MEMBARRIER ? "membarrier" : "full",
                quick ? ", quick" : "", reps);
    }

    /* Rounds are interleaved (every implementation once per round), so a
     * burst of outside load hits all of them alike. */
    sut suts[3] = {
        { "quiesce FQS", QS_POLICY_FQS, NULL },
        { "quiesce LEGACY", QS_POLICY_LEGACY, NULL },
        { "urcu-memb", -1, NULL },
    };
    for (int rep = 0; rep < reps; rep++) {
        if (groups & G_READ) {
            round_read();
        }
        if (groups & G_SYNC) {
            round_sync(suts);
        }
        if (groups & G_CALL) {
            round_call(suts);
        }
    }
    double secs = (double)(now_ns() - t_start) / 1e9;
    if (json) {
        print_json(date, fence, reps, groups_arg, secs, load_start, load1());
    } else {
        print_text(fence, secs, groups);
    }
    return 0;
}
