/*
 * quiesce — the pure grace-period engine and its deterministic step API.
 *
 * Everything declared here is free of threads, clocks and system calls.
 * Two users:
 *   - the threaded runtime (native/runtime/) asks the writer and worker
 *     machines what to do next and performs the answer with real futexes,
 *     mutexes and sleeps;
 *   - tests and the Java twin drive a whole simulated system (qs_sim) event
 *     by event and compare its observable state after every step.
 *
 * This header is read by jextract: no static inline functions and no
 * function-like macros here.
 */
#ifndef QUIESCE_ENGINE_H
#define QUIESCE_ENGINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- policy */

/* How wait_for_readers and the call worker behave. */
typedef enum qs_policy {
    /* The seed (QEMU 55d98e3ede): poll in the normal state with no reader
     * slow path; escalate to force-quiescent-state on a trigger. */
    QS_POLICY_FQS = 0,
    /* Before the seed: the worker pre-polls for callbacks to pile up, every
     * wait sets `waiting` on every reader, notifiers fire only while a
     * drain is in progress. force() has no effect (it did not exist). */
    QS_POLICY_LEGACY = 1
} qs_policy;

/* Tunables shared by the engine and the runtime (QEMU's defaults). */
#define QS_DEFAULT_POLL_PERIOD_NS 10000000ull /* 10 ms */
#define QS_DEFAULT_POLL_LIMIT 5u
#define QS_DEFAULT_CB_THRESHOLD 30u

typedef struct qs_params {
    int32_t policy;          /* a qs_policy */
    uint32_t poll_limit;     /* normal-state polls before FQS (LEGACY: max pre-polls) */
    uint32_t cb_threshold;   /* pending callbacks that force FQS (LEGACY: pre-poll goal) */
    uint32_t reserved;       /* must be 0 */
    uint64_t poll_period_ns; /* runtime only; the engine counts polls, not time */
} qs_params;

/* Fill `p` with the defaults for `policy`. Returns 0 or -EINVAL. */
int qs_params_init(qs_params *p, int32_t policy);
/* 0 if `p` is usable, else -EINVAL (unknown policy, zero poll_limit,
 * zero cb_threshold, zero poll period, reserved != 0). */
int qs_params_check(const qs_params *p);

/* ------------------------------------------------- reader classification */

/* gp_ctr bit layout: bit 0 is always set, so a reader's ctr is non-zero
 * exactly while it is inside a section; a grace period adds QS_GP_STEP.
 * 64-bit counters never wrap in practice. */
#define QS_GP_CTR_INIT 1ull
#define QS_GP_STEP 2ull

typedef enum qs_reader_state {
    QS_READER_INACTIVE = 0,       /* ctr == 0: outside any section */
    QS_READER_ACTIVE_CURRENT = 1, /* entered after the current GP began */
    QS_READER_ACTIVE_OLD = 2      /* entered before: blocks the current GP */
} qs_reader_state;

/* Classify one snapshot of a reader's ctr against the current gp_ctr. */
int32_t qs_reader_classify(uint64_t ctr, uint64_t gp_ctr);

/* ------------------------------------------------------- writer machine */

/* Where a grace period's wait_for_readers stands. (The enum's tag was
 * qs_gp_state before that name became the polled-GP cookie type below.) */
typedef enum qs_gp_phase {
    QS_GP_IDLE = 0,   /* no GP in progress */
    QS_GP_NORMAL = 1, /* FQS policy, normal state: poll, no reader slow path */
    QS_GP_FORCED = 2, /* FQS policy, force-quiescent state: event-driven */
    QS_GP_LEGACY = 3  /* LEGACY policy: event-driven, `waiting` every pass */
} qs_gp_phase;

