package dev.quiesce.emu;

import java.util.Arrays;

/**
 * A copy of one of the device's latency histograms ({@code qs_latency}):
 * exact buckets below 16 ns, then 16 buckets per power of two (each about
 * 4-6% wide). Percentiles report a bucket's upper bound capped at the
 * recorded maximum, exactly as {@code qs_latency_percentile_ns} does.
 */
public final class LatencyHistogram {

    /** Buckets in a histogram ({@code QS_LAT_BUCKETS}). */
    public static final int BUCKETS = 1024;
    private static final int LAST_BUCKET = 16 + 59 * 16 + 15;

    private final long count;
    private final long sumNanos;
    private final long maxNanos;
    private final long[] buckets;

    /**
     * A histogram from its parts.
     *
     * @param count    samples
     * @param sumNanos their sum
     * @param maxNanos the largest
     * @param buckets  {@link #BUCKETS} counts (copied)
     */
    public LatencyHistogram(long count, long sumNanos, long maxNanos, long[] buckets) {
        if (buckets.length != BUCKETS) {
            throw new IllegalArgumentException("a latency histogram has " + BUCKETS + " buckets");
        }
        this.count = count;
        this.sumNanos = sumNanos;
        this.maxNanos = maxNanos;
        this.buckets = buckets.clone();
    }

    /**
     * {@return the bucket a latency falls in ({@code qs_latency_bucket})}
     *
     * @param nanos the bucket a latency falls in ({@code qs_latency_bucket})
     */
    public static int bucketOf(long nanos) {
        if (Long.compareUnsigned(nanos, 16) < 0) {
            return (int) nanos;
        }
        int e = 63 - Long.numberOfLeadingZeros(nanos);
        return 16 + (e - 4) * 16 + (int) ((nanos >>> (e - 4)) & 15);
    }

    /**
     * {@return the smallest latency of bucket {@code b}}
     *
     * @param b the smallest latency of bucket {@code b}
     */
    public static long bucketLower(int b) {
        if (b < 16) {
            return b;
        }
        int e = (b - 16) / 16 + 4;
        long sub = (b - 16) % 16;
        return (16 + sub) << (e - 4);
    }

    /**
     * {@return the largest latency of bucket {@code b} ({@code qs_latency_bucket_upper}; unsigned max for the last)}
     *
     * @param b the largest latency of bucket {@code b} ({@code qs_latency_bucket_upper}; unsigned max for the last)
     */
    public static long bucketUpper(int b) {
        if (b >= LAST_BUCKET) {
            return -1L; // UINT64_MAX
        }
        return bucketLower(b + 1) - 1;
    }

    /**
     * Samples recorded.
     *
     * @return the count
     */
    public long count() {
        return count;
    }

    /**
     * Sum of the samples, ns.
     *
     * @return the sum nanos
     */
    public long sumNanos() {
        return sumNanos;
    }

    /**
     * {@return the largest sample, ns}
     */
    public long maxNanos() {
        return maxNanos;
    }

    /**
     * {@return the mean, ns (0 when empty)}
     */
    public long meanNanos() {
        return count == 0 ? 0 : sumNanos / count;
    }

    /**
     * Bucket counts (a copy).
     *
     * @return the buckets
     */
    public long[] buckets() {
        return buckets.clone();
    }

    /**
     * The latency at percentile {@code pct}, as {@code qs_latency_percentile_ns}:
     * the upper bound of the bucket holding the sample of rank
     * {@code ceil(pct / 100 * count)} (at least 1), capped at the maximum.
     *
     * @param pct 0 to 100 (clamped)
     * @return nanoseconds, 0 when empty
     */
    public long percentileNanos(double pct) {
        if (count == 0) {
            return 0;
        }
        double p = pct > 0 ? Math.min(pct, 100.0) : 0.0;
        double want = p / 100.0 * (double) count;
        long rank = (long) want;
        if ((double) rank < want) {
            rank++;
        }
        if (rank == 0) {
            rank = 1;
        }
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += buckets[b];
            if (seen >= rank) {
                long up = bucketUpper(b);
                return Long.compareUnsigned(up, maxNanos) < 0 ? up : maxNanos;
            }
        }
        return maxNanos;
    }

    @Override
    public String toString() {
        return String.format("LatencyHistogram[n=%d, p50=%.3f ms, p99=%.3f ms, max=%.3f ms]", count,
                percentileNanos(50) / 1e6, percentileNanos(99) / 1e6, maxNanos / 1e6);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatencyHistogram && ((LatencyHistogram) o).count == count
                && ((LatencyHistogram) o).sumNanos == sumNanos && ((LatencyHistogram) o).maxNanos == maxNanos
                && Arrays.equals(((LatencyHistogram) o).buckets, buckets);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count) * 31 + Arrays.hashCode(buckets);
    }
}
