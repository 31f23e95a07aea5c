package dev.quiesce.engine.fuzz;

import dev.quiesce.engine.sim.Effects;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.sim.Sim;
import dev.quiesce.engine.sim.SimDriver;
import dev.quiesce.engine.sim.SimState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs one {@link Scenario} on two step-API implementations side by side and
 * compares the effects and the whole observable state after every step (and
 * the initial state before the first).
 */
public final class DiffRunner {

    /** Creates one implementation for a scenario's parameters. */
    public interface Factory extends Function<Params, SimDriver> {
    }

    /** The C engine through JNA. */
    public static final Factory NATIVE = NativeSim::new;
    /** The Java twin. */
    public static final Factory JAVA = Sim::new;

    /**
     * Where two implementations disagreed.
     *
     * @param scenario   the scenario that was run
     * @param step       index of the event after which they disagreed; -1: the initial state
     * @param leftName   name of the left implementation (usually "C")
     * @param rightName  name of the right implementation (usually "Java")
     * @param leftEff    the left effects of that step (null for the initial state or an error)
     * @param rightEff   the right effects
     * @param leftState  the left state after that step (null after an error)
     * @param rightState the right state
     * @param diff       the differing fields, {@code path: left | right}
     * @param error      an exception one side threw, or null
     */
    public record Divergence(Scenario scenario, int step, String leftName, String rightName, Effects leftEff,
                             Effects rightEff, SimState leftState, SimState rightState, List<String> diff,
                             String error) {

        /**
         * {@return the event the implementations disagreed after, or null for the initial state}
         */
        public Event event() {
            return step < 0 ? null : scenario.events().get(step);
        }

        /**
         * {@return a human-readable report: step, event, field-by-field diff, and how to replay}
         */
        public String report() {
            StringBuilder b = new StringBuilder();
            b.append("divergence ").append(step < 0 ? "in the initial state"
                    : "after step " + step + " of " + scenario.events().size() + ": " + event()).append('\n');
            b.append("  params ").append(scenario.params()).append(", seed ").append(scenario.seed()).append('\n');
            if (error != null) {
                b.append("  error: ").append(error).append('\n');
            }
            if (!diff.isEmpty()) {
                b.append("  field: ").append(leftName).append(" | ").append(rightName).append('\n');
                for (String d : diff) {
                    b.append("    ").append(d).append('\n');
                }
            }
            int from = Math.max(0, step - 8);
            if (step >= 0) {
                b.append("  events ").append(from).append("..").append(step).append(':');
                for (int i = from; i <= step; i++) {
                    b.append(i == from ? " " : ", ").append(scenario.events().get(i));
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    /** Keeps the JIT from discarding the single-implementation runs. */
    private static volatile long blackhole;

    private DiffRunner() {
    }

    /**
     * Compares the C engine (left) and the Java twin (right) on {@code s}.
     *
     * @param s the scenario
     * @return the divergence
     */
    public static Divergence run(Scenario s) {
        return run(s, NATIVE, "C", JAVA, "Java");
    }

    /**
     * Runs {@code s} on both and returns the first disagreement, or null if
     * they agree on every step.
     *
     * @param s the scenario
     * @param left the first implementation
     * @param leftName its name in reports
     * @param right the second implementation
     * @param rightName its name in reports
     * @return the divergence
     */
    public static Divergence run(Scenario s, Factory left, String leftName, Factory right, String rightName) {
        try (SimDriver l = left.apply(s.params()); SimDriver r = right.apply(s.params())) {
            int step = -1;
            Effects le = null;
            Effects re = null;
            try {
                if (s.gpSeqBase() != 0) {
                    int lrc = l.setGpSeq(s.gpSeqBase());
                    int rrc = r.setGpSeq(s.gpSeqBase());
                    if (lrc != 0 || rrc != 0) {
                        return new Divergence(s, step, leftName, rightName, null, null, l.state(), r.state(),
                                List.of(), "setGpSeq(" + Long.toUnsignedString(s.gpSeqBase()) + ") returned "
                                + lrc + " | " + rrc);
                    }
                }
                Divergence d = compare(s, step, leftName, rightName, null, null, l.state(), r.state());
                if (d != null) {
                    return d;
                }
                List<Event> events = s.events();
                for (step = 0; step < events.size(); step++) {
                    Event e = events.get(step);
                    le = l.step(e.kind(), e.arg());
                    re = r.step(e.kind(), e.arg());
                    d = compare(s, step, leftName, rightName, le, re, l.state(), r.state());
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            } catch (RuntimeException ex) {
                return new Divergence(s, step, leftName, rightName, le, re, null, null, List.of(), ex.toString());
            }
        }
    }

    private static Divergence compare(Scenario s, int step, String ln, String rn, Effects le, Effects re,
                                      SimState ls, SimState rs) {
        boolean effOk = le == null ? re == null : le.equals(re);
        if (effOk && ls.equals(rs)) {
            return null;
        }
        List<String> diff = new ArrayList<>();
        if (!effOk) {
            diff.addAll(StateDiff.diff("effects", le, re));
        }
        diff.addAll(StateDiff.diff("state", ls, rs));
        return new Divergence(s, step, ln, rn, le, re, ls, rs, diff, null);
    }

    /**
     * Runs {@code s} on one implementation only (throughput measurements);
     * reads the state after every step like the differential run does.
     * Returns the number of steps.
     *
     * @param s the scenario
     * @param impl the implementation
     * @return the number of steps
     */
    public static int runOne(Scenario s, Factory impl) {
        try (SimDriver d = impl.apply(s.params())) {
            if (s.gpSeqBase() != 0) {
                d.setGpSeq(s.gpSeqBase());
            }
            long sink = d.state().gpCtr();
            for (Event e : s.events()) {
                sink += d.step(e.kind(), e.arg()).rc();
                sink += d.state().runHash();
            }
            blackhole ^= sink;
            return s.events().size();
        }
    }
}
