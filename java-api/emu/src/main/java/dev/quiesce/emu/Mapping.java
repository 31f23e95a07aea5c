package dev.quiesce.emu;

/**
 * One blob mapped into the device's host-visible window: what a guest sees
 * at {@code windowBase + offset} for {@code size} bytes. Lists of mappings are
 * sorted by offset; the differential tests compare them between the native
 * device and the Java model.
 *
 * @param resourceId the blob resource
 * @param offset     window offset of its first byte
 * @param size       bytes mapped (the blob's size)
 */
public record Mapping(int resourceId, long offset, long size) implements Comparable<Mapping> {

    @Override
    public int compareTo(Mapping o) {
        int c = Long.compareUnsigned(offset, o.offset);
        return c != 0 ? c : Integer.compareUnsigned(resourceId, o.resourceId);
    }

    @Override
    public String toString() {
        return "resource " + Integer.toUnsignedString(resourceId) + " @ 0x" + Long.toHexString(offset) + " +0x"
                + Long.toHexString(size);
    }
}
