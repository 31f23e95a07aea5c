package dev.quiesce.engine.fuzz;

import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Shrinks a failing scenario for the command-line fuzzer (the jqwik tests
 * shrink with jqwik's own machinery): drop the tail after the failing step,
 * then delete ever smaller chunks of events (delta debugging), then try
 * simpler parameters, while the scenario still fails.
 */
public final class Shrinker {

    private Shrinker() {
    }

    /**
     * {@return the smallest scenario found that still makes {@code fails} true}
     *
     * @param s      a failing scenario
     * @param fails  re-runs a candidate
     * @param budget maximum number of candidates tried
     */
    public static Scenario shrink(Scenario s, Predicate<Scenario> fails, int budget) {
        Scenario best = s;
        int tries = 0;
        boolean progress = true;
        while (progress && tries < budget) {
            progress = false;
            for (int chunk = Math.max(1, best.events().size() / 2); chunk >= 1 && tries < budget; chunk /= 2) {
                for (int start = 0; start + chunk <= best.events().size() && tries < budget; ) {
                    List<Event> cand = new ArrayList<>(best.events());
                    cand.subList(start, start + chunk).clear();
                    tries++;
                    Scenario c = best.withEvents(cand);
                    if (fails.test(c)) {
                        best = c;
                        progress = true;
                    } else {
                        start += chunk;
                    }
                }
            }
            for (Params p : simpler(best.params())) {
                if (tries >= budget) {
                    break;
                }
                tries++;
                Scenario c = best.withParams(p);
                if (fails.test(c)) {
                    best = c;
                    progress = true;
                    break;
                }
            }
        }
        return best;
    }

    private static List<Params> simpler(Params p) {
        List<Params> out = new ArrayList<>();
        if (p.policy() != Policy.FQS) {
            out.add(p.withPolicy(Policy.FQS));
        }
        if (Integer.compareUnsigned(p.pollLimit(), 1) > 0) {
            out.add(p.withPollLimit(1));
            if (Integer.compareUnsigned(p.pollLimit(), 8) > 0) {
                out.add(p.withPollLimit(Params.DEFAULT_POLL_LIMIT));
            }
        }
        if (Integer.compareUnsigned(p.cbThreshold(), 1) > 0) {
            out.add(p.withCbThreshold(1));
            if (Integer.compareUnsigned(p.cbThreshold(), 30) > 0) {
                out.add(p.withCbThreshold(Params.DEFAULT_CB_THRESHOLD));
            }
        }
        if (p.pollPeriodNs() != Params.DEFAULT_POLL_PERIOD_NS) {
            out.add(p.withPollPeriodNs(Params.DEFAULT_POLL_PERIOD_NS));
        }
        return out;
    }
}
