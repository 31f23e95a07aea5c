/*
 * qemu_list_<kind>: the _RCU list families of <quiesce/qemu_compat.h>
 * under concurrent readers. Built four times, QS_TEST_LIST_KIND 1..4 =
 * QLIST, QSIMPLEQ, QTAILQ, QSLIST (the scenario of QEMU's list test, which
 * QEMU also builds once per kind).
 *
 * Readers walk the list inside rcu_read_lock(), alternately with
 * FOREACH_RCU and with FIRST_RCU/NEXT_RCU (sometimes nested), and check
 * every element they reach: its magic word is live (the reclaim callback
 * poisons it before freeing) and its payload, plain ints written before
 * the element was published, is consistent. ThreadSanitizer checks that
 * each publication and each unlink orders those plain writes before the
 * readers' reads; AddressSanitizer sees any premature free. A walk longer
 * than the list can ever be means a broken link (a cycle).
 *
 * One updater, per step: removes a random element (REMOVE_RCU, or
 * REMOVE_HEAD_RCU where QEMU has it), found with FOREACH_SAFE_RCU, and
 * reclaims it with call_rcu1 or call_rcu; inserts a new element after a
 * random one (INSERT_AFTER_RCU), or at the head, the tail or before a
 * random element (INSERT_TAIL_RCU / INSERT_BEFORE_RCU where QEMU has
 * them); calls synchronize_rcu(). Every 32 steps it checks the writer-side
 * links (back links, tail pointers, QTAILQ_LAST/PREV/IN_USE).
 *
 * At the end every element is removed and drain_call_rcu() run: nodes
 * removed == nodes reclaimed == nodes inserted, no violation.
 *
 * Duration: 1 s; QS_LONG=1: 20 s; QS_QEMU_LIST_SECONDS=N overrides.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <quiesce/qemu_compat.h>

#include "check.h"

#ifndef QS_TEST_LIST_KIND
#define QS_TEST_LIST_KIND 1
#endif

#define READERS 3
#define LIST_LEN 100
#define MAX_WALK (4 * LIST_LEN)
#define MAGIC_LIVE 0x4c4956454c495645ull
#define MAGIC_POISON 0xdeaddeaddeaddeadull

struct elem {
    struct rcu_head rcu; /* first: call_rcu passes the element itself */
#if QS_TEST_LIST_KIND == 1
    QLIST_ENTRY(elem) link;
#elif QS_TEST_LIST_KIND == 2
    QSIMPLEQ_ENTRY(elem) link;
#elif QS_TEST_LIST_KIND == 3
    QTAILQ_ENTRY(elem) link;
#elif QS_TEST_LIST_KIND == 4
    QSLIST_ENTRY(elem) link;
#else
#error QS_TEST_LIST_KIND must be 1..4
#endif
    _Atomic uint64_t magic;
    int id;    /* plain: written before publication */
    int check; /* ~id */
};

/* One name per operation, mapped to the kind under test. HAVE_* say which
 * optional operations QEMU's rcu_queue.h has for the kind. */
