package dev.quiesce.emu;

import static dev.quiesce.emu.VirtioGpu.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.emu.model.GpuModel;
import dev.quiesce.emu.model.GpuModel.SubmitStatus;
import dev.quiesce.emu.model.GpuOp;
import dev.quiesce.emu.model.GpuStreams;
import dev.quiesce.emu.model.VgpuWire;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java device model on its own: lifecycle, queueing and the error table. */
class GpuModelTest {

    private static final GpuConfig CFG = GpuConfig.DEFAULTS.withWindow(1L << 32, 1L << 20).withMemLimit(1L << 20)
            .withMaxResources(3).withQueueCap(4);

    private final GpuModel dev = new GpuModel(CFG);
    private long tag;

    /* Submits and returns the response type of a command answered at once (-1 if queued). */
    private int exec(GpuCommand c) {
        GpuModel.Submitted s = dev.submit(c.toBytes(), ++tag);
        if (s.status() != SubmitStatus.DONE) {
            return -1;
        }
        return VgpuWire.decodeResp(s.response(), s.response().length).hdr().type();
    }

    private static GpuCommand create(int id, long size) {
        return GpuCommand.createBlob(id).size(size).build();
    }

    @Test
    void blobLifecycleFollowsTheStateMachine() {
        assertThat(exec(create(1, 8192))).isEqualTo(RESP_OK_NODATA);
        assertThat(dev.blobState(1)).contains(BlobState.UNMAPPED);
        assertThat(exec(GpuCommand.mapBlob(1, 4096))).isEqualTo(RESP_OK_MAP_INFO);
        assertThat(dev.blobState(1)).contains(BlobState.MAPPED);
        assertThat(dev.mappings()).containsExactly(new Mapping(1, 4096, 8192));
        assertThat(dev.blobOffset(1)).hasValue(4096);

        assertThat(exec(GpuCommand.unmapBlob(1))).as("suspended, not answered").isEqualTo(-1);
        assertThat(dev.blobState(1)).contains(BlobState.UNMAPPING);
        assertThat(dev.isBlocked()).isTrue();
        assertThat(dev.mappings()).as("out of the topology at once").isEmpty();
        assertThat(dev.poll()).isEmpty();

        assertThat(dev.blobRegionFree()).isTrue();
        assertThat(dev.blobState(1)).contains(BlobState.COMPLETED);
        List<GpuModel.Answer> answers = dev.pollAll();
        assertThat(answers).hasSize(1);
        assertThat(answers.get(0).tag()).isEqualTo(3);
        assertThat(VgpuWire.le32Get(answers.get(0).bytes(), 0)).isEqualTo(RESP_OK_NODATA);

        assertThat(exec(GpuCommand.mapBlob(1, 0))).as("COMPLETED maps again").isEqualTo(RESP_OK_MAP_INFO);
        assertThat(exec(GpuCommand.unref(1))).as("unref while mapped").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        exec(GpuCommand.unmapBlob(1));
        dev.blobRegionFree();
        assertThat(exec(GpuCommand.unref(1))).isEqualTo(RESP_OK_NODATA);
        assertThat(dev.blobState(1)).isEmpty();
        GpuStats s = dev.stats();
        assertThat(s.creates()).isEqualTo(1);
        assertThat(s.maps()).isEqualTo(2);
        assertThat(s.unmaps()).isEqualTo(2);
        assertThat(s.regionsFreed()).isEqualTo(2);
        assertThat(s.unrefs()).isEqualTo(1);
        assertThat(s.resources()).isZero();
        assertThat(s.memUsed()).isZero();
    }

