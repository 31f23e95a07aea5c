package dev.quiesce.engine;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Lets system properties override a differential property's tries and seed:
 * {@code -Dquiesce.diff.tries=1000000} for a long run,
 * {@code -Dquiesce.diff.seed=<seed jqwik printed>} to replay a failure.
 */
public final class DiffTries implements AroundPropertyHook {

    /** System property: number of tries. */
    public static final String TRIES = "quiesce.diff.tries";
    /** System property: the jqwik seed. */
    public static final String SEED = "quiesce.diff.seed";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String tries = System.getProperty(TRIES);
        if (tries != null && !tries.isBlank()) {
            context.attributes().setTries(Integer.parseInt(tries.trim()));
        }
        String seed = System.getProperty(SEED);
        if (seed != null && !seed.isBlank()) {
            context.attributes().setSeed(seed.trim());
        }
        return property.execute();
    }
}
