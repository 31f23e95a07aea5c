package dev.quiesce.emu.model;

import dev.quiesce.emu.GpuCommand;
import dev.quiesce.emu.GpuConfig;
import dev.quiesce.emu.VirtioGpu;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Random command streams for the differential fuzzer: mostly plausible
 * create / map / unmap / unref traffic over a handful of resource ids (so
 * that ids collide, maps overlap, unmaps double up and unrefs hit mapped
 * blobs), salted with malformed input (truncated, extended, oversized,
 * unknown types, response codes as commands, flipped bytes, bad entry
 * lists) and fenced headers. Deterministic for a given {@link Random}.
 */
public final class GpuStreams {

    private static final int[] IDS = {1, 2, 3};
    private static final int[] OTHER_TYPES = {VirtioGpu.CMD_GET_DISPLAY_INFO, VirtioGpu.CMD_RESOURCE_CREATE_2D,
        VirtioGpu.CMD_SET_SCANOUT, VirtioGpu.CMD_SUBMIT_3D, VirtioGpu.CMD_MOVE_CURSOR, VirtioGpu.RESP_OK_NODATA,
        VirtioGpu.RESP_OK_MAP_INFO, VirtioGpu.RESP_ERR_UNSPEC, 0, -1, 0x0210, 0x1234};

    private final GpuConfig cfg;

    /**
     * A generator for a device configured with {@code cfg}.
     *
     * @param cfg the device configuration
     */
    public GpuStreams(GpuConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * {@return the configuration the diff fuzzer uses: a 16 MiB window, 32 MiB of blobs, 6 resources}
     */
    public static GpuConfig fuzzConfig() {
        return GpuConfig.DEFAULTS.withWindow(1L << 32, 16L << 20).withMemLimit(32L << 20).withMaxResources(6)
                .withQueueCap(4096);
    }

    /**
     * {@return a stream of {@code n} operations: submits in bursts, grace periods,
     * settle points (and a final settle)}
     *
     * @param rnd the source of randomness
     * @param n how many
     */
    public List<GpuOp> stream(Random rnd, int n) {
        List<GpuOp> ops = new ArrayList<>(n + 1);
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(100);
            if (r < 8) {
                ops.add(new GpuOp.GracePeriod());
            } else if (r < 16) {
                ops.add(new GpuOp.Settle());
            } else {
                ops.add(submit(rnd));
            }
        }
        ops.add(new GpuOp.Settle());
        return ops;
    }

    /**
     * {@return one random submit}
     *
     * @param rnd one random submit
     */
    public GpuOp.Submit submit(Random rnd) {
        int r = rnd.nextInt(100);
        GpuCommand c;
        if (r < 22) {
            c = create(rnd);
        } else if (r < 47) {
            c = GpuCommand.mapBlob(id(rnd), offset(rnd));
        } else if (r < 67) {
            c = GpuCommand.unmapBlob(id(rnd));
        } else if (r < 80) {
            c = GpuCommand.unref(id(rnd));
        } else {
            return malformed(rnd);
        }
        if (rnd.nextInt(6) == 0) {
            c = fence(rnd, c);
        }
        return GpuOp.Submit.of(c);
    }

    private GpuCommand fence(Random rnd, GpuCommand c) {
        long fence = rnd.nextLong();
        int ctx = rnd.nextInt(4);
        boolean ring = rnd.nextBoolean();
        int idx = rnd.nextInt(256);
        java.util.function.Consumer<GpuCommand.HeaderBuilder> e = h -> {
            h.fence(fence).ctx(ctx);
            if (ring) {
                h.ringIdx(idx);
            }
        };
        if (c instanceof GpuCommand.CreateBlob) {
            return ((GpuCommand.CreateBlob) c).withHeader(e);
        } else if (c instanceof GpuCommand.MapBlob) {
            return ((GpuCommand.MapBlob) c).withHeader(e);
        } else if (c instanceof GpuCommand.UnmapBlob) {
            return ((GpuCommand.UnmapBlob) c).withHeader(e);
        } else if (c instanceof GpuCommand.Unref) {
            return ((GpuCommand.Unref) c).withHeader(e);
        }
        return c;
    }

    private int id(Random rnd) {
        int r = rnd.nextInt(40);
        if (r == 0) {
            return 0;
        } else if (r == 1) {
            return -1;
        } else if (r == 2) {
            return rnd.nextInt();
        } else if (r < 8) {
            return 4 + rnd.nextInt(2);
        }
        return IDS[rnd.nextInt(IDS.length)];
    }

    private long size(Random rnd) {
        long w = cfg.windowSize();
        long[] sizes = {1, 4095, 4096, 4097, 64 << 10, 1 << 20, 1 << 20, 2 << 20, w / 2, w, w + 1, cfg.memLimit(),
            cfg.memLimit() + 1, 0, -1L, Long.MIN_VALUE, -4096L};
        return sizes[rnd.nextInt(sizes.length)];
    }

    private long offset(Random rnd) {
        long w = cfg.windowSize();
        int r = rnd.nextInt(12);
        switch (r) {
            case 0: return w;
            case 1: return w - 4096;
            case 2: return w + 4096;
            case 3: return -1L;
            case 4: return 123;
            case 5: return w / 2;
            default: return (long) rnd.nextInt(8) << 20;
        }
    }

