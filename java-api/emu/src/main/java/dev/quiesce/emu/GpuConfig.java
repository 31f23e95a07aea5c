package dev.quiesce.emu;

/**
 * The virtio-gpu device's configuration ({@code qs_gpu_config}), shared by the
 * native device and the Java {@linkplain dev.quiesce.emu.model.GpuModel model}.
 * Immutable; change one field with the {@code with...} methods.
 *
 * @param windowBase    guest address of the host-visible window
 * @param windowSize    its size in bytes
 * @param memLimit      total bytes of live blobs; beyond: {@code RESP_ERR_OUT_OF_MEMORY}
 * @param maxResources  live resources; beyond: {@code RESP_ERR_OUT_OF_MEMORY}
 * @param queueCap      commands in flight (queued behind an unmap, or answered and not yet
 *                      collected); a submit beyond is rejected, like a full virtqueue
 * @param forceOnUnmap  an unmap calls {@code force} on the RCU domain (QEMU's follow-up to the seed)
 * @param poisonOnFree  a released mapping is replaced by poison pages kept until the device is
 *                      freed, so a reader that still used it would count a poison hit
 */
public record GpuConfig(long windowBase, long windowSize, long memLimit, int maxResources, int queueCap,
                        boolean forceOnUnmap, boolean poisonOnFree) {

    /** Window at 4 GiB, 256 MiB; 1 GiB of blobs; 256 resources; 256 in flight; no force; no poison. */
    public static final GpuConfig DEFAULTS = new GpuConfig(1L << 32, 256L << 20, 1L << 30, 256, 256, false, false);

    /**
     * Checks what the device would reject with {@code -EINVAL}.
     *
     * @throws IllegalArgumentException for a zero window, a window that wraps around
     *         the address space, zero resources, or a queue capacity outside 1..2^20
     */
    public GpuConfig {
        if (windowSize == 0 || Long.compareUnsigned(windowBase + windowSize, windowBase) < 0) {
            throw new IllegalArgumentException("bad window: base 0x" + Long.toHexString(windowBase) + " size 0x"
                    + Long.toHexString(windowSize));
        }
        if (maxResources == 0) {
            throw new IllegalArgumentException("maxResources must be positive");
        }
        if (queueCap <= 0 || queueCap > (1 << 20)) {
            throw new IllegalArgumentException("queueCap must be 1..2^20: " + queueCap);
        }
    }

    /**
     * {@return the defaults ({@link #DEFAULTS})}
     */
    public static GpuConfig defaults() {
        return DEFAULTS;
    }

    /**
     * With another window.
     *
     * @param base the base
     * @param size the size
     * @return a copy with that change
     */
    public GpuConfig withWindow(long base, long size) {
        return new GpuConfig(base, size, memLimit, maxResources, queueCap, forceOnUnmap, poisonOnFree);
    }

    /**
     * With another memory limit.
     *
     * @param bytes the bytes
     * @return a copy with that change
     */
    public GpuConfig withMemLimit(long bytes) {
        return new GpuConfig(windowBase, windowSize, bytes, maxResources, queueCap, forceOnUnmap, poisonOnFree);
    }

    /**
     * With another resource limit.
     *
     * @param resources the resources
     * @return a copy with that change
     */
    public GpuConfig withMaxResources(int resources) {
        return new GpuConfig(windowBase, windowSize, memLimit, resources, queueCap, forceOnUnmap, poisonOnFree);
    }

    /**
     * With another queue capacity.
     *
     * @param commands the commands
     * @return a copy with that change
     */
    public GpuConfig withQueueCap(int commands) {
        return new GpuConfig(windowBase, windowSize, memLimit, maxResources, commands, forceOnUnmap, poisonOnFree);
    }

    /**
     * With or without {@code force} on unmap.
     *
     * @param force the force
     * @return a copy with that change
     */
    public GpuConfig withForceOnUnmap(boolean force) {
        return new GpuConfig(windowBase, windowSize, memLimit, maxResources, queueCap, force, poisonOnFree);
    }

    /**
     * With or without poisoning of released mappings.
     *
     * @param poison the poison
     * @return a copy with that change
     */
    public GpuConfig withPoisonOnFree(boolean poison) {
        return new GpuConfig(windowBase, windowSize, memLimit, maxResources, queueCap, forceOnUnmap, poison);
    }

    /**
     * {@return the guest address of window offset {@code offset}}
     *
     * @param offset the guest address of window offset {@code offset}
     */
    public long windowAddress(long offset) {
        return windowBase + offset;
    }
}
