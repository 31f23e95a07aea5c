package dev.quiesce.emu.model;

import static dev.quiesce.emu.VirtioGpu.BLOB_FLAG_USE_CROSS_DEVICE;
import static dev.quiesce.emu.VirtioGpu.BLOB_FLAG_USE_MAPPABLE;
import static dev.quiesce.emu.VirtioGpu.BLOB_FLAG_USE_SHAREABLE;
import static dev.quiesce.emu.VirtioGpu.BLOB_MEM_GUEST;
import static dev.quiesce.emu.VirtioGpu.BLOB_MEM_HOST3D;
import static dev.quiesce.emu.VirtioGpu.BLOB_MEM_HOST3D_GUEST;
import static dev.quiesce.emu.VirtioGpu.CMD_MAX;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_CREATE_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_MAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_UNMAP_BLOB;
import static dev.quiesce.emu.VirtioGpu.CMD_RESOURCE_UNREF;
import static dev.quiesce.emu.VirtioGpu.MAP_CACHE_CACHED;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_INVALID_PARAMETER;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_INVALID_RESOURCE_ID;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_OUT_OF_MEMORY;
import static dev.quiesce.emu.VirtioGpu.RESP_ERR_UNSPEC;
import static dev.quiesce.emu.VirtioGpu.RESP_OK_MAP_INFO;
import static dev.quiesce.emu.VirtioGpu.RESP_OK_NODATA;
import static dev.quiesce.emu.VirtioGpu.SIZE_CTRL_HDR;

