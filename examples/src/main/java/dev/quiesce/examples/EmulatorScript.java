package dev.quiesce.examples;

import dev.quiesce.Policy;
import dev.quiesce.emu.EmuStats;
import dev.quiesce.emu.GpuCommand;
import dev.quiesce.emu.GpuConfig;
import dev.quiesce.emu.GpuDevice;
import dev.quiesce.emu.LatencyKind;
import dev.quiesce.emu.Machine;
import dev.quiesce.emu.Response;
import dev.quiesce.emu.Workload;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Scripting the native emulator: a machine with two busy vCPUs, its
 * virtio-gpu device, four blobs created, mapped, touched through guest
 * memory, and unmapped, then the unmap latencies read back.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... dev.quiesce.examples.EmulatorScript [LEGACY|FQS]
 * </pre>
 */
public final class EmulatorScript {

    private EmulatorScript() {
    }

    /**
     * Runs the script.
     *
     * @param args optionally the policy ({@code FQS} or {@code LEGACY}; default {@code FQS})
     * @throws Exception if the machine fails
     */
    public static void main(String[] args) throws Exception {
        Policy policy = args.length > 0 ? Policy.valueOf(args[0]) : Policy.FQS;
        try (Machine m = Machine.builder()
                .vcpus(2)
                .slice(Duration.ofMillis(5))                        // 5 ms of guest code per read section
                .workload(Workload.readOnly())                      // the vCPUs only read guest memory
                .policy(policy)
                .gpu(GpuConfig.defaults().withForceOnUnmap(true))   // QEMU's force_rcu on unmap
                .start(true)
                .build()) {
            GpuDevice gpu = m.gpu();

            // create four 1 MiB host blobs and map them 1 MiB apart in the window
            for (int id = 1; id <= 4; id++) {
                gpu.execute(GpuCommand.createBlob(id).hostMemory().mappable().size(1 << 20).build()).requireOk();
                Response map = gpu.execute(GpuCommand.mapBlob(id, (id - 1L) << 20)).requireOk();
                System.out.printf("blob %d mapped at 0x%x (%s)%n", id, gpu.windowAddress((id - 1L) << 20),
                        map.typeName());
            }

            // touch: write through guest memory, read it back
            long addr = gpu.windowAddress(2L << 20) + 64;
            m.writeGuest(addr, "hello, blob 3".getBytes(StandardCharsets.US_ASCII));
            System.out.println("read back: " + new String(m.readGuest(addr, 13), StandardCharsets.US_ASCII));

            // unmap all four at once: each waits for its RCU grace period, in order
            List<CompletableFuture<Response>> unmaps = new ArrayList<>();
            for (int id = 1; id <= 4; id++) {
                unmaps.add(gpu.submit(GpuCommand.unmapBlob(id)));
            }
            for (int i = 0; i < unmaps.size(); i++) {
                Response r = unmaps.get(i).get();
                System.out.printf("unmap blob %d: %s after %.3f ms%n", i + 1, r.typeName(), r.latencyNanos() / 1e6);
            }

            EmuStats s = m.stats();
            System.out.printf("device unmap latency p50 %.3f ms, p99 %.3f ms (%s)%n", s.gpu().unmapP50Nanos() / 1e6,
                    s.gpu().unmapP99Nanos() / 1e6, gpu.latency(LatencyKind.UNMAP));
            System.out.printf("%s: %d grace periods (%d forced), %d vCPU kicks, %.2f slow-path unlocks per GP%n",
                    policy, s.rcu().gps(), s.rcu().gpsFqs(), s.machine().total().kicks(), s.slowUnlocksPerGp());
        }
    }
}
