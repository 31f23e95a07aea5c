package dev.quiesce.emu.model;

import dev.quiesce.emu.CtrlHdr;
import dev.quiesce.emu.MemEntry;
import java.util.List;

/**
 * One decoded command, the twin of {@code qs_vgpu_cmd}: fields the command
 * type does not carry are zero. Unsigned wire fields are carried bit for bit
 * in Java's signed types (compare them with {@code Integer.compareUnsigned} /
 * {@code Long.compareUnsigned}).
 *
 * @param hdr        the request header ({@link CtrlHdr#ZERO} when the request was shorter than one)
 * @param resourceId resource_id (every implemented command)
 * @param blobMem    blob_mem (CREATE_BLOB)
 * @param blobFlags  blob_flags (CREATE_BLOB)
 * @param nrEntries  nr_entries (CREATE_BLOB)
 * @param blobId     blob_id (CREATE_BLOB)
 * @param size       size (CREATE_BLOB)
 * @param offset     offset in the window (MAP_BLOB)
 * @param entries    the mem entries of a well-formed CREATE_BLOB, else empty
 *                   (C: {@code entries} is NULL and {@code qs_vgpu_mem_entry_get} fails)
 */
public record VgpuCmd(CtrlHdr hdr, int resourceId, int blobMem, int blobFlags, int nrEntries, long blobId,
                      long size, long offset, List<MemEntry> entries) {

    /** Copies {@code entries}. */
    public VgpuCmd {
        entries = List.copyOf(entries);
    }

    /**
     * {@return a command with only a header (every other field zero)}
     *
     * @param hdr a command with only a header (every other field zero)
     */
    public static VgpuCmd headerOnly(CtrlHdr hdr) {
        return new VgpuCmd(hdr, 0, 0, 0, 0, 0, 0, 0, List.of());
    }
}
