package dev.quiesce.engine;

/**
 * Known mistakes the differential tests inject into the Java engine to prove
 * that the harness catches them. Test-only: production code always uses
 * {@link #NONE}; the other values are reachable only through the
 * constructors that take one ({@code GpMachine(Params, Fault)},
 * {@code WorkerMachine(Params, Fault)}, and the twin's
 * {@code dev.quiesce.engine.sim.Sim(Params, Fault)}), never through a global
 * switch. Public for the twin, which lives in another package (and module).
 */
public enum Fault {
    /** The correct engine. */
    NONE("none"),
    /** FQS never sets {@code waiting}: the forced writer waits on an event nobody sets. */
    FQS_NEVER_SETS_WAITING("FQS never sets `waiting`"),
    /** Force notifiers fire on every normal-state scan that finds blockers. */
    NOTIFY_IN_NORMAL("notifiers fired in the normal state"),
    /** The blocking test compares with the wrong counter: {@code ctr != 0} instead of {@code ctr != gp_ctr}. */
    BLOCKING_WRONG_COUNTER("blocking test uses ctr != 0, not ctr != gp_ctr"),
    /** {@code callbacks_run} is bumped when the worker snapshots its batch, before the GP ends. */
    CALLBACKS_COUNTED_EARLY("callbacks counted before the GP ends"),
    /** The LEGACY worker skips its pre-poll and starts the GP at once. */
    LEGACY_PREPOLL_SKIPPED("LEGACY pre-poll skipped"),
    /** The {@code forced} flag survives the end of the GP that answered it. */
    FORCE_NOT_CLEARED("force flag not cleared at GP end"),
    /** The threshold trigger uses {@code >} instead of {@code >=}. */
    THRESHOLD_OFF_BY_ONE("threshold trigger off by one (> not >=)"),
    /** Every unlock, not only the outermost, ends the section ({@code ctr := 0}). */
    NESTED_UNLOCK_ENDS_SECTION("nested unlock clears ctr");

    private final String description;

    Fault(String description) {
        this.description = description;
    }

    /**
     * {@return what the fault breaks, for the detection table}
     */
    public String description() {
        return description;
    }
}