#if QS_TEST_LIST_KIND == 1
#define KIND "qlist"
static QLIST_HEAD(, elem) list = QLIST_HEAD_INITIALIZER(list);
#define L_EMPTY_RCU() QLIST_EMPTY_RCU(&list)
#define L_FIRST_RCU() QLIST_FIRST_RCU(&list)
#define L_NEXT_RCU(e) QLIST_NEXT_RCU(e, link)
#define L_FOREACH_RCU(v) QLIST_FOREACH_RCU(v, &list, link)
#define L_FOREACH_SAFE_RCU(v, n) QLIST_FOREACH_SAFE_RCU(v, &list, link, n)
#define L_INSERT_HEAD(e) QLIST_INSERT_HEAD_RCU(&list, e, link)
#define L_INSERT_AFTER(at, e) QLIST_INSERT_AFTER_RCU(at, e, link)
#define L_INSERT_BEFORE(at, e) QLIST_INSERT_BEFORE_RCU(at, e, link)
#define L_REMOVE(e) QLIST_REMOVE_RCU(e, link)
#define L_EMPTY() QLIST_EMPTY(&list)
#define HAVE_INSERT_BEFORE 1
#elif QS_TEST_LIST_KIND == 2
#define KIND "qsimpleq"
static QSIMPLEQ_HEAD(, elem) list = QSIMPLEQ_HEAD_INITIALIZER(list);
#define L_EMPTY_RCU() QSIMPLEQ_EMPTY_RCU(&list)
#define L_FIRST_RCU() QSIMPLEQ_FIRST_RCU(&list)
#define L_NEXT_RCU(e) QSIMPLEQ_NEXT_RCU(e, link)
#define L_FOREACH_RCU(v) QSIMPLEQ_FOREACH_RCU(v, &list, link)
#define L_FOREACH_SAFE_RCU(v, n) QSIMPLEQ_FOREACH_SAFE_RCU(v, &list, link, n)
#define L_INSERT_HEAD(e) QSIMPLEQ_INSERT_HEAD_RCU(&list, e, link)
#define L_INSERT_TAIL(e) QSIMPLEQ_INSERT_TAIL_RCU(&list, e, link)
#define L_INSERT_AFTER(at, e) QSIMPLEQ_INSERT_AFTER_RCU(&list, at, e, link)
#define L_REMOVE(e) QSIMPLEQ_REMOVE_RCU(&list, e, elem, link)
#define L_REMOVE_HEAD() QSIMPLEQ_REMOVE_HEAD_RCU(&list, link)
#define L_EMPTY() QSIMPLEQ_EMPTY(&list)
#define HAVE_INSERT_TAIL 1
#define HAVE_REMOVE_HEAD 1
#elif QS_TEST_LIST_KIND == 3
#define KIND "qtailq"
/* No initializer: QEMU code relies on a zeroed tail queue head working
 * for inserts, so this one starts zeroed and is never QTAILQ_INIT-ed. */
static QTAILQ_HEAD(, elem) list;
#define L_EMPTY_RCU() QTAILQ_EMPTY_RCU(&list)
#define L_FIRST_RCU() QTAILQ_FIRST_RCU(&list)
#define L_NEXT_RCU(e) QTAILQ_NEXT_RCU(e, link)
#define L_FOREACH_RCU(v) QTAILQ_FOREACH_RCU(v, &list, link)
#define L_FOREACH_SAFE_RCU(v, n) QTAILQ_FOREACH_SAFE_RCU(v, &list, link, n)
#define L_INSERT_HEAD(e) QTAILQ_INSERT_HEAD_RCU(&list, e, link)
#define L_INSERT_TAIL(e) QTAILQ_INSERT_TAIL_RCU(&list, e, link)
#define L_INSERT_AFTER(at, e) QTAILQ_INSERT_AFTER_RCU(&list, at, e, link)
#define L_INSERT_BEFORE(at, e) QTAILQ_INSERT_BEFORE_RCU(at, e, link)
#define L_REMOVE(e) QTAILQ_REMOVE_RCU(&list, e, link)
#define L_EMPTY() QTAILQ_EMPTY(&list)
#define HAVE_INSERT_TAIL 1
#define HAVE_INSERT_BEFORE 1
#elif QS_TEST_LIST_KIND == 4
#define KIND "qslist"
static QSLIST_HEAD(, elem) list = QSLIST_HEAD_INITIALIZER(list);
#define L_EMPTY_RCU() QSLIST_EMPTY_RCU(&list)
#define L_FIRST_RCU() QSLIST_FIRST_RCU(&list)
#define L_NEXT_RCU(e) QSLIST_NEXT_RCU(e, link)
#define L_FOREACH_RCU(v) QSLIST_FOREACH_RCU(v, &list, link)
#define L_FOREACH_SAFE_RCU(v, n) QSLIST_FOREACH_SAFE_RCU(v, &list, link, n)
#define L_INSERT_HEAD(e) QSLIST_INSERT_HEAD_RCU(&list, e, link)
#define L_INSERT_AFTER(at, e) QSLIST_INSERT_AFTER_RCU(&list, at, e, link)
#define L_REMOVE(e) QSLIST_REMOVE_RCU(&list, e, elem, link)
#define L_REMOVE_HEAD() QSLIST_REMOVE_HEAD_RCU(&list, link)
#define L_EMPTY() QSLIST_EMPTY(&list)
#define HAVE_REMOVE_HEAD 1
#endif

static atomic_int stop;
static atomic_int readers_ready;
static atomic_llong n_reads;      /* elements visited by readers */
static atomic_llong n_violations;
static atomic_llong n_reclaims;   /* on the RCU worker */
static long long n_inserted;      /* updater / main only */
static long long n_removed;
static int n_live;
static int next_id;

