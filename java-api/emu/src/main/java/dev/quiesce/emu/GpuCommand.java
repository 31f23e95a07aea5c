package dev.quiesce.emu;

import dev.quiesce.emu.model.VgpuCmd;
import dev.quiesce.emu.model.VgpuWire;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A virtio-gpu command, as typed values that encode to the exact wire bytes
 * (virtio v1.2, 5.7.6.8-5.7.6.9, little-endian), or as raw bytes for fuzzing.
 *
 * <pre>{@code
 * GpuCommand create = GpuCommand.createBlob(1).hostMemory().mappable().size(1 << 20).build();
 * GpuCommand map    = GpuCommand.mapBlob(1, 0);          // window offset 0
 * GpuCommand unmap  = GpuCommand.unmapBlob(1);
 * GpuCommand unref  = GpuCommand.unref(1);
 * GpuCommand junk   = GpuCommand.raw(new byte[] {1, 2, 3});
 * GpuCommand fenced = GpuCommand.unmapBlob(1).withHeader(h -> h.fence(42).ctx(7));
 * }</pre>
 *
 * <p>Every command is immutable; {@link #toBytes()} returns a fresh array.
 */
public sealed interface GpuCommand
        permits GpuCommand.CreateBlob, GpuCommand.MapBlob, GpuCommand.UnmapBlob, GpuCommand.Unref,
        GpuCommand.Raw {

    /**
     * {@return the wire bytes (a fresh array)}
     */
    byte[] toBytes();

    /**
     * {@return the header type this command carries (for a raw command: its first le32, or -1 if shorter)}
     */
    int type();

    /**
     * RESOURCE_CREATE_BLOB for {@code resourceId}: a builder (host memory, mappable, 4 KiB by default).
     *
     * @param resourceId the blob's resource id
     * @return the create blob.builder
     */
    static CreateBlob.Builder createBlob(int resourceId) {
        return new CreateBlob.Builder(resourceId);
    }

    /**
     * RESOURCE_MAP_BLOB: map {@code resourceId} at window offset {@code offset}.
     *
     * @param resourceId the blob's resource id
     * @param offset the offset
     * @return the command
     */
    static MapBlob mapBlob(int resourceId, long offset) {
        return new MapBlob(CtrlHdr.of(VirtioGpu.CMD_RESOURCE_MAP_BLOB), resourceId, offset);
    }

    /**
     * RESOURCE_UNMAP_BLOB.
     *
     * @param resourceId the blob's resource id
     * @return the command
     */
    static UnmapBlob unmapBlob(int resourceId) {
        return new UnmapBlob(CtrlHdr.of(VirtioGpu.CMD_RESOURCE_UNMAP_BLOB), resourceId);
    }

    /**
     * RESOURCE_UNREF.
     *
     * @param resourceId the blob's resource id
     * @return the command
     */
    static Unref unref(int resourceId) {
        return new Unref(CtrlHdr.of(VirtioGpu.CMD_RESOURCE_UNREF), resourceId);
    }

    /**
     * Arbitrary bytes, sent as they are (malformed commands, fuzzing).
     *
     * @param bytes the bytes
     * @return the command
     */
    static Raw raw(byte[] bytes) {
        return new Raw(bytes);
    }

    /**
     * Edits a header: fence, context and ring index.
     * {@code fence(id)} sets {@link VirtioGpu#FLAG_FENCE}; {@code ringIdx(i)}
     * sets {@link VirtioGpu#FLAG_INFO_RING_IDX}.
     */
    final class HeaderBuilder {
        private int type;
        private int flags;
        private long fenceId;
        private int ctxId;
        private int ringIdx;

        HeaderBuilder(CtrlHdr h) {
            type = h.type();
            flags = h.flags();
            fenceId = h.fenceId();
            ctxId = h.ctxId();
            ringIdx = h.ringIdx();
        }

        /**
         * Fences the request: the response echoes {@code id} (and the context).
         *
         * @param id the id
         * @return the header builder
         */
        public HeaderBuilder fence(long id) {
            flags |= VirtioGpu.FLAG_FENCE;
            fenceId = id;
            return this;
        }

        /**
         * {@return the rendering context id}
         *
         * @param id the rendering context id
         */
        public HeaderBuilder ctx(int id) {
            ctxId = id;
            return this;
        }

        /**
         * {@return the ring index (0..63 per spec; any byte is encoded)}
         *
         * @param idx the ring index (0..63 per spec; any byte is encoded)
         */
        public HeaderBuilder ringIdx(int idx) {
            flags |= VirtioGpu.FLAG_INFO_RING_IDX;
            ringIdx = idx;
            return this;
        }

        /**
         * Raw flags (replaces what fence/ringIdx set).
         *
         * @param value the new value
         * @return the header builder
         */
        public HeaderBuilder flags(int value) {
            flags = value;
            return this;
        }

        /**
         * Another type code (to send a valid body under a wrong type).
         *
         * @param value the new value
         * @return the header builder
         */
        public HeaderBuilder type(int value) {
            type = value;
            return this;
        }

        CtrlHdr build() {
            return new CtrlHdr(type, flags, fenceId, ctxId, ringIdx);
        }
    }

    /** Applies {@code edit} to a copy of {@code hdr}. */
    private static CtrlHdr edit(CtrlHdr hdr, java.util.function.Consumer<HeaderBuilder> edit) {
        HeaderBuilder b = new HeaderBuilder(hdr);
        edit.accept(b);
        return b.build();
    }

    /**
     * RESOURCE_CREATE_BLOB ({@code struct virtio_gpu_resource_create_blob},
     * 56 bytes plus 16 per mem entry).
     *
     * @param hdr        the header
     * @param resourceId the new resource's id (0 is invalid)
     * @param blobMem    {@link VirtioGpu#BLOB_MEM_GUEST}, {@code HOST3D} or {@code HOST3D_GUEST}
     * @param blobFlags  {@link VirtioGpu#BLOB_FLAG_USE_MAPPABLE} etc.
     * @param blobId     the host blob id
     * @param size       bytes
     * @param entries    guest backing (GUEST and HOST3D_GUEST); their lengths must sum to {@code size}
     */
    record CreateBlob(CtrlHdr hdr, int resourceId, int blobMem, int blobFlags, long blobId, long size,
                      List<MemEntry> entries) implements GpuCommand {

        /** Copies {@code entries}. */
        public CreateBlob {
            Objects.requireNonNull(hdr, "hdr");
            entries = List.copyOf(entries);
            if (entries.size() > VirtioGpu.MAX_MEM_ENTRIES) {
                throw new IllegalArgumentException("at most " + VirtioGpu.MAX_MEM_ENTRIES + " mem entries encode: "
                        + entries.size() + " (send a raw command to test the limit)");
            }
        }

        @Override
        public byte[] toBytes() {
            return VgpuWire.encodeCmd(new VgpuCmd(hdr, resourceId, blobMem, blobFlags, entries.size(), blobId, size, 0,
                    List.of()), entries);
        }

        @Override
        public int type() {
            return hdr.type();
        }

        /**
         * {@return this command with its header edited}
         *
         * @param e this command with its header edited
         */
        public CreateBlob withHeader(java.util.function.Consumer<HeaderBuilder> e) {
            return new CreateBlob(edit(hdr, e), resourceId, blobMem, blobFlags, blobId, size, entries);
        }

        /** Builds a {@link CreateBlob}. Defaults: HOST3D memory, mappable, 4096 bytes, blob id 0, no entries. */
        public static final class Builder {
            private final int resourceId;
            private CtrlHdr hdr = CtrlHdr.of(VirtioGpu.CMD_RESOURCE_CREATE_BLOB);
            private int blobMem = VirtioGpu.BLOB_MEM_HOST3D;
            private int blobFlags = VirtioGpu.BLOB_FLAG_USE_MAPPABLE;
            private long blobId;
            private long size = 4096;
            private final List<MemEntry> entries = new ArrayList<>();

            Builder(int resourceId) {
                this.resourceId = resourceId;
            }

            /**
             * blob_mem = HOST3D (host memory, no entries).
             *
             * @return this builder
             */
            public Builder hostMemory() {
                blobMem = VirtioGpu.BLOB_MEM_HOST3D;
                return this;
            }

            /**
             * blob_mem = GUEST (backed by the mem entries).
             *
             * @return this builder
             */
            public Builder guestMemory() {
                blobMem = VirtioGpu.BLOB_MEM_GUEST;
                return this;
            }

            /**
             * Any blob_mem value.
             *
             * @param value the new value
             * @return this builder
             */
            public Builder blobMem(int value) {
                blobMem = value;
                return this;
            }

            /**
             * Sets USE_MAPPABLE (the default).
             *
             * @return this builder
             */
            public Builder mappable() {
                blobFlags |= VirtioGpu.BLOB_FLAG_USE_MAPPABLE;
                return this;
            }

            /**
             * Clears USE_MAPPABLE (MAP_BLOB will be refused).
             *
             * @return this builder
             */
            public Builder notMappable() {
                blobFlags &= ~VirtioGpu.BLOB_FLAG_USE_MAPPABLE;
                return this;
            }

            /**
             * Any blob_flags value.
             *
             * @param value the new value
             * @return this builder
             */
            public Builder blobFlags(int value) {
                blobFlags = value;
                return this;
            }

            /**
             * blob_id.
             *
             * @param value the new value
             * @return this builder
             */
            public Builder blobId(long value) {
                blobId = value;
                return this;
            }

            /**
             * size in bytes.
             *
             * @param bytes the bytes
             * @return this builder
             */
            public Builder size(long bytes) {
                size = bytes;
                return this;
            }

            /**
             * Appends a mem entry.
             *
             * @param addr the guest physical address
             * @param length the length in bytes
             * @return this builder
             */
            public Builder entry(long addr, int length) {
                entries.add(MemEntry.of(addr, length));
                return this;
            }

            /**
             * Edits the header (fence, context, ring index).
             *
             * @param e the value to add
             * @return this builder
             */
            public Builder header(java.util.function.Consumer<HeaderBuilder> e) {
                hdr = edit(hdr, e);
                return this;
            }

            /**
             * {@return the command}
             */
            public CreateBlob build() {
                return new CreateBlob(hdr, resourceId, blobMem, blobFlags, blobId, size, entries);
            }
        }
    }

    /**
     * RESOURCE_MAP_BLOB ({@code struct virtio_gpu_resource_map_blob}, 40 bytes);
     * answered with RESP_OK_MAP_INFO.
     *
     * @param hdr        the header
     * @param resourceId the blob
     * @param offset     offset in the host-visible window
     */
    record MapBlob(CtrlHdr hdr, int resourceId, long offset) implements GpuCommand {
        @Override
        public byte[] toBytes() {
            return VgpuWire.encodeCmd(new VgpuCmd(hdr, resourceId, 0, 0, 0, 0, 0, offset, List.of()), List.of());
        }

        @Override
        public int type() {
            return hdr.type();
        }

        /**
         * {@return this command with its header edited}
         *
         * @param e this command with its header edited
         */
        public MapBlob withHeader(java.util.function.Consumer<HeaderBuilder> e) {
            return new MapBlob(edit(hdr, e), resourceId, offset);
        }
    }

    /**
     * RESOURCE_UNMAP_BLOB ({@code struct virtio_gpu_resource_unmap_blob}, 32
     * bytes); answered once the blob's region was freed through RCU.
     *
     * @param hdr        the header
     * @param resourceId the blob
     */
    record UnmapBlob(CtrlHdr hdr, int resourceId) implements GpuCommand {
        @Override
        public byte[] toBytes() {
            return VgpuWire.encodeCmd(new VgpuCmd(hdr, resourceId, 0, 0, 0, 0, 0, 0, List.of()), List.of());
        }

        @Override
        public int type() {
            return hdr.type();
        }

        /**
         * {@return this command with its header edited}
         *
         * @param e this command with its header edited
         */
        public UnmapBlob withHeader(java.util.function.Consumer<HeaderBuilder> e) {
            return new UnmapBlob(edit(hdr, e), resourceId);
        }
    }

    /**
     * RESOURCE_UNREF ({@code struct virtio_gpu_resource_unref}, 32 bytes).
     *
     * @param hdr        the header
     * @param resourceId the resource
     */
    record Unref(CtrlHdr hdr, int resourceId) implements GpuCommand {
        @Override
        public byte[] toBytes() {
            return VgpuWire.encodeCmd(new VgpuCmd(hdr, resourceId, 0, 0, 0, 0, 0, 0, List.of()), List.of());
        }

        @Override
        public int type() {
            return hdr.type();
        }

        /**
         * {@return this command with its header edited}
         *
         * @param e this command with its header edited
         */
        public Unref withHeader(java.util.function.Consumer<HeaderBuilder> e) {
            return new Unref(edit(hdr, e), resourceId);
        }
    }

    /**
     * Raw bytes, sent unchanged.
     *
     * @param bytes the bytes (copied)
     */
    record Raw(byte[] bytes) implements GpuCommand {
        /** Copies {@code bytes}. */
        public Raw {
            bytes = bytes.clone();
        }

        /** {@return a copy of the command's bytes} */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public byte[] toBytes() {
            return bytes.clone();
        }

        @Override
        public int type() {
            return bytes.length >= 4 ? VgpuWire.le32Get(bytes, 0) : -1;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Raw && Arrays.equals(bytes, ((Raw) o).bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Raw[" + bytes.length + " bytes, " + hex(bytes, 48) + "]";
        }
    }

    /** The first {@code max} bytes of {@code b} in hex (for messages). */
    private static String hex(byte[] b, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < b.length && i < max; i++) {
            s.append(String.format("%02x", b[i] & 0xff));
        }
        if (b.length > max) {
            s.append("...");
        }
        return s.toString();
    }
}
