package dev.quiesce;

/**
 * How a domain's grace periods wait for readers.
 *
 * @see RcuDomain.Builder#policy(Policy)
 */
public enum Policy {
    /**
     * Force-quiescent-state (QEMU commit 55d98e3ede, the default): a grace
     * period first polls with no cost to readers, then, on a trigger (enough
     * pending callbacks, the poll limit, a drain, {@link RcuDomain#force()} or
     * a direct {@link RcuDomain#synchronize()}), kicks busy readers through
     * their {@linkplain RcuDomain#onForce(Runnable) force notifiers} and waits
     * to be woken by the last one.
     */
    FQS(0),
    /**
     * The behaviour before the seed, kept to reproduce the stall: every wait
     * puts every reader on its slow path, the callback worker sleeps hoping
     * callbacks pile up, notifiers fire only during a drain, and
     * {@link RcuDomain#force()} has no effect.
     */
    LEGACY(1);

    private final int nativeValue;

    Policy(int nativeValue) {
        this.nativeValue = nativeValue;
    }

    /**
     * {@return the C {@code qs_policy} value}
     */
    public int nativeValue() {
        return nativeValue;
    }

    /**
     * {@return the policy for a C {@code qs_policy} value}
     *
     * @param value the policy for a C {@code qs_policy} value
     * @throws IllegalArgumentException for an unknown value
     */
    public static Policy ofNative(int value) {
        for (Policy p : values()) {
            if (p.nativeValue == value) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown qs_policy " + value);
    }
}
