package dev.quiesce.examples.cli;

import dev.quiesce.trace.TraceRecorder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One way to run the stall experiment. Each round: map the blob, wait until
 * the map's own RCU callback ran (so every unmap starts from an idle
 * worker), wait a random 0-3 ms (a random phase against the vCPU slices),
 * unmap, and record how long the unmap took to be answered.
 */
abstract class StallRunner {

    /** Where --trace records (GP spans, FQS entries, forces, unmaps, vCPU sections); null: no trace. */
    TraceRecorder trace;

    /** The RCU stall-warning timeout (--stall-warning); zero: off. */
    Duration stallWarning = Duration.ZERO;

    /** Stall warnings seen per mode: how many, and the first one's text. */
    final Map<StallMode, Warnings> warnings = new ConcurrentHashMap<>();

    /** One mode's stall warnings. Reports arrive on the GP writer's thread: only count and keep the first. */
    static final class Warnings {
        final AtomicInteger count = new AtomicInteger();
        volatile String first;

        void add(String text) {
            if (count.getAndIncrement() == 0) {
                first = text;
            }
        }
    }

    /** This mode's warnings, created empty on first use. */
    Warnings warnings(StallMode mode) {
        return warnings.computeIfAbsent(mode, m -> new Warnings());
    }

    /** Runs one mode. */
    abstract StallResult run(StallMode mode, StallSettings s, Progress progress) throws Exception;

    /** What the runner reaches ("native emulator (FFM)", "JVM vCPUs on the jna backend", ...). */
    abstract String description();

    static void pause(Random rnd) {
        LockSupport.parkNanos(rnd.nextInt(3_000) * 1_000L);
    }

    static void record(Histogram h, long[] lat, int i, long ns) {
        lat[i] = ns;
        h.recordValue(Math.min(Math.max(ns, 0), h.getHighestTrackableValue()));
    }

    static void tick(Progress progress, StallMode mode, int done, int total, long lastNs) {
        progress.update(String.format(Locale.ROOT, "  %-10s %s %4d/%-4d unmaps   last %8.3f ms", mode.label,
                Progress.bar(done, total, 24), done, total, lastNs / 1e6), done == total);
    }
}
