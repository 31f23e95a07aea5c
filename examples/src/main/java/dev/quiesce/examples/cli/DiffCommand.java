package dev.quiesce.examples.cli;

import dev.quiesce.emu.GpuDiff;
import dev.quiesce.engine.fuzz.DiffFuzz;
import dev.quiesce.engine.fuzz.ScenarioGenerator;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiesce diff}: the differential fuzzers. {@code engine}: random
 * event sequences on the C grace-period engine and its Java twin, compared
 * after every step ({@link DiffFuzz}). {@code gpu}: random and malformed
 * virtio-gpu command streams on the native device and its Java model,
 * compared response by response ({@link GpuDiff}).
 */
@Command(name = "diff", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Differential fuzzing of the Java twins against the C code, for a time.",
            "",
            "  engine  random event sequences on the C grace-period engine and its",
            "          Java twin, full state compared after every step",
            "  gpu     random and malformed virtio-gpu command streams on the native",
            "          device and the Java model: byte-equal responses, equal blob",
            "          states, mappings and counters",
            "Divergences are shrunk and written to --out. Exit status 1 on one.",
            "",
        })
final class DiffCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--time", paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
            description = "total time, split between the targets (default: ${DEFAULT-VALUE})")
    Duration time;

    @Option(names = "--target", paramLabel = "T", defaultValue = "all",
            description = "engine, gpu or all (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--seed", paramLabel = "S", description = "first seed (default: from the clock)")
    Long seed;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".",
            description = "where counterexamples are written (default: the current directory)")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        boolean engine = target.equals("all") || target.equals("engine");
        boolean gpu = target.equals("all") || target.equals("gpu");
        if (!engine && !gpu) {
            e.println("quiesce diff: --target must be engine, gpu or all");
            return 2;
        }
        long s = seed != null ? seed : System.nanoTime();
        Duration share = engine && gpu ? time.dividedBy(2) : time;
        int rc = 0;
        if (engine) {
            o.printf(Locale.ROOT, "engine: C grace-period engine vs Java twin, seed %d, %s%n", s,
                    DurationConverter.format(share));
            o.flush();
            PrintStream progress = new PrintStream(new WriterOutputStream(e), true);
            long seconds = Math.max(1, Math.round(share.toMillis() / 1000.0));
            DiffFuzz.Result r = DiffFuzz.run(s, -1, seconds, new ScenarioGenerator(1, 120), "diff", out, true,
                    progress);
            o.printf(Locale.ROOT, "  %,d sequences, %,d steps in %.1f s: %s%n", r.sequences(), r.steps(),
                    r.seconds(), r.divergence() == null ? "no divergence" : "DIVERGENCE");
            if (r.divergence() != null) {
                o.print(r.divergence().report());
                o.println("  counterexample: " + r.counterexample());
                rc = 1;
            }
        }
        if (gpu && rc == 0) {
            o.printf(Locale.ROOT, "gpu: native virtio-gpu device vs Java model, seed %d, %s%n", s,
                    DurationConverter.format(share));
            o.flush();
            PrintStream progress = new PrintStream(new WriterOutputStream(e), true);
            GpuDiff.FuzzResult r = GpuDiff.fuzz(s, share, 60, GpuDiff.Options.DEFAULT, progress);
            o.printf(Locale.ROOT, "  %,d streams, %,d commands in %.1f s: %s%n", r.streams(), r.commands(),
                    r.seconds(), r.divergence() == null ? "no divergence" : "DIVERGENCE");
            if (r.divergence() != null) {
                GpuDiff.Divergence small = GpuDiff.shrink(r.divergence(), GpuDiff.Options.DEFAULT, 300);
                Files.createDirectories(out);
                Path file = out.resolve("gpu-counterexample-" + r.seed() + ".txt");
                Files.writeString(file, small.report());
                o.print(small.report());
                o.println("  counterexample: " + file);
                rc = 1;
            }
        }
        o.flush();
        return rc;
    }

    /** Bytes to a writer (the fuzzers report progress to a PrintStream). */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final PrintWriter w;

        WriterOutputStream(PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            w.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            w.write(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            w.flush();
        }
    }
}
