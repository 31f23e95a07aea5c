package dev.quiesce.engine.sim;

/** One event of the step API ({@code qs_sim_event_kind}). Ordinals are the C values. */
public enum EventKind {
    /** {@code QS_EV_REGISTER}: arg: reader slot. */
    REGISTER,
    /** {@code QS_EV_UNREGISTER}: arg: reader slot (must be outside sections). */
    UNREGISTER,
    /** {@code QS_EV_LOCK}: arg: reader slot (nestable). */
    LOCK,
    /** {@code QS_EV_UNLOCK}: arg: reader slot. */
    UNLOCK,
    /** {@code QS_EV_CALL}: queue one callback. */
    CALL,
    /** {@code QS_EV_DRAIN}: begin a drain: queue its marker callback. */
    DRAIN,
    /** {@code QS_EV_FORCE}: force(). */
    FORCE,
    /** {@code QS_EV_SYNC}: a direct, expedited synchronize(). */
    SYNC,
    /** {@code QS_EV_POLL_ELAPSED}: the writer's poll/pre-poll timer fired. */
    POLL_ELAPSED,
    /** {@code QS_EV_GET_STATE}: get-state: effects.cookie := the cookie; nothing else changes. */
    GET_STATE,
    /**
     * {@code QS_EV_START_POLL}: start-poll: effects.cookie := the cookie; if it
     * is not done, gpSeqWanted := the later of it and gpSeqWanted, and an idle
     * worker runs a GP (with zero callbacks if none).
     */
    START_POLL,
    /**
     * {@code QS_EV_EXPEDITE}: an expedited synchronize() caller waits for the
     * running GP: expedite it, then a poll sleep ends early as on FORCE.
     * {@code -EINVAL} when no GP runs.
     */
    EXPEDITE;

    /** {@code QS_SIM_EVENT_KINDS}. */
    public static final int COUNT = 12;

    private static final EventKind[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * True for the kinds whose argument is a reader slot.
     *
     * @return the takes slot
     */
    public boolean takesSlot() {
        return ordinal() <= UNLOCK.ordinal();
    }

    /**
     * {@return the kind with C value {@code value}}
     *
     * @param value the kind with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static EventKind valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_sim_event_kind " + value);
        }
        return VALUES[value];
    }
}
