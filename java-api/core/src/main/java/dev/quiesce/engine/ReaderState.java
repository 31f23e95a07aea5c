package dev.quiesce.engine;

/**
 * One snapshot of a reader's {@code ctr} classified against the current
 * {@code gp_ctr} ({@code qs_reader_state}). Ordinals are the C values.
 *
 * <p>{@code gp_ctr} bit layout: bit 0 is always set ({@link #GP_CTR_INIT}),
 * so a reader's {@code ctr} is non-zero exactly while it is inside a section;
 * a grace period adds {@link #GP_STEP}. 64-bit counters never wrap in
 * practice.
 */
public enum ReaderState {
    /** {@code QS_READER_INACTIVE}: {@code ctr == 0}, outside any section. */
    INACTIVE,
    /** {@code QS_READER_ACTIVE_CURRENT}: entered after the current GP began. */
    ACTIVE_CURRENT,
    /** {@code QS_READER_ACTIVE_OLD}: entered before: blocks the current GP. */
    ACTIVE_OLD;

    /** {@code QS_GP_CTR_INIT}: the initial {@code gp_ctr} (bit 0 set). */
    public static final long GP_CTR_INIT = 1L;
    /** {@code QS_GP_STEP}: what one grace period adds to {@code gp_ctr}. */
    public static final long GP_STEP = 2L;

    private static final ReaderState[] VALUES = values();

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
    public static ReaderState valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_reader_state " + value);
        }
        return VALUES[value];
    }

    /**
     * Classify one snapshot of a reader's {@code ctr} against the current
     * {@code gpCtr}. Mirrors {@code qs_reader_classify} (engine/gp.c).
     *
     * @param ctr the reader's counter snapshot
     * @param gpCtr the gp ctr
     * @return the reader state
     */
    public static ReaderState classify(long ctr, long gpCtr) {
        if (ctr == 0) {
            return INACTIVE;
        }
        return ctr == gpCtr ? ACTIVE_CURRENT : ACTIVE_OLD;
    }
}
