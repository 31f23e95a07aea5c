package dev.quiesce.purejava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runtime-level differential test: the same threaded workloads (readers
 * with short and long sections, an updater using call(), one using
 * synchronize(), periodic drains and forces) on the native runtime (JNA) and
 * the pure-Java runtime, checking the invariants both must keep (see
 * {@link RuntimeWorkload}) and printing their counters side by side.
 *
 * <p>Timing differs between the runtimes, so counters are compared by
 * meaning, not by value: both reclaim safely, both run every callback once
 * and in order, both cost readers nothing in the normal state, both put
 * readers on the slow path under LEGACY.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RuntimeDifferentialTest {

    private static final long MS = 1_000_000L;
    private static final long MILLIS = Long.getLong("quiesce.runtime.diff.millis", 800);

    private static final List<Function<Params, RuntimeUnderTest>> RUNTIMES = List.of(
            NativeRuntime::new, RuntimeUnderTest.PureRuntime::new);

    private static List<RuntimeWorkload.Outcome> runBoth(Params params, RuntimeWorkload.Shape shape)
            throws InterruptedException {
        List<RuntimeWorkload.Outcome> out = new ArrayList<>();
        for (Function<Params, RuntimeUnderTest> f : RUNTIMES) {
            try (RuntimeUnderTest rt = f.apply(params)) {
                out.add(RuntimeWorkload.run(rt, shape));
            }
        }
        print(params, out);
        return out;
    }

    private static void print(Params params, List<RuntimeWorkload.Outcome> rows) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%n%s%n%-7s %9s %6s %6s %6s %6s %6s %7s %8s %8s %6s %6s %10s %10s%n", params, "runtime",
                "sections", "long", "kicks", "viol", "GPs", "FQS", "slowUnl", "cbs", "notif", "drains", "syncs",
                "p50 GP us", "p99 GP us"));
        for (RuntimeWorkload.Outcome o : rows) {
            Stats s = o.stats();
            b.append(String.format(Locale.ROOT, "%-7s %9d %6d %6d %6d %6d %6d %7d %8d %8d %6d %6d %10.1f %10.1f%n",
                    o.runtime(), o.readSections(), o.longSections(), o.kicks(), o.violations(), s.gps(),
                    s.gpsFqs(), s.slowUnlocks(), s.callbacksRun(), s.notifierCalls(), s.drains(), s.syncs(),
                    s.gpPercentileNs(50) / 1e3, s.gpPercentileNs(99) / 1e3));
        }
        System.out.print(b);
    }

    private static void assertSafeAndComplete(RuntimeWorkload.Outcome o) {
        String who = o.runtime();
        assertThat(o.violations()).as("%s: readers saw reclaimed objects", who).isZero();
        assertThat(o.readSections()).as("%s: readers ran", who).isPositive();
        assertThat(o.duplicateOrMissing()).as("%s: callbacks not run exactly once", who).isZero();
        assertThat(o.outOfOrder()).as("%s: callbacks out of order", who).isZero();
        assertThat(o.drainViolations()).as("%s: drain returned before earlier callbacks ran", who).isZero();
        Stats s = o.stats();
        assertThat(s.callbacksRun()).as("%s: run = queued after the final drain", who)
                .isEqualTo(s.callbacksQueued());
        assertThat(s.callbacksQueued()).as("%s: queued = calls + drain markers", who)
                .isEqualTo(o.callbacks() + o.drainsIssued());
        assertThat(s.drains()).as("%s: drains", who).isEqualTo(o.drainsIssued());
        assertThat(s.forces()).as("%s: forces", who).isEqualTo(o.forcesIssued());
        assertThat(s.syncs()).as("%s: syncs", who).isEqualTo(o.syncs());
        long byCause = 0;
        for (long c : s.fqsByCause()) {
            byCause += c;
        }
        assertThat(byCause).as("%s: FQS entries by cause add up", who).isEqualTo(s.gpsFqs());
        assertThat(s.gpsFqs()).as("%s: FQS GPs <= GPs", who).isLessThanOrEqualTo(s.gps());
    }

    /** Everything at once, FQS: long readers get kicked, no reader sees a reclaimed object. */
    @Test
    void fqsTortureKeepsTheInvariantsOnBothRuntimes() throws InterruptedException {
        Params p = new Params(Policy.FQS, 3, 8, MS);
        RuntimeWorkload.Shape shape = new RuntimeWorkload.Shape(2, 40, 3 * MS, true, true, 5_000, 3_000, 20,
                MILLIS);
        for (RuntimeWorkload.Outcome o : runBoth(p, shape)) {
            assertSafeAndComplete(o);
            assertThat(o.stats().gpsFqs()).as("%s: FQS happened", o.runtime()).isPositive();
            assertThat(o.stats().notifierCalls()).as("%s: notifiers fired", o.runtime()).isPositive();
        }
    }

    /** The same under LEGACY: force() is a no-op, every GP arms `waiting`, never FQS. */
    @Test
    void legacyTortureKeepsTheInvariantsOnBothRuntimes() throws InterruptedException {
        Params p = new Params(Policy.LEGACY, 2, 8, MS);
        RuntimeWorkload.Shape shape = new RuntimeWorkload.Shape(2, 40, 3 * MS, true, true, 5_000, 3_000, 20,
                MILLIS);
        for (RuntimeWorkload.Outcome o : runBoth(p, shape)) {
            assertSafeAndComplete(o);
            assertThat(o.stats().gpsFqs()).as("%s: LEGACY never enters FQS", o.runtime()).isZero();
            assertThat(o.stats().slowUnlocks()).as("%s: LEGACY puts readers on the slow path", o.runtime())
                    .isPositive();
        }
    }

    /**
     * The seed's first claim, on both runtimes: with no trigger (no drain,
     * force or synchronize; threshold and poll limit out of reach), every GP
     * stays in the normal state and readers never take the slow path.
     */
    @Test
    void normalStateGpsCauseZeroSlowPathUnlocksOnBothRuntimes() throws InterruptedException {
        Params p = new Params(Policy.FQS, 1_000_000, 1_000_000, MS);
        RuntimeWorkload.Shape shape = new RuntimeWorkload.Shape(2, 20, 2 * MS, true, false, 0, 0, 200, MILLIS);
        for (RuntimeWorkload.Outcome o : runBoth(p, shape)) {
            assertSafeAndComplete(o);
            Stats s = o.stats();
            assertThat(s.gps()).as("%s: GPs ran", o.runtime()).isPositive();
            assertThat(s.gpsFqs()).as("%s: no FQS", o.runtime()).isZero();
            assertThat(s.slowUnlocks()).as("%s: zero slow-path unlocks in normal-state GPs", o.runtime()).isZero();
            assertThat(s.notifierCalls()).as("%s: no kicks", o.runtime()).isZero();
            assertThat(s.polls()).as("%s: long readers made the writer poll", o.runtime()).isPositive();
        }
    }
}