/* ------------------------------------------------------------ helpers */

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct elem *elem_new(void)
{
    struct elem *e = calloc(1, sizeof(*e));
    CHECK(e != NULL);
    e->id = next_id++;
    e->check = ~e->id;
    /* Relaxed: published later by the list macro's release store. */
    atomic_store_explicit(&e->magic, MAGIC_LIVE, memory_order_relaxed);
    n_inserted++;
    n_live++;
    return e;
}

static void elem_poison_free(struct elem *e)
{
    atomic_store_explicit(&e->magic, MAGIC_POISON, memory_order_relaxed);
    free(e);
    atomic_fetch_add(&n_reclaims, 1);
}

/* call_rcu1's callback. */
static void reclaim_head(struct rcu_head *h)
{
    elem_poison_free(QS_CONTAINER_OF(h, struct elem, rcu));
}

/* call_rcu's (typed) callback. */
static void reclaim_elem(struct elem *e)
{
    elem_poison_free(e);
}

static void reclaim(struct elem *e, uint64_t r)
{
    n_removed++;
    n_live--;
    if (r & 1) {
        call_rcu1(&e->rcu, reclaim_head);
    } else {
        call_rcu(e, reclaim_elem, rcu);
    }
}

/* A reader's check of one element. */
static void visit(struct elem *e, long long *bad)
{
    if (atomic_load_explicit(&e->magic, memory_order_relaxed) != MAGIC_LIVE ||
        e->check != ~e->id) {
        (*bad)++;
    }
}

/* ------------------------------------------------------------ readers */

static void *reader(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    long long reads = 0, bad = 0;
    rcu_register_thread();
    atomic_fetch_add(&readers_ready, 1);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        uint64_t r = xorshift(&seed);
        int walked = 0;
        rcu_read_lock();
        if (r & 1) {
            struct elem *e;
            L_FOREACH_RCU(e) {
                visit(e, &bad);
                if (++walked > MAX_WALK) {
                    bad++;
                    break;
                }
            }
        } else {
            if (r & 2) {
                rcu_read_lock(); /* nested */
            }
            /* The updater removes one element and then inserts one, so
             * the list never has fewer than LIST_LEN - 1 while readers
             * run: neither may see it empty. */
            if (L_EMPTY_RCU()) {
                bad++;
            }
            struct elem *e = L_FIRST_RCU();
            if (e == NULL) {
                bad++;
            }
            for (; e != NULL; e = L_NEXT_RCU(e)) {
                visit(e, &bad);
                if (++walked > MAX_WALK) {
                    bad++;
                    break;
                }
            }
            if (r & 2) {
                rcu_read_unlock();
            }
        }
        rcu_read_unlock();
        reads += walked;
        if ((r & 0x30) == 0) {
            sched_yield();
        }
    }
    atomic_fetch_add(&n_reads, reads);
    atomic_fetch_add(&n_violations, bad);
    rcu_unregister_thread();
    return NULL;
}

/* ------------------------------------------------ writer-side checks */

/* Every back link and tail pointer agrees with the forward links, and the
 * walk counts n_live elements. */
static void check_structure(void)
{
    int count = 0;
    struct elem *e, *prev = NULL;
    (void)prev;
#if QS_TEST_LIST_KIND == 1
    QLIST_FOREACH(e, &list, link) {
        CHECK(*e->link.le_prev == e);
        CHECK(e->link.le_prev == (prev ? &prev->link.le_next : &list.lh_first));
        prev = e;
        count++;
    }
#elif QS_TEST_LIST_KIND == 2
    QSIMPLEQ_FOREACH(e, &list, link) {
        prev = e;
        count++;
    }
    CHECK(list.sqh_last == (prev ? &prev->link.sqe_next : &list.sqh_first));
#elif QS_TEST_LIST_KIND == 3
    QTAILQ_FOREACH(e, &list, link) {
        CHECK(QTAILQ_IN_USE(e, link));
        CHECK(e->link.tqe_circ.tql_prev->tql_next == e);
        CHECK(QTAILQ_PREV(e, link) == prev);
        prev = e;
        count++;
    }
    if (prev != NULL) {
        CHECK(QTAILQ_LAST(&list) == prev);
        CHECK(list.tqh_circ.tql_prev == &prev->link.tqe_circ);
    }
#else
    struct elem *n;
    QSLIST_FOREACH_SAFE(e, &list, link, n) {
        CHECK(QSLIST_NEXT(e, link) == n);
        count++;
    }
#endif
    CHECK_EQ(count, n_live);
    CHECK_EQ(L_EMPTY(), count == 0);
}

/* ------------------------------------------------------------ updater */

