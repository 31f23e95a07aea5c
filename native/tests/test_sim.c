/*
 * Scenario and invariant tests of the deterministic step API
 * (engine/sim.c). No threads, no clocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quiesce/engine.h>

static int failures;

#define CHECK_EQ(what, got, want)                                              \
    do {                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);               \
        if (g_ != w_) {                                                        \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__,      \
                    __LINE__, (what), g_, w_);                                 \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static qs_sim *new_sim(int32_t policy)
{
    qs_params p;
    qs_params_init(&p, policy);
    qs_sim *sim = qs_sim_new(&p);
    if (sim == NULL) {
        fprintf(stderr, "qs_sim_new failed\n");
        exit(1);
    }
    return sim;
}

static qs_sim_state st(const qs_sim *sim)
{
    qs_sim_state s;
    qs_sim_state_get(sim, &s);
    return s;
}

static qs_sim_effects step(qs_sim *sim, int32_t kind, int32_t arg)
{
    qs_sim_effects e;
    qs_sim_step(sim, kind, arg, &e);
    return e;
}

/* FQS: a busy reader makes the worker poll, the poll limit forces, the
 * notifier fires, and the reader's slow-path unlock ends the GP. */
static void test_fqs_poll_limit(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    qs_sim_effects e = step(sim, QS_EV_CALL, 0);
    CHECK_EQ("no callback yet", e.cbs_run, 0);
    qs_sim_state s = st(sim);
    CHECK_EQ("worker polls", s.writer, QS_SIM_W_POLL_SLEEP);
    CHECK_EQ("normal state", s.gp.state, QS_GP_NORMAL);
    CHECK_EQ("no waiting in normal state", s.readers[0].waiting, 0);
    for (int i = 0; i < 4; i++) {
        e = step(sim, QS_EV_POLL_ELAPSED, 0);
        CHECK_EQ("still polling", st(sim).writer, QS_SIM_W_POLL_SLEEP);
        CHECK_EQ("no kick while polling", e.notified_mask, 0);
    }
    e = step(sim, QS_EV_POLL_ELAPSED, 0);
    s = st(sim);
    CHECK_EQ("fifth poll forces", s.gp.state, QS_GP_FORCED);
    CHECK_EQ("cause", s.gp.cause, QS_FQS_POLL_LIMIT);
    CHECK_EQ("kicked reader 0", e.notified_mask, 1);
    CHECK_EQ("waiting set", s.readers[0].waiting, 1);
    CHECK_EQ("event wait", s.writer, QS_SIM_W_EVENT_WAIT);
    CHECK_EQ("polls", s.stats.polls, 5);
    e = step(sim, QS_EV_UNLOCK, 0);
    s = st(sim);
    CHECK_EQ("slow path", e.slow_unlock, 1);
    CHECK_EQ("GP ended", e.gps_ended, 1);
    CHECK_EQ("callback ran", e.cbs_run, 1);
    CHECK_EQ("last id", s.last_cb_run, 1);
    CHECK_EQ("fqs count", s.stats.gps_fqs, 1);
    CHECK_EQ("by poll limit", s.stats.fqs_by_cause[QS_FQS_POLL_LIMIT], 1);
    CHECK_EQ("idle", s.writer, QS_SIM_W_IDLE);
    CHECK_EQ("back to idle", s.gp.state, QS_GP_IDLE);
    qs_sim_free(sim);
}

/* FQS normal state costs readers nothing: many GPs, short sections. */
static void test_fqs_normal_is_free(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_REGISTER, 1);
    for (int i = 0; i < 100; i++) {
        step(sim, QS_EV_LOCK, i & 1);
        step(sim, QS_EV_CALL, 0);
        step(sim, QS_EV_UNLOCK, i & 1);
        if (st(sim).writer == QS_SIM_W_POLL_SLEEP) {
            step(sim, QS_EV_POLL_ELAPSED, 0);
        }
    }
    qs_sim_state s = st(sim);
    CHECK_EQ("all callbacks ran", s.stats.callbacks_run, 100);
    CHECK_EQ("zero slow-path unlocks", s.stats.slow_unlocks, 0);
    CHECK_EQ("never forced", s.stats.gps_fqs, 0);
    CHECK_EQ("GPs", s.stats.gps, 100);
    qs_sim_free(sim);
}

