package dev.quiesce.emu;

import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_latency;
import dev.quiesce.bindings.qs_vgpu_cmd;
import dev.quiesce.bindings.qs_vgpu_ctrl_hdr;
import dev.quiesce.bindings.qs_vgpu_mem_entry;
import dev.quiesce.emu.model.VgpuCmd;
import dev.quiesce.emu.model.VgpuWire;
import dev.quiesce.internal.NativeLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** The C codec (native/emu/virtio_gpu_wire.c) with Java in- and outputs, for the differential tests. */
final class NativeWire {

    static {
        NativeLoader.load();
    }

    private NativeWire() {
    }

    private static CtrlHdr hdr(MemorySegment h) {
        return new CtrlHdr(qs_vgpu_ctrl_hdr.type(h), qs_vgpu_ctrl_hdr.flags(h), qs_vgpu_ctrl_hdr.fence_id(h),
                qs_vgpu_ctrl_hdr.ctx_id(h), qs_vgpu_ctrl_hdr.ring_idx(h) & 0xff);
    }

    private static void hdrPut(MemorySegment h, CtrlHdr v) {
        qs_vgpu_ctrl_hdr.type(h, v.type());
        qs_vgpu_ctrl_hdr.flags(h, v.flags());
        qs_vgpu_ctrl_hdr.fence_id(h, v.fenceId());
        qs_vgpu_ctrl_hdr.ctx_id(h, v.ctxId());
        qs_vgpu_ctrl_hdr.ring_idx(h, (byte) v.ringIdx());
    }

    /** qs_vgpu_decode of the first {@code len} bytes. */
    static VgpuWire.Decoded decode(byte[] bytes, int len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment c = qs_vgpu_cmd.allocate(a);
            int code = Quiesce.qs_vgpu_decode(buf, len, c);
            List<MemEntry> entries = new ArrayList<>();
            if (!qs_vgpu_cmd.entries(c).equals(MemorySegment.NULL)) {
                MemorySegment e = qs_vgpu_mem_entry.allocate(a);
                for (int i = 0; i < qs_vgpu_cmd.nr_entries(c); i++) {
                    if (Quiesce.qs_vgpu_mem_entry_get(c, i, e) != 0) {
                        throw new AssertionError("qs_vgpu_mem_entry_get failed");
                    }
                    entries.add(new MemEntry(qs_vgpu_mem_entry.addr(e), qs_vgpu_mem_entry.length(e),
                            qs_vgpu_mem_entry.padding(e)));
                }
            }
            return new VgpuWire.Decoded(code, new VgpuCmd(hdr(qs_vgpu_cmd.hdr(c)), qs_vgpu_cmd.resource_id(c),
                    qs_vgpu_cmd.blob_mem(c), qs_vgpu_cmd.blob_flags(c), qs_vgpu_cmd.nr_entries(c),
                    qs_vgpu_cmd.blob_id(c), qs_vgpu_cmd.size(c), qs_vgpu_cmd.offset(c), entries));
        }
    }

    /** qs_vgpu_encode_cmd; null when it fails. */
    static byte[] encodeCmd(VgpuCmd cmd, List<MemEntry> entries) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = qs_vgpu_cmd.allocate(a);
            hdrPut(qs_vgpu_cmd.hdr(c), cmd.hdr());
            qs_vgpu_cmd.resource_id(c, cmd.resourceId());
            qs_vgpu_cmd.blob_mem(c, cmd.blobMem());
            qs_vgpu_cmd.blob_flags(c, cmd.blobFlags());
            qs_vgpu_cmd.nr_entries(c, cmd.nrEntries());
            qs_vgpu_cmd.blob_id(c, cmd.blobId());
            qs_vgpu_cmd.size(c, cmd.size());
            qs_vgpu_cmd.offset(c, cmd.offset());
            MemorySegment es = MemorySegment.NULL;
            if (!entries.isEmpty()) {
                es = qs_vgpu_mem_entry.allocateArray(entries.size(), a);
                for (int i = 0; i < entries.size(); i++) {
                    MemorySegment e = qs_vgpu_mem_entry.asSlice(es, i);
                    qs_vgpu_mem_entry.addr(e, entries.get(i).addr());
                    qs_vgpu_mem_entry.length(e, entries.get(i).length());
                    qs_vgpu_mem_entry.padding(e, entries.get(i).padding());
                }
            }
            MemorySegment buf = a.allocate(VirtioGpu.CMD_MAX);
            int n = Quiesce.qs_vgpu_encode_cmd(c, es, buf, VirtioGpu.CMD_MAX);
            return n < 0 ? null : buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** qs_vgpu_encode_resp. */
    static byte[] encodeResp(CtrlHdr req, int type, int mapInfo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = MemorySegment.NULL;
            if (req != null) {
                h = qs_vgpu_ctrl_hdr.allocate(a);
                hdrPut(h, req);
            }
            MemorySegment buf = a.allocate(VirtioGpu.RESP_MAX);
            int n = Quiesce.qs_vgpu_encode_resp(h, type, mapInfo, buf, VirtioGpu.RESP_MAX);
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** qs_vgpu_type_name. */
    static String typeName(int type) {
        return Quiesce.qs_vgpu_type_name(type).reinterpret(64).getString(0);
    }

    /** qs_latency_percentile_ns of a histogram. */
    static long percentile(LatencyHistogram h, double pct) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = qs_latency.allocate(a);
            qs_latency.count(s, h.count());
            qs_latency.sum_ns(s, h.sumNanos());
            qs_latency.max_ns(s, h.maxNanos());
            MemorySegment.copy(h.buckets(), 0, qs_latency.buckets(s), ValueLayout.JAVA_LONG, 0,
                    LatencyHistogram.BUCKETS);
            return Quiesce.qs_latency_percentile_ns(s, pct);
        }
    }
}
