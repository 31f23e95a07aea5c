package dev.quiesce.internal;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One domain's observers (the JFR emitter, trace recorders), fanned out
 * from the single observer the backend domain holds. The backend's observer
 * is installed while the hub has at least one observer, and removed when
 * the last one leaves, so a domain nobody watches pays nothing.
 */
public final class ObserverHub implements GpObserver {

    private final GpObserver.Observable target;
    private final CopyOnWriteArrayList<GpObserver> observers = new CopyOnWriteArrayList<>();

    /**
     * A hub over {@code target}.
     *
     * @param target the backend domain (or raw native domain) to observe
     */
    public ObserverHub(GpObserver.Observable target) {
        this.target = target;
    }

    /**
     * Adds an observer (installing the backend's on the first).
     *
     * @param o the observer
     * @throws IllegalStateException if the domain is closed
     */
    public synchronized void add(GpObserver o) {
        observers.add(o);
        if (observers.size() == 1) {
            try {
                target.setObserver(this);
            } catch (RuntimeException e) {
                observers.remove(o);
                throw e;
            }
        }
    }

    /**
     * Removes an observer (removing the backend's with the last). Calls
     * under way may still reach it.
     *
     * @param o the observer
     */
    public synchronized void remove(GpObserver o) {
        if (observers.remove(o) && observers.isEmpty()) {
            try {
                target.setObserver(null);
            } catch (IllegalStateException closed) {
                // The domain is gone: nothing is observed any more anyway.
            }
        }
    }

    @Override
    public void gracePeriodEnded(long number, long startNanos, long durationNanos, int policy, boolean fqs,
            int cause, int readersWaited, boolean expedited, int polls, int notifierCalls, long fqsNanos) {
        for (GpObserver o : observers) {
            o.gracePeriodEnded(number, startNanos, durationNanos, policy, fqs, cause, readersWaited, expedited,
                    polls, notifierCalls, fqsNanos);
        }
    }

    @Override
    public void batchEnded(int count, long startNanos, long durationNanos) {
        for (GpObserver o : observers) {
            o.batchEnded(count, startNanos, durationNanos);
        }
    }

    @Override
    public void forced() {
        for (GpObserver o : observers) {
            o.forced();
        }
    }
}
