package dev.quiesce.emu;

import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_stall_handler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Stall reports of a machine's domain as text: one static
 * {@code qs_stall_handler} stub (global arena) whose opaque is the
 * machine's id; the report is formatted by {@code qs_stall_report_format}
 * (the C default handler's block) and handed to the machine's consumer on
 * the GP writer's thread.
 */
final class MachineStalls {

    private static final Map<Long, Consumer<String>> CONSUMERS = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong(1);
    private static final MemorySegment STUB = qs_stall_handler.allocate(MachineStalls::onStall, Arena.global());

    private MachineStalls() {
    }

    /** Installs {@code consumer} as {@code dom}'s stall handler; returns the id to {@link #remove}. */
    static long install(MemorySegment dom, Consumer<String> consumer) {
        long id = IDS.getAndIncrement();
        CONSUMERS.put(id, consumer);
        int rc = Quiesce.qs_set_stall_handler(dom, STUB, MemorySegment.ofAddress(id));
        if (rc != 0) {
            CONSUMERS.remove(id);
            throw new IllegalStateException("qs_set_stall_handler: " + rc);
        }
        return id;
    }

    /** Forgets a consumer once its domain is freed (no call can come any more). */
    static void remove(long id) {
        CONSUMERS.remove(id);
    }

    private static void onStall(MemorySegment report, MemorySegment opaque) {
        try {
            Consumer<String> c = CONSUMERS.get(opaque.address());
            if (c == null) {
                return;
            }
            try (Arena a = Arena.ofConfined()) {
                long len = Quiesce.qs_stall_report_format(report, MemorySegment.NULL, 0);
                if (len < 0) {
                    return;
                }
                MemorySegment buf = a.allocate(len + 1);
                Quiesce.qs_stall_report_format(report, buf, len + 1);
                c.accept(new String(buf.asSlice(0, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8));
            }
        } catch (Throwable t) {
            try {
                System.err.println("quiesce (emu): the stall upcall failed: " + t);
            } catch (Throwable ignored) {
                // nothing left to report to
            }
        }
    }
}
