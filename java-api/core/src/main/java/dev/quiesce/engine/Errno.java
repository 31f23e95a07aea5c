package dev.quiesce.engine;

/**
 * The negative errno values the step API returns, as on Linux (the C engine
 * returns {@code -EINVAL} and friends from {@code <errno.h>}; the twin must
 * return the same numbers so effects compare equal).
 */
public final class Errno {
    /** {@code -ENOMEM}: out of memory (the C side only). */
    public static final int ENOMEM = 12;
    /** {@code -EBUSY}: refused while busy (unregister inside a section, second sync). */
    public static final int EBUSY = 16;
    /** {@code -EINVAL}: invalid argument or event. */
    public static final int EINVAL = 22;

    private Errno() {
    }

    /**
     * {@return a short name for a return code: {@code 0}, {@code -EINVAL}, }
     *
     * @param rc a short name for a return code: {@code 0}, {@code -EINVAL},
     */
    public static String name(int rc) {
        switch (rc) {
            case 0:
                return "0";
            case -ENOMEM:
                return "-ENOMEM";
            case -EBUSY:
                return "-EBUSY";
            case -EINVAL:
                return "-EINVAL";
            default:
                return Integer.toString(rc);
        }
    }
}
