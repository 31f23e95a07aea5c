package dev.quiesce.ffm;

import dev.quiesce.bindings.qs_notify_fn;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upcall side: one static stub per kind ({@code qs_notify_fn} here,
 * {@code qs_batch_fn} in {@link FfmCallbacks}), allocated in
 * {@link Arena#global()} so it outlives every native worker that may call
 * it.
 *
 * <p>A Java exception must never leave an upcall (the JVM would crash): the
 * facade's tasks catch their own, and the stubs catch whatever is left.
 */
final class FfmUpcalls {

    /* Notifiers: opaque id -> task. */
    static final Map<Long, Runnable> NOTIFIERS = new ConcurrentHashMap<>();
    static final AtomicLong NEXT_NOTIFIER_ID = new AtomicLong(1);
    /* Frees native memory the fast path reaches by raw address, once the
     * Java object that holds the address is unreachable (FfmReadSide, FfmDomain). */
    static final Cleaner CLEANER = Cleaner.create();

    static final MemorySegment NOTIFY_STUB = qs_notify_fn.allocate(FfmUpcalls::onNotify, Arena.global());

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("malloc"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("free"),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS), Linker.Option.critical(false));

    private FfmUpcalls() {
    }

    /** Forces class initialization (the stubs) at backend creation. */
    static void init() {
        // Static initializer did the work.
    }

    /** malloc(size), zeroed; throws OutOfMemoryError on failure. */
    static MemorySegment malloc(long size) {
        MemorySegment p;
        try {
            p = (MemorySegment) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw new IllegalStateException("malloc downcall failed", t);
        }
        if (p.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("malloc(" + size + ") returned NULL");
        }
        return p.reinterpret(size).fill((byte) 0);
    }

    static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable t) {
            throw new IllegalStateException("free downcall failed", t);
        }
    }

    /* qs_notify_fn: a force notifier fires, on the writer's thread. */
    private static void onNotify(MemorySegment reader, MemorySegment opaque) {
        try {
            Runnable task = NOTIFIERS.get(opaque.address());
            if (task != null) {
                task.run();
            }
        } catch (Throwable t) {
            lastResort("notifier", t);
        }
    }

    static void lastResort(String what, Throwable t) {
        try {
            System.err.println("quiesce (ffm): a " + what + " upcall threw past its guard: " + t);
        } catch (Throwable ignored) {
            // Nothing left to report to.
        }
    }
}
