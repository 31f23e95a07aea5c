package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_stats;
import dev.quiesce.internal.GpObserver;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.internal.NativeStalls;
import dev.quiesce.spi.RawStats;
import dev.quiesce.spi.StallInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One {@code qs_domain} reached through FFM.
 *
 * <p>The domain pointer handed to downcalls lives in a shared arena: the
 * linker keeps that arena acquired for the length of each downcall, so
 * {@link #close()} cannot free the domain under a {@code qs_synchronize},
 * {@code qs_drain} or {@code qs_call} still running on another thread (it
 * waits for them), and calls that come later fail with an
 * {@link IllegalStateException} instead of touching freed memory.
 *
 * <p>An <em>attached</em> domain (issue 13: {@code RcuDomain.attach},
 * {@code nativeDefault}) wraps a {@code qs_domain} that C owns: its
 * {@link #close()} waits for the callbacks queued through it and frees
 * nothing of the native domain.
 */
final class FfmDomain implements BackendDomain, GpObserver.Observable {

    private static final Linker LINKER = Linker.nativeLinker();
    /* A tiny downcall that neither blocks nor calls back: no thread-state
     * transition. (qs_force is no longer one: with an observer installed it
     * calls on_force, and a critical downcall must not upcall.) */
    private static final MethodHandle STATS_GET = LINKER.downcallHandle(Quiesce.qs_stats_get$address(),
            Quiesce.qs_stats_get$descriptor(), Linker.Option.critical(false));

    /* Global scope: for qs_domain_shutdown only, after `arena` is closed. */
    private final MemorySegment raw;
    final Arena arena = Arena.ofShared();
    /* The domain pointer, in `arena`. */
    final MemorySegment dom;
    /* Frees the domain's memory once this object is unreachable, if it was shut down. */
    private final DomainMemory memory;
    /* Readers retired under a live owner and left to their Cleaner: they keep
     * gp_ctr's memory in use, so close() then leaves the domain's to ours. */
    final AtomicInteger deferredRecords = new AtomicInteger();
    /* The native observer's id (FfmObserver), 0: none. Guarded by `this`. */
    private long observerId;
    /* Stall reports: tid -> Java thread, and this domain's sink by id. */
    private final NativeStalls stalls = new NativeStalls();
    /* Java callbacks as native tokens; null until the first call(). */
    private volatile FfmCallbacks callbacks;
    /* false: attached, C owns the native domain (close() detaches). */
    private final boolean owned;

    /* The qs_domain addresses open in an FfmDomain of this JVM: a native
     * domain is wrapped at most once (a thread has one reader per domain,
     * and a facade cannot see the sections of another). */
    private static final Set<Long> OPEN = ConcurrentHashMap.newKeySet();

    FfmDomain(MemorySegment raw) {
        this(raw, true);
    }

    /**
     * @throws IllegalStateException if {@code raw} is already open in this JVM
     */
    FfmDomain(MemorySegment raw, boolean owned) {
        if (!OPEN.add(raw.address())) {
            throw new IllegalStateException(String.format("qs_domain 0x%x is already open in an RcuDomain of this"
                    + " JVM (nativeDefault(), attach() or the domain that owns it): use that one", raw.address()));
        }
        this.raw = raw;
        this.owned = owned;
        this.dom = raw.reinterpret(arena, null);
        this.memory = new DomainMemory(raw.address());
        if (owned) {
            FfmUpcalls.CLEANER.register(this, memory);
        }
    }

    @Override
    public MemorySegment nativeHandle() {
        return raw;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return FfmNativeMemory.allocate(byteSize, byteAlignment);
    }

    @Override
    public void retire(MemorySegment target, MemorySegment freeFunction) {
        // `dom` (the arena's segment): close() waits for this call to return.
        FfmNativeMemory.retire(dom, target, freeFunction);
    }

    @Override
    public BackendReader registerCurrentThread() {
        MemorySegment rec;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(Quiesce.C_POINTER);
            ErrorCode.check(Quiesce.qs_reader_new(dom, out), "qs_reader_new");
            rec = out.get(Quiesce.C_POINTER, 0);
        }
        /* qs_reader_new noted this thread's kernel tid; the same tid names it in stall reports. */
        stalls.registered(FfmStalls.currentTid());
        return new FfmReadSide(this, rec);
    }

    @Override
    public void synchronize() {
        ErrorCode.check(Quiesce.qs_synchronize(dom), "qs_synchronize");
    }

    @Override
    public void call(Runnable callback) {
        callbacks().call(callback);
    }

    /* Created on the first call (it starts the domain's worker). */
    private FfmCallbacks callbacks() {
        FfmCallbacks c = callbacks;
        if (c == null) {
            synchronized (this) {
                c = callbacks;
                if (c == null) {
                    c = owned ? new FfmCallbacks(dom) : FfmCallbacks.attached(raw);
                    callbacks = c;
                }
            }
        }
        return c;
    }

    @Override
    public void drain() {
        ErrorCode.check(Quiesce.qs_drain(dom), "qs_drain");
    }

    @Override
    public void force() {
        // Not critical: with an observer installed, qs_force upcalls (on_force).
        Quiesce.qs_force(dom);
    }

    @Override
    public synchronized void setObserver(GpObserver observer) {
        observerId = FfmObserver.install(dom, observer, observerId);
    }

    /* Polled GPs: plain downcalls (qs_poll_state takes a mutex, never waits for a GP). */
    @Override
    public long gpState() {
        return Quiesce.qs_get_state(dom);
    }

    @Override
    public long startPoll() {
        return Quiesce.qs_start_poll(dom);
    }

    @Override
    public boolean pollState(long cookie) {
        return Quiesce.qs_poll_state(dom, cookie);
    }

    @Override
    public void condSynchronize(long cookie) {
        Quiesce.qs_cond_synchronize(dom, cookie);
    }

    @Override
    public void setStallSink(Consumer<StallInfo> sink) {
        if (sink == null) {
            ErrorCode.check(Quiesce.qs_set_stall_handler(dom, MemorySegment.NULL, MemorySegment.NULL),
                    "qs_set_stall_handler");
            stalls.sink(null);
            return;
        }
        stalls.sink(sink);
        ErrorCode.check(Quiesce.qs_set_stall_handler(dom, FfmStalls.STUB, MemorySegment.ofAddress(stalls.id())),
                "qs_set_stall_handler");
    }

    @Override
    public RawStats stats() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = qs_stats.allocate(a);
            try {
                STATS_GET.invokeExact(dom, s);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            return new RawStats(qs_stats.gps(s), qs_stats.gps_fqs(s),
                    qs_stats.fqs_by_cause(s).toArray(ValueLayout.JAVA_LONG), qs_stats.polls(s),
                    qs_stats.slow_unlocks(s), qs_stats.notifier_calls(s), qs_stats.callbacks_queued(s),
                    qs_stats.callbacks_run(s), qs_stats.drains(s), qs_stats.forces(s), qs_stats.syncs(s),
                    qs_stats.gp_lat_max_ns(s), qs_stats.gp_lat_sum_ns(s),
                    qs_stats.gp_lat_hist(s).toArray(ValueLayout.JAVA_LONG), qs_stats.retired_pending(s),
                    qs_stats.retired_pending_bytes(s), qs_stats.retired_freed(s), qs_stats.retired_freed_bytes(s),
                    qs_stats.gps_no_readers(s), qs_stats.stalls(s));
        }
    }

    @Override
    public void close() {
        if (!owned) {
            // Detach: the callbacks queued through this domain run first
            // (qs_drain also covers C's); the native domain, its worker and
            // its batch function stay (FfmCallbacks.attached reuses it).
            ErrorCode.check(Quiesce.qs_drain(dom), "qs_drain");
        }
        // Wait for downcalls still running on other threads (they hold the
        // arena acquired); the facade already refuses new ones.
        for (;;) {
            try {
                arena.close();
                break;
            } catch (IllegalStateException inUse) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for calls on the domain to return", e);
                }
            }
        }
        OPEN.remove(raw.address());
        if (!owned) {
            return;
        }
        // Callbacks run, worker stopped. The memory stays if a reader was
        // retired under a live owner, who may still load gp_ctr by raw
        // address (see FfmReadSide): that reader keeps this object reachable,
        // and the Cleaner frees the domain after it.
        ErrorCode.check(Quiesce.qs_domain_shutdown(raw), "qs_domain_shutdown");
        // No GP runs after the shutdown: no stall report can come any more.
        stalls.sink(null);
        FfmCallbacks c = callbacks;
        if (c != null) {
            c.closed(); // shutdown delivered every token
        }
        if (deferredRecords.get() == 0) {
            // Every reader was freed by its owner (or after its owner died):
            // nobody can load gp_ctr any more.
            ErrorCode.check(Quiesce.qs_domain_free(raw), "qs_domain_free");
        } else {
            memory.shutDown = true;
        }
    }

    /* The Cleaner's action: must not refer to the FfmDomain. */
    private static final class DomainMemory implements Runnable {
        private final long address;
        /* Only a shut-down domain may be freed (one never closed keeps its worker). */
        volatile boolean shutDown;

        DomainMemory(long address) {
            this.address = address;
        }

        @Override
        public void run() {
            if (shutDown) {
                Quiesce.qs_domain_free(MemorySegment.ofAddress(address));
            }
        }
    }
}
