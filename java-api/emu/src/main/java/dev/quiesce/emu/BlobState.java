package dev.quiesce.emu;

/**
 * A blob resource's lifecycle ({@code qs_blob_state}).
 *
 * <pre>
 *   UNMAPPED --MAP--&gt; MAPPED --UNMAP--&gt; UNMAPPING --free hook--&gt; FREED
 *       ^                                                          |
 *       +---------- COMPLETED &lt;--- unmap answered, queue resumed --+
 * </pre>
 * COMPLETED behaves like UNMAPPED: the blob may be mapped again or unreferenced.
 */
public enum BlobState {
    /** Created, not mapped. */
    UNMAPPED(0),
    /** A sub-region of the window, in the published view. */
    MAPPED(1),
    /** Removed from the topology; old views may still cover it; the command queue is suspended. */
    UNMAPPING(2),
    /** The region's free hook ran (after the old view's RCU callback); the mapping is released. */
    FREED(3),
    /** The unmap was answered and the queue resumed. */
    COMPLETED(4);

    private final int nativeValue;

    BlobState(int nativeValue) {
        this.nativeValue = nativeValue;
    }

    /**
     * {@return the C {@code qs_blob_state} value}
     */
    public int nativeValue() {
        return nativeValue;
    }

    /**
     * {@return whether a MAP_BLOB or RESOURCE_UNREF may be applied (UNMAPPED or COMPLETED)}
     */
    public boolean isIdle() {
        return this == UNMAPPED || this == COMPLETED;
    }

    /**
     * {@return the state for a C value}
     *
     * @param value the state for a C value
     * @throws IllegalArgumentException for an unknown value
     */
    public static BlobState ofNative(int value) {
        for (BlobState s : values()) {
            if (s.nativeValue == value) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown qs_blob_state " + value);
    }
}