/* LEGACY: pre-polls first, then every pass arms `waiting`: the same short
 * sections take the slow path. */
static void test_legacy_slow_path(void)
{
    qs_sim *sim = new_sim(QS_POLICY_LEGACY);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    CHECK_EQ("pre-poll", st(sim).writer, QS_SIM_W_PREPOLL);
    CHECK_EQ("force ignored", step(sim, QS_EV_FORCE, 0).rc, 0);
    CHECK_EQ("still pre-polling", st(sim).writer, QS_SIM_W_PREPOLL);
    for (int i = 0; i < 5; i++) {
        step(sim, QS_EV_POLL_ELAPSED, 0);
    }
    qs_sim_state s = st(sim);
    CHECK_EQ("GP waits on the event", s.writer, QS_SIM_W_EVENT_WAIT);
    CHECK_EQ("legacy state", s.gp.state, QS_GP_LEGACY);
    CHECK_EQ("waiting armed", s.readers[0].waiting, 1);
    CHECK_EQ("no kick without drain", s.stats.notifier_calls, 0);
    qs_sim_effects e = step(sim, QS_EV_UNLOCK, 0);
    CHECK_EQ("slow path", e.slow_unlock, 1);
    CHECK_EQ("callback", e.cbs_run, 1);
    CHECK_EQ("no FQS under legacy", st(sim).stats.gps_fqs, 0);
    CHECK_EQ("force counted", st(sim).stats.forces, 1);
    qs_sim_free(sim);
}

/* LEGACY: a drain started before the GP kicks the blocking reader. */
static void test_legacy_drain_kicks(void)
{
    qs_sim *sim = new_sim(QS_POLICY_LEGACY);
    step(sim, QS_EV_REGISTER, 3);
    step(sim, QS_EV_LOCK, 3);
    step(sim, QS_EV_DRAIN, 0);
    qs_sim_effects e = {0};
    for (int i = 0; i < 5; i++) {
        e = step(sim, QS_EV_POLL_ELAPSED, 0);
    }
    CHECK_EQ("drain kicks during the scan", e.notified_mask, 1u << 3);
    e = step(sim, QS_EV_UNLOCK, 3);
    CHECK_EQ("drain done", e.drains_done, 1);
    qs_sim_state s = st(sim);
    CHECK_EQ("draining", s.draining, 0);
    CHECK_EQ("drains", s.stats.drains, 1);
    qs_sim_free(sim);

    /* A drain that starts while the GP already waits on the event wakes
     * it, and the rescan kicks the blocking reader. */
    sim = new_sim(QS_POLICY_LEGACY);
    step(sim, QS_EV_REGISTER, 1);
    step(sim, QS_EV_LOCK, 1);
    step(sim, QS_EV_CALL, 0);
    for (int i = 0; i < 5; i++) {
        e = step(sim, QS_EV_POLL_ELAPSED, 0);
    }
    CHECK_EQ("waiting, not kicked", e.notified_mask, 0);
    CHECK_EQ("event wait", st(sim).writer, QS_SIM_W_EVENT_WAIT);
    e = step(sim, QS_EV_DRAIN, 0);
    CHECK_EQ("late drain kicks", e.notified_mask, 1u << 1);
    CHECK_EQ("still waiting", st(sim).writer, QS_SIM_W_EVENT_WAIT);
    e = step(sim, QS_EV_UNLOCK, 1);
    CHECK_EQ("callback and marker (one batch each)", e.cbs_run, 1);
    qs_sim_free(sim);
}

