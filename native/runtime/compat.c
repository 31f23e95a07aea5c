/*
 * Support for <quiesce/qemu_compat.h>: the per-thread reader of the
 * default domain, the abort path of QEMU's void functions, and QEMU's
 * atfork nesting count (consulted by fork.c).
 *
 * A pthread key's destructor unregisters a thread that exits still
 * registered.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quiesce/qemu_compat.h>

#include "compat.h"

_Thread_local qs_reader *qs_compat_reader;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

static void on_thread_exit(void *p)
{
    /* A thread that exits inside a section stays registered (and blocks
     * every later GP): that is the caller's bug, as in QEMU. */
    (void)qs_reader_free(p);
}

static void key_init(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

int qs_compat_register_thread(void)
{
    if (qs_compat_reader != NULL) {
        return 0;
    }
    qs_domain *dom = qs_domain_default();
    if (dom == NULL) {
        return -ENOMEM;
    }
    qs_reader *r;
    int rc = qs_reader_new(dom, &r);
    if (rc != 0) {
        return rc;
    }
    pthread_once(&key_once, key_init);
    pthread_setspecific(exit_key, r);
    qs_compat_reader = r;
    return 0;
}

int qs_compat_unregister_thread(void)
{
    qs_reader *r = qs_compat_reader;
    if (r == NULL) {
        return 0;
    }
    int rc = qs_reader_free(r);
    if (rc != 0) {
        return rc;
    }
    qs_compat_reader = NULL;
    pthread_setspecific(exit_key, NULL);
    return 0;
}

qs_reader *qs_compat_reader_slow(void)
{
    int rc = qs_compat_register_thread();
    if (rc != 0) {
        qs_compat_fail("cannot register an RCU reader", rc);
    }
    return qs_compat_reader;
}

void qs_compat_fail(const char *what, int rc)
{
    fprintf(stderr, "libquiesce: %s: %s\n", what, strerror(-rc));
    abort();
}

/* ------------------------------------------------------------ atfork */

/* QEMU's count: fork handling of the default domain is on while >= 1. */
static atomic_int atfork_depth = 1;
/* The default domain, recorded by the first adjustment (so that fork.c
 * never has to create it inside an atfork handler). Set before the
 * release decrement below, read after an acquire load of the depth. */
static qs_domain *_Atomic atfork_domain;

void qs_compat_atfork_adjust(int delta)
{
    if (atomic_load_explicit(&atfork_domain, memory_order_relaxed) == NULL) {
        atomic_store_explicit(&atfork_domain, qs_domain_default(), memory_order_relaxed);
    }
    /* Release: orders the atfork_domain store before the new depth, for
     * qs_compat_fork_skips' acquire load. */
    atomic_fetch_add_explicit(&atfork_depth, delta, memory_order_release);
}

int qs_compat_fork_skips(const qs_domain *dom)
{
    /* Acquire: pairs with the release in qs_compat_atfork_adjust, so a
     * depth below 1 comes with atfork_domain set. */
    if (atomic_load_explicit(&atfork_depth, memory_order_acquire) >= 1) {
        return 0;
    }
    return dom != NULL &&
           dom == atomic_load_explicit(&atfork_domain, memory_order_relaxed);
}
