package dev.quiesce.engine.sim;

/**
 * One simulated reader's record ({@code qs_sim_reader}).
 *
 * @param registered  the slot holds a registered reader
 * @param depth       nesting depth, unsigned
 * @param ctr         0 outside; the gp_ctr snapshot inside
 * @param waiting     the writer asked for a wake-up on unlock
 * @param inWaitList  still to be checked by the current GP
 * @param slowUnlocks unlocks that took the slow path
 * @param notified    force notifier calls on this reader
 */
public record SimReader(boolean registered, int depth, long ctr, boolean waiting, boolean inWaitList,
                        long slowUnlocks, long notified) {

    /** An empty slot (what {@code memset(r, 0, ...)} leaves). */
    public static final SimReader EMPTY = new SimReader(false, 0, 0, false, false, 0, 0);
}
