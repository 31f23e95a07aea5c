package dev.quiesce.spi;

import dev.quiesce.Policy;
import dev.quiesce.Stats;
import java.util.List;
import java.util.Objects;

/**
 * What a backend reports when a grace period has waited longer than the
 * domain's stall timeout ({@link DomainConfig#stallTimeoutMillis()}): once
 * at the timeout and once more at three times it, per grace period (C
 * {@code qs_stall_report}). The facade turns it into a
 * {@link dev.quiesce.StallReport}, adding what only it knows (each Java
 * reader's nesting depth and stack).
 *
 * @param gpNumber     the number of the grace period that stalls (unsigned)
 * @param waitedNanos  how long it has waited so far
 * @param timeoutNanos the domain's stall timeout
 * @param policy       the domain's policy
 * @param fqsCause     why the grace period entered the force-quiescent state, or NONE
 * @param repeat       {@code false} for the report at the timeout, {@code true} for the one at three times it
 * @param totalReaders how many readers hold the grace period ({@code readers} may list fewer)
 * @param readers      the readers still holding the grace period
 */
public record StallInfo(long gpNumber, long waitedNanos, long timeoutNanos, Policy policy, Stats.FqsCause fqsCause,
                        boolean repeat, int totalReaders, List<Reader> readers) {

    /** Checks and copies. */
    public StallInfo {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(fqsCause, "fqsCause");
        readers = List.copyOf(readers);
    }

    /**
     * One reader holding the stalled grace period.
     *
     * @param thread        the Java thread that registered this reader, or null for a
     *                      thread the backend knows only natively (a C reader)
     * @param threadId      the thread's id: {@code Thread.getId()} for a Java thread, the
     *                      OS thread id otherwise
     * @param threadName    the thread's name (the native name for a C thread; may be empty)
     * @param inSectionNanos how long the reader has been inside its section, a lower
     *                      bound (at least since the grace period began)
     * @param depth         its nesting depth as the backend counts it (the facade
     *                      replaces it by its own count for Java readers)
     * @param kicks         force-notifier calls on this reader during this grace period
     */
    public record Reader(Thread thread, long threadId, String threadName, long inSectionNanos, int depth,
                         long kicks) {

        /** Checks. */
        public Reader {
            Objects.requireNonNull(threadName, "threadName");
        }
    }
}
