package dev.quiesce.examples.cli;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * What one mode of the stall experiment measured.
 *
 * @param mode        the mode
 * @param latencies   every unmap's latency, ns, in order
 * @param histogram   the same in an HdrHistogram (percentiles)
 * @param gps         grace periods completed during the run
 * @param gpsFqs      of which entered the force-quiescent state
 * @param slowUnlocks reader slow-path unlocks
 * @param kicks       vCPU kicks (force notifier calls)
 * @param stalls      unmaps that needed a drain to complete (only with --stall-timeout)
 * @param seconds     wall time of the run
 * @param deviceP99   the native device's own p99 (submit to response inside C), or -1 on JVM runs
 */
record StallResult(StallMode mode, long[] latencies, Histogram histogram, long gps, long gpsFqs, long slowUnlocks,
                   long kicks, int stalls, double seconds, long deviceP99) {

    static Histogram newHistogram() {
        // 1 us .. 1 h, 3 significant digits
        return new Histogram(1_000L, 3_600_000_000_000L, 3);
    }

    long p50() {
        return histogram.getValueAtPercentile(50);
    }

    long p99() {
        return histogram.getValueAtPercentile(99);
    }

    long max() {
        return histogram.getMaxValue();
    }

    double slowPerGp() {
        return gps == 0 ? 0 : (double) slowUnlocks / gps;
    }

    long[] sorted() {
        long[] s = latencies.clone();
        Arrays.sort(s);
        return s;
    }
}
