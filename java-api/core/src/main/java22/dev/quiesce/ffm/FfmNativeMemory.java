package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.RcuException;
import dev.quiesce.bindings.Quiesce;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The downcalls of native memory under RCU ({@code <quiesce/retire.h>}):
 * {@code qs_retire}, {@code qs_mem_alloc} and the address of
 * {@code qs_mem_free}, linked on first use of native memory under RCU.
 */
final class FfmNativeMemory {

    private FfmNativeMemory() {
    }

    /* -EALREADY on Linux: the address is already waiting to be freed. */
    static final int EALREADY = 114;

    private static final Linker LINKER = Linker.nativeLinker();

    /*
     * qs_retire: a pooled node (malloc only when the pool is empty), one
     * short mutex shared with the worker, a hash lookup and one lock-free
     * queue push (plus a futex wake of the worker at most); it never waits
     * for a grace period nor calls back into Java. Critical (no thread-state
     * transition): the writer's replace() is dominated by this call.
     */
    private static final MethodHandle RETIRE = LINKER.downcallHandle(Quiesce.qs_retire$address(),
            Quiesce.qs_retire$descriptor(), Linker.Option.critical(false));
    /* qs_mem_alloc: aligned_alloc + memset; never calls back. */
    private static final MethodHandle ALLOC = LINKER.downcallHandle(Quiesce.qs_mem_alloc$address(),
            Quiesce.qs_mem_alloc$descriptor(), Linker.Option.critical(false));
    /* The address of qs_mem_free: the free function of one-argument retires. */
    static final MemorySegment MEM_FREE = Quiesce.qs_mem_free$address();

    /**
     * {@code qs_retire(dom, target, freeFn, bytes)}.
     *
     * @throws IllegalStateException if {@code target} is already pending (EALREADY) or the domain shuts down
     */
    static void retire(MemorySegment dom, MemorySegment target, MemorySegment freeFn) {
        MemorySegment fn = freeFn == null ? MEM_FREE : freeFn; // a typed local: invokeExact needs the exact type
        int rc;
        try {
            rc = (int) RETIRE.invokeExact(dom, target, fn, target.byteSize());
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
