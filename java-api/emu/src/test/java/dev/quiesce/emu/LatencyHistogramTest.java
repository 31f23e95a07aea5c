package dev.quiesce.emu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The Java copy of qs_latency's bucket layout and percentile rule. */
class LatencyHistogramTest {

    @Test
    void bucketsAreExactBelowSixteenThenSixteenPerOctave() {
        for (long ns = 0; ns < 16; ns++) {
            assertThat(LatencyHistogram.bucketOf(ns)).isEqualTo((int) ns);
        }
        assertThat(LatencyHistogram.bucketOf(16)).isEqualTo(16);
        assertThat(LatencyHistogram.bucketOf(31)).isEqualTo(31);
        assertThat(LatencyHistogram.bucketOf(32)).isEqualTo(32);
        assertThat(LatencyHistogram.bucketOf(33)).isEqualTo(32);
        assertThat(LatencyHistogram.bucketOf(-1L)).isEqualTo(16 + 59 * 16 + 15);
        for (int b = 0; b < 16 + 59 * 16 + 15; b++) {
            assertThat(LatencyHistogram.bucketOf(LatencyHistogram.bucketLower(b))).isEqualTo(b);
            assertThat(LatencyHistogram.bucketOf(LatencyHistogram.bucketUpper(b))).isEqualTo(b);
        }
    }

    @Test
    void percentilesAreBucketUpperBoundsCappedAtTheMax() {
        long[] buckets = new long[LatencyHistogram.BUCKETS];
        long[] samples = {1_000_000, 2_000_000, 3_000_000, 50_000_000};
        long sum = 0;
        for (long s : samples) {
            buckets[LatencyHistogram.bucketOf(s)]++;
            sum += s;
        }
        LatencyHistogram h = new LatencyHistogram(samples.length, sum, 50_000_000, buckets);
        assertThat(h.percentileNanos(50)).isBetween(2_000_000L, 2_000_000L * 107 / 100);
        assertThat(h.percentileNanos(100)).isEqualTo(50_000_000);
        assertThat(h.percentileNanos(0)).isBetween(1_000_000L, 1_070_000L);
        assertThat(h.meanNanos()).isEqualTo(sum / 4);
        assertThat(new LatencyHistogram(0, 0, 0, new long[LatencyHistogram.BUCKETS]).percentileNanos(99)).isZero();
    }
}
