package dev.quiesce.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.fuzz.DiffRunner;
import dev.quiesce.engine.fuzz.Scenario;
import dev.quiesce.engine.fuzz.ScenarioGenerator;
import dev.quiesce.engine.fuzz.Shrinker;
import dev.quiesce.engine.sim.Sim;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Proves the differential harness catches bugs: each known mistake
 * ({@link Fault}) is injected into the Java twin, and the same random
 * scenarios the fuzzer generates are run against the C engine until the
 * first divergence. Every fault must be found within the budget. Prints a
 * table: fault, sequences and steps until detected, time, and the length of
 * the shrunk counterexample.
 */
class FaultDetectionTest {

    /** Sequences tried per fault before giving up (the test then fails). */
    private static final int BUDGET = 200_000;

    record Detection(Fault fault, long sequences, long steps, double millis, int shrunkEvents,
                     String firstDiff) {
    }

    static Detection detect(Fault fault, long firstSeed) {
        ScenarioGenerator gen = new ScenarioGenerator(1, 120);
        DiffRunner.Factory faulty = p -> new Sim(p, fault);
        long t0 = System.nanoTime();
        long steps = 0;
        for (long i = 0; i < BUDGET; i++) {
            Scenario s = gen.generate(firstSeed + i);
            DiffRunner.Divergence d = DiffRunner.run(s, DiffRunner.NATIVE, "C", faulty, "Java+" + fault);
            if (d == null) {
                steps += s.events().size();
                continue;
            }
            steps += d.step() + 1;
            double ms = (System.nanoTime() - t0) / 1e6;
            Scenario cut = s.withEvents(s.events().subList(0, d.step() + 1));
            Scenario small = Shrinker.shrink(cut,
                    c -> DiffRunner.run(c, DiffRunner.NATIVE, "C", faulty, "Java+" + fault) != null, 4000);
            DiffRunner.Divergence again = DiffRunner.run(small, DiffRunner.NATIVE, "C", faulty, "Java+" + fault);
            String first = again == null ? "?" : again.diff().isEmpty() ? again.error() : again.diff().get(0);
            return new Detection(fault, i + 1, steps, ms, small.events().size(), first);
        }
        return new Detection(fault, -1, steps, (System.nanoTime() - t0) / 1e6, -1, null);
    }

    @Test
    void everyInjectedFaultIsDetected() {
        List<Detection> rows = new ArrayList<>();
        for (Fault f : EnumSet.complementOf(EnumSet.of(Fault.NONE))) {
            rows.add(detect(f, 1));
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%n%-28s %-48s %10s %10s %9s %7s  %s%n", "fault", "what it breaks", "sequences", "steps",
                "time ms", "shrunk", "first differing field (C | Java)"));
        for (Detection d : rows) {
            table.append(String.format(Locale.ROOT, "%-28s %-48s %10d %10d %9.1f %7d  %s%n", d.fault(),
                    d.fault().description(), d.sequences(), d.steps(), d.millis(), d.shrunkEvents(), d.firstDiff()));
        }
        System.out.println(table);
        for (Detection d : rows) {
            assertThat(d.sequences()).as("fault %s must be detected within %d sequences", d.fault(), BUDGET)
                    .isPositive();
        }
    }

    @Test
    void theCorrectTwinIsNotFlagged() {
        ScenarioGenerator gen = new ScenarioGenerator(1, 120);
        for (long seed = 1; seed <= 2000; seed++) {
            Scenario s = gen.generate(seed);
            DiffRunner.Divergence d = DiffRunner.run(s);
            assertThat(d).as("seed %d", seed).isNull();
        }
    }
}
