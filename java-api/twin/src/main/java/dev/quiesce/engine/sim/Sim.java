package dev.quiesce.engine.sim;

import dev.quiesce.engine.Errno;
import dev.quiesce.engine.Fault;
import dev.quiesce.engine.FqsCause;
import dev.quiesce.engine.GpAction;
import dev.quiesce.engine.GpInput;
import dev.quiesce.engine.GpMachine;
import dev.quiesce.engine.GpPhase;
import dev.quiesce.engine.GpSeq;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.ReaderState;
import dev.quiesce.engine.Stats;
import dev.quiesce.engine.WorkerAction;
import dev.quiesce.engine.WorkerMachine;
import java.util.Arrays;
import java.util.Objects;

/**
 * The deterministic step API in Java: a whole RCU system (readers, one
 * writer that is either the call worker or a direct synchronize() caller, a
 * FIFO callback queue) advanced by explicit events, on top of
 * {@link GpMachine} and {@link WorkerMachine}. Mirrors {@code qs_sim} of
 * engine/sim.c function by function (each method names its C twin), so the
 * differential tests can feed both the same events and compare
 * {@link #state()} after every step.
 *
 * <p>After every event the writer runs until it blocks (waits for work,
 * sleeps a poll period, or waits on the GP event), so the state between
 * events is stable. Callback ids are assigned 1, 2, 3... in call order.
 *
 * <p>Rules the simulation fixes (the threaded runtime has real concurrency):
 * <ul>
 *   <li>one writer at a time: the worker's GP or a direct synchronize(); a
 *       synchronize() that arrives while the writer is busy waits (at most
 *       one waits; a second gets {@code -EBUSY}) and runs before the worker's
 *       next decision;
 *   <li>a poll sleep ends on POLL_ELAPSED, or early on FORCE or DRAIN (FQS
 *       policy); an early end counts as a poll;
 *   <li>DRAIN also sets the GP event, waking a writer blocked on it (both
 *       policies): under LEGACY the rescan kicks the readers that still
 *       block; under FQS it changes nothing observable;
 *   <li>LEGACY pre-polls end only on POLL_ELAPSED (as before the seed);
 *   <li>a reader's slow-path unlock wakes a writer blocked on the GP event;
 *   <li>GPs are numbered as they start ({@code gpStart}: gpSeqStarted + 1)
 *       and {@code gpFinish} sets gpSeqCompleted to that number. START_POLL
 *       records its cookie in gpSeqWanted; the worker is told "a GP is
 *       wanted" while that cookie is not done
 *       ({@link WorkerMachine#decide}). START_POLL wakes only an idle worker
 *       (writer IDLE): a LEGACY pre-poll sleep is not cut short, and a busy
 *       writer sees the request at its next worker decision;
 *   <li>SYNC while the writer is busy only queues the synchronize(); the
 *       runtime's caller also expedites the running GP, which is the
 *       separate EXPEDITE event. EXPEDITE marks the GP expedited and ends a
 *       normal-state poll sleep early (it counts as a poll); a GP blocked on
 *       the GP event is not woken, and under LEGACY the mark changes nothing
 *       but the GP's {@code expedited} flag. No GP running: {@code -EINVAL}.
 * </ul>
 *
 * <p>Not thread-safe.
 */
public final class Sim implements SimDriver {

    /** {@code QS_SIM_MAX_READERS}. */
    public static final int MAX_READERS = 8;
    /** The FNV-1a offset basis run_hash starts from. */
    public static final long HASH_INIT = 0xcbf29ce484222325L; // 14695981039346656037
    /** The FNV-1a 64-bit prime. */
    public static final long HASH_PRIME = 0x100000001b3L; // 1099511628211

    /** One reader slot ({@code qs_sim_reader}), mutable. */
    private static final class Reader {
        boolean registered;
        int depth;
        long ctr;
        boolean waiting;
        boolean inWaitList;
        long slowUnlocks;
        long notified;

        /** {@code memset(r, 0, sizeof(*r))}. */
        void clear() {
            registered = false;
            depth = 0;
            ctr = 0;
            waiting = false;
            inWaitList = false;
            slowUnlocks = 0;
            notified = 0;
        }

