package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_notifier;
import dev.quiesce.bindings.qs_reader;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.NotifierHandle;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The read side of one thread, run on its native {@code qs_reader} record
 * directly: the Java twin of the inline {@code qs_read_lock} /
 * {@code qs_read_unlock} in {@code <quiesce/read.h>}. No downcall on the
 * fast path; the unlock slow path (the writer asked to be woken) is one
 * downcall to {@code qs_read_unlock_slow}.
 */
final class FfmReadSide implements BackendReader {

    /*
     * Memory-ordering argument (keep in step with read.h and
     * wait_for_readers in native/runtime/domain.c).
     *
     * Fields of qs_reader touched here: ctr (owner stores, writer loads),
     * waiting (writer stores, owner loads and the slow path clears). The
     * nesting count stays in the facade (lock() and unlock() here run only
     * for the outermost section); the C side tests "inside a section" on
     * ctr != 0, so the record's depth field is left at 0. gp_ctr is the domain's counter, advanced by the
     * writer under its mutex; a relaxed (opaque) load of it is enough because
     * what matters is ordered by the barriers below.
     *
     * lock:   ctr := gp_ctr (setRelease), then BARRIER A, then the section's
     *         loads (RcuReference.get: getAcquire of the published value).
     *         A keeps the ctr store before every load of the section. It pairs
     *         with the writer's barrier between publishing (advancing gp_ctr)
     *         and scanning ctr: either the writer's scan sees this reader
     *         active with an old ctr and waits for it, or the reader's loads
     *         see the new pointers.
     * unlock: the section's loads, then ctr := 0 (setRelease: no load of the
     *         section may move after it, so a writer that sees 0 may reclaim),
     *         then BARRIER B, then load `waiting`. B orders the ctr store
     *         before the `waiting` load; the writer stores `waiting`, issues its
     *         barrier, then loads ctr. Store-barrier-load on both sides: at
     *         least one sees the other's store, so either the writer sees
     *         ctr == 0 or we see `waiting` and wake it (no lost wake-up).
     *
     * What A and B are:
     *  - QS_FENCE_FULL: VarHandle.fullFence(), a sequentially consistent
     *    fence (lock-prefixed instruction on x86), like
     *    atomic_thread_fence(seq_cst) in read.h.
     *  - QS_FENCE_MEMBARRIER: the writer runs membarrier(2)
     *    (private expedited) between its store and its load, which executes
     *    a full barrier on every CPU running a thread of this process, the
     *    JVM's threads included. The reader then needs only a compiler
     *    barrier: the JIT must not move the section's loads above the ctr
     *    store (A), nor the `waiting` load above the ctr := 0 store (B).
     *    Two things guarantee it. (1) The ctr stores are release-mode
     *    VarHandle accesses on a native segment: C2 compiles a non-plain
     *    access through Unsafe on off-heap memory with CPU-order memory
     *    barriers around it (MemBarCPUOrder on the whole memory state), and C1
     *    and the interpreter keep program order. (2) We do not rely on (1)
     *    alone: BARRIER A/B in this mode is VarHandle.acquireFence(), which
     *    C2 turns into a MemBar on the whole memory state (no later load can
     *    be scheduled above it) and which emits no instruction on x86 (TSO
     *    already keeps loads ordered after loads). So it costs nothing at run
     *    time and is exactly atomic_signal_fence(seq_cst) with respect to the
     *    loads that follow. (The JMM alone does not order a store before a
     *    later load without a full fence; here the membarrier supplies the
     *    hardware half of that, as in C.)
     *
     * Cost and lifetime. The four accesses of a section go through ALL, one
     * constant segment over the whole address space, at absolute addresses:
     * C2 folds its bounds and liveness checks away, leaving an alignment test
     * (measured with JMH: 1.3 ns for the four, against 3.8 ns through
     * per-record segments, whose bounds, alignment and liveness checks run on
     * every access; each further access, such as mirroring the depth into
     * the record, cost another ~0.6 ns). What makes raw addresses safe is that
     * the memory cannot be freed while this thread can still reach it:
     *  - unregistering retires the record (qs_reader_retire: writers stop
     *    looking at it, any thread may do it, even during a section) and
     *    frees nothing; a store by a racing owner lands in memory that no
     *    writer reads;
     *  - the record is freed at once when the owner itself unregisters or
     *    is dead (nobody else calls lock()/unlock(), and the facade refuses
     *    the owner's next section before it reaches them); when another
     *    thread closes it under a live owner, by a Cleaner once this object
     *    is unreachable, i.e. once no thread can run lock()/unlock() on it;
     *  - gp_ctr lives in the domain, which this object keeps reachable; the
     *    domain's memory is freed by close() only when none of its records
     *    was left to a Cleaner, else by FfmDomain's own Cleaner, so the
     *    gp_ctr load never reads freed memory.
     * A retired record keeps `waiting` set: every later unlock takes the
     * slow path and throws IllegalStateException there. That reports an
     * owner whose section lost its protection because another thread
     * closed the domain under it (the facade refuses new sections of a
     * released registration before they reach lock()).
     */

    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long CTR = qs_reader.ctr$offset();
    private static final long WAITING = qs_reader.waiting$offset();
    private static final int FENCE_MEMBARRIER = Quiesce.QS_FENCE_MEMBARRIER();

    /* The slow path: clear waiting, count, wake the writer. Short, never blocks. */
    private static final MethodHandle UNLOCK_SLOW = Linker.nativeLinker().downcallHandle(
            Quiesce.qs_read_unlock_slow$address(), Quiesce.qs_read_unlock_slow$descriptor(),
            Linker.Option.critical(false));

