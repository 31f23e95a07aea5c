package dev.quiesce.engine;

/**
 * How wait_for_readers and the call worker behave ({@code qs_policy}).
 * Ordinals are the C values.
 */
public enum Policy {
    /**
     * {@code QS_POLICY_FQS}: the seed (QEMU 55d98e3ede). Poll in the normal
     * state with no reader slow path; escalate to force-quiescent-state on a
     * trigger.
     */
    FQS,
    /**
     * {@code QS_POLICY_LEGACY}: before the seed. The worker pre-polls for
     * callbacks to pile up, every wait sets {@code waiting} on every reader,
     * notifiers fire only while a drain is in progress, and {@code force()}
     * has no effect.
     */
    LEGACY;

    private static final Policy[] VALUES = values();

    /**
     * {@return the C value ({@code QS_POLICY_*})}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the policy with C value {@code value}}
     *
     * @param value the policy with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static Policy valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_policy " + value);
        }
        return VALUES[value];
    }
}