        SimReader snapshot() {
            if (!registered && depth == 0 && ctr == 0 && !waiting && !inWaitList && slowUnlocks == 0
                    && notified == 0) {
                return SimReader.EMPTY;
            }
            return new SimReader(registered, depth, ctr, waiting, inWaitList, slowUnlocks, notified);
        }
    }

    /** The effects of the current event, accumulated ({@code qs_sim_effects}). */
    private static final class Eff {
        int cbsRun;
        int notifiedMask;
        int gpsEnded;
        boolean slowUnlock;
        int drainsDone;
        long cookie;
    }

    private final Fault fault;

    /* ---- qs_sim_state s ---- */
    private long gpCtr;
    private SimWriter writer;
    private SimOwner owner;
    private final GpMachine gp;
    private final WorkerMachine worker;
    private boolean gpEventSet;
    private int pending;
    private int draining;
    private boolean forced;
    private boolean syncPending;
    private boolean forcedLate;
    private long nextCbId;
    private long lastCbRun;
    private long runHash;
    private final Reader[] readers = new Reader[MAX_READERS];
    /* s.stats */
    private long gps;
    private long gpsFqs;
    private final long[] fqsByCause = new long[FqsCause.COUNT];
    private long polls;
    private long slowUnlocks;
    private long notifierCalls;
    private long callbacksQueued;
    private long callbacksRun;
    private long drains;
    private long forces;
    private long syncs;
    /* GP numbers (see GpSeq) */
    private long gpSeqStarted;
    private long gpSeqCompleted;
    private long gpSeqWanted;

    /* ---- private to the simulation ---- */
    /** Ids of queued drain markers, ascending (callbacks run in id order): a ring [head, tail). */
    private long[] markers = new long[8];
    private int markersHead;
    private int markersTail;

    /**
     * A simulation with {@code params}. Mirrors {@code qs_sim_new}.
     *
     * @param params the engine parameters
     */
    public Sim(Params params) {
        this(params, Fault.NONE);
    }

    /**
     * A simulation with an injected fault (tests only).
     *
     * @param params the engine parameters
     * @param fault the fault
     */
    public Sim(Params params, Fault fault) {
        Objects.requireNonNull(params, "params");
        this.fault = Objects.requireNonNull(fault, "fault");
        this.gp = new GpMachine(params, fault);
        this.worker = new WorkerMachine(params, fault);
        this.gpCtr = ReaderState.GP_CTR_INIT;
        this.writer = SimWriter.IDLE;
        this.owner = SimOwner.NONE;
        this.nextCbId = 1;
        this.runHash = HASH_INIT;
        for (int i = 0; i < MAX_READERS; i++) {
            readers[i] = new Reader();
        }
    }

    /**
     * {@return the parameters}
     */
    public Params params() {
        return gp.params();
    }

    /**
     * {@return the order-sensitive hash used for run_hash: {@code h' = (h ^ id) * 1099511628211}
     * (64-bit FNV-1a step over whole ids), starting from {@link #HASH_INIT}} Mirrors {@code qs_sim_hash_step}.
     *
     * @param h the h
     * @param id the id
     */
    public static long hashStep(long h, long id) {
        return (h ^ id) * HASH_PRIME;
    }

    /** Mirrors {@code qs_sim_state_get}. */
    @Override
    public SimState state() {
        SimReader[] rs = new SimReader[MAX_READERS];
        for (int i = 0; i < MAX_READERS; i++) {
            rs[i] = readers[i].snapshot();
        }
        Stats stats = new Stats(gps, gpsFqs, fqsByCause, polls, slowUnlocks, notifierCalls, callbacksQueued,
                callbacksRun, drains, forces, syncs, 0, 0, new long[Stats.HIST_BUCKETS]);
        return new SimState(gpCtr, writer, owner, gp.snapshot(), worker.snapshot(), gpEventSet, pending,
                draining, forced, syncPending, forcedLate, nextCbId, lastCbRun, runHash, Arrays.asList(rs), stats,
                gpSeqStarted, gpSeqCompleted, gpSeqWanted);
    }

