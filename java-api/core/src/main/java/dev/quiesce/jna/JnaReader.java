package dev.quiesce.jna;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.quiesce.ErrorCode;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.NotifierHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One {@code qs_reader} reached through JNA: a native call per lock and unlock. */
final class JnaReader implements BackendReader {

    private final Pointer reader;
    /* Notifier structs still owned by this reader: freed by remove() or close(). */
    private final Set<Notifier> notifiers = ConcurrentHashMap.newKeySet();

    JnaReader(Pointer reader) {
        this.reader = reader;
    }

    @Override
    public void lock() {
        JnaLib.qs_read_lock_fn(reader);
    }

    @Override
    public void unlock() {
        JnaLib.qs_read_unlock_fn(reader);
    }

    @Override
    public NotifierHandle addNotifier(Runnable task) {
        long id = JnaBackend.NEXT_NOTIFIER_ID.getAndIncrement();
        long mem = Native.malloc(JnaBackend.NOTIFIER_SIZE);
        if (mem == 0) {
            ErrorCode.check(-ErrorCode.ENOMEM.errno(), "qs_notifier_add");
        }
        Pointer n = new Pointer(mem);
        n.clear(JnaBackend.NOTIFIER_SIZE);
        n.setPointer(JnaBackend.NOTIFIER_FN, com.sun.jna.CallbackReference.getFunctionPointer(JnaBackend.NOTIFY));
        n.setPointer(JnaBackend.NOTIFIER_OPAQUE, new Pointer(id));
        JnaBackend.NOTIFIERS.put(id, task);
        int rc = JnaLib.qs_notifier_add(reader, n);
        if (rc < 0) {
            JnaBackend.NOTIFIERS.remove(id);
            Native.free(mem);
            ErrorCode.check(rc, "qs_notifier_add");
        }
        Notifier handle = new Notifier(id, n);
        notifiers.add(handle);
        return handle;
    }

    @Override
    public void close() {
        ErrorCode.check(JnaLib.qs_reader_free(reader), "qs_reader_free");
        // The reader is gone, and with it the writer's view of its notifiers.
        for (Notifier n : notifiers) {
            n.release();
        }
        notifiers.clear();
    }

    private final class Notifier implements NotifierHandle {
        private final long id;
        private final Pointer mem;
        private boolean released;

        Notifier(long id, Pointer mem) {
            this.id = id;
            this.mem = mem;
        }

        @Override
        public synchronized void remove() {
            if (released) {
                return;
            }
            ErrorCode.check(JnaLib.qs_notifier_remove(reader, mem), "qs_notifier_remove");
            notifiers.remove(this);
            release();
        }

        synchronized void release() {
            if (!released) {
                released = true;
                JnaBackend.NOTIFIERS.remove(id);
                Native.free(Pointer.nativeValue(mem));
            }
        }
    }
}
