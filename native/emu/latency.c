/*
 * Latency histograms: exact buckets below 16 ns, then 16 buckets per
 * power of two (each bucket spans 1/16 of its octave, ~4-6% wide).
 *
 *   ns < 16:            bucket = ns
 *   ns >= 16, e = msb:  bucket = 16 + (e - 4) * 16 + ((ns >> (e - 4)) & 15)
 *
 * The largest value (e = 63) lands in bucket 16 + 59 * 16 + 15 = 975, so
 * QS_LAT_BUCKETS (1024) is enough.
 */
#include "emu_internal.h"

_Static_assert(16 + 59 * 16 + 15 < QS_LAT_BUCKETS, "histogram holds every uint64_t");

uint32_t qs_latency_bucket(uint64_t ns)
{
    if (ns < 16) {
        return (uint32_t)ns;
    }
    uint32_t e = 63u - (uint32_t)__builtin_clzll(ns);
    return 16u + (e - 4u) * 16u + (uint32_t)((ns >> (e - 4u)) & 15u);
}

/* Smallest value of bucket b. */
static uint64_t bucket_lower(uint32_t b)
{
    if (b < 16) {
        return b;
    }
    uint32_t e = (b - 16u) / 16u + 4u;
    uint64_t sub = (b - 16u) % 16u;
    return (16u + sub) << (e - 4u);
}

uint64_t qs_latency_bucket_upper(uint32_t b)
{
    if (b >= 16u + 59u * 16u + 15u) {
        return UINT64_MAX;
    }
    return bucket_lower(b + 1) - 1;
}

void qs_latency_record(qs_latency *lat, uint64_t ns)
{
    lat->count++;
    lat->sum_ns += ns;
    if (ns > lat->max_ns) {
        lat->max_ns = ns;
    }
    lat->buckets[qs_latency_bucket(ns)]++;
}

uint64_t qs_latency_percentile_ns(const qs_latency *lat, double pct)
{
    if (lat == NULL || lat->count == 0) {
        return 0;
    }
    if (!(pct > 0.0)) {
        pct = 0.0;
    }
    if (pct > 100.0) {
        pct = 100.0;
    }
    /* The rank of the sample we want, 1-based: at least the first. */
    double want = pct / 100.0 * (double)lat->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want) {
        rank++; /* ceil, without libm */
    }
    if (rank == 0) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (uint32_t b = 0; b < QS_LAT_BUCKETS; b++) {
        seen += lat->buckets[b];
        if (seen >= rank) {
            uint64_t up = qs_latency_bucket_upper(b);
            return up < lat->max_ns ? up : lat->max_ns;
        }
    }
    return lat->max_ns;
}
