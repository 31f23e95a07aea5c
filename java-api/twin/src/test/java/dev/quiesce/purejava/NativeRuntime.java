package dev.quiesce.purejava;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.quiesce.engine.FqsCause;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Stats;
import dev.quiesce.internal.NativeLoader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny JNA binding of the native threaded runtime (qs_domain_*,
 * qs_reader_*, qs_read_lock_fn/qs_read_unlock_fn, qs_synchronize, qs_call,
 * qs_drain, qs_force, qs_notifier_add, qs_stats_get), for the runtime-level
 * differential test only. Struct fields are located through the library's
 * qs_layout_offsetof; nothing is hard-coded.
 */
final class NativeRuntime implements RuntimeUnderTest {

    /** qs_cb_fn: void (*)(qs_head *). */
    interface CbFn extends Callback {
        void invoke(Pointer head);
    }

    /** qs_notify_fn: void (*)(qs_reader *, void *opaque). */
    interface NotifyFn extends Callback {
        void invoke(Pointer reader, Pointer opaque);
    }

    static final class Lib {
        static {
            Native.register(Lib.class, NativeLibrary.getInstance(NativeLoader.libraryPath().toString()));
        }

        private Lib() {
        }

        static native int qs_domain_config_init(Pointer cfg, int policy);

        static native int qs_domain_new(Pointer cfg, Pointer out);

        static native int qs_domain_free(Pointer dom);

        static native int qs_reader_new(Pointer dom, Pointer out);

        static native int qs_reader_free(Pointer r);

        static native void qs_read_lock_fn(Pointer r);

        static native void qs_read_unlock_fn(Pointer r);

        static native int qs_synchronize(Pointer dom);

        static native int qs_call(Pointer dom, Pointer head, CbFn fn);

        static native int qs_drain(Pointer dom);

        static native void qs_force(Pointer dom);

        static native void qs_stats_get(Pointer dom, Pointer out);

        static native int qs_notifier_add(Pointer r, Pointer n);

        static native long qs_layout_sizeof(String type);

        static native long qs_layout_offsetof(String type, String field);
    }

    private static int size(String t) {
        long n = Lib.qs_layout_sizeof(t);
        if (n <= 0) {
            throw new IllegalStateException("no layout for " + t);
        }
        return (int) n;
    }

    private static int off(String t, String f) {
        long n = Lib.qs_layout_offsetof(t, f);
        if (n < 0) {
            throw new IllegalStateException("no layout for " + t + "." + f);
        }
        return (int) n;
    }

    private static final int CFG_SIZE = size("qs_domain_config");
    private static final int CFG_PARAMS = off("qs_domain_config", "params");
    private static final int P_POLL_LIMIT = off("qs_params", "poll_limit");
    private static final int P_CB_THRESHOLD = off("qs_params", "cb_threshold");
    private static final int P_POLL_PERIOD = off("qs_params", "poll_period_ns");
    private static final int HEAD_SIZE = size("qs_head");
    private static final int NOTIFIER_SIZE = size("qs_notifier");
    private static final int N_FN = off("qs_notifier", "fn");
    private static final int N_OPAQUE = off("qs_notifier", "opaque");
    private static final int STATS_SIZE = size("qs_stats");

    /** Callbacks in flight, by the address of their qs_head (which they keep alive). */
    private static final Map<Long, Object[]> CALLS = new ConcurrentHashMap<>();
    /** Notifiers, by their opaque id (each keeps its qs_notifier alive). */
    private static final Map<Long, Object[]> NOTIFIERS = new ConcurrentHashMap<>();
    private static final AtomicLong NOTIFIER_IDS = new AtomicLong();

    private static final CbFn CALLBACK = head -> {
        Object[] entry = CALLS.remove(Pointer.nativeValue(head));
        ((Runnable) entry[0]).run();
    };
    private static final NotifyFn NOTIFY = (reader, opaque) -> {
        Object[] entry = NOTIFIERS.get(Pointer.nativeValue(opaque));
        if (entry != null) {
            ((Runnable) entry[0]).run();
        }
    };

