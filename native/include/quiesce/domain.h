/*
 * quiesce — the threaded RCU runtime: domains, readers, writers.
 *
 * A qs_domain owns a reader registry, a callback queue and (once the first
 * callback is queued) one worker thread that runs grace periods and invokes
 * callbacks. Create and destroy as many domains as you like; nothing runs
 * before the first call into a domain.
 *
 * Setup calls return 0 or a negative errno. Read-side fast paths return
 * void; their inline versions live in <quiesce/read.h>, and the exported
 * functions declared here are their out-of-line twins (for FFM, JNA and
 * callers that cannot inline).
 *
 * This header is read by jextract: no static inline functions and no
 * function-like macros here.
 */
#ifndef QUIESCE_DOMAIN_H
#define QUIESCE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <quiesce/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qs_domain qs_domain;

/*
 * A registered reader. Allocated by qs_reader_new, owned by one thread at a
 * time. Field groups by who writes them:
 *   - the owning thread only: depth, slow_unlocks;
 *   - the owner (lock/unlock) and read by the writer: ctr;
 *   - the writer sets, the owner clears: waiting;
 *   - set once at registration: gp_ctr, fence_mode, domain.
 * The fields the read side touches (ctr, depth, fence_mode, gp_ctr,
 * waiting) share the record's first 32 bytes, one cache line (records are
 * line-aligned). depth and fence_mode must stay adjacent, in this order:
 * the inline unlock reads both with one 8-byte load (see <quiesce/read.h>).
 * Its layout is part of the ABI (the Java FFM backend runs the read-side
 * fast path on it directly); qs_layout_* in <quiesce/layout.h> exports it.
 */
typedef struct qs_reader {
    uint64_t ctr;                  /* atomic: 0 outside, gp_ctr snapshot inside */
    uint32_t depth;                /* levels nested inside the outermost section
                                      of the C read side (0 outside and in an
                                      outermost section); owner only. "Inside a
                                      section" is ctr != 0 (bindings may count
                                      nesting elsewhere and leave this 0: the FFM
                                      backend does) */
    uint32_t fence_mode;           /* a qs_fence_mode, fixed at registration */
    const uint64_t *gp_ctr;        /* the domain's gp_ctr (atomic, read-only here) */
    uint32_t waiting;              /* atomic: non-zero = wake the writer on unlock */
    uint32_t reserved;
    uint64_t slow_unlocks;         /* atomic, owner writes: slow-path unlocks */
    qs_domain *domain;
    void *runtime;                 /* private to the runtime */
} qs_reader;

/* How the read side orders its ctr store before later loads. */
typedef enum qs_fence_mode {
    /* The writer issues membarrier(2) private-expedited: the read side
     * needs only a compiler barrier. */
    QS_FENCE_MEMBARRIER = 0,
    /* No membarrier: the read side issues a full fence. */
    QS_FENCE_FULL = 1
} qs_fence_mode;

typedef struct qs_domain_config {
    qs_params params;
    /* 1 (default): use membarrier(2) when the kernel offers it;
     * 0: always use full fences on the read side. */
    int32_t use_membarrier;
    /* The scheduler slice the call worker asks for, in microseconds:
     * 0 leaves the kernel's default; QS_WORKER_SLICE_MIN_US..
     * QS_WORKER_SLICE_MAX_US sets it with sched_setattr(2) (sched_runtime
     * of a SCHED_OTHER thread: EEVDF's custom slice, Linux 6.12+; no
     * privilege needed; older kernels ignore it). A short slice lets the
     * woken worker preempt busy threads (vCPUs) at once instead of at
     * their next tick: on 2 busy CPUs it cut the FQS+force unmap p99 from
     * ~4 ms (one 250 Hz tick) to ~0.3 ms. Default QS_DEFAULT_WORKER_SLICE_US. */
    uint32_t worker_slice_us;
    /* Stall warnings: a GP still waiting for readers this many
     * milliseconds after it began is reported once, and again at 3x
     * (then no more for that GP), through the domain's stall handler
     * (qs_set_stall_handler). 0 turns it off; at most
     * QS_STALL_TIMEOUT_MAX_MS. Default QS_DEFAULT_STALL_TIMEOUT_MS. */
    uint32_t stall_timeout_ms;
} qs_domain_config;

