package dev.quiesce.engine;

import java.util.Arrays;

/**
 * The counters every claim depends on ({@code qs_stats}), as one immutable
 * snapshot. The simulator, the native runtime and the pure-Java runtime all
 * report these with the same meaning. The arrays are copied in and out.
 *
 * @param gps             grace periods completed
 * @param gpsFqs          of which entered FQS (LEGACY: none)
 * @param fqsByCause      FQS entries per {@link FqsCause} ordinal ({@link FqsCause#COUNT} entries)
 * @param polls           poll periods slept (incl. LEGACY pre-polls)
 * @param slowUnlocks     reader unlocks that took the slow path
 * @param notifierCalls   force notifier invocations
 * @param callbacksQueued call() + drain markers
 * @param callbacksRun    callbacks invoked (incl. drain markers)
 * @param drains          drains completed
 * @param forces          force() requests
 * @param syncs           direct synchronize() calls completed
 * @param gpLatMaxNs      runtime only (0 in the sim): the longest GP
 * @param gpLatSumNs      runtime only: the sum of GP latencies
 * @param gpLatHist       runtime only: bucket i counts GPs whose latency in ns has bit length i ({@link #HIST_BUCKETS} entries)
 * @param gpsNoReaders    GPs (in gps) that found no registered reader: nothing to wait for; the
 *                        runtime leaves them out of the latency fields; the sim counts them too
 */
