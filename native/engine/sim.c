/*
 * The deterministic step API: a whole RCU system simulated event by event
 * on top of the writer and worker machines of gp.c. Pure: no threads,
 * clocks or system calls.
 *
 * After every event the writer runs until it blocks, so the state between
 * events is stable and two implementations fed the same events must agree
 * on all of qs_sim_state. The Java twin (dev.quiesce.engine.Sim) follows
 * this file function by function; keep the two in step.
 *
 * Rules the simulation fixes (the threaded runtime has real concurrency):
 *   - one writer at a time: the worker's GP or a direct synchronize();
 *     a synchronize() that arrives while the writer is busy waits (at most
 *     one waits; a second gets -EBUSY) and runs before the worker's next
 *     decision;
 *   - a poll sleep ends on POLL_ELAPSED, or early on FORCE or DRAIN (FQS
 *     policy); an early end counts as a poll;
 *   - DRAIN also sets the GP event, waking a writer blocked on it (both
 *     policies). Under LEGACY this is what lets the drain's in-scan kick
 *     reach a reader that blocks a GP already waiting: before the seed
 *     the drain relied on some other reader's unlock to trigger a rescan,
 *     and with a single busy reader it would wait forever. Under FQS the
 *     rescan changes nothing observable (notifiers fire on entry only);
 *   - LEGACY pre-polls end only on POLL_ELAPSED (as before the seed);
 *   - a reader's slow-path unlock wakes a writer blocked on the GP event;
 *   - force() is answered by the end of a worker GP whose batch was taken
 *     after the force() (a synchronize() GP does not answer it): a force
 *     during a worker GP forces that GP and the next one;
 *   - GPs are numbered as they start (gp_start: gp_seq_started + 1) and
 *     gp_finish sets gp_seq_completed to that number. START_POLL records
 *     its cookie in gp_seq_wanted; the worker is told "a GP is wanted"
 *     while that cookie is not done (qs_worker_decide). START_POLL wakes
 *     only an idle worker (writer IDLE): a LEGACY pre-poll sleep is not
 *     cut short (the runtime sleeps it uninterruptibly), and a busy writer
 *     sees the request at its next worker decision;
 *   - SYNC while the writer is busy only queues the synchronize(); the
 *     runtime's caller also expedites the running GP, which is the
 *     separate EXPEDITE event (so a trace says whether it happened before
 *     that GP's next decision). EXPEDITE marks the GP expedited and, like
 *     the runtime's wake_event, ends a normal-state poll sleep early (it
 *     counts as a poll); a GP blocked on the GP event is not woken (the
 *     runtime does not set gp_event), and under LEGACY the mark changes
 *     nothing but qs_gp.expedited.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <quiesce/engine.h>

#define HASH_INIT 14695981039346656037ull
#define HASH_PRIME 1099511628211ull

struct qs_sim {
    qs_sim_state s;
    /* Ids of queued drain markers, ascending (callbacks run in id order). */
    uint64_t *markers;
    size_t markers_len;
    size_t markers_cap;
    size_t markers_head;
};

uint64_t qs_sim_hash_step(uint64_t h, uint64_t id)
{
    return (h ^ id) * HASH_PRIME;
}

qs_sim *qs_sim_new(const qs_params *params)
{
    if (qs_params_check(params) != 0) {
        return NULL;
    }
    qs_sim *sim = calloc(1, sizeof(*sim));
    if (sim == NULL) {
        return NULL;
    }
    qs_gp_init(&sim->s.gp, params);
    qs_worker_init(&sim->s.worker, params);
    sim->s.gp_ctr = QS_GP_CTR_INIT;
    sim->s.writer = QS_SIM_W_IDLE;
    sim->s.owner = QS_SIM_OWNER_NONE;
    sim->s.next_cb_id = 1;
    sim->s.run_hash = HASH_INIT;
    return sim;
}

void qs_sim_free(qs_sim *sim)
{
    if (sim != NULL) {
        free(sim->markers);
        free(sim);
    }
}

void qs_sim_state_get(const qs_sim *sim, qs_sim_state *out)
{
    *out = sim->s;
}

