package dev.quiesce.emu;

import java.time.Duration;

/**
 * The virtio-gpu device's counters ({@code qs_gpu_stats}): a snapshot.
 * Latencies are submit-to-response inside the device, from its histograms
 * (bucket upper bounds, about 4% resolution; see {@link LatencyHistogram}).
 *
 * @param submitted      commands accepted
 * @param answered       responses produced
 * @param answeredOk     of which RESP_OK_*
 * @param answeredErr    of which RESP_ERR_*
 * @param queued         commands that waited behind an unmap
 * @param creates        successful CREATE_BLOB
 * @param maps           successful MAP_BLOB
 * @param unmaps         unmaps completed
 * @param unrefs         successful UNREF
 * @param regionsFreed   blob region free hooks that ran
 * @param forces         {@code force} calls made on unmap
 * @param blockedNanos   total time the queue was suspended by unmaps
 * @param resources      live resources
 * @param mapped         resources in MAPPED state
 * @param pending        commands not yet answered
 * @param blocked        whether an unmap suspends the queue now
 * @param memUsed        bytes of live blobs
 * @param unmapP50Nanos  unmap latency, median
 * @param unmapP99Nanos  unmap latency, 99th percentile
 * @param unmapMaxNanos  unmap latency, maximum
 * @param cmdP50Nanos    any command's latency, median
 * @param cmdP99Nanos    any command's latency, 99th percentile
 * @param cmdMaxNanos    any command's latency, maximum
 */
public record GpuStats(long submitted, long answered, long answeredOk, long answeredErr, long queued, long creates,
                       long maps, long unmaps, long unrefs, long regionsFreed, long forces, long blockedNanos,
                       int resources, int mapped, int pending, boolean blocked, long memUsed, long unmapP50Nanos,
                       long unmapP99Nanos, long unmapMaxNanos, long cmdP50Nanos, long cmdP99Nanos,
                       long cmdMaxNanos) {

    /**
     * Unmap latency percentile 99 as a Duration.
     *
     * @return the duration
     */
    public Duration unmapP99() {
        return Duration.ofNanos(unmapP99Nanos);
    }

    /**
     * {@return the counters that do not depend on timing: what the device did, not
     * when} The differential tests compare these between the native device
     * and the Java model (leaving out {@code queued}, {@code forces}, the
     * blocked time and the latencies).
     */
    public String deterministicCounters() {
        return "submitted=" + submitted + " answered=" + answered + " ok=" + answeredOk + " err=" + answeredErr
                + " creates=" + creates + " maps=" + maps + " unmaps=" + unmaps + " unrefs=" + unrefs
                + " regionsFreed=" + regionsFreed + " resources=" + resources + " mapped=" + mapped
                + " pending=" + pending + " blocked=" + blocked + " memUsed=" + memUsed;
    }
}