static void insert_one(uint64_t *seed)
{
    struct elem *e = elem_new();
    uint64_t r = xorshift(seed);
    int at = (int)(xorshift(seed) % (uint64_t)(n_live > 1 ? n_live - 1 : 1));
    struct elem *target = NULL, *it;
    int j = 0;
    L_FOREACH_RCU(it) {
        if (j++ == at) {
            target = it;
            break;
        }
    }
    switch (r % 4) {
    case 1:
        L_INSERT_HEAD(e);
        return;
#ifdef HAVE_INSERT_TAIL
    case 2:
        L_INSERT_TAIL(e);
        return;
#endif
#ifdef HAVE_INSERT_BEFORE
    case 3:
        if (target != NULL) {
            L_INSERT_BEFORE(target, e);
            return;
        }
        break;
#endif
    default:
        break;
    }
    if (target != NULL) {
        L_INSERT_AFTER(target, e);
    } else {
        L_INSERT_HEAD(e);
    }
}

static void remove_one(uint64_t *seed)
{
    uint64_t r = xorshift(seed);
    int at = (int)(r % (uint64_t)n_live);
#ifdef HAVE_REMOVE_HEAD
    if (at == 0 && (r & 0x100)) {
        struct elem *first = L_FIRST_RCU();
        L_REMOVE_HEAD();
        reclaim(first, r >> 9);
        return;
    }
#endif
    struct elem *e, *next;
    int j = 0;
    L_FOREACH_SAFE_RCU(e, next) {
        if (j++ == at) {
            L_REMOVE(e);
#if QS_TEST_LIST_KIND == 3
            CHECK(!QTAILQ_IN_USE(e, link));
#endif
            reclaim(e, r >> 9);
            break;
        }
    }
    (void)next;
}

static double seconds;
static long long n_steps;

static void *updater(void *arg)
{
    (void)arg;
    uint64_t seed = 0x2545f4914f6cdd1dull ^ (uint64_t)time(NULL);
    double end = now_s() + seconds;
    while (now_s() < end) {
        remove_one(&seed);
        insert_one(&seed);
        synchronize_rcu();
        if (++n_steps % 32 == 0) {
            check_structure();
        }
    }
    atomic_store(&stop, 1);
    return NULL;
}

int main(void)
{
    seconds = qs_test_long() ? 20.0 : 1.0;
    const char *env = getenv("QS_QEMU_LIST_SECONDS");
    if (env != NULL) {
        seconds = atof(env);
    }

    /* The initial list, built with the head and (where there is one) the
     * tail insert, on the main thread. */
    for (int i = 0; i < LIST_LEN; i++) {
#ifdef HAVE_INSERT_TAIL
        if (i % 2) {
            struct elem *e = elem_new();
            L_INSERT_TAIL(e);
            continue;
        }
#endif
        struct elem *e = elem_new();
        L_INSERT_HEAD(e);
    }
    check_structure();

    pthread_t rd[READERS], up;
    for (uintptr_t i = 0; i < READERS; i++) {
        CHECK_OK(pthread_create(&rd[i], NULL, reader, (void *)i));
    }
    while (atomic_load(&readers_ready) < READERS) {
        sched_yield();
    }
    CHECK_OK(pthread_create(&up, NULL, updater, NULL));
    pthread_join(up, NULL);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i], NULL);
    }
    check_structure();

    /* Tear down like the QEMU test: remove everything, reclaim through
     * call_rcu, and wait for the callbacks. */
    uint64_t seed = 1;
    struct elem *e, *next;
    L_FOREACH_SAFE_RCU(e, next) {
        L_REMOVE(e);
        reclaim(e, xorshift(&seed));
    }
    (void)next;
    check_structure();
    CHECK(L_EMPTY_RCU());
    CHECK(L_FIRST_RCU() == NULL);
    drain_call_rcu();

    printf("qemu_list_%s: %.1f s, %d readers, %lld steps, %lld elements read, "
           "%lld removed, %lld reclaimed, %lld violations\n",
           KIND, seconds, READERS, n_steps, (long long)atomic_load(&n_reads),
           n_removed, (long long)atomic_load(&n_reclaims),
           (long long)atomic_load(&n_violations));
    CHECK_EQ(atomic_load(&n_violations), 0);
    CHECK(n_steps > 0);
    CHECK(atomic_load(&n_reads) > 0);
    CHECK_EQ(n_removed, atomic_load(&n_reclaims));
    CHECK_EQ(n_removed, n_inserted);
    return 0;
}
