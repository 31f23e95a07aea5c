package dev.quiesce.engine;

import static dev.quiesce.engine.sim.EventKind.CALL;
import static dev.quiesce.engine.sim.EventKind.EXPEDITE;
import static dev.quiesce.engine.sim.EventKind.SYNC;
import static dev.quiesce.engine.sim.EventKind.GET_STATE;
import static dev.quiesce.engine.sim.EventKind.LOCK;
import static dev.quiesce.engine.sim.EventKind.POLL_ELAPSED;
import static dev.quiesce.engine.sim.EventKind.REGISTER;
import static dev.quiesce.engine.sim.EventKind.START_POLL;
import static dev.quiesce.engine.sim.EventKind.UNLOCK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.engine.fuzz.NativeSim;
import dev.quiesce.engine.sim.Effects;
import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.Sim;
import dev.quiesce.engine.sim.SimDriver;
import dev.quiesce.engine.sim.SimOwner;
import dev.quiesce.engine.sim.SimState;
import dev.quiesce.engine.sim.SimWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The polled-GP scenarios of native/tests/test_sim.c (test_poll_cookie,
 * test_poll_wrap, test_poll_legacy and the cookie-safety invariant of the
 * random run) and test_expedite, against both implementations of the step API.
 */
class SimScenarioPollTest {

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("Java", (Function<Params, SimDriver>) Sim::new),
                Arguments.of("C", (Function<Params, SimDriver>) NativeSim::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void pollCookie(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = f.apply(Params.defaults(Policy.FQS))) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            SimState before = sim.state();
            Effects e = sim.step(GET_STATE, 0);
            SimState s = sim.state();
            assertThat(e.cookie()).isEqualTo(1);
            assertThat(s).as("get_state changes nothing").isEqualTo(before);
            assertThat(GpSeq.done(s.gpSeqCompleted(), e.cookie())).isFalse();

            e = sim.step(START_POLL, 0);
            s = sim.state();
            assertThat(e.cookie()).isEqualTo(1);
            assertThat(s.gpSeqWanted()).isEqualTo(1);
            assertThat(s.owner()).as("worker runs a GP").isEqualTo(SimOwner.WORKER);
            assertThat(s.worker().batch()).as("for no callback").isZero();
            assertThat(s.gpSeqStarted()).isEqualTo(1);
            assertThat(s.gpSeqCompleted()).isZero();
            assertThat(s.writer()).isEqualTo(SimWriter.POLL_SLEEP);
            assertThat(sim.step(GET_STATE, 0).cookie()).as("cookie after the running GP").isEqualTo(2);

            sim.step(UNLOCK, 0);
            e = sim.step(POLL_ELAPSED, 0);
            s = sim.state();
            assertThat(e.gpsEnded()).isEqualTo(1);
            assertThat(e.cbsRun()).isZero();
            assertThat(s.gpSeqCompleted()).isEqualTo(1);
            assertThat(GpSeq.done(s.gpSeqCompleted(), 1)).isTrue();
            assertThat(GpSeq.done(s.gpSeqCompleted(), 2)).isFalse();
            assertThat(s.writer()).as("no GP for a mere get_state").isEqualTo(SimWriter.IDLE);
            assertThat(s.stats().gps()).isEqualTo(1);

            /* A START_POLL while the worker is busy is served after its GP. */
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            assertThat(sim.state().gpSeqStarted()).isEqualTo(2);
            assertThat(sim.step(START_POLL, 0).cookie()).isEqualTo(3);
            sim.step(UNLOCK, 0);
            e = sim.step(POLL_ELAPSED, 0);
            s = sim.state();
            assertThat(e.gpsEnded()).as("GP 2 and GP 3 ran").isEqualTo(2);
            assertThat(s.stats().callbacksRun()).isEqualTo(1);
            assertThat(GpSeq.done(s.gpSeqCompleted(), 3)).isTrue();
            assertThat(s.writer()).isEqualTo(SimWriter.IDLE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void pollWrap(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = f.apply(Params.defaults(Policy.FQS))) {
            assertThat(sim.setGpSeq(-2L)).isZero(); // UINT64_MAX - 1
            Effects e = sim.step(START_POLL, 0);
            assertThat(e.cookie()).as("cookie UINT64_MAX").isEqualTo(-1L);
            assertThat(e.gpsEnded()).as("no reader: the GP completes within the event").isEqualTo(1);
            assertThat(sim.state().gpSeqCompleted()).isEqualTo(-1L);

            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            long c0 = sim.step(START_POLL, 0).cookie();
            assertThat(c0).as("cookie wrapped to 0").isZero();
            SimState s = sim.state();
            assertThat(GpSeq.done(s.gpSeqCompleted(), c0)).as("wrapped cookie not done").isFalse();
            assertThat(GpSeq.done(s.gpSeqCompleted(), -1L)).as("old cookie still done").isTrue();
            assertThat(s.owner()).isEqualTo(SimOwner.WORKER);
            assertThat(sim.setGpSeq(5)).as("busy: no renumbering").isEqualTo(-Errno.EBUSY);
            assertThat(sim.state()).isEqualTo(s);
            sim.step(UNLOCK, 0);
            sim.step(POLL_ELAPSED, 0);
            s = sim.state();
            assertThat(s.gpSeqCompleted()).isZero();
            assertThat(GpSeq.done(s.gpSeqCompleted(), c0)).isTrue();
            assertThat(GpSeq.done(s.gpSeqCompleted(), -1L)).isTrue();
            assertThat(sim.step(GET_STATE, 0).cookie()).isEqualTo(1);
            assertThat(GpSeq.done(s.gpSeqCompleted(), 1)).isFalse();
            assertThat(GpSeq.done(c0 + Long.MAX_VALUE, c0)).as("edge of window").isTrue();
            assertThat(GpSeq.done(c0 + Long.MIN_VALUE, c0)).as("past the window").isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void pollLegacy(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = f.apply(Params.defaults(Policy.LEGACY))) {
            sim.step(CALL, 0);
            assertThat(sim.state().writer()).isEqualTo(SimWriter.PREPOLL);
            Effects e = sim.step(START_POLL, 0);
            assertThat(sim.state().writer()).as("pre-poll sleep not cut short").isEqualTo(SimWriter.PREPOLL);
            assertThat(e.gpsEnded()).isZero();
            e = sim.step(POLL_ELAPSED, 0);
            SimState s = sim.state();
            assertThat(e.gpsEnded()).as("GP after one pre-poll").isEqualTo(1);
            assertThat(e.cbsRun()).isEqualTo(1);
            assertThat(s.stats().polls()).isEqualTo(1);
            assertThat(GpSeq.done(s.gpSeqCompleted(), 1)).isTrue();
            assertThat(s.writer()).isEqualTo(SimWriter.IDLE);
        }
    }

    @Test
    void workerDecideTable() {
        WorkerMachine w = new WorkerMachine(Params.defaults(Policy.LEGACY));
        assertThat(w.decide(0, false)).isEqualTo(WorkerAction.WAIT_WORK);
        assertThat(w.decide(0, true)).isEqualTo(WorkerAction.RUN_GP);
        assertThat(w.batch()).isZero();
        assertThatThrownBy(() -> w.decide(0, true)).isInstanceOf(IllegalStateException.class);
        w.gpDone();
        w.batchDone();
        assertThat(w.decide(1, false)).isEqualTo(WorkerAction.PREPOLL);
        assertThat(w.decide(1, true)).as("wanted ends pre-polls").isEqualTo(WorkerAction.RUN_GP);
        assertThat(w.batch()).isEqualTo(1);
    }

    /**
     * Polled-GP safety on random runs (half across the wrap): once a cookie
     * reads done, no reader that was inside a section at its snapshot is
     * still inside that same section.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void cookieSafetyInvariant(String name, Function<Params, SimDriver> f) {
        SplittableRandom rnd = new SplittableRandom(15);
        int checkedDone = 0;
        for (int run = 0; run < 300; run++) {
            Policy policy = rnd.nextBoolean() ? Policy.FQS : Policy.LEGACY;
            Params p = new Params(policy, 1 + rnd.nextInt(4), 1 + rnd.nextInt(6), Params.DEFAULT_POLL_PERIOD_NS);
            try (SimDriver sim = f.apply(p)) {
                if (run % 2 == 1) {
                    assertThat(sim.setGpSeq(-1L - rnd.nextInt(40))).isZero();
                }
                long[] sectionNo = new long[Sim.MAX_READERS];
                long nextSection = 1;
                List<long[]> cookies = new ArrayList<>(); // [cookie, section of reader 0..7]
                for (int i = 0; i < 200; i++) {
                    SimState before = sim.state();
                    int kind = rnd.nextInt(EventKind.COUNT);
                    int arg = rnd.nextInt(4);
                    Effects e = sim.step(kind, arg);
                    SimState s = sim.state();
                    if (e.rc() == 0 && kind == EventKind.LOCK.value() && s.reader(arg).depth() == 1) {
                        sectionNo[arg] = nextSection++;
                    }
                    if (e.rc() == 0 && (kind == GET_STATE.value() || kind == START_POLL.value())) {
                        assertThat(e.cookie()).isEqualTo(before.gpSeqStarted() + 1);
                        long[] c = new long[1 + Sim.MAX_READERS];
                        c[0] = e.cookie();
                        for (int r = 0; r < Sim.MAX_READERS; r++) {
                            c[1 + r] = before.reader(r).depth() > 0 ? sectionNo[r] : 0;
                        }
                        cookies.add(c);
                    } else {
                        assertThat(e.cookie()).isZero();
                    }
                    for (long[] c : cookies) {
                        if (!GpSeq.done(s.gpSeqCompleted(), c[0])) {
                            continue;
                        }
                        checkedDone++;
                        for (int r = 0; r < Sim.MAX_READERS; r++) {
                            assertThat(c[1 + r] != 0 && s.reader(r).depth() > 0 && sectionNo[r] == c[1 + r])
                                    .as("cookie %s done while reader %d is inside", c[0], r).isFalse();
                        }
                    }
                    assertThat(s.gpSeqStarted() - s.gpSeqCompleted())
                            .as("completed lags by at most one").isEqualTo(s.owner() != SimOwner.NONE ? 1 : 0);
                    if (!GpSeq.done(s.gpSeqCompleted(), s.gpSeqWanted())) {
                        assertThat(s.writer()).as("a wanted GP is not left idle").isNotEqualTo(SimWriter.IDLE);
                    }
                }
            }
        }
        assertThat(checkedDone).as("cookies did complete").isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void expedite(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = f.apply(Params.defaults(Policy.FQS))) {
            assertThat(sim.step(EXPEDITE, 0).rc()).as("no GP to expedite").isEqualTo(-Errno.EINVAL);
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            sim.step(SYNC, 0);
            SimState s = sim.state();
            assertThat(s.syncPending()).isTrue();
            assertThat(s.writer()).isEqualTo(SimWriter.POLL_SLEEP);
            assertThat(s.gp().expedited()).as("not expedited by SYNC alone").isFalse();
            Effects e = sim.step(EXPEDITE, 0);
            s = sim.state();
            assertThat(e.rc()).isZero();
            assertThat(s.gp().state()).isEqualTo(GpPhase.FORCED);
            assertThat(s.gp().cause()).isEqualTo(FqsCause.EXPEDITED);
            assertThat(s.stats().fqsByCause()[FqsCause.EXPEDITED.value()]).isEqualTo(1);
            assertThat(s.stats().polls()).as("the sleep counted as a poll").isEqualTo(1);
            assertThat(e.notifiedMask()).isEqualTo(1);
            assertThat(s.writer()).isEqualTo(SimWriter.EVENT_WAIT);
            SimState before = sim.state();
            e = sim.step(EXPEDITE, 0);
            assertThat(e.rc()).isZero();
            assertThat(sim.state()).as("no change while event-waiting").isEqualTo(before);
            e = sim.step(UNLOCK, 0);
            s = sim.state();
            assertThat(e.gpsEnded()).as("worker GP and sync GP").isEqualTo(2);
            assertThat(s.stats().syncs()).isEqualTo(1);
            assertThat(e.cbsRun()).isEqualTo(1);
        }
        try (SimDriver sim = f.apply(Params.defaults(Policy.LEGACY))) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            for (int i = 0; i < Params.DEFAULT_POLL_LIMIT; i++) {
                sim.step(POLL_ELAPSED, 0);
            }
            assertThat(sim.state().owner()).isEqualTo(SimOwner.WORKER);
            assertThat(sim.state().gp().expedited()).isFalse();
            Effects e = sim.step(EXPEDITE, 0);
            SimState s = sim.state();
            assertThat(e.rc()).isZero();
            assertThat(s.gp().expedited()).isTrue();
            assertThat(s.gp().state()).isEqualTo(GpPhase.LEGACY);
            assertThat(s.stats().gpsFqs()).isZero();
            assertThat(e.notifiedMask()).isZero();
        }
    }
}