/* FQS: each trigger is recorded. */
static void test_fqs_triggers(void)
{
    /* threshold */
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    for (int i = 0; i < 30; i++) {
        step(sim, QS_EV_CALL, 0);
    }
    step(sim, QS_EV_POLL_ELAPSED, 0);
    CHECK_EQ("threshold", st(sim).stats.fqs_by_cause[QS_FQS_THRESHOLD], 1);
    qs_sim_free(sim);

    /* drain interrupts the poll */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    qs_sim_effects e = step(sim, QS_EV_DRAIN, 0);
    CHECK_EQ("drain", st(sim).stats.fqs_by_cause[QS_FQS_DRAIN], 1);
    CHECK_EQ("drain kicked", e.notified_mask, 1);
    qs_sim_free(sim);

    /* force interrupts the poll */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    step(sim, QS_EV_FORCE, 0);
    CHECK_EQ("force", st(sim).stats.fqs_by_cause[QS_FQS_FORCE], 1);
    CHECK_EQ("one poll counted", st(sim).stats.polls, 1);
    qs_sim_free(sim);

    /* force before any GP is kept for the next one */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_FORCE, 0);
    CHECK_EQ("force pending", st(sim).forced, 1);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    CHECK_EQ("next GP forced", st(sim).stats.fqs_by_cause[QS_FQS_FORCE], 1);
    CHECK_EQ("no sleep", st(sim).writer, QS_SIM_W_EVENT_WAIT);
    step(sim, QS_EV_UNLOCK, 0);
    CHECK_EQ("force cleared at GP end", st(sim).forced, 0);
    qs_sim_free(sim);

    /* a force during a worker GP also forces the next worker GP, whose
     * batch may hold the forcing caller's callback */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_REGISTER, 1);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);  /* GP1 for callback 1 polls */
    step(sim, QS_EV_CALL, 0);  /* callback 2 waits for the next batch */
    step(sim, QS_EV_FORCE, 0); /* GP1 enters FQS at once */
    CHECK_EQ("GP1 forced", st(sim).stats.fqs_by_cause[QS_FQS_FORCE], 1);
    CHECK_EQ("late", st(sim).forced_late, 1);
    step(sim, QS_EV_LOCK, 1);  /* current for GP1, old for GP2 */
    e = step(sim, QS_EV_UNLOCK, 0);
    CHECK_EQ("GP1 done", e.gps_ended, 1);
    CHECK_EQ("GP2 forced without polling", st(sim).stats.fqs_by_cause[QS_FQS_FORCE], 2);
    CHECK_EQ("GP2 waits", st(sim).writer, QS_SIM_W_EVENT_WAIT);
    step(sim, QS_EV_UNLOCK, 1);
    CHECK_EQ("both callbacks", st(sim).stats.callbacks_run, 2);
    CHECK_EQ("answered", st(sim).forced, 0);
    qs_sim_free(sim);

    /* a synchronize() GP does not answer a force() */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_FORCE, 0);
    step(sim, QS_EV_SYNC, 0);
    CHECK_EQ("sync done", st(sim).stats.syncs, 1);
    CHECK_EQ("force still pending", st(sim).forced, 1);
    qs_sim_free(sim);

    /* expedited synchronize */
    sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    e = step(sim, QS_EV_SYNC, 0);
    CHECK_EQ("expedited", st(sim).stats.fqs_by_cause[QS_FQS_EXPEDITED], 1);
    CHECK_EQ("sync kicked", e.notified_mask, 1);
    CHECK_EQ("sync owns the GP", st(sim).owner, QS_SIM_OWNER_SYNC);
    e = step(sim, QS_EV_UNLOCK, 0);
    CHECK_EQ("sync done", st(sim).stats.syncs, 1);
    qs_sim_free(sim);
}

