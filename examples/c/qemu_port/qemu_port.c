/*
 * Porting a QEMU RCU user to libquiesce: this file is written the way
 * QEMU code is (QLIST of listeners published under RCU, vCPU-like readers
 * in RCU_READ_LOCK_GUARD sections, removal reclaimed with g_free_rcu or
 * call_rcu). The port is the include line: QEMU's
 *
 *     #include "qemu/rcu.h"
 *     #include "qemu/rcu_queue.h"
 *
 * becomes <quiesce/qemu_compat.h>, and the program links with -lquiesce.
 * Built and run by ctest (test example_qemu_port).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <quiesce/qemu_compat.h>

typedef struct Listener {
    struct rcu_head rcu; /* first: g_free_rcu and call_rcu need it there */
    int priority;
    atomic_long *hits;
    QLIST_ENTRY(Listener) link;
} Listener;

static QLIST_HEAD(, Listener) listeners = QLIST_HEAD_INITIALIZER(listeners);
static pthread_mutex_t listeners_lock = PTHREAD_MUTEX_INITIALIZER; /* writers */
static atomic_long hits[4];
static atomic_int stop;
static atomic_int freed_by_call_rcu;

static void listener_add(int priority)
{
    Listener *l = calloc(1, sizeof(*l));
    l->priority = priority;
    l->hits = &hits[priority % 4];
    pthread_mutex_lock(&listeners_lock);
    QLIST_INSERT_HEAD_RCU(&listeners, l, link);
    pthread_mutex_unlock(&listeners_lock);
}

static void listener_free(Listener *l)
{
    atomic_fetch_add(&freed_by_call_rcu, 1);
    free(l);
}

/* Unlink the first listener; readers may still be walking over it. */
static int listener_del_first(int use_call_rcu)
{
    pthread_mutex_lock(&listeners_lock);
    Listener *l = QLIST_FIRST(&listeners);
    if (l != NULL) {
        QLIST_REMOVE_RCU(l, link);
    }
    pthread_mutex_unlock(&listeners_lock);
    if (l == NULL) {
        return 0;
    }
    if (use_call_rcu) {
        call_rcu(l, listener_free, rcu); /* listener_free(l) after a GP */
    } else {
        g_free_rcu(l, rcu);              /* free(l) after a GP */
    }
    return 1;
}

/* The read side: no lock, no allocation, runs concurrently with writers. */
static long notify_listeners(void)
{
    RCU_READ_LOCK_GUARD();
    long n = 0;
    Listener *l;
    QLIST_FOREACH_RCU(l, &listeners, link) {
        atomic_fetch_add_explicit(l->hits, 1, memory_order_relaxed);
        n++;
    }
    return n;
}

static void *vcpu_thread(void *arg)
{
    long *events = arg;
    rcu_register_thread();
    while (!atomic_load(&stop)) {
        *events += notify_listeners();
    }
    rcu_unregister_thread();
    return NULL;
}

int main(void)
{
    for (int i = 0; i < 8; i++) {
        listener_add(i);
    }
    pthread_t vcpu[2];
    long events[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        pthread_create(&vcpu[i], NULL, vcpu_thread, &events[i]);
    }
    int removed = 0;
    for (int round = 0; round < 2000; round++) {
        removed += listener_del_first(round % 2);
        listener_add(round);
        if (round % 100 == 0) {
            synchronize_rcu();
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) {
        pthread_join(vcpu[i], NULL);
    }
    while (listener_del_first(1)) {
        removed++;
    }
    drain_call_rcu(); /* every g_free_rcu / call_rcu above has run */
    printf("qemu_port: %ld listener calls, %d listeners removed, %d freed by call_rcu\n",
           events[0] + events[1], removed, atomic_load(&freed_by_call_rcu));
    /* round % 2 == 1 used call_rcu (1000 of them), plus the 8 at the end. */
    return (removed == 2008 && atomic_load(&freed_by_call_rcu) == 1008) ? 0 : 1;
}