/* Why a GP entered the force-quiescent state (first trigger that held). */
typedef enum qs_fqs_cause {
    QS_FQS_NONE = 0,
    QS_FQS_EXPEDITED = 1, /* a direct synchronize() caller */
    QS_FQS_FORCE = 2,     /* force() was called */
    QS_FQS_DRAIN = 3,     /* a drain is in progress */
    QS_FQS_THRESHOLD = 4, /* pending callbacks reached cb_threshold */
    QS_FQS_POLL_LIMIT = 5 /* poll_limit polls elapsed */
} qs_fqs_cause;
#define QS_FQS_CAUSES 6

/* What the writer must do after a scan. */
typedef enum qs_gp_action {
    QS_GP_ACT_DONE = 0,   /* no reader blocks: the GP is over */
    QS_GP_ACT_SLEEP = 1,  /* sleep one poll period (interruptible), rescan */
    QS_GP_ACT_FORCE = 2,  /* entered FQS: notify the remaining readers,
                             then arm and rescan at once */
    QS_GP_ACT_WAIT = 3    /* block on the GP event, then arm and rescan */
} qs_gp_action;

/* What the writer sees of the world when it decides. */
typedef struct qs_gp_input {
    uint32_t remaining;  /* readers still blocking after this scan */
    uint32_t pending;    /* callbacks queued and not yet run */
    uint32_t draining;   /* drains in progress */
    uint32_t forced;     /* force() requested since the last GP ended */
} qs_gp_input;

typedef struct qs_gp {
    qs_params params;
    int32_t state;       /* qs_gp_phase */
    int32_t cause;       /* qs_fqs_cause of this GP (NONE until forced) */
    uint32_t polls;      /* poll periods slept in this GP */
    uint32_t expedited;  /* 1 if started by a direct synchronize() */
} qs_gp;

/* Initialise an idle machine. Returns 0 or -EINVAL (bad params). */
int qs_gp_init(qs_gp *gp, const qs_params *params);
/* A GP begins (gp_ctr was just advanced). */
void qs_gp_begin(qs_gp *gp, int32_t expedited);
/* A direct synchronize() caller joined the GP in progress: from the next
 * decision on it counts as expedited (FQS policy: forces at once). */
void qs_gp_expedite(qs_gp *gp);
/* Before a scan: 1 if the writer must reset the GP event and set
 * `waiting` on every remaining reader first (FORCED, LEGACY), else 0. */
int32_t qs_gp_arms(const qs_gp *gp);
/* During a LEGACY scan: 1 if blocking readers' notifiers fire. */
int32_t qs_gp_notifies_in_scan(const qs_gp *gp, const qs_gp_input *in);
/* After a scan: the next action (a qs_gp_action). May move NORMAL to
 * FORCED, recording the cause. */
int32_t qs_gp_after_scan(qs_gp *gp, const qs_gp_input *in);
/* A poll period elapsed (or the sleep was interrupted) in NORMAL state. */
void qs_gp_poll_done(qs_gp *gp);
/* The GP ended; back to IDLE. */
void qs_gp_end(qs_gp *gp);

/* ------------------------------------------- GP numbers, polled GPs */

/*
 * Grace periods are numbered in the order they are claimed: the runtime
 * (and the simulator) keep `started`, the number of the last GP claimed,
 * and `completed`, the number of the last GP completed (both start equal;
 * the runtime starts them at 0, the simulator at 0 unless
 * qs_sim_set_gp_seq moves them). At most one GP runs at a time, so
 * completed is started or started - 1.
 *
 * A polled-GP cookie (Linux's get_state_synchronize_rcu) is the number of
 * the first GP that has not been claimed yet: started + 1. That GP begins
 * after the snapshot, so once it has completed a full grace period has
 * elapsed since the snapshot (if a GP is running at the snapshot, the
 * cookie names the one after it: the running one began too early).
 *
 * Wrap: the counters are uint64_t and may wrap (a test starts them near
 * UINT64_MAX). A cookie is done when (int64_t)(completed - cookie) >= 0,
 * a signed difference modulo 2^64. Right after the snapshot the difference
 * is -1 or -2; it can only reach 0 by the cookie's GP completing, so a
 * cookie is never reported done too early. It stays "done" for 2^63 - 1
 * more GPs; after that it reads "not done" again (safe: the caller waits
 * one needless GP). At a million GPs a second that is 292,000 years.
 */
