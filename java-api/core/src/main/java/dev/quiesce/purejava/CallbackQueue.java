package dev.quiesce.purejava;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The callback queue: a multi-producer / single-consumer FIFO with a stub
 * node (the Java counterpart of runtime/queue.c's {@code qs_queue}).
 *
 * <p>Producers are wait-free: one atomic exchange of the tail, then one
 * release store linking the previous tail to the new node. Between the two
 * ("the link window") the node is counted but not yet reachable from the
 * head, so {@link #popWait()} waits the window out; it must only be called
 * when the caller knows a node was pushed (the pending count, incremented
 * after the push). Only one thread at a time may consume.
 */
final class CallbackQueue {
    /** A queue node; {@code next} is written once by the next producer. */
    static final class Node {
        Runnable fn;
        /** Release-stored by the producer that follows; acquire-loaded by the consumer. */
        Node next;

        Node(Runnable fn) {
            this.fn = fn;
        }
    }

    private static final VarHandle TAIL;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(CallbackQueue.class, "tail", Node.class);
            NEXT = l.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Producers' end: the newest node (the stub while empty); atomic exchange only. */
    @SuppressWarnings("unused")
    private Node tail;
    /** Consumer's end: the node before the oldest (consumer only). */
    private Node head;

    CallbackQueue() {
        Node stub = new Node(null);
        head = stub;
        TAIL.setRelease(this, stub);
    }

    /** Append {@code fn} (any thread). */
    void push(Runnable fn) {
        Node n = new Node(fn);
        Node prev = (Node) TAIL.getAndSet(this, n);
        /* The link window closes here. */
        NEXT.setRelease(prev, n);
    }

    /** The oldest callback, or null if none is reachable now. Consumer only. */
    Runnable poll() {
        Node next = (Node) NEXT.getAcquire(head);
        if (next == null) {
            return null;
        }
        head = next;
        Runnable fn = next.fn;
        next.fn = null; /* next is the new stub: drop the reference */
        return fn;
    }

    /** The oldest callback, waiting out a producer's link window. Consumer only; one must be counted. */
    Runnable popWait() {
        int spins = 0;
        for (;;) {
            Runnable fn = poll();
            if (fn != null) {
                return fn;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }
}
