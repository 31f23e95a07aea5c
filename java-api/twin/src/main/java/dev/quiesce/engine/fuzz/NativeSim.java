package dev.quiesce.engine.fuzz;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import dev.quiesce.engine.sim.Effects;
import dev.quiesce.engine.FqsCause;
import dev.quiesce.engine.GpSnapshot;
import dev.quiesce.engine.GpPhase;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.sim.Sim;
import dev.quiesce.engine.sim.SimDriver;
import dev.quiesce.engine.sim.SimOwner;
import dev.quiesce.engine.sim.SimReader;
import dev.quiesce.engine.sim.SimState;
import dev.quiesce.engine.sim.SimWriter;
import dev.quiesce.engine.Stats;
import dev.quiesce.engine.WorkerSnapshot;
import dev.quiesce.engine.WorkerState;
import dev.quiesce.internal.NativeLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The C engine's step API ({@code qs_sim_*} of engine/sim.c) driven through
 * JNA, read back into the same Java value types as the Java twin
 * ({@link SimState}, {@link Effects}), so a differential test can compare
 * them with {@code equals}. Works on JDK 17 and later (no FFM).
 *
 * <p>No offset is hard-coded: every field is located once, by name, through
 * the library's own {@code qs_layout_sizeof}/{@code qs_layout_offsetof}
 * ({@link Layout}). A step costs one downcall; reading the state costs one
 * downcall plus one bulk copy of {@code sizeof(qs_sim_state)} bytes, decoded
 * from a heap buffer.
 *
 * <p>Decoding is strict: a 0/1 flag holding anything else, an enum value
 * out of range, or a non-zero reserved word throws
 * {@link IllegalStateException}, so corruption on the C side cannot compare
 * equal by accident.
 *
 * <p>Not thread-safe; one instance per thread.
 */
public final class NativeSim implements SimDriver {

    /** JNA direct mapping of the functions used here. */
    static final class Lib {
        static {
            Native.register(Lib.class, NativeLibrary.getInstance(NativeLoader.libraryPath().toString()));
        }

        private Lib() {
        }

        static native Pointer qs_sim_new(Pointer params);

        static native void qs_sim_free(Pointer sim);

        static native int qs_sim_step(Pointer sim, int kind, int arg, Pointer out);

        static native void qs_sim_state_get(Pointer sim, Pointer out);

        static native long qs_sim_hash_step(long h, long id);

        static native int qs_sim_set_gp_seq(Pointer sim, long base);

        static native long qs_layout_sizeof(String type);

        static native long qs_layout_offsetof(String type, String field);

        static native int qs_params_check(Pointer params);
    }

    /**
     * Offsets of every field this class reads or writes, from the library's
     * layout table. Resolved once per class loader.
     */
    static final class Layout {
        static final int PARAMS_SIZE = size("qs_params");
        static final int P_POLICY = off("qs_params", "policy");
        static final int P_POLL_LIMIT = off("qs_params", "poll_limit");
        static final int P_CB_THRESHOLD = off("qs_params", "cb_threshold");
        static final int P_RESERVED = off("qs_params", "reserved");
        static final int P_POLL_PERIOD_NS = off("qs_params", "poll_period_ns");

        static final int G_PARAMS = off("qs_gp", "params");
        static final int G_STATE = off("qs_gp", "state");
        static final int G_CAUSE = off("qs_gp", "cause");
        static final int G_POLLS = off("qs_gp", "polls");
        static final int G_EXPEDITED = off("qs_gp", "expedited");

        static final int W_PARAMS = off("qs_worker", "params");
        static final int W_STATE = off("qs_worker", "state");
        static final int W_PREPOLLS = off("qs_worker", "prepolls");
        static final int W_BATCH = off("qs_worker", "batch");
        static final int W_RESERVED = off("qs_worker", "reserved");

