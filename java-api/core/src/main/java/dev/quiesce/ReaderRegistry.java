package dev.quiesce;

import dev.quiesce.RcuDomain.Reader;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.NotifierHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The readers of one {@link RcuDomain} and the domain's lifecycle: which
 * threads are registered (a {@link ThreadLocal}, with a slot cache in front
 * of it), registering and releasing them, reaping the readers of dead
 * threads, and the {@code OPEN -> CLOSING -> CLOSED} transitions.
 *
 * <p>The facade reads {@link #local} and {@link #slots} on its fast path
 * through final fields of its own (the same objects), so that
 * {@code domain.read()} does not go through this class.
 *
 * <p>Thread-safe.
 */
final class ReaderRegistry {

    /*
     * Implementation notes.
     *
     * lifecycleLock guards: registering and releasing Readers (the
     * readers set), and the OPEN -> CLOSING -> CLOSED transitions. It is
     * never held while user code runs, except during close(), when
     * qs_domain_free runs the pending callbacks on the worker: those see
     * state != OPEN (written before) and fail fast instead of taking the lock.
     *
     * The slot cache is an array indexed by the thread id's low bits (see
     * RcuDomain's notes); slots are written only on a miss, by the facade,
     * and cleared here when a Reader is released or replaced.
     */

    /** The lifecycle of a domain. */
    enum Lifecycle { OPEN, CLOSING, CLOSED }

    /** Entries of the slot cache: a power of two. */
    static final int SLOTS = 64;

    private final RcuDomain domain;
    private final BackendDomain impl;
    /* Each thread's Reader of this domain (possibly released). */
    final ThreadLocal<Reader> local = new ThreadLocal<>();
    /* The slot cache in front of `local`; racy by design. */
    final Reader[] slots = new Reader[SLOTS];
    private final Object lifecycleLock = new Object();
    /* Every registered Reader not yet released; add/remove under lifecycleLock. */
    private final Set<Reader> readers = ConcurrentHashMap.newKeySet();
    /* Written under lifecycleLock; read anywhere. */
    volatile Lifecycle state = Lifecycle.OPEN;

    /** The domain this registry belongs to. */
    RcuDomain domain() {
        return domain;
    }

    ReaderRegistry(RcuDomain domain, BackendDomain impl) {
        this.domain = domain;
        this.impl = impl;
    }

    boolean isOpen() {
        return state == Lifecycle.OPEN;
    }

    /* Registers the calling thread, unless it is registered already; returns its live Reader. */
    Reader attach() {
        if (state != Lifecycle.OPEN) {
            throw closedException("registering a reader");
        }
        Thread self = Thread.currentThread();
        reapDeadReaders();
        synchronized (lifecycleLock) {
            checkOpen("registering a reader");
            Reader old = local.get();
            if (old != null && !old.released) {
                return old;
            }
            BackendReader br = impl.registerCurrentThread();
            Reader r = new Reader(domain, self, br);
            readers.add(r);
            local.set(r);
            if (old != null) {
                unslot(old); // the next mine() caches r
            }
            return r;
        }
    }

    /* Owner thread: unregister r (idempotent), and forget it if it is still this thread's reader. */
    void unregister(Reader r, String operation) {
        if (r.depth > 0) {
            throw new IllegalStateException(operation + " inside a read section (depth " + r.depth + ")");
        }
        synchronized (lifecycleLock) {
            if (!r.released) {
                release(r);
            }
        }
        if (local.get() == r) {
            local.remove();
        }
    }

    /* The handle of a notifier of `owner`: its close() removes the notifier, from any thread. */
    Registration notifierRegistration(Reader owner, NotifierHandle handle) {
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

    /* The live Reader `t` registered, or null (stall reports; lock-free, may miss a racing registration). */
    Reader readerOf(Thread t) {
        for (Reader r : readers) {
            if (r.thread == t && !r.released) {
                return r;
            }
        }
        return null;
    }

    void reapDeadReaders() {
        boolean any = false;
        for (Reader r : readers) {
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
            for (Reader r : new ArrayList<>(readers)) {
                if (!r.thread.isAlive()) {
                    release(r);
                }
            }
        }
    }

    /*
     * RcuDomain.close(): refuse while a live thread is inside a section, else
     * release every reader and close the backend domain. Idempotent.
     */
    void close() {
        synchronized (lifecycleLock) {
            if (state == Lifecycle.CLOSED) {
                return;
            }
            List<String> busy = new ArrayList<>();
            for (Reader r : readers) {
                if (r.depth > 0 && r.thread.isAlive()) {
                    busy.add(r.thread.getName() + " (depth " + r.depth + ")");
                }
            }
            if (!busy.isEmpty()) {
                throw new IllegalStateException("cannot close " + domain + ": thread(s) " + busy
                        + " inside a read section; the domain stays open");
            }
            state = Lifecycle.CLOSING;
            try {
                for (Reader r : new ArrayList<>(readers)) {
                    release(r);
                }
            } catch (RuntimeException e) {
                // A thread entered a section while we were closing: stay open.
                state = Lifecycle.OPEN;
                throw new IllegalStateException("cannot close " + domain + ": a reader became busy while closing;"
                        + " the domain stays open", e);
            }
            impl.close();
            state = Lifecycle.CLOSED;
        }
        local.remove();
    }

    /* Caller holds lifecycleLock. A dead owner may have left a section open: end it for it. */
    private void release(Reader r) {
        if (r.depth > 0 && !r.thread.isAlive()) {
            r.depth = 1;
            r.exitOwned();
        }
        r.released = true;
        try {
            r.impl.close();
        } catch (RuntimeException e) {
            r.released = false;
            throw e;
        }
        readers.remove(r);
        unslot(r);
    }

    /* Forget r in the slot cache (it keeps r's thread and backend record reachable). */
    private void unslot(Reader r) {
        @SuppressWarnings("deprecation")
        int slot = (int) r.thread.getId() & (SLOTS - 1);
        if (slots[slot] == r) {
            slots[slot] = null;
        }
    }

    void checkOpen(String operation) {
        if (state != Lifecycle.OPEN) {
            throw closedException(operation);
        }
    }

    void checkNotInSection(String operation) {
        Reader r = local.get();
        if (r != null && r.depth > 0) {
            throw new IllegalStateException(operation + " inside a read section of the same domain would wait for"
                    + " itself (deadlock); leave the section first (depth " + r.depth + ")");
        }
    }

    IllegalStateException closedException(String operation) {
        return new IllegalStateException(operation + ": " + domain + " is "
                + (state == Lifecycle.CLOSING ? "closing" : "closed"));
    }

    /* A stale Reader of `owner` was used at depth 0: the domain closed, or the reader was released. */
    IllegalStateException staleReader(Thread owner) {
        if (state != Lifecycle.OPEN) {
            return closedException("read()");
        }
        return new IllegalStateException("the reader of thread " + owner.getName() + " was unregistered; "
                + "call read() or registerThread() again to register anew");
    }
}