/* A synchronize arriving while the worker polls waits its turn. */
static void test_sync_waits_for_worker(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    CHECK_EQ("sync queued", step(sim, QS_EV_SYNC, 0).rc, 0);
    CHECK_EQ("second sync busy", step(sim, QS_EV_SYNC, 0).rc, -EBUSY);
    CHECK_EQ("pending", st(sim).sync_pending, 1);
    step(sim, QS_EV_UNLOCK, 0);
    /* Normal state: the unlock does not wake the writer; the next poll
     * sees the reader gone. */
    CHECK_EQ("not woken", st(sim).stats.gps, 0);
    step(sim, QS_EV_POLL_ELAPSED, 0);
    qs_sim_state s = st(sim);
    CHECK_EQ("both GPs", s.stats.gps, 2);
    CHECK_EQ("sync done", s.stats.syncs, 1);
    CHECK_EQ("callback", s.stats.callbacks_run, 1);
    qs_sim_free(sim);
}

/* Polled GPs: GET_STATE changes nothing; START_POLL makes the idle worker
 * run a GP with no callback; the cookie names the GP after a running one. */
static void test_poll_cookie(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    qs_sim_state before = st(sim);
    qs_sim_effects e = step(sim, QS_EV_GET_STATE, 0);
    qs_sim_state s = st(sim);
    CHECK_EQ("get_state cookie", e.cookie, 1);
    CHECK_EQ("get_state changes nothing", memcmp(&before, &s, sizeof(s)), 0);
    CHECK_EQ("not done", qs_gp_seq_done(s.gp_seq_completed, e.cookie), 0);

    e = step(sim, QS_EV_START_POLL, 0);
    s = st(sim);
    CHECK_EQ("start_poll cookie", e.cookie, 1);
    CHECK_EQ("wanted", s.gp_seq_wanted, 1);
    CHECK_EQ("worker runs a GP", s.owner, QS_SIM_OWNER_WORKER);
    CHECK_EQ("for no callback", s.worker.batch, 0);
    CHECK_EQ("GP 1 claimed", s.gp_seq_started, 1);
    CHECK_EQ("GP 1 running", s.gp_seq_completed, 0);
    CHECK_EQ("polls the reader", s.writer, QS_SIM_W_POLL_SLEEP);
    /* While GP 1 runs, a new snapshot needs GP 2. */
    CHECK_EQ("cookie after the running GP", step(sim, QS_EV_GET_STATE, 0).cookie, 2);

    step(sim, QS_EV_UNLOCK, 0);
    e = step(sim, QS_EV_POLL_ELAPSED, 0);
    s = st(sim);
    CHECK_EQ("GP over", e.gps_ended, 1);
    CHECK_EQ("no callback ran", e.cbs_run, 0);
    CHECK_EQ("completed", s.gp_seq_completed, 1);
    CHECK_EQ("cookie 1 done", qs_gp_seq_done(s.gp_seq_completed, 1), 1);
    CHECK_EQ("cookie 2 not done", qs_gp_seq_done(s.gp_seq_completed, 2), 0);
    CHECK_EQ("no GP for a mere get_state", s.writer, QS_SIM_W_IDLE);
    CHECK_EQ("stats", s.stats.gps, 1);

    /* A START_POLL while the worker is busy is served after its GP. */
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    CHECK_EQ("worker GP 2", st(sim).gp_seq_started, 2);
    e = step(sim, QS_EV_START_POLL, 0);
    CHECK_EQ("cookie 3", e.cookie, 3);
    step(sim, QS_EV_UNLOCK, 0);
    e = step(sim, QS_EV_POLL_ELAPSED, 0);
    s = st(sim);
    CHECK_EQ("GP 2 and GP 3 ran", e.gps_ended, 2);
    CHECK_EQ("the callback ran once", s.stats.callbacks_run, 1);
    CHECK_EQ("cookie 3 done", qs_gp_seq_done(s.gp_seq_completed, 3), 1);
    CHECK_EQ("idle again", s.writer, QS_SIM_W_IDLE);
    qs_sim_free(sim);
}