        static final int READER_SIZE = size("qs_sim_reader");
        static final int R_REGISTERED = off("qs_sim_reader", "registered");
        static final int R_DEPTH = off("qs_sim_reader", "depth");
        static final int R_CTR = off("qs_sim_reader", "ctr");
        static final int R_WAITING = off("qs_sim_reader", "waiting");
        static final int R_IN_WAIT_LIST = off("qs_sim_reader", "in_wait_list");
        static final int R_SLOW_UNLOCKS = off("qs_sim_reader", "slow_unlocks");
        static final int R_NOTIFIED = off("qs_sim_reader", "notified");

        static final int STATS_SIZE = size("qs_stats");
        static final int T_GPS = off("qs_stats", "gps");
        static final int T_GPS_FQS = off("qs_stats", "gps_fqs");
        static final int T_FQS_BY_CAUSE = off("qs_stats", "fqs_by_cause");
        static final int T_POLLS = off("qs_stats", "polls");
        static final int T_SLOW_UNLOCKS = off("qs_stats", "slow_unlocks");
        static final int T_NOTIFIER_CALLS = off("qs_stats", "notifier_calls");
        static final int T_CALLBACKS_QUEUED = off("qs_stats", "callbacks_queued");
        static final int T_CALLBACKS_RUN = off("qs_stats", "callbacks_run");
        static final int T_DRAINS = off("qs_stats", "drains");
        static final int T_FORCES = off("qs_stats", "forces");
        static final int T_SYNCS = off("qs_stats", "syncs");
        static final int T_GP_LAT_MAX_NS = off("qs_stats", "gp_lat_max_ns");
        static final int T_GP_LAT_SUM_NS = off("qs_stats", "gp_lat_sum_ns");
        static final int T_GP_LAT_HIST = off("qs_stats", "gp_lat_hist");

        static final int STATE_SIZE = size("qs_sim_state");
        static final int S_GP_CTR = off("qs_sim_state", "gp_ctr");
        static final int S_WRITER = off("qs_sim_state", "writer");
        static final int S_OWNER = off("qs_sim_state", "owner");
        static final int S_GP = off("qs_sim_state", "gp");
        static final int S_WORKER = off("qs_sim_state", "worker");
        static final int S_GP_EVENT_SET = off("qs_sim_state", "gp_event_set");
        static final int S_PENDING = off("qs_sim_state", "pending");
        static final int S_DRAINING = off("qs_sim_state", "draining");
        static final int S_FORCED = off("qs_sim_state", "forced");
        static final int S_SYNC_PENDING = off("qs_sim_state", "sync_pending");
        static final int S_FORCED_LATE = off("qs_sim_state", "forced_late");
        static final int S_NEXT_CB_ID = off("qs_sim_state", "next_cb_id");
        static final int S_LAST_CB_RUN = off("qs_sim_state", "last_cb_run");
        static final int S_RUN_HASH = off("qs_sim_state", "run_hash");
        static final int S_READERS = off("qs_sim_state", "readers");
        static final int S_STATS = off("qs_sim_state", "stats");
        static final int S_GP_SEQ_STARTED = off("qs_sim_state", "gp_seq_started");
        static final int S_GP_SEQ_COMPLETED = off("qs_sim_state", "gp_seq_completed");
        static final int S_GP_SEQ_WANTED = off("qs_sim_state", "gp_seq_wanted");

        static final int EFFECTS_SIZE = size("qs_sim_effects");
        static final int E_RC = off("qs_sim_effects", "rc");
        static final int E_CBS_RUN = off("qs_sim_effects", "cbs_run");
        static final int E_NOTIFIED_MASK = off("qs_sim_effects", "notified_mask");
        static final int E_GPS_ENDED = off("qs_sim_effects", "gps_ended");
        static final int E_SLOW_UNLOCK = off("qs_sim_effects", "slow_unlock");
        static final int E_DRAINS_DONE = off("qs_sim_effects", "drains_done");
        static final int E_COOKIE = off("qs_sim_effects", "cookie");