typedef uint64_t qs_gp_state;

/* The cookie for a snapshot taken when `started` GPs have been claimed:
 * started + 1 (mod 2^64). */
qs_gp_state qs_gp_seq_snap(uint64_t started);
/* 1 if the GP named by `cookie` has completed, given the number of the
 * last completed GP: (int64_t)(completed - cookie) >= 0. */
int32_t qs_gp_seq_done(uint64_t completed, qs_gp_state cookie);

/* ------------------------------------------------------- worker machine */

typedef enum qs_worker_state {
    QS_WORKER_IDLE = 0,    /* waiting for the first callback */
    QS_WORKER_PREPOLL = 1, /* LEGACY: sleeping for callbacks to pile up */
    QS_WORKER_GP = 2,      /* running a GP for a snapshot of callbacks */
    QS_WORKER_INVOKE = 3   /* invoking the snapshot's callbacks */
} qs_worker_state;

typedef enum qs_worker_action {
    QS_WORKER_ACT_WAIT_WORK = 0, /* block until a callback is queued */
    QS_WORKER_ACT_PREPOLL = 1,   /* LEGACY: sleep one poll period */
    QS_WORKER_ACT_RUN_GP = 2     /* snapshot `batch` callbacks, run a GP */
} qs_worker_action;

typedef struct qs_worker {
    qs_params params;
    int32_t state;      /* qs_worker_state */
    uint32_t prepolls;  /* LEGACY pre-polls slept for the current batch */
    uint32_t batch;     /* callbacks the current GP covers */
    uint32_t reserved;
} qs_worker;

int qs_worker_init(qs_worker *w, const qs_params *params);
/* Decide the next action given the pending count and whether a polled GP
 * was requested (gp_wanted != 0: some qs_start_poll cookie is not done
 * yet). On RUN_GP, w->batch is the snapshot to invoke after the GP.
 * Transitions (FQS and LEGACY alike unless said):
 *   IDLE, pending 0, not wanted      -> WAIT_WORK, stays IDLE
 *   IDLE, pending 0, wanted          -> RUN_GP with batch 0, state GP
 *   IDLE, pending > 0, FQS           -> RUN_GP with batch pending
 *   IDLE, pending > 0, LEGACY        -> PREPOLL state (prepolls := 0),
 *                                       then as PREPOLL below
 *   PREPOLL, wanted, or pending >= cb_threshold, or prepolls >= poll_limit
 *                                    -> RUN_GP with batch pending
 *   PREPOLL otherwise                -> PREPOLL action (sleep one period)
 *   GP, INVOKE                       -> -EINVAL, nothing changes
 * A wanted GP is never delayed by pre-polls: the poll's caller asked for
 * one as soon as possible. With gp_wanted == 0 this is exactly
 * qs_worker_next. */
int32_t qs_worker_decide(qs_worker *w, uint32_t pending, uint32_t gp_wanted);
/* qs_worker_decide(w, pending, 0). */
int32_t qs_worker_next(qs_worker *w, uint32_t pending);
/* LEGACY: one pre-poll period elapsed. */
void qs_worker_prepoll_done(qs_worker *w);
/* The GP for the batch ended: the caller invokes w->batch callbacks. */
void qs_worker_gp_done(qs_worker *w);
/* The batch was invoked. */
void qs_worker_batch_done(qs_worker *w);

/* ----------------------------------------------- deterministic step API */

/*
 * qs_sim: a whole RCU system (readers, one writer that is either the call
 * worker or a direct synchronize() caller, a FIFO callback queue) advanced
 * by explicit events. After each event the writer runs until it blocks
 * (waits for work, sleeps a poll period, or waits on the GP event), so the
 * state between events is stable. Callback ids are assigned 1, 2, 3... in
 * call order.
 */
#define QS_SIM_MAX_READERS 8

