package dev.quiesce.bench;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.internal.NativeLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one read section (enter + leave) from Java, per thread. Subclasses
 * fix the thread count ({@link OneThread}, {@link TwoThreads}) so that one
 * JMH run measures both; with two threads, "ns/op" is per thread, so equal
 * numbers mean perfect scaling (no shared cache line written on the read side).
 *
 * <ul>
 *   <li>{@code ffmRead}: the facade's {@code try (ReadSection s = rcu.read())} on the FFM backend
 *       (read side on the native record through a MemorySegment, no downcall);
 *   <li>{@code ffmReadLock}: the same without a section object ({@code readLock}/{@code readUnlock});
 *   <li>{@code ffmReaderRead}: the hot-loop path, {@code try (ReadSection s = reader.read())} on the
 *       thread's {@link RcuDomain.Reader} (from {@code registerThread()}): no ThreadLocal lookup;
 *   <li>{@code ffmReaderLock}: the same handle's {@code lock()}/{@code unlock()};
 *   <li>{@code twoDowncalls}: {@code qs_read_lock_fn} + {@code qs_read_unlock_fn} as two plain FFM
 *       downcalls with {@code Linker.Option.critical(false)};
 *   <li>{@code jnaRead}: the facade on the JNA backend;
 *   <li>{@code rrwlRead}: {@link ReentrantReadWriteLock} read lock + unlock;
 *   <li>{@code stampedRead}: {@link StampedLock#readLock()} + {@link StampedLock#unlockRead(long)};
 *   <li>{@code stampedOptimistic}: {@link StampedLock#tryOptimisticRead()} + {@link StampedLock#validate(long)}.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public abstract class ReadSideBench {

    /** Domains and locks shared by all benchmark threads. */
    @State(Scope.Benchmark)
    public static class Shared {
        RcuDomain ffm;
        RcuDomain jna;
        final ReentrantReadWriteLock rrwl = new ReentrantReadWriteLock();
        final StampedLock stamped = new StampedLock();
        MemorySegment rawDomain;

        @Setup(Level.Trial)
        public void setUp() throws Throwable {
            ffm = RcuDomain.builder().backend(Backend.FFM).build();
            jna = RcuDomain.builder().backend(Backend.JNA).build();
            NativeLoader.load();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(Quiesce.C_POINTER);
                check(Quiesce.qs_domain_new(MemorySegment.NULL, out));
                rawDomain = out.get(Quiesce.C_POINTER, 0);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ffm.close();
            jna.close();
        }
    }

    /** A per-thread native reader for the two-downcall baseline. */
    @State(Scope.Thread)
    public static class RawReader {
        static final MethodHandle LOCK = Linker.nativeLinker().downcallHandle(Quiesce.qs_read_lock_fn$address(),
                Quiesce.qs_read_lock_fn$descriptor(), Linker.Option.critical(false));
        static final MethodHandle UNLOCK = Linker.nativeLinker().downcallHandle(
                Quiesce.qs_read_unlock_fn$address(), Quiesce.qs_read_unlock_fn$descriptor(),
                Linker.Option.critical(false));
        MemorySegment reader;

        @Setup(Level.Trial)
        public void setUp(Shared shared) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(Quiesce.C_POINTER);
                check(Quiesce.qs_reader_new(shared.rawDomain, out));
                reader = out.get(Quiesce.C_POINTER, 0);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(Quiesce.qs_reader_free(reader));
        }
    }

    /** The benchmark thread's registration with the FFM domain (the hot-loop handle). */
    @State(Scope.Thread)
    public static class FfmReader {
        RcuDomain.Reader reader;

        @Setup(Level.Trial)
        public void setUp(Shared shared) {
            reader = shared.ffm.registerThread(); // runs on the benchmark thread
        }
    }

    static void check(int rc) {
        if (rc != 0) {
            throw new IllegalStateException("libquiesce returned " + rc);
        }
    }

    @Benchmark
    public void ffmRead(Shared s) {
        try (ReadSection section = s.ffm.read()) {
            // empty section
        }
    }

    @Benchmark
    public void ffmReadLock(Shared s) {
        s.ffm.readLock();
        s.ffm.readUnlock();
    }

    @Benchmark
    public void ffmReaderRead(FfmReader r) {
        try (ReadSection section = r.reader.read()) {
            // empty section
        }
    }

    @Benchmark
    public void ffmReaderLock(FfmReader r) {
        RcuDomain.Reader reader = r.reader;
        reader.lock();
        reader.unlock();
    }

    @Benchmark
    public void twoDowncalls(RawReader r) throws Throwable {
        RawReader.LOCK.invokeExact(r.reader);
        RawReader.UNLOCK.invokeExact(r.reader);
    }

    @Benchmark
    public void jnaRead(Shared s) {
        try (ReadSection section = s.jna.read()) {
            // empty section
        }
    }

    @Benchmark
    public void rrwlRead(Shared s) {
        ReentrantReadWriteLock.ReadLock l = s.rrwl.readLock();
        l.lock();
        l.unlock();
    }

    @Benchmark
    public void stampedRead(Shared s) {
        long stamp = s.stamped.readLock();
        s.stamped.unlockRead(stamp);
    }

    @Benchmark
    public boolean stampedOptimistic(Shared s) {
        long stamp = s.stamped.tryOptimisticRead();
        return s.stamped.validate(stamp);
    }

    /** One reader thread. */
    @org.openjdk.jmh.annotations.Threads(1)
    public static class OneThread extends ReadSideBench {
    }

    /** Two reader threads (ns/op is per thread). */
    @org.openjdk.jmh.annotations.Threads(2)
    public static class TwoThreads extends ReadSideBench {
    }
}
