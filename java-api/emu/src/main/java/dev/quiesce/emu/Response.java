package dev.quiesce.emu;

import dev.quiesce.emu.model.VgpuWire;
import java.time.Duration;

/**
 * The device's answer to one command: the response bytes as the device
 * wrote them (a {@code struct virtio_gpu_ctrl_hdr}, or a
 * {@code struct virtio_gpu_resp_map_info} for RESP_OK_MAP_INFO), decoded,
 * with the latency the submitter saw.
 *
 * <p>Immutable. Two responses are compared by their {@linkplain #bytes() bytes}
 * ({@link #sameBytes(Response)}); {@code equals} is identity.
 */
public final class Response {

    private final byte[] bytes;
    private final CtrlHdr hdr;
    private final int mapInfo;
    private final long latencyNanos;

    private Response(byte[] bytes, CtrlHdr hdr, int mapInfo, long latencyNanos) {
        this.bytes = bytes;
        this.hdr = hdr;
        this.mapInfo = mapInfo;
        this.latencyNanos = latencyNanos;
    }

    /**
     * Decodes response bytes.
     *
     * @param bytes        the response as the device wrote it (copied)
     * @param latencyNanos submit to response, as measured by the receiver
     * @return the response
     * @throws IllegalArgumentException if the bytes are too short for their type
     */
    public static Response decode(byte[] bytes, long latencyNanos) {
        byte[] copy = bytes.clone();
        VgpuWire.DecodedResp d = VgpuWire.decodeResp(copy, copy.length);
        return new Response(copy, d.hdr(), d.mapInfo(), latencyNanos);
    }

    /**
     * {@return the response code ({@link VirtioGpu#RESP_OK_NODATA}, ...)}
     */
    public int type() {
        return hdr.type();
    }

    /**
     * {@return the spec's name of {@link #type()}, such as {@code RESP_OK_MAP_INFO}}
     */
    public String typeName() {
        return VirtioGpu.typeName(hdr.type());
    }

    /**
     * {@return whether the command succeeded (a {@code RESP_OK_*} code)}
     */
    public boolean isOk() {
        return VirtioGpu.isOk(hdr.type());
    }

    /**
     * {@return the decoded header (fence, context and ring index echoed from a fenced request)}
     */
    public CtrlHdr header() {
        return hdr;
    }

    /**
     * map_info of a RESP_OK_MAP_INFO ({@link VirtioGpu#MAP_CACHE_CACHED} here), else 0.
     *
     * @return the map info
     */
    public int mapInfo() {
        return mapInfo;
    }

    /**
     * {@return the response bytes (a copy)}
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Submit to response, in nanoseconds, as measured by whoever received it (0 for the Java model).
     *
     * @return the latency nanos
     */
    public long latencyNanos() {
        return latencyNanos;
    }

    /**
     * {@link #latencyNanos()} as a Duration.
     *
     * @return the duration
     */
    public Duration latency() {
        return Duration.ofNanos(latencyNanos);
    }

    /**
     * {@return whether both responses have the same bytes (latency aside)}
     *
     * @param other the value to compare with
     */
    public boolean sameBytes(Response other) {
        return java.util.Arrays.equals(bytes, other.bytes);
    }

    /**
     * Throws unless the command succeeded.
     *
     * @return this response
     * @throws IllegalStateException naming the error code otherwise
     */
    public Response requireOk() {
        if (!isOk()) {
            throw new IllegalStateException("the device answered " + typeName());
        }
        return this;
    }

    @Override
    public String toString() {
        return hdr + (hdr.type() == VirtioGpu.RESP_OK_MAP_INFO ? " map_info=0x" + Integer.toHexString(mapInfo) : "")
                + String.format(" (%.3f ms)", latencyNanos / 1e6);
    }
}
