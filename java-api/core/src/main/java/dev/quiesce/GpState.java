package dev.quiesce;

/**
 * A polled-grace-period cookie: an opaque snapshot of a domain's grace-period
 * sequence, as returned by {@link RcuDomain#gpState()} and
 * {@link RcuDomain#startPoll()} (Linux's {@code get_state_synchronize_rcu}
 * cookie; C {@code qs_gp_state}). Once {@link RcuDomain#pollState(GpState)}
 * returns {@code true} for a cookie, a full grace period has elapsed since
 * the snapshot: every read section open at that moment has ended.
 *
 * <p>Internally the cookie is the number of the first grace period not yet
 * claimed at the snapshot, an unsigned 64-bit counter that may wrap. The
 * domain compares it with its last completed grace period by a signed
 * difference modulo 2<sup>64</sup>, which is wrap-safe: a cookie never
 * reads done too early, and it keeps reading done for 2<sup>63</sup> - 1
 * further grace periods (after that it would read "not done" again, which
 * is safe: the caller waits one needless grace period). A cookie is only
 * meaningful for the domain that issued it.
 *
 * <p>Immutable and thread-safe; two cookies are equal when they name the
 * same grace period.
 */
public final class GpState {
    private final long value;

    private GpState(long value) {
        this.value = value;
    }

    /**
     * The cookie with this raw value (as a backend reports it).
     *
     * @param value the raw, unsigned cookie
     * @return the cookie
     */
    public static GpState of(long value) {
        return new GpState(value);
    }

    /**
     * {@return the raw cookie, an unsigned 64-bit value in a {@code long}}
     * Compare raw values only with a signed difference, as
     * {@link #isAtOrBefore(GpState)} does, never with {@code <}.
     */
    public long value() {
        return value;
    }

    /**
     * Whether the grace period this cookie names comes no later than
     * {@code other}'s, wrap-safe ({@code other.value() - value() >= 0} as a
     * signed difference).
     *
     * @param other another cookie of the same domain
     * @return {@code true} if this cookie's grace period is the same as, or earlier than, {@code other}'s
     */
    public boolean isAtOrBefore(GpState other) {
        return other.value - value >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GpState && ((GpState) o).value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    /** {@code GpState[gp=N]}, N the unsigned grace-period number the cookie waits for. */
    @Override
    public String toString() {
        return "GpState[gp=" + Long.toUnsignedString(value) + "]";
    }
}