import dev.quiesce.emu.BlobState;
import dev.quiesce.emu.CtrlHdr;
import dev.quiesce.emu.GpuConfig;
import dev.quiesce.emu.GpuStats;
import dev.quiesce.emu.Mapping;
import dev.quiesce.emu.MemEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * The virtio-gpu device's command processing and resource/map state machine,
 * reimplemented in Java: the twin of {@code native/emu/virtio_gpu.c}, with
 * the same names ({@code dispatch}, {@code cmdCreateBlob},
 * {@code cmdMapBlob}, {@code cmdUnmapBlob}, {@code cmdUnref},
 * {@code blobRegionFree}, {@code respond}) and the same checks in the same
 * order, so the two can be compared response by response.
 *
 * <p>No threads, clocks or RCU: where the native device waits for a grace
 * period (an unmap suspends the queue until the blob's region is freed),
 * the model waits for an explicit event, {@link #blobRegionFree()}, which
 * the caller fires "after the grace period". Commands submitted meanwhile
 * are queued and answered in order once it fired, as the native device's
 * queue thread does.
 *
 * <p>What the model leaves out: host allocation failures (memfd, mmap),
 * which the native device answers with RESP_ERR_OUT_OF_MEMORY and the model
 * never sees, and mappings other code adds to the address space (the model
 * knows only the window's blobs; the native device refuses to create a
 * window over existing mappings). Latencies and timing counters are zero.
 *
 * <p>Not thread-safe.
 */
public final class GpuModel {

    /** What {@link #submit(byte[], long)} did with a command ({@code qs_gpu_submit_result}). */
    public enum SubmitStatus {
        /** Answered at once: the response is in {@link Submitted#response()}. */
        DONE,
        /** Queued behind a pending unmap (or the unmap itself): answered through {@link #poll()}. */
        QUEUED,
        /** {@code queue_cap} commands are in flight: nothing happened ({@code -EAGAIN}); poll first. */
        AGAIN
    }

    /**
     * The outcome of a submit.
     *
     * @param status   what happened
     * @param response the response bytes when {@code DONE}, else null
     */
    public record Submitted(SubmitStatus status, byte[] response) {
    }

    /**
     * A response delivered through the response ring.
     *
     * @param tag   the submitter's tag
     * @param bytes the response
     */
    public record Answer(long tag, byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Answer && ((Answer) o).tag == tag && Arrays.equals(((Answer) o).bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(tag) * 31 + Arrays.hashCode(bytes);
        }
    }

    /* A blob resource (gpu_blob). */
    private static final class GpuBlob {
        final int id;
        BlobState state = BlobState.UNMAPPED;
        final int blobMem;
        final int blobFlags;
        final long blobId;
        final long size;
        final List<MemEntry> entries;   // guest backing (recorded, not accessed)
        final long mapLen;              // size rounded up to pages
        long mapOffset;                 // while MAPPED / UNMAPPING
        CtrlHdr unmapHdr;               // the suspended unmap (UNMAPPING)
        long unmapTag;

        GpuBlob(VgpuCmd c, long mapLen) {
            this.id = c.resourceId();
            this.blobMem = c.blobMem();
            this.blobFlags = c.blobFlags();
            this.blobId = c.blobId();
            this.size = c.size();
            this.entries = c.entries();
            this.mapLen = mapLen;
        }
    }

    /* A command waiting behind an unmap (gpu_cmd). */
    private static final class GpuCmd {
        final long tag;
        final byte[] bytes;

        GpuCmd(long tag, byte[] bytes) {
            this.tag = tag;
            this.bytes = bytes;
        }
    }

    private final GpuConfig cfg;
    private final long page;

    private final Map<Integer, GpuBlob> blobs = new HashMap<>();
    /* The window's topology: mapped blobs (MAPPED only; UNMAPPING ones left it). */
    private final List<GpuBlob> topo = new ArrayList<>();
    private int resources;
    private int mapped;
    private long memUsed;

    /* The blob whose unmap suspends the queue, or null. */
    private GpuBlob blocked;
    private final ArrayDeque<GpuCmd> backlog = new ArrayDeque<>();
    private final ArrayDeque<Answer> ring = new ArrayDeque<>();

    private long submitted;
    private long answered;
    private long answeredOk;
    private long answeredErr;
    private long queued;
    private long creates;
    private long maps;
    private long unmaps;
    private long unrefs;
    private long regionsFreed;
    private long forces;

    /**
     * A device with {@code cfg} on a host with 4 KiB pages.
     *
     * @param cfg the device configuration
     */
    public GpuModel(GpuConfig cfg) {
        this(cfg, 4096);
    }

    /**
     * A device with {@code cfg} on a host with {@code pageSize}-byte pages
     * (blob storage is rounded up to pages, which matters only for the
     * overflow checks of huge sizes).
     *
     * @param cfg the device configuration
     * @param pageSize the page size
     */
    public GpuModel(GpuConfig cfg, long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        this.cfg = cfg;
        this.page = pageSize;
    }

    /**
     * {@return the configuration}
     */
    public GpuConfig config() {
        return cfg;
    }

    // ------------------------------------------------------------ submit / poll

    /**
     * Submits one command ({@code qs_gpu_submit} with a response buffer).
     * Processed at once when nothing waits; otherwise (behind a pending
     * unmap) queued. An unmap that succeeds suspends the queue until
     * {@link #blobRegionFree()} and is answered then.
     *
     * @param cmd the wire bytes (a copy is kept when queued; an oversized command keeps
     *            {@code CMD_MAX + 1} bytes, all the decoder needs to reject it)
     * @param tag the tag its queued response will carry
     * @return the submitted
     */
    public Submitted submit(byte[] cmd, long tag) {
        if (inFlight() >= cfg.queueCap()) {
            return new Submitted(SubmitStatus.AGAIN, null);
        }
        if (blocked == null && backlog.isEmpty()) {
            submitted++;
            byte[][] direct = new byte[1][];
            boolean answeredNow = dispatch(cmd, cmd.length, tag, direct);
            return answeredNow ? new Submitted(SubmitStatus.DONE, direct[0]) : new Submitted(SubmitStatus.QUEUED, null);
        }
        int keep = Math.min(cmd.length, CMD_MAX + 1);
        backlog.addLast(new GpuCmd(tag, Arrays.copyOf(cmd, keep)));
        submitted++;
        queued++;
        return new Submitted(SubmitStatus.QUEUED, null);
    }

    /**
     * {@return the oldest response in the ring ({@code qs_gpu_poll}), if any}
     */
    public Optional<Answer> poll() {
        return Optional.ofNullable(ring.pollFirst());
    }

    /**
     * {@return every response in the ring, oldest first, removed from it}
     */
    public List<Answer> pollAll() {
        List<Answer> out = new ArrayList<>(ring);
        ring.clear();
        return out;
    }

    /**
     * Fires the free hook of the blob whose unmap suspends the queue, as the
     * RCU callback releasing the old view would: the blob goes FREED, the
     * unmap is answered, the blob goes COMPLETED, and the queue resumes
     * (commands that waited are processed in order, up to the next unmap
     * that suspends it again).
     *
     * @return whether an unmap was pending
     */
    public boolean blobRegionFree() {
        GpuBlob blob = blocked;
        if (blob == null) {
            return false;
        }
        regionsFreed++;
        blob.state = BlobState.FREED;
        blocked = null;
        mapped--;
        unmaps++;
        respond(blob.unmapHdr, RESP_OK_NODATA, 0, blob.unmapTag, null);
        blob.state = BlobState.COMPLETED;
        bhMain();
        return true;
    }

    /**
     * Fires {@link #blobRegionFree()} until no unmap is pending (every queued
     * command answered).
     *
     * @return how many unmaps completed
     */
    public int completeAll() {
        int n = 0;
        while (blobRegionFree()) {
            n++;
        }
        return n;
    }

    /* The queue thread's work (bh_main): commands that arrived while suspended. */
    private void bhMain() {
        while (blocked == null && !backlog.isEmpty()) {
            GpuCmd c = backlog.pollFirst();
            dispatch(c.bytes, c.bytes.length, c.tag, null);
        }
    }

    private int inFlight() {
        return backlog.size() + ring.size() + (blocked != null ? 1 : 0);
    }

    // ------------------------------------------------------------ commands

    /*
     * Processes one command (queue not suspended). Returns true when it was
     * answered (into direct[0] when direct != null, else into the ring),
     * false when an unmap suspended the queue.
     */
    private boolean dispatch(byte[] bytes, int len, long tag, byte[][] direct) {
        VgpuWire.Decoded d = VgpuWire.decode(bytes, len);
        VgpuCmd c = d.cmd();
        CtrlHdr hdr = len >= SIZE_CTRL_HDR ? c.hdr() : null;
        int code = d.code();
        if (code == 0) {
            switch (c.hdr().type()) {
                case CMD_RESOURCE_CREATE_BLOB:
                    code = cmdCreateBlob(c);
                    break;
                case CMD_RESOURCE_MAP_BLOB:
                    code = cmdMapBlob(c);
                    break;
                case CMD_RESOURCE_UNMAP_BLOB:
                    code = cmdUnmapBlob(c, tag);
                    if (code == 0) {
                        return false;
                    }
                    break;
                case CMD_RESOURCE_UNREF:
                    code = cmdUnref(c);
                    break;
                default:
                    code = RESP_ERR_UNSPEC; // the decoder admits no others
                    break;
            }
        }
        respond(hdr, code, code == RESP_OK_MAP_INFO ? MAP_CACHE_CACHED : 0, tag, direct);
        return true;
    }

    /* Encodes and accounts for a response; into direct[0] or the ring. */
    private void respond(CtrlHdr req, int type, int mapInfo, long tag, byte[][] direct) {
        byte[] buf = VgpuWire.encodeResp(req, type, mapInfo);
        answered++;
        if (type >= RESP_ERR_UNSPEC) {
            answeredErr++;
        } else {
            answeredOk++;
        }
        if (direct != null) {
            direct[0] = buf;
            return;
        }
        ring.addLast(new Answer(tag, buf));
    }

    private int cmdCreateBlob(VgpuCmd c) {
        if (c.resourceId() == 0 || blobs.containsKey(c.resourceId())) {
            return RESP_ERR_INVALID_RESOURCE_ID;
        }
        if (Integer.compareUnsigned(c.blobMem(), BLOB_MEM_GUEST) < 0
                || Integer.compareUnsigned(c.blobMem(), BLOB_MEM_HOST3D_GUEST) > 0) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        int known = BLOB_FLAG_USE_MAPPABLE | BLOB_FLAG_USE_SHAREABLE | BLOB_FLAG_USE_CROSS_DEVICE;
        if ((c.blobFlags() & ~known) != 0 || c.size() == 0) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        // Mem entries back guest-only and default blobs only (5.7.6.8);
        // when given, they must describe exactly `size` bytes.
        if (c.nrEntries() > 0 && c.blobMem() == BLOB_MEM_HOST3D) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        long total = 0;
        for (MemEntry e : c.entries()) {
            long end = e.addr() + e.lengthUnsigned();
            if (e.length() == 0 || Long.compareUnsigned(end, e.addr()) < 0) {
                return RESP_ERR_INVALID_PARAMETER;
            }
            total += e.lengthUnsigned(); // at most 252 * 2^32: no overflow
        }
        if (c.nrEntries() > 0 && total != c.size()) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        long mapLen = Long.divideUnsigned(c.size() + page - 1, page) * page;
        if (Integer.compareUnsigned(resources, cfg.maxResources()) >= 0 || Long.compareUnsigned(mapLen, c.size()) < 0
                || Long.compareUnsigned(c.size(), cfg.memLimit() - memUsed) > 0
                || Long.compareUnsigned(mapLen, Long.MAX_VALUE) > 0) {
            return RESP_ERR_OUT_OF_MEMORY;
        }
        GpuBlob blob = new GpuBlob(c, mapLen);
        blobs.put(blob.id, blob);
        resources++;
        memUsed += blob.size;
        creates++;
        return RESP_OK_NODATA;
    }

    private int cmdMapBlob(VgpuCmd c) {
        GpuBlob blob = blobs.get(c.resourceId());
        if (blob == null) {
            return RESP_ERR_INVALID_RESOURCE_ID;
        }
        if ((blob.blobFlags & BLOB_FLAG_USE_MAPPABLE) == 0) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        // "The driver MUST not map a blob resource that is already mapped."
        if (!blob.state.isIdle()) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        if (Long.compareUnsigned(c.offset(), cfg.windowSize()) > 0
                || Long.compareUnsigned(blob.size, cfg.windowSize() - c.offset()) > 0) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        long addr = cfg.windowBase() + c.offset();
        if (overlaps(addr, blob.size)) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        topo.add(blob);
        blob.state = BlobState.MAPPED;
        blob.mapOffset = c.offset();
        mapped++;
        maps++;
        return RESP_OK_MAP_INFO;
    }

    private int cmdUnmapBlob(VgpuCmd c, long tag) {
        GpuBlob blob = blobs.get(c.resourceId());
        if (blob == null) {
            return RESP_ERR_INVALID_RESOURCE_ID;
        }
        if (blob.state != BlobState.MAPPED) {
            return RESP_ERR_INVALID_PARAMETER;
        }
        // Suspend: the region leaves the topology now and is freed after a
        // grace period (blobRegionFree), which answers this command.
        blob.state = BlobState.UNMAPPING;
        blob.unmapHdr = c.hdr();
        blob.unmapTag = tag;
        blocked = blob;
        topo.remove(blob);
        if (cfg.forceOnUnmap()) {
            forces++;
        }
        return 0;
    }

    private int cmdUnref(VgpuCmd c) {
        GpuBlob blob = blobs.get(c.resourceId());
        if (blob == null) {
            return RESP_ERR_INVALID_RESOURCE_ID;
        }
        if (!blob.state.isIdle()) {
            // Still mapped (or being unmapped): the guest must unmap first.
            return RESP_ERR_INVALID_PARAMETER;
        }
        blobs.remove(blob.id);
        resources--;
        memUsed -= blob.size;
        unrefs++;
        return RESP_OK_NODATA;
    }

    /* Whether guest [addr, addr + size) overlaps a mapped blob (topo_overlaps). */
    private boolean overlaps(long addr, long size) {
        long end = addr + size;
        for (GpuBlob b : topo) {
            long a = cfg.windowBase() + b.mapOffset;
            if (Long.compareUnsigned(a, end) < 0 && Long.compareUnsigned(addr, a + b.size) < 0) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------ state

    /**
     * {@return a resource's state, or empty if there is no such resource ({@code qs_gpu_blob_state})}
     *
     * @param resourceId a resource's state, or empty if there is no such resource ({@code qs_gpu_blob_state})
     */
    public Optional<BlobState> blobState(int resourceId) {
        GpuBlob b = blobs.get(resourceId);
        return b == null ? Optional.empty() : Optional.of(b.state);
    }

    /**
     * {@return the window offset of a MAPPED resource ({@code qs_gpu_blob_offset}), else empty}
     *
     * @param resourceId the window offset of a MAPPED resource ({@code qs_gpu_blob_offset}), else empty
     */
    public OptionalLong blobOffset(int resourceId) {
        GpuBlob b = blobs.get(resourceId);
        return b == null || b.state != BlobState.MAPPED ? OptionalLong.empty() : OptionalLong.of(b.mapOffset);
    }

    /**
     * Live resource ids, ascending (unsigned).
     *
     * @return the list{@code <integer>}
     */
    public List<Integer> resourceIds() {
        TreeSet<Integer> ids = new TreeSet<>(Integer::compareUnsigned);
        ids.addAll(blobs.keySet());
        return List.copyOf(ids);
    }

    /**
     * {@return the window's mappings, sorted by offset}
     */
    public List<Mapping> mappings() {
        List<Mapping> out = new ArrayList<>();
        for (GpuBlob b : topo) {
            out.add(new Mapping(b.id, b.mapOffset, b.size));
        }
        Collections.sort(out);
        return out;
    }

    /**
     * Commands submitted and not yet answered ({@code qs_gpu_pending}).
     *
     * @return the pending
     */
    public int pending() {
        return backlog.size() + (blocked != null ? 1 : 0);
    }

    /**
     * {@return whether an unmap suspends the queue}
     */
    public boolean isBlocked() {
        return blocked != null;
    }

    /**
     * {@return the counters, as {@code qs_gpu_stats_get} (latencies and blocked time zero)}
     */
    public GpuStats stats() {
        return new GpuStats(submitted, answered, answeredOk, answeredErr, queued, creates, maps, unmaps, unrefs,
                regionsFreed, forces, 0, resources, mapped, pending(), blocked != null, memUsed, 0, 0, 0, 0, 0, 0);
    }
}
