package dev.quiesce;

/**
 * A failure reported by an RCU backend that is neither a misuse of the API
 * (those throw {@link IllegalStateException}, {@link IllegalArgumentException}
 * or {@link NullPointerException}) nor a programming error: the native
 * library could not allocate memory, start its worker thread, and so on.
 */
public class RcuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, as the backend reported it. */
    private final ErrorCode code;

    /**
     * An exception with a message and the C error code it came from (may be {@code null}).
     *
     * @param message the message
     * @param code the code
     */
    public RcuException(String message, ErrorCode code) {
        super(message);
        this.code = code;
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message the message
     * @param cause the cause
     */
    public RcuException(String message, Throwable cause) {
        super(message, cause);
        this.code = null;
    }

    /**
     * {@return the C error code behind this exception, or {@code null} if there was none}
     */
    public ErrorCode code() {
        return code;
    }
}