#define QS_DEFAULT_STALL_TIMEOUT_MS 1000u
#define QS_STALL_TIMEOUT_MAX_MS 3600000u /* one hour */

#define QS_DEFAULT_WORKER_SLICE_US 100u
#define QS_WORKER_SLICE_MIN_US 100u    /* the kernel clamps to [0.1, 100] ms */
#define QS_WORKER_SLICE_MAX_US 100000u

/* Defaults for `policy` (QEMU's 10 ms / 5 polls / 30 callbacks). */
int qs_domain_config_init(qs_domain_config *cfg, int32_t policy);

/* Create a domain. cfg may be NULL (FQS defaults). Returns 0 or
 * -EINVAL (bad config), -ENOMEM. */
int qs_domain_new(const qs_domain_config *cfg, qs_domain **out);
/* Run every queued callback, stop the worker and free the domain.
 * Returns -EBUSY (and changes nothing) while readers are registered, when
 * called from a callback running on this domain's worker, or for the
 * default domain. Must not race with other calls on `dom`. After
 * qs_domain_shutdown it only frees the memory. */
int qs_domain_free(qs_domain *dom);
/* The first half of qs_domain_free: run every queued callback and stop
 * the worker, but keep the domain's memory (its gp_ctr stays readable for
 * the owners of retired readers, see qs_reader_retire). Same return codes;
 * a second call returns 0 and does nothing. Afterwards only
 * qs_domain_free(dom) and qs_reader_free of retired readers may be called;
 * every other function on `dom` or its readers is undefined. */
int qs_domain_shutdown(qs_domain *dom);
/* The domain the QEMU-compatible names use (created on first use with
 * FQS defaults; never freed). */
qs_domain *qs_domain_default(void);
/* The effective fence mode readers of this domain use. */
int32_t qs_domain_fence_mode(const qs_domain *dom);
/* Ask for the scheduler slice worker_slice_us gives the call worker, for
 * the calling thread: for a binding's or an application's thread that must
 * run soon after it is woken while every CPU is busy (a thread waiting for
 * device responses beside busy vCPU threads), as the worker must. us is 0
 * (the kernel's default) or QS_WORKER_SLICE_MIN_US..QS_WORKER_SLICE_MAX_US.
 * Returns 0, -EINVAL (us out of range; nothing changes), -EPERM (the
 * thread is not SCHED_OTHER: left alone), -ENOSYS, or sched_setattr's
 * error. */
int qs_thread_set_slice_us(uint32_t us);

/* ---------------------------------------------------------- readers */

/* Allocate and register a reader for the calling thread. Returns 0 or
 * -ENOMEM, -EINVAL (NULL), -EEXIST (the calling thread already has a
 * reader for `dom`: a thread may hold one reader per domain). */
int qs_reader_new(qs_domain *dom, qs_reader **out);
/* Unregister and free. Returns -EBUSY inside a section (nothing changes),
 * -EINVAL for NULL. On a retired reader: frees its memory only (the
 * domain is not touched and may already be freed). */
int qs_reader_free(qs_reader *r);
/* Unregister now, free later: for bindings that run the read side on the
 * record's memory and cannot order the owner thread's last access before a
 * free (Java's FFM backend frees the memory once the garbage collector
 * proves no thread can reach it). Any thread may call it, even while the
 * owner is inside a section: that section is no longer waited for (the
 * binding must tell its owner). Afterwards writers never look at the record
 * again; the owner's stores to it are harmless, its loads of gp_ctr stay
 * valid until qs_domain_free, and its notifiers are unlinked (none is
 * running once this returns). `waiting` is left set, so the owner's next
 * outermost unlock takes the slow path, which on a retired record only
 * clears it. Returns 0, -EINVAL (NULL), -EALREADY (retired before: nothing
 * changes). Free the memory with qs_reader_free. */
int qs_reader_retire(qs_reader *r);
/* The calling thread's reader for `dom`, or NULL. */
qs_reader *qs_reader_self(qs_domain *dom);

