package dev.quiesce.emu;

import dev.quiesce.Stats;
import dev.quiesce.bindings.qs_gpu_stats;
import dev.quiesce.bindings.qs_latency;
import dev.quiesce.bindings.qs_machine_stats;
import dev.quiesce.bindings.qs_stats;
import dev.quiesce.bindings.qs_vcpu_stats;
import dev.quiesce.internal.NativeLoader;
import dev.quiesce.spi.RawStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Loading libquiesce for the emulator API, and turning the native stats
 * structs into the API's records. Package-private.
 */
final class EmuNative {

    /** {@code -EAGAIN}. */
    static final int EAGAIN = -11;
    /** {@code -ENOENT}. */
    static final int ENOENT = -2;
    /** {@code -EFAULT}. */
    static final int EFAULT = -14;
    /** {@code -EEXIST}. */
    static final int EEXIST = -17;
    /** {@code -EALREADY}. */
    static final int EALREADY = -114;
    /** {@code -ETIMEDOUT}. */
    static final int ETIMEDOUT = -110;

    private EmuNative() {
    }

    /** Loads libquiesce into this class loader, where the bindings look it up. */
    static void load() {
        try {
            NativeLoader.load();
        } catch (UnsatisfiedLinkError e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("the emulator API needs libquiesce: " + e.getMessage());
            error.initCause(e);
            throw error;
        }
    }

    static Stats rcuStats(MemorySegment s) {
        RawStats raw = new RawStats(qs_stats.gps(s), qs_stats.gps_fqs(s),
                qs_stats.fqs_by_cause(s).toArray(ValueLayout.JAVA_LONG), qs_stats.polls(s), qs_stats.slow_unlocks(s),
                qs_stats.notifier_calls(s), qs_stats.callbacks_queued(s), qs_stats.callbacks_run(s),
                qs_stats.drains(s), qs_stats.forces(s), qs_stats.syncs(s), qs_stats.gp_lat_max_ns(s),
                qs_stats.gp_lat_sum_ns(s), qs_stats.gp_lat_hist(s).toArray(ValueLayout.JAVA_LONG),
                qs_stats.retired_pending(s), qs_stats.retired_pending_bytes(s), qs_stats.retired_freed(s),
                qs_stats.retired_freed_bytes(s), qs_stats.gps_no_readers(s), qs_stats.stalls(s));
        return Stats.of(raw, 0, 0);
    }

    static GpuStats gpuStats(MemorySegment s) {
        return new GpuStats(qs_gpu_stats.submitted(s), qs_gpu_stats.answered(s), qs_gpu_stats.answered_ok(s),
                qs_gpu_stats.answered_err(s), qs_gpu_stats.queued(s), qs_gpu_stats.creates(s), qs_gpu_stats.maps(s),
                qs_gpu_stats.unmaps(s), qs_gpu_stats.unrefs(s), qs_gpu_stats.regions_freed(s), qs_gpu_stats.forces(s),
                qs_gpu_stats.blocked_ns(s), qs_gpu_stats.resources(s), qs_gpu_stats.mapped(s),
                qs_gpu_stats.pending(s), qs_gpu_stats.blocked(s) != 0, qs_gpu_stats.mem_used(s),
                qs_gpu_stats.unmap_p50_ns(s), qs_gpu_stats.unmap_p99_ns(s), qs_gpu_stats.unmap_max_ns(s),
                qs_gpu_stats.cmd_p50_ns(s), qs_gpu_stats.cmd_p99_ns(s), qs_gpu_stats.cmd_max_ns(s));
    }

    static VcpuStats vcpuStats(MemorySegment s) {
        return new VcpuStats(qs_vcpu_stats.sections(s), qs_vcpu_stats.kicks(s), qs_vcpu_stats.kicked_exits(s),
                qs_vcpu_stats.ns_in_sections(s), qs_vcpu_stats.max_section_ns(s), qs_vcpu_stats.accesses(s),
                qs_vcpu_stats.unassigned(s), qs_vcpu_stats.poison_hits(s), qs_vcpu_stats.in_section(s));
    }

    static MachineStats machineStats(MemorySegment s) {
        return new MachineStats(qs_machine_stats.vcpus(s), qs_machine_stats.running(s) != 0,
                vcpuStats(qs_machine_stats.total(s)));
    }

    static LatencyHistogram latency(MemorySegment s) {
        return new LatencyHistogram(qs_latency.count(s), qs_latency.sum_ns(s), qs_latency.max_ns(s),
                qs_latency.buckets(s).toArray(ValueLayout.JAVA_LONG));
    }
}