    /* Keeps the domain (and with it gp_ctr's memory) reachable while this reader is. */
    private final FfmDomain domain;
    /* The record (global scope), for downcalls off the fast path. */
    private final MemorySegment raw;
    /* Its address and that of the domain's gp_ctr, for accesses through ALL. */
    private final long rec;
    private final long gpCtr;
    private final boolean fullFence;
    /* Frees the record once this object is unreachable, if it was retired. */
    private final RecordMemory memory;
    /* Set once by close() (any thread), before the record is retired. */
    private volatile boolean retired;
    /* The registering thread: the only one that runs lock()/unlock(). */
    private final Thread owner;
    private final Set<Notifier> notifiers = ConcurrentHashMap.newKeySet();

    FfmReadSide(FfmDomain domain, MemorySegment raw) {
        this.domain = domain;
        this.raw = raw.reinterpret(qs_reader.sizeof());
        this.rec = raw.address();
        this.gpCtr = qs_reader.gp_ctr(this.raw).address();
        this.fullFence = qs_reader.fence_mode(this.raw) != FENCE_MEMBARRIER;
        this.owner = Thread.currentThread(); // registerCurrentThread runs on the owner
        this.memory = new RecordMemory(rec);
        FfmUpcalls.CLEANER.register(this, memory);
    }

    @Override
    public void lock() {
        long g = (long) LONG.getOpaque(ALL, gpCtr);
        LONG.setRelease(ALL, rec + CTR, g);
        barrier(); // BARRIER A
    }

    @Override
    public void unlock() {
        long r = rec;
        LONG.setRelease(ALL, r + CTR, 0L);
        barrier(); // BARRIER B
        if ((int) INT.getOpaque(ALL, r + WAITING) != 0) {
            unlockSlow();
        }
    }

    /** The native record (global scope), for tests that compare with the C read side. */
    MemorySegment record() {
        return raw;
    }

    private void barrier() {
        if (fullFence) {
            VarHandle.fullFence();
        } else {
            VarHandle.acquireFence();
        }
    }

    private void unlockSlow() {
        if (retired) {
            // qs_reader_retire left `waiting` set to get us here (and no
            // writer will clear it: every unlock of this record ends here).
            throw new IllegalStateException("this thread's registration was closed by another thread (the domain"
                    + " was closed?) while the thread was inside a read section: from then on the section did not"
                    + " hold up grace periods");
        }
        // A racing retirement is fine: on a retired record the C slow path only clears `waiting`.
        try {
            UNLOCK_SLOW.invokeExact(raw);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public NotifierHandle addNotifier(Runnable task) {
        long id = FfmUpcalls.NEXT_NOTIFIER_ID.getAndIncrement();
        MemorySegment n = FfmUpcalls.malloc(qs_notifier.sizeof());
        qs_notifier.fn(n, FfmUpcalls.NOTIFY_STUB);
        qs_notifier.opaque(n, MemorySegment.ofAddress(id));
        FfmUpcalls.NOTIFIERS.put(id, task);
        int rc = Quiesce.qs_notifier_add(raw, n);
        if (rc < 0) {
            FfmUpcalls.NOTIFIERS.remove(id);
            FfmUpcalls.free(n);
            ErrorCode.check(rc, "qs_notifier_add");
        }
        Notifier handle = new Notifier(id, n);
        notifiers.add(handle);
        return handle;
    }

    @Override
    public void close() {
        if (retired) {
            return;
        }
        // Before the retirement: an owner sent to the slow path by it sees this.
        retired = true;
        // Writers stop looking at the record; its memory stays (see above).
        int rc = Quiesce.qs_reader_retire(raw);
        if (rc != 0) {
            retired = false;
            ErrorCode.check(rc, "qs_reader_retire");
        }
        if (Thread.currentThread() == owner || !owner.isAlive()) {
            // No thread can be inside lock()/unlock() now, nor enter them
            // (the facade checks its released flag first): free at once.
            ErrorCode.check(Quiesce.qs_reader_free(raw), "qs_reader_free");
        } else {
            // The owner may be racing into lock(): the Cleaner frees it.
            memory.retired = true;
            domain.deferredRecords.incrementAndGet();
        }
        // qs_reader_retire unlinked the notifiers; none is running.
        for (Notifier n : notifiers) {
            n.release();
        }
        notifiers.clear();
    }

    /* The Cleaner's action: must not refer to the FfmReadSide. */
    private static final class RecordMemory implements Runnable {
        private final long address;
        /* Only a retired record may be freed; a registered one (its domain
         * was never closed) is left to the domain. */
        volatile boolean retired;

        RecordMemory(long address) {
            this.address = address;
        }

        @Override
        public void run() {
            if (retired) {
                Quiesce.qs_reader_free(MemorySegment.ofAddress(address));
            }
        }
    }

    private final class Notifier implements NotifierHandle {
        private final long id;
        private final MemorySegment mem;
        private boolean released;

        Notifier(long id, MemorySegment mem) {
            this.id = id;
            this.mem = mem;
        }

        @Override
        public synchronized void remove() {
            if (released) {
                return;
            }
            ErrorCode.check(Quiesce.qs_notifier_remove(raw, mem), "qs_notifier_remove");
            notifiers.remove(this);
            release();
        }

        synchronized void release() {
            if (!released) {
                released = true;
                FfmUpcalls.NOTIFIERS.remove(id);
                FfmUpcalls.free(mem);
            }
        }
    }
}
