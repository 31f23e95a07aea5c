package dev.quiesce.emu.model;

import static dev.quiesce.emu.VirtioGpu.CMD_MAX;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_CREATE_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_MAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_UNMAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_UNREF;
import static dev.quiesce.emu.VirtioGpu.FLAG_FENCE;
import static dev.quiesce.emu.VirtioGpu.FLAG_INFO_RING_IDX;
import static dev.quiesce.emu.VirtioGpu.MAX_MEM_ENTRIES;
import static dev.quiesce.emu.VirtioGpu.OFF_CREATE_BLOB_FLAGS;
import static dev.quiesce.emu.VirtioGpu.OFF_CREATE_BLOB_ID;
import static dev.quiesce.emu.VirtioGpu.OFF_CREATE_BLOB_MEM;
import static dev.quiesce.emu.VirtioGpu.OFF_CREATE_NR_ENTRIES;
import static dev.quiesce.emu.VirtioGpu.OFF_CREATE_SIZE;
import static dev.quiesce.emu.VirtioGpu.OFF_ENTRY_ADDR;
import static dev.quiesce.emu.VirtioGpu.OFF_ENTRY_LENGTH;
import static dev.quiesce.emu.VirtioGpu.OFF_ENTRY_PADDING;
import static dev.quiesce.emu.VirtioGpu.OFF_HDR_CTX_ID;
import static dev.quiesce.emu.VirtioGpu.OFF_HDR_FENCE_ID;
import static dev.quiesce.emu.VirtioGpu.OFF_HDR_FLAGS;
import static dev.quiesce.emu.VirtioGpu.OFF_HDR_RING_IDX;
import static dev.quiesce.emu.VirtioGpu.OFF_HDR_TYPE;
import static dev.quiesce.emu.VirtioGpu.OFF_MAP_OFFSET;
import static dev.quiesce.emu.VirtioGpu.OFF_RESOURCE_ID;
import static dev.quiesce.emu.VirtioGpu.OFF_RESP_MAP_INFO;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_INVALID_PARAMETER;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_UNSPEC;
import static dev.quiesce.emu.VirtioGpu.RESP_OK_MAP_INFO;
import static dev.quiesce.emu.VirtioGpu.SIZE_CTRL_HDR;
import static dev.quiesce.emu.VirtioGpu.SIZE_MEM_ENTRY;
import static dev.quiesce.emu.VirtioGpu.SIZE_RESOURCE_CREATE_BLOB;
import static dev.quiesce.emu.VirtioGpu.SIZE_RESOURCE_MAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.SIZE_RESOURCE_UNMAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.SIZE_RESOURCE_UNREF;
import static dev.quiesce.emu.VirtioGpu.SIZE_RESP_MAP_INFO;

import dev.quiesce.emu.CtrlHdr;
import dev.quiesce.emu.MemEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The virtio-gpu wire decoder and encoder, the Java twin of
 * {@code native/emu/virtio_gpu_wire.c} ({@code qs_vgpu_decode},
 * {@code qs_vgpu_mem_entry_get}, {@code qs_vgpu_encode_cmd},
 * {@code qs_vgpu_encode_resp}, {@code qs_vgpu_decode_resp}). Pure: reads and
 * writes little-endian bytes at the offsets of virtio v1.2 5.7.6.7-5.7.6.9.
 * The differential tests hold it byte-equal to the C code.
 */
public final class VgpuWire {

    private VgpuWire() {
    }

    // ----------------------------------------------------------- little-endian access

    /**
     * {@return the le32 at {@code off}}
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     */
    public static int le32Get(byte[] p, int off) {
        return (p[off] & 0xff) | (p[off + 1] & 0xff) << 8 | (p[off + 2] & 0xff) << 16 | (p[off + 3] & 0xff) << 24;
    }

    /**
     * {@return the le64 at {@code off}}
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     */
    public static long le64Get(byte[] p, int off) {
        return Integer.toUnsignedLong(le32Get(p, off)) | (long) le32Get(p, off + 4) << 32;
    }

    /**
     * Stores {@code v} as le32 at {@code off}.
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     * @param v the value
     */
    public static void le32Put(byte[] p, int off, int v) {
        p[off] = (byte) v;
        p[off + 1] = (byte) (v >>> 8);
        p[off + 2] = (byte) (v >>> 16);
        p[off + 3] = (byte) (v >>> 24);
    }

