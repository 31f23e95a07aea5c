package dev.quiesce.bench;

import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_reader;
import dev.quiesce.internal.NativeLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
/**
 * Why FfmReadSide reaches the reader record by absolute address through one
 * constant whole-address-space segment: the four accesses of a read section
 * (load gp_ctr, store ctr, store 0, load waiting; acquireFence for the
 * barriers), done three ways on a real record. {@code perRecordGlobal}:
 * segments of the record's size in the global scope, held in fields;
 * {@code perRecordShared}: the same in a shared arena (liveness-checked);
 * {@code allAbsolute}: the constant segment. Run:
 * {@code mvn -B -o -q -Pbench -DskipTests -pl java-api -am verify -Djmh.args="AccessPathBench"}.
 */
public class AccessPathBench {
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final long CTR = qs_reader.ctr$offset();
    static final long WAITING = qs_reader.waiting$offset();
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    MemorySegment recGlobal, gpGlobal, recShared, gpShared;
    long recAddr, gpAddr;

    @Setup
    public void setUp() {
        NativeLoader.load();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(Quiesce.C_POINTER);
            ReadSideBench.check(Quiesce.qs_domain_new(MemorySegment.NULL, out));
            MemorySegment dom = out.get(Quiesce.C_POINTER, 0);
            ReadSideBench.check(Quiesce.qs_reader_new(dom, out));
            MemorySegment r = out.get(Quiesce.C_POINTER, 0);
            recGlobal = r.reinterpret(qs_reader.sizeof());
            gpGlobal = qs_reader.gp_ctr(recGlobal).reinterpret(8);
            recShared = r.reinterpret(qs_reader.sizeof(), Arena.ofShared(), null);
            gpShared = gpGlobal.reinterpret(8, Arena.ofShared(), null);
            recAddr = r.address();
            gpAddr = gpGlobal.address();
        }
    }

    @Benchmark
    public void perRecordGlobal() {
        MemorySegment r = recGlobal;
        LONG.setRelease(r, CTR, (long) LONG.getOpaque(gpGlobal, 0L));
        VarHandle.acquireFence();
        LONG.setRelease(r, CTR, 0L);
        VarHandle.acquireFence();
        if ((int) INT.getOpaque(r, WAITING) != 0) throw new IllegalStateException("waiting set");
    }

    @Benchmark
    public void perRecordShared() {
        MemorySegment r = recShared;
        LONG.setRelease(r, CTR, (long) LONG.getOpaque(gpShared, 0L));
        VarHandle.acquireFence();
        LONG.setRelease(r, CTR, 0L);
        VarHandle.acquireFence();
        if ((int) INT.getOpaque(r, WAITING) != 0) throw new IllegalStateException("waiting set");
    }

    @Benchmark
    public void allAbsolute() {
        long r = recAddr;
        LONG.setRelease(ALL, r + CTR, (long) LONG.getOpaque(ALL, gpAddr));
        VarHandle.acquireFence();
        LONG.setRelease(ALL, r + CTR, 0L);
        VarHandle.acquireFence();
        if ((int) INT.getOpaque(ALL, r + WAITING) != 0) throw new IllegalStateException("waiting set");
    }
}
