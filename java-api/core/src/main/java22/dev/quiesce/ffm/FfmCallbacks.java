package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_batch_fn;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One domain's Java callbacks, queued as native <em>tokens</em>
 * ({@code qs_call_token}) and handed back by the worker in runs
 * ({@code qs_domain_set_batch_fn}): one upcall per run of due callbacks, not
 * one per callback, and no native head, map entry or allocation per
 * callback on the common path.
 *
 * <p>A token is a sequence number. Its callback waits in {@link #ring} at
 * {@code token & MASK}; if that slot is still taken by a callback
 * {@code RING} tokens older (more than {@code RING} callbacks pending), it
 * waits in {@link #overflow} instead and the token carries
 * {@link #OVERFLOW}. Each slot is set by exactly one producer (the one whose
 * compare-and-set from {@code null} won) and cleared by exactly one delivery
 * (of that producer's token, on the domain's one worker thread), so every
 * callback runs exactly once; the native queue keeps them in FIFO order.
 *
 * <p>Memory ordering: the producer's volatile store of the slot comes
 * before its {@code qs_call_token} downcall, whose queue push (seq_cst in
 * C) the worker's pop follows; the worker's upcall then reads the slot with
 * a volatile get-and-set. The native push/pop pair orders the two threads;
 * the volatile accesses keep the JIT from moving the slot store after the
 * downcall or the load before the upcall.
 */
final class FfmCallbacks {

    private static final int RING = 1 << 16;
    private static final int MASK = RING - 1;
    static final long OVERFLOW = Long.MIN_VALUE;

    private static final Linker LINKER = Linker.nativeLinker();
    /* Never blocks or calls back (the worker is started by the batch-fn
     * set, malloc and one futex wake at most): no thread-state transition. */
    private static final MethodHandle CALL_TOKEN = LINKER.downcallHandle(Quiesce.qs_call_token$address(),
            Quiesce.qs_call_token$descriptor(), Linker.Option.critical(false));

    /* Live domains' callbacks by id: the batch upcall's opaque argument.
     * One lookup per delivered run. */
    private static final Map<Long, FfmCallbacks> BY_ID = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_ID = new AtomicLong(1);
    static final MemorySegment BATCH_STUB = qs_batch_fn.allocate(FfmCallbacks::onBatch, Arena.global());

    private final long id = NEXT_ID.getAndIncrement();
    private final AtomicReferenceArray<Runnable> ring = new AtomicReferenceArray<>(RING);
    private final Map<Long, Runnable> overflow = new ConcurrentHashMap<>();
    private final AtomicLong nextToken = new AtomicLong();
    private final MemorySegment dom;

    /** Installs the batch function on {@code dom} (starts its worker). */
    FfmCallbacks(MemorySegment dom) {
        this.dom = dom;
        BY_ID.put(id, this);
        int rc = Quiesce.qs_domain_set_batch_fn(dom, BATCH_STUB, MemorySegment.ofAddress(id));
        if (rc != 0) {
            BY_ID.remove(id);
            ErrorCode.check(rc, "qs_domain_set_batch_fn");
        }
    }

    /* Attached (C-owned) domains' callbacks by qs_domain address. A native
     * domain takes one batch function for its life, so a detach keeps it
     * installed and the next attach of the same domain reuses it. */
    private static final Map<Long, FfmCallbacks> ATTACHED = new ConcurrentHashMap<>();

    /**
     * The callbacks of the C-owned domain {@code raw} (global scope: this
     * object outlives the attach that made it): installs a new batch function,
     * or reuses the one an earlier attach installed.
     *
     * @throws IllegalStateException if someone else set the domain's batch function
     */
    static FfmCallbacks attached(MemorySegment raw) {
        synchronized (ATTACHED) {
            FfmCallbacks mine = ATTACHED.get(raw.address());
            try {
                FfmCallbacks c = new FfmCallbacks(raw);
                // Installed: a domain freed and created again at this address.
                ATTACHED.put(raw.address(), c);
                return c;
            } catch (IllegalStateException eexist) {
                if (mine != null) {
                    return mine;
                }
                throw new IllegalStateException("callbacks need the domain's batch function, and C code set it"
                        + " already (qs_domain_set_batch_fn)", eexist);
            }
        }
    }

    /** Queues {@code callback}; nothing is queued if this throws. */
    void call(Runnable callback) {
        long seq = nextToken.getAndIncrement();
        int slot = (int) (seq & MASK);
        long token;
        if (ring.compareAndSet(slot, null, callback)) {
            token = seq;
        } else {
            overflow.put(seq, callback);
            token = seq | OVERFLOW;
        }
        int rc;
        try {
            rc = (int) CALL_TOKEN.invokeExact(dom, token);
        } catch (Throwable t) {
            unqueue(token, slot);
            throw t instanceof RuntimeException re ? re : new IllegalStateException("qs_call_token downcall failed", t);
        }
        if (rc != 0) {
            unqueue(token, slot);
            ErrorCode.check(rc, "qs_call_token");
        }
    }

    /** After {@code qs_domain_shutdown}: nothing is delivered any more. */
    void closed() {
        BY_ID.remove(id);
    }

    private void unqueue(long token, int slot) {
        if (token < 0) {
            overflow.remove(token & ~OVERFLOW);
        } else {
            ring.set(slot, null);
        }
    }

    private Runnable take(long token) {
        if (token < 0) {
            return overflow.remove(token & ~OVERFLOW);
        }
        int slot = (int) (token & MASK);
        // Only this delivery clears the slot, and no producer can store into
        // it before the clear (their compare-and-set expects null): a
        // volatile read and a release store suffice, no locked exchange.
        // The release orders the task's read before the slot's reuse.
        Runnable task = ring.get(slot);
        ring.lazySet(slot, null);
        return task;
    }

    /* qs_batch_fn: a run of due tokens, on the native worker. */
    private static void onBatch(MemorySegment opaque, MemorySegment tokens, int n) {
        try {
            FfmCallbacks cbs = BY_ID.get(opaque.address());
            if (cbs == null) {
                return;
            }
            MemorySegment all = tokens.reinterpret(n * Long.BYTES);
            for (int i = 0; i < n; i++) {
                Runnable task = cbs.take(all.getAtIndex(ValueLayout.JAVA_LONG, i));
                if (task == null) {
                    continue;
                }
                try {
                    task.run();
                } catch (Throwable t) {
                    // The facade's tasks catch their own; keep the others running.
                    FfmUpcalls.lastResort("callback", t);
                }
            }
        } catch (Throwable t) {
            FfmUpcalls.lastResort("callback batch", t);
        }
    }
}
