package dev.quiesce.engine;

import java.util.Objects;

/**
 * Tunables shared by the engine and the runtime ({@code qs_params}).
 *
 * <p>{@code pollLimit} and {@code cbThreshold} are C {@code uint32_t} and
 * {@code pollPeriodNs} a {@code uint64_t}: the engine compares them
 * unsigned, as C does, so any non-zero bit pattern is valid. The C struct's
 * {@code reserved} word must be 0 and has no field here.
 *
 * @param policy       how wait_for_readers and the worker behave
 * @param pollLimit    normal-state polls before FQS (LEGACY: max pre-polls); unsigned, non-zero
 * @param cbThreshold  pending callbacks that force FQS (LEGACY: pre-poll goal); unsigned, non-zero
 * @param pollPeriodNs the runtime's poll period; the engine counts polls, not time; unsigned, non-zero
 */
public record Params(Policy policy, int pollLimit, int cbThreshold, long pollPeriodNs) {

    /** {@code QS_DEFAULT_POLL_PERIOD_NS}: 10 ms. */
    public static final long DEFAULT_POLL_PERIOD_NS = 10_000_000L;
    /** {@code QS_DEFAULT_POLL_LIMIT}. */
    public static final int DEFAULT_POLL_LIMIT = 5;
    /** {@code QS_DEFAULT_CB_THRESHOLD}. */
    public static final int DEFAULT_CB_THRESHOLD = 30;

    /**
     * Validates like {@code qs_params_check}.
     *
     * @throws IllegalArgumentException if {@link #check} would return {@code -EINVAL}
     */
    public Params {
        Objects.requireNonNull(policy, "policy");
        if (check(policy.value(), pollLimit, cbThreshold, 0, pollPeriodNs) != 0) {
            throw new IllegalArgumentException("invalid qs_params: pollLimit=" + Integer.toUnsignedString(pollLimit)
                    + " cbThreshold=" + Integer.toUnsignedString(cbThreshold)
                    + " pollPeriodNs=" + Long.toUnsignedString(pollPeriodNs) + " (all must be non-zero)");
        }
    }

    /**
     * {@return the defaults for {@code policy} (QEMU's 10 ms / 5 polls / 30 callbacks)} Mirrors {@code qs_params_init}.
     *
     * @param policy the defaults for {@code policy} (QEMU's 10 ms / 5 polls / 30 callbacks)
     */
    public static Params defaults(Policy policy) {
        return new Params(policy, DEFAULT_POLL_LIMIT, DEFAULT_CB_THRESHOLD, DEFAULT_POLL_PERIOD_NS);
    }

    /**
     * Mirrors {@code qs_params_check} on raw C field values: 0 if usable,
     * else {@code -EINVAL} (unknown policy, zero poll limit, zero threshold,
     * zero poll period, reserved != 0).
     *
     * @param policy the grace-period policy
     * @param pollLimit the poll limit
     * @param cbThreshold the callback threshold
     * @param reserved the reserved C field (must be 0)
     * @param pollPeriodNs the poll period in nanoseconds
     * @return 0, or a negative errno
     */
    public static int check(int policy, int pollLimit, int cbThreshold, int reserved, long pollPeriodNs) {
        if (policy != Policy.FQS.value() && policy != Policy.LEGACY.value()) {
            return -Errno.EINVAL;
        }
        if (pollLimit == 0 || cbThreshold == 0 || pollPeriodNs == 0 || reserved != 0) {
            return -Errno.EINVAL;
        }
        return 0;
    }

    /**
     * {@return a copy with another policy}
     *
     * @param p a copy with another policy
     */
    public Params withPolicy(Policy p) {
        return new Params(p, pollLimit, cbThreshold, pollPeriodNs);
    }

    /**
     * {@return a copy with another poll limit}
     *
     * @param limit a copy with another poll limit
     */
    public Params withPollLimit(int limit) {
        return new Params(policy, limit, cbThreshold, pollPeriodNs);
    }

    /**
     * {@return a copy with another callback threshold}
     *
     * @param threshold a copy with another callback threshold
     */
    public Params withCbThreshold(int threshold) {
        return new Params(policy, pollLimit, threshold, pollPeriodNs);
    }

    /**
     * {@return a copy with another poll period}
     *
     * @param ns a copy with another poll period
     */
    public Params withPollPeriodNs(long ns) {
        return new Params(policy, pollLimit, cbThreshold, ns);
    }

    @Override
    public String toString() {
        return "Params[policy=" + policy + ", pollLimit=" + Integer.toUnsignedString(pollLimit)
                + ", cbThreshold=" + Integer.toUnsignedString(cbThreshold)
                + ", pollPeriodNs=" + Long.toUnsignedString(pollPeriodNs) + "]";
    }
}
