package dev.quiesce.jna;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.quiesce.Backend;
import dev.quiesce.BackendUnavailableException;
import dev.quiesce.ErrorCode;
import dev.quiesce.internal.NativeStalls;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.spi.RawStats;
import dev.quiesce.spi.RcuBackend;
import dev.quiesce.spi.StallInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link RcuBackend} over libquiesce through JNA direct mapping.
 *
 * <p>Upcalls (callbacks, notifiers) go through one static JNA callback object
 * per kind, strongly referenced for the life of the class so that the native
 * trampolines outlive every worker thread; the native worker stays attached
 * to the JVM as a daemon thread between calls.
 */
public final class JnaBackend implements RcuBackend {

    /* Offsets and sizes, from the library itself. */
    static final long HEAD_SIZE;
    static final long NOTIFIER_SIZE;
    static final long NOTIFIER_FN;
    static final long NOTIFIER_OPAQUE;
    static final long NOTIFIER_NEXT;
    static final long CONFIG_SIZE;
    static final long CONFIG_PARAMS;
    static final long CONFIG_USE_MEMBARRIER;
    static final long CONFIG_WORKER_SLICE;
    static final long PARAMS_POLL_LIMIT;
    static final long PARAMS_CB_THRESHOLD;
    static final long PARAMS_POLL_PERIOD;
    static final long STATS_SIZE;

    /* Callbacks in flight: native head address -> task. Shared by all domains. */
    static final Map<Long, Runnable> PENDING = new ConcurrentHashMap<>();
    /* Notifiers: opaque id -> task. */
    static final Map<Long, Runnable> NOTIFIERS = new ConcurrentHashMap<>();
    static final AtomicLong NEXT_NOTIFIER_ID = new AtomicLong(1);

    /* The only callback objects ever handed to native code; never collected. */
    static final JnaLib.CbFn CALLBACK = JnaBackend::onCallback;
    static final JnaLib.NotifyFn NOTIFY = JnaBackend::onNotify;
    static final JnaLib.StallFn STALL = JnaBackend::onStall;

    static final long CONFIG_STALL_TIMEOUT;
    static final long REPORT_GP;
    static final long REPORT_ELAPSED;
    static final long REPORT_TIMEOUT;
    static final long REPORT_NTH;
    static final long REPORT_POLICY;
    static final long REPORT_CAUSE;
    static final long REPORT_TOTAL;
    static final long REPORT_N;
    static final long REPORT_READERS;
    static final long SREADER_SIZE;
    static final long SREADER_TID;
    static final long SREADER_NAME;
    static final long SREADER_INSIDE;
    static final long SREADER_DEPTH;
    static final long SREADER_KICKS;

    private static final String[] STATS_FIELDS = {
        "gps", "gps_fqs", "fqs_by_cause", "polls", "slow_unlocks", "notifier_calls", "callbacks_queued",
        "callbacks_run", "drains", "forces", "syncs", "gp_lat_max_ns", "gp_lat_sum_ns", "gp_lat_hist",
        "gps_no_readers", "stalls"
    };
    static final long[] STATS_OFFSETS = new long[STATS_FIELDS.length];