    /**
     * Test hook: renumber GPs so the next one claimed is {@code base + 1}
     * (gpSeqStarted, gpSeqCompleted and gpSeqWanted := base), e.g. near the
     * unsigned maximum to test the cookies' wrap. Only with no GP running and
     * no synchronize waiting; else {@code -EBUSY} and nothing changes.
     * Mirrors {@code qs_sim_set_gp_seq}.
     */
    @Override
    public int setGpSeq(long base) {
        if (owner != SimOwner.NONE || syncPending) {
            return -Errno.EBUSY;
        }
        gpSeqStarted = base;
        gpSeqCompleted = base;
        gpSeqWanted = base;
        return 0;
    }

    /** Nothing to free. Mirrors {@code qs_sim_free}. */
    @Override
    public void close() {
    }

    /* ------------------------------------------------------------ callbacks */

    /** Mirrors {@code push_marker} (never fails in Java). */
    private void pushMarker(long id) {
        if (markersTail == markers.length) {
            int live = markersTail - markersHead;
            if (markersHead > 0) {
                /* Compact before growing. */
                System.arraycopy(markers, markersHead, markers, 0, live);
                markersTail = live;
                markersHead = 0;
            }
            if (markersTail == markers.length) {
                markers = Arrays.copyOf(markers, markers.length * 2);
            }
        }
        markers[markersTail++] = id;
    }

    /** Mirrors {@code enqueue}. */
    private long enqueue() {
        long id = nextCbId++;
        pending++;
        callbacksQueued++;
        return id;
    }

    /** Run one callback: the oldest queued (ids run in order). Mirrors {@code run_one}. */
    private void runOne(Eff eff) {
        long id = lastCbRun + 1;
        lastCbRun = id;
        runHash = hashStep(runHash, id);
        pending--;
        if (fault != Fault.CALLBACKS_COUNTED_EARLY) {
            callbacksRun++;
        }
        eff.cbsRun++;
        if (markersHead < markersTail && markers[markersHead] == id) {
            markersHead++;
            draining--;
            drains++;
            eff.drainsDone++;
        }
    }

    /* --------------------------------------------------------------- writer */

    /** Mirrors {@code notify} (renamed: {@code Object.notify} is taken). */
    private void notifyReader(int i, Eff eff) {
        readers[i].notified++;
        notifierCalls++;
        eff.notifiedMask |= 1 << i;
    }

    /** Mirrors {@code gp_start}. */
    private void gpStart(SimOwner newOwner) {
        boolean any = false;
        owner = newOwner;
        gpSeqStarted++;
        for (Reader r : readers) {
            r.inWaitList = r.registered;
            any |= r.registered;
        }
        /* Like the runtime: with no reader registered nothing can block, so
         * the counter is left alone (the GP still completes and counts). */
        if (any) {
            gpCtr += ReaderState.GP_STEP;
            /* The runtime runs no wait_for_readers (so no qs_gp_begin) then. */
            gp.begin(newOwner == SimOwner.SYNC);
        }
        if (fault == Fault.CALLBACKS_COUNTED_EARLY && newOwner == SimOwner.WORKER) {
            callbacksRun += Integer.toUnsignedLong(worker.batch());
        }
    }

    /** Mirrors {@code gp_finish}. */
    private void gpFinish(Eff eff) {
        gp.end();
        gpSeqCompleted = gpSeqStarted;
        gps++;
        eff.gpsEnded++;
        if (owner == SimOwner.WORKER) {
            /* The batch was taken when this GP began: it answers the force()
             * calls made before that, not those made while it ran. */
            if (fault != Fault.FORCE_NOT_CLEARED) {
                forced = forcedLate;
            }
            forcedLate = false;
            worker.gpDone();
            for (int n = worker.batch(); n != 0; n--) {
                runOne(eff);
            }
            worker.batchDone();
        } else {
            syncs++;
        }
        owner = SimOwner.NONE;
        writer = SimWriter.IDLE;
    }

