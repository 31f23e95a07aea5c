package dev.quiesce.bench;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuPointer;
import dev.quiesce.ReadSection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Native memory under RCU (issue 13), side by side in one run:
 * <ul>
 *   <li>(a) writer cost: {@code replace} (allocate + publish the new target,
 *       retire the old one: the native worker frees it) against
 *       {@code Arena.ofShared()} allocate + close (the close is a handshake
 *       with every Java thread), each with 0, 1 and 2 busy reader threads
 *       ({@code readers});
 *   <li>(b) reclamation latency, retire to free, as the writer sees it
 *       (spinning on {@code Stats.retiredFreed()}), with and without {@code force()};
 *   <li>(c) read: a plain section, a section + {@code getLong}, and a section
 *       + {@code view} + one read;
 *   <li>(d) with {@code -prof gc}: bytes allocated per read operation.
 * </ul>
 * <pre>
 * mvn -B -Pbench -DskipTests -pl java-api/core -am verify -Djmh.args="-f 1 -wi 2 -i 3 -w 1s -r 1s NativeMemory"
 * mvn -B -Pbench -DskipTests -pl java-api/core -am verify -Djmh.args="-f 1 -wi 2 -i 3 -prof gc NativeMemoryBench.read"
 * </pre>
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
public class NativeMemoryBench {

    static final long SIZE = 64;

    /** A domain, one pointer and {@code readers} threads reading it in a loop. */
    @State(Scope.Benchmark)
    public static class Writers {
        @Param({"0", "1", "2"})
        public int readers;

        RcuDomain rcu;
        RcuPointer ptr;
        volatile boolean stop;
        final List<Thread> threads = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp() {
            rcu = RcuDomain.builder().backend(Backend.FFM).build();
            ptr = RcuPointer.allocate(rcu, Arena.global(), SIZE);
            ptr.publish(rcu.allocate(SIZE, 64));
            for (int i = 0; i < readers; i++) {
                Thread t = new Thread(() -> {
                    RcuDomain.Reader r = rcu.registerThread();
                    long sink = 0;
                    while (!stop) {
                        try (ReadSection s = r.read()) {
                            sink += ptr.getLong(s, 0);
                        }
                    }
                    r.close();
                    if (sink == 42) {
                        System.out.print("");
                    }
                }, "busy-reader-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }

        @TearDown(Level.Iteration)
        public void drain() {
            rcu.drain();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            stop = true;
            for (Thread t : threads) {
                t.join();
            }
            rcu.retire(ptr.exchange(MemorySegment.NULL));
            rcu.close();
        }
    }

    /** (a) publish a new 64-byte target and retire the old one. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void replace(Writers w) {
        MemorySegment next = w.rcu.allocate(SIZE, 64);
        next.set(ValueLayout.JAVA_LONG, 0, 1);
        w.ptr.replace(next);
    }

    /** (a) the shared-arena way to free memory readers may hold: allocate, then close (a handshake). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void sharedArenaAllocateClose(Writers w, Blackhole bh) {
        Arena a = Arena.ofShared();
        MemorySegment m = a.allocate(SIZE, 64);
        m.set(ValueLayout.JAVA_LONG, 0, 1);
        bh.consume(m);
        a.close();
    }

    /** A domain for the latency and read benchmarks (no busy readers). */
    @State(Scope.Benchmark)
    public static class Quiet {
        RcuDomain rcu;
        RcuPointer ptr;

        @Setup(Level.Trial)
        public void setUp() {
            rcu = RcuDomain.builder().backend(Backend.FFM).build();
            ptr = RcuPointer.allocate(rcu, Arena.global(), SIZE);
            MemorySegment n = rcu.allocate(SIZE, 64);
            n.set(ValueLayout.JAVA_LONG, 0, 7);
            ptr.publish(n);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            rcu.retire(ptr.exchange(MemorySegment.NULL));
            rcu.close();
        }
    }

    /** The benchmark thread's registration (the hot-loop path). */
    @State(Scope.Thread)
    public static class Registered {
        RcuDomain.Reader reader;

        @Setup(Level.Trial)
        public void setUp(Quiet q) {
            reader = q.rcu.registerThread();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
        }
    }

    private static void awaitFree(RcuDomain rcu, long freedBefore) {
        while (rcu.stats().retiredFreed() == freedBefore) {
            Thread.onSpinWait();
        }
    }

    /** (b) retire to free, with the domain's default timing (poll period, no force). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void reclaimLatency(Quiet q) {
        RcuDomain rcu = q.rcu;
        long freed = rcu.stats().retiredFreed();
        rcu.retire(rcu.allocate(SIZE, 64));
        awaitFree(rcu, freed);
    }

    /** (b) retire to free, asking for the force-quiescent state at once. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void reclaimLatencyForced(Quiet q) {
        RcuDomain rcu = q.rcu;
        long freed = rcu.stats().retiredFreed();
        rcu.retire(rcu.allocate(SIZE, 64));
        rcu.force();
        awaitFree(rcu, freed);
    }

    /** (c) baseline: an empty section. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void readPlainSection(Registered r, Blackhole bh) {
        try (ReadSection s = r.reader.read()) {
            bh.consume(s.depth());
        }
    }

    /** (c) a section and one getLong of the current target. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long readSectionGetLong(Quiet q, Registered r) {
        try (ReadSection s = r.reader.read()) {
            return q.ptr.getLong(s, 0);
        }
    }

    /** (c) a section, a view of the current target and one read through it. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long readSectionView(Quiet q, Registered r) {
        try (ReadSection s = r.reader.read()) {
            return q.ptr.view(s).get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