    private GpuCommand create(Random rnd) {
        GpuCommand.CreateBlob.Builder b = GpuCommand.createBlob(id(rnd)).size(size(rnd));
        int r = rnd.nextInt(20);
        if (r < 12) {
            b.hostMemory();
        } else if (r < 16) {
            // guest memory backed by entries that (usually) sum to the size
            long size = 1L << (12 + rnd.nextInt(9));
            b.guestMemory().size(size);
            int n = 1 + rnd.nextInt(4);
            long left = size;
            for (int i = 0; i < n && left > 0; i++) {
                long len = i == n - 1 ? left : Math.max(1, left / 2);
                b.entry(0x10000L * (i + 1), (int) len);
                left -= len;
            }
            if (rnd.nextInt(4) == 0) {
                b.entry(-8L, rnd.nextInt(3) * 16); // overflowing or zero-length
            }
        } else if (r < 18) {
            b.blobMem(rnd.nextInt(6));
        } else {
            b.blobMem(VirtioGpu.BLOB_MEM_HOST3D_GUEST);
        }
        int f = rnd.nextInt(10);
        if (f == 0) {
            b.notMappable();
        } else if (f == 1) {
            b.blobFlags(rnd.nextInt(16));
        }
        return b.blobId(rnd.nextInt(3)).build();
    }

    /**
     * {@return a malformed command}
     *
     * @param rnd a malformed command
     */
    public GpuOp.Submit malformed(Random rnd) {
        GpuCommand base;
        switch (rnd.nextInt(4)) {
            case 0: base = create(rnd); break;
            case 1: base = GpuCommand.mapBlob(id(rnd), offset(rnd)); break;
            case 2: base = GpuCommand.unmapBlob(id(rnd)); break;
            default: base = GpuCommand.unref(id(rnd)); break;
        }
        byte[] b = base.toBytes();
        int kind = rnd.nextInt(9);
        switch (kind) {
            case 0: {
                int len = rnd.nextInt(b.length);
                return new GpuOp.Submit(Arrays.copyOf(b, len), "truncated to " + len + ": " + base);
            }
            case 1: {
                int extra = 1 + rnd.nextInt(20);
                byte[] longer = Arrays.copyOf(b, b.length + extra);
                return new GpuOp.Submit(longer, extra + " trailing bytes: " + base);
            }
            case 2: {
                byte[] big = Arrays.copyOf(b, VirtioGpu.CMD_MAX + 1 + rnd.nextInt(64));
                return new GpuOp.Submit(big, "oversized (" + big.length + "): " + base);
            }
            case 3: {
                int type = OTHER_TYPES[rnd.nextInt(OTHER_TYPES.length)];
                VgpuWire.le32Put(b, 0, type);
                return new GpuOp.Submit(b, "type 0x" + Integer.toHexString(type) + " on the body of " + base);
            }
            case 4: {
                int at = rnd.nextInt(b.length);
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                return new GpuOp.Submit(b, "bit flip at " + at + ": " + base);
            }
            case 5: {
                byte[] junk = new byte[rnd.nextInt(48)];
                rnd.nextBytes(junk);
                return new GpuOp.Submit(junk, "random " + junk.length + " bytes");
            }
            case 6: {
                // CREATE_BLOB whose nr_entries disagrees with its length
                byte[] c = GpuCommand.createBlob(id(rnd)).guestMemory().size(4096).entry(0x1000, 4096).build()
                        .toBytes();
                int nr = rnd.nextBoolean() ? rnd.nextInt(4) : VirtioGpu.MAX_MEM_ENTRIES + rnd.nextInt(3);
                VgpuWire.le32Put(c, VirtioGpu.OFF_CREATE_NR_ENTRIES, nr);
                return new GpuOp.Submit(c, "CREATE_BLOB claiming " + nr + " entries, carrying 1");
            }
            case 7:
                return new GpuOp.Submit(new byte[0], "empty");
            default: {
                // the largest legal entry count, and one more
                int nr = VirtioGpu.MAX_MEM_ENTRIES + rnd.nextInt(2);
                byte[] c = new byte[VirtioGpu.SIZE_RESOURCE_CREATE_BLOB + nr * VirtioGpu.SIZE_MEM_ENTRY];
                VgpuWire.hdrPut(c, 0, dev.quiesce.emu.CtrlHdr.of(VirtioGpu.CMD_RESOURCE_CREATE_BLOB));
                VgpuWire.le32Put(c, VirtioGpu.OFF_RESOURCE_ID, id(rnd));
                VgpuWire.le32Put(c, VirtioGpu.OFF_CREATE_BLOB_MEM, VirtioGpu.BLOB_MEM_GUEST);
                VgpuWire.le32Put(c, VirtioGpu.OFF_CREATE_BLOB_FLAGS, VirtioGpu.BLOB_FLAG_USE_MAPPABLE);
                VgpuWire.le32Put(c, VirtioGpu.OFF_CREATE_NR_ENTRIES, nr);
                VgpuWire.le64Put(c, VirtioGpu.OFF_CREATE_SIZE, nr * 4096L);
                for (int i = 0; i < nr; i++) {
                    int e = VirtioGpu.SIZE_RESOURCE_CREATE_BLOB + i * VirtioGpu.SIZE_MEM_ENTRY;
                    VgpuWire.le64Put(c, e, 0x100000L + i * 4096L);
                    VgpuWire.le32Put(c, e + VirtioGpu.OFF_ENTRY_LENGTH, 4096);
                }
                return new GpuOp.Submit(c, "CREATE_BLOB with " + nr + " entries (" + c.length + " bytes)");
            }
        }
    }
}