int qs_sim_set_gp_seq(qs_sim *sim, uint64_t base)
{
    if (sim->s.owner != QS_SIM_OWNER_NONE || sim->s.sync_pending) {
        return -EBUSY;
    }
    sim->s.gp_seq_started = base;
    sim->s.gp_seq_completed = base;
    sim->s.gp_seq_wanted = base;
    return 0;
}

/* ------------------------------------------------------------ callbacks */

static int push_marker(qs_sim *sim, uint64_t id)
{
    if (sim->markers_len == sim->markers_cap) {
        size_t live = sim->markers_len - sim->markers_head;
        if (sim->markers_head > 0) {
            /* Compact before growing. */
            memmove(sim->markers, sim->markers + sim->markers_head,
                    live * sizeof(uint64_t));
            sim->markers_len = live;
            sim->markers_head = 0;
        }
        if (sim->markers_len == sim->markers_cap) {
            size_t cap = sim->markers_cap ? sim->markers_cap * 2 : 8;
            uint64_t *m = realloc(sim->markers, cap * sizeof(uint64_t));
            if (m == NULL) {
                return -ENOMEM;
            }
            sim->markers = m;
            sim->markers_cap = cap;
        }
    }
    sim->markers[sim->markers_len++] = id;
    return 0;
}

static uint64_t enqueue(qs_sim *sim)
{
    uint64_t id = sim->s.next_cb_id++;
    sim->s.pending++;
    sim->s.stats.callbacks_queued++;
    return id;
}

/* Run one callback: the oldest queued (ids run in order). */
static void run_one(qs_sim *sim, qs_sim_effects *eff)
{
    uint64_t id = sim->s.last_cb_run + 1;
    sim->s.last_cb_run = id;
    sim->s.run_hash = qs_sim_hash_step(sim->s.run_hash, id);
    sim->s.pending--;
    sim->s.stats.callbacks_run++;
    eff->cbs_run++;
    if (sim->markers_head < sim->markers_len && sim->markers[sim->markers_head] == id) {
        sim->markers_head++;
        sim->s.draining--;
        sim->s.stats.drains++;
        eff->drains_done++;
    }
}

/* --------------------------------------------------------------- writer */

static void notify(qs_sim *sim, int i, qs_sim_effects *eff)
{
    sim->s.readers[i].notified++;
    sim->s.stats.notifier_calls++;
    eff->notified_mask |= 1u << i;
}

static void gp_start(qs_sim *sim, int32_t owner)
{
    int any = 0;
    sim->s.owner = owner;
    sim->s.gp_seq_started++;
    for (int i = 0; i < QS_SIM_MAX_READERS; i++) {
        sim->s.readers[i].in_wait_list = sim->s.readers[i].registered;
        any |= sim->s.readers[i].registered;
    }
    /* Like the runtime: with no reader registered nothing can block, so
     * the counter is left alone (the GP still completes and counts). */
    if (any) {
        sim->s.gp_ctr += QS_GP_STEP;
        /* The runtime runs no wait_for_readers (so no qs_gp_begin) then. */
        qs_gp_begin(&sim->s.gp, owner == QS_SIM_OWNER_SYNC);
    } else {
        sim->s.stats.gps_no_readers++;
    }
}

static void gp_finish(qs_sim *sim, qs_sim_effects *eff)
{
    qs_gp_end(&sim->s.gp);
    sim->s.gp_seq_completed = sim->s.gp_seq_started;
    sim->s.stats.gps++;
    eff->gps_ended++;
    if (sim->s.owner == QS_SIM_OWNER_WORKER) {
        /* The batch was taken when this GP began: it answers the force()
         * calls made before that, not those made while it ran (their
         * callers' callbacks may be in the next batch). */
        sim->s.forced = sim->s.forced_late;
        sim->s.forced_late = 0;
        qs_worker_gp_done(&sim->s.worker);
        for (uint32_t n = sim->s.worker.batch; n > 0; n--) {
            run_one(sim, eff);
        }
        qs_worker_batch_done(&sim->s.worker);
    } else {
        sim->s.stats.syncs++;
    }
    sim->s.owner = QS_SIM_OWNER_NONE;
    sim->s.writer = QS_SIM_W_IDLE;
}

/* One pass of wait_for_readers: arm if needed, scan, decide. Returns the
 * qs_gp_action taken. */