/* Out-of-line twins of the inline read side (see <quiesce/read.h>). */
void qs_read_lock_fn(qs_reader *r);
void qs_read_unlock_fn(qs_reader *r);
/* The unlock slow path: clear `waiting`, count, wake the writer. Called by
 * the inline unlock (and by FFM code) when `waiting` was seen set. On a
 * retired reader it only clears `waiting`. */
void qs_read_unlock_slow(qs_reader *r);

/* Force notifiers: run on the writer's thread when a GP this reader blocks
 * enters the force-quiescent state (LEGACY: while draining). They must be
 * quick and must not call into the domain. */
typedef void (*qs_notify_fn)(qs_reader *r, void *opaque);
typedef struct qs_notifier {
    qs_notify_fn fn;
    void *opaque;
    struct qs_notifier *next;   /* private */
} qs_notifier;
/* Returns 0, -EINVAL (NULL or fn NULL), -EEXIST (already added). */
int qs_notifier_add(qs_reader *r, qs_notifier *n);
/* Returns 0 or -ENOENT. */
int qs_notifier_remove(qs_reader *r, qs_notifier *n);

/* ---------------------------------------------------------- writers */

/* Wait for a grace period (expedited: FQS at once under the FQS policy).
 * Concurrent callers (and the worker) share grace periods: each returns
 * after a full GP that began after its call. Returns 0, -EINVAL (NULL),
 * or -EDEADLK when the calling thread is inside a read section of `dom`
 * (nothing happens then). */
int qs_synchronize(qs_domain *dom);

/*
 * Polled grace periods (Linux's get_state_synchronize_rcu,
 * start_poll_synchronize_rcu, poll_state_synchronize_rcu,
 * cond_synchronize_rcu). A cookie (qs_gp_state, see <quiesce/engine.h>)
 * names the first GP that begins after the snapshot: once it has
 * completed, every section that was running at the snapshot has ended,
 * so memory unpublished before the snapshot may be reclaimed. Cookies are
 * GP numbers and survive the counters' wrap (the rule and its 2^63-GP
 * window are in engine.h). A cookie belongs to its domain; `dom` must not
 * be NULL (NULL: qs_get_state/qs_start_poll return 0, qs_poll_state
 * returns false, qs_cond_synchronize does nothing).
 */
/* A cookie; starts no GP. */
qs_gp_state qs_get_state(qs_domain *dom);
/* A cookie, and make sure its GP will happen without a synchronize():
 * wakes the call worker (starting it if needed), which runs a GP even
 * with no callback queued. Never blocks on a GP. If the worker cannot be
 * started (thread creation failed) the GP happens at the next
 * synchronize(), call() or start_poll instead. */
qs_gp_state qs_start_poll(qs_domain *dom);
/* true once the GP `cookie` names has completed. Takes a mutex, never
 * waits for a GP. */
bool qs_poll_state(qs_domain *dom, qs_gp_state cookie);
/* Return at once if qs_poll_state(dom, cookie); otherwise wait (like
 * qs_synchronize: expedited, sharing GPs with other callers) until that
 * GP has completed, and count it in stats.syncs. A cookie newer than any
 * this domain handed out waits for one full GP. Called inside a read
 * section of `dom` with a cookie not yet done it would wait for itself:
 * it prints a diagnostic to stderr and aborts. */
void qs_cond_synchronize(qs_domain *dom, qs_gp_state cookie);

/* An intrusive callback head, embedded in the object to reclaim. */
typedef struct qs_head qs_head;
typedef void (*qs_cb_fn)(qs_head *head);
struct qs_head {
    qs_head *next;   /* private: queue link (atomic) */
    qs_cb_fn fn;
};

/* Queue `fn(head)` to run once after a grace period, on the worker, in
 * FIFO order. Wait-free for the caller except the first call, which
 * starts the worker. Returns 0 or -EINVAL (NULL), -EAGAIN (the worker
 * could not be started; nothing was queued), -ESHUTDOWN (domain being
 * freed). */