typedef enum qs_sim_event_kind {
    QS_EV_REGISTER = 0,     /* arg: reader slot */
    QS_EV_UNREGISTER = 1,   /* arg: reader slot (must be outside sections) */
    QS_EV_LOCK = 2,         /* arg: reader slot (nestable) */
    QS_EV_UNLOCK = 3,       /* arg: reader slot */
    QS_EV_CALL = 4,         /* queue one callback */
    QS_EV_DRAIN = 5,        /* begin a drain: queue its marker callback */
    QS_EV_FORCE = 6,        /* force() */
    QS_EV_SYNC = 7,         /* a direct, expedited synchronize() */
    QS_EV_POLL_ELAPSED = 8, /* the writer's poll/pre-poll timer fired */
    QS_EV_GET_STATE = 9,    /* qs_get_state: effects.cookie := the cookie;
                               nothing else changes */
    QS_EV_START_POLL = 10,  /* qs_start_poll: effects.cookie := the cookie;
                               if it is not done, gp_seq_wanted := the later
                               of it and gp_seq_wanted, and an idle worker
                               runs a GP (with zero callbacks if none) */
    QS_EV_EXPEDITE = 11     /* an expedited synchronize() caller waits for
                               the running GP (the runtime's expedite_now):
                               qs_gp_expedite, then a poll sleep ends early
                               as on FORCE. -EINVAL when no GP runs */
} qs_sim_event_kind;
#define QS_SIM_EVENT_KINDS 12

/* Where the simulated writer is blocked between events. */
typedef enum qs_sim_writer {
    QS_SIM_W_IDLE = 0,       /* worker waits for work; no GP */
    QS_SIM_W_PREPOLL = 1,    /* LEGACY worker sleeping a pre-poll */
    QS_SIM_W_POLL_SLEEP = 2, /* GP in NORMAL state sleeping a poll */
    QS_SIM_W_EVENT_WAIT = 3  /* GP blocked on the GP event */
} qs_sim_writer;

/* Who owns the GP in progress. */
typedef enum qs_sim_owner {
    QS_SIM_OWNER_NONE = 0,
    QS_SIM_OWNER_WORKER = 1,
    QS_SIM_OWNER_SYNC = 2
} qs_sim_owner;

typedef struct qs_sim_reader {
    int32_t registered;     /* 0/1 */
    uint32_t depth;         /* nesting depth */
    uint64_t ctr;           /* 0 outside; gp_ctr snapshot inside */
    int32_t waiting;        /* writer asked for a wake-up on unlock */
    int32_t in_wait_list;   /* still to be checked by the current GP */
    uint64_t slow_unlocks;  /* unlocks that took the slow path */
    uint64_t notified;      /* force notifier calls on this reader */
} qs_sim_reader;

typedef struct qs_stats {
    uint64_t gps;                 /* grace periods completed */
    uint64_t gps_fqs;             /* of which entered FQS (LEGACY: none) */
    uint64_t fqs_by_cause[QS_FQS_CAUSES]; /* FQS entries per qs_fqs_cause */
    uint64_t polls;               /* poll periods slept (incl. LEGACY pre-polls) */
    uint64_t slow_unlocks;        /* reader unlocks that took the slow path */
    uint64_t notifier_calls;      /* force_rcu notifier invocations */
    uint64_t callbacks_queued;    /* call() + drain markers */
    uint64_t callbacks_run;       /* callbacks invoked (incl. drain markers) */
    uint64_t drains;              /* drains completed */
    uint64_t forces;              /* force() requests */
    uint64_t syncs;               /* direct synchronize() calls completed */
    /* GP latency, runtime only (0 in the sim): from the gp_ctr advance to
     * the end of wait_for_readers, for the GPs that had readers to scan,
     * i.e. gps - gps_no_readers of them. */
    uint64_t gp_lat_max_ns;
    uint64_t gp_lat_sum_ns;
    uint64_t gp_lat_hist[64];     /* bucket i counts GPs whose latency in ns
                                     has bit length i */
    uint64_t gps_no_readers;      /* GPs (in gps) that found no registered
                                     reader: nothing to wait for, gp_ctr not
                                     advanced; not in gp_lat_*. The sim
                                     counts them too */
    uint64_t stalls;              /* runtime only: stall reports made */
} qs_stats;