        static {
            int fqsBytes = FqsCause.COUNT * Long.BYTES;
            int histBytes = Stats.HIST_BUCKETS * Long.BYTES;
            if (T_FQS_BY_CAUSE + fqsBytes > STATS_SIZE || T_GP_LAT_HIST + histBytes > STATS_SIZE
                    || S_READERS + Sim.MAX_READERS * READER_SIZE > STATE_SIZE
                    || S_STATS + STATS_SIZE > STATE_SIZE) {
                throw new IllegalStateException("the native qs_sim_state layout does not fit the Java twin's "
                        + "constants (MAX_READERS=" + Sim.MAX_READERS + ", FQS causes=" + FqsCause.COUNT
                        + ", histogram=" + Stats.HIST_BUCKETS + ")");
            }
        }

        private Layout() {
        }

        private static int size(String type) {
            long n = Lib.qs_layout_sizeof(type);
            if (n <= 0) {
                throw new IllegalStateException("libquiesce does not describe struct " + type
                        + " (qs_layout_sizeof returned " + n + ")");
            }
            return Math.toIntExact(n);
        }

        private static int off(String type, String field) {
            long n = Lib.qs_layout_offsetof(type, field);
            if (n < 0) {
                throw new IllegalStateException("libquiesce does not describe " + type + "." + field
                        + " (qs_layout_offsetof returned " + n + ")");
            }
            return Math.toIntExact(n);
        }
    }

    private final Params params;
    private Pointer sim;
    private final Memory stateMem = new Memory(Layout.STATE_SIZE);
    private final Memory effMem = new Memory(Layout.EFFECTS_SIZE);
    private final byte[] stateBytes = new byte[Layout.STATE_SIZE];
    private final ByteBuffer stateBuf = ByteBuffer.wrap(stateBytes).order(ByteOrder.nativeOrder());
    private final byte[] effBytes = new byte[Layout.EFFECTS_SIZE];
    private final ByteBuffer effBuf = ByteBuffer.wrap(effBytes).order(ByteOrder.nativeOrder());

    /**
     * A native simulation with {@code params} ({@code qs_sim_new}).
     *
     * @param params the engine parameters
     * @throws IllegalStateException if the C side refuses the parameters
     * @throws UnsatisfiedLinkError  if the library cannot be loaded
     */
    public NativeSim(Params params) {
        this.params = Objects.requireNonNull(params, "params");
        try (Memory p = encodeParams(params)) {
            sim = Lib.qs_sim_new(p);
        }
        if (sim == null) {
            throw new IllegalStateException("qs_sim_new refused " + params);
        }
    }

    /**
     * Raw {@code qs_params_check} on the C side, for parameter twins tests.
     *
     * @param policy the grace-period policy
     * @param pollLimit the poll limit
     * @param cbThreshold the cb threshold
     * @param reserved the reserved
     * @param pollPeriodNs the poll period ns
     * @return the params check
     */
    public static int paramsCheck(int policy, int pollLimit, int cbThreshold, int reserved, long pollPeriodNs) {
        try (Memory p = new Memory(Layout.PARAMS_SIZE)) {
            p.clear();
            p.setInt(Layout.P_POLICY, policy);
            p.setInt(Layout.P_POLL_LIMIT, pollLimit);
            p.setInt(Layout.P_CB_THRESHOLD, cbThreshold);
            p.setInt(Layout.P_RESERVED, reserved);
            p.setLong(Layout.P_POLL_PERIOD_NS, pollPeriodNs);
            return Lib.qs_params_check(p);
        }
    }

    /**
     * {@code qs_sim_hash_step} of the C side.
     *
     * @param h the h
     * @param id the id
     * @return the hash step
     */
    public static long hashStep(long h, long id) {
        return Lib.qs_sim_hash_step(h, id);
    }

    /**
     * {@code sizeof(qs_sim_state)} as the library reports it.
     *
     * @return the state size
     */
    public static int stateSize() {
        return Layout.STATE_SIZE;
    }

