package dev.quiesce.emu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.emu.model.GpuOp;
import dev.quiesce.emu.model.GpuStreams;
import dev.quiesce.emu.model.VgpuCmd;
import dev.quiesce.emu.model.VgpuWire;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The Java codec ({@link VgpuWire}, {@link GpuCommand}) against the C one
 * (virtio_gpu_wire.c), byte for byte and field for field, on random and
 * malformed input.
 */
class WireDifferentialTest {

    /** Header-ish prefixes that reach every branch of the decoder. */
    private static final int[] TYPES = {VirtioGpu.CMD_RESOURCE_CREATE_BLOB, VirtioGpu.CMD_RESOURCE_MAP_BLOB,
        VirtioGpu.CMD_RESOURCE_UNMAP_BLOB, VirtioGpu.CMD_RESOURCE_UNREF, VirtioGpu.CMD_GET_DISPLAY_INFO,
        VirtioGpu.RESP_OK_NODATA, 0, -1};

    @Property(tries = 2000)
    void decodeAgreesOnArbitraryBytes(@ForAll @Size(max = 120) byte[] tail, @ForAll @IntRange(max = 7) int typeIdx,
                                      @ForAll @IntRange(min = -2, max = 300) int nrEntries,
                                      @ForAll boolean typed) {
        byte[] bytes = tail;
        if (typed && bytes.length >= 40) {
            // give random bodies a real type (and a plausible entry count) often
            VgpuWire.le32Put(bytes, 0, TYPES[typeIdx]);
            VgpuWire.le32Put(bytes, VirtioGpu.OFF_CREATE_NR_ENTRIES, nrEntries);
        }
        assertSameDecode(bytes);
    }

    @Property(tries = 600)
    void decodeAgreesOnStreamCommandsAndTheirMutations(@ForAll long seed) {
        GpuStreams gen = new GpuStreams(GpuStreams.fuzzConfig());
        Random rnd = new Random(seed);
        GpuOp.Submit s = rnd.nextBoolean() ? gen.submit(rnd) : gen.malformed(rnd);
        assertSameDecode(s.bytes());
    }

    @Example
    void decodeAgreesAtTheLengthLimits() {
        for (int type : TYPES) {
            for (int len : new int[] {0, 23, 24, 31, 32, 33, 39, 40, 41, 55, 56, 57, 72, 4095, 4096, 4097, 4100}) {
                byte[] b = new byte[len];
                if (len >= 4) {
                    VgpuWire.le32Put(b, 0, type);
                }
                if (len >= 40) {
                    VgpuWire.le32Put(b, VirtioGpu.OFF_CREATE_NR_ENTRIES, (len - 56) / 16);
                }
                assertSameDecode(b);
            }
        }
    }

    private static void assertSameDecode(byte[] bytes) {
        VgpuWire.Decoded java = VgpuWire.decode(bytes, bytes.length);
        VgpuWire.Decoded c = NativeWire.decode(bytes, bytes.length);
        assertThat(java).as("decode of %s", Arrays.toString(bytes)).isEqualTo(c);
    }

    @Provide
    Arbitrary<GpuCommand> commands() {
        Arbitrary<Integer> ints = Arbitraries.integers();
        Arbitrary<Long> longs = Arbitraries.longs();
        Arbitrary<CtrlHdr> hdrs = Combinators.combine(Arbitraries.integers().between(0, 3), longs, ints,
                Arbitraries.integers().between(0, 255)).as((f, fence, ctx, ring) -> new CtrlHdr(0, f, fence, ctx, ring));
        Arbitrary<List<MemEntry>> entries = Combinators.combine(longs, ints).as(MemEntry::of).list().ofMaxSize(6);
        Arbitrary<GpuCommand> create = Combinators.combine(hdrs, ints, ints, ints, longs, longs, entries)
                .as((h, id, mem, flags, blobId, size, es) -> new GpuCommand.CreateBlob(
                        h.withType(VirtioGpu.CMD_RESOURCE_CREATE_BLOB), id, mem, flags, blobId, size, es));
        Arbitrary<GpuCommand> map = Combinators.combine(hdrs, ints, longs)
                .as((h, id, off) -> new GpuCommand.MapBlob(h.withType(VirtioGpu.CMD_RESOURCE_MAP_BLOB), id, off));
        Arbitrary<GpuCommand> unmap = Combinators.combine(hdrs, ints)
                .as((h, id) -> new GpuCommand.UnmapBlob(h.withType(VirtioGpu.CMD_RESOURCE_UNMAP_BLOB), id));
        Arbitrary<GpuCommand> unref = Combinators.combine(hdrs, ints)
                .as((h, id) -> new GpuCommand.Unref(h.withType(VirtioGpu.CMD_RESOURCE_UNREF), id));
        return Arbitraries.oneOf(create, map, unmap, unref);
    }

    @Property(tries = 1000)
    void typedBuildersProduceTheCEncodersBytes(@ForAll("commands") GpuCommand cmd) {
        VgpuWire.Decoded d = VgpuWire.decode(cmd.toBytes());
        assertThat(d.ok()).isTrue();
        List<MemEntry> entries = cmd instanceof GpuCommand.CreateBlob ? ((GpuCommand.CreateBlob) cmd).entries()
                : List.of();
        VgpuCmd c = d.cmd();
        assertThat(cmd.toBytes()).isEqualTo(NativeWire.encodeCmd(c, entries));
        assertThat(NativeWire.decode(cmd.toBytes(), cmd.toBytes().length)).isEqualTo(d);
    }

    @Property(tries = 1000)
    void responsesAgree(@ForAll @IntRange(min = 0, max = 3) int flags, @ForAll long fence, @ForAll int ctx,
                        @ForAll @IntRange(max = 255) int ring, @ForAll boolean noHeader,
                        @ForAll @IntRange(min = 0x1100, max = 0x1206) int type, @ForAll int mapInfo) {
        CtrlHdr req = noHeader ? null : new CtrlHdr(VirtioGpu.CMD_RESOURCE_MAP_BLOB, flags, fence, ctx, ring);
        assertThat(VgpuWire.encodeResp(req, type, mapInfo)).isEqualTo(NativeWire.encodeResp(req, type, mapInfo));
    }

    @Example
    void typeNamesAgree() {
        for (int t = 0; t < 0x1300; t++) {
            assertThat(VirtioGpu.typeName(t)).as("0x%x", t).isEqualTo(NativeWire.typeName(t));
        }
    }

    @Property(tries = 300)
    void latencyPercentilesAgree(@ForAll @Size(min = 1, max = 50) List<@IntRange(min = 0, max = 1_000_000) Integer> us,
                                 @ForAll @IntRange(min = 0, max = 100) int pct) {
        long[] buckets = new long[LatencyHistogram.BUCKETS];
        long sum = 0;
        long max = 0;
        for (int u : us) {
            long ns = u * 1000L + u % 7;
            buckets[LatencyHistogram.bucketOf(ns)]++;
            sum += ns;
            max = Math.max(max, ns);
        }
        LatencyHistogram h = new LatencyHistogram(us.size(), sum, max, buckets);
        assertThat(h.percentileNanos(pct)).isEqualTo(NativeWire.percentile(h, pct));
        assertThat(h.percentileNanos(pct + 0.5)).isEqualTo(NativeWire.percentile(h, pct + 0.5));
    }
}
