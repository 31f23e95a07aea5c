package dev.quiesce.engine;

/** Where the call worker stands ({@code qs_worker_state}). Ordinals are the C values. */
public enum WorkerState {
    /** {@code QS_WORKER_IDLE}: waiting for the first callback. */
    IDLE,
    /** {@code QS_WORKER_PREPOLL}: LEGACY: sleeping for callbacks to pile up. */
    PREPOLL,
    /** {@code QS_WORKER_GP}: running a GP for a snapshot of callbacks. */
    GP,
    /** {@code QS_WORKER_INVOKE}: invoking the snapshot's callbacks. */
    INVOKE;

    private static final WorkerState[] VALUES = values();

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
    public static WorkerState valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_worker_state " + value);
        }
        return VALUES[value];
    }
}
