package dev.quiesce;

/**
 * An open read-side critical section of an {@link RcuDomain}, returned by
 * {@link RcuDomain#read()} (or {@link RcuDomain.Reader#read()}) and closed by
 * {@link #close()} (use try-with-resources). Sections nest; they must be closed innermost first, by
 * the thread that opened them.
 *
 * <p>While a section is open, objects read through an {@link RcuReference} of
 * the domain stay valid: no grace period that began after the section was
 * entered can end before it is closed, so reclamation waits.
 *
 * <p>Not thread-safe: it belongs to the opening thread.
 */
public final class ReadSection implements AutoCloseable {

    /*
     * The thread's reader; level = its depth right after this section was
     * entered (1 = outermost). A fresh object per section (escape analysis
     * removes it when the section is opened and closed in one compiled
     * method): a reused one could not tell a stale second close() apart.
     */
    private final RcuDomain.Reader reader;
    private final int level;
    /* Set once by close(); owner thread only. */
    private boolean closed;
    /* Ends the lifetime of the views RcuPointer.view handed out in this
     * section (closes their confined arena); null until the first view.
     * Owner thread only. */
    private Runnable viewScope;

    ReadSection(RcuDomain.Reader reader, int level) {
        this.reader = reader;
        this.level = level;
    }

    /**
     * Leaves the section. Leaving the outermost section ends the thread's
     * read-side critical section.
     *
     * @throws IllegalStateException if this section is already closed, if an
     *         inner section opened after it is still open (nothing changes then:
     *         close the inner one first), or if called by another thread
     */
    @Override
    public void close() {
        if (closed) {
            throw alreadyClosed();
        }
        reader.exit(level);
        closed = true;
        Runnable scope = viewScope;
        if (scope != null) {
            // After the exit: a view's memory may be freed by the next grace
            // period, but its accesses check this scope (confined: same
            // thread, no handshake), and nothing reads between the two.
            viewScope = null;
            scope.run();
        }
    }

    /* For RcuPointer.view: the section's view scope, or null. */
    Runnable viewScope() {
        return viewScope;
    }

    void viewScope(Runnable scope) {
        viewScope = scope;
    }

    private static IllegalStateException alreadyClosed() {
        return new IllegalStateException("read section already closed (closed twice, or unlock without lock)");
    }

    /**
     * {@return whether this section is still open}
     */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * {@return the nesting depth of this section: 1 for an outermost section}
     */
    public int depth() {
        return level;
    }

    /**
     * {@return the domain this section belongs to}
     */
    public RcuDomain domain() {
        return reader.domain;
    }

    /* For RcuReference.get(ReadSection): the section is open and owned by the caller. */
    void checkUsable() {
        if (closed) {
            throw new IllegalStateException("read section is closed");
        }
        if (Thread.currentThread() != reader.thread) {
            throw new IllegalStateException("read section belongs to thread " + reader.thread.getName());
        }
    }

    /* For RcuPointer's reads of raw memory: checkUsable, and the thread is
     * still inside this section (not left early through readUnlock()). */
    void checkProtecting() {
        checkUsable();
        if (reader.depth < level) {
            throw new IllegalStateException("the thread left this read section (readUnlock() or unlock()"
                    + " without closing it): it protects nothing");
        }
    }

    @Override
    public String toString() {
        return "ReadSection[depth=" + level + (closed ? ", closed" : ", open") + ", thread="
                + reader.thread.getName() + "]";
    }
}
