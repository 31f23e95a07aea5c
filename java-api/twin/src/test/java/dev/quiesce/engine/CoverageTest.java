package dev.quiesce.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.fuzz.Event;
import dev.quiesce.engine.fuzz.Scenario;
import dev.quiesce.engine.fuzz.ScenarioGenerator;
import dev.quiesce.engine.sim.Effects;
import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.Sim;
import dev.quiesce.engine.sim.SimReader;
import dev.quiesce.engine.sim.SimState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The differential tests are only as good as the states their random
 * scenarios reach. This checks, on the Java twin, that both generators (the
 * fuzzer's and the jqwik arbitraries) reach every writer state, every FQS
 * cause, both policies' slow paths, pending and refused synchronizes, drains
 * completing, several GPs in one step, and so on.
 *
 * <p>Not listed, because no sequence reaches it: {@code gpEventSet} true
 * between steps. A slow-path unlock only happens while an armed GP waits on
 * the event, and the woken writer resets the event in its next pass, so the
 * field is always false between steps (checked over 20 million steps).
 */
class CoverageTest {

    /** Every feature the generators must reach. */
    private static final Set<String> WANTED = Set.of(
            "writer=IDLE", "writer=PREPOLL", "writer=POLL_SLEEP", "writer=EVENT_WAIT",
            "cause=EXPEDITED", "cause=FORCE", "cause=DRAIN", "cause=THRESHOLD", "cause=POLL_LIMIT",
            "owner=WORKER", "owner=SYNC", "syncPending", "rc=-EBUSY(sync)", "rc=-EBUSY(unregister)",
            "rc=-EINVAL", "slowUnlock/FQS", "slowUnlock/LEGACY", "drainDone", "legacyDrainKick",
            "gpsEnded>=2", "notified>=2 readers", "depth>=3", "batch>=2", "worker=PREPOLL+sync",
            "gpCtr>=11");

    private static Set<String> features(Iterable<Scenario> scenarios) {
        Set<String> seen = new TreeSet<>();
        for (Scenario s : scenarios) {
            Sim sim = new Sim(s.params());
            Policy policy = s.params().policy();
            for (Event e : s.events()) {
                Effects eff = sim.step(e.kind(), e.arg());
                SimState st = sim.state();
                seen.add("writer=" + st.writer());
                if (st.gp().cause() != FqsCause.NONE) {
                    seen.add("cause=" + st.gp().cause());
                }
                seen.add("owner=" + st.owner());
                if (st.syncPending()) {
                    seen.add("syncPending");
                    if (st.worker().state() == WorkerState.PREPOLL) {
                        seen.add("worker=PREPOLL+sync");
                    }
                }
                if (eff.rc() == -Errno.EBUSY) {
                    seen.add(e.kind() == EventKind.SYNC.value() ? "rc=-EBUSY(sync)" : "rc=-EBUSY(unregister)");
                }
                if (eff.rc() == -Errno.EINVAL) {
                    seen.add("rc=-EINVAL");
                }
                if (eff.slowUnlock()) {
                    seen.add("slowUnlock/" + policy);
                }
                if (eff.drainsDone() > 0) {
                    seen.add("drainDone");
                }
                if (policy == Policy.LEGACY && eff.notifiedMask() != 0) {
                    seen.add("legacyDrainKick");
                }
                if (eff.gpsEnded() >= 2) {
                    seen.add("gpsEnded>=2");
                }
                if (Integer.bitCount(eff.notifiedMask()) >= 2) {
                    seen.add("notified>=2 readers");
                }
                for (SimReader r : st.readers()) {
                    if (r.depth() >= 3) {
                        seen.add("depth>=3");
                    }
                }
                if (st.worker().batch() >= 2) {
                    seen.add("batch>=2");
                }
                if (st.gpCtr() >= 11) {
                    seen.add("gpCtr>=11");
                }
            }
        }
        return seen;
    }

    @Test
    void fuzzerGeneratorReachesEveryFeature() {
        ScenarioGenerator gen = new ScenarioGenerator(1, 120);
        List<Scenario> list = new ArrayList<>();
        for (long seed = 1; seed <= 3000; seed++) {
            list.add(gen.generate(seed));
        }
        assertThat(features(list)).containsAll(WANTED);
    }

    /** A jqwik example (not a JUnit test): arbitraries generate only on jqwik's threads. */
    @Example
    void jqwikArbitrariesReachEveryFeature() {
        Arbitrary<Scenario> arb = ScenarioArbitraries.scenarios(100);
        Random random = new Random(42);
        List<Scenario> list = new ArrayList<>();
        RandomGenerator<Scenario> gen = arb.generator(1000);
        for (int i = 0; i < 3000; i++) {
            list.add(gen.next(random).value());
        }
        assertThat(features(list)).containsAll(WANTED);
    }
}
