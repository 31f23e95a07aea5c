package dev.quiesce;

import dev.quiesce.spi.BackendReader;

/**
 * One thread's registration with one domain: the facade's side of a backend
 * reader. Reached through the domain's ThreadLocal, so only the owner thread
 * touches the fields marked "owner".
 */
final class ThreadReader {
    final RcuDomain domain;
    final Thread thread;
    final BackendReader impl;

    /*
     * Nesting depth; owner writes, others read only to refuse a close() while
     * the thread is inside a section, or after the thread died. The backend
     * sees only 0 -> 1 (lock) and 1 -> 0 (unlock).
     */
    int depth;

    /*
     * Set (under the domain's lifecycle lock) once impl is closed: by
     * unregisterThread(), by reaping, or by the domain's close(). The owner
     * then registers anew, or gets "domain closed".
     */
    volatile boolean released;

    ThreadReader(RcuDomain domain, Thread thread, BackendReader impl) {
        this.domain = domain;
        this.thread = thread;
        this.impl = impl;
    }

    /* Owner: enter one level; the backend only at the outermost. */
    void lock() {
        int d = depth;
        if (d == 0) {
            // close() releases every reader before the domain goes away, so
            // one check of this thread's own field covers "domain closed" too.
            if (released) {
                throw domain.staleReader(this);
            }
            impl.lock();
        }
        depth = d + 1;
    }

    ReadSection enter() {
        lock();
        return new ReadSection(this, depth);
    }

    /* Owner: leave the section entered at `level`. */
    void exit(int level) {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("a read section must be closed by the thread that opened it ("
                    + thread.getName() + "), not by " + Thread.currentThread().getName());
        }
        int d = depth;
        if (level != d) {
            if (level < d) {
                throw new IllegalStateException("read sections closed out of order: this section (depth " + level
                        + ") encloses " + (d - level) + " section(s) still open; close the innermost first");
            }
            throw new IllegalStateException("read section (depth " + level + ") is no longer open (depth is " + d
                    + ")");
        }
        unlock();
    }

    void unlock() {
        int d = depth;
        depth = d - 1;
        if (d == 1) {
            impl.unlock();
        }
    }
}
