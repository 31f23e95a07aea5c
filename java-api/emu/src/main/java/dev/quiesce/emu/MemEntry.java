package dev.quiesce.emu;

/**
 * A {@code struct virtio_gpu_mem_entry} (virtio v1.2, 5.7.6.8; 16 bytes on the
 * wire): one piece of guest memory backing a blob. The twin of
 * {@code qs_vgpu_mem_entry}.
 *
 * @param addr    guest physical address (le64)
 * @param length  bytes (le32, unsigned)
 * @param padding the padding word as it was on the wire (encoders write 0)
 */
public record MemEntry(long addr, int length, int padding) {

    /**
     * {@return an entry with zero padding}
     *
     * @param addr the guest physical address
     * @param length the length in bytes
     */
    public static MemEntry of(long addr, int length) {
        return new MemEntry(addr, length, 0);
    }

    /**
     * {@link #length()} as an unsigned value.
     *
     * @return the length unsigned
     */
    public long lengthUnsigned() {
        return Integer.toUnsignedLong(length);
    }
}
