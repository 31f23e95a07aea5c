package dev.quiesce.engine.sim;

/**
 * Anything that runs the deterministic step API: the Java engine
 * ({@link Sim}) or the C engine through the native library
 * ({@code dev.quiesce.engine.fuzz.NativeSim}). Differential tests drive two
 * of these with the same events and compare {@link #state()} and the
 * effects after every step.
 */
public interface SimDriver extends AutoCloseable {

    /**
     * Apply one event. {@code kind} is a raw {@code qs_sim_event_kind} value
     * (unknown values are an invalid event), {@code arg} the reader slot
     * where the kind takes one. Invalid events return a negative
     * {@link Effects#rc()} and change nothing. Mirrors {@code qs_sim_step}.
     *
     * @param kind which latency
     * @param arg the arg
     * @return the effects
     */
    Effects step(int kind, int arg);

    /**
     * Apply one event of a known kind.
     *
     * @param kind which latency
     * @param arg the arg
     * @return the effects
     */
    default Effects step(EventKind kind, int arg) {
        return step(kind.value(), arg);
    }

    /**
     * {@return the whole observable state} Mirrors {@code qs_sim_state_get}.
     */
    SimState state();

    /**
     * Test hook: renumber GPs so the next one claimed is {@code base + 1}
     * (started, completed and wanted := {@code base}, unsigned). Only with no
     * GP running and no synchronize waiting. Mirrors {@code qs_sim_set_gp_seq}.
     *
     * @param base the new GP number base (unsigned)
     * @return 0, or {@code -EBUSY} (nothing changes)
     */
    int setGpSeq(long base);

    /** Release any native memory (no-op for the Java engine). */
    @Override
    void close();
}
