package dev.quiesce;

import dev.quiesce.spi.RawStats;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * A snapshot of a domain's counters ({@code qs_stats}), plus the Java-side
 * counts of callbacks and notifiers that threw.
 *
 * <p>Every claim of the force-quiescent-state design can be read off these
 * numbers: under {@link Policy#FQS} a grace period that never needed forcing
 * costs readers nothing ({@link #slowUnlocks()} stays 0), forced grace periods
 * show up in {@link #gpsFqs()} and {@link #fqsEntries(FqsCause)}, and
 * {@link #gpLatencyPercentileNanos(double)} bounds reclamation latency.
 *
 * <p>Immutable; accessors are named like record components.
 */
public final class Stats {

    /** Why a grace period entered the force-quiescent state ({@code qs_fqs_cause}). */
    public enum FqsCause {
        /** Not forced. */
        NONE,
        /** A direct {@link RcuDomain#synchronize()} (expedited). */
        EXPEDITED,
        /** {@link RcuDomain#force()}. */
        FORCE,
        /** A {@link RcuDomain#drain()} was in progress. */
        DRAIN,
        /** Pending callbacks reached the callback threshold. */
        THRESHOLD,
        /** The poll limit elapsed. */
        POLL_LIMIT
    }

    private final RawStats raw;
    private final long callbackExceptions;
    private final long notifierExceptions;

    private Stats(RawStats raw, long callbackExceptions, long notifierExceptions) {
        this.raw = raw;
        this.callbackExceptions = callbackExceptions;
        this.notifierExceptions = notifierExceptions;
    }

    /**
     * Combines a backend's counters with the facade's exception counts.
     *
     * @param raw the backend's snapshot
     * @param callbackExceptions callbacks that threw
     * @param notifierExceptions force notifiers that threw
     * @return the combined snapshot
     */
    public static Stats of(RawStats raw, long callbackExceptions, long notifierExceptions) {
        return new Stats(Objects.requireNonNull(raw, "raw"), callbackExceptions, notifierExceptions);
    }

    /**
     * Grace periods completed.
     *
     * @return the number of grace periods completed
     */
    public long gps() {
        return raw.gps();
    }

    /**
     * Grace periods that entered the force-quiescent state (always 0 under LEGACY).
     *
     * @return the number of grace periods that entered the force-quiescent state (always 0 under LEGACY)
     */
    public long gpsFqs() {
        return raw.gpsFqs();
    }

    /**
     * Force-quiescent-state entries with the given cause.
     *
     * @param cause the cause of the entries
     * @return the number of force-quiescent-state entries with the given cause
     */
    public long fqsEntries(FqsCause cause) {
        return raw.fqsByCause()[cause.ordinal()];
    }

    /**
     * Poll periods slept, including LEGACY pre-polls.
     *
     * @return the number of poll periods slept, including LEGACY pre-polls
     */
    public long polls() {
        return raw.polls();
    }

    /**
     * Reader unlocks that took the slow path (woke the writer).
     *
     * @return the number of reader unlocks that took the slow path (woke the writer)
     */
    public long slowUnlocks() {
        return raw.slowUnlocks();
    }

    /**
     * Force notifier invocations.
     *
     * @return the number of force notifier invocations
     */
    public long notifierCalls() {
        return raw.notifierCalls();
    }

    /**
     * {@return the number of callbacks queued, including the markers of {@link RcuDomain#drain()}}
     */
    public long callbacksQueued() {
        return raw.callbacksQueued();
    }

    /**
     * {@return the number of callbacks invoked, including drain markers}
     */
    public long callbacksRun() {
        return raw.callbacksRun();
    }

    /**
     * Drains completed.
     *
     * @return the number of drains completed
     */
    public long drains() {
        return raw.drains();
    }

    /**
     * {@link RcuDomain#force()} requests.
     *
     * @return the number of {@link RcuDomain#force()} requests
     */
    public long forces() {
        return raw.forces();
    }

    /**
     * Direct {@link RcuDomain#synchronize()} calls completed.
     *
     * @return the number of direct {@link RcuDomain#synchronize()} calls completed
     */
    public long syncs() {
        return raw.syncs();
    }

    /**
     * Objects retired with {@link RcuDomain#retire(java.lang.foreign.MemorySegment)}
     * (or by C code with {@code qs_retire}) still waiting for their grace
     * period; 0 after a {@link RcuDomain#drain()} with no concurrent retire.
     * Always 0 on the JNA and pure-Java backends.
     *
     * @return the number of retired objects not yet freed
     */
    public long retiredPending() {
        return raw.retiredPending();
    }

    /**
     * The bytes of the {@linkplain #retiredPending() pending} retired objects,
     * as the retiring callers gave them.
     *
     * @return the bytes of the retired objects not yet freed
     */
    public long retiredPendingBytes() {
        return raw.retiredPendingBytes();
    }

    /**
     * Retired objects whose free function has returned, on the native worker.
     *
     * @return the number of retired objects freed
     */
    public long retiredFreed() {
        return raw.retiredFreed();
    }

    /**
     * The bytes of the {@linkplain #retiredFreed() freed} retired objects.
     *
     * @return the bytes of the retired objects freed
     */
    public long retiredFreedBytes() {
        return raw.retiredFreedBytes();
    }

    /**
     * Grace periods that found no registered reader, so there was nothing to
     * wait for. They are counted in {@link #gps()} but kept out of the
     * latency fields ({@link #gpLatencyMaxNanos()}, the mean and the
     * percentiles), which describe only grace periods that had readers to
     * wait for.
     *
     * @return the grace periods without a reader to wait for
     */
    public long gpsNoReaders() {
        return raw.gpsNoReaders();
    }

    /**
     * Stall reports made: a grace period still waiting after the stall
     * timeout is reported once, and again at three times it.
     *
     * @return the stall reports made
     */
    public long stalls() {
        return raw.stalls();
    }

    /**
     * {@return the longest grace period, in nanoseconds}
     */
    public long gpLatencyMaxNanos() {
        return raw.gpLatMaxNs();
    }

    /**
     * {@return the sum of all grace-period latencies, in nanoseconds}
     */
    public long gpLatencySumNanos() {
        return raw.gpLatSumNs();
    }

    /**
     * {@return the mean grace-period latency, in nanoseconds (0 if none completed)}
     */
    public long gpLatencyMeanNanos() {
        long n = histogramTotal();
        return n == 0 ? 0 : raw.gpLatSumNs() / n;
    }

    /**
     * The grace-period latency histogram: element {@code i} counts grace
     * periods whose latency in nanoseconds has bit length {@code i}, that is
     * lies in {@code [2^(i-1), 2^i - 1]}.
     *
     * @return a copy, 64 elements
     */
    public long[] gpLatencyHistogram() {
        return raw.gpLatHist();
    }

    /**
     * A latency percentile from the histogram, as the C
     * {@code qs_stats_gp_percentile_ns} computes it: the upper bound of the
     * bucket holding the sample of rank {@code ceil(pct/100 * n)}.
     *
     * @param pct 0 to 100 (clamped)
     * @return nanoseconds, 0 if no grace period completed
     */
    public long gpLatencyPercentileNanos(double pct) {
        long[] hist = raw.gpLatHist();
        long total = 0;
        for (long h : hist) {
            total += h;
        }
        if (total == 0) {
            return 0;
        }
        double p = Math.max(0, Math.min(100, pct));
        long rank = (long) (p / 100.0 * (double) total + 0.999999);
        if (rank == 0) {
            rank = 1;
        }
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= rank) {
                // Unsigned: bucket 63's bound, 2^63-1 .. UINT64_MAX, saturates.
                return i == 0 ? 0 : i >= 63 ? Long.MAX_VALUE : (1L << i) - 1;
            }
        }
        return Long.MAX_VALUE;
    }

    /**
     * {@link #gpLatencyPercentileNanos(double)} as a {@link Duration}.
     *
     * @param pct 0 to 100 (clamped)
     * @return the same percentile as a {@link Duration}
     */
    public Duration gpLatencyPercentile(double pct) {
        return Duration.ofNanos(gpLatencyPercentileNanos(pct));
    }

    /**
     * {@return the number of callbacks ({@link RcuDomain#callRcu(Runnable)}) that threw; counted by the facade}
     */
    public long callbackExceptions() {
        return callbackExceptions;
    }

    /**
     * Force notifiers ({@link RcuDomain#onForce(Runnable)}) that threw; counted by the facade.
     *
     * @return the number of force notifiers ({@link RcuDomain#onForce(Runnable)}) that threw; counted by the facade
     */
    public long notifierExceptions() {
        return notifierExceptions;
    }

    private long histogramTotal() {
        long total = 0;
        for (long h : raw.gpLatHist()) {
            total += h;
        }
        return total;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Stats)) {
            return false;
        }
        Stats s = (Stats) o;
        return raw.gps() == s.raw.gps() && raw.gpsFqs() == s.raw.gpsFqs()
                && Arrays.equals(raw.fqsByCause(), s.raw.fqsByCause()) && raw.polls() == s.raw.polls()
                && raw.slowUnlocks() == s.raw.slowUnlocks() && raw.notifierCalls() == s.raw.notifierCalls()
                && raw.callbacksQueued() == s.raw.callbacksQueued() && raw.callbacksRun() == s.raw.callbacksRun()
                && raw.drains() == s.raw.drains() && raw.forces() == s.raw.forces() && raw.syncs() == s.raw.syncs()
                && raw.gpLatMaxNs() == s.raw.gpLatMaxNs() && raw.gpLatSumNs() == s.raw.gpLatSumNs()
                && Arrays.equals(raw.gpLatHist(), s.raw.gpLatHist())
                && raw.retiredPending() == s.raw.retiredPending()
                && raw.retiredPendingBytes() == s.raw.retiredPendingBytes()
                && raw.retiredFreed() == s.raw.retiredFreed() && raw.retiredFreedBytes() == s.raw.retiredFreedBytes()
                && callbackExceptions == s.callbackExceptions && notifierExceptions == s.notifierExceptions;
    }

    @Override
    public int hashCode() {
        return Objects.hash(raw.gps(), raw.gpsFqs(), raw.polls(), raw.slowUnlocks(), raw.callbacksRun(),
                callbackExceptions, notifierExceptions);
    }

    @Override
    public String toString() {
        return "Stats[gps=" + gps() + ", gpsFqs=" + gpsFqs() + ", fqsByCause=" + Arrays.toString(raw.fqsByCause())
                + ", polls=" + polls() + ", slowUnlocks=" + slowUnlocks() + ", notifierCalls=" + notifierCalls()
                + ", callbacksQueued=" + callbacksQueued() + ", callbacksRun=" + callbacksRun()
                + ", drains=" + drains() + ", forces=" + forces() + ", syncs=" + syncs()
                + ", gpLatencyMaxNanos=" + gpLatencyMaxNanos() + ", gpLatencyP99Nanos=" + gpLatencyPercentileNanos(99)
                + ", retiredPending=" + retiredPending() + ", retiredPendingBytes=" + retiredPendingBytes()
                + ", retiredFreed=" + retiredFreed() + ", retiredFreedBytes=" + retiredFreedBytes()
                + ", gpsNoReaders=" + gpsNoReaders() + ", stalls=" + stalls()
                + ", callbackExceptions=" + callbackExceptions + ", notifierExceptions=" + notifierExceptions + "]";
    }
}