static int32_t gp_pass(qs_sim *sim, qs_sim_effects *eff)
{
    qs_sim_state *s = &sim->s;
    int armed = qs_gp_arms(&s->gp);
    if (armed) {
        /* Reset before setting `waiting`, so a wake-up after it counts. */
        s->gp_event_set = 0;
        for (int i = 0; i < QS_SIM_MAX_READERS; i++) {
            if (s->readers[i].in_wait_list) {
                s->readers[i].waiting = 1;
            }
        }
    }
    qs_gp_input in = {0, s->pending, s->draining, s->forced};
    int kick = qs_gp_notifies_in_scan(&s->gp, &in);
    for (int i = 0; i < QS_SIM_MAX_READERS; i++) {
        qs_sim_reader *r = &s->readers[i];
        if (!r->in_wait_list) {
            continue;
        }
        if (qs_reader_classify(r->ctr, s->gp_ctr) != QS_READER_ACTIVE_OLD) {
            r->in_wait_list = 0;
            if (armed) {
                r->waiting = 0;
            }
        } else {
            in.remaining++;
            if (kick) {
                notify(sim, i, eff);
            }
        }
    }
    int32_t act = qs_gp_after_scan(&s->gp, &in);
    if (act == QS_GP_ACT_FORCE) {
        s->stats.gps_fqs++;
        s->stats.fqs_by_cause[s->gp.cause]++;
        for (int i = 0; i < QS_SIM_MAX_READERS; i++) {
            if (s->readers[i].in_wait_list) {
                notify(sim, i, eff);
            }
        }
    }
    return act;
}

/* 1 while a START_POLL cookie is not done: the worker must run a GP. */
static uint32_t gp_wanted(const qs_sim_state *s)
{
    return !qs_gp_seq_done(s->gp_seq_completed, s->gp_seq_wanted);
}

/* Run the writer until it blocks. */
static void writer_run(qs_sim *sim, qs_sim_effects *eff)
{
    qs_sim_state *s = &sim->s;
    for (;;) {
        if (s->owner != QS_SIM_OWNER_NONE) {
            int32_t act = gp_pass(sim, eff);
            if (act == QS_GP_ACT_DONE) {
                gp_finish(sim, eff);
                continue;
            }
            if (act == QS_GP_ACT_SLEEP) {
                s->writer = QS_SIM_W_POLL_SLEEP;
                return;
            }
            if (act == QS_GP_ACT_WAIT) {
                s->writer = QS_SIM_W_EVENT_WAIT;
                return;
            }
            continue; /* FORCE: arm and rescan at once */
        }
        if (s->sync_pending) {
            s->sync_pending = 0;
            gp_start(sim, QS_SIM_OWNER_SYNC);
            continue;
        }
        int32_t wact = qs_worker_decide(&s->worker, s->pending, gp_wanted(s));
        if (wact == QS_WORKER_ACT_RUN_GP) {
            gp_start(sim, QS_SIM_OWNER_WORKER);
            continue;
        }
        s->writer = wact == QS_WORKER_ACT_PREPOLL ? QS_SIM_W_PREPOLL : QS_SIM_W_IDLE;
        return;
    }
}

/* Wake a writer from an interruptible poll sleep (FQS policy). */
static void interrupt_poll(qs_sim *sim, qs_sim_effects *eff)
{
    if (sim->s.writer == QS_SIM_W_POLL_SLEEP) {
        qs_gp_poll_done(&sim->s.gp);
        sim->s.stats.polls++;
        writer_run(sim, eff);
    }
}

/* --------------------------------------------------------------- events */

static int ev_reader(qs_sim *sim, int32_t kind, int32_t slot, qs_sim_effects *eff)
{
    if (slot < 0 || slot >= QS_SIM_MAX_READERS) {
        return -EINVAL;
    }
    qs_sim_reader *r = &sim->s.readers[slot];
    switch (kind) {
    case QS_EV_REGISTER:
        if (r->registered) {
            return -EINVAL;
        }
        memset(r, 0, sizeof(*r));
        r->registered = 1;
        return 0;
    case QS_EV_UNREGISTER:
        if (!r->registered) {
            return -EINVAL;
        }
        if (r->depth > 0) {
            return -EBUSY;
        }
        memset(r, 0, sizeof(*r));
        return 0;
    case QS_EV_LOCK:
        if (!r->registered) {
            return -EINVAL;
        }
        if (r->depth++ == 0) {
            r->ctr = sim->s.gp_ctr;
        }
        return 0;
    default: /* QS_EV_UNLOCK */
        if (!r->registered || r->depth == 0) {
            return -EINVAL;
        }
        if (--r->depth == 0) {
            r->ctr = 0;
            if (r->waiting) {
                /* The slow path: clear, count, set the GP event. */
                r->waiting = 0;
                r->slow_unlocks++;
                sim->s.stats.slow_unlocks++;
                eff->slow_unlock = 1;
                sim->s.gp_event_set = 1;
                if (sim->s.writer == QS_SIM_W_EVENT_WAIT) {
                    writer_run(sim, eff);
                }
            }
        }
        return 0;
    }
}