/* The whole observable state of a simulation. */
typedef struct qs_sim_state {
    uint64_t gp_ctr;
    int32_t writer;          /* qs_sim_writer */
    int32_t owner;           /* qs_sim_owner */
    qs_gp gp;                /* the writer machine */
    qs_worker worker;        /* the worker machine */
    int32_t gp_event_set;    /* the GP event is set */
    uint32_t pending;        /* callbacks queued, not yet run */
    uint32_t draining;       /* drains in progress */
    uint32_t forced;         /* force() not yet answered by a worker GP */
    uint32_t sync_pending;   /* a direct synchronize() waits for the writer */
    uint32_t forced_late;    /* force() arrived during the worker's GP: it
                                also forces the next one */
    uint64_t next_cb_id;     /* id the next call gets */
    uint64_t last_cb_run;    /* id of the last callback run (0: none) */
    uint64_t run_hash;       /* order-sensitive hash of ids run, in order */
    qs_sim_reader readers[QS_SIM_MAX_READERS];
    qs_stats stats;
    /* GP numbers (see "GP numbers, polled GPs"): */
    uint64_t gp_seq_started;   /* number of the last GP claimed */
    uint64_t gp_seq_completed; /* number of the last GP completed */
    uint64_t gp_seq_wanted;    /* latest cookie START_POLL asked for; the
                                  worker runs a GP while it is not done */
} qs_sim_state;

/* Effects of one event (besides the new state). */
typedef struct qs_sim_effects {
    int32_t rc;              /* 0, or -EINVAL / -EBUSY (state unchanged) */
    uint32_t cbs_run;        /* callbacks invoked during this event */
    uint32_t notified_mask;  /* bit i: reader i's notifier fired */
    uint32_t gps_ended;      /* GPs completed during this event */
    uint32_t slow_unlock;    /* 1 if this event's unlock took the slow path */
    uint32_t drains_done;    /* drains completed during this event */
    uint64_t cookie;         /* GET_STATE, START_POLL: the cookie (the
                                gp_seq_started + 1 before the event); other
                                events: 0 */
} qs_sim_effects;

typedef struct qs_sim qs_sim;

/* Create a simulation with `params`. Returns NULL on bad params or no
 * memory. */
qs_sim *qs_sim_new(const qs_params *params);
void qs_sim_free(qs_sim *sim);
/* Apply one event; `arg` is the reader slot where the kind takes one.
 * Invalid events (bad slot, lock while unregistered, unlock at depth 0,
 * unregister inside a section, POLL_ELAPSED when no timer runs, SYNC while
 * a synchronize is already waiting) return -EINVAL or -EBUSY in
 * out->rc and change nothing. Returns out->rc. `out` may be NULL. */
int qs_sim_step(qs_sim *sim, int32_t kind, int32_t arg, qs_sim_effects *out);
/* Copy the whole observable state. */
void qs_sim_state_get(const qs_sim *sim, qs_sim_state *out);
/* Test hook: renumber GPs so the next one claimed is base + 1
 * (gp_seq_started, gp_seq_completed and gp_seq_wanted := base), e.g. near
 * UINT64_MAX to test the cookies' wrap. Only with no GP running and no
 * synchronize waiting (writer IDLE or PREPOLL); else -EBUSY and nothing
 * changes. Returns 0 or -EBUSY. */
int qs_sim_set_gp_seq(qs_sim *sim, uint64_t base);
/* The order-sensitive hash used for run_hash: h' = (h ^ id) * 1099511628211
 * (64-bit FNV-1a step over whole ids), starting from 14695981039346656037. */
uint64_t qs_sim_hash_step(uint64_t h, uint64_t id);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_ENGINE_H */
