package dev.quiesce.engine;

/**
 * Where a grace period's wait_for_readers stands ({@code qs_gp_phase}).
 * Ordinals are the C values.
 */
public enum GpPhase {
    /** {@code QS_GP_IDLE}: no GP in progress. */
    IDLE,
    /** {@code QS_GP_NORMAL}: FQS policy, normal state: poll, no reader slow path. */
    NORMAL,
    /** {@code QS_GP_FORCED}: FQS policy, force-quiescent state: event-driven. */
    FORCED,
    /** {@code QS_GP_LEGACY}: LEGACY policy: event-driven, {@code waiting} every pass. */
    LEGACY;

    private static final GpPhase[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the state with C value {@code value}}
     *
     * @param value the state with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static GpPhase valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_gp_phase " + value);
        }
        return VALUES[value];
    }
}
