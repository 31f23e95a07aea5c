package dev.quiesce.spi;

import dev.quiesce.Policy;
import java.util.Objects;

/**
 * The parameters of a domain: the C {@code qs_domain_config}.
 *
 * @param policy          FQS or LEGACY
 * @param pollPeriodNanos normal-state poll period (LEGACY: pre-poll period), &gt; 0
 * @param pollLimit       normal-state polls before FQS (LEGACY: max pre-polls), &gt; 0
 * @param callbackThreshold pending callbacks that force FQS (LEGACY: pre-poll goal), &gt; 0
 * @param useMembarrier   let native readers rely on {@code membarrier(2)} when the
 *                        kernel offers it (readers then need only a compiler
 *                        barrier); {@code false} forces full fences
 */
public record DomainConfig(Policy policy, long pollPeriodNanos, int pollLimit, int callbackThreshold,
                           boolean useMembarrier) {

    /** QEMU's defaults: 10 ms poll period, 5 polls, 30 callbacks. */
    public static final long DEFAULT_POLL_PERIOD_NANOS = 10_000_000L;
    /** QEMU's default poll limit. */
    public static final int DEFAULT_POLL_LIMIT = 5;
    /** QEMU's default callback threshold. */
    public static final int DEFAULT_CALLBACK_THRESHOLD = 30;

    /**
     * Checks the parameters.
     *
     * @throws NullPointerException if {@code policy} is null
     * @throws IllegalArgumentException if a number is not positive
     */
    public DomainConfig {
        Objects.requireNonNull(policy, "policy");
        if (pollPeriodNanos <= 0) {
            throw new IllegalArgumentException("poll period must be positive: " + pollPeriodNanos + " ns");
        }
        if (pollLimit <= 0) {
            throw new IllegalArgumentException("poll limit must be positive: " + pollLimit);
        }
        if (callbackThreshold <= 0) {
            throw new IllegalArgumentException("callback threshold must be positive: " + callbackThreshold);
        }
    }

    /** The defaults for {@code policy}. */
    public static DomainConfig defaults(Policy policy) {
        return new DomainConfig(policy, DEFAULT_POLL_PERIOD_NANOS, DEFAULT_POLL_LIMIT,
                DEFAULT_CALLBACK_THRESHOLD, true);
    }
}
