package dev.quiesce.emu;

/**
 * A decoded {@code struct virtio_gpu_ctrl_hdr} (virtio v1.2, 5.7.6.7; 24
 * bytes on the wire), the head of every command and response. The twin of
 * {@code qs_vgpu_ctrl_hdr}; unsigned fields are carried in Java's signed
 * types bit for bit.
 *
 * @param type     a command or response code ({@link VirtioGpu#CMD_RESOURCE_MAP_BLOB}, ...)
 * @param flags    {@link VirtioGpu#FLAG_FENCE}, {@link VirtioGpu#FLAG_INFO_RING_IDX}
 * @param fenceId  the fence, echoed in the response of a fenced request
 * @param ctxId    the rendering context
 * @param ringIdx  0..255 on the wire (0..63 meaningful), valid with {@code FLAG_INFO_RING_IDX}
 */
public record CtrlHdr(int type, int flags, long fenceId, int ctxId, int ringIdx) {

    /** The all-zero header (what a request shorter than a header decodes to). */
    public static final CtrlHdr ZERO = new CtrlHdr(0, 0, 0, 0, 0);

    /**
     * Checks {@code ringIdx}.
     *
     * @throws IllegalArgumentException if {@code ringIdx} is not a byte value 0..255
     */
    public CtrlHdr {
        if (ringIdx < 0 || ringIdx > 0xff) {
            throw new IllegalArgumentException("ring_idx is a u8: " + ringIdx);
        }
    }

    /**
     * {@return an unfenced header of the given type}
     *
     * @param type an unfenced header of the given type
     */
    public static CtrlHdr of(int type) {
        return new CtrlHdr(type, 0, 0, 0, 0);
    }

    /**
     * {@return this header with {@code type} replaced}
     *
     * @param newType this header with {@code type} replaced
     */
    public CtrlHdr withType(int newType) {
        return new CtrlHdr(newType, flags, fenceId, ctxId, ringIdx);
    }

    /**
     * {@return whether {@link VirtioGpu#FLAG_FENCE} is set}
     */
    public boolean fenced() {
        return (flags & VirtioGpu.FLAG_FENCE) != 0;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(VirtioGpu.typeName(type));
        if (VirtioGpu.typeName(type).equals("UNKNOWN")) {
            b.append("(0x").append(Integer.toHexString(type)).append(')');
        }
        if (flags != 0) {
            b.append(" flags=0x").append(Integer.toHexString(flags));
        }
        if (fenced()) {
            b.append(" fence=").append(Long.toUnsignedString(fenceId)).append(" ctx=")
                    .append(Integer.toUnsignedString(ctxId));
        }
        if ((flags & VirtioGpu.FLAG_INFO_RING_IDX) != 0) {
            b.append(" ring=").append(ringIdx);
        }
        return b.toString();
    }
}
