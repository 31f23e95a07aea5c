package dev.quiesce.emu;

/** Which of the device's latency histograms ({@code qs_gpu_latency_kind}). */
public enum LatencyKind {
    /** Every command, submit to response. */
    COMMAND(0),
    /** RESOURCE_UNMAP_BLOB that succeeded, submit to response: RCU reclamation latency. */
    UNMAP(1);

    private final int nativeValue;

    LatencyKind(int nativeValue) {
        this.nativeValue = nativeValue;
    }

    /**
     * {@return the C value}
     */
    public int nativeValue() {
        return nativeValue;
    }
}