    private static Memory encodeParams(Params params) {
        Memory p = new Memory(Layout.PARAMS_SIZE);
        p.clear();
        p.setInt(Layout.P_POLICY, params.policy().value());
        p.setInt(Layout.P_POLL_LIMIT, params.pollLimit());
        p.setInt(Layout.P_CB_THRESHOLD, params.cbThreshold());
        p.setInt(Layout.P_RESERVED, 0);
        p.setLong(Layout.P_POLL_PERIOD_NS, params.pollPeriodNs());
        return p;
    }

    /**
     * {@return the parameters the simulation was created with}
     */
    public Params params() {
        return params;
    }

    private Pointer live() {
        if (sim == null) {
            throw new IllegalStateException("NativeSim is closed");
        }
        return sim;
    }

    @Override
    public Effects step(int kind, int arg) {
        int rc = Lib.qs_sim_step(live(), kind, arg, effMem);
        effMem.read(0, effBytes, 0, effBytes.length);
        Effects e = new Effects(effBuf.getInt(Layout.E_RC), effBuf.getInt(Layout.E_CBS_RUN),
                effBuf.getInt(Layout.E_NOTIFIED_MASK), effBuf.getInt(Layout.E_GPS_ENDED),
                flag(effBuf, Layout.E_SLOW_UNLOCK, "qs_sim_effects.slow_unlock"),
                effBuf.getInt(Layout.E_DRAINS_DONE),
                effBuf.getLong(Layout.E_COOKIE));
        if (e.rc() != rc) {
            throw new IllegalStateException("qs_sim_step returned " + rc + " but out->rc is " + e.rc());
        }
        return e;
    }

    @Override
    public SimState state() {
        Lib.qs_sim_state_get(live(), stateMem);
        stateMem.read(0, stateBytes, 0, stateBytes.length);
        ByteBuffer b = stateBuf;
        SimReader[] readers = new SimReader[Sim.MAX_READERS];
        for (int i = 0; i < Sim.MAX_READERS; i++) {
            readers[i] = reader(b, Layout.S_READERS + i * Layout.READER_SIZE, i);
        }
        return new SimState(b.getLong(Layout.S_GP_CTR),
                SimWriter.valueOf(b.getInt(Layout.S_WRITER)),
                SimOwner.valueOf(b.getInt(Layout.S_OWNER)),
                gp(b, Layout.S_GP),
                worker(b, Layout.S_WORKER),
                flag(b, Layout.S_GP_EVENT_SET, "qs_sim_state.gp_event_set"),
                b.getInt(Layout.S_PENDING),
                b.getInt(Layout.S_DRAINING),
                flag(b, Layout.S_FORCED, "qs_sim_state.forced"),
                flag(b, Layout.S_SYNC_PENDING, "qs_sim_state.sync_pending"),
                flag(b, Layout.S_FORCED_LATE, "qs_sim_state.forced_late"),
                b.getLong(Layout.S_NEXT_CB_ID),
                b.getLong(Layout.S_LAST_CB_RUN),
                b.getLong(Layout.S_RUN_HASH),
                Arrays.asList(readers),
                stats(b, Layout.S_STATS),
                b.getLong(Layout.S_GP_SEQ_STARTED),
                b.getLong(Layout.S_GP_SEQ_COMPLETED),
                b.getLong(Layout.S_GP_SEQ_WANTED));
    }

    /** {@code qs_sim_set_gp_seq} on the C side. */
    @Override
    public int setGpSeq(long base) {
        return Lib.qs_sim_set_gp_seq(live(), base);
    }

    /** Frees the C simulation ({@code qs_sim_free}); idempotent. */
    @Override
    public void close() {
        if (sim != null) {
            Lib.qs_sim_free(sim);
            sim = null;
        }
        stateMem.close();
        effMem.close();
    }

    /* ------------------------------------------------------------ decoding */

