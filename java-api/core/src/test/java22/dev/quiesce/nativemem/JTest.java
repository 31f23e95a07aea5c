package dev.quiesce.nativemem;

import dev.quiesce.RcuDomain;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * libqs_jtest (native/tests/jhelper) through FFM: C readers, C writers, a
 * held C section and an asynchronous C grace period on a {@code qs_domain}
 * shared with Java. Loaded after libquiesce (an FFM domain is created first),
 * so that its libquiesce dependency resolves to the copy the JVM loaded: one
 * {@code qs_domain_default()} for both.
 */
final class JTest {

    static final long NODE_SIZE = 64;
    static final long CANARY;
    static final long POISON;
    static final long PAYLOAD_K;
    /* void qs_jtest_node_free(void *): the poisoning free function. */
    static final MemorySegment NODE_FREE;

    private static final ValueLayout A = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final MethodHandle NODE_ALLOC;
    private static final MethodHandle NODE_CHECK;
    private static final MethodHandle READERS_START;
    private static final MethodHandle READERS_STOP;
    private static final MethodHandle WRITERS_START;
    private static final MethodHandle WRITERS_STOP;
    private static final MethodHandle HOLD;
    private static final MethodHandle HOLD_WAIT;
    private static final MethodHandle HOLD_DONE;
    private static final MethodHandle HOLD_JOIN;
    private static final MethodHandle SYNC;
    private static final MethodHandle SYNC_DONE;
    private static final MethodHandle SYNC_JOIN;

    static {
        String prop = System.getProperty("quiesce.jtest.library.path");
        if (prop == null || !Files.exists(Path.of(prop))) {
            throw new IllegalStateException("libqs_jtest not found: set -Dquiesce.jtest.library.path (got " + prop + ")");
        }
        RcuDomain.nativeDefault(); // loads libquiesce first
        SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(prop), Arena.global());
        Linker linker = Linker.nativeLinker();
        try {
            CANARY = (long) linker.downcallHandle(lib.findOrThrow("qs_jtest_canary"), FunctionDescriptor.of(L))
                    .invokeExact();
            POISON = (long) linker.downcallHandle(lib.findOrThrow("qs_jtest_poison"), FunctionDescriptor.of(L))
                    .invokeExact();
            PAYLOAD_K = (long) linker.downcallHandle(lib.findOrThrow("qs_jtest_payload_k"),
                    FunctionDescriptor.of(L)).invokeExact();
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
        NODE_FREE = lib.findOrThrow("qs_jtest_node_free");
        NODE_ALLOC = linker.downcallHandle(lib.findOrThrow("qs_jtest_node_alloc"), FunctionDescriptor.of(A, L));
        NODE_CHECK = linker.downcallHandle(lib.findOrThrow("qs_jtest_node_check"), FunctionDescriptor.of(I, A));
        READERS_START = linker.downcallHandle(lib.findOrThrow("qs_jtest_readers_start"),
                FunctionDescriptor.of(A, A, A, I));
        READERS_STOP = linker.downcallHandle(lib.findOrThrow("qs_jtest_readers_stop"), FunctionDescriptor.of(I, A, A));
        WRITERS_START = linker.downcallHandle(lib.findOrThrow("qs_jtest_writers_start"),
                FunctionDescriptor.of(A, A, A, I, A));
        WRITERS_STOP = linker.downcallHandle(lib.findOrThrow("qs_jtest_writers_stop"), FunctionDescriptor.of(I, A, A));
        HOLD = linker.downcallHandle(lib.findOrThrow("qs_jtest_hold_section"), FunctionDescriptor.of(A, A, I));
        HOLD_WAIT = linker.downcallHandle(lib.findOrThrow("qs_jtest_hold_wait_inside"), FunctionDescriptor.of(I, A));
        HOLD_DONE = linker.downcallHandle(lib.findOrThrow("qs_jtest_hold_done"), FunctionDescriptor.of(I, A));
        HOLD_JOIN = linker.downcallHandle(lib.findOrThrow("qs_jtest_hold_join"), FunctionDescriptor.of(I, A));
        SYNC = linker.downcallHandle(lib.findOrThrow("qs_jtest_synchronize_async"), FunctionDescriptor.of(A, A));
        SYNC_DONE = linker.downcallHandle(lib.findOrThrow("qs_jtest_sync_done"), FunctionDescriptor.of(I, A));
        SYNC_JOIN = linker.downcallHandle(lib.findOrThrow("qs_jtest_sync_join"), FunctionDescriptor.of(I, A));
    }

