package dev.quiesce.engine;

import dev.quiesce.engine.fuzz.Event;
import dev.quiesce.engine.fuzz.Scenario;
import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.Sim;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * jqwik arbitraries for differential scenarios, with the same mix as the
 * command-line fuzzer's {@code ScenarioGenerator} (see its Javadoc), but
 * built from jqwik combinators so failures shrink: lists lose events,
 * parameters move towards small values, slots towards 0.
 */
final class ScenarioArbitraries {

    /** Relative weights of the event kinds, in {@link EventKind} order (as in ScenarioGenerator). */
    private static final int[] KIND_WEIGHTS = {10, 4, 22, 22, 14, 4, 4, 5, 15, 3, 5, 4};

    private ScenarioArbitraries() {
    }

    static Arbitrary<Params> params() {
        Arbitrary<Policy> policy = Arbitraries.of(Policy.class);
        Arbitrary<Integer> pollLimit = Arbitraries.frequencyOf(
                Tuple.of(18, Arbitraries.integers().between(1, 6)),
                Tuple.of(1, Arbitraries.just(Params.DEFAULT_POLL_LIMIT)),
                Tuple.of(1, Arbitraries.of(-1, -2, -3)));
        Arbitrary<Integer> threshold = Arbitraries.frequencyOf(
                Tuple.of(18, Arbitraries.integers().between(1, 8)),
                Tuple.of(1, Arbitraries.just(Params.DEFAULT_CB_THRESHOLD)),
                Tuple.of(1, Arbitraries.of(-1, -2, -3)));
        Arbitrary<Long> period = Arbitraries.longs().between(1, 2 * Params.DEFAULT_POLL_PERIOD_NS);
        return Combinators.combine(policy, pollLimit, threshold, period).as(Params::new);
    }

    static Arbitrary<Integer> slots() {
        return Arbitraries.frequencyOf(
                Tuple.of(85, Arbitraries.integers().between(0, 3)),
                Tuple.of(12, Arbitraries.integers().between(4, 7)),
                Tuple.of(3, Arbitraries.of(-1, Sim.MAX_READERS)));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Arbitrary<Event> events() {
        List<Tuple.Tuple2<Integer, Arbitrary<Event>>> choices = new ArrayList<>();
        for (EventKind k : EventKind.values()) {
            Arbitrary<Event> a = k.takesSlot() ? slots().map(s -> Event.of(k, s)) : Arbitraries.just(Event.of(k, 0));
            choices.add(Tuple.of(KIND_WEIGHTS[k.value()], a));
        }
        Arbitrary<Event> invalid = Combinators.combine(Arbitraries.of(-1, EventKind.COUNT, 99), slots())
                .as(Event::new);
        choices.add(Tuple.of(1, invalid));
        return Arbitraries.frequencyOf(choices.toArray(new Tuple.Tuple2[0]));
    }

    static Arbitrary<Scenario> scenarios(int maxEvents) {
        return Combinators.combine(params(), gpSeqBases(), events().list().ofMinSize(1).ofMaxSize(maxEvents))
                .as((p, base, ev) -> new Scenario(0, p, base, ev));
    }

    /** GP number bases: mostly 0, a quarter of the time a few GPs below 2^64 so cookies wrap. */
    static Arbitrary<Long> gpSeqBases() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0L)),
                Tuple.of(1, Arbitraries.longs().between(1, 8).map(d -> -d)));
    }
}