/* The cookies survive the counters' wrap at 2^64. */
static void test_poll_wrap(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    CHECK_EQ("set base", qs_sim_set_gp_seq(sim, UINT64_MAX - 1), 0);
    qs_sim_effects e = step(sim, QS_EV_START_POLL, 0);
    CHECK_EQ("cookie UINT64_MAX", e.cookie == UINT64_MAX, 1);
    /* No reader: the GP completes within the event. */
    CHECK_EQ("GP ran", e.gps_ended, 1);
    qs_sim_state s = st(sim);
    CHECK_EQ("completed UINT64_MAX", s.gp_seq_completed == UINT64_MAX, 1);

    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    e = step(sim, QS_EV_START_POLL, 0);
    uint64_t c0 = e.cookie;
    CHECK_EQ("cookie wrapped to 0", c0, 0);
    s = st(sim);
    /* A plain completed >= cookie would say done here. */
    CHECK_EQ("wrapped cookie not done", qs_gp_seq_done(s.gp_seq_completed, c0), 0);
    CHECK_EQ("old cookie still done", qs_gp_seq_done(s.gp_seq_completed, UINT64_MAX), 1);
    CHECK_EQ("GP 0 running", s.owner, QS_SIM_OWNER_WORKER);
    CHECK_EQ("busy: no renumbering", qs_sim_set_gp_seq(sim, 5), -EBUSY);
    step(sim, QS_EV_UNLOCK, 0);
    step(sim, QS_EV_POLL_ELAPSED, 0);
    s = st(sim);
    CHECK_EQ("completed 0", s.gp_seq_completed, 0);
    CHECK_EQ("cookie 0 done", qs_gp_seq_done(s.gp_seq_completed, c0), 1);
    CHECK_EQ("UINT64_MAX still done", qs_gp_seq_done(s.gp_seq_completed, UINT64_MAX), 1);
    CHECK_EQ("next cookie 1", step(sim, QS_EV_GET_STATE, 0).cookie, 1);
    CHECK_EQ("not done", qs_gp_seq_done(s.gp_seq_completed, 1), 0);
    /* The window: done for 2^63 - 1 GPs, then "not done" (safe side). */
    CHECK_EQ("edge of window", qs_gp_seq_done(c0 + (UINT64_C(1) << 63) - 1, c0), 1);
    CHECK_EQ("past the window", qs_gp_seq_done(c0 + (UINT64_C(1) << 63), c0), 0);
    qs_sim_free(sim);
}

/* LEGACY: a requested GP is not delayed by the remaining pre-polls, but
 * the pre-poll sleep in progress is not cut short either. */
static void test_poll_legacy(void)
{
    qs_sim *sim = new_sim(QS_POLICY_LEGACY);
    step(sim, QS_EV_CALL, 0);
    CHECK_EQ("pre-polls", st(sim).writer, QS_SIM_W_PREPOLL);
    qs_sim_effects e = step(sim, QS_EV_START_POLL, 0);
    CHECK_EQ("still pre-polling", st(sim).writer, QS_SIM_W_PREPOLL);
    CHECK_EQ("no GP yet", e.gps_ended, 0);
    e = step(sim, QS_EV_POLL_ELAPSED, 0);
    qs_sim_state s = st(sim);
    CHECK_EQ("GP after one pre-poll", e.gps_ended, 1);
    CHECK_EQ("with the callback", e.cbs_run, 1);
    CHECK_EQ("one pre-poll only", s.stats.polls, 1);
    CHECK_EQ("cookie done", qs_gp_seq_done(s.gp_seq_completed, 1), 1);
    CHECK_EQ("idle", s.writer, QS_SIM_W_IDLE);
    qs_sim_free(sim);

    /* The worker machine's table, directly. */
    qs_params p;
    qs_params_init(&p, QS_POLICY_LEGACY);
    qs_worker w;
    qs_worker_init(&w, &p);
    CHECK_EQ("idle, nothing", qs_worker_decide(&w, 0, 0), QS_WORKER_ACT_WAIT_WORK);
    CHECK_EQ("idle, wanted", qs_worker_decide(&w, 0, 1), QS_WORKER_ACT_RUN_GP);
    CHECK_EQ("batch 0", w.batch, 0);
    CHECK_EQ("busy", qs_worker_decide(&w, 0, 1), -EINVAL);
    qs_worker_gp_done(&w);
    qs_worker_batch_done(&w);
    CHECK_EQ("legacy pre-polls", qs_worker_decide(&w, 1, 0), QS_WORKER_ACT_PREPOLL);
    CHECK_EQ("wanted ends pre-polls", qs_worker_decide(&w, 1, 1), QS_WORKER_ACT_RUN_GP);
    CHECK_EQ("batch 1", w.batch, 1);
}

