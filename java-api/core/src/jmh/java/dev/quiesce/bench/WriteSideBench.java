package dev.quiesce.bench;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The write side through the FFM backend: {@code callRcu} throughput (each
 * call allocates a native {@code qs_head}, the worker upcalls into Java after
 * a grace period) and {@code synchronize()} latency with one registered,
 * idle reader. Compare with native/bench's qs-bench figures.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Benchmark)
public class WriteSideBench {

    RcuDomain ffm;
    static final Runnable NOOP = () -> { };

    @Setup(Level.Trial)
    public void setUp() {
        ffm = RcuDomain.builder().backend(Backend.FFM).build();
        ffm.registerThread();
    }

    @TearDown(Level.Iteration)
    public void drain() {
        ffm.drain();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ffm.close();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void callRcu() {
        ffm.callRcu(NOOP);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void synchronize() {
        ffm.synchronize();
    }
}
