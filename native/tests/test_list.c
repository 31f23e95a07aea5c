/*
 * list: the RCU list macros. Single-threaded checks of every operation's
 * result (order after insert head/after/tail and remove, FOREACH_SAFE
 * removal of everything), then a concurrent run: reader threads walk the
 * doubly linked list inside read sections while a writer inserts and
 * removes elements and reclaims them after qs_synchronize; readers must
 * only ever see live elements (poisoned ones are a violation) in
 * ascending key order (the writer keeps the list sorted).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <quiesce/quiesce.h>

#include "check.h"

#define LIVE 0x11u
#define DEAD 0xdeu

typedef struct sitem {
    int key;
    QS_SLIST_ENTRY(sitem) link;
} sitem;
QS_SLIST_HEAD(slist, sitem);

typedef struct ditem {
    int key;
    atomic_uint state;
    QS_LIST_ENTRY(ditem) link;
} ditem;
QS_LIST_HEAD(dlist, ditem);

static void expect_s(struct slist *h, const int *keys, int n)
{
    int i = 0;
    sitem *it;
    QS_SLIST_FOREACH_RCU(it, h, link) {
        CHECK(i < n);
        CHECK_EQ(it->key, keys[i]);
        i++;
    }
    CHECK_EQ(i, n);
}

static void expect_d(struct dlist *h, const int *keys, int n)
{
    int i = 0;
    ditem *it;
    QS_LIST_FOREACH_RCU(it, h, link) {
        CHECK(i < n);
        CHECK_EQ(it->key, keys[i]);
        i++;
    }
    CHECK_EQ(i, n);
    /* Backward links and the tail pointer agree with the forward walk. */
    ditem **pp = &h->first;
    QS_LIST_FOREACH_RCU(it, h, link) {
        CHECK(it->link.prev == pp);
        pp = &it->link.next;
    }
    CHECK(h->last == pp);
}

static void single_threaded(void)
{
    sitem s[5];
    for (int i = 0; i < 5; i++) {
        s[i].key = i;
    }
    struct slist sh = QS_SLIST_HEAD_INITIALIZER(sh);
    CHECK(QS_SLIST_EMPTY_RCU(&sh));
    QS_SLIST_INSERT_HEAD_RCU(&sh, &s[1], link);          /* 1 */
    QS_SLIST_INSERT_HEAD_RCU(&sh, &s[0], link);          /* 0 1 */
    QS_SLIST_INSERT_TAIL_RCU(&sh, &s[3], link);          /* 0 1 3 */
    QS_SLIST_INSERT_AFTER_RCU(&s[1], &s[2], link);       /* 0 1 2 3 */
    QS_SLIST_INSERT_TAIL_RCU(&sh, &s[4], link);          /* 0 1 2 3 4 */
    expect_s(&sh, (int[]){0, 1, 2, 3, 4}, 5);
    QS_SLIST_REMOVE_RCU(&sh, &s[0], link);
    QS_SLIST_REMOVE_RCU(&sh, &s[2], link);
    QS_SLIST_REMOVE_RCU(&sh, &s[4], link);
    expect_s(&sh, (int[]){1, 3}, 2);
    CHECK(QS_SLIST_FIRST_RCU(&sh) == &s[1]);
    CHECK(QS_SLIST_NEXT_RCU(&s[1], link) == &s[3]);
    sitem *it, *tmp;
    QS_SLIST_FOREACH_SAFE(it, &sh, link, tmp) {
        QS_SLIST_REMOVE_RCU(&sh, it, link);
    }
    CHECK(QS_SLIST_EMPTY_RCU(&sh));

    ditem d[6];
    for (int i = 0; i < 6; i++) {
        d[i].key = i;
    }
    struct dlist dh = QS_LIST_HEAD_INITIALIZER(dh);
    CHECK(QS_LIST_EMPTY_RCU(&dh));
    QS_LIST_INSERT_TAIL_RCU(&dh, &d[2], link);           /* 2 */
    QS_LIST_INSERT_HEAD_RCU(&dh, &d[0], link);           /* 0 2 */
    QS_LIST_INSERT_AFTER_RCU(&dh, &d[0], &d[1], link);   /* 0 1 2 */
    QS_LIST_INSERT_AFTER_RCU(&dh, &d[2], &d[3], link);   /* 0 1 2 3 */
    QS_LIST_INSERT_TAIL_RCU(&dh, &d[5], link);           /* 0 1 2 3 5 */
    QS_LIST_INSERT_AFTER_RCU(&dh, &d[3], &d[4], link);   /* 0 1 2 3 4 5 */
    expect_d(&dh, (int[]){0, 1, 2, 3, 4, 5}, 6);
    QS_LIST_REMOVE_RCU(&dh, &d[5], link);                /* tail */
    QS_LIST_REMOVE_RCU(&dh, &d[0], link);                /* head */
    QS_LIST_REMOVE_RCU(&dh, &d[2], link);                /* middle */
    expect_d(&dh, (int[]){1, 3, 4}, 3);
    /* A removed element keeps its forward link for readers on it. */
    CHECK(d[2].link.next == &d[3]);
    QS_LIST_INSERT_TAIL_RCU(&dh, &d[5], link);
    expect_d(&dh, (int[]){1, 3, 4, 5}, 4);
    ditem *dt, *dtmp;
    QS_LIST_FOREACH_SAFE(dt, &dh, link, dtmp) {
        QS_LIST_REMOVE_RCU(&dh, dt, link);
    }
    CHECK(QS_LIST_EMPTY_RCU(&dh));
    CHECK(dh.last == &dh.first);
    QS_LIST_INIT(&dh);
    CHECK(dh.last == &dh.first);
}

