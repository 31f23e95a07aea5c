package dev.quiesce;

/**
 * The requested backend cannot run in this JVM: for example {@link Backend#FFM}
 * on a JDK older than 23, {@link Backend#JNA} without JNA on the class path,
 * or a native library that does not load. The message says why and what to
 * do instead.
 */
public class BackendUnavailableException extends RcuException {
    private static final long serialVersionUID = 1L;

    /** The backend that cannot run here. */
    private final Backend backend;

    /**
     * The backend that is unavailable and why.
     *
     * @param backend the backend
     * @param reason the reason
     * @param cause the cause
     */
    public BackendUnavailableException(Backend backend, String reason, Throwable cause) {
        super("quiesce backend '" + backend.id() + "' is unavailable: " + reason, cause);
        this.backend = backend;
    }

    /**
     * {@return the backend that could not be used}
     */
    public Backend backend() {
        return backend;
    }
}
