package dev.quiesce.purejava;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A registered reader of a {@link PureDomain}: one per thread per domain
 * ({@code qs_reader}). The read-side critical section is
 * {@link #lock()} ... {@link #unlock()}, nestable; only the outermost pair
 * touches shared memory.
 *
 * <p>Sample usage:
 * <pre>{@code
 * PureReader r = domain.register();       // once per thread
 * r.lock();
 * try {
 *     Node n = head.getAcquire();         // read RCU-protected data
 *     ...
 * } finally {
 *     r.unlock();
 * }
 * }</pre>
 *
 * <p>Memory consistency effects: everything a writer did before it unlinked
 * an object and called {@link PureDomain#synchronize()} (or queued a
 * callback) is visible in every section that can still see the object; and
 * every section that saw the object has ended before the synchronize()
 * returns (or the callback runs).
 *
 * <p>Not thread-safe: {@link #lock()}, {@link #unlock()} and the notifier
 * methods belong to the owning thread (the one that registered). {@link
 * #close()} may be called by another thread once the owner is outside every
 * section and that is ordered (for example by joining the owner).
 */
public final class PureReader extends ReaderPadAfter implements AutoCloseable {
    /*
     * Ordering argument (pairs with PureDomain.waitForReaders; the same as
     * native/include/quiesce/read.h with QS_FENCE_FULL, because Java has
     * no membarrier(2): the read side always pays a full fence on the
     * outermost lock and unlock).
     *
     *   lock:   store-release ctr := gpCtr, then BARRIER A (fullFence), then
     *           the section's loads. A keeps the ctr store before every
     *           load inside the section. The writer publishes, issues W1
     *           (fullFence), advances gpCtr and loads ctr: both sides
     *           store-then-load with a full fence between (Dekker), so
     *           either the writer sees the reader active (and waits) or the
     *           reader's loads see the new pointers. A reader that read a
     *           stale gpCtr is classified ACTIVE_OLD and waited for: safe.
     *   unlock: the section's loads, store-release ctr := 0, BARRIER B
     *           (fullFence), then load `waiting`. The writer stores
     *           `waiting`, issues W2 (fullFence), then loads ctr: again
     *           store-then-load on both sides, so either the writer sees
     *           ctr == 0 or the reader sees `waiting` and sets the GP event
     *           (no lost wake-up). The release store of 0 paired with the
     *           writer's acquire load of ctr orders the section's loads
     *           before the reclamation.
     */
    private static final VarHandle CTR;
    private static final VarHandle WAITING;
    private static final VarHandle SLOW_UNLOCKS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CTR = l.findVarHandle(ReaderHotFields.class, "ctr", long.class);
            WAITING = l.findVarHandle(ReaderHotFields.class, "waiting", int.class);
            SLOW_UNLOCKS = l.findVarHandle(ReaderHotFields.class, "slowUnlocks", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PureDomain domain;
    private final Thread owner;
    /** Still to be checked by the running GP. Guarded by the domain's registry lock. */
    boolean inCheck;
    /** Registered (false once closed). Guarded by the domain's registry lock. */
    boolean registered = true;
    /** Force-notifier calls on this reader during the current GP (stall reports). Guarded by the domain's registry lock. */
    long kicks;
    /** Force notifiers, in the order added. Guarded by the domain's registry lock. */
    final List<ForceNotifier> notifiers = new ArrayList<>(1);

    PureReader(PureDomain domain, Thread owner) {
        this.domain = domain;
        this.owner = owner;
    }

    /**
     * {@return the domain this reader is registered with}
     */
    public PureDomain domain() {
        return domain;
    }

    /**
     * {@return the thread that registered this reader}
     */
    public Thread owner() {
        return owner;
    }

    /** Enter a read-side critical section (nestable). Mirrors {@code qs_read_lock}. */
    public void lock() {
        int d = depth;
        depth = d + 1;
        if (d == 0) {
            /* gpCtr only changes under the writer's locks; opaque is enough,
             * the fence below orders what matters. */
            long g = domain.gpCtrOpaque();
            CTR.setRelease(this, g);
            VarHandle.fullFence(); /* BARRIER A */
        }
    }

    /**
     * Leave a read-side critical section. Mirrors {@code qs_read_unlock}.
     *
     * @throws IllegalStateException if not inside a section
     */
    public void unlock() {
        int d = depth - 1;
        if (d < 0) {
            throw new IllegalStateException("unlock outside a read-side critical section");
        }
        depth = d;
        if (d == 0) {
            CTR.setRelease(this, 0L);
            VarHandle.fullFence(); /* BARRIER B */
            if ((int) WAITING.getOpaque(this) != 0) {
                unlockSlow();
            }
        }
    }

    /** The slow path: clear {@code waiting}, count, wake the writer. Mirrors {@code qs_read_unlock_slow}. */
    private void unlockSlow() {
        /* Clear first: a writer that re-arms later sets it again. */
        WAITING.setOpaque(this, 0);
        /* Owner-only writer: load + store is enough. */
        SLOW_UNLOCKS.setOpaque(this, (long) SLOW_UNLOCKS.getOpaque(this) + 1);
        /* A volatile store: our ctr := 0 is visible before the writer wakes. */
        domain.gpEvent().set();
    }

    /**
     * Nesting depth; meaningful on the owning thread only.
     *
     * @return the depth
     */
    public int depth() {
        return depth;
    }

    /**
     * True inside a section; meaningful on the owning thread only.
     *
     * @return the in section
     */
    public boolean inSection() {
        return depth > 0;
    }

    /**
     * Unlocks of this reader that took the slow path.
     *
     * @return the slow unlocks
     */
    public long slowUnlocks() {
        return (long) SLOW_UNLOCKS.getOpaque(this);
    }

    /* ---- used by the writer (PureDomain), registry lock held ---- */

    long ctrAcquire() {
        return (long) CTR.getAcquire(this);
    }

    void setWaiting(boolean w) {
        WAITING.setOpaque(this, w ? 1 : 0);
    }

    boolean waiting() {
        return (int) WAITING.getOpaque(this) != 0;
    }

    /**
     * Add a force notifier. Mirrors {@code qs_notifier_add}.
     *
     * @param n how many
     * @return false if it was already added (C: {@code -EEXIST})
     */
    public boolean addNotifier(ForceNotifier n) {
        Objects.requireNonNull(n, "notifier");
        return domain.notifierAdd(this, n);
    }

    /**
     * Remove a force notifier. Mirrors {@code qs_notifier_remove}.
     *
     * @param n how many
     * @return false if it was not there (C: {@code -ENOENT})
     */
    public boolean removeNotifier(ForceNotifier n) {
        return domain.notifierRemove(this, n);
    }

    /**
     * Unregister. Mirrors {@code qs_reader_free}; idempotent.
     *
     * @throws PureStateException inside a section (C: {@code -EBUSY}); nothing changes
     */
    @Override
    public void close() {
        if (depth > 0) {
            throw new PureStateException(PureStateException.EBUSY, "reader is inside a read-side critical section");
        }
        domain.unregister(this);
    }

    @Override
    public String toString() {
        return "PureReader[owner=" + owner.getName() + ", depth=" + depth + "]";
    }
}
