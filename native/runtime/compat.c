/*
 * Support for <quiesce/qemu-rcu.h>: the per-thread reader of the default
 * domain. A pthread key's destructor unregisters a thread that exits
 * still registered.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <quiesce/qemu-rcu.h>

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
        fprintf(stderr, "libquiesce: cannot register an RCU reader: %d\n", rc);
        abort();
    }
    return qs_compat_reader;
}
