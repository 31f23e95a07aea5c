/*
 * The domain and reader records as the runtime sees them, the small
 * helpers every runtime file uses, and the hidden functions through which
 * the runtime's files call each other:
 *
 *   domain.c    configuration, domain lifecycle (new, default, shutdown,
 *               free), stats, the per-domain fork handlers
 *   registry.c  the reader registry: register, retire, free, self lookup,
 *               the out-of-line read side and its slow path
 *   notifier.c  force notifiers: add, remove, fire
 *   gp_wait.c   the grace period: writer barriers, wait_for_readers,
 *               GP sharing between callers, synchronize
 *   worker.c    the call worker, call, drain and force
 *   fork.c      the process-wide atfork handlers over all live domains
 *   retire.c    qs_retire: the pending-address set and the free callback,
 *               the qs_mem allocator pair, the out-of-line pointer twins
 */
#ifndef QUIESCE_RUNTIME_DOMAIN_IMPL_H
#define QUIESCE_RUNTIME_DOMAIN_IMPL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/domain.h>
#include <quiesce/engine.h>
#include <quiesce/read.h> /* QS_ATOMIC_U64/U32, the reader record */
#include <quiesce/retire.h>

#include "event.h"
#include "internal.h"
#include "queue.h"

/* A circular doubly linked list link; the list head is a sentinel link. */
typedef struct qs_link {
    struct qs_link *prev;
    struct qs_link *next;
} qs_link;

/*
 * A reader as allocated: the public record first (so its hot fields, ctr
 * and waiting, share the first cache line with nothing else), then the
 * runtime's bookkeeping on the next line.
 */
typedef struct qs_reader_rt {
    qs_reader pub;
    /* All below: guarded by the domain's registry_mutex. */
    _Alignas(QS_CACHE_LINE) qs_link reg;   /* in dom->registry */
    qs_link chk;                           /* in dom->to_check while in_check */
    int in_check;
    pthread_t owner;                       /* the registering thread */
    qs_notifier *notifiers;                /* force notifiers, newest first */
    atomic_int retired;                    /* qs_reader_retire ran: unlinked, memory kept */
    int64_t tid;                           /* owner's kernel thread id (set once) */
    /* Stall reports (stall.c); the GP writer's, under registry_mutex: */
    uint64_t sec_ctr;                      /* ctr of the section last seen blocking a GP */
    uint64_t sec_seen_ns;                  /* when a GP first saw that section blocking */
    uint32_t gp_kicks;                     /* notifier calls during the current GP */
} qs_reader_rt;

/* A GP's stall watch (stall.c), on the writer's stack. */
typedef struct qs_stall_watch {
    uint64_t gp;          /* the GP's number */
    uint64_t t0;          /* CLOCK_MONOTONIC ns at the gp_ctr advance */
    uint64_t timeout_ns;  /* 0: off */
    uint32_t reported;    /* reports made for this GP (0..2) */
} qs_stall_watch;

/* Counters. Every field is updated with relaxed atomic adds (or stores by
 * the single writer) and read one by one by qs_stats_get; a snapshot is
 * not atomic across fields. */
typedef struct qs_stats_counters {
    _Atomic uint64_t gps;
    _Atomic uint64_t gps_fqs;
    _Atomic uint64_t fqs_by_cause[QS_FQS_CAUSES];
    _Atomic uint64_t polls;
    _Atomic uint64_t notifier_calls;
    _Atomic uint64_t callbacks_run;  /* worker only */
    _Atomic uint64_t drains;
    _Atomic uint64_t forces;
    _Atomic uint64_t syncs;
    _Atomic uint64_t gp_lat_max_ns;
    _Atomic uint64_t gp_lat_sum_ns;
    _Atomic uint64_t gp_lat_hist[64];
    _Atomic uint64_t retired_freed;        /* worker only */
    _Atomic uint64_t retired_freed_bytes;  /* worker only */
    _Atomic uint64_t gps_no_readers;
    _Atomic uint64_t stalls;
} qs_stats_counters;

/* retire.c: one node per qs_retire, queued as a callback and linked in
 * the pending set's bucket chain until the worker frees it. */
