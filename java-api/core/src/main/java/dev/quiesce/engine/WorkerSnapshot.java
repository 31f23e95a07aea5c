package dev.quiesce.engine;

/**
 * The worker machine as a value: {@code qs_worker} as {@code qs_sim_state}
 * holds it (its {@code reserved} word is always 0 and has no field here).
 *
 * @param params   the machine's parameters
 * @param state    where the worker stands
 * @param prepolls LEGACY pre-polls slept for the current batch, unsigned
 * @param batch    callbacks the current GP covers, unsigned
 */
public record WorkerSnapshot(Params params, WorkerState state, int prepolls, int batch) {
}
