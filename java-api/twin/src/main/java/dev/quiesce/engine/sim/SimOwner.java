package dev.quiesce.engine.sim;

/** Who owns the GP in progress ({@code qs_sim_owner}). Ordinals are the C values. */
public enum SimOwner {
    /** {@code QS_SIM_OWNER_NONE}. */
    NONE,
    /** {@code QS_SIM_OWNER_WORKER}. */
    WORKER,
    /** {@code QS_SIM_OWNER_SYNC}. */
    SYNC;

    private static final SimOwner[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the owner with C value {@code value}}
     *
     * @param value the owner with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static SimOwner valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_sim_owner " + value);
        }
        return VALUES[value];
    }
}