    private JTest() {
    }

    /** sections, violations, replacements, errors. */
    record Counts(long sections, long violations, long replacements, long errors) {
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static MemorySegment nonNull(MemorySegment p, String what) {
        if (p.address() == 0) {
            throw new IllegalStateException(what + " returned NULL");
        }
        return p;
    }

    /** A live C node of {@code generation} (qs_mem_alloc(64, 64)). */
    static MemorySegment nodeAlloc(long generation) {
        try {
            return nonNull((MemorySegment) NODE_ALLOC.invokeExact(generation), "qs_jtest_node_alloc")
                    .reinterpret(NODE_SIZE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Fills {@code n} (64 bytes) as a live node of {@code generation}, the layout qs_jtest.h gives. */
    static void fill(MemorySegment n, long generation) {
        n.set(L, 8, generation);
        for (int i = 0; i < 6; i++) {
            n.set(L, 16 + 8L * i, generation ^ (PAYLOAD_K * (i + 1)));
        }
        n.set(L, 0, CANARY);
    }

    /** 0 if live and consistent (or NULL). */
    static int nodeCheck(MemorySegment n) {
        try {
            return (int) NODE_CHECK.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment readersStart(MemorySegment dom, MemorySegment slot, int n) {
        try {
            return nonNull((MemorySegment) READERS_START.invokeExact(dom, slot, n), "qs_jtest_readers_start");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static Counts readersStop(MemorySegment h) {
        return stop(READERS_STOP, h);
    }

    static MemorySegment writersStart(MemorySegment dom, MemorySegment slot, int n, MemorySegment generation) {
        try {
            return nonNull((MemorySegment) WRITERS_START.invokeExact(dom, slot, n, generation),
                    "qs_jtest_writers_start");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static Counts writersStop(MemorySegment h) {
        return stop(WRITERS_STOP, h);
    }

    private static Counts stop(MethodHandle mh, MemorySegment h) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(32, 8);
            int rc = (int) mh.invokeExact(h, out);
            if (rc != 0) {
                throw new IllegalStateException("stop returned " + rc);
            }
            return new Counts(out.get(L, 0), out.get(L, 8), out.get(L, 16), out.get(L, 24));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A C thread that holds a read section of {@code dom} for {@code ms}, once inside it. */
    static MemorySegment holdSection(MemorySegment dom, int ms) {
        try {
            MemorySegment h = nonNull((MemorySegment) HOLD.invokeExact(dom, ms), "qs_jtest_hold_section");
            int rc = (int) HOLD_WAIT.invokeExact(h);
            if (rc != 0) {
                throw new IllegalStateException("qs_jtest_hold_wait_inside: " + rc);
            }
            return h;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean holdDone(MemorySegment h) {
        try {
            return (int) HOLD_DONE.invokeExact(h) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int holdJoin(MemorySegment h) {
        try {
            return (int) HOLD_JOIN.invokeExact(h);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A C thread running qs_synchronize(dom). */
    static MemorySegment synchronizeAsync(MemorySegment dom) {
        try {
            return nonNull((MemorySegment) SYNC.invokeExact(dom), "qs_jtest_synchronize_async");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean syncDone(MemorySegment h) {
        try {
            return (int) SYNC_DONE.invokeExact(h) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int syncJoin(MemorySegment h) {
        try {
            return (int) SYNC_JOIN.invokeExact(h);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** This process's resident set, kB (/proc/self/status VmRSS). */
    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return -1;
    }
}
