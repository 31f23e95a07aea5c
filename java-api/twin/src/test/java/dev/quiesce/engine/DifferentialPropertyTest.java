package dev.quiesce.engine;

import dev.quiesce.engine.fuzz.DiffRunner;
import dev.quiesce.engine.fuzz.Scenario;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;

/**
 * The step-level differential test: random event sequences (register,
 * unregister, nested lock/unlock, call, drain, force, sync, poll elapsed,
 * invalid events; random policy and parameters) run on the C engine (JNA)
 * and the Java twin; after every step the effects and the whole observable
 * state must be equal.
 *
 * <p>On failure jqwik shrinks the scenario and prints the seed and the
 * shrunk sample (in the replay-file format of {@code Scenario}); the
 * assertion message is a field-by-field diff at the first differing step.
 * Replay with {@code -Dquiesce.diff.seed=<seed>}, or paste the sample into
 * a file for {@code DiffReplay} ({@code Scenario.parse} also reads the
 * one-line form jqwik prints). {@code -Dquiesce.diff.tries=N} raises the
 * number of sequences (default 10,000, of 1..150 events).
 */
class DifferentialPropertyTest {

    @Provide
    Arbitrary<Scenario> scenarios() {
        return ScenarioArbitraries.scenarios(150);
    }

    @Property(tries = 10_000, shrinking = ShrinkingMode.FULL)
    @AddLifecycleHook(DiffTries.class)
    void cEngineAndJavaTwinAgreeOnEveryStep(@ForAll("scenarios") Scenario scenario) {
        Statistics.label("policy").collect(scenario.params().policy());
        DiffRunner.Divergence d = DiffRunner.run(scenario);
        if (d != null) {
            throw new AssertionError(d.report());
        }
    }
}
