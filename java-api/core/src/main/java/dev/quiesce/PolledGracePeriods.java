package dev.quiesce;

import dev.quiesce.spi.BackendDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The waiters of {@link RcuDomain#gracePeriod()}: (cookie, future) pairs,
 * completed from the domain's worker with no thread blocked per waiter.
 *
 * <p>Each waiter takes a {@code startPoll()} cookie (so a GP will run even
 * with no other work, and LEGACY pre-polls end), then joins the list. At most
 * one sweep callback is queued at a time: the first waiter to find none
 * queues it with {@code call()}. A callback queued after a cookie was taken
 * runs after a GP that began after the cookie, so when the sweep runs, every
 * waiter that joined before it was queued is done; waiters that joined
 * while it was queued are checked with {@code pollState()} and, if not done
 * yet, wait for one more sweep. So N concurrent waiters cost O(1) callbacks
 * and GPs per round, not N.
 */
final class PolledGracePeriods {
    private final BackendDomain impl;
    private final Object lock = new Object();
    /* lock */
    private List<Waiter> waiters = new ArrayList<>();
    private boolean sweepQueued;

    private record Waiter(long cookie, CompletableFuture<Void> future) {
    }

    PolledGracePeriods(BackendDomain impl) {
        this.impl = impl;
    }

    CompletableFuture<Void> add() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        long cookie = impl.startPoll();
        boolean queue;
        synchronized (lock) {
            waiters.add(new Waiter(cookie, f));
            queue = !sweepQueued;
            sweepQueued = true;
        }
        if (queue) {
            queueSweep();
        }
        return f;
    }

    private void queueSweep() {
        try {
            impl.call(this::sweep);
        } catch (RuntimeException e) {
            /* Closing (or the worker cannot start): no GP will come for them. */
            failAll(e);
        }
    }

    /* On the worker, after a GP. Never throws. */
    private void sweep() {
        List<Waiter> done = new ArrayList<>();
        boolean again;
        synchronized (lock) {
            List<Waiter> left = new ArrayList<>();
            for (Waiter w : waiters) {
                (impl.pollState(w.cookie()) ? done : left).add(w);
            }
            waiters = left;
            again = !left.isEmpty();
            sweepQueued = again;
        }
        /* Outside the lock: dependent stages without an executor run here, on the worker. */
        for (Waiter w : done) {
            try {
                w.future().complete(null);
            } catch (Throwable t) {
                /* A dependent stage threw: it is the stage's failure, not ours. */
            }
        }
        if (again) {
            queueSweep();
        }
    }

    private void failAll(RuntimeException e) {
        List<Waiter> all;
        synchronized (lock) {
            all = waiters;
            waiters = new ArrayList<>();
            sweepQueued = false;
        }
        for (Waiter w : all) {
            w.future().completeExceptionally(e);
        }
    }
}
