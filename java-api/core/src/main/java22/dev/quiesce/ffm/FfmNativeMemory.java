package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.RcuException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The downcalls of native memory under RCU ({@code <quiesce/retire.h>}):
 * {@code qs_retire}, {@code qs_mem_alloc} and the address of
 * {@code qs_mem_free}. Linked on first use (a holder class), so a library
 * without them only fails the methods that need them.
 */
final class FfmNativeMemory {

    private FfmNativeMemory() {
    }

    /* -EALREADY on Linux: the address is already waiting to be freed. */
    static final int EALREADY = 114;

    private static final Linker LINKER = Linker.nativeLinker();
    /* NativeLoader loaded libquiesce into this class loader (FfmBackend). */
    private static final SymbolLookup LIB = SymbolLookup.loaderLookup();

    /*
     * qs_retire: one malloc, one short leaf mutex and one lock-free queue
     * push (plus a futex wake of the worker at most); it never waits for a
     * grace period nor calls back into Java. Critical (no thread-state
     * transition): the writer's replace() is dominated by this call.
     */
    private static final MethodHandle RETIRE = LINKER.downcallHandle(LIB.findOrThrow("qs_retire"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));
    /* qs_mem_alloc: aligned_alloc + memset; never calls back. */
    private static final MethodHandle ALLOC = LINKER.downcallHandle(LIB.findOrThrow("qs_mem_alloc"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));
    /* The address of qs_mem_free: the free function of one-argument retires. */
    static final MemorySegment MEM_FREE = LIB.findOrThrow("qs_mem_free");

    /**
     * {@code qs_retire(dom, target, freeFn, bytes)}.
     *
     * @throws IllegalStateException if {@code target} is already pending (EALREADY) or the domain shuts down
     */
    static void retire(MemorySegment dom, MemorySegment target, MemorySegment freeFn) {
        int rc;
        try {
            rc = (int) RETIRE.invokeExact(dom, target, freeFn == null ? MEM_FREE : freeFn, target.byteSize());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc == -EALREADY) {
            throw new IllegalStateException(String.format(
                    "0x%x is already retired and waiting to be freed: not retired again (nothing is freed twice)",
                    target.address()));
        }
        ErrorCode.check(rc, "qs_retire");
    }

    /** {@code qs_mem_alloc(byteSize, byteAlignment)}, as a segment of {@code byteSize} bytes, global scope. */
    static MemorySegment allocate(long byteSize, long byteAlignment) {
        MemorySegment p;
        try {
            p = (MemorySegment) ALLOC.invokeExact(byteSize, byteAlignment);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (p.address() == 0) {
            throw new RcuException("qs_mem_alloc(" + byteSize + ", " + byteAlignment
                    + ") failed: out of native memory", ErrorCode.ENOMEM);
        }
        return p.reinterpret(byteSize);
    }
}
