package dev.quiesce;

import dev.quiesce.RcuDomain.CallbackExceptionHandler;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The callbacks and force notifiers of one {@link RcuDomain}, as the backend
 * sees them: every user task is wrapped so that it never throws into the
 * backend. An exception is counted (callbacks and notifiers apart, for
 * {@link Stats#callbackExceptions()} and {@link Stats#notifierExceptions()})
 * and passed to the domain's {@link CallbackExceptionHandler}; a handler that
 * throws in turn is printed to {@code System.err} and otherwise ignored. The
 * wrapper of a callback also records which thread is running it, so that
 * {@link RcuDomain#drain()} and {@link RcuDomain#close()} can refuse to be
 * called from a callback (they would wait for themselves).
 *
 * <p>Thread-safe: tasks run on the domain's worker (callbacks) or on a
 * writer's thread (notifiers) while users replace the handler.
 */
final class Callbacks {
    private final AtomicLong callbackExceptions = new AtomicLong();
    private final AtomicLong notifierExceptions = new AtomicLong();
    private volatile CallbackExceptionHandler exceptionHandler;
    /* The thread running one of this domain's callbacks right now, or null.
     * Not volatile: it is only ever compared with the reading thread
     * itself (onCallbackThread), and a thread reads its own last write
     * here in program order; another thread's value never equals the
     * reader. A volatile store per callback (two per callback, set and
     * clear) was a fence each on the worker's delivery path. */
    private Thread callbackThread;

    Callbacks(CallbackExceptionHandler handler) {
        this.exceptionHandler = handler;
    }

    /* A callback for BackendDomain.call(): never throws, marks the thread that runs it. */
    Runnable guardCallback(Runnable task) {
        return new GuardedCallback(task);
    }

    /* A notifier for BackendReader.addNotifier(): never throws. */
    Runnable guardNotifier(Runnable task) {
        return new GuardedNotifier(task);
    }

    /* Whether the calling thread is running one of this domain's callbacks. */
    boolean onCallbackThread() {
        return callbackThread == Thread.currentThread();
    }

    long callbackExceptions() {
        return callbackExceptions.get();
    }

    long notifierExceptions() {
        return notifierExceptions.get();
    }

    CallbackExceptionHandler handler() {
        return exceptionHandler;
    }

    void handler(CallbackExceptionHandler handler) {
        this.exceptionHandler = handler;
    }

    void reportCallbackException(Runnable task, Throwable error, boolean notifier) {
        (notifier ? notifierExceptions : callbackExceptions).incrementAndGet();
        try {
            exceptionHandler.uncaught(task, error);
        } catch (Throwable handlerError) {
            try {
                System.err.println("quiesce: the callback exception handler threw while handling " + error);
                handlerError.printStackTrace();
            } catch (Throwable ignored) {
                // Nothing left to report to.
            }
        }
    }

    /* A user callback that never throws; tells close() and drain() which thread runs callbacks. */
    private final class GuardedCallback implements Runnable {
        private final Runnable task;

        GuardedCallback(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            callbackThread = Thread.currentThread();
            try {
                task.run();
            } catch (Throwable e) {
                reportCallbackException(task, e, false);
            } finally {
                callbackThread = null;
            }
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }

    /* A user notifier that never throws. */
    private final class GuardedNotifier implements Runnable {
        private final Runnable task;

        GuardedNotifier(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            try {
                task.run();
            } catch (Throwable e) {
                reportCallbackException(task, e, true);
            }
        }
    }
}
