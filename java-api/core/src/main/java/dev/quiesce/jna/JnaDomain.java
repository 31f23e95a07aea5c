package dev.quiesce.jna;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.quiesce.ErrorCode;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.internal.NativeStalls;
import dev.quiesce.spi.RawStats;
import dev.quiesce.spi.StallInfo;
import java.util.function.Consumer;

/** One {@code qs_domain} reached through JNA. */
final class JnaDomain implements BackendDomain {

    private final Pointer dom;
    /* Stall reports: tid -> Java thread, and this domain's sink by id. */
    private final NativeStalls stalls = new NativeStalls();

    JnaDomain(Pointer dom) {
        this.dom = dom;
    }

    @Override
    public BackendReader registerCurrentThread() {
        try (Memory out = new Memory(Native.POINTER_SIZE)) {
            out.setPointer(0, null);
            ErrorCode.check(JnaLib.qs_reader_new(dom, out), "qs_reader_new");
            /* qs_reader_new noted this thread's kernel tid; the same tid names it in stall reports. */
            stalls.registered(JnaBackend.currentTid());
            return new JnaReader(out.getPointer(0));
        }
    }

    @Override
    public void synchronize() {
        ErrorCode.check(JnaLib.qs_synchronize(dom), "qs_synchronize");
    }

    @Override
    public void call(Runnable callback) {
        long head = Native.malloc(JnaBackend.HEAD_SIZE);
        if (head == 0) {
            ErrorCode.check(-ErrorCode.ENOMEM.errno(), "qs_call");
        }
        Pointer p = new Pointer(head);
        p.clear(JnaBackend.HEAD_SIZE);
        JnaBackend.PENDING.put(head, callback);
        int rc = JnaLib.qs_call(dom, p, JnaBackend.CALLBACK);
        if (rc < 0) {
            JnaBackend.PENDING.remove(head);
            Native.free(head);
            ErrorCode.check(rc, "qs_call");
        }
    }

    @Override
    public void drain() {
        ErrorCode.check(JnaLib.qs_drain(dom), "qs_drain");
    }

    @Override
    public void force() {
        JnaLib.qs_force(dom);
    }

    @Override
    public long gpState() {
        return JnaLib.qs_get_state(dom);
    }

    @Override
    public long startPoll() {
        return JnaLib.qs_start_poll(dom);
    }

    @Override
    public boolean pollState(long cookie) {
        return JnaLib.qs_poll_state(dom, cookie) != 0;
    }

    @Override
    public void condSynchronize(long cookie) {
        JnaLib.qs_cond_synchronize(dom, cookie);
    }

    @Override
    public void setStallSink(Consumer<StallInfo> sink) {
        if (sink == null) {
            ErrorCode.check(JnaLib.qs_set_stall_handler(dom, null, null), "qs_set_stall_handler");
            stalls.sink(null);
            return;
        }
        stalls.sink(sink);
        ErrorCode.check(JnaLib.qs_set_stall_handler(dom, JnaBackend.STALL, new Pointer(stalls.id())),
                "qs_set_stall_handler");
    }

    @Override
    public RawStats stats() {
        return JnaBackend.readStats(dom);
    }

    @Override
    public void close() {
        ErrorCode.check(JnaLib.qs_domain_free(dom), "qs_domain_free");
        stalls.sink(null);
    }
}