typedef struct qs_retire_node {
    qs_head head;                 /* first: queued through qs_call */
    void *ptr;
    qs_free_fn free_fn;
    size_t bytes;
    struct qs_retire_node *next;  /* bucket chain; retire_mutex */
} qs_retire_node;

/* retire.c: the addresses waiting to be freed, a chained hash set
 * (load factor <= 1, doubled as it fills; never shrinks). All fields under
 * `mutex`, a leaf (nothing else is taken while it is held). */
typedef struct qs_retire_set {
    pthread_mutex_t mutex;
    qs_retire_node **buckets;     /* NULL until the first qs_retire */
    unsigned shift;               /* 64 - log2(number of buckets) */
    size_t count;                 /* = stats retired_pending */
    uint64_t bytes;               /* = stats retired_pending_bytes */
    qs_retire_node *pool;         /* freed nodes for reuse (linked by next) */
    size_t pool_len;              /* at most QS_RETIRE_POOL_MAX */
} qs_retire_set;

#define QS_RETIRE_POOL_MAX 4096

enum qs_worker_run {
    QS_WORKER_STOPPED = 0, /* no thread (never started, joined, or fork child) */
    QS_WORKER_RUNNING = 1
};

struct qs_domain {
    /* The grace-period counter, alone on its cache line: every reader
     * loads it on its outermost lock; the writer stores it once per GP,
     * under registry_mutex. Accessed atomically (QS_ATOMIC_U64). */
    _Alignas(QS_CACHE_LINE) uint64_t gp_ctr;

    /* Fixed at creation. */
    _Alignas(QS_CACHE_LINE) qs_domain_config cfg;
    int32_t fence_mode; /* qs_fence_mode readers of this domain use */

    /*
     * Mutexes. Nesting order, outermost first:
     *     fork.c domains_lock -> sync_mutex -> gp_lock -> registry_mutex
     *                                                  -> worker_mutex
     *                                                  -> retire.mutex
     *                                                  -> stall_mutex
     * In normal operation at most sync_mutex + registry_mutex are held
     * together (by the GP writer), or sync_mutex + stall_mutex (while a
     * stall handler runs); gp_lock, worker_mutex, retire.mutex and
     * stall_mutex are leaves,
     * and only the fork handlers take all of them, in this order.
     * Callbacks run with no mutex held; force notifiers run with
     * sync_mutex and registry_mutex held, which is why they must not call
     * into a domain.
     */
    pthread_mutex_t sync_mutex;     /* held while a GP executes; gp */
    pthread_mutex_t gp_lock;        /* GP sharing: gp_started, gp_completed,
                                       gp_running, expedite_waiters,
                                       gp_wanted */
    pthread_cond_t gp_cond;         /* with gp_lock: a GP completed */
    pthread_mutex_t registry_mutex; /* registry, to_check, nreaders, notifier
                                       lists, slow_unlocks_gone */
    pthread_mutex_t worker_mutex;   /* worker_state, worker_thread */
    pthread_mutex_t stall_mutex;    /* stall_fn, stall_opaque; held while the
                                       handler runs (a leaf: the writer takes
                                       it after dropping registry_mutex) */
    qs_stall_handler stall_fn;      /* NULL: the default printer */
    void *stall_opaque;

    /* registry_mutex */
    qs_link registry;       /* every registered reader (qs_reader_rt.reg) */
    qs_link to_check;       /* readers the running GP still waits for */
    uint32_t nreaders;
    uint64_t slow_unlocks_gone; /* slow_unlocks of readers already freed */

    /* sync_mutex */
    qs_gp gp;               /* the writer machine (engine/gp.c) */

    /* gp_lock. GP numbers wrap modulo 2^64: compare them only with
     * qs_gp_seq_done (engine/gp.c). */
    uint64_t gp_started;    /* number of the last GP claimed (from 1) */
    uint64_t gp_completed;  /* number of the last GP completed */
    uint64_t gp_wanted;     /* latest qs_start_poll cookie: the worker runs
                               a GP while it is not done */
    int gp_running;         /* a claimed GP has not completed yet */
    uint32_t expedite_waiters; /* expedited callers waiting for a GP */

    qs_event gp_event;      /* set by a reader's slow-path unlock (and by
                               drain); the writer blocks on it in
                               FORCED/LEGACY state */
    qs_event wake_event;    /* set by force() and drain(): cuts a
                               normal-state poll sleep short */
    qs_event work_event;    /* set by call() and by shutdown: the worker
                               waits on it for work */

