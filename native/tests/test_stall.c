/*
 * stall: stall warnings (issue 15 item 2).
 *  - a reader parked in a nested section, with a force notifier, holds a
 *    synchronize() for 400 ms with a 50 ms stall timeout: exactly two
 *    reports, at >= 50 and >= 150 ms, naming the reader's tid, thread
 *    name, depth, kicks, the policy, GP state and FQS cause;
 *  - the default handler prints one block to stderr (captured here);
 *  - readers that leave quickly, and a zero timeout, make no report;
 *  - bad config and arguments are refused.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#include "check.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define MAX_REPORTS 8
static pthread_mutex_t rep_lock = PTHREAD_MUTEX_INITIALIZER;
static qs_stall_report reports[MAX_REPORTS];
static qs_stall_reader report_readers[MAX_REPORTS];
static char report_text[MAX_REPORTS][1024];
static int nreports;

static void record(const qs_stall_report *r, void *opaque)
{
    CHECK(opaque == (void *)&nreports);
    pthread_mutex_lock(&rep_lock);
    if (nreports < MAX_REPORTS) {
        reports[nreports] = *r;
        reports[nreports].readers = NULL; /* valid only during the call */
        if (r->nreaders > 0) {
            report_readers[nreports] = r->readers[0];
        }
        CHECK(qs_stall_report_format(r, report_text[nreports], 1024) > 0);
    }
    nreports++;
    pthread_mutex_unlock(&rep_lock);
}

static void reset_reports(void)
{
    pthread_mutex_lock(&rep_lock);
    nreports = 0;
    pthread_mutex_unlock(&rep_lock);
}

static void on_force(qs_reader *r, void *opaque)
{
    (void)r;
    atomic_fetch_add((atomic_int *)opaque, 1);
}

struct parker {
    qs_domain *dom;
    long hold_ms;
    uint32_t depth;
    atomic_llong tid;
    atomic_int inside;
    atomic_int kicked;
};

static void *park(void *p)
{
    struct parker *k = p;
    pthread_setname_np(pthread_self(), "stall-reader");
    qs_reader *r;
    CHECK_OK(qs_reader_new(k->dom, &r));
    qs_notifier n = {.fn = on_force, .opaque = &k->kicked};
    CHECK_OK(qs_notifier_add(r, &n));
    for (uint32_t i = 0; i < k->depth; i++) {
        qs_read_lock_fn(r);
    }
    atomic_store(&k->tid, (long long)syscall(SYS_gettid));
    atomic_store(&k->inside, 1);
    sleep_ms(k->hold_ms);
    for (uint32_t i = 0; i < k->depth; i++) {
        qs_read_unlock_fn(r);
    }
    CHECK_OK(qs_notifier_remove(r, &n));
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static qs_domain *new_domain(int32_t policy, uint32_t stall_ms)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    cfg.stall_timeout_ms = stall_ms;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    return dom;
}

static void start_parker(struct parker *k, pthread_t *t)
{
    CHECK_OK(pthread_create(t, NULL, park, k));
    while (!atomic_load(&k->inside)) {
        sleep_ms(1);
    }
}

static void real_stall(void)
{
    qs_domain *dom = new_domain(QS_POLICY_FQS, 50);
    CHECK_OK(qs_set_stall_handler(dom, record, &nreports));
    reset_reports();
    struct parker k = {.dom = dom, .hold_ms = 400, .depth = 2};
    pthread_t t;
    start_parker(&k, &t);
    qs_gp_state gp = qs_get_state(dom);
    CHECK_OK(qs_synchronize(dom));
    pthread_join(t, NULL);

    pthread_mutex_lock(&rep_lock);
    CHECK_EQ(nreports, 2);
    for (int i = 0; i < 2; i++) {
        const qs_stall_report *r = &reports[i];
        const qs_stall_reader *sr = &report_readers[i];
        CHECK_EQ(r->nth, (uint32_t)i + 1);
        CHECK_EQ(r->gp, gp);
        CHECK_EQ(r->timeout_ns, 50000000);
        CHECK(r->elapsed_ns >= (i == 0 ? 50000000u : 150000000u));
        CHECK_EQ(r->policy, QS_POLICY_FQS);
        /* synchronize() is expedited: FQS at once. */
        CHECK_EQ(r->state, QS_GP_FORCED);
        CHECK_EQ(r->cause, QS_FQS_EXPEDITED);
        CHECK_EQ(r->nreaders_total, 1);
        CHECK_EQ(r->nreaders, 1);
        CHECK_EQ(sr->tid, atomic_load(&k.tid));
        CHECK(strcmp(sr->name, "stall-reader") == 0);
        CHECK_EQ(sr->depth, 2);
        CHECK_EQ(sr->kicks, 1);
        CHECK(sr->inside_ns >= r->elapsed_ns);
        CHECK(strstr(report_text[i], "\"stall-reader\"") != NULL);
        CHECK(strstr(report_text[i], "depth 2") != NULL);
        CHECK(strstr(report_text[i], "FQS cause EXPEDITED") != NULL);
    }
    CHECK(reports[0].elapsed_ns < reports[1].elapsed_ns);
    pthread_mutex_unlock(&rep_lock);
    CHECK_EQ(atomic_load(&k.kicked), 1);
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK_EQ(s.stalls, 2);
    CHECK_OK(qs_domain_free(dom));
}