    /**
     * Stores {@code v} as le64 at {@code off}.
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     * @param v the value
     */
    public static void le64Put(byte[] p, int off, long v) {
        le32Put(p, off, (int) v);
        le32Put(p, off + 4, (int) (v >>> 32));
    }

    /**
     * {@return the header at {@code off} (24 bytes must be there)}
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     */
    public static CtrlHdr hdrGet(byte[] p, int off) {
        return new CtrlHdr(le32Get(p, off + OFF_HDR_TYPE), le32Get(p, off + OFF_HDR_FLAGS),
                le64Get(p, off + OFF_HDR_FENCE_ID), le32Get(p, off + OFF_HDR_CTX_ID),
                p[off + OFF_HDR_RING_IDX] & 0xff);
    }

    /**
     * Writes {@code h} at {@code off}, padding zero.
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     * @param h the header
     */
    public static void hdrPut(byte[] p, int off, CtrlHdr h) {
        for (int i = 0; i < SIZE_CTRL_HDR; i++) {
            p[off + i] = 0;
        }
        le32Put(p, off + OFF_HDR_TYPE, h.type());
        le32Put(p, off + OFF_HDR_FLAGS, h.flags());
        le64Put(p, off + OFF_HDR_FENCE_ID, h.fenceId());
        le32Put(p, off + OFF_HDR_CTX_ID, h.ctxId());
        p[off + OFF_HDR_RING_IDX] = (byte) h.ringIdx();
    }

    // ----------------------------------------------------------- decode

    /**
     * What {@code qs_vgpu_decode} returns: {@code code} 0 for a well-formed
     * command of an implemented type, else the error response code to send;
     * {@code cmd} the decoded fields.
     *
     * @param code 0 or a {@code RESP_ERR_*} code
     * @param cmd  the decoded command (header only, or zero, on most errors)
     */
    public record Decoded(int code, VgpuCmd cmd) {
        /**
         * {@return whether the command is well formed and implemented}
         */
        public boolean ok() {
            return code == 0;
        }
    }

    /**
     * {@link #decode(byte[], int)} of the whole array.
     *
     * @param buf the bytes
     * @return the decoded command
     */
    public static Decoded decode(byte[] buf) {
        return decode(buf, buf == null ? 0 : buf.length);
    }

    /**
     * Decodes the first {@code len} bytes of {@code buf}, as
     * {@code qs_vgpu_decode}: shorter than a header, shorter or longer than
     * the command's struct (plus its mem entries), longer than
     * {@link dev.quiesce.emu.VirtioGpu#CMD_MAX}, an unknown or unimplemented
     * type, or a response code as a command: {@code RESP_ERR_UNSPEC};
     * CREATE_BLOB with more than {@code MAX_MEM_ENTRIES} entries:
     * {@code RESP_ERR_INVALID_PARAMETER}. The header is decoded whenever
     * {@code len >= 24}.
     *
     * @param buf the bytes (may be null when {@code len} is 0)
     * @param len how many of them form the command
     * @return the decoded command
     */
    public static Decoded decode(byte[] buf, int len) {
        VgpuCmd zero = VgpuCmd.headerOnly(CtrlHdr.ZERO);
        if (buf == null || len < SIZE_CTRL_HDR) {
            return new Decoded(RESP_ERR_UNSPEC, zero);
        }
        CtrlHdr hdr = hdrGet(buf, 0);
        VgpuCmd hdrOnly = VgpuCmd.headerOnly(hdr);
        if (len > CMD_MAX) {
            return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
        }
        switch (hdr.type()) {
            case CMD_RESOURCE_UNREF:
                if (len != SIZE_RESOURCE_UNREF) {
                    return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
                }
                return new Decoded(0, new VgpuCmd(hdr, le32Get(buf, OFF_RESOURCE_ID), 0, 0, 0, 0, 0, 0, List.of()));
            case CMD_RESOURCE_UNMAP_BLOB:
                if (len != SIZE_RESOURCE_UNMAP_BLOB) {
                    return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
                }
                return new Decoded(0, new VgpuCmd(hdr, le32Get(buf, OFF_RESOURCE_ID), 0, 0, 0, 0, 0, 0, List.of()));
            case CMD_RESOURCE_MAP_BLOB:
                if (len != SIZE_RESOURCE_MAP_BLOB) {
                    return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
                }
                return new Decoded(0, new VgpuCmd(hdr, le32Get(buf, OFF_RESOURCE_ID), 0, 0, 0, 0, 0,
                        le64Get(buf, OFF_MAP_OFFSET), List.of()));
            case CMD_RESOURCE_CREATE_BLOB: {
                if (len < SIZE_RESOURCE_CREATE_BLOB) {
                    return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
                }
                int nr = le32Get(buf, OFF_CREATE_NR_ENTRIES);
                if (Integer.compareUnsigned(nr, MAX_MEM_ENTRIES) > 0) {
                    return new Decoded(RESP_ERR_INVALID_PARAMETER, hdrOnly);
                }
                if (len != SIZE_RESOURCE_CREATE_BLOB + nr * SIZE_MEM_ENTRY) {
                    return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
                }
                List<MemEntry> entries = new ArrayList<>(nr);
                for (int i = 0; i < nr; i++) {
                    entries.add(memEntryGet(buf, SIZE_RESOURCE_CREATE_BLOB + i * SIZE_MEM_ENTRY));
                }
                return new Decoded(0, new VgpuCmd(hdr, le32Get(buf, OFF_RESOURCE_ID), le32Get(buf, OFF_CREATE_BLOB_MEM),
                        le32Get(buf, OFF_CREATE_BLOB_FLAGS), nr, le64Get(buf, OFF_CREATE_BLOB_ID),
                        le64Get(buf, OFF_CREATE_SIZE), 0, entries));
            }
            default:
                // Unknown types, the spec's commands this model does not
                // implement, and response codes sent as commands.
                return new Decoded(RESP_ERR_UNSPEC, hdrOnly);
        }
    }

