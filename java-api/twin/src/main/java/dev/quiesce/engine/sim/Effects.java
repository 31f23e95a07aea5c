package dev.quiesce.engine.sim;

import dev.quiesce.engine.Errno;

/**
 * Effects of one event besides the new state ({@code qs_sim_effects}).
 *
 * @param rc           0, or -EINVAL / -EBUSY (state unchanged)
 * @param cbsRun       callbacks invoked during this event
 * @param notifiedMask bit i: reader i's notifier fired
 * @param gpsEnded     GPs completed during this event
 * @param slowUnlock   this event's unlock took the slow path
 * @param drainsDone   drains completed during this event
 * @param cookie       GET_STATE, START_POLL: the polled-GP cookie (gpSeqStarted + 1 before the
 *                     event, unsigned); other events: 0
 */
public record Effects(int rc, int cbsRun, int notifiedMask, int gpsEnded, boolean slowUnlock, int drainsDone,
                      long cookie) {

    @Override
    public String toString() {
        return "Effects[rc=" + Errno.name(rc) + ", cbsRun=" + cbsRun + ", notifiedMask=0x"
                + Integer.toHexString(notifiedMask) + ", gpsEnded=" + gpsEnded + ", slowUnlock=" + slowUnlock
                + ", drainsDone=" + drainsDone + ", cookie=" + Long.toUnsignedString(cookie) + "]";
    }
}