    qs_queue queue;

    /* Written by every qs_call (producers' cache line). */
    _Alignas(QS_CACHE_LINE) _Atomic uint32_t pending; /* pushed, and not yet
                                   run by the worker (it subtracts each batch
                                   after invoking it) */
    _Atomic uint64_t callbacks_queued;

    _Alignas(QS_CACHE_LINE) _Atomic uint32_t draining; /* drains in progress */
    /* force() requests, as a count: force() adds one; the worker stores
     * into force_answered the count it read before taking the batch whose
     * GP just ended. A GP is forced while they differ. (A count, not a
     * flag: a force() that lands while the worker's GP runs must still
     * force the next GP, which may cover the forcing caller's callback.) */
    _Atomic uint64_t force_requests;
    _Atomic uint64_t force_answered;
    atomic_int expedite_now;    /* an expedited caller waits for the
                                   running GP: expedite it */
    /* Token callbacks (qs_domain_set_batch_fn): set once, before any
     * qs_call_token; the worker reads them after popping a token head,
     * which the producer pushed after the set (release/acquire on
     * batch_fn). */
    _Atomic(qs_batch_fn) batch_fn;
    void *batch_opaque;
    atomic_int closing;         /* qs_domain_free began: call() fails */
    int shut_down;              /* qs_domain_shutdown finished (caller's thread only) */
    atomic_int worker_started;  /* fast check for qs_call (release/acquire) */
    atomic_int worker_stop;     /* asks the worker to exit when idle */

    /* worker_mutex */
    int worker_state;           /* enum qs_worker_run */
    pthread_t worker_thread;

    qs_stats_counters st;

    /* retire.c (its own mutex; apart from the producers' line) */
    _Alignas(QS_CACHE_LINE) qs_retire_set retire;
    /* observe.c: the installed observer (atomic pointer to an immutable
     * copy, NULL: none) and the copies it replaced (worker_mutex). */
    _Atomic(struct qs_obs_node *) observer;
    struct qs_obs_node *observer_retired;
    uint32_t gp_readers_waited; /* sync_mutex: the running GP's first-scan count */
    uint64_t gp_fqs_ns;         /* sync_mutex: when the running GP entered FQS */

    /* fork.c domains_lock */
    struct qs_domain *fork_prev;
    struct qs_domain *fork_next;
};

/* ------------------------------------------------------------ helpers */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep `ns` on CLOCK_MONOTONIC, not interruptible by any event. */
static inline void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

static inline void *alloc_lines(size_t size)
{
    size_t rounded = (size + QS_CACHE_LINE - 1) / QS_CACHE_LINE * QS_CACHE_LINE;
    void *p = aligned_alloc(QS_CACHE_LINE, rounded);
    if (p != NULL) {
        memset(p, 0, rounded);
    }
    return p;
}

static inline void link_init(qs_link *head)
{
    head->prev = head;
    head->next = head;
}

