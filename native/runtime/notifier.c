/*
 * Force notifiers: a reader's list of callbacks that a grace period fires
 * when it enters the force-quiescent state (or, under LEGACY, during a
 * drain) while that reader still holds it.
 */
#define _GNU_SOURCE
#include "domain_impl.h"

/* ---------------------------------------------------------- notifiers */

int qs_notifier_add(qs_reader *r, qs_notifier *n)
{
    if (r == NULL || n == NULL || n->fn == NULL) {
        return -EINVAL;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    pthread_mutex_lock(&dom->registry_mutex);
    for (qs_notifier *it = rt->notifiers; it != NULL; it = it->next) {
        if (it == n) {
            pthread_mutex_unlock(&dom->registry_mutex);
            return -EEXIST;
        }
    }
    n->next = rt->notifiers;
    rt->notifiers = n;
    pthread_mutex_unlock(&dom->registry_mutex);
    return 0;
}

int qs_notifier_remove(qs_reader *r, qs_notifier *n)
{
    if (r == NULL || n == NULL) {
        return -ENOENT;
    }
    qs_domain *dom = r->domain;
    qs_reader_rt *rt = r->runtime;
    int rc = -ENOENT;
    pthread_mutex_lock(&dom->registry_mutex);
    for (qs_notifier **pp = &rt->notifiers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&dom->registry_mutex);
    return rc;
}

/* Fire one reader's force notifiers. On the writer's thread, with
 * sync_mutex and registry_mutex held. */
void qs_rt_notify_reader(qs_domain *dom, qs_reader_rt *rt)
{
    qs_notifier *n = rt->notifiers;
    while (n != NULL) {
        qs_notifier *next = n->next;
        n->fn(&rt->pub, n->opaque);
        stat_add(&dom->st.notifier_calls, 1);
        rt->gp_kicks++; /* registry_mutex held: see stall reports */
        n = next;
    }
}
