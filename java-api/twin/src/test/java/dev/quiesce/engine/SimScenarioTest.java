package dev.quiesce.engine;

import static dev.quiesce.engine.sim.EventKind.CALL;
import static dev.quiesce.engine.sim.EventKind.DRAIN;
import static dev.quiesce.engine.sim.EventKind.FORCE;
import static dev.quiesce.engine.sim.EventKind.LOCK;
import static dev.quiesce.engine.sim.EventKind.POLL_ELAPSED;
import static dev.quiesce.engine.sim.EventKind.REGISTER;
import static dev.quiesce.engine.sim.EventKind.SYNC;
import static dev.quiesce.engine.sim.EventKind.UNLOCK;
import static dev.quiesce.engine.sim.EventKind.UNREGISTER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.fuzz.NativeSim;
import dev.quiesce.engine.sim.Effects;
import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.sim.Sim;
import dev.quiesce.engine.sim.SimDriver;
import dev.quiesce.engine.sim.SimOwner;
import dev.quiesce.engine.sim.SimReader;
import dev.quiesce.engine.sim.SimState;
import dev.quiesce.engine.sim.SimWriter;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scenarios of native/tests/test_sim.c, run against both
 * implementations of the step API (TCK style): the Java twin and the C
 * engine through JNA. A scenario that passes on one and fails on the other
 * points straight at the divergence.
 */
