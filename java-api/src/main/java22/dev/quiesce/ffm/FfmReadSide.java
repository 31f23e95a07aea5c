package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_notifier;
import dev.quiesce.bindings.qs_reader;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.NotifierHandle;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The read side of one thread, run on its native {@code qs_reader} record
 * through a {@link MemorySegment}: the Java twin of the inline
 * {@code qs_read_lock} / {@code qs_read_unlock} in {@code <quiesce/read.h>}.
 * No downcall on the fast path; the unlock slow path (the writer asked to be
 * woken) is one downcall to {@code qs_read_unlock_slow}.
 */
final class FfmReadSide implements BackendReader {

    /*
     * Memory-ordering argument (keep in step with read.h and
     * wait_for_readers in native/runtime/domain.c).
     *
     * Fields of qs_reader touched here: depth (owner only, plain), ctr
     * (owner stores, writer loads), waiting (writer stores, owner loads and
     * the slow path clears). gp_ctr is the domain's counter, advanced by the
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
     * Lifetime: the record lives in a shared arena per reader and gp_ctr in
     * the domain's shared arena. Releasing the reader closes its arena first
     * (a handshake with every thread): from then on a racing access by the
     * owner throws IllegalStateException instead of writing freed memory.
     * (A global-scope segment would not be cheaper: its accesses run the same
     * session check, against the always-open global session; measured equal.)
     *
     * Cost: each segment access carries a bounds, alignment and liveness
     * check, so the fast path makes as few as it can. `depth` is mirrored in
     * the owner-only Java field `depth`: the native field is written (the C
     * side reads it: qs_reader_free's EBUSY, synchronize's "inside a section"
     * check) but never read back here. The outermost lock and unlock are
     * three accesses each (depth, gp_ctr/ctr, ctr/waiting); nested ones one.
     */

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long CTR = qs_reader.ctr$offset();
    private static final long DEPTH = qs_reader.depth$offset();
    private static final long WAITING = qs_reader.waiting$offset();
    private static final int FENCE_MEMBARRIER = Quiesce.QS_FENCE_MEMBARRIER();

    /* The slow path: clear waiting, count, wake the writer. Short, never blocks. */
    private static final MethodHandle UNLOCK_SLOW = Linker.nativeLinker().downcallHandle(
            Quiesce.qs_read_unlock_slow$address(), Quiesce.qs_read_unlock_slow$descriptor(),
            Linker.Option.critical(false));

    private final FfmDomain domain;
    /* Global scope: for qs_reader_free and notifiers, never on the fast path. */
    private final MemorySegment raw;
    private final Arena arena = Arena.ofShared();
    /* The record, in `arena`. */
    private final MemorySegment rec;
    /* The domain's gp_ctr, in the domain's arena. */
    private final MemorySegment gpCtr;
    private final boolean fullFence;
    /* The owner's nesting depth, mirrored into the record's depth field. Owner only. */
    private int depth;
    private final Set<Notifier> notifiers = ConcurrentHashMap.newKeySet();

    FfmReadSide(FfmDomain domain, MemorySegment raw) {
        this.domain = domain;
        this.raw = raw.reinterpret(qs_reader.sizeof());
        this.rec = raw.reinterpret(qs_reader.sizeof(), arena, null);
        this.gpCtr = qs_reader.gp_ctr(this.raw).reinterpret(Long.BYTES, domain.arena, null);
        this.fullFence = qs_reader.fence_mode(this.raw) != FENCE_MEMBARRIER;
    }

    @Override
    public void lock() {
        MemorySegment r = rec;
        int d = depth;
        INT.set(r, DEPTH, d + 1); // throws once the reader was released
        depth = d + 1;
        if (d == 0) {
            long g = (long) LONG.getOpaque(gpCtr, 0L);
            LONG.setRelease(r, CTR, g);
            barrier(); // BARRIER A
        }
    }

    @Override
    public void unlock() {
        MemorySegment r = rec;
        int d = depth - 1;
        INT.set(r, DEPTH, d);
        depth = d;
        if (d == 0) {
            LONG.setRelease(r, CTR, 0L);
            barrier(); // BARRIER B
            if ((int) INT.getOpaque(r, WAITING) != 0) {
                unlockSlow(r);
            }
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

    private static void unlockSlow(MemorySegment r) {
        try {
            UNLOCK_SLOW.invokeExact(r);
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
        int rc = Quiesce.qs_notifier_add(rec, n);
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
        // Handshake: after this no thread can reach the record through `rec`.
        arena.close();
        if (qs_reader.depth(raw) > 0) {
            // The owner entered a section after the facade found it idle and
            // before the handshake; it can no longer touch the record, so end
            // its section for it (its next access throws).
            qs_reader.depth(raw, 0);
            LONG.setRelease(raw, CTR, 0L);
            VarHandle.fullFence();
            if ((int) INT.getOpaque(raw, WAITING) != 0) {
                unlockSlow(raw);
            }
        }
        ErrorCode.check(Quiesce.qs_reader_free(raw), "qs_reader_free");
        for (Notifier n : notifiers) {
            n.release();
        }
        notifiers.clear();
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
