package dev.quiesce.purejava;

/**
 * A call the pure-Java runtime refused because of the domain's or the
 * reader's state, with the errno the C library returns in the same case
 * ({@code EBUSY}, {@code EDEADLK}, {@code EEXIST}, {@code ESHUTDOWN}), so
 * adapters can report every backend's failures alike.
 */
public final class PureStateException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** {@code EEXIST}: the thread already has a reader in this domain. */
    public static final int EEXIST = 17;
    /** {@code EBUSY}: readers still registered, reader inside a section, or close() from the worker. */
    public static final int EBUSY = 16;
    /** {@code EDEADLK}: synchronize()/drain() would wait for the caller itself. */
    public static final int EDEADLK = 35;
    /** {@code ESHUTDOWN}: the domain is closed. */
    public static final int ESHUTDOWN = 108;

    /** The negative errno the native runtime returns in the same case. */
    private final int errno;

    PureStateException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /**
     * {@return the positive errno the C library returns (negated) in the same case}
     */
    public int errno() {
        return errno;
    }
}
