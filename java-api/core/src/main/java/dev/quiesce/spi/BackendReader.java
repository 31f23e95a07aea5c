package dev.quiesce.spi;

/**
 * One thread's registration as a reader: the C {@code qs_reader}.
 *
 * <p>The facade keeps the nesting count in Java: {@link #lock()} is called only
 * when the owning thread's depth goes from 0 to 1, {@link #unlock()} only when
 * it returns to 0. Both are the read-side fast path: no allocation, no lock,
 * no write to memory shared with other readers.
 */
public interface BackendReader {

    /** Enters a read section; owner thread only, outermost only ({@code qs_read_lock}). */
    void lock();

    /**
     * Leaves the read section; outermost only ({@code qs_read_unlock}), taking
     * the slow path (wake the writer) when the writer asked for it. Called by
     * the owner thread, or, once, by another thread after the owner died
     * inside a section (to release the grace periods it blocks).
     */
    void unlock();

    /**
     * Adds a force notifier ({@code qs_notifier_add}) that runs on the
     * writer's thread when a grace period this reader blocks enters the
     * force-quiescent state (LEGACY: while a drain is in progress). Called by
     * the owner thread. The facade passes notifiers that do not throw.
     *
     * @param notifier the notifier
     * @return a handle that removes it
     */
    NotifierHandle addNotifier(Runnable notifier);

    /**
     * Unregisters and frees the reader ({@code qs_reader_free}), removing its
     * notifiers. Called once, by the owner or by another thread while the
     * owner is outside any section (or dead).
     *
     * @throws IllegalStateException (EBUSY) if the reader is inside a section
     */
    void close();
}
