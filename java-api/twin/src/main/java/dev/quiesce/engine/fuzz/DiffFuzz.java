package dev.quiesce.engine.fuzz;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * Command-line differential fuzzer: random scenarios on the C engine (JNA)
 * and the Java twin, compared after every step.
 *
 * <pre>
 * java -cp ... dev.quiesce.engine.fuzz.DiffFuzz [--seconds N | --count N] [--seed S]
 *      [--min-events A] [--max-events B] [--out DIR] [--mode diff|java|native] [--no-shrink]
 * </pre>
 *
 * <p>Scenario {@code i} uses seed {@code S + i}, so {@code --seed X --count 1}
 * replays one. A progress line (sequences/s, steps/s) goes to stderr once a
 * second. The first divergence is shrunk, written to
 * {@code DIR/diff-counterexample-<seed>.txt} (replay it with
 * {@link DiffReplay}) and ends the run with exit status 1. Modes
 * {@code java} and {@code native} run one implementation only (no
 * comparison), to measure each side's throughput.
 *
 * <p>Default: 10 seconds, seed from the clock, 1..120 events, mode diff.
 */
public final class DiffFuzz {

    /**
     * What a run did.
     *
     * @param sequences the sequences
     * @param steps the steps
     * @param seconds the seconds
     * @param counterexample the counterexample
     * @param divergence the divergence
     */
    public record Result(long sequences, long steps, double seconds, Path counterexample,
                         DiffRunner.Divergence divergence) {
        /**
         * Sequences per second.
         *
         * @return the rate
         */
        public double rate() {
            return seconds > 0 ? sequences / seconds : 0;
        }
    }

    private DiffFuzz() {
    }

    /**
     * Entry point; exit status 0 (no divergence), 1 (divergence written), 2 (usage).
     *
     * @param args the command-line arguments
     * @throws IOException if it cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        long seconds = -1;
        long count = -1;
        long seed = System.nanoTime();
        int minEvents = 1;
        int maxEvents = 120;
        Path out = Paths.get(".");
        String mode = "diff";
        boolean shrink = true;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seconds":
                        seconds = Long.parseLong(args[++i]);
                        break;
                    case "--count":
                        count = Long.parseLong(args[++i]);
                        break;
                    case "--seed":
                        seed = Long.parseLong(args[++i]);
                        break;
                    case "--min-events":
                        minEvents = Integer.parseInt(args[++i]);
                        break;
                    case "--max-events":
                        maxEvents = Integer.parseInt(args[++i]);
                        break;
                    case "--out":
                        out = Paths.get(args[++i]);
                        break;
                    case "--mode":
                        mode = args[++i];
                        if (!mode.equals("diff") && !mode.equals("java") && !mode.equals("native")) {
                            throw new IllegalArgumentException("--mode diff|java|native");
                        }
                        break;
                    case "--no-shrink":
                        shrink = false;
                        break;
                    case "-h":
                    case "--help":
                        usage(System.out);
                        return;
                    default:
                        throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("DiffFuzz: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        if (seconds < 0 && count < 0) {
            seconds = 10;
        }
        System.err.printf(Locale.ROOT, "DiffFuzz: mode %s, seed %d, %s, events %d..%d%n", mode, seed,
                count >= 0 ? count + " sequences" : seconds + " s", minEvents, maxEvents);
        Result r = run(seed, count, seconds, new ScenarioGenerator(minEvents, maxEvents), mode, out, shrink,
                System.err);
        System.err.printf(Locale.ROOT, "DiffFuzz: %d sequences, %d steps in %.1f s: %.0f sequences/s, %.0f steps/s%n",
                r.sequences(), r.steps(), r.seconds(), r.rate(), r.seconds() > 0 ? r.steps() / r.seconds() : 0.0);
        if (r.divergence() != null) {
            System.err.print(r.divergence().report());
            System.err.println("counterexample written to " + r.counterexample());
            System.err.println("replay: java -cp ... dev.quiesce.engine.fuzz.DiffReplay " + r.counterexample());
            System.exit(1);
        }
    }

    private static void usage(PrintStream p) {
        p.println("usage: DiffFuzz [--seconds N | --count N] [--seed S] [--min-events A] [--max-events B]");
        p.println("                [--out DIR] [--mode diff|java|native] [--no-shrink]");
    }

    /**
     * Runs the fuzzer. Stops after {@code count} sequences (if >= 0) or
     * {@code seconds} (if >= 0), or at the first divergence, which is shrunk
     * (if asked) and written under {@code outDir}.
     *
     * @param progress where the progress line goes, or null for none
     * @param seed the random seed
     * @param count the count
     * @param seconds the seconds
     * @param gen the gen
     * @param mode the mode
     * @param outDir the out dir
     * @param shrink the shrink
     * @return the result
     * @throws IOException if it cannot be read or written
     */
    public static Result run(long seed, long count, long seconds, ScenarioGenerator gen, String mode, Path outDir,
                             boolean shrink, PrintStream progress) throws IOException {
        long start = System.nanoTime();
        long deadline = seconds >= 0 ? start + seconds * 1_000_000_000L : Long.MAX_VALUE;
        long nextReport = start + 1_000_000_000L;
        long seqs = 0;
        long steps = 0;
        for (long i = 0; count < 0 || i < count; i++) {
            long now = System.nanoTime();
            if (now >= deadline) {
                break;
            }
            if (progress != null && now >= nextReport) {
                double t = (now - start) / 1e9;
                progress.printf(Locale.ROOT, "  [%6.1f s] %,d sequences  %,.0f seq/s  %,d steps  0 divergences%n", t,
                        seqs, seqs / t, steps);
                nextReport = now + 1_000_000_000L;
            }
            Scenario s = gen.generate(seed + i);
            steps += s.events().size();
            seqs++;
            if (mode.equals("java")) {
                DiffRunner.runOne(s, DiffRunner.JAVA);
                continue;
            }
            if (mode.equals("native")) {
                DiffRunner.runOne(s, DiffRunner.NATIVE);
                continue;
            }
            DiffRunner.Divergence d = DiffRunner.run(s);
            if (d != null) {
                double t = (System.nanoTime() - start) / 1e9;
                if (shrink) {
                    d = shrink(d);
                }
                Path file = write(d, outDir);
                return new Result(seqs, steps, t, file, d);
            }
        }
        return new Result(seqs, steps, (System.nanoTime() - start) / 1e9, null, null);
    }

    /**
     * Shrinks a divergence's scenario and re-runs the result for its report.
     *
     * @param d the device under test
     * @return the diff runner.divergence
     */
    public static DiffRunner.Divergence shrink(DiffRunner.Divergence d) {
        Scenario s = d.scenario();
        if (d.step() >= 0) {
            s = s.withEvents(s.events().subList(0, d.step() + 1));
        }
        Scenario small = Shrinker.shrink(s, c -> DiffRunner.run(c) != null, 20_000);
        DiffRunner.Divergence again = DiffRunner.run(small);
        return again != null ? again : d;
    }

    /**
     * Writes the scenario with the report as comments; returns the file.
     *
     * @param d the device under test
     * @param outDir the out dir
     * @return the path
     * @throws IOException if it cannot be read or written
     */
    public static Path write(DiffRunner.Divergence d, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        Path file = outDir.resolve("diff-counterexample-" + d.scenario().seed() + ".txt");
        StringBuilder b = new StringBuilder(d.scenario().format());
        for (String line : d.report().split("\n")) {
            b.append("# ").append(line).append('\n');
        }
        Files.writeString(file, b.toString());
        return file;
    }
}
