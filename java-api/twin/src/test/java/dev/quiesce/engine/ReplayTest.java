package dev.quiesce.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.fuzz.DiffFuzz;
import dev.quiesce.engine.fuzz.DiffReplay;
import dev.quiesce.engine.fuzz.DiffRunner;
import dev.quiesce.engine.fuzz.Event;
import dev.quiesce.engine.fuzz.Scenario;
import dev.quiesce.engine.fuzz.ScenarioGenerator;
import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.Sim;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Counterexample files: the committed examples replay with both engines in
 * agreement, the file format round-trips, and the fuzzer's write-shrink-
 * replay loop works end to end (shown with an injected fault).
 */
class ReplayTest {

    private static Scenario resource(String name) throws IOException {
        try (InputStream in = ReplayTest.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource %s", name).isNotNull();
            return Scenario.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fqs-triggers.diff", "legacy-drain.diff", "force-not-cleared.diff"})
    void committedExamplesAgree(String name) throws IOException {
        Scenario s = resource(name);
        assertThat(s.events()).isNotEmpty();
        DiffRunner.Divergence d = DiffRunner.run(s);
        assertThat(d).as(d == null ? "" : d.report()).isNull();
    }

    /** The committed counterexample was found by the fuzzer with FORCE_NOT_CLEARED injected: it still catches it. */
    @Test
    void committedCounterexampleStillCatchesItsFault() throws IOException {
        Scenario s = resource("force-not-cleared.diff");
        DiffRunner.Divergence d = DiffRunner.run(s, DiffRunner.NATIVE, "C",
                p -> new Sim(p, Fault.FORCE_NOT_CLEARED), "Java+fault");
        assertThat(d).isNotNull();
        assertThat(d.diff()).anyMatch(line -> line.startsWith("state.forced"));
    }

    @Test
    void formatRoundTrips() {
        ScenarioGenerator gen = new ScenarioGenerator(0, 200);
        for (long seed = 0; seed < 200; seed++) {
            Scenario s = gen.generate(seed);
            assertThat(Scenario.parse(s.format())).isEqualTo(s);
        }
        Scenario odd = Scenario.parse("# comment\nquiesce-diff 1\nparams LEGACY 4294967295 1 1  # huge\n"
                + "KIND#99 -1   # invalid kind\nKIND#-1 0\nLOCK 8\nCALL\n");
        assertThat(odd.params().pollLimit()).isEqualTo(-1);
        assertThat(odd.events()).containsExactly(new Event(99, -1), new Event(-1, 0),
                Event.of(EventKind.LOCK, 8), Event.of(EventKind.CALL, 0));
        Scenario flat = Scenario.parse("quiesce-diff 1 seed 0 params LEGACY 1 1 1 REGISTER 0 LOCK 0 CALL DRAIN");
        assertThat(flat.params()).isEqualTo(new Params(Policy.LEGACY, 1, 1, 1));
        assertThat(flat.events()).containsExactly(Event.of(EventKind.REGISTER, 0), Event.of(EventKind.LOCK, 0),
                Event.of(EventKind.CALL, 0), Event.of(EventKind.DRAIN, 0));
    }

    @Test
    void fuzzerWritesAShrunkCounterexampleThatReplays(@TempDir Path dir) throws IOException {
        ScenarioGenerator gen = new ScenarioGenerator(1, 120);
        DiffRunner.Factory faulty = p -> new Sim(p, Fault.NESTED_UNLOCK_ENDS_SECTION);
        Scenario failing = null;
        DiffRunner.Divergence d = null;
        for (long seed = 1; failing == null; seed++) {
            Scenario s = gen.generate(seed);
            d = DiffRunner.run(s, DiffRunner.NATIVE, "C", faulty, "Java+fault");
            if (d != null) {
                failing = s;
            }
        }
        Path file = DiffFuzz.write(d, dir);
        Scenario back = Scenario.read(file);
        assertThat(back).isEqualTo(failing);
        assertThat(Files.readString(file)).contains("# divergence after step " + d.step());
        assertThat(DiffRunner.run(back, DiffRunner.NATIVE, "C", faulty, "Java+fault")).isNotNull();
        assertThat(DiffReplay.replay(file)).as("the correct twin agrees").isNull();
    }

    @Test
    void cliFuzzerRunsAndReportsNoDivergence(@TempDir Path dir) throws IOException {
        DiffFuzz.Result r = DiffFuzz.run(7, 300, -1, new ScenarioGenerator(1, 60), "diff", dir, true, null);
        assertThat(r.sequences()).isEqualTo(300);
        assertThat(r.divergence()).isNull();
        assertThat(r.counterexample()).isNull();
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).isEmpty();
        }
        List<Event> none = List.of();
        assertThat(DiffRunner.run(new Scenario(0, Params.defaults(Policy.FQS), none))).isNull();
    }
}
