package dev.quiesce.ffm;

import dev.quiesce.bindings.qs_stall_handler;
import dev.quiesce.bindings.qs_stall_reader;
import dev.quiesce.bindings.qs_stall_report;
import dev.quiesce.internal.NativeStalls;
import dev.quiesce.spi.StallInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The FFM side of stall reports: one static {@code qs_stall_handler} stub
 * (global arena, like the notifier stub) whose opaque is the domain's
 * {@link NativeStalls} id, and the calling thread's kernel id for the
 * tid-to-thread map.
 */
final class FfmStalls {
    private FfmStalls() {
    }

    /* Runs on the C writer's thread, GP sync mutex held: copies the report, hands it on, never throws. */
    static final MemorySegment STUB = qs_stall_handler.allocate(FfmStalls::onStall, Arena.global());

    private static final MethodHandle GETTID = gettid();

    private static MethodHandle gettid() {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("gettid")
                .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT),
                        Linker.Option.critical(false)))
                .orElse(null);
    }

    /** The calling thread's kernel thread id, or -1 if this libc has no gettid(). */
    static long currentTid() {
        if (GETTID == null) {
            return -1;
        }
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    private static void onStall(MemorySegment report, MemorySegment opaque) {
        try {
            MemorySegment r = report.reinterpret(qs_stall_report.sizeof());
            int n = qs_stall_report.nreaders(r);
            long size = qs_stall_reader.sizeof();
            MemorySegment all = n > 0 ? qs_stall_report.readers(r).reinterpret(n * size) : MemorySegment.NULL;
            long id = opaque.address();
            NativeStalls table = NativeStalls.forId(id);
            List<StallInfo.Reader> readers = new ArrayList<>(n);
            for (int i = 0; i < n && table != null; i++) {
                MemorySegment sr = all.asSlice(i * size, size);
                byte[] name = qs_stall_reader.name(sr).toArray(ValueLayout.JAVA_BYTE);
                readers.add(table.reader(qs_stall_reader.tid(sr), NativeStalls.name(name),
                        qs_stall_reader.inside_ns(sr), qs_stall_reader.depth(sr),
                        Integer.toUnsignedLong(qs_stall_reader.kicks(sr))));
            }
            NativeStalls.deliver(id, qs_stall_report.gp(r), qs_stall_report.elapsed_ns(r),
                    qs_stall_report.timeout_ns(r), qs_stall_report.nth(r), qs_stall_report.policy(r),
                    qs_stall_report.cause(r), qs_stall_report.nreaders_total(r), readers);
        } catch (Throwable t) {
            try {
                System.err.println("quiesce (ffm): the stall upcall failed: " + t);
            } catch (Throwable ignored) {
                // nothing left to report to
            }
        }
    }
}