    static {
        /* Keep the native worker attached to the JVM between callbacks. */
        Native.setCallbackThreadInitializer(CALLBACK,
                new CallbackThreadInitializer(true, false, "quiesce-native-worker"));
        Native.setCallbackThreadInitializer(NOTIFY,
                new CallbackThreadInitializer(true, false, "quiesce-native-writer"));
    }

    private final Pointer dom;

    NativeRuntime(Params params) {
        try (Memory cfg = new Memory(CFG_SIZE); Memory out = new Memory(Native.POINTER_SIZE)) {
            check(Lib.qs_domain_config_init(cfg, params.policy().value()), "qs_domain_config_init");
            cfg.setInt(CFG_PARAMS + P_POLL_LIMIT, params.pollLimit());
            cfg.setInt(CFG_PARAMS + P_CB_THRESHOLD, params.cbThreshold());
            cfg.setLong(CFG_PARAMS + P_POLL_PERIOD, params.pollPeriodNs());
            check(Lib.qs_domain_new(cfg, out), "qs_domain_new");
            dom = out.getPointer(0);
        }
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " returned " + rc);
        }
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public Reader register() {
        Pointer r;
        try (Memory out = new Memory(Native.POINTER_SIZE)) {
            check(Lib.qs_reader_new(dom, out), "qs_reader_new");
            r = out.getPointer(0);
        }
        return new Reader() {
            @Override
            public void lock() {
                Lib.qs_read_lock_fn(r);
            }

            @Override
            public void unlock() {
                Lib.qs_read_unlock_fn(r);
            }

            @Override
            public void addNotifier(Runnable onForce) {
                Memory n = new Memory(NOTIFIER_SIZE);
                n.clear();
                long id = NOTIFIER_IDS.incrementAndGet();
                n.setPointer(N_FN, CallbackReference.getFunctionPointer(NOTIFY));
                n.setPointer(N_OPAQUE, new Pointer(id));
                NOTIFIERS.put(id, new Object[] {onForce, n});
                check(Lib.qs_notifier_add(r, n), "qs_notifier_add");
            }

            @Override
            public void close() {
                check(Lib.qs_reader_free(r), "qs_reader_free");
            }
        };
    }

    @Override
    public void synchronize() {
        check(Lib.qs_synchronize(dom), "qs_synchronize");
    }

    @Override
    public void call(Runnable callback) {
        Memory head = new Memory(HEAD_SIZE);
        head.clear();
        CALLS.put(Pointer.nativeValue(head), new Object[] {callback, head});
        int rc = Lib.qs_call(dom, head, CALLBACK);
        if (rc != 0) {
            CALLS.remove(Pointer.nativeValue(head));
            check(rc, "qs_call");
        }
    }

    @Override
    public void drain() {
        check(Lib.qs_drain(dom), "qs_drain");
    }

    @Override
    public void force() {
        Lib.qs_force(dom);
    }

    @Override
    public Stats stats() {
        try (Memory m = new Memory(STATS_SIZE)) {
            Lib.qs_stats_get(dom, m);
            long[] byCause = new long[FqsCause.COUNT];
            int base = off("qs_stats", "fqs_by_cause");
            for (int i = 0; i < byCause.length; i++) {
                byCause[i] = m.getLong(base + 8L * i);
            }
            long[] hist = new long[Stats.HIST_BUCKETS];
            int hb = off("qs_stats", "gp_lat_hist");
            for (int i = 0; i < hist.length; i++) {
                hist[i] = m.getLong(hb + 8L * i);
            }
            return new Stats(g(m, "gps"), g(m, "gps_fqs"), byCause, g(m, "polls"), g(m, "slow_unlocks"),
                    g(m, "notifier_calls"), g(m, "callbacks_queued"), g(m, "callbacks_run"), g(m, "drains"),
                    g(m, "forces"), g(m, "syncs"), g(m, "gp_lat_max_ns"), g(m, "gp_lat_sum_ns"), hist,
                    g(m, "gps_no_readers"));
        }
    }

    private static long g(Memory m, String field) {
        return m.getLong(off("qs_stats", field));
    }

    @Override
    public void close() {
        check(Lib.qs_domain_free(dom), "qs_domain_free");
    }
}
