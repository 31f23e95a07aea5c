package dev.quiesce.engine.sim;

/** Where the simulated writer is blocked between events ({@code qs_sim_writer}). Ordinals are the C values. */
public enum SimWriter {
    /** {@code QS_SIM_W_IDLE}: worker waits for work; no GP. */
    IDLE,
    /** {@code QS_SIM_W_PREPOLL}: LEGACY worker sleeping a pre-poll. */
    PREPOLL,
    /** {@code QS_SIM_W_POLL_SLEEP}: GP in NORMAL state sleeping a poll. */
    POLL_SLEEP,
    /** {@code QS_SIM_W_EVENT_WAIT}: GP blocked on the GP event. */
    EVENT_WAIT;

    private static final SimWriter[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the writer state with C value {@code value}}
     *
     * @param value the writer state with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static SimWriter valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_sim_writer " + value);
        }
        return VALUES[value];
    }
}