static inline void link_add_tail(qs_link *head, qs_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static inline void link_del(qs_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l;
    l->next = l;
}

#define READER_OF_REG(l) QS_RT_CONTAINER(l, qs_reader_rt, reg)
#define READER_OF_CHK(l) QS_RT_CONTAINER(l, qs_reader_rt, chk)

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t stat_read(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

#define READER_OF_REG(l) QS_RT_CONTAINER(l, qs_reader_rt, reg)
#define READER_OF_CHK(l) QS_RT_CONTAINER(l, qs_reader_rt, chk)

/* ------------------------------------------- calls between runtime files */

/* registry.c. The calling thread's reader of `dom`, or NULL; caller holds
 * registry_mutex. */
QS_INTERNAL qs_reader_rt *qs_rt_find_reader(qs_domain *dom, pthread_t thread);
/* registry.c. 1 if the calling thread is inside a section of `dom`. */
QS_INTERNAL int qs_rt_self_in_section(qs_domain *dom);
/* registry.c. Unlink and free a reader; caller holds registry_mutex. */
QS_INTERNAL void qs_rt_reader_drop(qs_domain *dom, qs_reader_rt *rt);

/* notifier.c. Fire one reader's force notifiers (writer's thread,
 * sync_mutex and registry_mutex held). */
QS_INTERNAL void qs_rt_notify_reader(qs_domain *dom, qs_reader_rt *rt);

/* gp_wait.c. Wait for a full GP that starts after this call, sharing GPs
 * with concurrent callers. */
QS_INTERNAL void qs_rt_gp_run(qs_domain *dom, int expedited);
/* gp_wait.c. 1 while a qs_start_poll cookie is not done (takes gp_lock). */
QS_INTERNAL int qs_rt_gp_wanted(qs_domain *dom);

/* stall.c. Start watching a GP whose gp_ctr advanced at t0 (ns). */
QS_INTERNAL void qs_rt_stall_begin(qs_domain *dom, qs_stall_watch *w, uint64_t gp, uint64_t t0);
/* stall.c. Before the writer sleeps or blocks, with registry_mutex held
 * and to_check holding the readers that still block the GP: report if a
 * deadline passed (dropping and retaking registry_mutex around the
 * handler). Returns the ns until the next deadline, 0 if none is left
 * (off, or both reports made). */
QS_INTERNAL uint64_t qs_rt_stall_check(qs_domain *dom, qs_stall_watch *w);

/* worker.c. The domain whose worker runs on this thread (NULL elsewhere). */
extern QS_INTERNAL _Thread_local qs_domain *qs_rt_worker_dom;
/* worker.c. Start the worker if it is not running: 0 or -EAGAIN. */
QS_INTERNAL int qs_rt_worker_ensure(qs_domain *dom);
/* worker.c. Queue a drain marker and wait for it (worker running). */
QS_INTERNAL void qs_rt_drain_run(qs_domain *dom);
/* worker.c. The drain marker's callback (fork.c's queue repair finds
 * markers by it). */
QS_INTERNAL void qs_rt_drain_marker_run(qs_head *head);

/* retire.c: set up / tear down the pending set (after the worker was
 * joined: frees nodes a fork left behind), fill the retire stats, and
 * the fork handlers' lock (prepare) and unlock (parent and child). */
QS_INTERNAL void qs_rt_retire_init(qs_domain *dom);
QS_INTERNAL void qs_rt_retire_destroy(qs_domain *dom);
QS_INTERNAL void qs_rt_retire_stats(qs_domain *dom, qs_stats *out);
QS_INTERNAL void qs_rt_retire_lock(qs_domain *dom);
QS_INTERNAL void qs_rt_retire_unlock(qs_domain *dom);
/* observe.c. The hooks test qs_rt_observing first (one relaxed load: an
 * observer installed concurrently may be missed for one event) and call
 * the rest only when it is true. qs_rt_gp_fill fills a GP record (caller:
 * the GP writer, sync_mutex held) and returns 1; qs_rt_observe_* call the
 * observer with no domain mutex held; qs_rt_observer_release frees every
 * copy (qs_domain_free). */
typedef struct qs_obs_node qs_obs_node;
static inline int qs_rt_observing(qs_domain *dom)
{
    return atomic_load_explicit(&dom->observer, memory_order_relaxed) != NULL;
}
QS_INTERNAL int qs_rt_gp_fill(qs_domain *dom, qs_gp_record *rec, uint64_t t0, uint64_t t1,
                              int expedited, uint64_t notifier_calls_before, int waited);
QS_INTERNAL void qs_rt_observe_gp_end(qs_domain *dom, const qs_gp_record *rec);
QS_INTERNAL void qs_rt_observe_batch(qs_domain *dom, uint32_t count, uint64_t t0);
QS_INTERNAL void qs_rt_observe_force(qs_domain *dom);
QS_INTERNAL void qs_rt_observer_release(qs_domain *dom);

/* fork.c: keep the list of live domains the atfork handlers walk. */
QS_INTERNAL void qs_fork_track(qs_domain *dom);
QS_INTERNAL void qs_fork_untrack(qs_domain *dom);

/* domain.c: the per-domain halves of the atfork handlers. */
QS_INTERNAL void qs_domain_fork_prepare(qs_domain *dom);
QS_INTERNAL void qs_domain_fork_parent(qs_domain *dom);
QS_INTERNAL void qs_domain_fork_child(qs_domain *dom);

#endif /* QUIESCE_RUNTIME_DOMAIN_IMPL_H */
