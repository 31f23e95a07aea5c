package dev.quiesce.engine;

/** What the call worker does next ({@code qs_worker_action}). Ordinals are the C values. */
public enum WorkerAction {
    /** {@code QS_WORKER_ACT_WAIT_WORK}: block until a callback is queued. */
    WAIT_WORK,
    /** {@code QS_WORKER_ACT_PREPOLL}: LEGACY: sleep one poll period. */
    PREPOLL,
    /** {@code QS_WORKER_ACT_RUN_GP}: snapshot {@code batch} callbacks, run a GP. */
    RUN_GP;

    private static final WorkerAction[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the action with C value {@code value}}
     *
     * @param value the action with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static WorkerAction valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_worker_action " + value);
        }
        return VALUES[value];
    }
}
