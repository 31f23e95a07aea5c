package dev.quiesce.spi;

import java.util.Objects;

/**
 * The counters of a domain, field for field the C {@code qs_stats}.
 * The facade turns this into {@link dev.quiesce.Stats}.
 *
 * @param gps              grace periods completed
 * @param gpsFqs           of which entered the force-quiescent state
 * @param fqsByCause       FQS entries per {@code qs_fqs_cause} (length 6, index = cause)
 * @param polls            poll periods slept (including LEGACY pre-polls)
 * @param slowUnlocks      reader unlocks that took the slow path
 * @param notifierCalls    force notifier invocations
 * @param callbacksQueued  callbacks queued, including drain markers
 * @param callbacksRun     callbacks invoked, including drain markers
 * @param drains           drains completed
 * @param forces           force requests
 * @param syncs            direct synchronize calls completed
 * @param gpLatMaxNs       longest grace period, ns
 * @param gpLatSumNs       sum of grace-period latencies, ns
 * @param gpLatHist        length 64: bucket i counts grace periods whose latency in ns has bit length i
 * @param retiredPending      retired objects waiting to be freed ({@code qs_retire}; 0 but on FFM)
 * @param retiredPendingBytes their bytes
 * @param retiredFreed        retired objects whose free function returned
 * @param retiredFreedBytes   their bytes
 * @param gpsNoReaders     grace periods (counted in {@code gps}) that found no registered reader:
 *                         nothing to wait for; kept out of the latency fields
 * @param stalls           stall reports made
 */
public record RawStats(long gps, long gpsFqs, long[] fqsByCause, long polls, long slowUnlocks,
                       long notifierCalls, long callbacksQueued, long callbacksRun, long drains,
                       long forces, long syncs, long gpLatMaxNs, long gpLatSumNs, long[] gpLatHist,
                       long retiredPending, long retiredPendingBytes, long retiredFreed,
                       long retiredFreedBytes, long gpsNoReaders, long stalls) {

    /**
     * The counters of a backend without native memory under RCU: the retire
     * counts are 0.
     *
     * @param gps              grace periods completed
     * @param gpsFqs           of which entered the force-quiescent state
     * @param fqsByCause       FQS entries per cause
     * @param polls            poll periods slept
     * @param slowUnlocks      reader unlocks that took the slow path
     * @param notifierCalls    force notifier invocations
     * @param callbacksQueued  callbacks queued
     * @param callbacksRun     callbacks invoked
     * @param drains           drains completed
     * @param forces           force requests
     * @param syncs            direct synchronize calls completed
     * @param gpLatMaxNs       longest grace period, ns
     * @param gpLatSumNs       sum of grace-period latencies, ns
     * @param gpLatHist        the latency histogram (length 64)
     */
    public RawStats(long gps, long gpsFqs, long[] fqsByCause, long polls, long slowUnlocks,
                    long notifierCalls, long callbacksQueued, long callbacksRun, long drains,
                    long forces, long syncs, long gpLatMaxNs, long gpLatSumNs, long[] gpLatHist) {
        this(gps, gpsFqs, fqsByCause, polls, slowUnlocks, notifierCalls, callbacksQueued, callbacksRun,
                drains, forces, syncs, gpLatMaxNs, gpLatSumNs, gpLatHist, 0, 0, 0, 0, 0, 0);
    }

    /** Number of {@code qs_fqs_cause} values ({@code QS_FQS_CAUSES}). */
    public static final int FQS_CAUSES = 6;
    /** Number of latency histogram buckets. */
    public static final int HIST_BUCKETS = 64;

    /**
     * Checks array lengths and copies the arrays.
     *
     * @throws IllegalArgumentException if an array has the wrong length
     */
    public RawStats {
        Objects.requireNonNull(fqsByCause, "fqsByCause");
        Objects.requireNonNull(gpLatHist, "gpLatHist");
        if (fqsByCause.length != FQS_CAUSES || gpLatHist.length != HIST_BUCKETS) {
            throw new IllegalArgumentException("fqsByCause must have " + FQS_CAUSES
                    + " entries and gpLatHist " + HIST_BUCKETS);
        }
        fqsByCause = fqsByCause.clone();
        gpLatHist = gpLatHist.clone();
    }

    /**
     * {@return a copy of the per-cause FQS counts}
     */
    @Override
    public long[] fqsByCause() {
        return fqsByCause.clone();
    }

    /**
     * {@return a copy of the latency histogram}
     */
    @Override
    public long[] gpLatHist() {
        return gpLatHist.clone();
    }
}
