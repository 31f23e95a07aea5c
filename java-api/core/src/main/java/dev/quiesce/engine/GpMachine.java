package dev.quiesce.engine;

import java.util.Objects;

/**
 * The writer machine: where one grace period's wait_for_readers stands and
 * what it does next. Mirrors {@code qs_gp} of engine/gp.c function by
 * function (the comment on each method names its C twin), so traces of the
 * two can be read side by side.
 *
 * <p>Pure: no threads, clocks or system calls. Not thread-safe: the runtime
 * guards it with the writer's (sync) lock, the simulator is single-threaded.
 *
 * <p>Usage, as one pass of wait_for_readers:
 * <pre>{@code
 * gp.begin(expedited);                   // gp_ctr was just advanced
 * for (;;) {
 *     if (gp.arms()) { reset event; set `waiting` on every remaining reader; }
 *     scan (notify blockers if gp.notifiesInScan(in));
 *     switch (gp.afterScan(in)) {
 *     case DONE:  gp.end(); return;
 *     case SLEEP: sleep one poll period; gp.pollDone(); break;
 *     case FORCE: notify the remaining readers; break;   // then arm and rescan
 *     case WAIT:  wait on the GP event; break;
 *     }
 * }
 * }</pre>
 */
public final class GpMachine {
    private final Params params;
    private final Fault fault;
    /** {@code state}: IDLE between GPs. */
    private GpPhase state;
    /** {@code cause}: of this GP (NONE until forced); kept after the GP ends, as in C. */
    private FqsCause cause;
    /** {@code polls}: poll periods slept in this GP (unsigned); kept after the GP ends, as in C. */
    private int polls;
    /** {@code expedited}: started by a direct synchronize(). */
    private boolean expedited;

    /**
     * An idle machine. Mirrors {@code qs_gp_init}.
     *
     * @param params the engine parameters
     */
    public GpMachine(Params params) {
        this(params, Fault.NONE);
    }

    /**
     * A machine with an injected fault (tests only).
     *
     * @param params the engine parameters
     * @param fault the fault
     */
    public GpMachine(Params params, Fault fault) {
        this.params = Objects.requireNonNull(params, "params");
        this.fault = Objects.requireNonNull(fault, "fault");
        this.state = GpPhase.IDLE;
        this.cause = FqsCause.NONE;
        this.polls = 0;
        this.expedited = false;
    }

    /**
     * A GP begins (gp_ctr was just advanced). Mirrors {@code qs_gp_begin}.
     *
     * @param expeditedGp a GP begins (gp_ctr was just advanced)
     */
    public void begin(boolean expeditedGp) {
        state = params.policy() == Policy.LEGACY ? GpPhase.LEGACY : GpPhase.NORMAL;
        cause = FqsCause.NONE;
        polls = 0;
        expedited = expeditedGp;
    }

    /**
     * Before a scan: true if the writer must reset the GP event and set
     * {@code waiting} on every remaining reader first (FORCED, LEGACY).
     * Mirrors {@code qs_gp_arms}.
     *
     * @return whether the writer must arm the GP event
     */
    public boolean arms() {
        return state == GpPhase.FORCED || state == GpPhase.LEGACY;
    }

    /**
     * During a LEGACY scan: true if blocking readers' notifiers fire.
     * Mirrors {@code qs_gp_notifies_in_scan}.
     *
     * @param in what the scan found
     * @return whether notifiers fire
     */
    public boolean notifiesInScan(GpInput in) {
        if (fault == Fault.NOTIFY_IN_NORMAL && state == GpPhase.NORMAL) {
            return true;
        }
        /* Before the seed, the only kick: blocking readers while a drain runs. */
        return state == GpPhase.LEGACY && in.draining() != 0;
    }

    /** The first trigger that holds, in a fixed priority order, or NONE. Mirrors {@code fqs_trigger}. */
    private FqsCause fqsTrigger(GpInput in) {
        if (expedited) {
            return FqsCause.EXPEDITED;
        }
        if (in.forced()) {
            return FqsCause.FORCE;
        }
        if (in.draining() != 0) {
            return FqsCause.DRAIN;
        }
        int cmp = Integer.compareUnsigned(in.pending(), params.cbThreshold());
        if (fault == Fault.THRESHOLD_OFF_BY_ONE ? cmp > 0 : cmp >= 0) {
            return FqsCause.THRESHOLD;
        }
        if (Integer.compareUnsigned(polls, params.pollLimit()) >= 0) {
            return FqsCause.POLL_LIMIT;
        }
        return FqsCause.NONE;
    }

    /**
     * After a scan: the next action. May move NORMAL to FORCED, recording
     * the cause. Mirrors {@code qs_gp_after_scan}.
     *
     * @param in what the scan found
     * @return the gp action
     */
    public GpAction afterScan(GpInput in) {
        if (in.remaining() == 0) {
            return GpAction.DONE;
        }
        switch (state) {
            case NORMAL: {
                FqsCause c = fqsTrigger(in);
                if (c == FqsCause.NONE) {
                    return GpAction.SLEEP;
                }
                state = GpPhase.FORCED;
                cause = c;
                return GpAction.FORCE;
            }
            case FORCED:
            case LEGACY:
                return GpAction.WAIT;
            default:
                /* IDLE: no GP to wait for. */
                return GpAction.DONE;
        }
    }

    /**
     * A direct synchronize() caller joined the GP in progress: from the next
     * decision on it counts as expedited (FQS policy: forces at once). No
     * effect on an idle machine. Mirrors {@code qs_gp_expedite}.
     */
    public void expedite() {
        if (state != GpPhase.IDLE) {
            expedited = true;
        }
    }

    /** A poll period elapsed (or the sleep was interrupted) in NORMAL state. Mirrors {@code qs_gp_poll_done}. */
    public void pollDone() {
        polls++;
    }

    /** The GP ended; back to IDLE (cause and polls stay readable). Mirrors {@code qs_gp_end}. */
    public void end() {
        state = GpPhase.IDLE;
        expedited = false;
    }

    /**
     * {@return the parameters}
     */
    public Params params() {
        return params;
    }

    /**
     * {@code state}.
     *
     * @return the gp state
     */
    public GpPhase state() {
        return state;
    }

    /**
     * {@code cause}: of the current (or last) GP.
     *
     * @return the fqs cause
     */
    public FqsCause cause() {
        return cause;
    }

    /**
     * {@code polls}: poll periods slept in the current (or last) GP, unsigned.
     *
     * @return the polls
     */
    public int polls() {
        return polls;
    }

    /**
     * {@code expedited}.
     *
     * @return whether a direct synchronize() started this grace period
     */
    public boolean expedited() {
        return expedited;
    }

    /**
     * {@return the whole machine as a value (the {@code qs_gp} inside {@code qs_sim_state})}
     */
    public GpSnapshot snapshot() {
        return new GpSnapshot(params, state, cause, polls, expedited);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
