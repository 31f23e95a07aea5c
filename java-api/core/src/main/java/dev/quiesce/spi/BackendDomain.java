package dev.quiesce.spi;

/**
 * One RCU domain of a backend: the C {@code qs_domain}. Thread-safe except
 * where a method says otherwise.
 *
 * <p>Errors that remain after the facade's checks are reported through
 * {@link dev.quiesce.ErrorCode#check(int, String)} with the C-style code.
 */
public interface BackendDomain {

    /**
     * Registers the calling thread as a reader ({@code qs_reader_new}). The
     * facade calls this at most once per thread per domain, and releases the
     * reader with {@link BackendReader#close()} before {@link #close()}.
     *
     * @return the calling thread's reader
     */
    BackendReader registerCurrentThread();

    /**
     * Waits for a grace period, expedited ({@code qs_synchronize}). The facade
     * never calls it from inside a read section of this domain.
     */
    void synchronize();

    /**
     * Queues {@code callback} to run once, after a grace period, in FIFO order
     * with the other callbacks, on the backend's worker thread
     * ({@code qs_call}). The facade passes callbacks that do not throw; if one
     * throws anyway the backend must catch it and carry on with the others.
     *
     * @param callback the callback
     * @throws IllegalStateException (ESHUTDOWN) if the domain is being closed
     * @throws dev.quiesce.RcuException (EAGAIN) if the worker cannot start
     */
    void call(Runnable callback);

    /**
     * Returns once every callback queued before the call has run
     * ({@code qs_drain}). Never called inside a read section or from the worker.
     */
    void drain();

    /** Asks the current or next grace period to enter FQS and wakes the worker ({@code qs_force}). */
    void force();

    /**
     * {@return the polled-GP cookie for now ({@code qs_get_state}): the raw
     * value of a {@link dev.quiesce.GpState}, which reads done once a full
     * grace period has elapsed after this call} Starts no grace period.
     */
    long gpState();

    /**
     * Like {@link #gpState()}, and makes sure a grace period that completes
     * the cookie will run, waking the worker if it is idle (starting it if
     * needed), even with no callback queued ({@code qs_start_poll}). Never
     * blocks for a grace period.
     *
     * @return the raw cookie
     * @throws IllegalStateException (ESHUTDOWN) if the domain is being closed
     * @throws dev.quiesce.RcuException (EAGAIN) if the worker cannot start
     */
    long startPoll();

    /**
     * Whether a full grace period has elapsed since {@code cookie} was taken
     * ({@code qs_poll_state}; wrap-safe, see {@link dev.quiesce.GpState}).
     * When it returns {@code true}, every read section open at the snapshot
     * has ended and its actions happen-before this return.
     *
     * @param cookie a raw cookie of this domain
     * @return {@code true} if the cookie's grace period has completed
     */
    boolean pollState(long cookie);

    /**
     * Returns at once if {@link #pollState(long) pollState(cookie)}, else
     * waits for a grace period as {@link #synchronize()} does
     * ({@code qs_cond_synchronize}). The facade never calls it from inside a
     * read section of this domain.
     *
     * @param cookie a raw cookie of this domain
     */
    void condSynchronize(long cookie);

    /**
     * Installs the receiver of stall reports (null: none). Called by the
     * facade once, right after {@link RcuBackend#open(DomainConfig)} and
     * before any other use, when {@link DomainConfig#stallTimeoutMillis()} is
     * not 0. The backend calls {@code sink} on the thread that detected the
     * stall (the grace-period writer), once when a grace period has waited
     * the stall timeout and once more at three times it; {@code sink} does
     * not block.
     *
     * @param sink the receiver, or null
     */
    void setStallSink(java.util.function.Consumer<StallInfo> sink);

    /**
     * {@return a snapshot of the counters ({@code qs_stats_get})}
     */
    RawStats stats();

    /**
     * Runs every queued callback, stops the worker and frees the domain
     * ({@code qs_domain_free}). Called once, after every reader was released.
     *
     * @throws IllegalStateException (EBUSY) if readers are still registered or
     *         when called from a callback on this domain's worker; the domain
     *         is unchanged then
     */
    void close();
}
