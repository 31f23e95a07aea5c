/*
 * retire_mem: qs_retire, the qs_mem allocator pair and the pointer twins,
 * and the Java tests' C helper library (libqs_jtest) driven from C.
 *  - bad input: -EINVAL, qs_mem_alloc's EINVAL cases;
 *  - a retired object is not freed while a reader that may hold it is
 *    inside its section, and is freed exactly once after it left;
 *  - retiring an address already pending is -EALREADY (any free
 *    function), also after the pending set grew; once freed, the same
 *    address can be retired again;
 *  - retires run FIFO with qs_call callbacks;
 *  - stats: pending / freed, objects and bytes;
 *  - qs_domain_shutdown frees every pending object; a retire during the
 *    shutdown is -ESHUTDOWN;
 *  - jhelper: C readers and writers replacing poisoned-on-free nodes for
 *    ~1 s (QS_LONG: 10 s): violations 0; the held section holds back a
 *    synchronize; an async synchronize waits for this thread's section.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#include "check.h"
#include "qs_jtest.h"

/* ------------------------------------------------ counting free fns */

#define NOBJ 5000

static atomic_int freed_count[NOBJ];
static char objs[NOBJ]; /* addresses only: never really freed */
static atomic_int free_calls;

static void count_free(void *p)
{
    atomic_fetch_add(&freed_count[(char *)p - objs], 1);
    atomic_fetch_add(&free_calls, 1);
}

static void other_free(void *p)
{
    (void)p;
    CHECK(!"other_free must never run");
}

static void reset_counts(void)
{
    for (int i = 0; i < NOBJ; i++) {
        atomic_store(&freed_count[i], 0);
    }
    atomic_store(&free_calls, 0);
}

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static qs_domain *new_domain(void)
{
    qs_domain *dom;
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 1000000; /* 1 ms: quick normal-state GPs */
    CHECK_OK(qs_domain_new(&cfg, &dom));
    return dom;
}

/* ------------------------------------------------------------ tests */

