package dev.quiesce.engine;

import java.util.Objects;

/**
 * The call worker's machine: when to start a GP for the queued callbacks.
 * Mirrors {@code qs_worker} of engine/gp.c function by function.
 *
 * <p>Pure and not thread-safe: the runtime's worker thread is its only user.
 *
 * <p>Usage, as the worker loop:
 * <pre>{@code
 * switch (w.decide(pending, gpWanted)) {
 * case WAIT_WORK: block until a callback is queued; break;
 * case PREPOLL:   sleep one poll period; w.prepollDone(); break;
 * case RUN_GP:    run a GP; w.gpDone(); invoke w.batch() callbacks; w.batchDone(); break;
 * }
 * }</pre>
 */
public final class WorkerMachine {
    private final Params params;
    private final Fault fault;
    /** {@code state}: IDLE or PREPOLL between batches, GP then INVOKE during one. */
    private WorkerState state;
    /** {@code prepolls}: LEGACY pre-polls slept for the current batch (unsigned). */
    private int prepolls;
    /** {@code batch}: callbacks the current GP covers (unsigned); 0 when idle. */
    private int batch;

    /**
     * An idle worker machine. Mirrors {@code qs_worker_init}.
     *
     * @param params the engine parameters
     */
    public WorkerMachine(Params params) {
        this(params, Fault.NONE);
    }

    /**
     * A machine with an injected fault (tests only).
     *
     * @param params the engine parameters
     * @param fault the fault
     */
    public WorkerMachine(Params params, Fault fault) {
        this.params = Objects.requireNonNull(params, "params");
        this.fault = Objects.requireNonNull(fault, "fault");
        this.state = WorkerState.IDLE;
        this.prepolls = 0;
        this.batch = 0;
    }

    /** Mirrors {@code worker_start_gp}. */
    private WorkerAction startGp(int pending) {
        state = WorkerState.GP;
        batch = pending;
        return WorkerAction.RUN_GP;
    }

    /**
     * Decide the next action given the pending count (unsigned), with no
     * polled GP requested: {@code decide(pending, false)}. Mirrors
     * {@code qs_worker_next}.
     *
     * @param pending the number of callbacks queued (unsigned)
     * @return the worker action
     * @throws IllegalStateException while a GP or a batch is in progress
     *         (C returns {@code -EINVAL})
     */
    public WorkerAction next(int pending) {
        return decide(pending, false);
    }

    /**
     * Decide the next action given the pending count (unsigned) and whether
     * a polled GP was requested ({@code gpWanted}: some start-poll cookie is
     * not done yet). On RUN_GP, {@link #batch()} is the snapshot to invoke
     * after the GP. A wanted GP runs at once from IDLE even with no
     * callbacks (batch 0) and ends LEGACY pre-polls: the poll's caller asked
     * for one as soon as possible. Mirrors {@code qs_worker_decide}.
     *
     * @param pending the number of callbacks queued (unsigned)
     * @param gpWanted a polled GP is wanted
     * @return the worker action
     * @throws IllegalStateException while a GP or a batch is in progress
     *         (C returns {@code -EINVAL})
     */
    public WorkerAction decide(int pending, boolean gpWanted) {
        switch (state) {
            case IDLE:
                if (pending == 0) {
                    if (gpWanted) {
                        /* A polled GP was asked for: run one with no callbacks. */
                        return startGp(0);
                    }
                    return WorkerAction.WAIT_WORK;
                }
                if (params.policy() != Policy.LEGACY || fault == Fault.LEGACY_PREPOLL_SKIPPED) {
                    /* The seed: start the GP at once; waiting lives in the GP. */
                    return startGp(pending);
                }
                /* Before the seed: hope for a pile-up first. */
                state = WorkerState.PREPOLL;
                prepolls = 0;
                return prepollDecision(pending, gpWanted);
            case PREPOLL:
                return prepollDecision(pending, gpWanted);
            default:
                /* A GP or a batch is in progress: nothing new to decide. */
                throw new IllegalStateException("worker busy: " + state);
        }
    }

    /** The PREPOLL case of {@code qs_worker_decide} (C falls through into it from IDLE). */
    private WorkerAction prepollDecision(int pending, boolean gpWanted) {
        if (gpWanted || Integer.compareUnsigned(pending, params.cbThreshold()) >= 0
                || Integer.compareUnsigned(prepolls, params.pollLimit()) >= 0) {
            return startGp(pending);
        }
        return WorkerAction.PREPOLL;
    }

    /** LEGACY: one pre-poll period elapsed. Mirrors {@code qs_worker_prepoll_done}. */
    public void prepollDone() {
        prepolls++;
    }

    /** The GP for the batch ended: the caller invokes {@link #batch()} callbacks. Mirrors {@code qs_worker_gp_done}. */
    public void gpDone() {
        state = WorkerState.INVOKE;
    }

    /** The batch was invoked. Mirrors {@code qs_worker_batch_done}. */
    public void batchDone() {
        state = WorkerState.IDLE;
        batch = 0;
        prepolls = 0;
    }

    /**
     * {@return the parameters}
     */
    public Params params() {
        return params;
    }

    /**
     * {@code state}.
     *
     * @return the worker state
     */
    public WorkerState state() {
        return state;
    }

    /**
     * {@code prepolls}, unsigned.
     *
     * @return the prepolls
     */
    public int prepolls() {
        return prepolls;
    }

    /**
     * {@code batch}, unsigned: callbacks the current GP covers.
     *
     * @return the batch
     */
    public int batch() {
        return batch;
    }

    /**
     * {@return the whole machine as a value (the {@code qs_worker} inside {@code qs_sim_state})}
     */
    public WorkerSnapshot snapshot() {
        return new WorkerSnapshot(params, state, prepolls, batch);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
