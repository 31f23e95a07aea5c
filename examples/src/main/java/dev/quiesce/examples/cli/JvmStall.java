package dev.quiesce.examples.cli;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import dev.quiesce.Registration;
import dev.quiesce.Stats;
import dev.quiesce.trace.TraceRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The stall experiment rebuilt on the Java API, on any backend: Java
 * "vCPU" threads read a "memory map" (an {@link RcuReference} to an
 * immutable view) inside long read sections and leave them at the end of
 * their slice or when their force notifier asks; the "device" unmaps by
 * publishing a view without the blob and completes the unmap in the
 * callRcu callback that releases the blob.
 */
final class JvmStall extends StallRunner {

    /** A blob's memory; {@code freed} is set by the RCU callback that releases it. */
    private static final class Blob {
        final long[] mem;
        volatile boolean freed;

        Blob(long bytes) {
            mem = new long[(int) Math.max(1, Math.min(bytes / 8, 1 << 20))];
        }
    }

    /** An immutable view of the address space: guest RAM and, when mapped, the blob. */
    private record View(long[] ram, Blob blob) {
    }

    private final Backend backend;

    JvmStall(Backend backend) {
        this.backend = backend;
    }

    @Override
    String description() {
        return "JVM vCPU threads on the " + backend.id() + " backend";
    }

    @Override
    StallResult run(StallMode mode, StallSettings s, Progress progress) throws Exception {
        Warnings seen = warnings(mode);
        RcuDomain.Builder rb = RcuDomain.builder().backend(backend).policy(mode.policy)
                .workerSliceMicros(s.workerSliceMicros());
        if (!stallWarning.isZero()) {
            rb.stallTimeout(stallWarning).onStall(r -> seen.add(r.toString()));
        }
        try (RcuDomain rcu = rb.build()) {
            long[] ram = new long[1 << 17];
            RcuReference<View> map = new RcuReference<>(rcu, new View(ram, null));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong kicks = new AtomicLong();
            AtomicLong poisonHits = new AtomicLong();
            CountDownLatch registered = new CountDownLatch(s.vcpus());
            List<Thread> vcpus = new ArrayList<>();
            for (int i = 0; i < s.vcpus(); i++) {
                int seed = i;
                int vcpuTrack = trace != null ? trace.track(mode.label + " vCPU " + i) : 0;
                Thread t = new Thread(() -> vcpu(rcu, map, s.slice().toNanos(), stop, kicks, poisonHits, registered,
                        seed, trace, vcpuTrack), "vcpu-" + i);
                t.setDaemon(true);
                t.start();
                vcpus.add(t);
            }
            registered.await();
            Registration traced = null;
            if (trace != null) {
                try {
                    traced = trace.record(rcu, mode.label);
                } catch (UnsupportedOperationException noEvents) {
                    // JNA: the trace keeps the unmaps and sections, without GPs.
                }
            }
            int unmapTrack = trace != null ? trace.track(mode.label + " unmaps") : 0;
            Blob blob = new Blob(s.blobSize());
            Random rnd = new Random(s.seed());
            Histogram h = StallResult.newHistogram();
            long[] lat = new long[s.unmaps()];
            int stalls = 0;
            Stats r0 = rcu.stats();
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < s.unmaps(); i++) {
                    // map: publish a view with the blob; the old view is released after a GP
                    map.publish(new View(ram, blob));
                    CountDownLatch released = new CountDownLatch(1);
                    rcu.callRcu(released::countDown);
                    if (!released.await(s.stallTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                        rcu.drain(); // busy vCPUs under LEGACY: only a drain gets the map's GP through
                    }
                    pause(rnd);
                    // unmap: publish a view without it; answered when the callback frees it
                    long start = System.nanoTime();
                    map.publish(new View(ram, null));
                    CompletableFuture<Long> done = new CompletableFuture<>();
                    Blob gone = blob;
                    rcu.callRcu(() -> {
                        gone.freed = true;
                        done.complete(System.nanoTime());
                    });
                    if (mode.forceOnUnmap) {
                        rcu.force();
                    }
                    long end;
                    try {
                        end = done.get(s.stallTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException stalled) {
                        stalls++;
                        rcu.drain();
                        end = done.get(60, TimeUnit.SECONDS);
                    }
                    if (trace != null) {
                        trace.span(unmapTrack, "unmap", "unmap", start, end, Map.of("i", i));
                    }
                    blob = new Blob(s.blobSize()); // the device allocates afresh; the old one is gone
                    record(h, lat, i, end - start);
                    tick(progress, mode, i + 1, s.unmaps(), end - start);
                }
            } finally {
                stop.set(true);
                for (Thread t : vcpus) {
                    t.join();
                }
                if (traced != null) {
                    traced.close();
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Stats r1 = rcu.stats();
            if (poisonHits.get() != 0) {
                throw new IllegalStateException(poisonHits.get() + " reads of a freed blob: an RCU violation");
            }
            return new StallResult(mode, lat, h, r1.gps() - r0.gps(), r1.gpsFqs() - r0.gpsFqs(),
                    r1.slowUnlocks() - r0.slowUnlocks(), kicks.get(), stalls, seconds, -1);
        }
    }

    /* A vCPU: long read sections over the current view, left at the end of the slice or on a kick. */
    @SuppressWarnings("try") // the notifier registration lives as long as the loop
    private static void vcpu(RcuDomain rcu, RcuReference<View> map, long sliceNs, AtomicBoolean stop, AtomicLong kicks,
                             AtomicLong poisonHits, CountDownLatch registered, int seed, TraceRecorder trace,
                             int track) {
        AtomicBoolean exitRequest = new AtomicBoolean();
        try (Registration n = rcu.onForce(() -> {
            kicks.incrementAndGet();
            exitRequest.set(true);
        })) {
            registered.countDown();
            long x = 0x9e3779b97f4a7c15L + seed;
            long sink = 0;
            while (!stop.get()) {
                boolean kicked = false;
                long start;
                try (ReadSection section = rcu.read()) {
                    start = System.nanoTime();
                    for (int n2 = 0;; n2++) {
                        View v = map.get(section);
                        x ^= x << 13;
                        x ^= x >>> 7;
                        x ^= x << 17;
                        Blob b = v.blob();
                        if (b != null && (x & 1) == 0) {
                            if (b.freed) {
                                poisonHits.incrementAndGet();
                            }
                            sink += b.mem[(int) ((x >>> 1) % b.mem.length)];
                        } else {
                            sink += v.ram()[(int) ((x >>> 1) % v.ram().length)];
                        }
                        if ((n2 & 31) == 31) {
                            if (exitRequest.get()) {
                                kicked = true;
                                break;
                            }
                            if (stop.get() || (sliceNs > 0 && System.nanoTime() - start >= sliceNs)) {
                                break;
                            }
                        }
                    }
                }
                if (trace != null) {
                    // Every section (no sampling needed here: the thread times its own).
                    trace.span(track, "read section", "vcpu", start, System.nanoTime(), Map.of("kicked", kicked));
                }
                if (kicked) {
                    exitRequest.set(false);
                    Thread.yield(); // a kicked vCPU goes off to handle the request
                }
            }
            if (sink == 42) {
                System.out.print(""); // keep the reads
            }
        } finally {
            rcu.unregisterThread();
        }
    }
}