/* The default printer, on a worker GP under LEGACY (event waits only). */
static void default_printer(void)
{
    qs_domain *dom = new_domain(QS_POLICY_LEGACY, 50);
    char path[] = "/tmp/qs-stall-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    CHECK(dup2(fd, STDERR_FILENO) >= 0);

    struct parker k = {.dom = dom, .hold_ms = 300, .depth = 1};
    pthread_t t;
    start_parker(&k, &t);
    qs_gp_state c = qs_start_poll(dom);
    pthread_join(t, NULL);
    for (int i = 0; i < 5000 && !qs_poll_state(dom, c); i++) {
        sleep_ms(1);
    }
    CHECK(qs_poll_state(dom, c));

    fflush(stderr);
    CHECK(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    CHECK(n > 0);
    buf[n] = '\0';
    CHECK(strstr(buf, "report 1 of 2") != NULL);
    CHECK(strstr(buf, "report 2 of 2") != NULL);
    CHECK(strstr(buf, "policy LEGACY, state LEGACY, FQS cause NONE") != NULL);
    CHECK(strstr(buf, "\"stall-reader\"") != NULL);
    CHECK(strstr(buf, "kicked by notifiers 0 time(s)") != NULL);
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK_EQ(s.stalls, 2);
    CHECK_OK(qs_domain_free(dom));
}

static void no_stall(uint32_t stall_ms, long hold_ms, int rounds)
{
    qs_domain *dom = new_domain(QS_POLICY_FQS, stall_ms);
    CHECK_OK(qs_set_stall_handler(dom, record, &nreports));
    reset_reports();
    for (int i = 0; i < rounds; i++) {
        struct parker k = {.dom = dom, .hold_ms = hold_ms, .depth = 1};
        pthread_t t;
        start_parker(&k, &t);
        CHECK_OK(qs_synchronize(dom));
        pthread_join(t, NULL);
    }
    pthread_mutex_lock(&rep_lock);
    CHECK_EQ(nreports, 0);
    pthread_mutex_unlock(&rep_lock);
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK_EQ(s.stalls, 0);
    /* NULL restores the default handler. */
    CHECK_OK(qs_set_stall_handler(dom, NULL, NULL));
    CHECK_OK(qs_domain_free(dom));
}

static void bad_input(void)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    CHECK_EQ(cfg.stall_timeout_ms, QS_DEFAULT_STALL_TIMEOUT_MS);
    CHECK_EQ(QS_DEFAULT_STALL_TIMEOUT_MS, 1000);
    cfg.stall_timeout_ms = QS_STALL_TIMEOUT_MAX_MS + 1;
    qs_domain *dom = NULL;
    CHECK_EQ(qs_domain_new(&cfg, &dom), -EINVAL);
    CHECK(dom == NULL);
    CHECK_EQ(qs_set_stall_handler(NULL, record, NULL), -EINVAL);
    CHECK_EQ(qs_stall_report_format(NULL, NULL, 0), -EINVAL);
    qs_stall_report r = {.gp = 7, .nth = 1};
    char small[8];
    /* snprintf-style: the whole length, a truncated NUL-terminated text. */
    CHECK_EQ(qs_stall_report_format(&r, small, sizeof(small)),
             qs_stall_report_format(&r, NULL, 0));
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    char tiny[1] = {'x'};
    CHECK(qs_stall_report_format(&r, tiny, 1) > 10);
    CHECK_EQ(tiny[0], '\0');
    CHECK_EQ(qs_stall_report_format(&r, NULL, 5), -EINVAL);
}

int main(void)
{
    bad_input();
    real_stall();
    default_printer();
    /* Readers leave quickly (5 ms) against the default timeout: a loaded
     * CI machine may stretch a 5 ms sleep, never to a second. */
    no_stall(QS_DEFAULT_STALL_TIMEOUT_MS, 5, 10);
    no_stall(0, 150, 2);  /* off */
    printf("stall: all checks passed\n");
    return 0;
}
