package dev.quiesce.examples.cli;

import dev.quiesce.Registration;
import dev.quiesce.Stats;
import dev.quiesce.emu.GpuCommand;
import dev.quiesce.emu.GpuConfig;
import dev.quiesce.emu.GpuDevice;
import dev.quiesce.emu.Machine;
import dev.quiesce.emu.Response;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/** The stall experiment on the native emulator: C vCPU threads, the C virtio-gpu device, reached through FFM. */
final class NativeStall extends StallRunner {

    @Override
    String description() {
        return "native emulator (C vCPUs and virtio-gpu device, via FFM)";
    }

    @Override
    StallResult run(StallMode mode, StallSettings s, Progress progress) throws Exception {
        Warnings seen = warnings(mode);
        Machine.Builder mb = Machine.builder().vcpus(s.vcpus()).slice(s.slice()).policy(mode.policy)
                .workerSliceMicros(s.workerSliceMicros())
                .gpu(GpuConfig.DEFAULTS.withForceOnUnmap(mode.forceOnUnmap));
        if (!stallWarning.isZero()) {
            mb.stallTimeout(stallWarning, seen::add);
        }
        try (Machine m = mb.build()) {
            GpuDevice gpu = m.gpu();
            gpu.execute(GpuCommand.createBlob(1).hostMemory().mappable().size(s.blobSize()).build()).requireOk();
            m.start();
            Registration traced = trace != null ? m.trace(trace, mode.label) : null;
            VcpuSampler sampler = trace != null ? new VcpuSampler(m, trace, mode.label) : null;
            int unmapTrack = trace != null ? trace.track(mode.label + " unmaps") : 0;
            Random rnd = new Random(s.seed());
            Histogram h = StallResult.newHistogram();
            long[] lat = new long[s.unmaps()];
            int stalls = 0;
            Stats r0 = null;
            long k0 = 0;
            long t0 = 0;
            // i < 0: warm-up unmaps (JIT, first-touch of the driver's paths), not measured
            for (int i = -s.warmup(); i < s.unmaps(); i++) {
                if (i == 0) {
                    // Start the measured unmaps with an empty young generation: a
                    // collection's safepoint holds the poller as it returns from its
                    // native wait, which the unmap's latency would include.
                    System.gc();
                    r0 = m.rcuStats();
                    k0 = m.machineStats().total().kicks();
                    t0 = System.nanoTime();
                }
                gpu.execute(GpuCommand.mapBlob(1, 0)).requireOk();
                if (!m.awaitCallbacks(s.stallTimeout())) {
                    m.drain(); // busy vCPUs under LEGACY: only a drain gets the map's GP through
                }
                pause(rnd);
                long submitted = System.nanoTime();
                CompletableFuture<Response> unmap = gpu.submit(GpuCommand.unmapBlob(1));
                Response r;
                try {
                    r = unmap.get(s.stallTimeout().toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException stalled) {
                    // Only a drain kicks busy readers under LEGACY: unstick it.
                    if (i >= 0) {
                        stalls++;
                    }
                    m.drain();
                    r = unmap.get(60, TimeUnit.SECONDS);
                }
                r.requireOk();
                if (i >= 0) {
                    if (trace != null) {
                        trace.span(unmapTrack, "unmap", "unmap", submitted, submitted + r.latencyNanos(),
                                Map.of("i", i, "stalled", r.latencyNanos() >= s.stallTimeout().toNanos()));
                    }
                    record(h, lat, i, r.latencyNanos());
                    tick(progress, mode, i + 1, s.unmaps(), r.latencyNanos());
                }
            }
            if (r0 == null) { // no measured unmap
                r0 = m.rcuStats();
                k0 = m.machineStats().total().kicks();
                t0 = System.nanoTime();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (sampler != null) {
                sampler.close();
            }
            if (traced != null) {
                traced.close();
            }
            Stats r1 = m.rcuStats();
            long kicks = m.machineStats().total().kicks() - k0;
            return new StallResult(mode, lat, h, r1.gps() - r0.gps(), r1.gpsFqs() - r0.gpsFqs(),
                    r1.slowUnlocks() - r0.slowUnlocks(), kicks, stalls, seconds, gpu.stats().unmapP99Nanos());
        }
    }
}
