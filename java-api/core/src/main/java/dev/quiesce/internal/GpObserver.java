package dev.quiesce.internal;

/**
 * Receives a backend domain's writer-side events (the native
 * {@code qs_observer}, or the pure-Java backend's equivalent): one call per
 * grace period, per callback batch and per {@code force()}. Calls come from
 * the thread that ran the GP (the worker or a synchronize() caller), the
 * worker, or the force() caller; they must be quick and must not throw.
 */
public interface GpObserver {

    /**
     * A grace period ended ({@code qs_gp_record}).
     *
     * @param number the GP's number, 1, 2, ... in start order
     * @param startNanos when it began ({@code CLOCK_MONOTONIC} or {@link System#nanoTime()}, ns)
     * @param durationNanos how long it took, ns
     * @param policy the domain's policy ({@code qs_policy} value)
     * @param fqs whether it entered the force-quiescent state
     * @param cause why ({@code qs_fqs_cause} value; 0 unless {@code fqs})
     * @param readersWaited readers its first scan found in an older section
     * @param expedited whether a direct synchronize() waited for it
     * @param polls poll periods it slept
     * @param notifierCalls force notifiers it fired
     * @param fqsNanos when it entered FQS (same clock as {@code startNanos}; 0 unless {@code fqs})
     */
    void gracePeriodEnded(long number, long startNanos, long durationNanos, int policy, boolean fqs,
            int cause, int readersWaited, boolean expedited, int polls, int notifierCalls, long fqsNanos);

    /**
     * The worker ran a batch of callbacks ({@code qs_batch_record}).
     *
     * @param count callbacks in the batch
     * @param startNanos when the first one began
     * @param durationNanos from the first one's start to the last one's end, ns
     */
    void batchEnded(int count, long startNanos, long durationNanos);

    /** {@code force()} was called on the domain. */
    void forced();

    /**
     * {@return the name of a {@code qs_fqs_cause} value ("NONE", "EXPEDITED", ...), "UNKNOWN" if out of range}
     *
     * @param cause the C value
     */
    static String causeName(int cause) {
        return cause >= 0 && cause < dev.quiesce.engine.FqsCause.COUNT
                ? dev.quiesce.engine.FqsCause.valueOf(cause).name() : "UNKNOWN";
    }

    /**
     * A backend domain that can report its events to a {@link GpObserver}.
     */
    interface Observable {
        /**
         * Installs {@code observer}, replacing any; {@code null} uninstalls.
         * Calls already under way may still reach the previous one.
         *
         * @param observer the observer, or {@code null}
         */
        void setObserver(GpObserver observer);
    }
}