    /**
     * {@return the raw mem entry at byte {@code off} of a CREATE_BLOB ({@code qs_vgpu_mem_entry_get})}
     *
     * @param p the buffer
     * @param off the byte offset in {@code p}
     */
    public static MemEntry memEntryGet(byte[] p, int off) {
        return new MemEntry(le64Get(p, off + OFF_ENTRY_ADDR), le32Get(p, off + OFF_ENTRY_LENGTH),
                le32Get(p, off + OFF_ENTRY_PADDING));
    }

    // ----------------------------------------------------------- encode

    /**
     * Encodes {@code cmd} by its header's type, as {@code qs_vgpu_encode_cmd}:
     * RESOURCE_UNREF and RESOURCE_UNMAP_BLOB (header, resource_id, padding),
     * RESOURCE_MAP_BLOB, and RESOURCE_CREATE_BLOB with {@code cmd.nrEntries()}
     * entries taken from {@code entries}. Padding is written as zero
     * (entries' padding words too).
     *
     * @param cmd     the command
     * @param entries CREATE_BLOB's entries (at least {@code cmd.nrEntries()}); may be empty otherwise
     * @return the wire bytes
     * @throws IllegalArgumentException for a type the encoder does not know, too many
     *         entries, or fewer entries than {@code nrEntries} ({@code -EINVAL} in C)
     */
    public static byte[] encodeCmd(VgpuCmd cmd, List<MemEntry> entries) {
        byte[] p;
        switch (cmd.hdr().type()) {
            case CMD_RESOURCE_UNREF:
            case CMD_RESOURCE_UNMAP_BLOB:
                p = new byte[SIZE_RESOURCE_UNREF];
                hdrPut(p, 0, cmd.hdr());
                le32Put(p, OFF_RESOURCE_ID, cmd.resourceId());
                return p;
            case CMD_RESOURCE_MAP_BLOB:
                p = new byte[SIZE_RESOURCE_MAP_BLOB];
                hdrPut(p, 0, cmd.hdr());
                le32Put(p, OFF_RESOURCE_ID, cmd.resourceId());
                le64Put(p, OFF_MAP_OFFSET, cmd.offset());
                return p;
            case CMD_RESOURCE_CREATE_BLOB: {
                int nr = cmd.nrEntries();
                if (Integer.compareUnsigned(nr, MAX_MEM_ENTRIES) > 0 || (nr > 0 && entries.size() < nr)) {
                    throw new IllegalArgumentException("CREATE_BLOB with " + Integer.toUnsignedString(nr)
                            + " entries (" + entries.size() + " given, at most " + MAX_MEM_ENTRIES + ")");
                }
                p = new byte[SIZE_RESOURCE_CREATE_BLOB + nr * SIZE_MEM_ENTRY];
                hdrPut(p, 0, cmd.hdr());
                le32Put(p, OFF_RESOURCE_ID, cmd.resourceId());
                le32Put(p, OFF_CREATE_BLOB_MEM, cmd.blobMem());
                le32Put(p, OFF_CREATE_BLOB_FLAGS, cmd.blobFlags());
                le32Put(p, OFF_CREATE_NR_ENTRIES, nr);
                le64Put(p, OFF_CREATE_BLOB_ID, cmd.blobId());
                le64Put(p, OFF_CREATE_SIZE, cmd.size());
                for (int i = 0; i < nr; i++) {
                    int e = SIZE_RESOURCE_CREATE_BLOB + i * SIZE_MEM_ENTRY;
                    le64Put(p, e + OFF_ENTRY_ADDR, entries.get(i).addr());
                    le32Put(p, e + OFF_ENTRY_LENGTH, entries.get(i).length());
                }
                return p;
            }
            default:
                throw new IllegalArgumentException("the encoder knows no command type 0x"
                        + Integer.toHexString(cmd.hdr().type()));
        }
    }

