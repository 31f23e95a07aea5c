package dev.quiesce;

import dev.quiesce.spi.BackendReader;

/**
 * The state and read-side fast path of one thread's registration as a reader
 * of an {@link RcuDomain}: the nesting depth the facade keeps, the backend's
 * reader record, and entering and leaving a section. {@link RcuDomain.Reader}
 * is its public face and its only subclass (as {@code StringBuilder} is
 * {@code AbstractStringBuilder}'s): the handle a user holds is the
 * registration itself, so a section costs no extra object or load.
 *
 * <p>Owner thread only, except {@link #depth} and {@link #released} (see
 * there). The backend sees the outermost lock and unlock only.
 */
abstract class ReaderRegistration {
    final RcuDomain domain;
    final Thread thread;
    final BackendReader impl;

    /*
     * Nesting depth; owner writes, others read only to refuse a close()
     * while the thread is inside a section, or after the thread died. The
     * backend sees only 0 -> 1 (lock) and 1 -> 0 (unlock): it keeps no
     * count of its own that the facade would have to mirror.
     */
    int depth;

    /*
     * Set (under the domain's lifecycle lock) once impl is closed: by
     * unregistration, by reaping, or by the domain's close(). The owner
     * then registers anew, or gets "domain closed". Only false -> true.
     */
    volatile boolean released;

    ReaderRegistration(RcuDomain domain, Thread thread, BackendReader impl) {
        this.domain = domain;
        this.thread = thread;
        this.impl = impl;
    }

    /* Owner, through the handle: enter one level, refusing a released registration. */
    final int enterChecked() {
        int d = depth;
        if (d == 0) {
            // close() releases every reader before the domain goes away, so
            // one check of this thread's own field covers "domain closed" too.
            if (released) {
                throw domain.registry.staleReader(thread);
            }
            impl.lock();
        }
        depth = ++d;
        return d;
    }

    /*
     * Owner, through the domain: the caller found this reader live just
     * before (released only goes false -> true, and not while the owner is
     * inside a section). Enter one level; the backend only at the
     * outermost. Returns the new depth.
     */
    final int enterOwned() {
        int d = depth;
        if (d == 0) {
            impl.lock();
        }
        depth = ++d;
        return d;
    }

    /* Owner: leave the section entered at `level` (ReadSection.close()). */
    final void exit(int level) {
        if (Thread.currentThread() != thread) {
            throw notOwner("closing a read section");
        }
        if (level != depth) {
            throw outOfOrder(level);
        }
        exitOwned();
    }

    /* Owner (or the reaper, for a dead owner), depth > 0: leave one level. */
    final void exitOwned() {
        int d = depth - 1;
        depth = d;
        if (d == 0) {
            impl.unlock();
        }
    }

    final IllegalStateException notOwner(String operation) {
        return new IllegalStateException(operation + ": read sections belong to the thread that registered ("
                + thread.getName() + "), not to " + Thread.currentThread().getName());
    }

    private IllegalStateException outOfOrder(int level) {
        int d = depth;
        if (level < d) {
            return new IllegalStateException("read sections closed out of order: this section (depth " + level
                    + ") encloses " + (d - level) + " section(s) still open; close the innermost first");
        }
        return new IllegalStateException("read section (depth " + level + ") is no longer open (depth is "
                + d + ")");
    }
}
