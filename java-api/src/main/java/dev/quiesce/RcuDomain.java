package dev.quiesce;

import dev.quiesce.internal.Backends;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.spi.NotifierHandle;
import dev.quiesce.spi.RcuBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-copy-update (RCU) domain: readers that never block, writers that
 * wait for a <em>grace period</em> (every reader that might still see an old
 * object has left its read section) before reclaiming it. Implements QEMU's
 * userspace RCU with the force-quiescent-state design (libquiesce), on one of
 * three {@linkplain Backend backends}.
 *
 * <h2>Readers</h2>
 * A thread reads inside a section: {@code try (ReadSection s = domain.read()) {...}}.
 * Sections nest. Entering and leaving a section never blocks, allocates
 * nothing after escape analysis and writes no memory shared with other
 * readers.
 *
 * <p><b>Registration.</b> A thread is registered as a reader of this domain
 * automatically on its first {@link #read()} (or {@link #readLock()},
 * {@link #onForce(Runnable)}); {@link #registerThread()} does it explicitly
 * (for example to pay the registration before a latency-sensitive loop) and
 * returns a handle that unregisters. Registrations of threads that have died
 * are reaped on the next registration, {@link #synchronize()}, {@link #drain()}
 * or {@link #close()}. Register platform threads only: a virtual thread is
 * not tied to one OS thread.
 *
 * <h2>Writers</h2>
 * Publish a new version (see {@link RcuReference}), then either wait with
 * {@link #synchronize()} and reclaim the old one, or hand the reclamation to
 * {@link #callRcu(Runnable)}, which runs it on the domain's worker thread
 * after a grace period. {@link #drain()} waits for every queued callback;
 * {@link #force()} asks the current grace period to kick busy readers at once
 * through their {@linkplain #onForce(Runnable) force notifiers}.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of a thread before it calls {@link #callRcu(Runnable)}
 * <i>happen-before</i> the callback runs. Every read section that began before
 * a {@link #synchronize()} call (or before a {@code callRcu}) has ended when
 * it returns (when the callback runs), and the actions inside that section
 * <i>happen-before</i> the return (the callback). A section that begins after
 * a value was {@linkplain RcuReference#publish published} sees that value or a
 * later one. Actions before a {@link #drain()} call's callbacks ran
 * <i>happen-before</i> {@code drain()} returns.
 *
 * <h2>Misuse</h2>
 * Every misuse the facade can see throws and leaves the domain usable:
 * closing sections out of order or twice, {@link #readUnlock()} without
 * {@link #readLock()}, {@code synchronize()}, {@code trySynchronize} or
 * {@code drain()} inside a read section of this domain (they would wait for
 * the caller itself: {@link IllegalStateException}), {@code drain()} or
 * {@code close()} from a callback, null arguments, and any use after
 * {@link #close()}. A callback or notifier that throws is caught, counted in
 * {@link Stats#callbackExceptions()} / {@link Stats#notifierExceptions()} and
 * passed to the {@linkplain #setCallbackExceptionHandler handler}; the other
 * callbacks still run.
 *
 * <h2>Native access</h2>
 * The FFM backend calls restricted methods: run with
 * {@code --enable-native-access=dev.quiesce} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path). It needs JDK 23 or
 * later; older JDKs use the JNA backend.
 *
 * <p><b>Sample usage.</b>
 * <pre>{@code
 * try (RcuDomain rcu = RcuDomain.builder().policy(Policy.FQS).build()) {
 *     RcuReference<Config> config = new RcuReference<>(rcu, Config.initial());
 *     // readers, any number of threads:
 *     try (ReadSection s = rcu.read()) {
 *         use(config.get());
 *     }
 *     // a writer:
 *     config.replace(Config.next(), old -> old.release()); // release after a grace period
 *     rcu.drain();                                         // wait for the release
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RcuDomain implements AutoCloseable {

    /*
     * Implementation notes.
     *
     * The read side is ThreadLocal -> ThreadReader -> BackendReader. The
     * facade keeps the nesting depth in ThreadReader (owner-only field) so
     * that every misuse check costs no call into the backend; the backend sees
     * the outermost lock and unlock only.
     *
     * lifecycleLock guards: registering and releasing ThreadReaders (the
     * readers set), and the OPEN -> CLOSING -> CLOSED transitions. It is
     * never held while user code runs, except during close(), when
     * qs_domain_free runs the pending callbacks on the worker: those see
     * state != OPEN (written before) and fail fast instead of taking the lock.
     *
     * close() refuses while any live thread is inside a section, then
     * releases the other threads' readers. That a thread is idle is read from
     * its depth without synchronizing with it: a thread that starts a section
     * concurrently with close() races with it, as with any closed resource.
     * The FFM backend turns that race into an IllegalStateException (its
     * native records live in shared arenas, closed with a handshake); the
     * other backends document it.
     */

    /** The lifecycle of a domain. */
    enum Lifecycle { OPEN, CLOSING, CLOSED }

    /**
     * Receives exceptions thrown by callbacks ({@link #callRcu(Runnable)}) and
     * force notifiers ({@link #onForce(Runnable)}). Runs on the thread that ran
     * the task (the domain's worker, or a writer for notifiers); it must not
     * block. An exception it throws is printed to {@code System.err} and
     * otherwise ignored.
     */
    @FunctionalInterface
    public interface CallbackExceptionHandler {
        /**
         * Handles one exception.
         *
         * @param task the callback or notifier that threw, as passed by the user
         * @param error what it threw
         */
        void uncaught(Runnable task, Throwable error);
    }

    /** The default handler: prints the exception to {@code System.err}. */
    public static final CallbackExceptionHandler PRINT_TO_STDERR = (task, error) -> {
        System.err.println("quiesce: RCU callback or notifier " + task + " threw (counted in Stats):");
        error.printStackTrace();
    };

    private final RcuBackend backend;
    private final BackendDomain impl;
    private final DomainConfig config;
    private final ThreadLocal<ThreadReader> local = new ThreadLocal<>();
    private final Object lifecycleLock = new Object();
    /* Every registered ThreadReader not yet released; add/remove under lifecycleLock. */
    private final Set<ThreadReader> readers = ConcurrentHashMap.newKeySet();
    /* Written under lifecycleLock; read anywhere. */
    volatile Lifecycle state = Lifecycle.OPEN;
    private final AtomicLong callbackExceptions = new AtomicLong();
    private final AtomicLong notifierExceptions = new AtomicLong();
    private volatile CallbackExceptionHandler exceptionHandler;
    /* The thread running one of this domain's callbacks right now, or null. */
    private volatile Thread callbackThread;

    private RcuDomain(Builder b) {
        Backend kind = b.backend != null ? b.backend : Backends.defaultBackend();
        this.backend = Backends.get(kind);
        this.config = new DomainConfig(b.policy, b.pollPeriodNanos, b.pollLimit, b.callbackThreshold,
                b.useMembarrier);
        this.exceptionHandler = b.handler;
        this.impl = backend.open(config);
    }

    /**
     * A domain with QEMU's defaults (FQS, 10 ms poll period, 5 polls, 30
     * callbacks) on the default backend.
     *
     * @throws BackendUnavailableException if no backend can run here
     */
    public static RcuDomain create() {
        return builder().build();
    }

    /** A builder with QEMU's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures and creates an {@link RcuDomain}. Defaults: {@link Policy#FQS},
     * 10 ms poll period, poll limit 5, callback threshold 30, membarrier when
     * the kernel offers it, the default {@linkplain Backend backend}, and
     * {@link #PRINT_TO_STDERR}.
     */
    public static final class Builder {
        private Policy policy = Policy.FQS;
        private long pollPeriodNanos = DomainConfig.DEFAULT_POLL_PERIOD_NANOS;
        private int pollLimit = DomainConfig.DEFAULT_POLL_LIMIT;
        private int callbackThreshold = DomainConfig.DEFAULT_CALLBACK_THRESHOLD;
        private boolean useMembarrier = true;
        private Backend backend;
        private CallbackExceptionHandler handler = PRINT_TO_STDERR;

        private Builder() {
        }

        /** The grace-period policy. */
        public Builder policy(Policy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How long a grace period in the normal state sleeps between scans
         * (LEGACY: between the worker's pre-polls).
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollPeriod(Duration period) {
            long ns = Objects.requireNonNull(period, "period").toNanos();
            if (ns <= 0) {
                throw new IllegalArgumentException("poll period must be positive: " + period);
            }
            this.pollPeriodNanos = ns;
            return this;
        }

        /**
         * Polls before a grace period forces readers (LEGACY: the worker's
         * maximum pre-polls).
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollLimit(int polls) {
            if (polls <= 0) {
                throw new IllegalArgumentException("poll limit must be positive: " + polls);
            }
            this.pollLimit = polls;
            return this;
        }

        /**
         * Pending callbacks that make a grace period force readers (LEGACY:
         * the count the worker's pre-polls wait for).
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder callbackThreshold(int callbacks) {
            if (callbacks <= 0) {
                throw new IllegalArgumentException("callback threshold must be positive: " + callbacks);
            }
            this.callbackThreshold = callbacks;
            return this;
        }

        /**
         * Whether native readers may rely on {@code membarrier(2)} (a compiler
         * barrier on the read side) when the kernel offers it; {@code false}
         * makes them issue full fences. Ignored by the pure-Java backend.
         */
        public Builder useMembarrier(boolean use) {
            this.useMembarrier = use;
            return this;
        }

        /** The backend; {@code null} restores the default choice. */
        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        /** The initial {@linkplain RcuDomain#setCallbackExceptionHandler callback exception handler}. */
        public Builder callbackExceptionHandler(CallbackExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Creates the domain.
         *
         * @throws BackendUnavailableException if the backend cannot run here
         * @throws RcuException if the backend cannot create a domain
         */
        public RcuDomain build() {
            return new RcuDomain(this);
        }
    }

    // ------------------------------------------------------------ readers

    /**
     * Enters a read section; close it with try-with-resources. Registers the
     * calling thread first if it is not registered yet.
     *
     * @return the open section
     * @throws IllegalStateException if the domain is closed
     */
    public ReadSection read() {
        ThreadReader r = local.get();
        if (r == null || r.released) {
            r = attach();
        }
        return r.enter();
    }

    /**
     * Enters a read section without a section object, QEMU style
     * ({@code rcu_read_lock}); pair with {@link #readUnlock()} on the same
     * thread. Prefer {@link #read()}.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public void readLock() {
        ThreadReader r = local.get();
        if (r == null || r.released) {
            r = attach();
        }
        r.lock();
    }

    /**
     * Leaves the innermost section entered by {@link #readLock()}.
     *
     * @throws IllegalStateException if the calling thread is not inside a
     *         section of this domain (unlock without lock); nothing changes
     */
    public void readUnlock() {
        ThreadReader r = local.get();
        // depth is this thread's own field: the check is exact.
        if (r == null || r.depth == 0) {
            throw new IllegalStateException("readUnlock() without readLock(): thread "
                    + Thread.currentThread().getName() + " is not inside a read section of " + this);
        }
        r.unlock();
    }

    /** Whether the calling thread is inside a read section of this domain. */
    public boolean inReadSection() {
        ThreadReader r = local.get();
        return r != null && r.depth > 0;
    }

    /**
     * Registers the calling thread as a reader now (otherwise its first
     * {@link #read()} does). Idempotent.
     *
     * @return a handle whose {@code close()} unregisters the thread, like
     *         {@link #unregisterThread()}
     * @throws IllegalStateException if the domain is closed
     */
    public Registration registerThread() {
        ThreadReader r = local.get();
        if (r == null) {
            r = attach();
        }
        Thread owner = r.thread;
        return () -> {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("a thread registration must be closed by its thread ("
                        + owner.getName() + ")");
            }
            unregisterThread();
        };
    }

    /** Whether the calling thread is registered as a reader of this domain. */
    public boolean isThreadRegistered() {
        ThreadReader r = local.get();
        return r != null && !r.released && state == Lifecycle.OPEN;
    }

    /**
     * Unregisters the calling thread (if registered), removing its force
     * notifiers. A later {@link #read()} registers it again.
     *
     * @throws IllegalStateException if the thread is inside a read section
     */
    public void unregisterThread() {
        ThreadReader r = local.get();
        if (r == null) {
            return;
        }
        if (r.depth > 0) {
            throw new IllegalStateException("unregisterThread() inside a read section (depth " + r.depth + ")");
        }
        synchronized (lifecycleLock) {
            if (!r.released) {
                release(r);
            }
        }
        local.remove();
    }

    // ------------------------------------------------------------ writers

    /**
     * Waits for a grace period: returns once every read section that was
     * open when it was called has closed. Expedited: under {@link Policy#FQS}
     * busy readers are kicked at once.
     *
     * @throws IllegalStateException if the calling thread is inside a read
     *         section of this domain (it would wait for itself), or the domain is closed
     */
    public void synchronize() {
        checkOpen("synchronize()");
        checkNotInSection("synchronize()");
        reapDeadReaders();
        impl.synchronize();
    }

    /**
     * Waits at most {@code timeout} for a grace period. Implemented as a
     * callback queued with {@link #callRcu(Runnable)} followed by
     * {@link #force()}: it counts in {@link Stats#callbacksQueued()} and
     * {@link Stats#forces()}, and waits behind callbacks queued before it.
     *
     * @return {@code true} if a grace period ended within the timeout
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException as {@link #synchronize()}
     */
    public boolean trySynchronize(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        checkOpen("trySynchronize()");
        checkNotInSection("trySynchronize()");
        CountDownLatch done = new CountDownLatch(1);
        impl.call(done::countDown);
        impl.force();
        return done.await(timeout, unit);
    }

    /**
     * Runs {@code callback} once, after a grace period, on the domain's
     * worker thread, in FIFO order with the other callbacks. Callbacks should
     * be short and must not block on the domain ({@link #drain()} and
     * {@link #close()} from a callback throw). A callback that throws is
     * reported to the handler; the others still run. Callbacks still queued
     * when the domain is closed run during {@link #close()}.
     *
     * @throws NullPointerException if {@code callback} is null
     * @throws IllegalStateException if the domain is closed or closing
     * @throws RcuException if the worker thread cannot be started
     */
    public void callRcu(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen("callRcu()");
        impl.call(new GuardedCallback(callback));
    }

    /**
     * Returns once every callback queued before this call has run.
     *
     * @throws IllegalStateException if called inside a read section of this
     *         domain or from one of its callbacks, or if the domain is closed
     */
    public void drain() {
        checkOpen("drain()");
        checkNotInSection("drain()");
        if (callbackThread == Thread.currentThread()) {
            throw new IllegalStateException("drain() from a callback of the same domain would wait for itself");
        }
        reapDeadReaders();
        impl.drain();
    }

    /**
     * Asks the current (or next) grace period to enter the force-quiescent
     * state: busy readers' force notifiers run and the writer is woken by the
     * last reader instead of a timer. No effect under {@link Policy#LEGACY}.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public void force() {
        checkOpen("force()");
        impl.force();
    }

    /**
     * Adds a force notifier for the calling thread (registering it if
     * needed): {@code notifier} runs on the writer's thread whenever a grace
     * period this thread blocks enters the force-quiescent state (LEGACY:
     * only while a drain is in progress). A typical notifier sets a flag that
     * makes the thread leave its long read section soon. Notifiers must be
     * quick and must not call into the domain.
     *
     * @return a handle whose {@code close()} removes the notifier (from any thread)
     * @throws NullPointerException if {@code notifier} is null
     * @throws IllegalStateException if the domain is closed
     */
    public Registration onForce(Runnable notifier) {
        Objects.requireNonNull(notifier, "notifier");
        ThreadReader r = local.get();
        if (r == null || r.released) {
            r = attach();
        }
        checkOpen("onForce()");
        NotifierHandle handle = r.impl.addNotifier(new GuardedNotifier(notifier));
        ThreadReader owner = r;
        return new Registration() {
            private boolean removed;

            @Override
            public void close() {
                synchronized (lifecycleLock) {
                    if (!removed && !owner.released) {
                        handle.remove();
                    }
                    removed = true;
                }
            }
        };
    }

    // ------------------------------------------------------------ information

    /**
     * A snapshot of the counters.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public Stats stats() {
        checkOpen("stats()");
        return Stats.of(impl.stats(), callbackExceptions.get(), notifierExceptions.get());
    }

    /** The backend this domain runs on. */
    public Backend backend() {
        return backend.kind();
    }

    /** A one-line description of the backend (library version and path for native backends). */
    public String backendDescription() {
        return backend.description();
    }

    /** The grace-period policy. */
    public Policy policy() {
        return config.policy();
    }

    /** The poll period. */
    public Duration pollPeriod() {
        return Duration.ofNanos(config.pollPeriodNanos());
    }

    /** The poll limit. */
    public int pollLimit() {
        return config.pollLimit();
    }

    /** The callback threshold. */
    public int callbackThreshold() {
        return config.callbackThreshold();
    }

    /** Whether {@link #close()} has completed. */
    public boolean isClosed() {
        return state == Lifecycle.CLOSED;
    }

    /**
     * Replaces the handler of exceptions thrown by callbacks and notifiers.
     * The count in {@link Stats} is kept whatever the handler does.
     *
     * @throws NullPointerException if {@code handler} is null
     */
    public void setCallbackExceptionHandler(CallbackExceptionHandler handler) {
        this.exceptionHandler = Objects.requireNonNull(handler, "handler");
    }

    /** The current callback exception handler. */
    public CallbackExceptionHandler callbackExceptionHandler() {
        return exceptionHandler;
    }

    // ------------------------------------------------------------ closing

    /**
     * Closes the domain: unregisters every thread that is outside its read
     * sections, runs every callback still queued (on the worker; nothing is
     * dropped), stops the worker and frees the native domain. Idempotent.
     * Afterwards every method except {@link #close()}, {@link #isClosed()} and
     * the configuration getters throws {@link IllegalStateException}.
     *
     * <p>Callbacks that run during {@code close()} see the domain closing:
     * {@code callRcu} from them throws (reported to the handler).
     *
     * @throws IllegalStateException if a live thread (the caller included) is
     *         inside a read section of this domain, or if called from one of the
     *         domain's callbacks; the domain stays open and usable
     */
    @Override
    public void close() {
        if (callbackThread == Thread.currentThread()) {
            throw new IllegalStateException("close() from a callback of the same domain would wait for itself");
        }
        synchronized (lifecycleLock) {
            if (state == Lifecycle.CLOSED) {
                return;
            }
            List<String> busy = new ArrayList<>();
            for (ThreadReader r : readers) {
                if (r.depth > 0 && r.thread.isAlive()) {
                    busy.add(r.thread.getName() + " (depth " + r.depth + ")");
                }
            }
            if (!busy.isEmpty()) {
                throw new IllegalStateException("cannot close " + this + ": thread(s) " + busy
                        + " inside a read section; the domain stays open");
            }
            state = Lifecycle.CLOSING;
            try {
                for (ThreadReader r : new ArrayList<>(readers)) {
                    release(r);
                }
            } catch (RuntimeException e) {
                // A thread entered a section while we were closing: stay open.
                state = Lifecycle.OPEN;
                throw new IllegalStateException("cannot close " + this + ": a reader became busy while closing;"
                        + " the domain stays open", e);
            }
            impl.close();
            state = Lifecycle.CLOSED;
        }
        local.remove();
    }

    @Override
    public String toString() {
        return "RcuDomain[" + backend.kind().id() + ", " + config.policy() + ", " + state + "]";
    }

    // ------------------------------------------------------------ internals

    private ThreadReader attach() {
        if (state != Lifecycle.OPEN) {
            throw closedException("registering a reader");
        }
        Thread self = Thread.currentThread();
        reapDeadReaders();
        synchronized (lifecycleLock) {
            checkOpen("registering a reader");
            ThreadReader old = local.get();
            if (old != null && !old.released) {
                return old;
            }
            BackendReader br = impl.registerCurrentThread();
            ThreadReader r = new ThreadReader(this, self, br);
            readers.add(r);
            local.set(r);
            return r;
        }
    }

    /* Caller holds lifecycleLock. A dead owner may have left a section open: end it for it. */
    private void release(ThreadReader r) {
        if (r.depth > 0 && !r.thread.isAlive()) {
            r.depth = 1;
            r.unlock();
        }
        r.released = true;
        try {
            r.impl.close();
        } catch (RuntimeException e) {
            r.released = false;
            throw e;
        }
        readers.remove(r);
    }

    private void reapDeadReaders() {
        boolean any = false;
        for (ThreadReader r : readers) {
            if (!r.thread.isAlive()) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        synchronized (lifecycleLock) {
            if (state != Lifecycle.OPEN) {
                return;
            }
            for (ThreadReader r : new ArrayList<>(readers)) {
                if (!r.thread.isAlive()) {
                    release(r);
                }
            }
        }
    }

    private void checkOpen(String operation) {
        if (state != Lifecycle.OPEN) {
            throw closedException(operation);
        }
    }

    private void checkNotInSection(String operation) {
        ThreadReader r = local.get();
        if (r != null && r.depth > 0) {
            throw new IllegalStateException(operation + " inside a read section of the same domain would wait for"
                    + " itself (deadlock); leave the section first (depth " + r.depth + ")");
        }
    }

    IllegalStateException closedException(String operation) {
        return new IllegalStateException(operation + ": " + this + " is "
                + (state == Lifecycle.CLOSING ? "closing" : "closed"));
    }

    /* A stale ThreadReader was used at depth 0: the domain closed, or the reader was released. */
    IllegalStateException staleReader(ThreadReader r) {
        if (state != Lifecycle.OPEN) {
            return closedException("read()");
        }
        return new IllegalStateException("the reader of thread " + r.thread.getName() + " was unregistered; "
                + "call read() again to register anew");
    }

    void reportCallbackException(Runnable task, Throwable error, boolean notifier) {
        (notifier ? notifierExceptions : callbackExceptions).incrementAndGet();
        try {
            exceptionHandler.uncaught(task, error);
        } catch (Throwable handlerError) {
            try {
                System.err.println("quiesce: the callback exception handler threw while handling " + error);
                handlerError.printStackTrace();
            } catch (Throwable ignored) {
                // Nothing left to report to.
            }
        }
    }

    /* A user callback that never throws; tells close() and drain() which thread runs callbacks. */
    private final class GuardedCallback implements Runnable {
        private final Runnable task;

        GuardedCallback(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            callbackThread = Thread.currentThread();
            try {
                task.run();
            } catch (Throwable e) {
                reportCallbackException(task, e, false);
            } finally {
                callbackThread = null;
            }
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }

    /* A user notifier that never throws. */
    private final class GuardedNotifier implements Runnable {
        private final Runnable task;

        GuardedNotifier(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            try {
                task.run();
            } catch (Throwable e) {
                reportCallbackException(task, e, true);
            }
        }
    }
}
