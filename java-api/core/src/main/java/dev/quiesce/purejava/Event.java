package dev.quiesce.purejava;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A manual-reset event: the runtime's one wait/wake primitive, the Java
 * counterpart of runtime/event.c's {@code qs_event}. Every blocking wait of
 * the pure-Java runtime goes through it.
 *
 * <p>Protocol (reset / check / wait, no lost wake-ups):
 * <pre>
 *   waiter:  reset(); if (!condition) await();
 *   waker:   make condition true; set();
 * </pre>
 * {@link #set()} and {@link #reset()} are volatile stores, so they are in the
 * single total order of synchronization actions: if the waker's set was
 * wiped out by the waiter's reset, the waiter's later check sees the
 * condition.
 *
 * <p>Memory consistency effects: actions before {@code set()} happen-before
 * actions after an {@code await()} that returns because of that set.
 *
 * <p>Waits are not interruptible (like QEMU's events): an interrupt is
 * remembered and re-asserted when the wait returns.
 */
final class Event {
    /*
     * Implementation notes. `state` is FREE or SET. A waiter that finds it
     * FREE registers in `waiters` (under the monitor) and re-reads `state`;
     * a setter writes `state` then reads `waiters`. Both are volatile, so at
     * least one side sees the other: either the waiter sees SET and
     * returns, or the setter sees a waiter and notifies under the monitor,
     * which it can only enter once the waiter is in wait().
     */
    private static final int FREE = 0;
    private static final int SET = 1;
    private static final VarHandle STATE;
    private static final VarHandle WAITERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Event.class, "state", int.class);
            WAITERS = l.findVarHandle(Event.class, "waiters", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** FREE or SET; volatile accesses only. */
    private int state;
    /** Threads inside the slow path of await; written under {@code this}' monitor, read by setters. */
    private int waiters;

    /** Set the event and wake every waiter. */
    void set() {
        STATE.setVolatile(this, SET);
        if ((int) WAITERS.getVolatile(this) != 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Clear a set event. */
    void reset() {
        STATE.setVolatile(this, FREE);
    }

    /** True if set. */
    boolean isSet() {
        return (int) STATE.getVolatile(this) == SET;
    }

    /** Block until the event is set. */
    void await() {
        if (isSet()) {
            return;
        }
        boolean interrupted = false;
        synchronized (this) {
            WAITERS.setVolatile(this, waiters + 1);
            try {
                while (!isSet()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                WAITERS.setVolatile(this, waiters - 1);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Block until the event is set or {@code timeoutNs} elapsed.
     *
     * @return true if the event was seen set
     */
    boolean await(long timeoutNs) {
        if (isSet()) {
            return true;
        }
        long deadline = System.nanoTime() + timeoutNs;
        boolean interrupted = false;
        boolean set;
        synchronized (this) {
            WAITERS.setVolatile(this, waiters + 1);
            try {
                for (;;) {
                    set = isSet();
                    long left = deadline - System.nanoTime();
                    if (set || left <= 0) {
                        break;
                    }
                    try {
                        wait(left / 1_000_000L, (int) (left % 1_000_000L));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                WAITERS.setVolatile(this, waiters - 1);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return set;
    }

    /** Sleep {@code ns} whatever happens (LEGACY pre-polls; nothing cuts them short). */
    static void sleepUninterruptibly(long ns) {
        long deadline = System.nanoTime() + ns;
        boolean interrupted = false;
        for (long left = ns; left > 0; left = deadline - System.nanoTime()) {
            try {
                Thread.sleep(left / 1_000_000L, (int) (left % 1_000_000L));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
