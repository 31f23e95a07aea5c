package dev.quiesce;

/**
 * Something registered with a domain that can be undone: a thread's reader
 * registration ({@link RcuDomain#registerThread()}, a {@link RcuDomain.Reader},
 * which is also the fast path into read sections) or a force notifier
 * ({@link RcuDomain#onForce(Runnable)}). {@link #close()} undoes it; later
 * calls do nothing.
 */
public interface Registration extends AutoCloseable {

    /**
     * Undoes the registration; idempotent.
     *
     * @throws IllegalStateException if it cannot be undone now (for a reader:
     *         called inside a read section, or from another thread)
     */
    @Override
    void close();
}
