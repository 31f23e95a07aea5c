package dev.quiesce.bench;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The read section with JFR off and with a recording of the quiesce events
 * on ({@code jfr=off|on}, same run): the events are writer-side only, so the
 * two must not differ beyond noise. A writer thread runs a
 * {@code synchronize()} every millisecond in both cases, so that with the
 * recording on GP events are really being committed while readers run.
 *
 * <pre>
 * mvn -B -Pbench -DskipTests -pl java-api/core -am verify -Djmh.args="-f 1 -wi 3 -i 5 JfrReadSide"
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class JfrReadSideBench {

    /** off: no recording; on: a recording with dev/quiesce/jfr/quiesce.jfc. */
    @Param({"off", "on"})
    public String jfr;

    RcuDomain rcu;
    Recording recording;
    Thread writer;
    final AtomicBoolean stop = new AtomicBoolean();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        rcu = RcuDomain.builder().backend(Backend.FFM).build();
        if (jfr.equals("on")) {
            try (Reader r = new InputStreamReader(RcuDomain.class.getResourceAsStream("/dev/quiesce/jfr/quiesce.jfc"),
                    StandardCharsets.UTF_8)) {
                recording = new Recording(Configuration.create(r));
            }
            recording.setToDisk(false);
            recording.setMaxSize(64L << 20);
            recording.start();
        }
        writer = new Thread(() -> {
            while (!stop.get()) {
                rcu.synchronize();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "jfr-bench-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop.set(true);
        writer.join();
        if (recording != null) {
            recording.stop();
            recording.close();
        }
        rcu.close();
    }

    /** Each benchmark thread's reader handle (the hot-loop path). */
    @State(Scope.Thread)
    public static class Mine {
        RcuDomain.Reader reader;

        @Setup(Level.Trial)
        public void setUp(JfrReadSideBench b) {
            reader = b.rcu.registerThread();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            reader.close();
        }
    }

    /** One read section through the thread's handle. */
    @Benchmark
    public void readSection(Mine m) {
        try (ReadSection s = m.reader.read()) {
            // empty section: the cost of entering and leaving
        }
    }

    /** One read section through the domain's ThreadLocal lookup. */
    @Benchmark
    public void readSectionDomain() {
        try (ReadSection s = rcu.read()) {
            // empty section
        }
    }
}
