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
 * @param workerSliceMicros the scheduler slice the native call worker asks for
 *                        ({@code sched_setattr}, Linux 6.12+ custom slice): 0
 *                        leaves the kernel default, else
 *                        {@value #MIN_WORKER_SLICE_MICROS}..{@value #MAX_WORKER_SLICE_MICROS}
 *                        (the pure-Java backend ignores it)
 * @param stallTimeoutMillis how long a grace period may wait before it is reported as a
 *                        stall (C {@code stall_timeout_ms}); 0 turns stall warnings off;
 *                        0..{@value #MAX_STALL_TIMEOUT_MILLIS}
 */
public record DomainConfig(Policy policy, long pollPeriodNanos, int pollLimit, int callbackThreshold,
                           boolean useMembarrier, int workerSliceMicros, long stallTimeoutMillis) {

    /** QEMU's defaults: 10 ms poll period, 5 polls, 30 callbacks. */
    public static final long DEFAULT_POLL_PERIOD_NANOS = 10_000_000L;
    /** QEMU's default poll limit. */
    public static final int DEFAULT_POLL_LIMIT = 5;
    /** QEMU's default callback threshold. */
    public static final int DEFAULT_CALLBACK_THRESHOLD = 30;
    /** The C default worker slice (QS_DEFAULT_WORKER_SLICE_US), in microseconds. */
    public static final int DEFAULT_WORKER_SLICE_MICROS = 100;
    /** The shortest worker slice the kernel accepts, in microseconds. */
    public static final int MIN_WORKER_SLICE_MICROS = 100;
    /** The longest worker slice the kernel accepts, in microseconds. */
    public static final int MAX_WORKER_SLICE_MICROS = 100_000;
    /** The default stall timeout (C {@code QS_DEFAULT_STALL_TIMEOUT_MS}): 1 s. */
    public static final long DEFAULT_STALL_TIMEOUT_MILLIS = 1000;
    /** The longest stall timeout, in milliseconds (C {@code QS_STALL_TIMEOUT_MAX_MS}): one hour. */
    public static final long MAX_STALL_TIMEOUT_MILLIS = 3_600_000;

    /**
     * As the canonical constructor, with the default stall timeout.
     *
     * @param policy the grace-period policy
     * @param pollPeriodNanos the poll period nanos
     * @param pollLimit the poll limit
     * @param callbackThreshold the callback threshold
     * @param useMembarrier the use membarrier
     * @param workerSliceMicros the worker slice in microseconds
     */
    public DomainConfig(Policy policy, long pollPeriodNanos, int pollLimit, int callbackThreshold,
                        boolean useMembarrier, int workerSliceMicros) {
        this(policy, pollPeriodNanos, pollLimit, callbackThreshold, useMembarrier, workerSliceMicros,
                DEFAULT_STALL_TIMEOUT_MILLIS);
    }

    /**
     * As the canonical constructor, with the default worker slice.
     *
     * @param policy the grace-period policy
     * @param pollPeriodNanos the poll period nanos
     * @param pollLimit the poll limit
     * @param callbackThreshold the callback threshold
     * @param useMembarrier the use membarrier
     */
    public DomainConfig(Policy policy, long pollPeriodNanos, int pollLimit, int callbackThreshold,
                        boolean useMembarrier) {
        this(policy, pollPeriodNanos, pollLimit, callbackThreshold, useMembarrier, DEFAULT_WORKER_SLICE_MICROS);
    }

    /**
     * Checks the parameters.
     *
     * @throws NullPointerException if {@code policy} is null
     * @throws IllegalArgumentException if a number is not positive, or the worker slice or the stall
     *         timeout is out of range
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
        checkWorkerSlice(workerSliceMicros);
        if (stallTimeoutMillis < 0 || stallTimeoutMillis > MAX_STALL_TIMEOUT_MILLIS) {
            throw new IllegalArgumentException("stall timeout must be 0 (off) or 1.." + MAX_STALL_TIMEOUT_MILLIS
                    + " ms: " + stallTimeoutMillis);
        }
    }

    /**
     * Checks a worker slice.
     *
     * @param micros the micros
     * @return {@code micros}
     * @throws IllegalArgumentException unless 0 or
     *         {@value #MIN_WORKER_SLICE_MICROS}..{@value #MAX_WORKER_SLICE_MICROS}
     */
    public static int checkWorkerSlice(int micros) {
        if (micros != 0 && (micros < MIN_WORKER_SLICE_MICROS || micros > MAX_WORKER_SLICE_MICROS)) {
            throw new IllegalArgumentException("worker slice must be 0 (kernel default) or " + MIN_WORKER_SLICE_MICROS
                    + ".." + MAX_WORKER_SLICE_MICROS + " us: " + micros);
        }
        return micros;
    }

    /**
     * {@return this configuration with another policy}
     *
     * @param p this configuration with another policy
     */
    public DomainConfig withPolicy(Policy p) {
        return new DomainConfig(p, pollPeriodNanos, pollLimit, callbackThreshold, useMembarrier, workerSliceMicros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with another poll period ({@link IllegalArgumentException} unless positive)}
     *
     * @param ns this configuration with another poll period ({@link IllegalArgumentException} unless positive)
     */
    public DomainConfig withPollPeriodNanos(long ns) {
        return new DomainConfig(policy, ns, pollLimit, callbackThreshold, useMembarrier, workerSliceMicros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with another poll limit ({@link IllegalArgumentException} unless positive)}
     *
     * @param polls this configuration with another poll limit ({@link IllegalArgumentException} unless positive)
     */
    public DomainConfig withPollLimit(int polls) {
        return new DomainConfig(policy, pollPeriodNanos, polls, callbackThreshold, useMembarrier, workerSliceMicros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with another callback threshold ({@link IllegalArgumentException} unless positive)}
     *
     * @param callbacks this configuration with another callback threshold ({@link IllegalArgumentException} unless positive)
     */
    public DomainConfig withCallbackThreshold(int callbacks) {
        return new DomainConfig(policy, pollPeriodNanos, pollLimit, callbacks, useMembarrier, workerSliceMicros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with membarrier allowed or not}
     *
     * @param use this configuration with membarrier allowed or not
     */
    public DomainConfig withUseMembarrier(boolean use) {
        return new DomainConfig(policy, pollPeriodNanos, pollLimit, callbackThreshold, use, workerSliceMicros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with another worker slice (see {@link #checkWorkerSlice(int)})}
     *
     * @param micros this configuration with another worker slice (see {@link #checkWorkerSlice(int)})
     */
    public DomainConfig withWorkerSliceMicros(int micros) {
        return new DomainConfig(policy, pollPeriodNanos, pollLimit, callbackThreshold, useMembarrier, micros, stallTimeoutMillis);
    }

    /**
     * {@return this configuration with another stall timeout (0: off; {@link IllegalArgumentException}
     * if negative or above {@value #MAX_STALL_TIMEOUT_MILLIS})}
     *
     * @param millis the stall timeout in milliseconds, 0 for none
     */
    public DomainConfig withStallTimeoutMillis(long millis) {
        return new DomainConfig(policy, pollPeriodNanos, pollLimit, callbackThreshold, useMembarrier,
                workerSliceMicros, millis);
    }

    /**
     * {@return the defaults for {@code policy}}
     *
     * @param policy the defaults for {@code policy}
     */
    public static DomainConfig defaults(Policy policy) {
        return new DomainConfig(policy, DEFAULT_POLL_PERIOD_NANOS, DEFAULT_POLL_LIMIT,
                DEFAULT_CALLBACK_THRESHOLD, true);
    }
}
