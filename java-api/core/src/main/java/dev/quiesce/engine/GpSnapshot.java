package dev.quiesce.engine;

/**
 * The writer machine as a value: {@code qs_gp} as {@code qs_sim_state} holds
 * it.
 *
 * @param params    the machine's parameters
 * @param state     where wait_for_readers stands
 * @param cause     why the current (or last) GP was forced; NONE if not
 * @param polls     poll periods slept in the current (or last) GP, unsigned
 * @param expedited the current GP was started by a direct synchronize()
 */
public record GpSnapshot(Params params, GpPhase state, FqsCause cause, int polls, boolean expedited) {
}
