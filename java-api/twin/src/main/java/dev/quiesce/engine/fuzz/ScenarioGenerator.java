package dev.quiesce.engine.fuzz;

import dev.quiesce.engine.sim.EventKind;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random scenarios for the fuzzer, deterministic in their seed: the same
 * seed gives the same scenario on every JVM, so a seed alone replays.
 *
 * <p>The mix (also used by the jqwik arbitraries in the tests):
 * <ul>
 *   <li>parameters: either policy; poll limit 1..6 and callback threshold
 *       1..8, now and then QEMU's 5/30 or an unsigned-huge value (never
 *       reached, exercises unsigned compares); a random non-zero poll period;
 *   <li>events: lock/unlock weighted highest, then poll-elapsed and call,
 *       then register, sync, start-poll, unregister, drain, force,
 *       expedite, get-state; slots mostly 0..3 so readers collide, sometimes 4..7,
 *       rarely invalid (-1, 8); rarely an invalid kind (-1, 12, 99);
 *   <li>GP numbering: a quarter of the scenarios start their GP numbers a
 *       few GPs below the unsigned 64-bit maximum, so cookies wrap.
 * </ul>
 */
public final class ScenarioGenerator {

    /** Relative weights of the event kinds, in {@link EventKind} order. */
    static final int[] KIND_WEIGHTS = {10, 4, 22, 22, 14, 4, 4, 5, 15, 3, 5, 4};
    /** Weight of an invalid kind. */
    static final int INVALID_KIND_WEIGHT = 1;

    private final int minEvents;
    private final int maxEvents;

    /**
     * Scenarios of {@code minEvents..maxEvents} events.
     *
     * @param minEvents the min events
     * @param maxEvents the max events
     */
    public ScenarioGenerator(int minEvents, int maxEvents) {
        if (minEvents < 0 || maxEvents < minEvents) {
            throw new IllegalArgumentException("bad length range " + minEvents + ".." + maxEvents);
        }
        this.minEvents = minEvents;
        this.maxEvents = maxEvents;
    }

    /**
     * {@return the scenario for {@code seed}}
     *
     * @param seed the scenario for {@code seed}
     */
    public Scenario generate(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Params params = params(rnd);
        int n = minEvents + rnd.nextInt(maxEvents - minEvents + 1);
        List<Event> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(event(rnd));
        }
        return new Scenario(seed, params, gpSeqBase(rnd), events);
    }

    /** 0 mostly; a quarter of the time a few GPs below 2^64, so the numbers wrap during the run. */
    static long gpSeqBase(SplittableRandom rnd) {
        return rnd.nextInt(4) == 0 ? -1L - rnd.nextInt(8) : 0;
    }

    static Params params(SplittableRandom rnd) {
        Policy policy = rnd.nextBoolean() ? Policy.FQS : Policy.LEGACY;
        int pollLimit = pick(rnd, 1 + rnd.nextInt(6), Params.DEFAULT_POLL_LIMIT);
        int threshold = pick(rnd, 1 + rnd.nextInt(8), Params.DEFAULT_CB_THRESHOLD);
        long period = 1 + rnd.nextLong(Params.DEFAULT_POLL_PERIOD_NS * 2);
        return new Params(policy, pollLimit, threshold, period);
    }

    /** Mostly {@code small}; sometimes the QEMU default; rarely unsigned-huge. */
    private static int pick(SplittableRandom rnd, int small, int qemuDefault) {
        int r = rnd.nextInt(20);
        if (r == 0) {
            return qemuDefault;
        }
        if (r == 1) {
            return -1 - rnd.nextInt(3); // 0xffffffff and neighbours: unsigned-huge
        }
        return small;
    }

    static Event event(SplittableRandom rnd) {
        int total = INVALID_KIND_WEIGHT;
        for (int w : KIND_WEIGHTS) {
            total += w;
        }
        int r = rnd.nextInt(total);
        int kind = -1;
        for (int k = 0; k < KIND_WEIGHTS.length; k++) {
            if (r < KIND_WEIGHTS[k]) {
                kind = k;
                break;
            }
            r -= KIND_WEIGHTS[k];
        }
        if (kind < 0) {
            int[] bad = {-1, EventKind.COUNT, 99};
            return new Event(bad[rnd.nextInt(bad.length)], slot(rnd));
        }
        EventKind k = EventKind.valueOf(kind);
        return new Event(kind, k.takesSlot() ? slot(rnd) : 0);
    }

    static int slot(SplittableRandom rnd) {
        int r = rnd.nextInt(100);
        if (r < 85) {
            return rnd.nextInt(4);
        }
        if (r < 97) {
            return 4 + rnd.nextInt(4);
        }
        return r < 99 ? -1 : 8;
    }
}