/* ---- concurrent ---- */

#define KEYS 64
#define READERS 2

static qs_domain *dom;
static struct dlist shared = QS_LIST_HEAD_INITIALIZER(shared);
static atomic_int stop;
static atomic_long violations;
static atomic_long walks;

static void *reader_main(void *arg)
{
    (void)arg;
    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        qs_read_lock(r);
        int prev = -1;
        ditem *it;
        QS_LIST_FOREACH_RCU(it, &shared, link) {
            if (atomic_load_explicit(&it->state, memory_order_relaxed) != LIVE ||
                it->key <= prev) {
                atomic_fetch_add(&violations, 1);
            }
            prev = it->key;
        }
        qs_read_unlock(r);
        atomic_fetch_add_explicit(&walks, 1, memory_order_relaxed);
    }
    CHECK_OK(qs_reader_free(r));
    return NULL;
}

static void concurrent(void)
{
    CHECK_OK(qs_domain_new(NULL, &dom));
    ditem *slot[KEYS] = {0};
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(pthread_create(&t[i], NULL, reader_main, NULL));
    }
    while (atomic_load(&walks) < READERS) {
        sched_yield(); /* readers are walking before the writer starts */
    }
    unsigned seed = 12345;
    long ops = qs_test_long() ? 200000 : 20000;
    for (long op = 0; op < ops; op++) {
        seed = seed * 1103515245u + 12345u;
        int key = (int)((seed >> 8) % KEYS);
        if (slot[key] == NULL) {
            ditem *n = malloc(sizeof(*n));
            CHECK(n != NULL);
            n->key = key;
            atomic_init(&n->state, LIVE);
            /* Keep the list sorted: after the greatest smaller key. */
            ditem *before = NULL;
            for (int k = key - 1; k >= 0 && before == NULL; k--) {
                before = slot[k];
            }
            if (before == NULL) {
                QS_LIST_INSERT_HEAD_RCU(&shared, n, link);
            } else {
                QS_LIST_INSERT_AFTER_RCU(&shared, before, n, link);
            }
            slot[key] = n;
        } else {
            ditem *o = slot[key];
            QS_LIST_REMOVE_RCU(&shared, o, link);
            slot[key] = NULL;
            CHECK_OK(qs_synchronize(dom));
            atomic_store_explicit(&o->state, DEAD, memory_order_relaxed);
            free(o);
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
    }
    ditem *it, *tmp;
    QS_LIST_FOREACH_SAFE(it, &shared, link, tmp) {
        QS_LIST_REMOVE_RCU(&shared, it, link);
        free(it);
    }
    CHECK_EQ(atomic_load(&violations), 0);
    CHECK(atomic_load(&walks) > 0);
    CHECK_OK(qs_domain_free(dom));
    printf("list: %ld writer ops, %ld reader walks, 0 violations\n", ops,
           atomic_load(&walks));
}

int main(void)
{
    single_threaded();
    printf("list: single-threaded OK\n");
    concurrent();
    return 0;
}