int qs_call(qs_domain *dom, qs_head *head, qs_cb_fn fn);
/*
 * Token callbacks, for bindings whose callbacks live outside C (the Java
 * FFM backend): instead of one upcall per callback, the worker hands the
 * binding the tokens of every token callback that is due, in one call per
 * run of consecutive token callbacks.
 *
 * qs_domain_set_batch_fn installs the domain's batch function once (and
 * starts the worker, so that qs_call_token never has to). The worker
 * calls fn(opaque, tokens, n) with n >= 1 tokens, in queue order, after
 * the grace period that covers them; tokens[] is valid only during the
 * call. A run of token callbacks is delivered before the next ordinary
 * callback runs (FIFO holds across both kinds, so qs_drain covers tokens
 * too), in chunks of at most QS_TOKEN_CHUNK. Returns 0, -EINVAL (NULL),
 * -EEXIST (already set), -EAGAIN (the worker could not be started).
 */
#define QS_TOKEN_CHUNK 256
typedef void (*qs_batch_fn)(void *opaque, const uint64_t *tokens, uint32_t n);
int qs_domain_set_batch_fn(qs_domain *dom, qs_batch_fn fn, void *opaque);
/* Queue `token` to be delivered to the batch function once after a grace
 * period, like qs_call (the library allocates the head). Never blocks
 * beyond malloc. Returns 0, -EINVAL (NULL dom, or no batch function set),
 * -ENOMEM, -ESHUTDOWN (domain being freed); nothing is queued on error. */
int qs_call_token(qs_domain *dom, uint64_t token);
/* Return once every callback queued before this call has run. Returns 0,
 * -EDEADLK (called inside a read section of dom, or from the worker),
 * -EAGAIN (the worker could not be started). */
int qs_drain(qs_domain *dom);
/* Ask the current (or next) GP to enter FQS and wake the worker. */
void qs_force(qs_domain *dom);

/* ---------------------------------------------------------- observer */

/*
 * A GP observer: the writer-side events of one domain, delivered as they
 * happen, for tracing and profiling (the Java binding turns them into JFR
 * events). Nothing on the read side changes; with no observer installed a
 * GP, a callback batch and a force() each cost one relaxed load and a
 * branch more.
 */

/* One grace period, as it ended. */
typedef struct qs_gp_record {
    uint64_t number;          /* the GP's number (1, 2, ... in start order) */
    uint64_t start_ns;        /* CLOCK_MONOTONIC when it began (ns) */
    uint64_t duration_ns;     /* from its start to its end */
    int32_t policy;           /* the domain's qs_policy */
    int32_t fqs;              /* 1 if it entered the force-quiescent state */
    int32_t cause;            /* the qs_fqs_cause (QS_FQS_NONE unless fqs) */
    uint32_t readers_waited;  /* readers its first scan found inside a
                                 section that began before it (0: no wait) */
    int32_t expedited;        /* 1 if a direct synchronize() waited for it */
    uint32_t polls;           /* poll periods it slept (normal state) */
    uint32_t notifier_calls;  /* force notifiers it fired */
    uint32_t reserved;
    uint64_t fqs_ns;          /* CLOCK_MONOTONIC when it entered FQS (0 unless fqs) */
} qs_gp_record;

/* One batch of callbacks the worker ran after a grace period. */
typedef struct qs_batch_record {
    uint32_t count;           /* callbacks (and tokens) in the batch */
    uint32_t reserved;
    uint64_t start_ns;        /* CLOCK_MONOTONIC when the first one began */
    uint64_t duration_ns;     /* from the first one's start to the last one's end */
} qs_batch_record;

typedef void (*qs_gp_end_fn)(const qs_gp_record *rec, void *opaque);
typedef void (*qs_batch_end_fn)(const qs_batch_record *rec, void *opaque);
typedef void (*qs_force_fn)(void *opaque);

/*
 * What to call, and with what. A NULL function pointer: that event is not
 * wanted. The records are valid during the call only. Where they run:
 *   on_gp_end  on the thread that ran the GP (the worker, or a
 *              synchronize() caller), once every reader it waited for has
 *              left, with no domain mutex held, and before the GP counts
 *              as completed: every synchronize() (and callback batch) that
 *              waited for it returns after the call, and calls for one
 *              domain never overlap;
 *   on_batch   on the worker, after the batch's last callback returned;
 *   on_force   on the qs_force caller's thread (LEGACY too, where force
 *              does nothing else).
 * They must be quick and must not call qs_set_observer or free the domain;
 * anything else is allowed (they run with no domain mutex held).
 */