    private static Params params(ByteBuffer b, int base, String where) {
        zero(b, base + Layout.P_RESERVED, where + ".params.reserved");
        return new Params(Policy.valueOf(b.getInt(base + Layout.P_POLICY)), b.getInt(base + Layout.P_POLL_LIMIT),
                b.getInt(base + Layout.P_CB_THRESHOLD), b.getLong(base + Layout.P_POLL_PERIOD_NS));
    }

    private static GpSnapshot gp(ByteBuffer b, int base) {
        return new GpSnapshot(params(b, base + Layout.G_PARAMS, "qs_gp"),
                GpPhase.valueOf(b.getInt(base + Layout.G_STATE)),
                FqsCause.valueOf(b.getInt(base + Layout.G_CAUSE)),
                b.getInt(base + Layout.G_POLLS),
                flag(b, base + Layout.G_EXPEDITED, "qs_gp.expedited"));
    }

    private static WorkerSnapshot worker(ByteBuffer b, int base) {
        zero(b, base + Layout.W_RESERVED, "qs_worker.reserved");
        return new WorkerSnapshot(params(b, base + Layout.W_PARAMS, "qs_worker"),
                WorkerState.valueOf(b.getInt(base + Layout.W_STATE)),
                b.getInt(base + Layout.W_PREPOLLS),
                b.getInt(base + Layout.W_BATCH));
    }

    private static SimReader reader(ByteBuffer b, int base, int i) {
        String w = "readers[" + i + "]";
        SimReader r = new SimReader(flag(b, base + Layout.R_REGISTERED, w + ".registered"),
                b.getInt(base + Layout.R_DEPTH),
                b.getLong(base + Layout.R_CTR),
                flag(b, base + Layout.R_WAITING, w + ".waiting"),
                flag(b, base + Layout.R_IN_WAIT_LIST, w + ".in_wait_list"),
                b.getLong(base + Layout.R_SLOW_UNLOCKS),
                b.getLong(base + Layout.R_NOTIFIED));
        return r.equals(SimReader.EMPTY) ? SimReader.EMPTY : r;
    }

    private static Stats stats(ByteBuffer b, int base) {
        long[] byCause = new long[FqsCause.COUNT];
        for (int i = 0; i < byCause.length; i++) {
            byCause[i] = b.getLong(base + Layout.T_FQS_BY_CAUSE + i * Long.BYTES);
        }
        long[] hist = new long[Stats.HIST_BUCKETS];
        for (int i = 0; i < hist.length; i++) {
            hist[i] = b.getLong(base + Layout.T_GP_LAT_HIST + i * Long.BYTES);
        }
        return new Stats(b.getLong(base + Layout.T_GPS), b.getLong(base + Layout.T_GPS_FQS), byCause,
                b.getLong(base + Layout.T_POLLS), b.getLong(base + Layout.T_SLOW_UNLOCKS),
                b.getLong(base + Layout.T_NOTIFIER_CALLS), b.getLong(base + Layout.T_CALLBACKS_QUEUED),
                b.getLong(base + Layout.T_CALLBACKS_RUN), b.getLong(base + Layout.T_DRAINS),
                b.getLong(base + Layout.T_FORCES), b.getLong(base + Layout.T_SYNCS),
                b.getLong(base + Layout.T_GP_LAT_MAX_NS), b.getLong(base + Layout.T_GP_LAT_SUM_NS), hist);
    }

    /** A C 0/1 flag (int32 or uint32); anything else is corruption. */
    private static boolean flag(ByteBuffer b, int off, String what) {
        int v = b.getInt(off);
        if (v != 0 && v != 1) {
            throw new IllegalStateException("native " + what + " = " + v + ", not 0/1");
        }
        return v == 1;
    }

    private static void zero(ByteBuffer b, int off, String what) {
        int v = b.getInt(off);
        if (v != 0) {
            throw new IllegalStateException("native " + what + " = " + v + ", must be 0");
        }
    }
}