    @Test
    void commandsBehindAPendingUnmapAreQueuedAndAnsweredInOrder() {
        exec(create(1, 4096));
        exec(create(2, 4096));
        exec(GpuCommand.mapBlob(1, 0));
        exec(GpuCommand.unmapBlob(1));                          // tag 4: suspends
        assertThat(exec(GpuCommand.unmapBlob(1))).isEqualTo(-1); // tag 5: double unmap, queued
        assertThat(exec(GpuCommand.mapBlob(2, 0))).isEqualTo(-1); // tag 6: queued
        assertThat(exec(GpuCommand.unref(7))).isEqualTo(-1);     // tag 7: unknown id, queued
        assertThat(dev.pending()).isEqualTo(4);
        assertThat(dev.submit(GpuCommand.unref(2).toBytes(), 99).status()).as("queue_cap 4 in flight")
                .isEqualTo(SubmitStatus.AGAIN);
        dev.blobRegionFree();
        List<GpuModel.Answer> a = dev.pollAll();
        assertThat(a).extracting(GpuModel.Answer::tag).containsExactly(4L, 5L, 6L, 7L);
        assertThat(a).extracting(x -> VgpuWire.le32Get(x.bytes(), 0)).containsExactly(RESP_OK_NODATA,
                RESP_ERR_INVALID_PARAMETER, RESP_OK_MAP_INFO, RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(dev.stats().queued()).isEqualTo(3);
        assertThat(dev.mappings()).containsExactly(new Mapping(2, 0, 4096));
    }

    @Test
    void theErrorTable() {
        assertThat(exec(create(0, 4096))).as("resource id 0").isEqualTo(RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(exec(create(1, 0))).as("size 0").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.createBlob(1).blobMem(0).build())).isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.createBlob(1).blobFlags(8).build())).isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.createBlob(1).hostMemory().entry(0, 4096).build())).as("host blob with entries")
                .isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.createBlob(1).guestMemory().size(8192).entry(0, 4096).build()))
                .as("entries must sum to size").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.createBlob(1).guestMemory().size(16).entry(-8, 16).build()))
                .as("entry wraps around").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(create(1, (1L << 20) + 1))).as("over mem_limit").isEqualTo(RESP_ERR_OUT_OF_MEMORY);
        assertThat(exec(create(1, -1L))).as("size near 2^64").isEqualTo(RESP_ERR_OUT_OF_MEMORY);

        assertThat(exec(create(1, 4096))).isEqualTo(RESP_OK_NODATA);
        assertThat(exec(create(1, 4096))).as("reused id").isEqualTo(RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(exec(GpuCommand.createBlob(2).notMappable().build())).isEqualTo(RESP_OK_NODATA);
        assertThat(exec(create(3, 4096))).isEqualTo(RESP_OK_NODATA);
        assertThat(exec(create(4, 4096))).as("max_resources").isEqualTo(RESP_ERR_OUT_OF_MEMORY);

        assertThat(exec(GpuCommand.mapBlob(9, 0))).as("unknown id").isEqualTo(RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(exec(GpuCommand.mapBlob(2, 0))).as("not mappable").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(1, CFG.windowSize()))).as("outside").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(1, CFG.windowSize() - 4095))).as("straddles the end")
                .isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(1, -1))).as("offset wraps").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(1, 4096))).isEqualTo(RESP_OK_MAP_INFO);
        assertThat(exec(GpuCommand.mapBlob(1, 0))).as("already mapped").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(3, 4095))).as("overlaps").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.mapBlob(3, 8192))).as("adjacent").isEqualTo(RESP_OK_MAP_INFO);
        assertThat(exec(GpuCommand.unmapBlob(9))).isEqualTo(RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(exec(GpuCommand.unmapBlob(2))).as("not mapped").isEqualTo(RESP_ERR_INVALID_PARAMETER);
        assertThat(exec(GpuCommand.unref(9))).isEqualTo(RESP_ERR_INVALID_RESOURCE_ID);
        assertThat(exec(GpuCommand.raw(new byte[] {1, 2}))).isEqualTo(RESP_ERR_UNSPEC);
        GpuStats s = dev.stats();
        assertThat(s.resources()).isEqualTo(3);
        assertThat(s.mapped()).isEqualTo(2);
        assertThat(s.memUsed()).isEqualTo(3 * 4096);
        assertThat(s.answered()).isEqualTo(s.answeredOk() + s.answeredErr());
    }

    @Test
    void streamsAreDeterministicAndTheModelNeverGetsStuck() {
        GpuStreams gen = new GpuStreams(GpuStreams.fuzzConfig());
        assertThat(gen.stream(new Random(42), 50)).isEqualTo(gen.stream(new Random(42), 50));
        for (long seed = 0; seed < 200; seed++) {
            GpuModel m = new GpuModel(GpuStreams.fuzzConfig());
            long t = 0;
            long submits = 0;
            long answers = 0;
            for (GpuOp op : gen.stream(new Random(seed), 80)) {
                if (op instanceof GpuOp.Submit) {
                    submits++;
                    if (m.submit(((GpuOp.Submit) op).bytes(), ++t).status() == SubmitStatus.DONE) {
                        answers++;
                    }
                } else if (op instanceof GpuOp.GracePeriod) {
                    m.blobRegionFree();
                } else {
                    m.completeAll();
                }
                answers += m.pollAll().size();
            }
            assertThat(answers).as("seed %d: every command answered", seed).isEqualTo(submits);
            assertThat(m.pending()).isZero();
            GpuStats s = m.stats();
            assertThat(s.mapped()).isEqualTo(m.mappings().size());
            assertThat(s.creates() - s.unrefs()).isEqualTo(s.resources());
        }
    }
}
