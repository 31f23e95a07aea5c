package dev.quiesce.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.engine.fuzz.NativeSim;
import dev.quiesce.engine.sim.Sim;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The small pure functions agree with their C twins bit for bit. */
class NativeTwinTest {

    @Test
    void hashStepMatches() {
        SplittableRandom rnd = new SplittableRandom(3);
        long h = Sim.HASH_INIT;
        for (int i = 0; i < 10_000; i++) {
            long id = rnd.nextLong();
            assertThat(Sim.hashStep(h, id)).isEqualTo(NativeSim.hashStep(h, id));
            h = Sim.hashStep(h, id);
        }
    }

    @Test
    void paramsCheckMatches() {
        int[] policies = {-1, 0, 1, 2, 7};
        int[] u32 = {0, 1, 5, 30, -1, Integer.MIN_VALUE};
        long[] periods = {0, 1, 10_000_000L, -1L};
        int[] reserved = {0, 1};
        for (int pol : policies) {
            for (int limit : u32) {
                for (int thr : u32) {
                    for (long per : periods) {
                        for (int res : reserved) {
                            assertThat(Params.check(pol, limit, thr, res, per))
                                    .as("policy %d limit %d threshold %d period %d reserved %d", pol, limit, thr,
                                            per, res)
                                    .isEqualTo(NativeSim.paramsCheck(pol, limit, thr, res, per));
                        }
                    }
                }
            }
        }
    }

    @Test
    void initialStatesMatch() {
        for (Policy p : Policy.values()) {
            try (NativeSim n = new NativeSim(Params.defaults(p))) {
                assertThat(n.state()).isEqualTo(new Sim(Params.defaults(p)).state());
            }
        }
    }
}
