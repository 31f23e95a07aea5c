package dev.quiesce.engine;

/**
 * Grace-period numbers and polled-GP cookies ({@code qs_gp_seq_snap},
 * {@code qs_gp_seq_done} of engine/gp.c; see "GP numbers, polled GPs" in
 * engine.h).
 *
 * <p>GPs are numbered in the order they are claimed: a runtime keeps
 * {@code started}, the number of the last GP claimed, and {@code completed},
 * the number of the last GP completed (both start equal). A cookie is the
 * number of the first GP not claimed yet, {@code started + 1}; once that GP
 * has completed, a full grace period has elapsed since the snapshot.
 *
 * <p>All three are unsigned 64-bit values held in a {@code long} and may
 * wrap: a cookie is done when {@code completed - cookie}, read as a signed
 * difference modulo 2<sup>64</sup>, is {@code >= 0}. Right after a snapshot
 * the difference is -1 or -2, and only the cookie's GP completing brings it
 * to 0, so a cookie is never reported done too early; it reads "not done"
 * again only after 2<sup>63</sup> - 1 more GPs (then the caller waits one
 * needless GP).
 */
public final class GpSeq {

    private GpSeq() {
    }

    /**
     * The cookie for a snapshot taken when {@code started} GPs have been
     * claimed. Mirrors {@code qs_gp_seq_snap}.
     *
     * @param started the number of the last GP claimed (unsigned)
     * @return {@code started + 1}, modulo 2<sup>64</sup>
     */
    public static long snap(long started) {
        return started + 1;
    }

    /**
     * Whether the GP a cookie names has completed. Mirrors
     * {@code qs_gp_seq_done}.
     *
     * @param completed the number of the last GP completed (unsigned)
     * @param cookie a cookie from {@link #snap}
     * @return {@code completed - cookie >= 0} as a signed difference
     */
    public static boolean done(long completed, long cookie) {
        return completed - cookie >= 0;
    }
}
