package dev.quiesce.bench;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The write side through the FFM backend: {@code callRcu} throughput (one
 * critical {@code qs_call_token} downcall per call, one upcall per run of due
 * callbacks) and {@code synchronize()} latency with one registered, idle
 * reader; beside them, in the same run, the C path's rate: {@code cCallBurst}
 * calls {@code qs_jbench_call_burst} (native/bench/jbench.c, libqs_jbench.so)
 * through one downcall per {@value #BURST} {@code qs_call}s with a C no-op
 * callback, on an FQS-defaults domain with the benchmark thread registered.
 * {@code callRcuWindow} is {@code callRcu} held to the same window as the C
 * ring ({@value #WINDOW} callbacks pending at most), so it measures the
 * Java path end to end the way {@code cCallBurst} measures the C one.
 *
 * <p>The bench profile passes the library's path in
 * {@code -Dquiesce.jbench.path}; without it the C benchmark fails its setup.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Benchmark)
public class WriteSideBench {

    /** Callbacks per {@code cCallBurst} downcall. */
    static final int BURST = 1024;
    /** The C ring's size (JBENCH_RING): callbacks pending at most. */
    static final int WINDOW = 1 << 16;

    RcuDomain ffm;
    static final Runnable NOOP = () -> { };

    /* callRcuWindow: callbacks issued (benchmark thread) and run (worker). */
    long issued;
    final AtomicLong ran = new AtomicLong();
    /* Only the worker writes it: a release store, no fence per callback. */
    final Runnable count = () -> ran.lazySet(ran.get() + 1);

    MethodHandle burst;
    MethodHandle cWait;
    MethodHandle cClose;
    MemorySegment cDom;

    private static MethodHandle intFn(SymbolLookup lib, String name, ValueLayout... args) {
        MemorySegment addr = lib.find(name).orElseThrow(
                () -> new IllegalStateException(name + " not found in libqs_jbench"));
        return Linker.nativeLinker().downcallHandle(addr, FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
    }

    @Setup(Level.Trial)
    public void setUp() {
        ffm = RcuDomain.builder().backend(Backend.FFM).build();
        ffm.registerThread();
        String lib = System.getProperty("quiesce.jbench.path");
        if (lib == null) {
            throw new IllegalStateException("-Dquiesce.jbench.path=.../native/bench/libqs_jbench.so is not set");
        }
        SymbolLookup jbench = SymbolLookup.libraryLookup(Path.of(lib), Arena.global());
        burst = intFn(jbench, "qs_jbench_call_burst", ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        cWait = intFn(jbench, "qs_jbench_wait");
        cClose = intFn(jbench, "qs_jbench_close", ValueLayout.ADDRESS);
        MemorySegment out = Arena.global().allocate(ValueLayout.ADDRESS);
        int rc;
        try {
            rc = (int) intFn(jbench, "qs_jbench_open", ValueLayout.ADDRESS).invokeExact(out);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) {
            throw new IllegalStateException("qs_jbench_open: " + rc);
        }
        cDom = out.get(ValueLayout.ADDRESS, 0);
    }

    @TearDown(Level.Iteration)
    public void drain() throws Throwable {
        ffm.drain();
        int rc = (int) cWait.invokeExact();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Throwable {
        ffm.close();
        int rc = (int) cClose.invokeExact(cDom);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void callRcu() {
        ffm.callRcu(NOOP);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void callRcuWindow() {
        while (issued - ran.get() >= WINDOW) {
            Thread.yield();
        }
        issued++;
        ffm.callRcu(count);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(BURST)
    public int cCallBurst() throws Throwable {
        int rc = (int) burst.invokeExact(cDom, BURST);
        if (rc != 0) {
            throw new IllegalStateException("qs_jbench_call_burst: " + rc);
        }
        return rc;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void synchronize() {
        ffm.synchronize();
    }
}