public record Stats(long gps, long gpsFqs, long[] fqsByCause, long polls, long slowUnlocks, long notifierCalls,
                    long callbacksQueued, long callbacksRun, long drains, long forces, long syncs,
                    long gpLatMaxNs, long gpLatSumNs, long[] gpLatHist, long gpsNoReaders) {

    /** Entries of {@link #gpLatHist}. */
    public static final int HIST_BUCKETS = 64;

    /** All zero. */
    public static final Stats ZERO = new Stats(0, 0, new long[FqsCause.COUNT], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            new long[HIST_BUCKETS]);

    /**
     * As the canonical constructor, with no GP counted as reader-less
     * (for runtimes that do not count them).
     *
     * @param gps grace periods completed
     * @param gpsFqs of which entered FQS
     * @param fqsByCause FQS entries per cause
     * @param polls poll periods slept
     * @param slowUnlocks slow-path unlocks
     * @param notifierCalls force notifier invocations
     * @param callbacksQueued callbacks queued
     * @param callbacksRun callbacks invoked
     * @param drains drains completed
     * @param forces force() requests
     * @param syncs direct synchronize() calls completed
     * @param gpLatMaxNs the longest GP
     * @param gpLatSumNs the sum of GP latencies
     * @param gpLatHist the GP latency histogram
     */
    public Stats(long gps, long gpsFqs, long[] fqsByCause, long polls, long slowUnlocks, long notifierCalls,
                 long callbacksQueued, long callbacksRun, long drains, long forces, long syncs,
                 long gpLatMaxNs, long gpLatSumNs, long[] gpLatHist) {
        this(gps, gpsFqs, fqsByCause, polls, slowUnlocks, notifierCalls, callbacksQueued, callbacksRun, drains,
                forces, syncs, gpLatMaxNs, gpLatSumNs, gpLatHist, 0);
    }

    /** Copies the arrays and checks their lengths. */
    public Stats {
        if (fqsByCause.length != FqsCause.COUNT || gpLatHist.length != HIST_BUCKETS) {
            throw new IllegalArgumentException("fqsByCause needs " + FqsCause.COUNT + " entries, gpLatHist "
                    + HIST_BUCKETS);
        }
        fqsByCause = fqsByCause.clone();
        gpLatHist = gpLatHist.clone();
    }

    /**
     * FQS entries per cause, indexed by {@link FqsCause#value()} (a copy).
     *
     * @return the fqs by cause
     */
    @Override
    public long[] fqsByCause() {
        return fqsByCause.clone();
    }

    /**
     * FQS entries for one cause.
     *
     * @param cause the cause
     * @return the fqs by cause
     */
    public long fqsByCause(FqsCause cause) {
        return fqsByCause[cause.value()];
    }

    /**
     * {@return the GP-latency histogram (a copy)}
     */
    @Override
    public long[] gpLatHist() {
        return gpLatHist.clone();
    }

    /**
     * {@return the histogram bucket of a latency: its bit length, as the runtime files it}
     *
     * @param latencyNs the histogram bucket of a latency: its bit length, as the runtime files it
     */
    public static int histBucket(long latencyNs) {
        int bits = 64 - Long.numberOfLeadingZeros(latencyNs);
        return Math.min(bits, HIST_BUCKETS - 1);
    }

    /**
     * {@return a latency percentile (0..100) from the histogram, in ns: the upper
     * bound of the bucket holding it; 0 if no GP completed} Same meaning as
     * {@code qs_stats_gp_percentile_ns}.
     *
     * @param pct a latency percentile (0..100) from the histogram, in ns: the upper
     * bound of the bucket holding it; 0 if no GP completed
     */
    public long gpPercentileNs(double pct) {
        long total = 0;
        for (long n : gpLatHist) {
            total += n;
        }
        if (total == 0) {
            return 0;
        }
        double p = Math.max(0.0, Math.min(100.0, pct));
        long rank = Math.max(1L, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < HIST_BUCKETS; i++) {
            seen += gpLatHist[i];
            if (seen >= rank) {
                return i == 0 ? 0 : (i >= 63 ? Long.MAX_VALUE : (1L << i) - 1);
            }
        }
        return Long.MAX_VALUE;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Stats)) {
            return false;
        }
        Stats s = (Stats) o;
        return gps == s.gps && gpsFqs == s.gpsFqs && Arrays.equals(fqsByCause, s.fqsByCause) && polls == s.polls
                && slowUnlocks == s.slowUnlocks && notifierCalls == s.notifierCalls
                && callbacksQueued == s.callbacksQueued && callbacksRun == s.callbacksRun && drains == s.drains
                && forces == s.forces && syncs == s.syncs && gpLatMaxNs == s.gpLatMaxNs
                && gpLatSumNs == s.gpLatSumNs && Arrays.equals(gpLatHist, s.gpLatHist);
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(gps);
        h = 31 * h + Long.hashCode(gpsFqs);
        h = 31 * h + Arrays.hashCode(fqsByCause);
        h = 31 * h + Long.hashCode(polls);
        h = 31 * h + Long.hashCode(slowUnlocks);
        h = 31 * h + Long.hashCode(notifierCalls);
        h = 31 * h + Long.hashCode(callbacksQueued);
        h = 31 * h + Long.hashCode(callbacksRun);
        h = 31 * h + Long.hashCode(drains);
        h = 31 * h + Long.hashCode(forces);
        h = 31 * h + Long.hashCode(syncs);
        h = 31 * h + Long.hashCode(gpLatMaxNs);
        h = 31 * h + Long.hashCode(gpLatSumNs);
        return 31 * h + Arrays.hashCode(gpLatHist);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Stats[gps=").append(gps).append(", gpsFqs=").append(gpsFqs)
                .append(", fqsByCause=").append(Arrays.toString(fqsByCause)).append(", polls=").append(polls)
                .append(", slowUnlocks=").append(slowUnlocks).append(", notifierCalls=").append(notifierCalls)
                .append(", callbacksQueued=").append(callbacksQueued).append(", callbacksRun=").append(callbacksRun)
                .append(", drains=").append(drains).append(", forces=").append(forces).append(", syncs=")
                .append(syncs).append(", gpLatMaxNs=").append(gpLatMaxNs).append(", gpLatSumNs=")
                .append(gpLatSumNs).append(", gpLatHist={");
        boolean first = true;
        for (int i = 0; i < HIST_BUCKETS; i++) {
            if (gpLatHist[i] != 0) {
                b.append(first ? "" : ", ").append(i).append(':').append(gpLatHist[i]);
                first = false;
            }
        }
        return b.append("}]").toString();
    }
}
