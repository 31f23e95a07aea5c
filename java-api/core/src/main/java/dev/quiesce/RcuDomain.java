package dev.quiesce;

import dev.quiesce.internal.Backends;
import dev.quiesce.internal.JfrBridge;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.spi.NotifierHandle;
import dev.quiesce.spi.RcuBackend;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
 * <p><b>Hot loops.</b> {@code read()} finds the calling thread's registration
 * through a {@link ThreadLocal}. A thread that enters many sections can skip
 * that lookup: {@link #registerThread()} returns the thread's {@link Reader},
 * whose {@link Reader#read()}, {@link Reader#lock()} and {@link Reader#unlock()}
 * are the fastest way in and out of a section (they check only that the
 * caller is the owning thread):
 * <pre>{@code
 * RcuDomain.Reader reader = rcu.registerThread();   // once, on the reading thread
 * while (running) {
 *     try (ReadSection s = reader.read()) {
 *         use(config.get());
 *     }
 * }
 * reader.close();                                   // unregisters
 * }</pre>
 * Both ways share one registration and one nesting depth per thread: sections
 * opened through the handle and through the domain nest with each other.
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
 * {@code --enable-native-access=dev.quiesce,dev.quiesce.bindings} (module
 * path) or {@code --enable-native-access=ALL-UNNAMED} (class path). It needs
 * JDK 23 or later; older JDKs use the JNA backend.
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
     * The read side is (slot cache, else ThreadLocal) -> Reader ->
     * BackendReader (or, on the hot-loop path, the caller's Reader ->
     * BackendReader). The slot cache (mine()) is an array indexed by the
     * thread id's low bits: a hit is two loads and a compare of the
     * Reader's final `thread` field, cheaper than a ThreadLocal lookup;
     * slots are written only on a miss, so threads that do not collide
     * share no written cache line. Its entries are hints: each use checks
     * the owner (final field, so a racy read sees it initialised) and
     * `released`, exactly as for a ThreadLocal hit. The facade keeps
     * the nesting depth in Reader (owner-only field) so that every misuse
     * check costs no call into the backend; the backend sees the outermost
     * lock and unlock only, and is the only one to touch its own record.
     *
     * This file is the facade and the read-side fast path. The rest lives
     * by concern in package-private classes: ReaderRegistration (a Reader's
     * state, entering and leaving sections), ReaderRegistry (registering,
     * releasing and reaping readers; the lifecycle and its lock), Callbacks
     * (wrapping callbacks and notifiers, counting and handling what they
     * throw); the tunables are DomainConfig (spi). The fast path reads the
     * registry's slot cache and ThreadLocal through final fields of this
     * class, so it has no extra load.
     *
     * close() refuses while any live thread is inside a section, then
     * releases the other threads' readers. That a thread is idle is read from
     * its depth without synchronizing with it: a thread that starts a section
     * concurrently with close() races with it, as with any closed resource.
     * The FFM backend turns that race into an IllegalStateException (its
     * native records live in shared arenas, closed with a handshake); the
     * other backends document it.
     */

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
    /* Readers and lifecycle; its `slots` and `local`, copied below for the fast path. */
    final ReaderRegistry registry;
    private final Reader[] slots;
    private final ThreadLocal<Reader> local;
    private final Callbacks callbacks;
    /* Polled GPs and stall warnings (issue 15): see those classes. */
    private final PolledGracePeriods gracePeriods;
    private final StallDispatcher stalls;

    private RcuDomain(Builder b) {
        this(Backends.get(b.backend != null ? b.backend : Backends.defaultBackend()), null, b.config, b.handler,
                b.onStall);
    }

    /* attached null: open a new native domain with config; else wrap it
     * (attach). onStall null: install no stall sink (an attached domain
     * keeps the stall handler its C owner chose). */
    private RcuDomain(RcuBackend backend, BackendDomain attached, DomainConfig config,
                      CallbackExceptionHandler handler, Consumer<StallReport> onStall) {
        this.backend = backend;
        this.config = config;
        this.callbacks = new Callbacks(handler);
        this.impl = attached != null ? attached : backend.open(config);
        if (attached == null) {
            // JFR events (dev.quiesce.jfr) while a recording runs; writer side
            // only. Not for an attached domain: its observer belongs to its
            // C owner, and nothing would uninstall ours at detach.
            JfrBridge.attach(this, impl, "RcuDomain[" + backend.kind().id() + "]", config.policy().name());
        }
        this.registry = new ReaderRegistry(this, impl);
        this.slots = registry.slots;
        this.local = registry.local;
        this.gracePeriods = new PolledGracePeriods(impl);
        if (onStall != null && config.stallTimeoutMillis() != 0) {
            this.stalls = new StallDispatcher(registry, onStall);
            impl.setStallSink(stalls);
        } else {
            this.stalls = null;
        }
    }

    // ------------------------------------------------------------ one domain with C (issue 13)

    /* The open nativeDefault() domain, or null; guarded by RcuDomain.class. */
    private static RcuDomain nativeDefault;

    /**
     * {@return the process's default native domain, the one C code reaches
     * through {@code qs_domain_default()} and the QEMU-compatible header}
     *
     * <p>Java and C then share one domain: the same grace periods, the same
     * callback queue (a {@link #drain()} waits for callbacks C queued too)
     * and the same force notifiers; a Java reader's section holds back a
     * grace period C started, and the other way round. Every call returns the
     * same object until it is {@linkplain #close() closed}; closing it only
     * detaches Java (unregisters its readers, waits for the callbacks it
     * queued); the native domain lives on, and a later call attaches again.
     * Its configuration getters report QEMU's defaults, which is what
     * {@code qs_domain_default()} is created with. FFM backend only.
     *
     * @throws UnsupportedOperationException if the FFM backend cannot run here
     *         (it needs JDK 22+, see {@link Backend#FFM})
     */
    public static RcuDomain nativeDefault() {
        synchronized (RcuDomain.class) {
            RcuDomain d = nativeDefault;
            if (d == null || d.registry.state != ReaderRegistry.Lifecycle.OPEN) {
                d = attachWith(null);
                nativeDefault = d;
            }
            return d;
        }
    }

    /**
     * Wraps a {@code qs_domain*} created in C. The returned domain does not
     * own it: {@link #close()} detaches (unregisters the Java readers, waits
     * for the callbacks queued through it) and never shuts down or frees the
     * native domain, which its C owner must keep alive until then. A native
     * domain can be open in at most one {@code RcuDomain} of this JVM at a
     * time (a thread has at most one reader per native domain). The
     * configuration getters report QEMU's defaults, not the C domain's own
     * parameters. FFM backend only.
     *
     * @param qsDomain the {@code qs_domain*} (any byte size)
     * @return a domain over it
     * @throws NullPointerException if {@code qsDomain} is null
     * @throws IllegalArgumentException if it is {@code MemorySegment.NULL} or not a native segment
     * @throws IllegalStateException if that native domain is already open in
     *         an {@code RcuDomain} of this JVM ({@link #nativeDefault()} or
     *         another {@code attach}, or the domain whose {@link #nativeHandle()} it is)
     * @throws UnsupportedOperationException if the FFM backend cannot run here
     */
    public static RcuDomain attach(MemorySegment qsDomain) {
        Objects.requireNonNull(qsDomain, "qsDomain");
        if (!qsDomain.isNative() || qsDomain.address() == 0) {
            throw new IllegalArgumentException("qsDomain must be a non-NULL native address, got " + qsDomain);
        }
        synchronized (RcuDomain.class) {
            return attachWith(qsDomain);
        }
    }

    /* FFM's attach of qsDomain (null: the default domain). */
    private static RcuDomain attachWith(MemorySegment qsDomain) {
        RcuBackend ffm;
        try {
            ffm = Backends.get(Backend.FFM);
        } catch (BackendUnavailableException e) {
            throw (UnsupportedOperationException) new UnsupportedOperationException(
                    BackendDomain.NATIVE_MEMORY_NEEDS_FFM + ": " + e.getMessage()).initCause(e);
        }
        return new RcuDomain(ffm, ffm.attach(qsDomain), DomainConfig.defaults(Policy.FQS), PRINT_TO_STDERR, null);
    }

    /**
     * {@return this domain's {@code qs_domain*}, a zero-length segment to hand
     * to C code} It stays valid until this domain is closed if this domain
     * owns it (built with {@link #builder()}), or as long as its C owner keeps
     * it (after {@link #attach}; the default domain is never freed).
     *
     * @throws IllegalStateException if the domain is closed
     * @throws UnsupportedOperationException on the JNA and pure-Java backends
     */
    public MemorySegment nativeHandle() {
        checkNativeMemory();
        registry.checkOpen("nativeHandle()");
        return impl.nativeHandle();
    }

    /**
     * Allocates zeroed native memory ({@code qs_mem_alloc}) for an object
     * that {@link #retire(MemorySegment)} frees after a grace period, on the
     * native worker, with no call back into Java. The memory belongs to the
     * caller until it is retired (nothing frees it otherwise); the segment
     * has global scope: after the retire, accessing it is a use-after-free
     * that only read sections (see {@link RcuPointer}) guard against.
     *
     * @param byteSize the size, positive
     * @param byteAlignment the alignment, a power of two (below 8 it is rounded up to 8)
     * @return the memory, {@code byteSize} bytes
     * @throws IllegalArgumentException if {@code byteSize} is not positive or
     *         {@code byteAlignment} not a power of two
     * @throws IllegalStateException if the domain is closed
     * @throws UnsupportedOperationException on the JNA and pure-Java backends
     * @throws RcuException if out of native memory
     */
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        checkNativeMemory();
        registry.checkOpen("allocate()");
        if (byteSize <= 0 || byteAlignment <= 0 || Long.bitCount(byteAlignment) != 1) {
            throw new IllegalArgumentException("allocate(" + byteSize + ", " + byteAlignment
                    + "): the size must be positive and the alignment a power of two");
        }
        return impl.allocate(byteSize, byteAlignment);
    }

    /**
     * Frees memory from {@link #allocate(long, long)} after a grace period,
     * on the native worker ({@code qs_mem_retire}): no Java code runs per
     * object. The caller must first have made {@code target} unreachable for
     * new readers (for example with {@link RcuPointer#exchange}); readers
     * inside a section that found it keep it until they leave. Never blocks;
     * allowed inside a read section. {@link Stats#retiredPending()} counts
     * {@code target.byteSize()} bytes until it is freed; {@link #drain()}
     * returns once every object retired before it is freed.
     *
     * <p>Only memory from {@code allocate} (or {@code qs_mem_alloc} in C):
     * for memory C allocated otherwise, use {@link #retire(MemorySegment, MemorySegment)}.
     *
     * @param target the object, a non-NULL native address
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException if {@code target} is NULL or not native
     * @throws IllegalStateException if {@code target} is already waiting to be
     *         freed (nothing is freed twice: the first retire stands), or the
     *         domain is closed
     * @throws UnsupportedOperationException on the JNA and pure-Java backends
     */
    public void retire(MemorySegment target) {
        retireChecked(target, null);
    }

    /**
     * Like {@link #retire(MemorySegment)}, but frees {@code target} by calling
     * the C function {@code freeFunction}, a {@code void (*)(void *)}, on the
     * native worker after a grace period ({@code qs_retire}): for memory that
     * C allocated. The function must not call {@code qs_drain} on this domain
     * nor free it.
     *
     * @param target the object, a non-NULL native address
     * @param freeFunction the address of the C free function
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code target} or {@code freeFunction}
     *         is NULL or not native
     * @throws IllegalStateException as {@link #retire(MemorySegment)}
     * @throws UnsupportedOperationException on the JNA and pure-Java backends
     */
    public void retire(MemorySegment target, MemorySegment freeFunction) {
        checkNativeMemory();
        Objects.requireNonNull(freeFunction, "freeFunction");
        if (!freeFunction.isNative() || freeFunction.address() == 0) {
            throw new IllegalArgumentException("freeFunction must be a non-NULL native address, got " + freeFunction);
        }
        retireChecked(target, freeFunction);
    }

    private void retireChecked(MemorySegment target, MemorySegment freeFunction) {
        checkNativeMemory();
        Objects.requireNonNull(target, "target");
        registry.checkOpen("retire()");
        if (!target.isNative() || target.address() == 0) {
            throw new IllegalArgumentException("retire needs a non-NULL native address, got " + target);
        }
        impl.retire(target, freeFunction);
    }

    /* For RcuPointer: the JNA and pure-Java backends cannot run native memory under RCU. */
    void checkNativeMemory() {
        if (backend.kind() != Backend.FFM) {
            throw new UnsupportedOperationException(BackendDomain.NATIVE_MEMORY_NEEDS_FFM
                    + " (this domain runs on " + backend.kind().id() + ")");
        }
    }

    /**
     * {@return a domain with QEMU's defaults (FQS, 10 ms poll period, 5 polls, 30
     * callbacks) on the default backend}
     *
     * @throws BackendUnavailableException if no backend can run here
     */
    public static RcuDomain create() {
        return builder().build();
    }

    /**
     * {@return a new builder with QEMU's defaults}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures and creates an {@link RcuDomain}. Defaults: {@link Policy#FQS},
     * 10 ms poll period, poll limit 5, callback threshold 30, membarrier when
     * the kernel offers it, the default {@linkplain Backend backend},
     * {@link #PRINT_TO_STDERR}, and stall warnings after 1 s logged through
     * {@link System.Logger}.
     */
    public static final class Builder {
        /* The RCU tunables; DomainConfig's constructor checks each. */
        private DomainConfig config = DomainConfig.defaults(Policy.FQS);
        private Backend backend;
        private CallbackExceptionHandler handler = PRINT_TO_STDERR;
        private Consumer<StallReport> onStall = StallDispatcher.LOG;

        private Builder() {
        }

        /**
         * The grace-period policy.
         *
         * @param policy the grace-period policy
         * @return this builder
         */
        public Builder policy(Policy policy) {
            config = config.withPolicy(policy);
            return this;
        }

        /**
         * How long a grace period in the normal state sleeps between scans
         * (LEGACY: between the worker's pre-polls).
         *
         * @param period how long a grace period in the normal state sleeps between scans
         * (LEGACY: between the worker's pre-polls)
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollPeriod(Duration period) {
            config = config.withPollPeriodNanos(Objects.requireNonNull(period, "period").toNanos());
            return this;
        }

        /**
         * Polls before a grace period forces readers (LEGACY: the worker's
         * maximum pre-polls).
         *
         * @param polls the number of polls
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollLimit(int polls) {
            config = config.withPollLimit(polls);
            return this;
        }

        /**
         * Pending callbacks that make a grace period force readers (LEGACY:
         * the count the worker's pre-polls wait for).
         *
         * @param callbacks pending callbacks that make a grace period force readers (LEGACY:
         * the count the worker's pre-polls wait for)
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder callbackThreshold(int callbacks) {
            config = config.withCallbackThreshold(callbacks);
            return this;
        }

        /**
         * Whether native readers may rely on {@code membarrier(2)} (a compiler
         * barrier on the read side) when the kernel offers it; {@code false}
         * makes them issue full fences. Ignored by the pure-Java backend.
         *
         * @param use whether to rely on {@code membarrier(2)}
         * @return this builder
         */
        public Builder useMembarrier(boolean use) {
            config = config.withUseMembarrier(use);
            return this;
        }

        /**
         * The scheduler slice the native call worker asks the kernel for, in
         * microseconds (default {@value DomainConfig#DEFAULT_WORKER_SLICE_MICROS}):
         * a short slice lets the worker preempt busy threads as soon as it
         * wakes, instead of at their next scheduler tick, which keeps
         * {@code force()}'s latency low on busy CPUs. 0 leaves the kernel's
         * default. Linux 6.12+ (EEVDF custom slices; no privilege needed);
         * older kernels ignore it, as does the pure-Java backend.
         *
         * @param micros the scheduler slice the native call worker asks the kernel for, in
         * microseconds (default {@value DomainConfig#DEFAULT_WORKER_SLICE_MICROS}):
         * a short slice lets the worker preempt busy threads as soon as it
         * wakes, instead of at their next scheduler tick, which keeps
         * {@code force()}'s latency low on busy CPUs
         * @return this builder
         * @throws IllegalArgumentException unless 0 or
         *         {@value DomainConfig#MIN_WORKER_SLICE_MICROS}..{@value DomainConfig#MAX_WORKER_SLICE_MICROS}
         */
        public Builder workerSliceMicros(int micros) {
            config = config.withWorkerSliceMicros(micros);
            return this;
        }

        /**
         * How long a grace period may wait for readers before it is reported
         * as a stall (default 1 s; {@link Duration#ZERO} turns stall warnings
         * off). A stalled grace period is reported once at this timeout and
         * once more at three times it, to the {@linkplain #onStall consumer}.
         * The timeout counts in whole milliseconds (a fraction rounds up); the
         * pure-Java backend may report up to one poll period late.
         *
         * @param timeout the stall timeout, or zero for none
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is negative or longer than
         *         {@value DomainConfig#MAX_STALL_TIMEOUT_MILLIS} ms
         */
        public Builder stallTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("negative stall timeout: " + timeout);
            }
            Duration max = Duration.ofMillis(DomainConfig.MAX_STALL_TIMEOUT_MILLIS);
            if (timeout.compareTo(max) > 0) {
                throw new IllegalArgumentException("stall timeout above " + max + ": " + timeout);
            }
            long ms = timeout.toMillis() + (timeout.minusMillis(timeout.toMillis()).isZero() ? 0 : 1);
            config = config.withStallTimeoutMillis(ms);
            return this;
        }

        /**
         * Who receives {@linkplain StallReport stall reports}. The default logs
         * {@code report.toString()} at {@link System.Logger.Level#WARNING}
         * through the {@link System.Logger} named {@code "dev.quiesce"}. The
         * consumer runs on a separate daemon thread of the domain, one report
         * at a time, so it may block; what it throws is printed to
         * {@code System.err}.
         *
         * @param consumer the receiver of stall reports
         * @return this builder
         * @throws NullPointerException if {@code consumer} is null
         */
        public Builder onStall(Consumer<StallReport> consumer) {
            this.onStall = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * The backend; {@code null} restores the default choice.
         *
         * @param backend the backend; {@code null} restores the default choice
         * @return this builder
         */
        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        /**
         * The initial {@linkplain RcuDomain#setCallbackExceptionHandler callback exception handler}.
         *
         * @param handler the initial {@linkplain RcuDomain#setCallbackExceptionHandler callback exception handler}
         * @return this builder
         */
        public Builder callbackExceptionHandler(CallbackExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Creates the domain.
         *
         * @return the new, open domain
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
        Reader r = mine();
        if (r == null || r.released) {
            r = registry.attach();
        }
        // r is this thread's own, checked live just above: no owner check,
        // no second look at `released`.
        return new ReadSection(r, r.enterOwned());
    }

    /**
     * Enters a read section without a section object, QEMU style
     * ({@code rcu_read_lock}); pair with {@link #readUnlock()} on the same
     * thread. Prefer {@link #read()}.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public void readLock() {
        Reader r = mine();
        if (r == null || r.released) {
            r = registry.attach();
        }
        r.enterOwned();
    }

    /**
     * Leaves the innermost section entered by {@link #readLock()}.
     *
     * @throws IllegalStateException if the calling thread is not inside a
     *         section of this domain (unlock without lock); nothing changes
     */
    public void readUnlock() {
        Reader r = mine();
        // depth is this thread's own field: the check is exact.
        if (r == null || r.depth == 0) {
            throw new IllegalStateException("readUnlock() without readLock(): thread "
                    + Thread.currentThread().getName() + " is not inside a read section of " + this);
        }
        r.exitOwned();
    }

    /**
     * {@return whether the calling thread is inside a read section of this domain}
     */
    public boolean inReadSection() {
        Reader r = mine();
        return r != null && r.depth > 0;
    }

    /* The fast path's lookup: the calling thread's Reader (possibly released), or null. */
    private Reader mine() {
        Thread self = Thread.currentThread();
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; this is release 17
        int slot = (int) self.getId() & (ReaderRegistry.SLOTS - 1);
        Reader r = slots[slot];
        if (r != null && r.thread == self) {
            return r;
        }
        r = local.get();
        if (r != null) {
            slots[slot] = r;
        }
        return r;
    }

    /**
     * Registers the calling thread as a reader now (otherwise its first
     * {@link #read()} does) and returns its registration. Idempotent: while
     * the thread stays registered, every call returns the same
     * {@link Reader}.
     *
     * <p>The returned handle is the fast path for hot loops: its
     * {@link Reader#read()}, {@link Reader#lock()} and {@link Reader#unlock()}
     * skip the {@link ThreadLocal} lookup of {@link #read()}. Its
     * {@link Reader#close()} unregisters the thread, like
     * {@link #unregisterThread()}.
     *
     * @return the calling thread's reader of this domain
     * @throws IllegalStateException if the domain is closed
     */
    public Reader registerThread() {
        Reader r = local.get();
        if (r == null || r.released) {
            r = registry.attach();
        }
        return r;
    }

    /**
     * {@return whether the calling thread is registered as a reader of this domain}
     */
    public boolean isThreadRegistered() {
        Reader r = local.get();
        return r != null && !r.released && registry.isOpen();
    }

    /**
     * Unregisters the calling thread (if registered), removing its force
     * notifiers. A later {@link #read()} registers it again.
     *
     * @throws IllegalStateException if the thread is inside a read section
     */
    public void unregisterThread() {
        Reader r = local.get();
        if (r == null) {
            return;
        }
        registry.unregister(r, "unregisterThread()");
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
        registry.checkOpen("synchronize()");
        registry.checkNotInSection("synchronize()");
        registry.reapDeadReaders();
        impl.synchronize();
    }

    /**
     * Waits at most {@code timeout} for a grace period. Implemented as a
     * callback queued with {@link #callRcu(Runnable)} followed by
     * {@link #force()}: it counts in {@link Stats#callbacksQueued()} and
     * {@link Stats#forces()}, and waits behind callbacks queued before it.
     *
     * @param timeout how long to wait at most
     * @param unit the unit of {@code timeout}
     * @return {@code true} if a grace period ended within the timeout
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException as {@link #synchronize()}
     */
    public boolean trySynchronize(long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        registry.checkOpen("trySynchronize()");
        registry.checkNotInSection("trySynchronize()");
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
     * @param callback the reclamation to run
     * @throws NullPointerException if {@code callback} is null
     * @throws IllegalStateException if the domain is closed or closing
     * @throws RcuException if the worker thread cannot be started
     */
    public void callRcu(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        registry.checkOpen("callRcu()");
        impl.call(callbacks.guardCallback(callback));
    }

    /**
     * Returns once every callback queued before this call has run.
     *
     * @throws IllegalStateException if called inside a read section of this
     *         domain or from one of its callbacks, or if the domain is closed
     */
    public void drain() {
        registry.checkOpen("drain()");
        registry.checkNotInSection("drain()");
        if (callbacks.onCallbackThread()) {
            throw new IllegalStateException("drain() from a callback of the same domain would wait for itself");
        }
        registry.reapDeadReaders();
        impl.drain();
    }

    // ------------------------------------------------------------ polled GPs

    /**
     * Takes a polled-grace-period cookie (Linux's
     * {@code get_state_synchronize_rcu}): {@link #pollState(GpState)} reads
     * it done once a full grace period has elapsed after this call. Starts no
     * grace period: use {@link #startPoll()} when nothing else will.
     *
     * @return the cookie
     * @throws IllegalStateException if the domain is closed
     */
    public GpState gpState() {
        registry.checkOpen("gpState()");
        return GpState.of(impl.gpState());
    }

    /**
     * Takes a cookie like {@link #gpState()} and makes sure a grace period
     * that completes it will run soon, even with no callback queued (Linux's
     * {@code start_poll_synchronize_rcu}). Never blocks for the grace period;
     * may be called inside a read section.
     *
     * @return the cookie
     * @throws IllegalStateException if the domain is closed or closing
     * @throws RcuException if the worker thread cannot be started
     */
    public GpState startPoll() {
        registry.checkOpen("startPoll()");
        return GpState.of(impl.startPoll());
    }

    /**
     * Whether a full grace period has elapsed since {@code state} was taken
     * (Linux's {@code poll_state_synchronize_rcu}): then every read section
     * that was open at that moment has ended, and its actions happen-before
     * this method returns {@code true}. Wrap-safe (see {@link GpState}).
     * Never blocks.
     *
     * @param state a cookie of this domain
     * @return {@code true} if a full grace period has elapsed since the cookie
     * @throws NullPointerException if {@code state} is null
     * @throws IllegalStateException if the domain is closed
     */
    public boolean pollState(GpState state) {
        Objects.requireNonNull(state, "state");
        registry.checkOpen("pollState()");
        return impl.pollState(state.value());
    }

    /**
     * Returns at once if a full grace period has elapsed since {@code state}
     * was taken, else waits for one as {@link #synchronize()} does (Linux's
     * {@code cond_synchronize_rcu}).
     *
     * @param state a cookie of this domain
     * @throws NullPointerException if {@code state} is null
     * @throws IllegalStateException as {@link #synchronize()}
     */
    public void condSynchronize(GpState state) {
        Objects.requireNonNull(state, "state");
        registry.checkOpen("condSynchronize()");
        registry.checkNotInSection("condSynchronize()");
        registry.reapDeadReaders();
        impl.condSynchronize(state.value());
    }

    /**
     * A stage completed once a full grace period has elapsed after this call,
     * with no thread blocked per caller: the domain's worker completes it.
     * Concurrent callers share grace periods and one internal callback per
     * round (counted in {@link Stats#callbacksQueued()}), so thousands of
     * waiters cost a handful of grace periods. Dependent stages added without
     * an executor run on the worker thread, like callbacks: keep them short
     * and non-blocking. May be called inside a read section (the stage then
     * completes only after the section ends). If the domain closes before
     * the grace period, the stage completes exceptionally with
     * {@link IllegalStateException}.
     *
     * @return the stage
     * @throws IllegalStateException if the domain is closed or closing
     * @throws RcuException if the worker thread cannot be started
     */
    public CompletionStage<Void> gracePeriod() {
        registry.checkOpen("gracePeriod()");
        return gracePeriods.add();
    }

    /**
     * Asks the current (or next) grace period to enter the force-quiescent
     * state: busy readers' force notifiers run and the writer is woken by the
     * last reader instead of a timer. No effect under {@link Policy#LEGACY}.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public void force() {
        registry.checkOpen("force()");
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
     * @param notifier what to run when this thread is forced
     * @return a handle whose {@code close()} removes the notifier (from any thread)
     * @throws NullPointerException if {@code notifier} is null
     * @throws IllegalStateException if the domain is closed
     */
    public Registration onForce(Runnable notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Reader r = local.get();
        if (r == null || r.released) {
            r = registry.attach();
        }
        registry.checkOpen("onForce()");
        NotifierHandle handle = r.impl.addNotifier(callbacks.guardNotifier(notifier));
        return registry.notifierRegistration(r, handle);
    }

    // ------------------------------------------------------------ information

    /**
     * {@return a snapshot of the counters}
     *
     * @throws IllegalStateException if the domain is closed
     */
    public Stats stats() {
        registry.checkOpen("stats()");
        return Stats.of(impl.stats(), callbacks.callbackExceptions(), callbacks.notifierExceptions());
    }

    /**
     * {@return the backend this domain runs on}
     */
    public Backend backend() {
        return backend.kind();
    }

    /**
     * {@return a one-line description of the backend (library version and path for native backends)}
     */
    public String backendDescription() {
        return backend.description();
    }

    /**
     * {@return the grace-period policy}
     */
    public Policy policy() {
        return config.policy();
    }

    /**
     * {@return the poll period}
     */
    public Duration pollPeriod() {
        return Duration.ofNanos(config.pollPeriodNanos());
    }

    /**
     * {@return the poll limit}
     */
    public int pollLimit() {
        return config.pollLimit();
    }

    /**
     * {@return the callback threshold}
     */
    public int callbackThreshold() {
        return config.callbackThreshold();
    }

    /**
     * {@return the stall timeout ({@link Duration#ZERO}: stall warnings off)}
     */
    public Duration stallTimeout() {
        return Duration.ofMillis(config.stallTimeoutMillis());
    }

    /**
     * {@return whether {@link #close()} has completed}
     */
    public boolean isClosed() {
        return registry.state == ReaderRegistry.Lifecycle.CLOSED;
    }

    /**
     * Replaces the handler of exceptions thrown by callbacks and notifiers.
     * The count in {@link Stats} is kept whatever the handler does.
     *
     * @param handler the new handler
     * @throws NullPointerException if {@code handler} is null
     */
    public void setCallbackExceptionHandler(CallbackExceptionHandler handler) {
        callbacks.handler(Objects.requireNonNull(handler, "handler"));
    }

    /**
     * {@return the current callback exception handler}
     */
    public CallbackExceptionHandler callbackExceptionHandler() {
        return callbacks.handler();
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
        if (callbacks.onCallbackThread()) {
            throw new IllegalStateException("close() from a callback of the same domain would wait for itself");
        }
        registry.close();
        if (stalls != null && isClosed()) {
            stalls.shutdown();
        }
    }

    @Override
    public String toString() {
        return "RcuDomain[" + backend.kind().id() + ", " + config.policy() + ", " + registry.state + "]";
    }

    /**
     * One thread's registration as a reader of a domain, returned by
     * {@link RcuDomain#registerThread()}: the fast path into read sections for
     * hot loops. {@link #read()}, {@link #lock()} and {@link #unlock()} do what
     * {@link RcuDomain#read()}, {@link RcuDomain#readLock()} and
     * {@link RcuDomain#readUnlock()} do, without looking up the calling
     * thread's registration: they only check that the caller is the owning
     * thread. Like the domain's own methods they never block and allocate
     * nothing after escape analysis.
     *
     * <p>Sections opened through the handle and through the domain share one
     * nesting depth: they nest with each other and must be closed innermost
     * first. {@link #close()} unregisters the thread (like
     * {@link RcuDomain#unregisterThread()}); afterwards, or once the domain is
     * closed, entering a section through this handle throws
     * {@link IllegalStateException} (call {@code registerThread()} again for a
     * new handle; {@code domain.read()} registers anew by itself).
     *
     * <p>Not thread-safe: it belongs to the thread that registered.
     */
    public static final class Reader extends ReaderRegistration implements Registration {
        /* State and fast path: ReaderRegistration. */
        Reader(RcuDomain domain, Thread thread, BackendReader impl) {
            super(domain, thread, impl);
        }

        /**
         * Enters a read section; close it with try-with-resources.
         *
         * @return the open section
         * @throws IllegalStateException if called by another thread than the
         *         owner, or if this registration was closed (or the domain)
         */
        public ReadSection read() {
            if (Thread.currentThread() != thread) {
                throw notOwner("read()");
            }
            return new ReadSection(this, enterChecked());
        }

        /**
         * Enters a read section without a section object
         * ({@code rcu_read_lock}); pair with {@link #unlock()} (or
         * {@link RcuDomain#readUnlock()}) on the same thread.
         *
         * @throws IllegalStateException as {@link #read()}
         */
        public void lock() {
            if (Thread.currentThread() != thread) {
                throw notOwner("lock()");
            }
            enterChecked();
        }

        /**
         * Leaves the innermost section entered by {@link #lock()} (or
         * {@link RcuDomain#readLock()}).
         *
         * @throws IllegalStateException if called by another thread than the
         *         owner, or outside any section (unlock without lock); nothing
         *         changes then
         */
        public void unlock() {
            if (Thread.currentThread() != thread) {
                throw notOwner("unlock()");
            }
            if (depth == 0) {
                throw new IllegalStateException("unlock() without lock(): thread " + thread.getName()
                        + " is not inside a read section of " + domain);
            }
            exitOwned();
        }

        /**
         * {@return whether the owning thread is inside a read section of the domain (exact on the owner thread)}
         */
        public boolean inReadSection() {
            return depth > 0;
        }

        /**
         * {@return whether this registration is still in force (not closed, domain open)}
         */
        public boolean isRegistered() {
            return !released && domain.registry.isOpen();
        }

        /**
         * {@return the thread this registration belongs to}
         */
        public Thread thread() {
            return thread;
        }

        /**
         * {@return the domain}
         */
        public RcuDomain domain() {
            return domain;
        }

        /**
         * Unregisters the thread, removing its force notifiers, like
         * {@link RcuDomain#unregisterThread()}; idempotent.
         *
         * @throws IllegalStateException if called inside a read section, or by
         *         another thread than the owner
         */
        @Override
        public void close() {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("a thread registration must be closed by its thread ("
                        + thread.getName() + "), not by " + Thread.currentThread().getName());
            }
            domain.registry.unregister(this, "closing a reader registration");
        }

        @Override
        public String toString() {
            return "RcuDomain.Reader[thread=" + thread.getName() + ", depth=" + depth
                    + (released ? ", unregistered" : "") + "]";
        }
    }
}
