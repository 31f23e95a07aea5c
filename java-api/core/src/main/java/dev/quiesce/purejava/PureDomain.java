package dev.quiesce.purejava;


import dev.quiesce.engine.FqsCause;
import dev.quiesce.engine.GpAction;
import dev.quiesce.engine.GpInput;
import dev.quiesce.engine.GpMachine;
import dev.quiesce.engine.GpSeq;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.ReaderState;
import dev.quiesce.engine.Stats;
import dev.quiesce.engine.WorkerAction;
import dev.quiesce.engine.WorkerMachine;
import dev.quiesce.internal.GpObserver;
import dev.quiesce.spi.StallInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A pure-Java RCU domain with QEMU's semantics ({@code qs_domain}): a reader
 * registry, an expedited {@link #synchronize()}, a callback queue with one
 * worker thread ({@link #call}), {@link #drain()}, {@link #force()}, force
 * notifiers, both policies ({@link Policy#FQS}, {@link Policy#LEGACY}) and
 * the counters of {@code qs_stats}.
 *
 * <p>Every decision (poll or force, whom to arm, when a grace period is
 * over, when the worker starts one and how many callbacks it covers) is
 * taken by the engine's pure machines, {@link GpMachine} and
 * {@link WorkerMachine}, exactly as native/runtime/domain.c takes it with
 * engine/gp.c; this class performs the answers with Java locks, events,
 * fences and clocks. Method comments name their C twins.
 *
 * <p>Nothing runs before the first call: the worker thread (a daemon) is
 * started by the first {@link #call} or {@link #drain()} and stopped by
 * {@link #close()}.
 *
 * <p>Sample usage:
 * <pre>{@code
 * try (PureDomain dom = new PureDomain(Params.defaults(Policy.FQS))) {
 *     // readers: see PureReader
 *     Node old = head.getAndSet(newNode);      // unpublish
 *     dom.call(() -> recycle(old));             // reclaim after a GP, on the worker
 *     dom.synchronize();                        // or wait for a GP here (expedited)
 * }
 * }</pre>
 *
 * <p>Memory consistency effects: when {@code synchronize()} returns, or
 * when a callback queued with {@code call(fn)} runs, every read-side section
 * that began before the call has ended, and its actions happen-before that
 * return (that run). Actions of a thread before {@code call(fn)}
 * happen-before {@code fn} runs. Callbacks run one at a time, in queue
 * order, on the worker thread.
 */
public final class PureDomain implements AutoCloseable {
    /*
     * Implementation notes.
     *
     * Locks, nesting order outermost first:
     *     syncLock -> gpLock -> registryLock
     * (the GP writer holds syncLock + registryLock; gpLock is taken only
     * around GP sharing, never while waiting for readers; workerLock is a
     * leaf). Callbacks run with no lock held; force notifiers run with
     * syncLock and registryLock held, which is why they must not call into
     * the domain.
     *
     * Writer barriers: W1 (fullFence) before advancing gpCtr, W2 (fullFence)
     * between setting `waiting` and the scan; they pair with BARRIER A and
     * B of PureReader (see the ordering argument there).
     */
    private static final VarHandle GP_CTR;
    private static final AtomicInteger IDS = new AtomicInteger();

    static {
        try {
            GP_CTR = MethodHandles.lookup().findVarHandle(PureDomain.class, "gpCtr", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The grace-period counter (bit 0 set); written under registryLock by the GP writer, read by every lock(). */
    @SuppressWarnings("unused")
    private long gpCtr = ReaderState.GP_CTR_INIT;

    private final Params params;
    private final int id = IDS.incrementAndGet();

    /* Locks (see the nesting order above). */
    private final ReentrantLock syncLock = new ReentrantLock();
    private final ReentrantLock gpLock = new ReentrantLock();
    private final Condition gpCond = gpLock.newCondition();
    private final ReentrantLock registryLock = new ReentrantLock();
    private final Object workerLock = new Object();

    /* registryLock */
    private final List<PureReader> registry = new ArrayList<>();
    /** Readers the running GP still waits for. */
    private final List<PureReader> toCheck = new ArrayList<>();
    private final Map<Thread, PureReader> byThread = new HashMap<>();
    private long slowUnlocksGone;

    /* syncLock */
    private final GpMachine gp;

    /* gpLock: GP sharing. GP numbers (see GpSeq): gpStarted is the last GP
     * claimed, gpCompleted the last completed; written under gpLock,
     * gpCompleted also read without it (volatile) by pollState(). */
    private long gpStarted;
    private volatile long gpCompleted;
    private boolean gpRunning;
    private int expediteWaiters;
    /** The latest cookie startPoll() asked for: the worker runs a GP while it is not done. */
    private long gpWanted;

    /* Stall warnings: set once by setStallWatch() before the domain is used. */
    private volatile long stallTimeoutNs;
    private volatile Consumer<StallInfo> stallSink;

    /** Set by a reader's slow-path unlock (and by drain); the writer blocks on it in FORCED/LEGACY state. */
    private final Event gpEvent = new Event();
    /** Set by force() and drain(): cuts a normal-state poll sleep short. */
    private final Event wakeEvent = new Event();
    /** Set by call() and by shutdown: the worker waits on it for work. */
    private final Event workEvent = new Event();

    private final CallbackQueue queue = new CallbackQueue();
    /** Pushed and not yet taken by the worker. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Drains in progress. */
    private final AtomicInteger draining = new AtomicInteger();
    /**
     * force() calls, as a count, and the count the worker read before taking
     * the batch whose GP ended last: a GP is forced while they differ (a
     * force() during the worker's GP also forces the next one). Mirrors
     * {@code force_requests} / {@code force_answered}.
     */
    private final AtomicLong forceRequests = new AtomicLong();
    private final AtomicLong forceAnswered = new AtomicLong();
    /** An expedited caller waits for the running GP: expedite it. */
    private final AtomicBoolean expediteNow = new AtomicBoolean();
    /** close() began: call() fails. */
    private volatile boolean closing;
    /** The worker asks to exit when idle. */
    private volatile boolean workerStop;
    /** workerLock (written), volatile for the fast check in call(). */
    private volatile Thread worker;

    /* Counters (qs_stats); slow unlocks live in the readers. */
    private final AtomicLong gps = new AtomicLong();
    private final AtomicLong gpsFqs = new AtomicLong();
    private final AtomicLongArray fqsByCause = new AtomicLongArray(FqsCause.COUNT);
    private final AtomicLong polls = new AtomicLong();
    private final AtomicLong notifierCalls = new AtomicLong();
    private final AtomicLong callbacksQueued = new AtomicLong();
    private final AtomicLong callbacksRun = new AtomicLong();
    private final AtomicLong drains = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong gpLatMaxNs = new AtomicLong();
    private final AtomicLong gpsNoReaders = new AtomicLong();
    /* Stall reports made (Stall.report), as the runtime's stats.stalls. */
    private final AtomicLong stallReports = new AtomicLong();
    private final AtomicLong gpLatSumNs = new AtomicLong();
    private final AtomicLongArray gpLatHist = new AtomicLongArray(Stats.HIST_BUCKETS);

    /* The GP observer (null: none); read once per GP, batch and force().
     * Volatile: an observer set by one thread is seen whole by the others. */
    private volatile GpObserver observer;
    /* syncLock: the running GP's first-scan count of blocking readers. */
    private int gpReadersWaited;
    /* syncLock: when the running GP entered FQS. */
    private long gpFqsNanos;

    /**
     * A domain with {@code params}. Mirrors {@code qs_domain_new}. Starts no thread.
     *
     * @param params the engine parameters
     */
    public PureDomain(Params params) {
        this.params = Objects.requireNonNull(params, "params");
        this.gp = new GpMachine(params);
    }

    /** A domain with QEMU's FQS defaults. */
    public PureDomain() {
        this(Params.defaults(Policy.FQS));
    }

    /**
     * {@return the parameters}
     */
    public Params params() {
        return params;
    }

    long gpCtrOpaque() {
        return (long) GP_CTR.getOpaque(this);
    }

    /**
     * {@return the current grace-period counter (diagnostics)}
     */
    public long gpCtr() {
        return (long) GP_CTR.getVolatile(this);
    }

    Event gpEvent() {
        return gpEvent;
    }

    /* ------------------------------------------------------------ readers */

    /**
     * Register the calling thread as a reader. Mirrors {@code qs_reader_new}.
     *
     * @return the pure reader
     * @throws PureStateException if this thread already has a reader here (C: {@code -EEXIST}),
     *         or the domain is closed
     */
    public PureReader register() {
        Thread self = Thread.currentThread();
        PureReader r = new PureReader(this, self);
        registryLock.lock();
        try {
            if (closing) {
                throw new PureStateException(PureStateException.ESHUTDOWN, "domain is closed");
            }
            if (byThread.containsKey(self)) {
                throw new PureStateException(PureStateException.EEXIST,
                        "thread " + self.getName() + " already has a reader in this domain");
            }
            /* Not added to toCheck: a GP in progress does not wait for a
             * reader that registered after gpCtr advanced. */
            registry.add(r);
            byThread.put(self, r);
        } finally {
            registryLock.unlock();
        }
        return r;
    }

    /**
     * {@return the calling thread's reader, or null} Mirrors {@code qs_reader_self}.
     */
    public PureReader reader() {
        registryLock.lock();
        try {
            return byThread.get(Thread.currentThread());
        } finally {
            registryLock.unlock();
        }
    }

    /**
     * Registered readers now.
     *
     * @return the reader count
     */
    public int readerCount() {
        registryLock.lock();
        try {
            return registry.size();
        } finally {
            registryLock.unlock();
        }
    }

    /** Mirrors {@code qs_reader_free} (after the depth check in PureReader.close). */
    void unregister(PureReader r) {
        boolean wasChecked;
        registryLock.lock();
        try {
            if (!r.registered) {
                return;
            }
            r.registered = false;
            registry.remove(r);
            byThread.remove(r.owner(), r);
            wasChecked = r.inCheck;
            if (wasChecked) {
                toCheck.remove(r);
                r.inCheck = false;
            }
            slowUnlocksGone += r.slowUnlocks();
        } finally {
            registryLock.unlock();
        }
        if (wasChecked) {
            /* The writer may be blocked on the GP event waiting for this
             * reader; it rescans and no longer finds it. */
            gpEvent.set();
        }
    }

    /** 1 if the calling thread is inside a read section of this domain. Mirrors {@code self_in_section}. */
    private boolean selfInSection() {
        PureReader r = reader();
        return r != null && r.depth() > 0;
    }

    /* ---------------------------------------------------------- notifiers */

    boolean notifierAdd(PureReader r, ForceNotifier n) {
        registryLock.lock();
        try {
            for (ForceNotifier it : r.notifiers) {
                if (it == n) {
                    return false;
                }
            }
            r.notifiers.add(n);
            return true;
        } finally {
            registryLock.unlock();
        }
    }

    boolean notifierRemove(PureReader r, ForceNotifier n) {
        registryLock.lock();
        try {
            for (int i = 0; i < r.notifiers.size(); i++) {
                if (r.notifiers.get(i) == n) {
                    r.notifiers.remove(i);
                    return true;
                }
            }
            return false;
        } finally {
            registryLock.unlock();
        }
    }

    /** Fire one reader's notifiers, on the writer's thread, locks held. Mirrors {@code notify_reader}. */
    private void notifyReader(PureReader r) {
        r.kicks += r.notifiers.size();
        for (int i = 0; i < r.notifiers.size(); i++) {
            try {
                r.notifiers.get(i).forceQuiescentState(r);
            } catch (Throwable t) {
                uncaught(t);
            }
            notifierCalls.incrementAndGet();
        }
    }

    private static void uncaught(Throwable t) {
        Thread self = Thread.currentThread();
        self.getUncaughtExceptionHandler().uncaughtException(self, t);
    }

    /* ------------------------------------------------------------- writer */

    /**
     * Wait until no reader registered at the advance of gpCtr is still in a
     * section that began before it. Called with syncLock and registryLock
     * held; drops and retakes registryLock while it sleeps or blocks.
     * Mirrors {@code wait_for_readers}.
     */
    private void waitForReaders(boolean expedited, long gpNumber, long t0) {
        final long g = (long) GP_CTR.getOpaque(this);
        for (PureReader r : registry) {
            toCheck.add(r);
            r.inCheck = true;
            r.kicks = 0;
        }
        gp.begin(expedited);
        boolean firstScan = true; /* observer: readersWaited */
        Stall stall = new Stall(gpNumber, t0);

        for (;;) {
            /* Reset before the inputs are read below: a force() or drain()
             * from here on leaves the event set, so a poll sleep decided on
             * stale inputs ends at once. */
            wakeEvent.reset();
            if (expediteNow.getAndSet(false)) {
                /* An expedited synchronize() joined this GP (see gpRun). */
                gp.expedite();
            }

            boolean armed = gp.arms();
            if (armed) {
                /* Reset before setting `waiting`: a reader that sees it set
                 * sets the event after this reset, and the wait returns. */
                gpEvent.reset();
                for (PureReader r : toCheck) {
                    r.setWaiting(true);
                }
                /* W2: the `waiting` stores before the ctr loads of the scan;
                 * pairs with BARRIER B in PureReader.unlock. */
                VarHandle.fullFence();
            }

            int pend = pending.get();
            int drn = draining.get();
            boolean frc = forceRequests.get() != forceAnswered.get();
            boolean kick = gp.notifiesInScan(new GpInput(0, pend, drn, frc));

            /* The scan: keep the readers that still block, in order. */
            int remaining = 0;
            for (int i = 0; i < toCheck.size(); i++) {
                PureReader r = toCheck.get(i);
                /* Acquire: pairs with the release stores of ctr in lock/unlock. */
                long ctr = r.ctrAcquire();
                if (ReaderState.classify(ctr, g) != ReaderState.ACTIVE_OLD) {
                    r.inCheck = false;
                    if (armed) {
                        /* No fence needed: at worst one needless slow path. */
                        r.setWaiting(false);
                    }
                } else {
                    toCheck.set(remaining++, r);
                    if (kick) {
                        notifyReader(r);
                    }
                }
            }
            toCheck.subList(remaining, toCheck.size()).clear();

            if (firstScan) {
                gpReadersWaited = remaining;
                firstScan = false;
            }
            GpAction act = gp.afterScan(new GpInput(remaining, pend, drn, frc));
            switch (act) {
                case DONE:
                    gp.end();
                    return;
                case SLEEP:
                    /* registryLock is dropped here and below, so threads can
                     * register and unregister meanwhile. List invariant:
                     * toCheck holds exactly the readers registered when gpCtr
                     * advanced, still registered, and last seen blocking this
                     * GP; unregister() takes a reader off it; readers that
                     * register meanwhile are never put on it. */
                    registryLock.unlock();
                    try {
                        wakeEvent.await(params.pollPeriodNs());
                    } finally {
                        registryLock.lock();
                    }
                    gp.pollDone();
                    polls.incrementAndGet();
                    /* A report may be up to one poll period late: the sleep is
                     * not cut short for it (that would count as a poll). */
                    if (stall.left(System.nanoTime()) <= 0) {
                        stall.report();
                    }
                    break;
                case FORCE:
                    gpFqsNanos = System.nanoTime();
                    gpsFqs.incrementAndGet();
                    fqsByCause.incrementAndGet(gp.cause().value());
                    for (PureReader r : toCheck) {
                        notifyReader(r);
                    }
                    break; /* arm and rescan at once */
                case WAIT:
                default:
                    /* Same list invariant as above while unlocked. The wait is
                     * cut into slices ending at the stall deadlines, where the
                     * report is made without a rescan (a rescan could fire
                     * LEGACY notifiers again). */
                    registryLock.unlock();
                    try {
                        for (;;) {
                            long left = stall.left(System.nanoTime());
                            if (left == Long.MAX_VALUE) {
                                gpEvent.await();
                                break;
                            }
                            if (left > 0 && gpEvent.await(left)) {
                                break;
                            }
                            registryLock.lock();
                            try {
                                stall.report();
                            } finally {
                                registryLock.unlock();
                            }
                        }
                    } finally {
                        registryLock.lock();
                    }
                    break;
            }
        }
    }

    /**
     * One GP's stall watch: a report at the stall timeout and a repeat at
     * three times it, then none. Used by the GP writer only; report() runs
     * with registryLock held (it reads toCheck).
     */
    private final class Stall {
        private final long gpNumber;
        private final long t0;
        private final long timeout = stallTimeoutNs;
        private int reports;

        Stall(long gpNumber, long t0) {
            this.gpNumber = gpNumber;
            this.t0 = t0;
        }

        /** Nanoseconds until the next report is due (<= 0: due), or Long.MAX_VALUE: no more. */
        long left(long now) {
            if (timeout <= 0 || reports >= 2 || stallSink == null) {
                return Long.MAX_VALUE;
            }
            long due = t0 + (reports == 0 ? timeout : 3 * timeout);
            return due - now;
        }

        void report() {
            long now = System.nanoTime();
            boolean repeat = reports > 0;
            reports++;
            stallReports.incrementAndGet();
            Consumer<StallInfo> sink = stallSink;
            if (sink == null) {
                return;
            }
            List<StallInfo.Reader> rs = new ArrayList<>(toCheck.size());
            for (PureReader r : toCheck) {
                Thread t = r.owner();
                @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; this is release 17
                long tid = t.getId();
                /* Blocking this GP means inside since before it began: now - t0 is a lower bound.
                 * depth is a racy read of the owner's field: the facade uses its own count. */
                rs.add(new StallInfo.Reader(t, tid, t.getName(), now - t0, Math.max(1, r.depth()), r.kicks));
            }
            dev.quiesce.Policy policy = dev.quiesce.Policy.ofNative(params.policy().value());
            StallInfo info = new StallInfo(gpNumber, now - t0, timeout, policy,
                    dev.quiesce.Stats.FqsCause.values()[gp.cause().value()], repeat, rs.size(), rs);
            try {
                sink.accept(info);
            } catch (Throwable t) {
                uncaught(t);
            }
        }
    }

    /**
     * {@return the stall reports made so far (as the C runtime's {@code stats.stalls})}
     */
    public long stallReports() {
        return stallReports.get();
    }

    /**
     * Watch grace periods for stalls: a GP that has waited {@code timeoutNs}
     * is reported to {@code sink} (on the GP writer's thread, with the
     * domain's writer locks held: the sink must not block or call into the
     * domain), once more at three times it. Call before the domain is used.
     * Mirrors the C runtime's {@code stall_timeout_ms} and
     * {@code qs_set_stall_handler}.
     *
     * @param timeoutNs the stall timeout, 0 for none
     * @param sink the receiver, or null for none
     */
    public void setStallWatch(long timeoutNs, Consumer<StallInfo> sink) {
        if (timeoutNs < 0) {
            throw new IllegalArgumentException("negative stall timeout: " + timeoutNs);
        }
        this.stallTimeoutNs = timeoutNs;
        this.stallSink = sink;
    }

    private void recordLatency(long ns) {
        gpLatSumNs.addAndGet(ns);
        gpLatHist.incrementAndGet(Stats.histBucket(Math.max(0, ns)));
        /* Only the writer (under syncLock) stores the max. */
        if (ns > gpLatMaxNs.get()) {
            gpLatMaxNs.set(ns);
        }
    }

    /** Run one grace period now. Only one runs at a time (gpRunning). Mirrors {@code gp_execute}. */
    private void gpExecute(boolean expedited, long gpNumber) {
        GpObserver o;
        long t0;
        long t1;
        long notes;
        FqsCause cause = FqsCause.NONE;
        int readersWaited = 0;
        int gpPolls = 0;
        long fqsAt = 0;
        syncLock.lock();
        try {
            /* W1: the caller's earlier stores (unpublishing what it will
             * reclaim) before the gpCtr advance and the scans; pairs with
             * BARRIER A in PureReader.lock. */
            VarHandle.fullFence();
            registryLock.lock();
            try {
                t0 = System.nanoTime();
                notes = notifierCalls.get();
                if (!registry.isEmpty()) {
                    long g = (long) GP_CTR.getOpaque(this);
                    GP_CTR.setRelease(this, g + ReaderState.GP_STEP);
                    waitForReaders(expedited, gpNumber, t0);
                    /* Observer, as in C: the GP machine keeps the ended GP's
                     * cause and polls; notifiers fire only under syncLock. */
                    cause = gp.cause();
                    readersWaited = gpReadersWaited;
                    gpPolls = gp.polls();
                    fqsAt = gpFqsNanos;
                    t1 = System.nanoTime();
                    recordLatency(t1 - t0);
                } else {
                    /* Like the runtime: nothing to wait for, kept out of the
                     * latency fields (they would drag the percentiles to ~0). */
                    t1 = System.nanoTime();
                    gpsNoReaders.incrementAndGet();
                }
                gps.incrementAndGet();
                notes = notifierCalls.get() - notes;
                o = observer;
            } finally {
                registryLock.unlock();
            }
        } finally {
            syncLock.unlock();
        }
        if (o != null) {
            /* After the locks, before the GP counts as completed (as in C).
             * gpNumber is the GP we claimed (gpStarted when we did). */
            o.gracePeriodEnded(gpNumber, t0, t1 - t0, params.policy().value(), cause != FqsCause.NONE,
                    cause.value(), readersWaited, expedited || cause == FqsCause.EXPEDITED, gpPolls, (int) notes,
                    cause != FqsCause.NONE ? fqsAt : 0);
        }
    }

    /**
     * Wait for a full grace period that starts after this call, sharing GPs
     * between concurrent callers (direct synchronize() callers and the
     * worker): if a GP is already running it began too early, so wait for
     * it and then for the next one, which the first waiter to get there
     * runs for everyone. A GP is expedited if any expedited caller waits for
     * it. Mirrors {@code gp_run}.
     */
    private void gpRun(boolean expedited) {
        boolean interrupted = false;
        gpLock.lock();
        try {
            /* GPs are numbered 1, 2, ... in start order; ours is the next one. */
            long target = gpStarted + 1;
            if (expedited) {
                expediteWaiters++;
            }
            while (gpCompleted < target) {
                if (gpRunning) {
                    if (expedited) {
                        /* We wait for the running GP too: let it finish fast. */
                        expediteNow.set(true);
                        wakeEvent.set();
                    }
                    try {
                        gpCond.await();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    continue;
                }
                gpRunning = true;
                gpStarted++;
                long number = gpStarted;
                boolean exp = expediteWaiters > 0;
                gpLock.unlock();
                try {
                    gpExecute(exp, number);
                } finally {
                    gpLock.lock();
                    gpCompleted = gpStarted;
                    gpRunning = false;
                    gpCond.signalAll();
                }
            }
            if (expedited) {
                expediteWaiters--;
            }
        } finally {
            gpLock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Wait for a grace period: every read-side section that began before
     * this call has ended when it returns. Expedited: under FQS the GP
     * enters the force-quiescent state at once if a reader blocks it.
     * Not interruptible. Mirrors {@code qs_synchronize}.
     *
     * @throws PureStateException inside a read section of this domain (C: {@code -EDEADLK})
     */
    public void synchronize() {
        if (selfInSection()) {
            throw new PureStateException(PureStateException.EDEADLK,
                    "synchronize() inside a read-side critical section would deadlock");
        }
        gpRun(true);
        syncs.incrementAndGet();
    }

    /* --------------------------------------------------------- polled GPs */

    /**
     * {@return the polled-GP cookie for now: {@code gpStarted + 1}, the
     * first GP not claimed yet} It reads done ({@link #pollState}) once a
     * full GP has elapsed after this call. Starts nothing. Mirrors
     * {@code qs_get_state}.
     */
    public long getState() {
        /* The lock orders the caller's earlier stores before the claim of
         * the cookie's GP (claimed under gpLock after this unlock, then W1 in
         * gpExecute), so that GP's scans see them. */
        gpLock.lock();
        try {
            return GpSeq.snap(gpStarted);
        } finally {
            gpLock.unlock();
        }
    }

    /**
     * {@link #getState()}, and makes the worker run a GP for the cookie
     * soon, even with no callback queued (starting the worker if needed).
     * Never waits for the GP. Mirrors {@code qs_start_poll}.
     *
     * @return the cookie
     * @throws PureStateException if the domain is closing (C: {@code -ESHUTDOWN})
     */
    public long startPoll() {
        if (closing) {
            throw new PureStateException(PureStateException.ESHUTDOWN, "domain is closed");
        }
        workerEnsure();
        long c;
        gpLock.lock();
        try {
            c = GpSeq.snap(gpStarted);
            if (!GpSeq.done(gpCompleted, c) && c - gpWanted > 0) {
                /* The later of the two, wrap-safe. */
                gpWanted = c;
            }
        } finally {
            gpLock.unlock();
        }
        /* After the update (pairs with the worker's reset and re-check). */
        workEvent.set();
        return c;
    }

    /**
     * Whether a full GP has elapsed since {@code cookie} was taken
     * (wrap-safe). When true, every read section open at the snapshot has
     * ended and its actions happen-before this return. Mirrors
     * {@code qs_poll_state}.
     *
     * @param cookie a cookie of this domain
     * @return whether the cookie's GP has completed
     */
    public boolean pollState(long cookie) {
        /* Volatile read: pairs with the store of gpCompleted after the GP's
         * scans, so the readers' sections happen-before what follows. */
        boolean done = GpSeq.done(gpCompleted, cookie);
        if (done) {
            /* Like Linux: order the caller's later accesses after the check. */
            VarHandle.fullFence();
        }
        return done;
    }

    /**
     * Returns at once if {@link #pollState pollState(cookie)}, else waits
     * for a GP as {@link #synchronize()} does. Mirrors
     * {@code qs_cond_synchronize}.
     *
     * @param cookie a cookie of this domain
     * @throws PureStateException inside a read section of this domain (C: {@code -EDEADLK})
     */
    public void condSynchronize(long cookie) {
        if (!pollState(cookie)) {
            synchronize();
        }
    }

    /** True while a startPoll() cookie is not done: the worker must run a GP. Mirrors the runtime's gp_wanted. */
    private boolean gpWanted() {
        gpLock.lock();
        try {
            return !GpSeq.done(gpCompleted, gpWanted);
        } finally {
            gpLock.unlock();
        }
    }

    /* ------------------------------------------------------------- worker */

    /** The call worker's loop, driven by the engine's worker machine. Mirrors {@code worker_main}. */
    private void workerMain() {
        WorkerMachine w = new WorkerMachine(params);
        for (;;) {
            /* Read before pending (both volatile, pairs with force()): the
             * force() calls this batch's GP answers. */
            long forcesSeen = forceRequests.get();
            WorkerAction act = w.decide(pending.get(), gpWanted());
            if (act == WorkerAction.WAIT_WORK) {
                if (workerStop) {
                    break;
                }
                /* Reset, re-check, wait: a call() that lands after the reset
                 * sets the event again; one that landed before it is seen by
                 * the re-check. */
                workEvent.reset();
                if (pending.get() == 0 && !workerStop && !gpWanted()) {
                    workEvent.await();
                }
                continue;
            }
            if (act == WorkerAction.PREPOLL) {
                /* LEGACY: as before the seed, nothing cuts this short. */
                Event.sleepUninterruptibly(params.pollPeriodNs());
                w.prepollDone();
                polls.incrementAndGet();
                continue;
            }
            /* RUN_GP: a normal-state GP, then exactly `batch` callbacks. */
            gpRun(false);
            /* Only the worker stores it: later force() calls stay unanswered. */
            forceAnswered.set(forcesSeen);
            w.gpDone();
            GpObserver bo = observer;
            long b0 = bo != null ? System.nanoTime() : 0;
            for (int i = 0, n = w.batch(); i < n; i++) {
                Runnable fn = queue.popWait();
                pending.decrementAndGet();
                callbacksRun.incrementAndGet();
                /* No lock held: callbacks may call call(), synchronize(),
                 * register readers... anything but drain() and close(). */
                try {
                    fn.run();
                } catch (Throwable t) {
                    uncaught(t);
                }
            }
            if (bo != null && w.batch() > 0) {
                bo.batchEnded(w.batch(), b0, System.nanoTime() - b0);
            }
            w.batchDone();
        }
    }

    /** Start the worker if it is not running. Mirrors {@code worker_ensure}. */
    private void workerEnsure() {
        if (worker != null) {
            return;
        }
        synchronized (workerLock) {
            if (worker == null) {
                workerStop = false;
                Thread t = new Thread(this::workerMain, "quiesce-worker-" + id);
                t.setDaemon(true);
                t.start();
                worker = t;
            }
        }
    }

    private void enqueue(Runnable fn) {
        queue.push(fn);
        /* Counted after the push: the worker pops only what it has counted,
         * which is what lets popWait wait out a link window. */
        pending.incrementAndGet();
        callbacksQueued.incrementAndGet();
        workEvent.set();
    }

    /**
     * Queue {@code fn} to run once after a grace period, on the worker
     * thread, in FIFO order. Wait-free for the caller except the first
     * call, which starts the worker. Mirrors {@code qs_call}.
     *
     * @param fn the callback
     * @throws PureStateException if the domain is closing (C: {@code -ESHUTDOWN})
     */
    public void call(Runnable fn) {
        Objects.requireNonNull(fn, "callback");
        if (closing) {
            throw new PureStateException(PureStateException.ESHUTDOWN, "domain is closed");
        }
        workerEnsure();
        enqueue(fn);
    }

    /** Queue a marker and wait for it; the worker must be running. Mirrors {@code drain_run}. */
    private void drainRun() {
        Event done = new Event();
        draining.incrementAndGet();
        enqueue(done::set);
        /* FQS: cut a normal-state poll sleep short, so the GP enters FQS
         * (cause DRAIN). LEGACY: wake a writer blocked on the GP event, so it
         * rescans and fires the notifiers of the readers still blocking. */
        wakeEvent.set();
        gpEvent.set();
        done.await();
        draining.decrementAndGet();
        drains.incrementAndGet();
    }

    /**
     * Return once every callback queued before this call has run. Mirrors
     * {@code qs_drain}.
     *
     * @throws PureStateException inside a read section of this domain, or on the worker thread
     *         (C: {@code -EDEADLK}); or if the domain is closed
     */
    public void drain() {
        if (Thread.currentThread() == worker || selfInSection()) {
            throw new PureStateException(PureStateException.EDEADLK,
                    "drain() inside a read-side critical section or a callback would deadlock");
        }
        if (closing) {
            throw new PureStateException(PureStateException.ESHUTDOWN, "domain is closed");
        }
        workerEnsure();
        drainRun();
    }

    /**
     * Installs the writer-side observer ({@code qs_set_observer}), replacing
     * any; {@code null} uninstalls. Calls already under way may still reach
     * the previous one.
     *
     * @param o the observer, or {@code null}
     */
    void setObserver(GpObserver o) {
        observer = o;
    }

    /**
     * Ask the current (or next) GP to enter the force-quiescent state and
     * wake the worker. No effect under LEGACY (force() did not exist before
     * the seed) except the count. Mirrors {@code qs_force}.
     */
    public void force() {
        forces.incrementAndGet();
        GpObserver o = observer;
        if (o != null) {
            o.forced();
        }
        if (params.policy() == Policy.LEGACY) {
            return;
        }
        forceRequests.incrementAndGet();
        /* A GP sleeping in normal state rescans now and enters FQS. */
        wakeEvent.set();
        workEvent.set();
    }

    /**
     * Run every queued callback, stop the worker and close the domain.
     * Idempotent. Mirrors {@code qs_domain_free}.
     *
     * @throws PureStateException while readers are registered, or when called from a callback
     *         running on this domain's worker (C: {@code -EBUSY}); nothing changes then
     */
    @Override
    public void close() {
        Thread w = worker;
        if (Thread.currentThread() == w) {
            throw new PureStateException(PureStateException.EBUSY, "close() from a callback of this domain");
        }
        registryLock.lock();
        try {
            if (closing) {
                return;
            }
            if (!registry.isEmpty()) {
                throw new PureStateException(PureStateException.EBUSY, registry.size() + " reader(s) still registered");
            }
            closing = true;
        } finally {
            registryLock.unlock();
        }
        if (w != null) {
            drainRun();
            synchronized (workerLock) {
                workerStop = true;
                workEvent.set();
            }
            boolean interrupted = false;
            for (;;) {
                try {
                    w.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * True once {@link #close()} began.
     *
     * @return whether {@code close()} began
     */
    public boolean isClosed() {
        return closing;
    }

    /* -------------------------------------------------------------- stats */

    /**
     * {@return a snapshot of the counters, with the meaning of {@code qs_stats}
     * (not atomic across fields)} Mirrors {@code qs_stats_get}.
     */
    public Stats stats() {
        long[] byCause = new long[FqsCause.COUNT];
        for (int i = 0; i < byCause.length; i++) {
            byCause[i] = fqsByCause.get(i);
        }
        long[] hist = new long[Stats.HIST_BUCKETS];
        for (int i = 0; i < hist.length; i++) {
            hist[i] = gpLatHist.get(i);
        }
        long slow;
        registryLock.lock();
        try {
            slow = slowUnlocksGone;
            for (PureReader r : registry) {
                slow += r.slowUnlocks();
            }
        } finally {
            registryLock.unlock();
        }
        return new Stats(gps.get(), gpsFqs.get(), byCause, polls.get(), slow, notifierCalls.get(),
                callbacksQueued.get(), callbacksRun.get(), drains.get(), forces.get(), syncs.get(), gpLatMaxNs.get(),
                gpLatSumNs.get(), hist, gpsNoReaders.get());
    }

    @Override
    public String toString() {
        return "PureDomain#" + id + "[" + params + "]";
    }
}
