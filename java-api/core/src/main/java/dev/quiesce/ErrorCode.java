package dev.quiesce;

/**
 * The negative errno values libquiesce's setup calls return, and the one
 * place where they become Java exceptions ({@link #check(int, String)}).
 *
 * <p>Values are Linux's. The pure-Java backend reports the same codes so that
 * every backend fails the same way.
 */
public enum ErrorCode {
    /** {@code ENOENT}: no such notifier. */
    ENOENT(2),
    /** {@code EAGAIN}: the worker thread could not be started; nothing was queued. */
    EAGAIN(11),
    /** {@code ENOMEM}: out of native memory. */
    ENOMEM(12),
    /** {@code EBUSY}: readers still registered, or called from the domain's own worker. */
    EBUSY(16),
    /** {@code EEXIST}: the notifier was already added. */
    EEXIST(17),
    /** {@code EINVAL}: an invalid argument or configuration. */
    EINVAL(22),
    /** {@code EDEADLK}: would wait for itself (inside a read section, or on the worker). */
    EDEADLK(35),
    /** {@code ESHUTDOWN}: the domain is being freed. */
    ESHUTDOWN(108);

    private final int errno;

    ErrorCode(int errno) {
        this.errno = errno;
    }

    /**
     * {@return the positive errno value}
     */
    public int errno() {
        return errno;
    }

    /**
     * The code for a C return value, which may be negative ({@code -EBUSY}) or
     * positive ({@code EBUSY}).
     *
     * @param rc the C return value
     * @return the code, or {@code null} for 0 or an errno this enum does not know
     */
    public static ErrorCode valueOf(int rc) {
        int e = Math.abs(rc);
        for (ErrorCode c : values()) {
            if (c.errno == e) {
                return c;
            }
        }
        return null;
    }

    /**
     * Throws the exception a non-zero C return value stands for; returns
     * {@code rc} when it is zero or positive.
     *
     * <ul>
     *   <li>{@code EINVAL} &rarr; {@link IllegalArgumentException};
     *   <li>{@code EBUSY}, {@code EDEADLK}, {@code ESHUTDOWN}, {@code EEXIST},
     *       {@code ENOENT} &rarr; {@link IllegalStateException};
     *   <li>{@code ENOMEM}, {@code EAGAIN} and unknown codes &rarr; {@link RcuException}.
     * </ul>
     *
     * @param rc a C return value
     * @param operation what was attempted, for the message (e.g. {@code "qs_domain_new"})
     * @return {@code rc} if it is not negative
     */
    public static int check(int rc, String operation) {
        if (rc >= 0) {
            return rc;
        }
        throw exception(rc, operation);
    }

    /**
     * {@return the exception {@link #check(int, String)} would throw for the negative {@code rc}}
     *
     * @param rc the C return value
     * @param operation the operation
     */
    public static RuntimeException exception(int rc, String operation) {
        ErrorCode code = valueOf(rc);
        if (code == null) {
            return new RcuException(operation + " failed with error " + rc, (ErrorCode) null);
        }
        String message = operation + " failed: " + code.name() + " (" + code.describe() + ")";
        switch (code) {
            case EINVAL:
                return new IllegalArgumentException(message);
            case EBUSY:
            case EDEADLK:
            case ESHUTDOWN:
            case EEXIST:
            case ENOENT:
                return new IllegalStateException(message);
            default:
                return new RcuException(message, code);
        }
    }

    private String describe() {
        switch (this) {
            case ENOENT:
                return "not found";
            case EAGAIN:
                return "could not start the worker thread";
            case ENOMEM:
                return "out of memory";
            case EBUSY:
                return "busy: readers registered or called from the domain's worker";
            case EEXIST:
                return "already added";
            case EINVAL:
                return "invalid argument";
            case EDEADLK:
                return "would deadlock: inside a read section or on the worker thread";
            case ESHUTDOWN:
                return "the domain is shutting down";
            default:
                return name();
        }
    }
}