/* EXPEDITE: a synchronize() caller that waits for the worker's GP makes
 * it force at its next decision (cause EXPEDITED), without waiting for
 * the poll limit. */
static void test_expedite(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    CHECK_EQ("no GP to expedite", step(sim, QS_EV_EXPEDITE, 0).rc, -EINVAL);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    step(sim, QS_EV_SYNC, 0);
    qs_sim_state s = st(sim);
    CHECK_EQ("sync queued", s.sync_pending, 1);
    CHECK_EQ("worker GP polls", s.writer, QS_SIM_W_POLL_SLEEP);
    CHECK_EQ("not expedited by SYNC alone", s.gp.expedited, 0);
    qs_sim_effects e = step(sim, QS_EV_EXPEDITE, 0);
    s = st(sim);
    CHECK_EQ("expedite ok", e.rc, 0);
    CHECK_EQ("forced", s.gp.state, QS_GP_FORCED);
    CHECK_EQ("cause", s.gp.cause, QS_FQS_EXPEDITED);
    CHECK_EQ("counted", s.stats.fqs_by_cause[QS_FQS_EXPEDITED], 1);
    CHECK_EQ("the sleep counted as a poll", s.stats.polls, 1);
    CHECK_EQ("kicked", e.notified_mask, 1);
    CHECK_EQ("event wait", s.writer, QS_SIM_W_EVENT_WAIT);
    /* Again while blocked on the GP event: accepted, nothing moves. */
    qs_sim_state before = st(sim);
    e = step(sim, QS_EV_EXPEDITE, 0);
    s = st(sim);
    CHECK_EQ("second expedite ok", e.rc, 0);
    CHECK_EQ("no change while event-waiting", memcmp(&before, &s, sizeof(s)), 0);
    e = step(sim, QS_EV_UNLOCK, 0);
    s = st(sim);
    CHECK_EQ("worker GP and sync GP", e.gps_ended, 2);
    CHECK_EQ("sync done", s.stats.syncs, 1);
    CHECK_EQ("callback", e.cbs_run, 1);
    qs_sim_free(sim);

    /* LEGACY: the mark is set, the GP waits as before. */
    sim = new_sim(QS_POLICY_LEGACY);
    step(sim, QS_EV_REGISTER, 0);
    step(sim, QS_EV_LOCK, 0);
    step(sim, QS_EV_CALL, 0);
    for (uint32_t i = 0; i < QS_DEFAULT_POLL_LIMIT; i++) {
        step(sim, QS_EV_POLL_ELAPSED, 0);
    }
    CHECK_EQ("legacy worker GP", st(sim).owner, QS_SIM_OWNER_WORKER);
    CHECK_EQ("legacy not expedited", st(sim).gp.expedited, 0);
    e = step(sim, QS_EV_EXPEDITE, 0);
    s = st(sim);
    CHECK_EQ("legacy ok", e.rc, 0);
    CHECK_EQ("legacy mark", s.gp.expedited, 1);
    CHECK_EQ("legacy state", s.gp.state, QS_GP_LEGACY);
    CHECK_EQ("legacy no FQS", s.stats.gps_fqs, 0);
    CHECK_EQ("legacy no kick", e.notified_mask, 0);
    qs_sim_free(sim);
}