    /** The blocking test of a scan, with the injectable wrong-counter fault. */
    private ReaderState classify(long ctr) {
        if (fault == Fault.BLOCKING_WRONG_COUNTER) {
            return ctr != 0 ? ReaderState.ACTIVE_OLD : ReaderState.INACTIVE;
        }
        return ReaderState.classify(ctr, gpCtr);
    }

    /**
     * One pass of wait_for_readers: arm if needed, scan, decide. Returns the
     * action taken. Mirrors {@code gp_pass}.
     */
    private GpAction gpPass(Eff eff) {
        boolean armed = gp.arms();
        if (armed) {
            /* Reset before setting `waiting`, so a wake-up after it counts. */
            gpEventSet = false;
            boolean setWaiting = !(fault == Fault.FQS_NEVER_SETS_WAITING && gp.state() == GpPhase.FORCED);
            for (Reader r : readers) {
                if (r.inWaitList && setWaiting) {
                    r.waiting = true;
                }
            }
        }
        GpInput probe = new GpInput(0, pending, draining, forced);
        boolean kick = gp.notifiesInScan(probe);
        int remaining = 0;
        for (int i = 0; i < MAX_READERS; i++) {
            Reader r = readers[i];
            if (!r.inWaitList) {
                continue;
            }
            if (classify(r.ctr) != ReaderState.ACTIVE_OLD) {
                r.inWaitList = false;
                if (armed) {
                    r.waiting = false;
                }
            } else {
                remaining++;
                if (kick) {
                    notifyReader(i, eff);
                }
            }
        }
        GpAction act = gp.afterScan(new GpInput(remaining, pending, draining, forced));
        if (act == GpAction.FORCE) {
            gpsFqs++;
            fqsByCause[gp.cause().value()]++;
            for (int i = 0; i < MAX_READERS; i++) {
                if (readers[i].inWaitList) {
                    notifyReader(i, eff);
                }
            }
        }
        return act;
    }

    /** True while a START_POLL cookie is not done: the worker must run a GP. Mirrors {@code gp_wanted}. */
    private boolean gpWanted() {
        return !GpSeq.done(gpSeqCompleted, gpSeqWanted);
    }

    /** Run the writer until it blocks. Mirrors {@code writer_run}. */
    private void writerRun(Eff eff) {
        for (;;) {
            if (owner != SimOwner.NONE) {
                GpAction act = gpPass(eff);
                if (act == GpAction.DONE) {
                    gpFinish(eff);
                    continue;
                }
                if (act == GpAction.SLEEP) {
                    writer = SimWriter.POLL_SLEEP;
                    return;
                }
                if (act == GpAction.WAIT) {
                    writer = SimWriter.EVENT_WAIT;
                    return;
                }
                continue; /* FORCE: arm and rescan at once */
            }
            if (syncPending) {
                syncPending = false;
                gpStart(SimOwner.SYNC);
                continue;
            }
            WorkerAction wact = worker.decide(pending, gpWanted());
            if (wact == WorkerAction.RUN_GP) {
                gpStart(SimOwner.WORKER);
                continue;
            }
            writer = wact == WorkerAction.PREPOLL ? SimWriter.PREPOLL : SimWriter.IDLE;
            return;
        }
    }

    /** Wake a writer from an interruptible poll sleep (FQS policy). Mirrors {@code interrupt_poll}. */
    private void interruptPoll(Eff eff) {
        if (writer == SimWriter.POLL_SLEEP) {
            gp.pollDone();
            polls++;
            writerRun(eff);
        }
    }

    /* --------------------------------------------------------------- events */

