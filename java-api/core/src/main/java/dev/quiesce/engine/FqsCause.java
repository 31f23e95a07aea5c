package dev.quiesce.engine;

/**
 * Why a GP entered the force-quiescent state: the first trigger that held,
 * in this priority order ({@code qs_fqs_cause}). Ordinals are the C values.
 */
public enum FqsCause {
    /** {@code QS_FQS_NONE}: not forced. */
    NONE,
    /** {@code QS_FQS_EXPEDITED}: a direct synchronize() caller. */
    EXPEDITED,
    /** {@code QS_FQS_FORCE}: force() was called. */
    FORCE,
    /** {@code QS_FQS_DRAIN}: a drain is in progress. */
    DRAIN,
    /** {@code QS_FQS_THRESHOLD}: pending callbacks reached cb_threshold. */
    THRESHOLD,
    /** {@code QS_FQS_POLL_LIMIT}: poll_limit polls elapsed. */
    POLL_LIMIT;

    /** {@code QS_FQS_CAUSES}: the length of {@code Stats.fqsByCause}. */
    public static final int COUNT = 6;

    private static final FqsCause[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the cause with C value {@code value}}
     *
     * @param value the cause with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static FqsCause valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_fqs_cause " + value);
        }
        return VALUES[value];
    }
}