static void test_bad_input(void)
{
    qs_domain *dom = new_domain();
    CHECK_EQ(qs_retire(NULL, objs, count_free, 1), -EINVAL);
    CHECK_EQ(qs_retire(dom, NULL, count_free, 1), -EINVAL);
    CHECK_EQ(qs_retire(dom, objs, NULL, 1), -EINVAL);
    CHECK_EQ(qs_mem_retire(dom, NULL, 1), -EINVAL);
    errno = 0;
    CHECK(qs_mem_alloc(0, 8) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(qs_mem_alloc(8, 0) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(qs_mem_alloc(8, 24) == NULL && errno == EINVAL);
    void *p = qs_mem_alloc(100, 1);
    CHECK(p != NULL && ((uintptr_t)p % sizeof(void *)) == 0);
    CHECK(((unsigned char *)p)[99] == 0);
    qs_mem_free(p);
    p = qs_mem_alloc(64, 4096);
    CHECK(p != NULL && ((uintptr_t)p % 4096) == 0);
    qs_mem_free(p);
    qs_mem_free(NULL);
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.retired_pending, 0);
    CHECK_EQ(st.callbacks_queued, 0); /* nothing was queued by the failures */
    CHECK_OK(qs_domain_free(dom));
}

/* A retire while this thread reads: it cannot be freed before the
 * unlock; a second retire of the address is -EALREADY; afterwards it can
 * be retired again. */
static void test_pending_and_double(void)
{
    reset_counts();
    qs_domain *dom = new_domain();
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock(r);
    CHECK_OK(qs_retire(dom, &objs[0], count_free, 100));
    CHECK_OK(qs_retire(dom, &objs[1], count_free, 20));
    CHECK_EQ(qs_retire(dom, &objs[0], count_free, 100), -EALREADY);
    CHECK_EQ(qs_retire(dom, &objs[0], other_free, 7), -EALREADY);
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.retired_pending, 2);
    CHECK_EQ(st.retired_pending_bytes, 120);
    CHECK_EQ(st.retired_freed, 0);
    msleep(30); /* many poll periods: the GP must still wait */
    CHECK_EQ(atomic_load(&free_calls), 0);
    qs_read_unlock(r);
    CHECK_OK(qs_drain(dom));
    CHECK_EQ(atomic_load(&freed_count[0]), 1);
    CHECK_EQ(atomic_load(&freed_count[1]), 1);
    qs_stats_get(dom, &st);
    CHECK_EQ(st.retired_pending, 0);
    CHECK_EQ(st.retired_pending_bytes, 0);
    CHECK_EQ(st.retired_freed, 2);
    CHECK_EQ(st.retired_freed_bytes, 120);
    /* Freed: the address may be retired again (a reallocated object). */
    CHECK_OK(qs_retire(dom, &objs[0], count_free, 100));
    CHECK_OK(qs_drain(dom));
    CHECK_EQ(atomic_load(&freed_count[0]), 2);
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

/* Enough addresses to grow the set several times: every duplicate is
 * still caught, every object freed once. */
static void test_many(void)
{
    reset_counts();
    qs_domain *dom = new_domain();
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock(r);
    for (int i = 0; i < NOBJ; i++) {
        CHECK_OK(qs_retire(dom, &objs[i], count_free, 1));
    }
    for (int i = 0; i < NOBJ; i++) {
        CHECK_EQ(qs_retire(dom, &objs[i], count_free, 1), -EALREADY);
    }
    qs_stats st;
    qs_stats_get(dom, &st);
    CHECK_EQ(st.retired_pending, NOBJ);
    CHECK_EQ(atomic_load(&free_calls), 0);
    qs_read_unlock(r);
    CHECK_OK(qs_drain(dom));
    for (int i = 0; i < NOBJ; i++) {
        CHECK_EQ(atomic_load(&freed_count[i]), 1);
    }
    qs_stats_get(dom, &st);
    CHECK_EQ(st.retired_pending, 0);
    CHECK_EQ(st.retired_freed, NOBJ);
    CHECK_EQ(st.retired_freed_bytes, NOBJ);
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

/* FIFO with qs_call callbacks. */
static int order_log[8];
static atomic_int order_n;

typedef struct tagged {
    qs_head head;
    int tag;
} tagged;

static void tagged_run(qs_head *h)
{
    order_log[atomic_fetch_add(&order_n, 1)] = QS_CONTAINER_OF(h, tagged, head)->tag;
}

static void log_free(void *p)
{
    order_log[atomic_fetch_add(&order_n, 1)] = 100 + (int)((char *)p - objs);
}

static void test_fifo(void)
{
    qs_domain *dom = new_domain();
    atomic_store(&order_n, 0);
    tagged a = { .tag = 1 }, b = { .tag = 2 };
    CHECK_OK(qs_call(dom, &a.head, tagged_run));
    CHECK_OK(qs_retire(dom, &objs[5], log_free, 0));
    CHECK_OK(qs_call(dom, &b.head, tagged_run));
    CHECK_OK(qs_retire(dom, &objs[6], log_free, 0));
    CHECK_OK(qs_drain(dom));
    CHECK_EQ(atomic_load(&order_n), 4);
    CHECK_EQ(order_log[0], 1);
    CHECK_EQ(order_log[1], 105);
    CHECK_EQ(order_log[2], 2);
    CHECK_EQ(order_log[3], 106);
    CHECK_OK(qs_domain_free(dom));
}

/* Shutdown frees what is pending; a retire during it is refused. The
 * callback retires one object and queues itself again, until the domain
 * is closing (the shutdown sets `closing` before its drain, so the chain
 * ends inside the shutdown with a refused retire). */
static qs_domain *late_dom;
static atomic_int late_rc;
static atomic_int late_ok;
static qs_head late_head;

static void late_retire(qs_head *h)
{
    int rc = qs_retire(late_dom, &objs[NOBJ - 1], count_free, 1);
    if (rc == 0) {
        atomic_fetch_add(&late_ok, 1);
        if (qs_call(late_dom, h, late_retire) == 0) {
            return;
        }
        rc = qs_retire(late_dom, &objs[NOBJ - 2], other_free, 1);
    }
    atomic_store(&late_rc, rc);
}

static void test_shutdown(void)
{
    reset_counts();
    qs_domain *dom = new_domain();
    late_dom = dom;
    atomic_store(&late_rc, 1);
    atomic_store(&late_ok, 0);
    for (int i = 0; i < 1000; i++) {
        CHECK_OK(qs_retire(dom, &objs[i], count_free, 1));
        if (i == 500) {
            CHECK_OK(qs_call(dom, &late_head, late_retire));
        }
    }
    CHECK_OK(qs_domain_shutdown(dom));
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ(atomic_load(&freed_count[i]), 1);
    }
    CHECK_EQ(atomic_load(&late_rc), -ESHUTDOWN);
    /* Every accepted late retire was freed too, before shutdown returned. */
    CHECK_EQ(atomic_load(&freed_count[NOBJ - 1]), atomic_load(&late_ok));
    CHECK_EQ(atomic_load(&free_calls), 1000 + atomic_load(&late_ok));
    CHECK_OK(qs_domain_free(dom));
}

/* Real memory through qs_mem_alloc / qs_mem_retire, on the default
 * domain (ASan checks the free). */
static void test_mem_default(void)
{
    qs_domain *dom = qs_domain_default();
    CHECK(dom != NULL);
    qs_stats before, after;
    qs_stats_get(dom, &before);
    for (int i = 0; i < 100; i++) {
        void *p = qs_mem_alloc(256, 64);
        CHECK(p != NULL);
        CHECK_OK(qs_mem_retire(dom, p, 256));
    }
    CHECK_OK(qs_drain(dom));
    qs_stats_get(dom, &after);
    CHECK_EQ(after.retired_freed - before.retired_freed, 100);
    CHECK_EQ(after.retired_freed_bytes - before.retired_freed_bytes, 25600);
    CHECK_EQ(after.retired_pending, 0);
}

static void test_pointer_twins(void)
{
    void *slot = NULL;
    int x, y;
    qs_rcu_set_fn(&slot, &x);
    CHECK(qs_rcu_read_fn(&slot) == &x);
    CHECK(qs_rcu_exchange_fn(&slot, &y) == &x);
    CHECK(qs_rcu_read_fn(&slot) == &y);
}

static void test_node_helpers(void)
{
    CHECK(qs_jtest_canary() == QS_JTEST_CANARY);
    CHECK(qs_jtest_poison() == QS_JTEST_POISON);
    CHECK(qs_jtest_payload_k() == QS_JTEST_PAYLOAD_K);
    CHECK_EQ(sizeof(qs_jtest_node), QS_JTEST_NODE_SIZE);
    CHECK_EQ(sizeof(qs_jtest_counts), 32);
    qs_jtest_node *n = qs_jtest_node_alloc(42);
    CHECK(n != NULL && ((uintptr_t)n % 64) == 0);
    CHECK_EQ(n->generation, 42);
    CHECK_EQ(qs_jtest_node_check(n), 0);
    n->payload[3] ^= 1;
    CHECK_EQ(qs_jtest_node_check(n), 1);
    n->payload[3] ^= 1;
    n->canary = QS_JTEST_POISON;
    CHECK_EQ(qs_jtest_node_check(n), 1);
    n->canary = QS_JTEST_CANARY;
    CHECK_EQ(qs_jtest_node_check(NULL), 0);
    qs_jtest_node_free(n);
    CHECK(qs_jtest_readers_start(NULL, (void **)&n, 1) == NULL);
    CHECK(qs_jtest_writers_start(qs_domain_default(), NULL, 1, NULL) == NULL);
    CHECK_EQ(qs_jtest_readers_stop(NULL, NULL), -EINVAL);
}

/* The held C section holds back this thread's synchronize; this thread's
 * section holds back the async C synchronize. */
static void test_hold_and_async(void)
{
    qs_domain *dom = new_domain();
    qs_jtest_hold *h = qs_jtest_hold_section(dom, 150);
    CHECK(h != NULL);
    CHECK_OK(qs_jtest_hold_wait_inside(h));
    CHECK_EQ(qs_jtest_hold_done(h), 0);
    CHECK_OK(qs_synchronize(dom));
    CHECK_EQ(qs_jtest_hold_done(h), 1);
    CHECK_OK(qs_jtest_hold_join(h));

    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_read_lock(r);
    qs_jtest_sync *s = qs_jtest_synchronize_async(dom);
    CHECK(s != NULL);
    msleep(100);
    CHECK_EQ(qs_jtest_sync_done(s), 0);
    qs_read_unlock(r);
    CHECK_OK(qs_jtest_sync_join(s));
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

/* C readers and writers on one slot, poisoning free: no violation. */
static void test_torture(double seconds)
{
    qs_domain *dom = new_domain();
    void *slot = qs_jtest_node_alloc(0);
    CHECK(slot != NULL);
    uint64_t gen = 0;
    qs_jtest_readers *rd = qs_jtest_readers_start(dom, &slot, 2);
    CHECK(rd != NULL);
    qs_jtest_writers *wr = qs_jtest_writers_start(dom, &slot, 2, &gen);
    CHECK(wr != NULL);
    msleep((int)(seconds * 1000));
    qs_jtest_counts wc, rc;
    CHECK_OK(qs_jtest_writers_stop(wr, &wc));
    CHECK_OK(qs_jtest_readers_stop(rd, &rc));
    CHECK_OK(qs_retire(dom, qs_rcu_exchange(&slot, NULL), qs_jtest_node_free, QS_JTEST_NODE_SIZE));
    CHECK_OK(qs_drain(dom));
    qs_stats st;
    qs_stats_get(dom, &st);
    printf("torture %.1f s: sections %" PRIu64 " violations %" PRIu64
           " replacements %" PRIu64 " errors %" PRIu64 " GPs %" PRIu64 " freed %" PRIu64 "\n",
           seconds, rc.sections, rc.violations, wc.replacements, wc.errors, st.gps,
           st.retired_freed);
    CHECK_EQ(rc.violations, 0);
    CHECK_EQ(wc.errors, 0);
    CHECK(rc.sections > 0);
    CHECK(wc.replacements > 0);
    CHECK_EQ(gen, wc.replacements);
    CHECK_EQ(st.retired_pending, 0);
    /* Every replaced node plus the last one, each freed once. */
    CHECK_EQ(st.retired_freed, wc.replacements + 1);
    CHECK_EQ(st.retired_freed_bytes, (wc.replacements + 1) * QS_JTEST_NODE_SIZE);
    CHECK_OK(qs_domain_free(dom));
}

int main(void)
{
    test_bad_input();
    test_pending_and_double();
    test_many();
    test_fifo();
    test_shutdown();
    test_mem_default();
    test_pointer_twins();
    test_node_helpers();
    test_hold_and_async();
    test_torture(qs_test_long() ? 10.0 : 1.0);
    printf("retire_mem: ok\n");
    return 0;
}