    /** Mirrors {@code ev_reader}. */
    private int evReader(EventKind kind, int slot, Eff eff) {
        if (slot < 0 || slot >= MAX_READERS) {
            return -Errno.EINVAL;
        }
        Reader r = readers[slot];
        switch (kind) {
            case REGISTER:
                if (r.registered) {
                    return -Errno.EINVAL;
                }
                r.clear();
                r.registered = true;
                return 0;
            case UNREGISTER:
                if (!r.registered) {
                    return -Errno.EINVAL;
                }
                if (r.depth != 0) {
                    return -Errno.EBUSY;
                }
                r.clear();
                return 0;
            case LOCK:
                if (!r.registered) {
                    return -Errno.EINVAL;
                }
                if (r.depth++ == 0) {
                    r.ctr = gpCtr;
                }
                return 0;
            default: /* UNLOCK */
                if (!r.registered || r.depth == 0) {
                    return -Errno.EINVAL;
                }
                if (--r.depth == 0 || fault == Fault.NESTED_UNLOCK_ENDS_SECTION) {
                    r.ctr = 0;
                    if (r.waiting) {
                        /* The slow path: clear, count, set the GP event. */
                        r.waiting = false;
                        r.slowUnlocks++;
                        slowUnlocks++;
                        eff.slowUnlock = true;
                        gpEventSet = true;
                        if (writer == SimWriter.EVENT_WAIT) {
                            writerRun(eff);
                        }
                    }
                }
                return 0;
        }
    }

    /** Mirrors {@code qs_sim_step}. */
    @Override
    public Effects step(int kind, int arg) {
        Eff eff = new Eff();
        int rc = 0;
        boolean fqsPolicy = gp.params().policy() == Policy.FQS;

        EventKind k = kind >= 0 && kind < EventKind.COUNT ? EventKind.valueOf(kind) : null;
        if (k == null) {
            rc = -Errno.EINVAL;
        } else {
            switch (k) {
                case REGISTER:
                case UNREGISTER:
                case LOCK:
                case UNLOCK:
                    rc = evReader(k, arg, eff);
                    break;
                case CALL:
                    enqueue();
                    if (writer == SimWriter.IDLE) {
                        writerRun(eff);
                    }
                    break;
                case DRAIN:
                    pushMarker(nextCbId);
                    enqueue();
                    draining++;
                    if (writer == SimWriter.IDLE) {
                        writerRun(eff);
                    } else if (writer == SimWriter.EVENT_WAIT) {
                        /* Both policies: wake the writer, so a LEGACY rescan
                         * kicks the readers that still block. */
                        gpEventSet = true;
                        writerRun(eff);
                    } else if (fqsPolicy) {
                        interruptPoll(eff);
                    }
                    break;
                case FORCE:
                    forces++;
                    if (fqsPolicy) {
                        forced = true;
                        if (owner == SimOwner.WORKER) {
                            forcedLate = true;
                        }
                        interruptPoll(eff);
                    }
                    break;
                case SYNC:
                    if (syncPending) {
                        rc = -Errno.EBUSY;
                    } else if (writer == SimWriter.IDLE) {
                        gpStart(SimOwner.SYNC);
                        writerRun(eff);
                    } else {
                        syncPending = true;
                    }
                    break;
                case EXPEDITE:
                    if (owner == SimOwner.NONE || gp.state() == GpPhase.IDLE) {
                        rc = -Errno.EINVAL;
                        break;
                    }
                    gp.expedite();
                    interruptPoll(eff);
                    break;
                case GET_STATE:
                    eff.cookie = GpSeq.snap(gpSeqStarted);
                    break;
                case START_POLL: {
                    long c = GpSeq.snap(gpSeqStarted);
                    eff.cookie = c;
                    if (!GpSeq.done(gpSeqCompleted, c)) {
                        /* The later of the two cookies, wrap-safe. */
                        if (c - gpSeqWanted > 0) {
                            gpSeqWanted = c;
                        }
                        if (writer == SimWriter.IDLE) {
                            writerRun(eff);
                        }
                    }
                    break;
                }
                case POLL_ELAPSED:
                    if (writer == SimWriter.PREPOLL) {
                        worker.prepollDone();
                        polls++;
                        writerRun(eff);
                    } else if (writer == SimWriter.POLL_SLEEP) {
                        interruptPoll(eff);
                    } else {
                        rc = -Errno.EINVAL;
                    }
                    break;
                default:
                    rc = -Errno.EINVAL;
                    break;
            }
        }
        return new Effects(rc, eff.cbsRun, eff.notifiedMask, eff.gpsEnded, eff.slowUnlock, eff.drainsDone,
                eff.cookie);
    }
}