typedef struct qs_observer {
    qs_gp_end_fn on_gp_end;
    qs_batch_end_fn on_batch;
    qs_force_fn on_force;
    void *opaque;
} qs_observer;

/*
 * Install (a copy of) `obs` as the domain's observer, replacing any; NULL
 * uninstalls. Calls already running may still finish with the previous
 * observer; calls that start after the return use the new one.
 * Returns 0, -EINVAL (dom NULL), -ENOMEM (nothing changes then).
 */
int qs_set_observer(qs_domain *dom, const qs_observer *obs);

/*
 * Stall warnings (issue 15). While a GP waits for readers, the writer
 * (the call worker or a synchronize caller) looks at the clock before
 * each poll sleep and event wait; with stall detection on, its event wait
 * is bounded by the next deadline, so a stall is noticed while it blocks.
 * At stall_timeout_ms after the GP's gp_ctr advance it reports the
 * readers still holding the GP, and once more at 3x; stats.stalls counts
 * the reports. The writer collects the report under its registry mutex
 * and calls the handler after dropping it, on the writer's thread, with
 * the GP's sync mutex held: a handler must not synchronize, drain or
 * free on this domain (call() and the poll functions are fine) and must
 * not call qs_set_stall_handler.
 */
#define QS_STALL_MAX_READERS 32 /* readers listed per report (the count
                                   of all of them is in nreaders_total) */

typedef struct qs_stall_reader {
    int64_t tid;          /* kernel thread id (gettid) of the thread that
                             registered the reader */
    char name[16];        /* its name (/proc/self/task/<tid>/comm) at
                             report time; "?" if unreadable */
    uint64_t inside_ns;   /* inside the section for at least this long:
                             measured from the first GP whose scan saw
                             this section blocking it (the read side reads
                             no clock), so a lower bound */
    uint32_t depth;       /* nesting depth of the section (1: outermost),
                             from the C read side's count (qs_reader.depth
                             + 1); always 1 for bindings that count
                             nesting themselves (the Java FFM backend
                             keeps it in Java: look there) */
    uint32_t kicks;       /* force-notifier calls on this reader during
                             this GP (0: never kicked; a reader with no
                             notifier is never kicked) */
} qs_stall_reader;

typedef struct qs_stall_report {
    uint64_t gp;            /* the GP's number (as cookies count) */
    uint64_t elapsed_ns;    /* since the GP's gp_ctr advance */
    uint64_t timeout_ns;    /* the domain's stall timeout */
    uint32_t nth;           /* 1 (at the timeout) or 2 (at 3x) */
    int32_t policy;         /* qs_policy */
    int32_t state;          /* qs_gp_phase of the GP */
    int32_t cause;          /* qs_fqs_cause (QS_FQS_NONE: not forced) */
    uint32_t nreaders_total; /* readers holding the GP */
    uint32_t nreaders;      /* entries in readers[] (<= QS_STALL_MAX_READERS) */
    const qs_stall_reader *readers; /* valid only during the handler call */
} qs_stall_report;

typedef void (*qs_stall_handler)(const qs_stall_report *report, void *opaque);
/* Set the domain's stall handler; NULL restores the default, which prints
 * qs_stall_report_format's text to stderr in one write. When this returns
 * the previous handler is not running and will not be called again.
 * Returns 0 or -EINVAL (dom NULL). */
int qs_set_stall_handler(qs_domain *dom, qs_stall_handler fn, void *opaque);
/* Format a report as the default handler prints it (lines ending in
 * '\n'), snprintf-style: writes at most len bytes including the final
 * NUL (buf may be NULL when len is 0) and returns the length of the whole
 * text, or -EINVAL (report NULL, or buf NULL with len > 0). */
int64_t qs_stall_report_format(const qs_stall_report *report, char *buf, size_t len);

/* Counters; `out` is a snapshot. */
void qs_stats_get(qs_domain *dom, qs_stats *out);
/* Latency percentile (0..100) from the GP-latency histogram, in ns (the
 * upper bound of the bucket holding it), over the GPs that had readers to
 * wait for (gps_no_readers are left out: they cost a barrier and would
 * drag the low percentiles to ~0); 0 if there is no such GP. */
uint64_t qs_stats_gp_percentile_ns(const qs_stats *s, double pct);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_DOMAIN_H */
