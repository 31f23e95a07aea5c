package dev.quiesce.engine;

/** What the writer must do after a scan ({@code qs_gp_action}). Ordinals are the C values. */
public enum GpAction {
    /** {@code QS_GP_ACT_DONE}: no reader blocks: the GP is over. */
    DONE,
    /** {@code QS_GP_ACT_SLEEP}: sleep one poll period (interruptible), rescan. */
    SLEEP,
    /** {@code QS_GP_ACT_FORCE}: entered FQS: notify the remaining readers, then arm and rescan at once. */
    FORCE,
    /** {@code QS_GP_ACT_WAIT}: block on the GP event, then arm and rescan. */
    WAIT;

    private static final GpAction[] VALUES = values();

    /**
     * {@return the C value}
     */
    public int value() {
        return ordinal();
    }

    /**
     * {@return the action with C value {@code value}}
     *
     * @param value the action with C value {@code value}
     * @throws IllegalArgumentException for an unknown value
     */
    public static GpAction valueOf(int value) {
        if (value < 0 || value >= VALUES.length) {
            throw new IllegalArgumentException("unknown qs_gp_action " + value);
        }
        return VALUES[value];
    }
}