int qs_sim_step(qs_sim *sim, int32_t kind, int32_t arg, qs_sim_effects *out)
{
    qs_sim_effects eff;
    memset(&eff, 0, sizeof(eff));
    int rc = 0;
    qs_sim_state *s = &sim->s;
    int fqs_policy = s->gp.params.policy == QS_POLICY_FQS;

    switch (kind) {
    case QS_EV_REGISTER:
    case QS_EV_UNREGISTER:
    case QS_EV_LOCK:
    case QS_EV_UNLOCK:
        rc = ev_reader(sim, kind, arg, &eff);
        break;
    case QS_EV_CALL:
        enqueue(sim);
        if (s->writer == QS_SIM_W_IDLE) {
            writer_run(sim, &eff);
        }
        break;
    case QS_EV_DRAIN: {
        rc = push_marker(sim, s->next_cb_id);
        if (rc != 0) {
            break;
        }
        enqueue(sim);
        s->draining++;
        if (s->writer == QS_SIM_W_IDLE) {
            writer_run(sim, &eff);
        } else if (s->writer == QS_SIM_W_EVENT_WAIT) {
            s->gp_event_set = 1;
            writer_run(sim, &eff);
        } else if (fqs_policy) {
            interrupt_poll(sim, &eff);
        }
        break;
    }
    case QS_EV_FORCE:
        s->stats.forces++;
        if (fqs_policy) {
            s->forced = 1;
            if (s->owner == QS_SIM_OWNER_WORKER) {
                s->forced_late = 1;
            }
            interrupt_poll(sim, &eff);
        }
        break;
    case QS_EV_SYNC:
        if (s->sync_pending) {
            rc = -EBUSY;
        } else if (s->writer == QS_SIM_W_IDLE) {
            gp_start(sim, QS_SIM_OWNER_SYNC);
            writer_run(sim, &eff);
        } else {
            s->sync_pending = 1;
        }
        break;
    case QS_EV_EXPEDITE:
        if (s->owner == QS_SIM_OWNER_NONE || s->gp.state == QS_GP_IDLE) {
            rc = -EINVAL;
            break;
        }
        qs_gp_expedite(&s->gp);
        interrupt_poll(sim, &eff);
        break;
    case QS_EV_GET_STATE:
        eff.cookie = qs_gp_seq_snap(s->gp_seq_started);
        break;
    case QS_EV_START_POLL: {
        qs_gp_state c = qs_gp_seq_snap(s->gp_seq_started);
        eff.cookie = c;
        if (!qs_gp_seq_done(s->gp_seq_completed, c)) {
            /* The later of the two cookies, wrap-safe; the cookie is the
             * newest possible, so this is always c in practice. */
            if ((int64_t)(c - s->gp_seq_wanted) > 0) {
                s->gp_seq_wanted = c;
            }
            if (s->writer == QS_SIM_W_IDLE) {
                writer_run(sim, &eff);
            }
        }
        break;
    }
    case QS_EV_POLL_ELAPSED:
        if (s->writer == QS_SIM_W_PREPOLL) {
            qs_worker_prepoll_done(&s->worker);
            s->stats.polls++;
            writer_run(sim, &eff);
        } else if (s->writer == QS_SIM_W_POLL_SLEEP) {
            interrupt_poll(sim, &eff);
        } else {
            rc = -EINVAL;
        }
        break;
    default:
        rc = -EINVAL;
        break;
    }
    eff.rc = rc;
    if (out != NULL) {
        *out = eff;
    }
    return rc;
}