    /**
     * Encodes the response to a request, as {@code qs_vgpu_encode_resp}: type
     * {@code respType}, plus {@code mapInfo} for {@code RESP_OK_MAP_INFO}.
     * The fence rules of 5.7.6.7: a request with {@code FLAG_FENCE} gets
     * {@code FLAG_FENCE}, its fence_id and ctx_id back, plus
     * {@code FLAG_INFO_RING_IDX} and ring_idx when the request had them.
     *
     * @param req      the request's decoded header, or null when it had none
     * @param respType the response code
     * @param mapInfo  the map_info of a MAP_INFO response (ignored otherwise)
     * @return 24 bytes, or 32 for MAP_INFO
     */
    public static byte[] encodeResp(CtrlHdr req, int respType, int mapInfo) {
        byte[] p = new byte[respType == RESP_OK_MAP_INFO ? SIZE_RESP_MAP_INFO : SIZE_CTRL_HDR];
        int flags = 0;
        long fenceId = 0;
        int ctxId = 0;
        int ringIdx = 0;
        if (req != null && (req.flags() & FLAG_FENCE) != 0) {
            flags = FLAG_FENCE;
            fenceId = req.fenceId();
            ctxId = req.ctxId();
            if ((req.flags() & FLAG_INFO_RING_IDX) != 0) {
                flags |= FLAG_INFO_RING_IDX;
                ringIdx = req.ringIdx();
            }
        }
        hdrPut(p, 0, new CtrlHdr(respType, flags, fenceId, ctxId, ringIdx));
        if (respType == RESP_OK_MAP_INFO) {
            le32Put(p, OFF_RESP_MAP_INFO, mapInfo);
        }
        return p;
    }

    /**
     * A decoded response ({@code qs_vgpu_decode_resp}).
     *
     * @param hdr     its header
     * @param mapInfo map_info of a MAP_INFO response, else 0
     */
    public record DecodedResp(CtrlHdr hdr, int mapInfo) {
    }

    /**
     * Decodes a response.
     *
     * @param buf the bytes
     * @param len the number of bytes
     * @return the decoded response
     * @throws IllegalArgumentException if {@code len} is too short for its type ({@code -EINVAL})
     */
    public static DecodedResp decodeResp(byte[] buf, int len) {
        if (buf == null || len < SIZE_CTRL_HDR) {
            throw new IllegalArgumentException("a response has at least " + SIZE_CTRL_HDR + " bytes: " + len);
        }
        CtrlHdr hdr = hdrGet(buf, 0);
        if (hdr.type() == RESP_OK_MAP_INFO) {
            if (len < SIZE_RESP_MAP_INFO) {
                throw new IllegalArgumentException("a MAP_INFO response has " + SIZE_RESP_MAP_INFO + " bytes: " + len);
            }
            return new DecodedResp(hdr, le32Get(buf, OFF_RESP_MAP_INFO));
        }
        return new DecodedResp(hdr, 0);
    }
}
