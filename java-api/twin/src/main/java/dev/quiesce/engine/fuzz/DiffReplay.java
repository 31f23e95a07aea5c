package dev.quiesce.engine.fuzz;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Replays scenario files (as {@link DiffFuzz} writes them, or hand-written)
 * on the C engine and the Java twin and reports the first divergence.
 *
 * <pre>
 * java -cp ... dev.quiesce.engine.fuzz.DiffReplay FILE...
 * </pre>
 * Exit status 0 if every file agrees on every step, 1 otherwise.
 */
public final class DiffReplay {

    private DiffReplay() {
    }

    /**
     * Replays one file; null if both sides agree on every step.
     *
     * @param file the file
     * @return the diff runner.divergence
     * @throws IOException if it cannot be read or written
     */
    public static DiffRunner.Divergence replay(Path file) throws IOException {
        return DiffRunner.run(Scenario.read(file));
    }

    /**
     * Entry point.
     *
     * @param args the command-line arguments
     * @throws IOException if it cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: DiffReplay FILE...");
            System.exit(2);
        }
        int failed = 0;
        for (String a : args) {
            Path file = Paths.get(a);
            Scenario s = Scenario.read(file);
            DiffRunner.Divergence d = DiffRunner.run(s);
            if (d == null) {
                System.out.println(file + ": agree on " + s.events().size() + " steps (" + s.params() + ")");
            } else {
                failed++;
                System.out.println(file + ": DIVERGE");
                System.out.print(d.report());
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
