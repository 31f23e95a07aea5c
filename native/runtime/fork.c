/*
 * Fork safety. pthread_atfork handlers walk the list of live domains, the
 * one global the runtime keeps besides the default domain.
 *
 *   prepare: take domains_lock, then for each domain in list order its
 *            sync_mutex, registry_mutex and worker_mutex (the nesting
 *            order of domain_impl.h). No GP is in progress at the fork.
 *            Do not fork inside a read section while another thread may
 *            be synchronizing that domain: its GP waits for you and
 *            prepare waits for its GP.
 *   parent:  release everything.
 *   child:   renew the membarrier registration; in each domain drop the
 *            readers of threads that do not exist in the child (the
 *            forking thread keeps its own), forget the worker (the next
 *            call or drain starts a new one), repair the queue and
 *            release the mutexes.
 *
 * QEMU's rcu_disable_atfork() (compat.c's count) exempts the default
 * domain from all three: prepare neither takes its mutexes nor waits for
 * its GP, and the child inherits it unrepaired (it must not use it).
 * Whether it is exempt is decided once, in prepare, so that parent and
 * child release exactly what prepare took.
 */
#include <pthread.h>

#include "compat.h"
#include "domain_impl.h"
#include "membarrier.h"

/* Guards the list below; outermost in the mutex nesting order. */
static pthread_mutex_t domains_lock = PTHREAD_MUTEX_INITIALIZER;
static qs_domain *domains;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* The domain this fork leaves alone (rcu_disable_atfork), or NULL. Set in
 * prepare under domains_lock, read by the same thread in parent/child. */
static const qs_domain *fork_exempt;

static void fork_prepare(void)
{
    pthread_mutex_lock(&domains_lock);
    fork_exempt = NULL;
    for (qs_domain *d = domains; d != NULL; d = d->fork_next) {
        if (qs_compat_fork_skips(d)) {
            fork_exempt = d;
            continue;
        }
        qs_domain_fork_prepare(d);
    }
}

static void fork_parent(void)
{
    for (qs_domain *d = domains; d != NULL; d = d->fork_next) {
        if (d != fork_exempt) {
            qs_domain_fork_parent(d);
        }
    }
    pthread_mutex_unlock(&domains_lock);
}

static void fork_child(void)
{
    qs_membarrier_after_fork();
    for (qs_domain *d = domains; d != NULL; d = d->fork_next) {
        if (d != fork_exempt) {
            qs_domain_fork_child(d);
        }
    }
    pthread_mutex_unlock(&domains_lock);
}

static void atfork_install(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void qs_fork_track(qs_domain *dom)
{
    pthread_once(&atfork_once, atfork_install);
    pthread_mutex_lock(&domains_lock);
    dom->fork_prev = NULL;
    dom->fork_next = domains;
    if (domains != NULL) {
        domains->fork_prev = dom;
    }
    domains = dom;
    pthread_mutex_unlock(&domains_lock);
}

void qs_fork_untrack(qs_domain *dom)
{
    pthread_mutex_lock(&domains_lock);
    if (dom->fork_prev != NULL) {
        dom->fork_prev->fork_next = dom->fork_next;
    } else {
        domains = dom->fork_next;
    }
    if (dom->fork_next != NULL) {
        dom->fork_next->fork_prev = dom->fork_prev;
    }
    dom->fork_prev = NULL;
    dom->fork_next = NULL;
    pthread_mutex_unlock(&domains_lock);
}