/* Bad events change nothing. */
static void test_bad_events(void)
{
    qs_sim *sim = new_sim(QS_POLICY_FQS);
    qs_sim_state before = st(sim);
    static const struct {
        int32_t kind, arg, rc;
    } rows[] = {
        {QS_EV_LOCK, 0, -EINVAL},        /* not registered */
        {QS_EV_UNLOCK, 0, -EINVAL},
        {QS_EV_UNREGISTER, 0, -EINVAL},
        {QS_EV_REGISTER, -1, -EINVAL},
        {QS_EV_REGISTER, QS_SIM_MAX_READERS, -EINVAL},
        {QS_EV_POLL_ELAPSED, 0, -EINVAL}, /* no timer */
        {99, 0, -EINVAL},
        {-1, 0, -EINVAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CHECK_EQ("bad event rc", qs_sim_step(sim, rows[i].kind, rows[i].arg, NULL), rows[i].rc);
    }
    qs_sim_state after = st(sim);
    CHECK_EQ("unchanged", memcmp(&before, &after, sizeof(before)), 0);

    step(sim, QS_EV_REGISTER, 2);
    CHECK_EQ("double register", step(sim, QS_EV_REGISTER, 2).rc, -EINVAL);
    step(sim, QS_EV_LOCK, 2);
    CHECK_EQ("unregister inside", step(sim, QS_EV_UNREGISTER, 2).rc, -EBUSY);
    step(sim, QS_EV_UNLOCK, 2);
    CHECK_EQ("unlock at depth 0", step(sim, QS_EV_UNLOCK, 2).rc, -EINVAL);
    CHECK_EQ("bad params", qs_sim_new(&(qs_params){0}) == NULL, 1);
    qs_sim_free(sim);
}

/* Random sequences: invariants that must hold after every step. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void test_random_invariants(void)
{
    for (int seq = 0; seq < 2000; seq++) {
        qs_params p;
        qs_params_init(&p, rnd(2) ? QS_POLICY_LEGACY : QS_POLICY_FQS);
        p.poll_limit = 1 + rnd(4);
        p.cb_threshold = 1 + rnd(6);
        qs_sim *sim = qs_sim_new(&p);
        if (seq % 2 == 1) {
            /* Half the runs cross the wrap of the GP numbers. */
            CHECK_EQ("base", qs_sim_set_gp_seq(sim, UINT64_MAX - rnd(40)), 0);
        }
        uint64_t hash = 14695981039346656037ull;
        uint64_t ran = 0;
        /* Polled-GP safety: per cookie, the readers inside a section at
         * the snapshot (by section number) must have left it once the
         * cookie reads done. */
        enum { MAXC = 16 };
        struct {
            uint64_t cookie;
            uint64_t section[QS_SIM_MAX_READERS]; /* 0: was outside */
        } cookies[MAXC];
        int ncookies = 0;
        uint64_t section_no[QS_SIM_MAX_READERS] = {0};
        uint64_t next_section = 1;
        for (int i = 0; i < 200; i++) {
            qs_sim_state before = st(sim);
            qs_sim_effects e;
            int32_t kind = (int32_t)rnd(QS_SIM_EVENT_KINDS);
            int32_t arg = (int32_t)rnd(4);
            int rc = qs_sim_step(sim, kind, arg, &e);
            qs_sim_state s = st(sim);
            if (rc == 0 && kind == QS_EV_LOCK && s.readers[arg].depth == 1) {
                section_no[arg] = next_section++;
            }
            if (rc == 0 && (kind == QS_EV_GET_STATE || kind == QS_EV_START_POLL)) {
                CHECK_EQ("cookie is started + 1", e.cookie, before.gp_seq_started + 1);
                if (ncookies < MAXC) {
                    cookies[ncookies].cookie = e.cookie;
                    for (int r = 0; r < QS_SIM_MAX_READERS; r++) {
                        cookies[ncookies].section[r] =
                            before.readers[r].depth > 0 ? section_no[r] : 0;
                    }
                    ncookies++;
                }
            }
            for (int c = 0; c < ncookies; c++) {
                if (!qs_gp_seq_done(s.gp_seq_completed, cookies[c].cookie)) {
                    continue;
                }
                for (int r = 0; r < QS_SIM_MAX_READERS; r++) {
                    if (cookies[c].section[r] != 0 && s.readers[r].depth > 0 &&
                        section_no[r] == cookies[c].section[r]) {
                        CHECK_EQ("cookie done while its reader is inside", 1, 0);
                    }
                }
            }
            /* At most one GP runs; none while the writer has no owner. */
            CHECK_EQ("completed lags by at most one",
                     s.gp_seq_started - s.gp_seq_completed,
                     s.owner != QS_SIM_OWNER_NONE ? 1 : 0);
            /* A wanted GP is being run or will run after a pre-poll. */
            if (!qs_gp_seq_done(s.gp_seq_completed, s.gp_seq_wanted)) {
                CHECK_EQ("wanted GP not idle", s.writer != QS_SIM_W_IDLE, 1);
            }
            if (rc != 0) {
                CHECK_EQ("failed step changes nothing", memcmp(&before, &s, sizeof(s)), 0);
            }
            /* Nothing is lost, nothing runs twice, FIFO order. */
            CHECK_EQ("conservation", s.stats.callbacks_queued,
                     s.stats.callbacks_run + s.pending);
            for (uint32_t k = 0; k < e.cbs_run; k++) {
                hash = qs_sim_hash_step(hash, ++ran);
            }
            CHECK_EQ("order", s.run_hash, hash);
            CHECK_EQ("last id", s.last_cb_run, ran);
            /* Safety: when a GP ended, no reader that entered before it
             * (old ctr) can still be inside... unless it entered the GP
             * that started right after within the same step. */
            if (e.gps_ended > 0 && s.owner == QS_SIM_OWNER_NONE) {
                for (int r = 0; r < QS_SIM_MAX_READERS; r++) {
                    CHECK_EQ("no old reader after GP",
                             qs_reader_classify(s.readers[r].ctr, s.gp_ctr),
                             s.readers[r].ctr ? QS_READER_ACTIVE_CURRENT : QS_READER_INACTIVE);
                }
            }
            /* Normal state never arms. */
            if (s.gp.state == QS_GP_NORMAL) {
                for (int r = 0; r < QS_SIM_MAX_READERS; r++) {
                    if (s.readers[r].waiting && s.readers[r].in_wait_list) {
                        CHECK_EQ("waiting in normal state", 1, 0);
                    }
                }
            }
            if (s.stats.gps_fqs > 0) {
                CHECK_EQ("legacy never forces", p.policy, QS_POLICY_FQS);
            }
            if (failures > 20) {
                fprintf(stderr, "stopping: sequence %d step %d\n", seq, i);
                exit(1);
            }
        }
        qs_sim_free(sim);
    }
}

int main(void)
{
    test_fqs_poll_limit();
    test_fqs_normal_is_free();
    test_legacy_slow_path();
    test_legacy_drain_kicks();
    test_fqs_triggers();
    test_sync_waits_for_worker();
    test_poll_cookie();
    test_poll_wrap();
    test_poll_legacy();
    test_expedite();
    test_bad_events();
    test_random_invariants();
    if (failures != 0) {
        fprintf(stderr, "sim: %d failure(s)\n", failures);
        return 1;
    }
    printf("sim: all checks passed\n");
    return 0;
}
