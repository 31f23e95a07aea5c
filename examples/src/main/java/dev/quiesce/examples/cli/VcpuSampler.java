package dev.quiesce.examples.cli;

import dev.quiesce.emu.Machine;
import dev.quiesce.emu.VcpuStats;
import dev.quiesce.trace.TraceRecorder;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the native vCPUs' state for a trace: every 250 µs it reads each
 * vCPU's in-section flag and section count, and records a "read section"
 * span from the first sample that saw a section to the first that saw it
 * over (or saw the count move on: the next section began in between). The
 * spans are as precise as the sampling period; short sections between two
 * samples are missed, which is why the tracks say "sampled".
 */
final class VcpuSampler implements AutoCloseable {

    private static final long PERIOD_NS = 250_000;

    private final Thread thread;
    private volatile boolean stop;

    VcpuSampler(Machine m, TraceRecorder trace, String label) {
        int n = m.vcpus();
        int[] tracks = new int[n];
        for (int i = 0; i < n; i++) {
            tracks[i] = trace.track(label + " vCPU " + i + " (sampled)");
        }
        thread = new Thread(() -> {
            long[] since = new long[n]; // 0: not inside at the last sample
            long[] sections = new long[n];
            while (!stop) {
                for (int i = 0; i < n; i++) {
                    VcpuStats v;
                    try {
                        v = m.vcpuStats(i);
                    } catch (IllegalStateException closed) {
                        return;
                    }
                    long now = System.nanoTime();
                    boolean moved = v.sections() != sections[i];
                    sections[i] = v.sections();
                    if (since[i] != 0 && (v.inSection() == 0 || moved)) {
                        trace.span(tracks[i], "read section", "vcpu", since[i], now, Map.of("kicks", v.kicks()));
                        since[i] = 0;
                    }
                    if (v.inSection() != 0 && since[i] == 0) {
                        since[i] = now;
                    }
                }
                LockSupport.parkNanos(PERIOD_NS);
            }
        }, "vcpu-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join();
    }
}
