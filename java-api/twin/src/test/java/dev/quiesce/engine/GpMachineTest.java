package dev.quiesce.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.SimOwner;
import dev.quiesce.engine.sim.SimWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Table-driven tests of the Java writer and worker machines, row for row
 * the tables of native/tests/test_engine.c (so a change to one table shows
 * up as a failure on the other side). No threads, no clocks.
 */
class GpMachineTest {

    private static GpInput in(int remaining, int pending, int draining, int forced) {
        return new GpInput(remaining, pending, draining, forced != 0);
    }

    @Test
    void paramsMatchQemuDefaultsAndCheck() {
        Params p = Params.defaults(Policy.FQS);
        assertThat(p.pollLimit()).isEqualTo(5);
        assertThat(p.cbThreshold()).isEqualTo(30);
        assertThat(p.pollPeriodNs()).isEqualTo(10_000_000L);
        assertThat(Params.check(0, 5, 30, 0, 10_000_000L)).isZero();
        assertThat(Params.check(7, 5, 30, 0, 10_000_000L)).isEqualTo(-Errno.EINVAL);
        assertThat(Params.check(0, 0, 30, 0, 10_000_000L)).isEqualTo(-Errno.EINVAL);
        assertThat(Params.check(0, 5, 0, 0, 10_000_000L)).isEqualTo(-Errno.EINVAL);
        assertThat(Params.check(0, 5, 30, 0, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(Params.check(0, 5, 30, 1, 10_000_000L)).isEqualTo(-Errno.EINVAL);
        assertThat(Params.check(1, -1, -1, 0, -1L)).as("unsigned-huge is valid").isZero();
        assertThatThrownBy(() -> new Params(Policy.FQS, 0, 30, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void classifyRows() {
        long[][] rows = {{0, 1, 0}, {0, 7, 0}, {7, 7, 1}, {5, 7, 2}, {1, 3, 2}, {9, 7, 2}};
        for (long[] r : rows) {
            assertThat(ReaderState.classify(r[0], r[1]).value()).as("classify(%d, %d)", r[0], r[1])
                    .isEqualTo((int) r[2]);
        }
    }

    /** One scan: its input, then the expected action, state and cause. */
    private record Scan(GpInput in, GpAction act, GpPhase state, FqsCause cause) {
    }

    private record GpCase(String name, Policy policy, boolean expedited, List<Scan> scans) {
    }

    private static Scan scan(int r, int p, int d, int f, GpAction act, GpPhase st, FqsCause c) {
        return new Scan(in(r, p, d, f), act, st, c);
    }

    private static final Scan POLL = scan(1, 1, 0, 0, GpAction.SLEEP, GpPhase.NORMAL, FqsCause.NONE);

    private static final List<GpCase> GP_CASES = List.of(
            new GpCase("fqs: no reader blocks, done at once", Policy.FQS, false,
                    List.of(scan(0, 0, 0, 0, GpAction.DONE, GpPhase.NORMAL, FqsCause.NONE))),
            new GpCase("fqs: polls, then poll limit forces", Policy.FQS, false,
                    List.of(POLL, POLL, POLL, POLL, POLL,
                            scan(1, 1, 0, 0, GpAction.FORCE, GpPhase.FORCED, FqsCause.POLL_LIMIT),
                            scan(1, 1, 0, 0, GpAction.WAIT, GpPhase.FORCED, FqsCause.POLL_LIMIT))),
            new GpCase("fqs: reader leaves while polling", Policy.FQS, false,
                    List.of(scan(2, 1, 0, 0, GpAction.SLEEP, GpPhase.NORMAL, FqsCause.NONE), POLL,
                            scan(0, 1, 0, 0, GpAction.DONE, GpPhase.NORMAL, FqsCause.NONE))),
            new GpCase("fqs: threshold forces", Policy.FQS, false,
                    List.of(scan(1, 29, 0, 0, GpAction.SLEEP, GpPhase.NORMAL, FqsCause.NONE),
                            scan(1, 30, 0, 0, GpAction.FORCE, GpPhase.FORCED, FqsCause.THRESHOLD),
                            scan(0, 30, 0, 0, GpAction.DONE, GpPhase.FORCED, FqsCause.THRESHOLD))),
            new GpCase("fqs: drain forces", Policy.FQS, false,
                    List.of(scan(1, 1, 1, 0, GpAction.FORCE, GpPhase.FORCED, FqsCause.DRAIN),
                            scan(1, 1, 1, 0, GpAction.WAIT, GpPhase.FORCED, FqsCause.DRAIN))),
            new GpCase("fqs: force() forces", Policy.FQS, false,
                    List.of(scan(1, 0, 0, 0, GpAction.SLEEP, GpPhase.NORMAL, FqsCause.NONE),
                            scan(1, 0, 0, 1, GpAction.FORCE, GpPhase.FORCED, FqsCause.FORCE))),
            new GpCase("fqs: force() outranks drain and threshold", Policy.FQS, false,
                    List.of(scan(1, 99, 1, 1, GpAction.FORCE, GpPhase.FORCED, FqsCause.FORCE))),
            new GpCase("fqs: expedited forces after the first scan", Policy.FQS, true,
                    List.of(scan(3, 0, 0, 0, GpAction.FORCE, GpPhase.FORCED, FqsCause.EXPEDITED),
                            scan(0, 0, 0, 0, GpAction.DONE, GpPhase.FORCED, FqsCause.EXPEDITED))),
            new GpCase("fqs: expedited with no blocker never forces", Policy.FQS, true,
                    List.of(scan(0, 0, 0, 0, GpAction.DONE, GpPhase.NORMAL, FqsCause.NONE))),
            new GpCase("legacy: waits on the event at once", Policy.LEGACY, false,
                    List.of(scan(1, 100, 1, 1, GpAction.WAIT, GpPhase.LEGACY, FqsCause.NONE),
                            scan(1, 100, 1, 1, GpAction.WAIT, GpPhase.LEGACY, FqsCause.NONE),
                            scan(0, 100, 1, 1, GpAction.DONE, GpPhase.LEGACY, FqsCause.NONE))),
            new GpCase("legacy: expedited changes nothing", Policy.LEGACY, true,
                    List.of(scan(2, 0, 0, 0, GpAction.WAIT, GpPhase.LEGACY, FqsCause.NONE))));

    @Test
    void gpMachineRows() {
        for (GpCase tc : GP_CASES) {
            GpMachine gp = new GpMachine(Params.defaults(tc.policy()));
            assertThat(gp.state()).as(tc.name()).isEqualTo(GpPhase.IDLE);
            gp.begin(tc.expedited());
            for (int i = 0; i < tc.scans().size(); i++) {
                Scan row = tc.scans().get(i);
                GpAction act = gp.afterScan(row.in());
                assertThat(List.of(act, gp.state(), gp.cause())).as("%s, scan %d", tc.name(), i)
                        .containsExactly(row.act(), row.state(), row.cause());
                if (act == GpAction.SLEEP) {
                    gp.pollDone();
                }
            }
            gp.end();
            assertThat(gp.state()).as(tc.name()).isEqualTo(GpPhase.IDLE);
        }
    }

    @Test
    void armingAndLegacyKicks() {
        GpMachine gp = new GpMachine(Params.defaults(Policy.FQS));
        GpInput drain = in(1, 0, 1, 0);
        gp.begin(false);
        assertThat(gp.arms()).as("normal does not arm").isFalse();
        assertThat(gp.notifiesInScan(drain)).as("fqs never kicks in scan").isFalse();
        gp.afterScan(drain);
        assertThat(gp.arms()).as("forced arms").isTrue();
        assertThat(gp.notifiesInScan(drain)).as("forced still no in-scan kick").isFalse();

        /* A synchronize() joining a normal GP expedites it. */
        gp = new GpMachine(Params.defaults(Policy.FQS));
        gp.expedite();
        assertThat(gp.expedited()).as("idle GP is not expedited").isFalse();
        gp.begin(false);
        GpInput one = in(1, 0, 0, 0);
        assertThat(gp.afterScan(one)).as("normal sleeps").isEqualTo(GpAction.SLEEP);
        gp.expedite();
        assertThat(gp.afterScan(one)).as("joined: forces").isEqualTo(GpAction.FORCE);
        assertThat(gp.cause()).isEqualTo(FqsCause.EXPEDITED);
        gp.end();
        assertThat(gp.expedited()).as("end clears").isFalse();

        gp = new GpMachine(Params.defaults(Policy.LEGACY));
        gp.begin(false);
        assertThat(gp.arms()).as("legacy arms every pass").isTrue();
        assertThat(gp.notifiesInScan(drain)).as("legacy kicks while draining").isTrue();
        assertThat(gp.notifiesInScan(in(1, 0, 0, 0))).as("legacy no kick otherwise").isFalse();
        assertThat(gp.afterScan(in(1, 500, 0, 1))).as("legacy ignores force/threshold").isEqualTo(GpAction.WAIT);
        assertThat(gp.cause()).isEqualTo(FqsCause.NONE);
    }

    /** Pending count seen, expected action, batch on RUN_GP. */
    private record WorkerRow(int pending, WorkerAction act, int batch) {
    }

    private static void runWorkerRows(Policy policy, List<WorkerRow> rows) {
        WorkerMachine w = new WorkerMachine(Params.defaults(policy));
        for (int i = 0; i < rows.size(); i++) {
            WorkerRow row = rows.get(i);
            WorkerAction act = w.next(row.pending());
            assertThat(act).as("%s worker, row %d", policy, i).isEqualTo(row.act());
            if (act == WorkerAction.PREPOLL) {
                w.prepollDone();
            } else if (act == WorkerAction.RUN_GP) {
                assertThat(w.batch()).isEqualTo(row.batch());
                WorkerMachine busy = w;
                assertThatThrownBy(() -> busy.next(5)).isInstanceOf(IllegalStateException.class);
                w.gpDone();
                assertThat(w.state()).isEqualTo(WorkerState.INVOKE);
                w.batchDone();
                assertThat(w.state()).isEqualTo(WorkerState.IDLE);
            }
        }
    }

    @Test
    void workerRows() {
        runWorkerRows(Policy.FQS, List.of(
                new WorkerRow(0, WorkerAction.WAIT_WORK, 0),
                new WorkerRow(1, WorkerAction.RUN_GP, 1),
                new WorkerRow(7, WorkerAction.RUN_GP, 7),
                new WorkerRow(0, WorkerAction.WAIT_WORK, 0)));
        runWorkerRows(Policy.LEGACY, List.of(
                new WorkerRow(0, WorkerAction.WAIT_WORK, 0),
                new WorkerRow(1, WorkerAction.PREPOLL, 0),
                new WorkerRow(2, WorkerAction.PREPOLL, 0),
                new WorkerRow(2, WorkerAction.PREPOLL, 0),
                new WorkerRow(3, WorkerAction.PREPOLL, 0),
                new WorkerRow(3, WorkerAction.PREPOLL, 0),
                new WorkerRow(4, WorkerAction.RUN_GP, 4),
                new WorkerRow(2, WorkerAction.PREPOLL, 0),
                new WorkerRow(30, WorkerAction.RUN_GP, 30),
                new WorkerRow(31, WorkerAction.RUN_GP, 31)));
    }

    @Test
    void enumOrdinalsAreTheCValues() {
        assertThat(Policy.LEGACY.value()).isEqualTo(1);
        assertThat(GpPhase.LEGACY.value()).isEqualTo(3);
        assertThat(FqsCause.POLL_LIMIT.value()).isEqualTo(5);
        assertThat(FqsCause.values()).hasSize(FqsCause.COUNT);
        assertThat(GpAction.WAIT.value()).isEqualTo(3);
        assertThat(WorkerState.INVOKE.value()).isEqualTo(3);
        assertThat(WorkerAction.RUN_GP.value()).isEqualTo(2);
        assertThat(EventKind.POLL_ELAPSED.value()).isEqualTo(8);
        assertThat(EventKind.values()).hasSize(EventKind.COUNT);
        assertThat(SimWriter.EVENT_WAIT.value()).isEqualTo(3);
        assertThat(SimOwner.SYNC.value()).isEqualTo(2);
        assertThat(ReaderState.ACTIVE_OLD.value()).isEqualTo(2);
    }
}
