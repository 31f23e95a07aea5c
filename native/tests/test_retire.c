/*
 * retire: the two-stage teardown bindings use (qs_reader_retire, then
 * qs_reader_free; qs_domain_shutdown, then qs_domain_free).
 *  - a reader retired while inside a section stops holding up grace
 *    periods: a synchronize() blocked on it returns, in both policies;
 *  - the owner's next unlock takes the slow path, which only clears
 *    `waiting` on a retired record; its later stores are harmless;
 *  - retire twice is -EALREADY; the domain no longer counts the reader
 *    (shutdown succeeds), its notifiers are never called again;
 *  - shutdown is idempotent, keeps gp_ctr readable, and the retired
 *    record is freed after the domain was shut down and before it is freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/quiesce.h>

#include "check.h"

static atomic_int notified;

static void on_force(qs_reader *r, void *opaque)
{
    (void)r;
    (void)opaque;
    atomic_fetch_add(&notified, 1);
}

struct sync_arg {
    qs_domain *dom;
    atomic_int done;
};

static void *syncer(void *p)
{
    struct sync_arg *a = p;
    CHECK_OK(qs_synchronize(a->dom));
    atomic_store(&a->done, 1);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void retire_inside_section(int32_t policy)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    qs_notifier n = {.fn = on_force};
    CHECK_OK(qs_notifier_add(r, &n));

    qs_read_lock_fn(r);
    struct sync_arg a = {.dom = dom};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, syncer, &a));
    sleep_ms(50);
    /* The GP waits for our section (under LEGACY nobody kicks us). */
    CHECK_EQ(atomic_load(&a.done), 0);
    CHECK_EQ(qs_reader_retire(r), 0);
    CHECK_EQ(qs_reader_retire(r), -EALREADY);
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(atomic_load(&a.done), 1);
    int calls_after_retire = atomic_load(&notified);

    /* The owner leaves: slow path (waiting was left set), which clears it
     * and touches nothing else. */
    CHECK(__atomic_load_n(&r->waiting, __ATOMIC_RELAXED) != 0);
    uint64_t slow_before = r->slow_unlocks;
    qs_read_unlock_fn(r);
    CHECK_EQ(r->ctr, 0);
    CHECK_EQ(r->waiting, 0);
    CHECK_EQ(r->slow_unlocks, slow_before);
    /* Sections on the retired record are harmless and never waited for. */
    qs_read_lock_fn(r);
    CHECK_OK(qs_synchronize(dom));
    qs_force(dom);
    CHECK_OK(qs_drain(dom));
    qs_read_unlock_fn(r);
    CHECK_EQ(atomic_load(&notified), calls_after_retire);

    /* The domain no longer counts it; gp_ctr stays readable after shutdown. */
    CHECK_OK(qs_domain_shutdown(dom));
    CHECK_OK(qs_domain_shutdown(dom));
    uint64_t g = __atomic_load_n(r->gp_ctr, __ATOMIC_RELAXED);
    CHECK(g != 0);
    qs_read_lock_fn(r);
    CHECK_EQ(r->ctr, g);
    qs_read_unlock_fn(r);
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

static void shutdown_rules(void)
{
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    /* A registered reader keeps the domain busy; nothing changes. */
    CHECK_EQ(qs_domain_shutdown(dom), -EBUSY);
    CHECK_OK(qs_synchronize(dom));
    CHECK_EQ(qs_reader_retire(NULL), -EINVAL);
    CHECK_EQ(qs_domain_shutdown(NULL), -EINVAL);
    /* Retire, then the thread may register again (one reader per thread
     * counts only registered ones). */
    CHECK_OK(qs_reader_retire(r));
    qs_reader *r2;
    CHECK_OK(qs_reader_new(dom, &r2));
    CHECK_OK(qs_reader_free(r2));
    /* Free the retired record before the domain: also fine. */
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));
}

int main(void)
{
    retire_inside_section(QS_POLICY_LEGACY);
    printf("retire: inside a section, LEGACY OK\n");
    retire_inside_section(QS_POLICY_FQS);
    printf("retire: inside a section, FQS OK\n");
    shutdown_rules();
    printf("retire: shutdown rules OK\n");
    return 0;
}
