package dev.quiesce.emu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Policy;
import dev.quiesce.emu.model.GpuOp;
import dev.quiesce.emu.model.GpuStreams;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

/**
 * The native virtio-gpu device against the Java {@link dev.quiesce.emu.model.GpuModel}:
 * random and malformed command streams, submitted in bursts while a vCPU
 * reads guest memory, must give byte-equal responses and equal resource
 * states, mappings and counters ({@link GpuDiff}).
 */
class GpuDifferentialTest {

    private static final GpuDiff.Options OPTIONS = GpuDiff.Options.DEFAULT;
    private static final long WINDOW = OPTIONS.config().windowSize();

    @Provide
    Arbitrary<List<GpuOp>> streams() {
        Arbitrary<Integer> ids = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.integers().between(1, 3)),
                Tuple.of(2, Arbitraries.integers().between(4, 5)), Tuple.of(1, Arbitraries.of(0, -1, 0x7fffffff)));
        Arbitrary<Long> sizes = Arbitraries.of(1L, 4095L, 4096L, 4097L, 65536L, 1L << 20, 3L << 20, WINDOW / 2, WINDOW,
                WINDOW + 1, OPTIONS.config().memLimit(), OPTIONS.config().memLimit() + 1, 0L, -1L, Long.MIN_VALUE);
        Arbitrary<Long> offsets = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.integers().between(0, 16).map(i -> (long) i << 20)),
                Tuple.of(1, Arbitraries.of(123L, -1L, WINDOW - 4096, WINDOW + 4096, 4096L)));
        Arbitrary<Integer> blobMem = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(VirtioGpu.BLOB_MEM_HOST3D)),
                Tuple.of(1, Arbitraries.integers().between(0, 5)));
        Arbitrary<Integer> flags = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(1)),
                Tuple.of(1, Arbitraries.of(0, 3, 7, 8, -1)));
        Arbitrary<Boolean> fenced = Arbitraries.of(true, false, false, false);

        Arbitrary<GpuCommand> create = Combinators.combine(ids, sizes, blobMem, flags, fenced)
                .as((id, size, mem, f, fence) -> {
                    GpuCommand.CreateBlob c = GpuCommand.createBlob(id).size(size).blobMem(mem).blobFlags(f).build();
                    return fence ? c.withHeader(h -> h.fence(id * 31L).ctx(2)) : c;
                });
        Arbitrary<GpuCommand> guestCreate = Combinators.combine(ids, Arbitraries.integers().between(1, 4),
                Arbitraries.of(true, true, false)).as((id, n, exact) -> {
                    GpuCommand.CreateBlob.Builder b = GpuCommand.createBlob(id).guestMemory().size(n * 8192L);
                    for (int i = 0; i < n; i++) {
                        b.entry(0x100000L * (i + 1), exact ? 8192 : 4096);
                    }
                    return b.build();
                });
        Arbitrary<GpuCommand> map = Combinators.combine(ids, offsets, fenced)
                .as((id, off, fence) -> fence ? GpuCommand.mapBlob(id, off).withHeader(h -> h.fence(off).ringIdx(3))
                        : GpuCommand.mapBlob(id, off));
        Arbitrary<GpuCommand> unmap = Combinators.combine(ids, fenced)
                .as((id, fence) -> fence ? GpuCommand.unmapBlob(id).withHeader(h -> h.fence(7).ctx(id))
                        : GpuCommand.unmapBlob(id));
        Arbitrary<GpuCommand> unref = ids.map(GpuCommand::unref);
        GpuStreams gen = new GpuStreams(OPTIONS.config());
        Arbitrary<GpuOp> malformed = Arbitraries.longs().map(seed -> gen.malformed(new Random(seed)));

        Arbitrary<GpuOp> op = Arbitraries.frequencyOf(
                Tuple.of(5, create.map(GpuOp.Submit::of)),
                Tuple.of(1, guestCreate.map(GpuOp.Submit::of)),
                Tuple.of(7, map.map(GpuOp.Submit::of)),
                Tuple.of(5, unmap.map(GpuOp.Submit::of)),
                Tuple.of(3, unref.map(GpuOp.Submit::of)),
                Tuple.of(3, malformed),
                Tuple.of(2, Arbitraries.just(new GpuOp.GracePeriod())),
                Tuple.of(2, Arbitraries.just(new GpuOp.Settle())));
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED)
    void nativeDeviceAndModelAgree(@ForAll("streams") List<GpuOp> ops) {
        GpuDiff.Divergence d = GpuDiff.run(ops, OPTIONS);
        assertThat(d).as(() -> d.report()).isNull();
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void agreeUnderLegacyWithTwoVcpus(@ForAll("streams") List<GpuOp> ops) {
        GpuDiff.Divergence d = GpuDiff.run(ops, OPTIONS.withPolicy(Policy.LEGACY).withVcpus(2));
        assertThat(d).as(() -> d.report()).isNull();
    }

    @Property(tries = 40)
    void agreeOnGeneratedStreams(@ForAll long seed) {
        List<GpuOp> ops = new GpuStreams(OPTIONS.config()).stream(new Random(seed), 80);
        GpuDiff.Divergence d = GpuDiff.run(ops, OPTIONS.withVcpus(0));
        assertThat(d).as(() -> d.report()).isNull();
    }

    @Example
    void aDivergenceIsReported() {
        // The same stream against a model with a smaller resource limit must diverge: the harness can see.
        List<GpuOp> ops = List.of(GpuOp.Submit.of(GpuCommand.createBlob(1).build()),
                GpuOp.Submit.of(GpuCommand.createBlob(2).build()), new GpuOp.Settle());
        GpuDiff.Divergence d = GpuDiff.run(ops, OPTIONS.withConfig(OPTIONS.config().withMaxResources(1)),
                OPTIONS.config());
        assertThat(d).isNotNull();
        assertThat(d.what()).isEqualTo("response to command #2");
        assertThat(d.report()).contains("RESP_ERR_OUT_OF_MEMORY").contains("RESP_OK_NODATA");
    }

    @Example
    void shrinkingFindsTheTwoCommandsThatMatter() {
        GpuDiff.Options model = OPTIONS.withConfig(OPTIONS.config().withMaxResources(1)).withVcpus(0);
        List<GpuOp> ops = new java.util.ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ops.add(GpuOp.Submit.of(GpuCommand.unref(9)));
            ops.add(GpuOp.Submit.of(GpuCommand.createBlob(i).build()));
            ops.add(new GpuOp.Settle());
        }
        List<GpuOp> small = GpuDiff.shrink(ops, o -> GpuDiff.run(o, model, OPTIONS.config()) != null, 200);
        assertThat(small).hasSize(2).allMatch(op -> op instanceof GpuOp.Submit
                && ((GpuOp.Submit) op).label().startsWith("CreateBlob"));
    }
}
