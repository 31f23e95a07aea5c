package dev.quiesce.jna;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.quiesce.internal.NativeLoader;
import java.nio.file.Path;

/**
 * Direct-mapped libquiesce functions (declared in {@code <quiesce/domain.h>}
 * and {@code <quiesce/layout.h>}). Struct layouts are not repeated here: the
 * backend asks the library for its own offsets ({@code qs_layout_offsetof}).
 */
final class JnaLib {

    static final Path PATH;

    static {
        PATH = NativeLoader.libraryPath();
        Native.register(JnaLib.class, NativeLibrary.getInstance(PATH.toString()));
    }

    private JnaLib() {
    }

    /** {@code qs_cb_fn}. */
    interface CbFn extends Callback {
        void invoke(Pointer head);
    }

    /** {@code qs_notify_fn}. */
    interface NotifyFn extends Callback {
        void invoke(Pointer reader, Pointer opaque);
    }

    /** {@code qs_stall_handler}. */
    interface StallFn extends Callback {
        void invoke(Pointer report, Pointer opaque);
    }

    static native int qs_domain_config_init(Pointer cfg, int policy);

    static native int qs_domain_new(Pointer cfg, Pointer out);

    static native int qs_domain_free(Pointer dom);

    static native int qs_domain_fence_mode(Pointer dom);

    static native int qs_reader_new(Pointer dom, Pointer out);

    static native int qs_reader_free(Pointer reader);

    static native void qs_read_lock_fn(Pointer reader);

    static native void qs_read_unlock_fn(Pointer reader);

    static native int qs_notifier_add(Pointer reader, Pointer notifier);

    static native int qs_notifier_remove(Pointer reader, Pointer notifier);

    static native int qs_synchronize(Pointer dom);

    static native int qs_call(Pointer dom, Pointer head, CbFn fn);

    static native int qs_drain(Pointer dom);

    static native void qs_force(Pointer dom);

    static native void qs_stats_get(Pointer dom, Pointer out);

    static native long qs_get_state(Pointer dom);

    static native long qs_start_poll(Pointer dom);

    /* C bool: one byte (the upper bits of the return register are unspecified). */
    static native byte qs_poll_state(Pointer dom, long cookie);

    static native void qs_cond_synchronize(Pointer dom, long cookie);

    static native int qs_set_stall_handler(Pointer dom, StallFn fn, Pointer opaque);

    static native long qs_layout_sizeof(String type);

    static native long qs_layout_offsetof(String type, String field);

    static native String qs_version();

    /** sizeof(type), failing loudly if the library does not know it. */
    static long sizeof(String type) {
        long size = qs_layout_sizeof(type);
        if (size < 0) {
            throw new IllegalStateException("libquiesce does not describe struct " + type);
        }
        return size;
    }

    /** offsetof(type, field), failing loudly if the library does not know it. */
    static long offsetof(String type, String field) {
        long off = qs_layout_offsetof(type, field);
        if (off < 0) {
            throw new IllegalStateException("libquiesce does not describe " + type + "." + field);
        }
        return off;
    }
}
