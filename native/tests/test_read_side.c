/*
 * read_side: the record-level contract of the inline read side
 * (<quiesce/read.h>) and its exported twins, in both fence modes:
 *  - ctr != 0 exactly inside a section; only the outermost lock and unlock
 *    touch ctr; depth counts the levels nested inside the outermost one
 *    (0 outside and in an outermost section);
 *  - a C section nested inside a section a binding opened on the record
 *    itself (ctr set, depth left 0, as the FFM backend does) nests: it
 *    neither replaces nor clears the binding's ctr;
 *  - `waiting` is looked at by the outermost unlock only, and sends it to
 *    the slow path (which clears it and counts) in both fence modes;
 *  - a synchronize() waits for a reader inside a nested section and
 *    returns once the outermost unlock ran, in both fence modes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "check.h"

static uint64_t ctr_of(const qs_reader *r)
{
    return atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef void (*rs_fn)(qs_reader *r);

static void lock_inline(qs_reader *r)
{
    qs_read_lock(r);
}

static void unlock_inline(qs_reader *r)
{
    qs_read_unlock(r);
}

/* Nesting, through the inline pair or the exported one. */
static void nesting(qs_domain *dom, rs_fn lock, rs_fn unlock)
{
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    CHECK_EQ(qs_domain_fence_mode(dom), (int32_t)r->fence_mode);
    CHECK_EQ(ctr_of(r), 0);
    CHECK_EQ(r->depth, 0);
    uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(r->gp_ctr), memory_order_relaxed);
    CHECK(g != 0);

    lock(r);
    CHECK_EQ(ctr_of(r), g);
    CHECK_EQ(r->depth, 0);
    lock(r);
    lock(r);
    CHECK_EQ(ctr_of(r), g);
    CHECK_EQ(r->depth, 2);
    /* A nested unlock does not look at `waiting`. */
    atomic_store_explicit(QS_ATOMIC_U32(&r->waiting), 1, memory_order_relaxed);
    unlock(r);
    unlock(r);
    CHECK_EQ(r->depth, 0);
    CHECK_EQ(ctr_of(r), g);
    CHECK_EQ(r->waiting, 1);
    CHECK_EQ(r->slow_unlocks, 0);
    /* The outermost one does: slow path, which clears it and counts. */
    unlock(r);
    CHECK_EQ(ctr_of(r), 0);
    CHECK_EQ(r->depth, 0);
    CHECK_EQ(r->waiting, 0);
    CHECK_EQ(r->slow_unlocks, 1);
    /* Without `waiting`, no slow path. */
    lock(r);
    unlock(r);
    CHECK_EQ(ctr_of(r), 0);
    CHECK_EQ(r->slow_unlocks, 1);
    /* Busy inside, free outside. */
    lock(r);
    CHECK_EQ(qs_reader_free(r), -EBUSY);
    CHECK_EQ(qs_synchronize(dom), -EDEADLK);
    unlock(r);
    CHECK_OK(qs_reader_free(r));
}

/* A binding's section on the record (ctr set directly, depth 0), with C
 * sections nested inside it. */
static void inside_binding_section(qs_domain *dom)
{
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    uint64_t g = atomic_load_explicit(QS_ATOMIC_U64(r->gp_ctr), memory_order_relaxed);
    atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), g, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);

    qs_read_lock(r);
    CHECK_EQ(r->depth, 1);
    qs_read_lock_fn(r);
    CHECK_EQ(r->depth, 2);
    qs_read_unlock_fn(r);
    qs_read_unlock(r);
    CHECK_EQ(r->depth, 0);
    CHECK_EQ(ctr_of(r), g); /* still the binding's section */

    atomic_store_explicit(QS_ATOMIC_U64(&r->ctr), 0, memory_order_release);
    CHECK_OK(qs_reader_free(r));
}

struct hold_arg {
    qs_domain *dom;
    atomic_int stage; /* 1: nested section open; 2: leave inner; 3: leave outer */
    atomic_int left;  /* 1 once the outermost unlock ran */
};

static void *holder(void *p)
{
    struct hold_arg *a = p;
    qs_reader *r;
    CHECK_OK(qs_reader_new(a->dom, &r));
    qs_read_lock(r);
    qs_read_lock(r);
    atomic_store(&a->stage, 1);
    while (atomic_load(&a->stage) != 2) {
        sleep_ms(1);
    }
    qs_read_unlock(r);
    while (atomic_load(&a->stage) != 3) {
        sleep_ms(1);
    }
    atomic_store(&a->left, 1);
    qs_read_unlock(r);
    CHECK_OK(qs_reader_free(r));
    return NULL;
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

/* synchronize() waits for a nested section until its outermost unlock. */
static void grace_period_waits(qs_domain *dom)
{
    struct hold_arg h = {.dom = dom};
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, holder, &h));
    while (atomic_load(&h.stage) != 1) {
        sleep_ms(1);
    }
    struct sync_arg s = {.dom = dom};
    pthread_t ts;
    CHECK_OK(pthread_create(&ts, NULL, syncer, &s));
    sleep_ms(30);
    CHECK_EQ(atomic_load(&s.done), 0);
    atomic_store(&h.stage, 2); /* inner unlock: still inside */
    sleep_ms(30);
    CHECK_EQ(atomic_load(&s.done), 0);
    atomic_store(&h.stage, 3);
    CHECK_OK(pthread_join(ts, NULL));
    CHECK_EQ(atomic_load(&h.left), 1); /* it returned after the outermost unlock */
    CHECK_OK(pthread_join(th, NULL));
}

static void run(int use_membarrier, const char *name)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.use_membarrier = use_membarrier;
    qs_domain *dom;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    if (!use_membarrier) {
        CHECK_EQ(qs_domain_fence_mode(dom), QS_FENCE_FULL);
    }
    nesting(dom, lock_inline, unlock_inline);
    nesting(dom, qs_read_lock_fn, qs_read_unlock_fn);
    inside_binding_section(dom);
    grace_period_waits(dom);
    int32_t mode = qs_domain_fence_mode(dom);
    CHECK_OK(qs_domain_free(dom));
    printf("read_side: %s (fence mode %s) OK\n", name,
           mode == QS_FENCE_MEMBARRIER ? "membarrier" : "full");
}

int main(void)
{
    run(1, "default");
    run(0, "full fences");
    return 0;
}
