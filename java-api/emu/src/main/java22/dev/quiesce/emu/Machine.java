package dev.quiesce.emu;

import dev.quiesce.ErrorCode;
import dev.quiesce.Policy;
import dev.quiesce.Stats;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.Registration;
import dev.quiesce.ffm.FfmBackend;
import dev.quiesce.ffm.FfmObserver;
import dev.quiesce.internal.GpObserver;
import dev.quiesce.internal.ObserverHub;
import dev.quiesce.trace.TraceRecorder;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.bindings.qs_machine_config;
import dev.quiesce.bindings.qs_machine_stats;
import dev.quiesce.bindings.qs_stats;
import dev.quiesce.bindings.qs_translation;
import dev.quiesce.bindings.qs_vcpu_stats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The native emulator model, scripted from Java: an RCU domain, vCPU threads
 * that run guest code inside long read sections, their address space (guest
 * RAM at 0, the device window above), and a virtio-gpu device whose blob
 * unmap waits for RCU reclamation.
 *
 * <p><b>Sample usage.</b>
 * <pre>{@code
 * try (Machine m = Machine.builder().vcpus(2).slice(Duration.ZERO)   // busy vCPUs
 *         .policy(Policy.FQS).gpu(GpuConfig.defaults().withForceOnUnmap(true)).build()) {
 *     m.start();
 *     GpuDevice gpu = m.gpu();
 *     gpu.execute(GpuCommand.createBlob(1).size(1 << 20).build()).requireOk();
 *     gpu.execute(GpuCommand.mapBlob(1, 0)).requireOk();
 *     m.writeGuest(gpu.windowAddress(0), new byte[] {1, 2, 3});      // touch it
 *     Response r = gpu.execute(GpuCommand.unmapBlob(1));              // waits for RCU
 *     System.out.println(r.latency() + ", kicks " + m.stats().machine().total().kicks());
 * }
 * }</pre>
 *
 * <p>Each machine owns its own native {@code qs_domain} (policy and
 * parameters from the builder), independent of any {@link dev.quiesce.RcuDomain}.
 * Needs the FFM backend's runtime: JDK 23+, run with
 * {@code --enable-native-access=ALL-UNNAMED} (class path) or
 * {@code =dev.quiesce} (module path).
 *
 * <p>Thread-safe. {@link #close()} frees everything; afterwards every method
 * but {@code close} throws {@link IllegalStateException}.
 */
public final class Machine implements AutoCloseable {

    /*
     * Implementation notes. The native objects are reached through raw
     * pointers. `life` guards their lifetime: every downcall on them holds
     * its read lock and checks the state; close() takes the write lock to
     * free them, so no downcall can run on freed memory. The device has its
     * own lock of the same kind (GpuDevice) and is freed first.
     */

    private final MemorySegment dom;
    private final MemorySegment machine;
    private final MemorySegment as;
    private final GpuDevice gpu;
    private final int vcpus;
    private final Duration slice;
    private final Workload workload;
    private final Policy policy;
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    /* The stall consumer's id (MachineStalls), 0: none. */
    private final long stallsId;
    /* The domain's observers (trace recorders); created on first use, under `this`. */
    private ObserverHub hub;
    /* OPEN until close() frees the native objects; written under life's write lock. */
    private Lifecycle state = Lifecycle.OPEN;

    /** A machine's lifecycle. */
    private enum Lifecycle {
        /** The native objects exist. */
        OPEN,
        /** Freed by {@link Machine#close()}. */
        CLOSED
    }

    private Machine(Builder b) {
        EmuNative.load();
        this.vcpus = b.vcpus;
        this.slice = b.slice;
        this.workload = b.workload;
        this.policy = b.rcu.policy();
        MemorySegment d = MemorySegment.NULL;
        MemorySegment m = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dc = FfmBackend.nativeConfig(b.rcu, a);
            MemorySegment out = a.allocate(Quiesce.C_POINTER);
            ErrorCode.check(Quiesce.qs_domain_new(dc, out), "qs_domain_new");
            d = out.get(Quiesce.C_POINTER, 0);

            MemorySegment mc = qs_machine_config.allocate(a);
            ErrorCode.check(Quiesce.qs_machine_config_init(mc), "qs_machine_config_init");
            qs_machine_config.vcpus(mc, b.vcpus);
            qs_machine_config.write_pct(mc, b.workload.writePercent());
            qs_machine_config.slice_ns(mc, b.slice.toNanos());
            qs_machine_config.pause_ns(mc, b.workload.pause().toNanos());
            qs_machine_config.ram_size(mc, b.workload.ramSize());
            qs_machine_config.seed(mc, b.workload.seed());
            qs_machine_config.yield_on_kick(mc, b.workload.yieldOnKick() ? 1 : 0);
            ErrorCode.check(Quiesce.qs_machine_new(d, mc, out), "qs_machine_new");
            m = out.get(Quiesce.C_POINTER, 0);
        } catch (RuntimeException | Error e) {
            if (!m.equals(MemorySegment.NULL)) {
                Quiesce.qs_machine_free(m);
            }
            if (!d.equals(MemorySegment.NULL)) {
                Quiesce.qs_domain_free(d);
            }
            throw e;
        }
        this.dom = d;
        this.machine = m;
        this.as = Quiesce.qs_machine_as(m);
        GpuDevice device;
        try {
            device = new GpuDevice(this, as, dom, b.gpu, b.rcu.workerSliceMicros());
        } catch (RuntimeException | Error e) {
            Quiesce.qs_machine_free(m);
            Quiesce.qs_domain_free(d);
            throw e;
        }
        this.gpu = device;
        this.stallsId = b.onStall != null ? MachineStalls.install(dom, b.onStall) : 0;
        if (b.start) {
            start();
        }
    }

    /**
     * A builder with {@code qs_machine_config_init}'s and QEMU's defaults.
     *
     * @return this builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures a {@link Machine}. Defaults: 2 vCPUs, 5 ms slices,
     * {@link Workload#DEFAULT}, {@link Policy#FQS} with QEMU's parameters
     * (10 ms poll period, 5 polls, 30 callbacks), membarrier when the kernel
     * offers it, {@link GpuConfig#DEFAULTS}, vCPUs not started.
     */
    public static final class Builder {
        private int vcpus = 2;
        private Duration slice = Duration.ofMillis(5);
        private Workload workload = Workload.DEFAULT;
        /* The RCU tunables of the machine's domain; DomainConfig's constructor checks each. */
        private DomainConfig rcu = DomainConfig.defaults(Policy.FQS);
        private java.util.function.Consumer<String> onStall;
        private GpuConfig gpu = GpuConfig.DEFAULTS;
        private boolean start;

        private Builder() {
        }

        /**
         * vCPU threads, 1..64.
         *
         * @param count the count
         * @return this builder
         * @throws IllegalArgumentException outside 1..64
         */
        public Builder vcpus(int count) {
            if (count < 1 || count > 64) {
                throw new IllegalArgumentException("vcpus must be 1..64: " + count);
            }
            this.vcpus = count;
            return this;
        }

        /**
         * The time slice a vCPU stays inside one read section;
         * {@link Duration#ZERO} makes it leave only when kicked (a busy vCPU
         * that blocks every grace period until something kicks it).
         *
         * @param timeSlice the time slice a vCPU stays inside one read section;
         * {@link Duration#ZERO} makes it leave only when kicked (a busy vCPU
         * that blocks every grace period until something kicks it)
         * @return this builder
         */
        public Builder slice(Duration timeSlice) {
            Objects.requireNonNull(timeSlice, "timeSlice");
            if (timeSlice.isNegative()) {
                throw new IllegalArgumentException("negative slice: " + timeSlice);
            }
            this.slice = timeSlice;
            return this;
        }

        /**
         * What the vCPUs do.
         *
         * @param w what the vCPUs do
         * @return this builder
         */
        public Builder workload(Workload w) {
            this.workload = Objects.requireNonNull(w, "workload");
            return this;
        }

        /**
         * The RCU policy of the machine's domain.
         *
         * @param p the RCU policy of the machine's domain
         * @return this builder
         */
        public Builder policy(Policy p) {
            rcu = rcu.withPolicy(p);
            return this;
        }

        /**
         * The normal-state poll period (default 10 ms).
         *
         * @param period the normal-state poll period (default 10 ms)
         * @return this builder
         */
        public Builder pollPeriod(Duration period) {
            rcu = rcu.withPollPeriodNanos(Objects.requireNonNull(period, "period").toNanos());
            return this;
        }

        /**
         * Polls before a grace period forces readers (default 5).
         *
         * @param polls the polls
         * @return this builder
         */
        public Builder pollLimit(int polls) {
            rcu = rcu.withPollLimit(polls);
            return this;
        }

        /**
         * Pending callbacks that force a grace period (default 30).
         *
         * @param callbacks pending callbacks that force a grace period (default 30)
         * @return this builder
         */
        public Builder callbackThreshold(int callbacks) {
            rcu = rcu.withCallbackThreshold(callbacks);
            return this;
        }

        /**
         * Whether readers may rely on membarrier(2) (default true).
         *
         * @param use the use
         * @return this builder
         */
        public Builder useMembarrier(boolean use) {
            rcu = rcu.withUseMembarrier(use);
            return this;
        }

        /**
         * The RCU call worker's scheduler slice in microseconds (default
         * {@value DomainConfig#DEFAULT_WORKER_SLICE_MICROS}; 0: the kernel's
         * default), as {@link dev.quiesce.RcuDomain.Builder#workerSliceMicros(int)}.
         * With the kernel default, a worker woken while both CPUs run busy
         * vCPUs waits up to a scheduler tick (4 ms at 250 Hz) for a CPU.
         *
         * @param micros the RCU call worker's scheduler slice in microseconds (default
         * {@value DomainConfig#DEFAULT_WORKER_SLICE_MICROS}; 0: the kernel's
         * default), as {@link dev.quiesce.RcuDomain.Builder#workerSliceMicros(int)}
         * @return this builder
         */
        public Builder workerSliceMicros(int micros) {
            rcu = rcu.withWorkerSliceMicros(micros);
            return this;
        }

        /**
         * Turns on the domain's stall warnings: a grace period still waiting
         * for readers {@code timeout} after it began (and again at three
         * times that) is reported, as the C library's text block, to
         * {@code onStall}, on the GP writer's thread with its mutexes held:
         * it must be quick and must not call into the machine.
         *
         * @param timeout the stall timeout (whole milliseconds; 0 turns warnings off)
         * @param onStall receives each report's text
         * @return this builder
         * @throws IllegalArgumentException if the timeout is out of range
         */
        public Builder stallTimeout(java.time.Duration timeout, java.util.function.Consumer<String> onStall) {
            Objects.requireNonNull(timeout, "timeout");
            rcu = rcu.withStallTimeoutMillis(timeout.toMillis());
            this.onStall = Objects.requireNonNull(onStall, "onStall");
            return this;
        }

        /**
         * The virtio-gpu device's configuration.
         *
         * @param config the device's configuration
         * @return this builder
         */
        public Builder gpu(GpuConfig config) {
            this.gpu = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Whether {@link #build()} also starts the vCPUs (default false: call {@link Machine#start()}).
         *
         * @param startNow the start now
         * @return this builder
         */
        public Builder start(boolean startNow) {
            this.start = startNow;
            return this;
        }

        /**
         * Creates the domain, the machine and its device.
         *
         * @return the machine
         * @throws IllegalArgumentException for a configuration the native code rejects
         * @throws UnsatisfiedLinkError if libquiesce cannot be loaded
         */
        public Machine build() {
            return new Machine(this);
        }
    }

    // ------------------------------------------------------------ vCPUs

    /**
     * Starts the vCPU threads; returns once each registered its reader and
     * force notifier.
     *
     * @throws IllegalStateException if they run already, or the machine is closed
     */
    public void start() {
        call(() -> {
            int rc = Quiesce.qs_machine_start(machine);
            if (rc == EmuNative.EALREADY) {
                throw new IllegalStateException("the vCPUs are running already");
            }
            ErrorCode.check(rc, "qs_machine_start");
            return null;
        });
    }

    /**
     * Asks every vCPU to leave its section and exit, and joins them.
     *
     * @throws IllegalStateException if they are not running, or the machine is closed
     */
    public void stop() {
        call(() -> {
            int rc = Quiesce.qs_machine_stop(machine);
            if (rc == EmuNative.EALREADY) {
                throw new IllegalStateException("the vCPUs are not running");
            }
            ErrorCode.check(rc, "qs_machine_stop");
            return null;
        });
    }

    /**
     * {@return whether the vCPUs run}
     */
    public boolean isRunning() {
        return machineStats().running();
    }

    /**
     * Sets vCPU {@code index}'s exit request, as its force notifier does
     * (counted as a kick).
     *
     * @param index the index, from 0
     * @throws IndexOutOfBoundsException for a bad index
     */
    public void kick(int index) {
        Objects.checkIndex(index, vcpus);
        call(() -> ErrorCode.check(Quiesce.qs_machine_kick(machine, index), "qs_machine_kick"));
    }

    /**
     * vCPU threads.
     *
     * @return the vcpus
     */
    public int vcpus() {
        return vcpus;
    }

    /**
     * {@return the time slice ({@link Duration#ZERO}: busy until kicked)}
     */
    public Duration slice() {
        return slice;
    }

    /**
     * {@return the workload}
     */
    public Workload workload() {
        return workload;
    }

    /**
     * {@return the RCU policy of the machine's domain}
     */
    public Policy policy() {
        return policy;
    }

    /**
     * {@return the virtio-gpu device}
     */
    public GpuDevice gpu() {
        return gpu;
    }

    // ------------------------------------------------------------ RCU

    /** Waits for a grace period on the machine's domain (expedited under FQS). */
    public void synchronize() {
        call(() -> ErrorCode.check(Quiesce.qs_synchronize(dom), "qs_synchronize"));
    }

    /** Returns once every RCU callback queued so far (view releases, free hooks) has run. */
    public void drain() {
        call(() -> ErrorCode.check(Quiesce.qs_drain(dom), "qs_drain"));
    }

    /** Asks the current or next grace period to enter the force-quiescent state (no effect under LEGACY). */
    public void force() {
        call(() -> {
            Quiesce.qs_force(dom);
            return null;
        });
    }

    /**
     * Waits until every RCU callback queued so far has run, without forcing
     * anything (unlike {@link #drain()}): polls the counters every 100 us.
     *
     * @param timeout how long to wait at most
     * @return whether that happened within {@code timeout}
     * @throws InterruptedException if interrupted
     */
    public boolean awaitCallbacks(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            Stats s = rcuStats();
            if (s.callbacksRun() >= s.callbacksQueued()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(0, 100_000);
        }
    }

    // ------------------------------------------------------------ guest memory

    /**
     * Reads guest memory through the current view, inside a read section of
     * the machine's domain (registered for the duration of the call); may
     * span adjacent mappings.
     *
     * @param addr the guest physical address
     * @param len the number of bytes
     * @return {@code len} bytes
     * @throws IllegalArgumentException if some byte is unassigned (nothing is read)
     */
    public byte[] readGuest(long addr, int len) {
        return inReadSection(a -> {
            MemorySegment buf = a.allocate(Math.max(1, len));
            int rc = Quiesce.qs_as_read(as, addr, buf, len);
            if (rc == EmuNative.EFAULT) {
                throw unassigned(addr, len);
            }
            ErrorCode.check(rc, "qs_as_read");
            return buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
        });
    }

    /**
     * Writes guest memory through the current view, as {@link #readGuest}.
     *
     * @param addr the guest physical address
     * @param data the data
     * @throws IllegalArgumentException if some byte is unassigned (nothing is written)
     */
    public void writeGuest(long addr, byte[] data) {
        inReadSection(a -> {
            MemorySegment buf = data.length == 0 ? a.allocate(1) : a.allocateFrom(ValueLayout.JAVA_BYTE, data);
            int rc = Quiesce.qs_as_write(as, addr, buf, data.length);
            if (rc == EmuNative.EFAULT) {
                throw unassigned(addr, data.length);
            }
            return ErrorCode.check(rc, "qs_as_write");
        });
    }

    /**
     * {@return whether guest address {@code addr} is mapped in the current view}
     *
     * @param addr the guest physical address
     */
    public boolean isAssigned(long addr) {
        return inReadSection(a -> Quiesce.qs_as_translate(as, addr, qs_translation.allocate(a)) == 0);
    }

    /**
     * Views of the address space published so far (1 for a new machine).
     *
     * @return the view generation
     */
    public long viewGeneration() {
        return call(() -> Quiesce.qs_as_generation(as));
    }

    /**
     * Mappings in the address space (guest RAM, if any, counts as one).
     *
     * @return the mapping count
     */
    public int mappingCount() {
        return call(() -> Quiesce.qs_as_count(as));
    }

    private static IllegalArgumentException unassigned(long addr, long len) {
        return new IllegalArgumentException("guest [0x" + Long.toHexString(addr) + ", +" + len
                + ") is not (entirely) assigned in the current view");
    }

    /* Translate the start of a window mapping: its length, or -1 if not there. Used by GpuDevice. */
    long mappedLength(long addr) {
        return inReadSection(a -> {
            MemorySegment tr = qs_translation.allocate(a);
            if (Quiesce.qs_as_translate(as, addr, tr) != 0 || qs_translation.offset(tr) != 0) {
                return -1L;
            }
            return qs_translation.avail(tr);
        });
    }

    /*
     * Runs `body` inside a read section of the domain on the calling thread,
     * registering the thread for the call (or using its registration, if it
     * has one).
     */
    private <T> T inReadSection(Function<Arena, T> body) {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(Quiesce.C_POINTER);
                int rc = Quiesce.qs_reader_new(dom, out);
                boolean own = rc == 0;
                MemorySegment reader;
                if (rc == EmuNative.EEXIST) {
                    reader = Quiesce.qs_reader_self(dom);
                } else {
                    ErrorCode.check(rc, "qs_reader_new");
                    reader = out.get(Quiesce.C_POINTER, 0);
                }
                try {
                    Quiesce.qs_read_lock_fn(reader);
                    try {
                        return body.apply(a);
                    } finally {
                        Quiesce.qs_read_unlock_fn(reader);
                    }
                } finally {
                    if (own) {
                        ErrorCode.check(Quiesce.qs_reader_free(reader), "qs_reader_free");
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------ stats

    /**
     * Everything: vCPUs, device and RCU domain, in one snapshot.
     *
     * @return the emu stats
     */
    public EmuStats stats() {
        return call(() -> gpu.emuStats(machine));
    }

    /**
     * {@return the vCPUs' counters}
     */
    public MachineStats machineStats() {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = qs_machine_stats.allocate(a);
                Quiesce.qs_machine_stats_get(machine, s);
                return EmuNative.machineStats(s);
            }
        });
    }

    /**
     * {@return one vCPU's counters}
     *
     * @param index one vCPU's counters
     * @throws IndexOutOfBoundsException for a bad index
     */
    public VcpuStats vcpuStats(int index) {
        Objects.checkIndex(index, vcpus);
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = qs_vcpu_stats.allocate(a);
                ErrorCode.check(Quiesce.qs_vcpu_stats_get(machine, index, s), "qs_vcpu_stats_get");
                return EmuNative.vcpuStats(s);
            }
        });
    }

    /**
     * {@return the RCU domain's counters}
     */
    public Stats rcuStats() {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = qs_stats.allocate(a);
                Quiesce.qs_stats_get(dom, s);
                return EmuNative.rcuStats(s);
            }
        });
    }

    // ------------------------------------------------------------ closing

    /**
     * {@return whether {@link #close()} ran}
     */
    public boolean isClosed() {
        life.readLock().lock();
        try {
            return state == Lifecycle.CLOSED;
        } finally {
            life.readLock().unlock();
        }
    }

    /**
     * Frees the device (answering what is still pending first: an unmap
     * waits for its grace period, forced by a drain), stops the vCPUs and
     * frees the machine and its domain. Idempotent.
     *
     * @throws IllegalStateException if called inside a callback or the native code refuses
     *         (a Java thread still registered as a reader of the machine's domain)
     */
    @Override
    public void close() {
        gpu.close();
        life.writeLock().lock();
        try {
            if (state == Lifecycle.CLOSED) {
                return;
            }
            state = Lifecycle.CLOSED;
            ErrorCode.check(Quiesce.qs_machine_free(machine), "qs_machine_free");
            ErrorCode.check(Quiesce.qs_domain_free(dom), "qs_domain_free");
            if (stallsId != 0) {
                MachineStalls.remove(stallsId); // the domain is gone: no more reports
            }
        } finally {
            life.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "Machine[" + vcpus + " vCPUs, slice " + slice + ", " + policy + (isClosed() ? ", closed" : "") + "]";
    }

    /* Runs a downcall on the live native objects. */
    private <T> T call(java.util.function.Supplier<T> body) {
        life.readLock().lock();
        try {
            if (state == Lifecycle.CLOSED) {
                throw new IllegalStateException(this + " is closed");
            }
            return body.get();
        } finally {
            life.readLock().unlock();
        }
    }

    /**
     * Records this machine's RCU domain into a trace: every grace period (a
     * span, with its FQS entry and cause), force() call and callback batch,
     * on tracks named after {@code name}, until the returned registration
     * is closed (or the machine is).
     *
     * @param trace the recorder
     * @param name the prefix of the tracks' names
     * @return the registration; {@code close()} stops recording
     * @throws IllegalStateException if the machine is closed
     */
    public Registration trace(TraceRecorder trace, String name) {
        Objects.requireNonNull(trace, "trace");
        Objects.requireNonNull(name, "name");
        GpObserver o = new GpObserver() {
            @Override
            public void gracePeriodEnded(long number, long startNanos, long durationNanos, int pol, boolean fqs,
                    int cause, int readersWaited, boolean expedited, int polls, int notifierCalls, long fqsNanos) {
                trace.gracePeriod(name, number, startNanos, durationNanos, Policy.ofNative(pol).name(),
                        fqs ? GpObserver.causeName(cause) : null, fqsNanos, readersWaited, expedited,
                        notifierCalls);
            }

            @Override
            public void batchEnded(int count, long startNanos, long durationNanos) {
                trace.callbackBatch(name, count, startNanos, durationNanos);
            }

            @Override
            public void forced() {
                trace.force(name, System.nanoTime());
            }
        };
        ObserverHub h = call(() -> {
            synchronized (this) {
                if (hub == null) {
                    hub = new ObserverHub(FfmObserver.of(dom));
                }
                hub.add(o);
                return hub;
            }
        });
        return () -> {
            // The domain is freed by close(): only remove while it lives
            // (qs_domain_free releases the observer itself).
            life.readLock().lock();
            try {
                if (state == Lifecycle.OPEN) {
                    h.remove(o);
                }
            } finally {
                life.readLock().unlock();
            }
        };
    }

    MemorySegment domainHandle() {
        return dom;
    }
}
