package dev.quiesce.examples.cli;

import dev.quiesce.Backend;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.trace.TraceRecorder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quiesce stall}: the virtio-gpu unmap experiment under LEGACY, FQS and FQS+force. */
@Command(name = "stall", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "The virtio-gpu blob-unmap stall, under LEGACY, FQS and FQS+force (default).",
            "",
            "N vCPU threads run guest code inside long RCU read sections while the",
            "guest maps and unmaps a blob resource over and over. An unmap is answered",
            "only once the blob's region was freed through RCU: its latency is RCU",
            "reclamation latency. Measured three ways:",
            "  LEGACY     the RCU before QEMU commit 55d98e3ede: grace periods start",
            "             late, every reader takes the slow path, nobody kicks readers",
            "  FQS        the seed: polls first (free for readers), then kicks busy",
            "             readers once the poll limit is reached",
            "  FQS+force  plus QEMU's follow-up: unmap calls force_rcu, so the grace",
            "             period kicks busy vCPUs at once",
            "Prints a table and writes an SVG chart of the three latency distributions",
            "side by side.",
            "",
        })
final class StallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2",
            description = "vCPU threads (default: ${DEFAULT-VALUE})")
    int vcpus;

    @Option(names = "--unmaps", paramLabel = "N", defaultValue = "100",
            description = "unmaps per mode (default: ${DEFAULT-VALUE})")
    int unmaps;

    @Option(names = "--slice", paramLabel = "TIME", defaultValue = "10ms", converter = DurationConverter.class,
            description = "how long a vCPU stays in one read section unless kicked; 0: only a kick ends it"
                    + " (default: ${DEFAULT-VALUE})")
    Duration slice;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "native",
            description = "native: the C emulator (C vCPU threads and virtio-gpu device, via FFM); ffm, jna,"
                    + " java: the same experiment with JVM vCPU threads on that RCU backend"
                    + " (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "stall.svg",
            description = "where the SVG chart goes (default: ${DEFAULT-VALUE}); 'none' for no chart")
    Path out;

    @Option(names = "--modes", paramLabel = "M", split = ",", defaultValue = "LEGACY,FQS,FQS+force",
            description = "modes to run, comma-separated (default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--stall-timeout", paramLabel = "TIME", defaultValue = "3s", converter = DurationConverter.class,
            description = "an unmap unanswered after this long is unstuck with a drain and counted as a stall"
                    + " (LEGACY with --slice 0 never completes otherwise) (default: ${DEFAULT-VALUE})")
    Duration stallTimeout;

    @Option(names = "--blob-size", paramLabel = "BYTES", defaultValue = "1048576",
            description = "size of the blob (default: ${DEFAULT-VALUE})")
    long blobSize;

    @Option(names = "--worker-slice-us", paramLabel = "US", defaultValue = "100",
            description = "scheduler slice the RCU call worker asks for, in microseconds; 0: the kernel's default"
                    + " (a worker woken on busy CPUs then waits up to a tick for one) (default: ${DEFAULT-VALUE})")
    int workerSliceMicros;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "50",
            description = "native backend: unmaps per mode run first and not measured, so that the JIT has"
                    + " compiled the driver's loop before the figures start (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--stall-warning", paramLabel = "TIME", defaultValue = "20ms", converter = DurationConverter.class,
            description = "RCU stall warnings: a grace period still waiting for readers this long after it began"
                    + " is reported; the demo prints how many each mode saw and the first one (LEGACY's and FQS's"
                    + " GPs wait about one vCPU slice for busy vCPUs, with a long tail; FQS+force's well under a"
                    + " millisecond); 0 turns them off (default: ${DEFAULT-VALUE})")
    Duration stallWarning;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "also write a Chrome Trace Event / Perfetto JSON trace of every mode: grace periods,"
                    + " FQS entries with their cause, force() kicks, unmap request to completion, vCPU read"
                    + " sections (sampled on the native emulator); open it in https://ui.perfetto.dev")
    Path trace;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of the random waits (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        if (vcpus < 1 || vcpus > 64 || unmaps < 1) {
            e.println("quiesce stall: --vcpus must be 1..64 and --unmaps positive");
            return 2;
        }
        StallRunner runner;
        if (backend.equalsIgnoreCase("native")) {
            runner = new NativeStall();
        } else {
            runner = new JvmStall(Backend.ofId(backend));
        }
        List<StallMode> todo = new ArrayList<>();
        for (String m : modes) {
            todo.add(StallMode.parse(m));
        }
        DomainConfig.checkWorkerSlice(workerSliceMicros);
        if (warmup < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--warmup must not be negative");
        }
        StallSettings s = new StallSettings(vcpus, unmaps, slice, blobSize, stallTimeout, seed, workerSliceMicros,
                warmup);
        String sliceText = slice.isZero() ? "busy: sections end only when kicked" : "slice " + DurationConverter.format(slice);
        o.printf(Locale.ROOT, "quiesce stall: virtio-gpu blob unmap latency, %d vCPU%s (%s), %d unmaps per mode%n",
                vcpus, vcpus == 1 ? "" : "s", sliceText, unmaps);
        o.printf(Locale.ROOT, "  on the %s; RCU with QEMU's defaults (poll 10 ms x 5, 30 callbacks),"
                + " call worker slice %s%n%n", runner.description(),
                workerSliceMicros == 0 ? "kernel default" : workerSliceMicros + " us");
        o.flush();
        if (trace != null) {
            runner.trace = TraceRecorder.create();
        }
        runner.stallWarning = stallWarning;
        Progress progress = new Progress(e);
        List<StallResult> results = new ArrayList<>();
        for (StallMode mode : todo) {
            StallResult r = runner.run(mode, s, progress);
            results.add(r);
            progress.done(String.format(Locale.ROOT, "  %-10s done in %5.1f s: p50 %s, p99 %s, max %s%s", mode.label,
                    r.seconds(), Table.ms(r.p50()), Table.ms(r.p99()), Table.ms(r.max()),
                    r.stalls() > 0 ? ", " + r.stalls() + " stalls" : ""));
        }
        o.println();
        Table t = new Table("mode", "unmaps", "unmap p50", "unmap p99", "unmap max", "GPs", "FQS GPs",
                "slow unlocks/GP", "kicks");
        for (StallResult r : results) {
            t.row(r.mode().label, r.latencies().length, Table.ms(r.p50()), Table.ms(r.p99()), Table.ms(r.max()),
                    r.gps(), r.gpsFqs(), String.format(Locale.ROOT, "%.2f", r.slowPerGp()), r.kicks());
        }
        t.print(o);
        int stalls = results.stream().mapToInt(StallResult::stalls).sum();
        if (stalls > 0) {
            o.printf(Locale.ROOT, "  (%d unmaps stalled for longer than %s and were unstuck by a drain)%n", stalls,
                    DurationConverter.format(stallTimeout));
        }
        if (results.stream().allMatch(r -> r.deviceP99() >= 0)) {
            List<String> parts = new ArrayList<>();
            for (StallResult r : results) {
                parts.add(r.mode().label + String.format(Locale.ROOT, " %.3f ms", r.deviceP99() / 1e6));
            }
            o.println("  unmap p99 inside the device (C clock): " + String.join(", ", parts));
        }
        summary(o, results);
        stallWarnings(o, results, runner);
        if (runner.trace != null) {
            Path parent = trace.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            runner.trace.write(trace);
            o.printf(Locale.ROOT, "%n  trace: %s (%d events%s; open in https://ui.perfetto.dev or chrome://tracing)%n",
                    trace, runner.trace.eventCount(),
                    runner.trace.dropped() > 0 ? ", " + runner.trace.dropped() + " dropped" : "");
        }
        if (!out.toString().equals("none")) {
            String title = "virtio-gpu blob unmap latency: RCU reclamation with " + vcpus + " busy vCPU"
                    + (vcpus == 1 ? "" : "s");
            String subtitle = String.format(Locale.ROOT, "%s, %d unmaps per mode, %s; %d CPUs, %s", sliceText,
                    unmaps, backend.equalsIgnoreCase("native") ? "native emulator" : backend + " backend",
                    Runtime.getRuntime().availableProcessors(), LocalDate.now());
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, StallChart.svg(results, title, subtitle));
            o.println();
            o.println("  chart: " + out);
        }
        o.flush();
        return 0;
    }

    /* Item 5 of issue 15: what the RCU's own stall detector said about each mode. */
    private void stallWarnings(PrintWriter o, List<StallResult> results, StallRunner runner) {
        if (stallWarning.isZero()) {
            return;
        }
        o.println();
        o.printf(Locale.ROOT, "  RCU stall warnings (stall timeout %s: a grace period still waiting for readers that"
                + " long after it%n  began is reported, again at 3x. LEGACY's unmaps wait mostly in the worker's"
                + " pre-polls, before%n  its GP starts; the GPs themselves wait about one vCPU slice, with a long"
                + " tail that trips the%n  detector. FQS+force kicks the vCPUs at once, so its GPs never get near"
                + " it):%n", DurationConverter.format(stallWarning));
        for (StallResult r : results) {
            StallRunner.Warnings w = runner.warnings(r.mode());
            int n = w.count.get();
            o.printf(Locale.ROOT, "    %-10s %5d warning%s%s%n", r.mode().label, n, n == 1 ? "" : "s",
                    n > 0 ? "; the first:" : "");
            if (n > 0 && w.first != null) {
                for (String line : w.first.strip().split("\n")) {
                    o.println("      | " + line);
                }
            }
        }
    }

    private static void summary(PrintWriter o, List<StallResult> results) {
        StallResult legacy = null;
        StallResult force = null;
        for (StallResult r : results) {
            if (r.mode() == StallMode.LEGACY) {
                legacy = r;
            } else if (r.mode() == StallMode.FQS_FORCE) {
                force = r;
            }
        }
        o.println();
        o.println("  slow unlocks/GP: reader unlocks that had to wake the writer, per grace period (LEGACY makes");
        o.println("  every reader do it on every GP; FQS only in forced GPs). GPs include the maps' own.");
        if (legacy != null && force != null && force.p99() > 0) {
            o.printf(Locale.ROOT, "  FQS+force cut the p99 unmap latency from %s to %s (%.0fx).%n",
                    Table.ms(legacy.p99()), Table.ms(force.p99()), (double) legacy.p99() / force.p99());
        }
    }
}