class SimScenarioTest {

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("Java", (Function<Params, SimDriver>) Sim::new),
                Arguments.of("C", (Function<Params, SimDriver>) NativeSim::new));
    }

    private static SimDriver sim(Function<Params, SimDriver> f, Policy policy) {
        return f.apply(Params.defaults(policy));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fqsPollLimit(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            Effects e = sim.step(CALL, 0);
            assertThat(e.cbsRun()).isZero();
            SimState s = sim.state();
            assertThat(s.writer()).isEqualTo(SimWriter.POLL_SLEEP);
            assertThat(s.gp().state()).isEqualTo(GpPhase.NORMAL);
            assertThat(s.reader(0).waiting()).as("no waiting in normal state").isFalse();
            for (int i = 0; i < 4; i++) {
                e = sim.step(POLL_ELAPSED, 0);
                assertThat(sim.state().writer()).isEqualTo(SimWriter.POLL_SLEEP);
                assertThat(e.notifiedMask()).as("no kick while polling").isZero();
            }
            e = sim.step(POLL_ELAPSED, 0);
            s = sim.state();
            assertThat(s.gp().state()).isEqualTo(GpPhase.FORCED);
            assertThat(s.gp().cause()).isEqualTo(FqsCause.POLL_LIMIT);
            assertThat(e.notifiedMask()).isEqualTo(1);
            assertThat(s.reader(0).waiting()).isTrue();
            assertThat(s.writer()).isEqualTo(SimWriter.EVENT_WAIT);
            assertThat(s.stats().polls()).isEqualTo(5);
            e = sim.step(UNLOCK, 0);
            s = sim.state();
            assertThat(e.slowUnlock()).isTrue();
            assertThat(e.gpsEnded()).isEqualTo(1);
            assertThat(e.cbsRun()).isEqualTo(1);
            assertThat(s.lastCbRun()).isEqualTo(1);
            assertThat(s.stats().gpsFqs()).isEqualTo(1);
            assertThat(s.stats().fqsByCause(FqsCause.POLL_LIMIT)).isEqualTo(1);
            assertThat(s.writer()).isEqualTo(SimWriter.IDLE);
            assertThat(s.gp().state()).isEqualTo(GpPhase.IDLE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fqsNormalStateIsFree(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(REGISTER, 1);
            for (int i = 0; i < 100; i++) {
                sim.step(LOCK, i & 1);
                sim.step(CALL, 0);
                sim.step(UNLOCK, i & 1);
                if (sim.state().writer() == SimWriter.POLL_SLEEP) {
                    sim.step(POLL_ELAPSED, 0);
                }
            }
            Stats st = sim.state().stats();
            assertThat(st.callbacksRun()).isEqualTo(100);
            assertThat(st.slowUnlocks()).as("zero slow-path unlocks").isZero();
            assertThat(st.gpsFqs()).isZero();
            assertThat(st.gps()).isEqualTo(100);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void legacySlowPath(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.LEGACY)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            assertThat(sim.state().writer()).isEqualTo(SimWriter.PREPOLL);
            assertThat(sim.step(FORCE, 0).rc()).isZero();
            assertThat(sim.state().writer()).isEqualTo(SimWriter.PREPOLL);
            for (int i = 0; i < 5; i++) {
                sim.step(POLL_ELAPSED, 0);
            }
            SimState s = sim.state();
            assertThat(s.writer()).isEqualTo(SimWriter.EVENT_WAIT);
            assertThat(s.gp().state()).isEqualTo(GpPhase.LEGACY);
            assertThat(s.reader(0).waiting()).isTrue();
            assertThat(s.stats().notifierCalls()).isZero();
            Effects e = sim.step(UNLOCK, 0);
            assertThat(e.slowUnlock()).isTrue();
            assertThat(e.cbsRun()).isEqualTo(1);
            assertThat(sim.state().stats().gpsFqs()).isZero();
            assertThat(sim.state().stats().forces()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void legacyDrainKicks(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.LEGACY)) {
            sim.step(REGISTER, 3);
            sim.step(LOCK, 3);
            sim.step(DRAIN, 0);
            Effects e = null;
            for (int i = 0; i < 5; i++) {
                e = sim.step(POLL_ELAPSED, 0);
            }
            assertThat(e.notifiedMask()).isEqualTo(1 << 3);
            e = sim.step(UNLOCK, 3);
            assertThat(e.drainsDone()).isEqualTo(1);
            assertThat(sim.state().draining()).isZero();
            assertThat(sim.state().stats().drains()).isEqualTo(1);
        }
        /* A drain that starts while the GP already waits on the event wakes
         * it, and the rescan kicks the blocking reader. */
        try (SimDriver sim = sim(f, Policy.LEGACY)) {
            sim.step(REGISTER, 1);
            sim.step(LOCK, 1);
            sim.step(CALL, 0);
            Effects e = null;
            for (int i = 0; i < 5; i++) {
                e = sim.step(POLL_ELAPSED, 0);
            }
            assertThat(e.notifiedMask()).as("waiting, not kicked").isZero();
            assertThat(sim.state().writer()).isEqualTo(SimWriter.EVENT_WAIT);
            e = sim.step(DRAIN, 0);
            assertThat(e.notifiedMask()).as("late drain kicks").isEqualTo(1 << 1);
            assertThat(sim.state().writer()).as("still waiting").isEqualTo(SimWriter.EVENT_WAIT);
            e = sim.step(UNLOCK, 1);
            assertThat(e.cbsRun()).as("callback and marker (one batch each)").isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fqsTriggers(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            for (int i = 0; i < 30; i++) {
                sim.step(CALL, 0);
            }
            sim.step(POLL_ELAPSED, 0);
            assertThat(sim.state().stats().fqsByCause(FqsCause.THRESHOLD)).isEqualTo(1);
        }
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            Effects e = sim.step(DRAIN, 0);
            assertThat(sim.state().stats().fqsByCause(FqsCause.DRAIN)).isEqualTo(1);
            assertThat(e.notifiedMask()).isEqualTo(1);
        }
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            sim.step(FORCE, 0);
            assertThat(sim.state().stats().fqsByCause(FqsCause.FORCE)).isEqualTo(1);
            assertThat(sim.state().stats().polls()).as("an interrupted poll counts").isEqualTo(1);
        }
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(FORCE, 0);
            assertThat(sim.state().forced()).as("force kept for the next GP").isTrue();
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            assertThat(sim.state().stats().fqsByCause(FqsCause.FORCE)).isEqualTo(1);
            assertThat(sim.state().writer()).isEqualTo(SimWriter.EVENT_WAIT);
            sim.step(UNLOCK, 0);
            assertThat(sim.state().forced()).as("cleared at GP end").isFalse();
        }
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            Effects e = sim.step(SYNC, 0);
            assertThat(sim.state().stats().fqsByCause(FqsCause.EXPEDITED)).isEqualTo(1);
            assertThat(e.notifiedMask()).isEqualTo(1);
            assertThat(sim.state().owner()).isEqualTo(SimOwner.SYNC);
            sim.step(UNLOCK, 0);
            assertThat(sim.state().stats().syncs()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void syncWaitsForWorker(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.FQS)) {
            sim.step(REGISTER, 0);
            sim.step(LOCK, 0);
            sim.step(CALL, 0);
            assertThat(sim.step(SYNC, 0).rc()).isZero();
            assertThat(sim.step(SYNC, 0).rc()).isEqualTo(-Errno.EBUSY);
            assertThat(sim.state().syncPending()).isTrue();
            sim.step(UNLOCK, 0);
            assertThat(sim.state().stats().gps()).as("normal state: the unlock wakes nobody").isZero();
            sim.step(POLL_ELAPSED, 0);
            Stats st = sim.state().stats();
            assertThat(st.gps()).isEqualTo(2);
            assertThat(st.syncs()).isEqualTo(1);
            assertThat(st.callbacksRun()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void badEventsChangeNothing(String name, Function<Params, SimDriver> f) {
        try (SimDriver sim = sim(f, Policy.FQS)) {
            SimState before = sim.state();
            int[][] rows = {{LOCK.value(), 0, -Errno.EINVAL}, {UNLOCK.value(), 0, -Errno.EINVAL},
                {UNREGISTER.value(), 0, -Errno.EINVAL}, {REGISTER.value(), -1, -Errno.EINVAL},
                {REGISTER.value(), Sim.MAX_READERS, -Errno.EINVAL}, {POLL_ELAPSED.value(), 0, -Errno.EINVAL},
                {99, 0, -Errno.EINVAL}, {-1, 0, -Errno.EINVAL}};
            for (int[] row : rows) {
                assertThat(sim.step(row[0], row[1]).rc()).as("kind %d arg %d", row[0], row[1]).isEqualTo(row[2]);
            }
            assertThat(sim.state()).isEqualTo(before);
            sim.step(REGISTER, 2);
            assertThat(sim.step(REGISTER, 2).rc()).isEqualTo(-Errno.EINVAL);
            sim.step(LOCK, 2);
            assertThat(sim.step(UNREGISTER, 2).rc()).isEqualTo(-Errno.EBUSY);
            sim.step(UNLOCK, 2);
            assertThat(sim.step(UNLOCK, 2).rc()).isEqualTo(-Errno.EINVAL);
        }
    }

    /** The invariants of test_sim.c's random test, on random sequences. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void randomInvariants(String name, Function<Params, SimDriver> f) {
        SplittableRandom rnd = new SplittableRandom(0x9e3779b97f4a7c15L);
        for (int seq = 0; seq < 500; seq++) {
            Params p = new Params(rnd.nextBoolean() ? Policy.LEGACY : Policy.FQS, 1 + rnd.nextInt(4),
                    1 + rnd.nextInt(6), Params.DEFAULT_POLL_PERIOD_NS);
            try (SimDriver sim = f.apply(p)) {
                long hash = Sim.HASH_INIT;
                long ran = 0;
                for (int i = 0; i < 200; i++) {
                    SimState before = sim.state();
                    Effects e = sim.step(rnd.nextInt(EventKind.COUNT), rnd.nextInt(4));
                    SimState s = sim.state();
                    if (e.rc() != 0) {
                        assertThat(s).as("failed step changes nothing").isEqualTo(before);
                    }
                    assertThat(s.stats().callbacksQueued()).as("conservation")
                            .isEqualTo(s.stats().callbacksRun() + s.pending());
                    for (int k = 0; k < e.cbsRun(); k++) {
                        hash = Sim.hashStep(hash, ++ran);
                    }
                    assertThat(s.runHash()).as("FIFO order").isEqualTo(hash);
                    assertThat(s.lastCbRun()).isEqualTo(ran);
                    if (e.gpsEnded() > 0 && s.owner() == SimOwner.NONE) {
                        for (SimReader r : s.readers()) {
                            assertThat(ReaderState.classify(r.ctr(), s.gpCtr())).as("no old reader after a GP")
                                    .isNotEqualTo(ReaderState.ACTIVE_OLD);
                        }
                    }
                    if (s.gp().state() == GpPhase.NORMAL) {
                        for (SimReader r : s.readers()) {
                            assertThat(r.waiting() && r.inWaitList()).as("normal state never arms").isFalse();
                        }
                    }
                    if (s.stats().gpsFqs() > 0) {
                        assertThat(p.policy()).as("legacy never forces").isEqualTo(Policy.FQS);
                    }
                }
            }
        }
    }
}
