package dev.quiesce.jna;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.quiesce.ErrorCode;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.RawStats;

/** One {@code qs_domain} reached through JNA. */
final class JnaDomain implements BackendDomain {

    private final Pointer dom;

    JnaDomain(Pointer dom) {
        this.dom = dom;
    }

    @Override
    public BackendReader registerCurrentThread() {
        try (Memory out = new Memory(Native.POINTER_SIZE)) {
            out.setPointer(0, null);
            ErrorCode.check(JnaLib.qs_reader_new(dom, out), "qs_reader_new");
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

    /* PENDING the C side (obs15c: qs_get_state, qs_start_poll, qs_poll_state,
     * qs_cond_synchronize, qs_set_stall_handler): until it lands these refuse. */
    private static UnsupportedOperationException pendingNative(String fn) {
        return new UnsupportedOperationException(fn + ": this libquiesce has no polled grace periods yet");
    }

    @Override
    public long gpState() {
        throw pendingNative("qs_get_state");
    }

    @Override
    public long startPoll() {
        throw pendingNative("qs_start_poll");
    }

    @Override
    public boolean pollState(long cookie) {
        throw pendingNative("qs_poll_state");
    }

    @Override
    public void condSynchronize(long cookie) {
        throw pendingNative("qs_cond_synchronize");
    }

    @Override
    public void setStallSink(java.util.function.Consumer<dev.quiesce.spi.StallInfo> sink) {
        // PENDING qs_set_stall_handler.
    }

    @Override
    public RawStats stats() {
        return JnaBackend.readStats(dom);
    }

    @Override
    public void close() {
        ErrorCode.check(JnaLib.qs_domain_free(dom), "qs_domain_free");
    }
}