    static {
        HEAD_SIZE = JnaLib.sizeof("qs_head");
        NOTIFIER_SIZE = JnaLib.sizeof("qs_notifier");
        NOTIFIER_FN = JnaLib.offsetof("qs_notifier", "fn");
        NOTIFIER_OPAQUE = JnaLib.offsetof("qs_notifier", "opaque");
        NOTIFIER_NEXT = JnaLib.offsetof("qs_notifier", "next");
        CONFIG_SIZE = JnaLib.sizeof("qs_domain_config");
        CONFIG_PARAMS = JnaLib.offsetof("qs_domain_config", "params");
        CONFIG_USE_MEMBARRIER = JnaLib.offsetof("qs_domain_config", "use_membarrier");
        CONFIG_WORKER_SLICE = JnaLib.offsetof("qs_domain_config", "worker_slice_us");
        PARAMS_POLL_LIMIT = JnaLib.offsetof("qs_params", "poll_limit");
        PARAMS_CB_THRESHOLD = JnaLib.offsetof("qs_params", "cb_threshold");
        PARAMS_POLL_PERIOD = JnaLib.offsetof("qs_params", "poll_period_ns");
        STATS_SIZE = JnaLib.sizeof("qs_stats");
        CONFIG_STALL_TIMEOUT = JnaLib.offsetof("qs_domain_config", "stall_timeout_ms");
        REPORT_GP = JnaLib.offsetof("qs_stall_report", "gp");
        REPORT_ELAPSED = JnaLib.offsetof("qs_stall_report", "elapsed_ns");
        REPORT_TIMEOUT = JnaLib.offsetof("qs_stall_report", "timeout_ns");
        REPORT_NTH = JnaLib.offsetof("qs_stall_report", "nth");
        REPORT_POLICY = JnaLib.offsetof("qs_stall_report", "policy");
        REPORT_CAUSE = JnaLib.offsetof("qs_stall_report", "cause");
        REPORT_TOTAL = JnaLib.offsetof("qs_stall_report", "nreaders_total");
        REPORT_N = JnaLib.offsetof("qs_stall_report", "nreaders");
        REPORT_READERS = JnaLib.offsetof("qs_stall_report", "readers");
        SREADER_SIZE = JnaLib.sizeof("qs_stall_reader");
        SREADER_TID = JnaLib.offsetof("qs_stall_reader", "tid");
        SREADER_NAME = JnaLib.offsetof("qs_stall_reader", "name");
        SREADER_INSIDE = JnaLib.offsetof("qs_stall_reader", "inside_ns");
        SREADER_DEPTH = JnaLib.offsetof("qs_stall_reader", "depth");
        SREADER_KICKS = JnaLib.offsetof("qs_stall_reader", "kicks");
        for (int i = 0; i < STATS_FIELDS.length; i++) {
            STATS_OFFSETS[i] = JnaLib.offsetof("qs_stats", STATS_FIELDS[i]);
        }
        CallbackThreadInitializer daemon = new CallbackThreadInitializer(true, false, "quiesce-worker");
        Native.setCallbackThreadInitializer(CALLBACK, daemon);
        Native.setCallbackThreadInitializer(NOTIFY, daemon);
        Native.setCallbackThreadInitializer(STALL, daemon);
    }

    private final String description;

    /**
     * Loads JNA and libquiesce.
     *
     * @throws BackendUnavailableException if either cannot be loaded
     */
    public JnaBackend() {
        try {
            description = "jna: libquiesce " + JnaLib.qs_version() + " at " + JnaLib.PATH + " (JNA "
                    + Native.VERSION + ")";
        } catch (LinkageError | IllegalStateException e) {
            throw new BackendUnavailableException(Backend.JNA, "cannot load libquiesce through JNA: " + e, e);
        }
    }

