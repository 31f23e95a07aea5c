/*
 * latency: the histogram behind the unmap/command latency stats.
 *  - small values are exact, larger ones within one bucket (< 7%);
 *  - percentiles follow the samples (rank = ceil(pct * count)) and never
 *    exceed the recorded max; an empty histogram reports 0.
 */
#include "emu_check.h"

static qs_latency lat;

/* The recorder is internal (the device fills its histograms); tests
 * fill one through the public layout documented in emu.h. */
static void record(uint64_t ns)
{
    lat.count++;
    lat.sum_ns += ns;
    if (ns > lat.max_ns) {
        lat.max_ns = ns;
    }
}

/* Index of the bucket holding `ns`, per the layout documented in emu.h. */
static uint32_t bucket_of(uint64_t ns)
{
    if (ns < 16) {
        return (uint32_t)ns;
    }
    uint32_t e = 63u - (uint32_t)__builtin_clzll(ns);
    return 16u + (e - 4u) * 16u + (uint32_t)((ns >> (e - 4u)) & 15u);
}

int main(void)
{
    memset(&lat, 0, sizeof(lat));
    CHECK_EQ(qs_latency_percentile_ns(&lat, 50.0), 0);
    CHECK_EQ(qs_latency_percentile_ns(NULL, 50.0), 0);

    /* 100 samples: 1..100 us. */
    for (uint64_t i = 1; i <= 100; i++) {
        uint64_t ns = i * 1000;
        record(ns);
        lat.buckets[bucket_of(ns)]++;
    }
    uint64_t p50 = qs_latency_percentile_ns(&lat, 50.0);
    uint64_t p99 = qs_latency_percentile_ns(&lat, 99.0);
    uint64_t p100 = qs_latency_percentile_ns(&lat, 100.0);
    /* Reported as the bucket's upper bound: >= the true value, < 7% over. */
    CHECK(p50 >= 50000 && p50 < 53500);
    CHECK(p99 >= 99000 && p99 < 105930);
    CHECK_EQ(p100, 100000); /* capped at max */
    CHECK(qs_latency_percentile_ns(&lat, 0.0) >= 1000);
    CHECK(qs_latency_percentile_ns(&lat, 0.0) < 1070);
    CHECK_EQ(qs_latency_percentile_ns(&lat, 250.0), 100000);

    /* Exact below 16 ns. */
    memset(&lat, 0, sizeof(lat));
    for (uint64_t i = 0; i < 16; i++) {
        record(i);
        lat.buckets[bucket_of(i)]++;
    }
    CHECK_EQ(qs_latency_percentile_ns(&lat, 50.0), 7);
    CHECK_EQ(qs_latency_percentile_ns(&lat, 100.0), 15);

    /* One huge sample lands in range and reports the max. */
    memset(&lat, 0, sizeof(lat));
    record(UINT64_MAX / 3);
    lat.buckets[bucket_of(UINT64_MAX / 3)]++;
    CHECK(bucket_of(UINT64_MAX) < QS_LAT_BUCKETS);
    CHECK(qs_latency_percentile_ns(&lat, 99.0) == UINT64_MAX / 3);
    printf("latency: ok\n");
    return 0;
}