    @Override
    public Backend kind() {
        return Backend.JNA;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public BackendDomain open(DomainConfig config) {
        try (Memory cfg = new Memory(CONFIG_SIZE); Memory out = new Memory(Native.POINTER_SIZE)) {
            cfg.clear();
            ErrorCode.check(JnaLib.qs_domain_config_init(cfg, config.policy().nativeValue()),
                    "qs_domain_config_init");
            cfg.setInt(CONFIG_PARAMS + PARAMS_POLL_LIMIT, config.pollLimit());
            cfg.setInt(CONFIG_PARAMS + PARAMS_CB_THRESHOLD, config.callbackThreshold());
            cfg.setLong(CONFIG_PARAMS + PARAMS_POLL_PERIOD, config.pollPeriodNanos());
            cfg.setInt(CONFIG_USE_MEMBARRIER, config.useMembarrier() ? 1 : 0);
            cfg.setInt(CONFIG_WORKER_SLICE, config.workerSliceMicros());
            cfg.setInt(CONFIG_STALL_TIMEOUT, (int) config.stallTimeoutMillis());
            out.setPointer(0, null);
            ErrorCode.check(JnaLib.qs_domain_new(cfg, out), "qs_domain_new");
            return new JnaDomain(out.getPointer(0));
        }
    }

    static RawStats readStats(Pointer dom) {
        try (Memory m = new Memory(STATS_SIZE)) {
            m.clear();
            JnaLib.qs_stats_get(dom, m);
            long[] o = STATS_OFFSETS;
            long[] causes = m.getLongArray(o[2], RawStats.FQS_CAUSES);
            long[] hist = m.getLongArray(o[13], RawStats.HIST_BUCKETS);
            return new RawStats(m.getLong(o[0]), m.getLong(o[1]), causes, m.getLong(o[3]), m.getLong(o[4]),
                    m.getLong(o[5]), m.getLong(o[6]), m.getLong(o[7]), m.getLong(o[8]), m.getLong(o[9]),
                    m.getLong(o[10]), m.getLong(o[11]), m.getLong(o[12]), hist, 0, 0, 0, 0,
                    m.getLong(o[14]), m.getLong(o[15]));
        }
    }

    /* Upcall: one callback's grace period ended. Never lets an exception reach native code. */
    private static void onCallback(Pointer head) {
        try {
            long address = Pointer.nativeValue(head);
            Runnable task = PENDING.remove(address);
            Native.free(address);
            if (task != null) {
                task.run();
            }
        } catch (Throwable t) {
            lastResort("callback", t);
        }
    }

    /* Upcall: a force notifier fires. */
    private static void onNotify(Pointer reader, Pointer opaque) {
        try {
            Runnable task = NOTIFIERS.get(Pointer.nativeValue(opaque));
            if (task != null) {
                task.run();
            }
        } catch (Throwable t) {
            lastResort("notifier", t);
        }
    }

    /* Upcall: a GP stalls (C writer thread, GP sync mutex held): copy the report, hand it on. */
    private static void onStall(Pointer report, Pointer opaque) {
        try {
            long id = Pointer.nativeValue(opaque);
            NativeStalls table = NativeStalls.forId(id);
            int n = report.getInt(REPORT_N);
            Pointer all = report.getPointer(REPORT_READERS);
            List<StallInfo.Reader> readers = new ArrayList<>(n);
            for (int i = 0; i < n && all != null && table != null; i++) {
                Pointer sr = all.share(i * SREADER_SIZE);
                readers.add(table.reader(sr.getLong(SREADER_TID), NativeStalls.name(sr.getByteArray(SREADER_NAME, 16)),
                        sr.getLong(SREADER_INSIDE), sr.getInt(SREADER_DEPTH),
                        Integer.toUnsignedLong(sr.getInt(SREADER_KICKS))));
            }
            NativeStalls.deliver(id, report.getLong(REPORT_GP), report.getLong(REPORT_ELAPSED),
                    report.getLong(REPORT_TIMEOUT), report.getInt(REPORT_NTH), report.getInt(REPORT_POLICY),
                    report.getInt(REPORT_CAUSE), report.getInt(REPORT_TOTAL), readers);
        } catch (Throwable t) {
            lastResort("stall handler", t);
        }
    }

    /** gettid() from libc, bound lazily; absent: -1 (Java readers then read as C threads in reports). */
    private static final class Tid {
        static final Function GETTID = find();

        private static Function find() {
            try {
                return NativeLibrary.getInstance("c").getFunction("gettid");
            } catch (LinkageError | RuntimeException e) {
                return null;
            }
        }
    }

    /** The calling thread's kernel thread id, or -1. */
    static long currentTid() {
        try {
            return Tid.GETTID != null ? Tid.GETTID.invokeInt(new Object[0]) : -1;
        } catch (LinkageError | RuntimeException e) {
            return -1;
        }
    }

    static void lastResort(String what, Throwable t) {
        try {
            System.err.println("quiesce (jna): a " + what + " upcall threw past its guard: " + t);
        } catch (Throwable ignored) {
            // Nothing left to report to.
        }
    }
}
