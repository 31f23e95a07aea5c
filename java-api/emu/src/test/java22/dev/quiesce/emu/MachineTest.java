package dev.quiesce.emu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scripting API over the native emulator, and the semantics of the unmap path it exposes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MachineTest {

    private static final GpuCommand CREATE = GpuCommand.createBlob(1).size(64 << 10).build();

    @Test
    void mapTouchUnmapThroughTheScriptingApi() {
        try (Machine m = Machine.builder().vcpus(2).slice(Duration.ofMillis(1)).start(true).build()) {
            GpuDevice gpu = m.gpu();
            assertThat(gpu.execute(CREATE).typeName()).isEqualTo("RESP_OK_NODATA");
            Response map = gpu.execute(GpuCommand.mapBlob(1, 0x2000).withHeader(h -> h.fence(5).ctx(1)));
            assertThat(map.type()).isEqualTo(VirtioGpu.RESP_OK_MAP_INFO);
            assertThat(map.mapInfo()).isEqualTo(VirtioGpu.MAP_CACHE_CACHED);
            assertThat(map.header().fenceId()).isEqualTo(5);
            assertThat(gpu.blobState(1)).contains(BlobState.MAPPED);
            assertThat(gpu.mappings(List.of(1, 2))).containsExactly(new Mapping(1, 0x2000, 64 << 10));
            long addr = gpu.windowAddress(0x2000 + 100);
            assertThat(m.isAssigned(addr)).isTrue();
            m.writeGuest(addr, new byte[] {1, 2, 3, 4});
            byte[] back = m.readGuest(addr, 4);
            assertThat(back).hasSize(4);
            assertThatThrownBy(() -> m.readGuest(gpu.windowAddress(0), 8)).isInstanceOf(IllegalArgumentException.class);

            Response unmap = gpu.execute(GpuCommand.unmapBlob(1));
            assertThat(unmap.isOk()).isTrue();
            assertThat(unmap.latencyNanos()).isPositive();
            assertThat(gpu.blobState(1)).contains(BlobState.COMPLETED);
            assertThat(m.isAssigned(addr)).isFalse();
            assertThat(gpu.execute(GpuCommand.unref(1)).isOk()).isTrue();
            assertThat(gpu.blobState(1)).isEmpty();

            EmuStats s = m.stats();
            assertThat(s.gpu().creates()).isEqualTo(1);
            assertThat(s.gpu().unmaps()).isEqualTo(1);
            assertThat(s.gpu().regionsFreed()).isEqualTo(1);
            assertThat(s.machine().vcpus()).isEqualTo(2);
            assertThat(s.machine().total().sections()).isPositive();
            assertThat(s.rcu().gps()).isPositive();
            LatencyHistogram lat = gpu.latency(LatencyKind.UNMAP);
            assertThat(lat.count()).isEqualTo(1);
            assertThat(lat.maxNanos()).isLessThanOrEqualTo(unmap.latencyNanos());
        }
    }

    @Test
    void malformedAndInvalidCommandsGetTheSpecErrors() {
        try (Machine m = Machine.builder().vcpus(1).build()) {
            GpuDevice gpu = m.gpu();
            assertThat(gpu.executeRaw(new byte[0]).typeName()).isEqualTo("RESP_ERR_UNSPEC");
            assertThat(gpu.executeRaw(new byte[] {8, 2, 0, 0}).typeName()).isEqualTo("RESP_ERR_UNSPEC");
            assertThat(gpu.executeRaw(new byte[5000]).typeName()).isEqualTo("RESP_ERR_UNSPEC");
            assertThat(gpu.execute(GpuCommand.mapBlob(7, 0)).typeName()).isEqualTo("RESP_ERR_INVALID_RESOURCE_ID");
            gpu.execute(CREATE).requireOk();
            assertThat(gpu.execute(CREATE).typeName()).isEqualTo("RESP_ERR_INVALID_RESOURCE_ID");
            assertThat(gpu.execute(GpuCommand.unmapBlob(1)).typeName()).isEqualTo("RESP_ERR_INVALID_PARAMETER");
            assertThatThrownBy(() -> gpu.execute(GpuCommand.unmapBlob(1)).requireOk())
                    .hasMessageContaining("RESP_ERR_INVALID_PARAMETER");
            GpuStats s = gpu.stats();
            assertThat(s.answeredErr()).isEqualTo(7);
            assertThat(s.answeredOk()).isEqualTo(1);
        }
    }

    /** Maps, unmaps and remaps with vCPUs reading the window: a released mapping is poisoned; none may read it. */
    @Test
    void blobMemoryIsNeverReleasedWhileAViewCoveringItMayBeRead() throws Exception {
        GpuConfig cfg = GpuConfig.DEFAULTS.withPoisonOnFree(true);
        try (Machine m = Machine.builder().vcpus(2).slice(Duration.ofNanos(300_000))
                .workload(Workload.readOnly().withRamSize(0)).pollPeriod(Duration.ofMillis(1)).gpu(cfg)
                .start(true).build()) {
            GpuDevice gpu = m.gpu();
            for (int id = 1; id <= 3; id++) {
                gpu.execute(GpuCommand.createBlob(id).size(16 << 10).build()).requireOk();
            }
            AtomicInteger early = new AtomicInteger();
            for (int round = 0; round < 60; round++) {
                int id = 1 + round % 3;
                gpu.execute(GpuCommand.mapBlob(id, (long) id << 20)).requireOk();
                Thread.sleep(0, 200_000);
                CompletableFuture<Response> unmap = gpu.submit(GpuCommand.unmapBlob(id));
                // Runs when the response arrives: the free hook must have run by then.
                int freedBefore = round + 1;
                unmap.thenAccept(r -> {
                    if (gpu.stats().regionsFreed() < freedBefore) {
                        early.incrementAndGet();
                    }
                });
                assertThat(unmap.get(10, TimeUnit.SECONDS).isOk()).isTrue();
                assertThat(gpu.blobState(id)).contains(BlobState.COMPLETED);
            }
            VcpuStats v = m.machineStats().total();
            assertThat(v.accesses()).isPositive();
            assertThat(v.poisonHits()).as("reads of released blob memory").isZero();
            assertThat(early.get()).isZero();
            GpuStats s = gpu.stats();
            assertThat(s.regionsFreed()).isEqualTo(s.unmaps()).isEqualTo(60);
        }
    }

    @Test
    void aBusyVcpuIsKickedInFqsAndTheUnmapCompletes() throws Exception {
        for (boolean force : new boolean[] {true, false}) {
            try (Machine m = Machine.builder().vcpus(2).slice(Duration.ZERO).policy(Policy.FQS)
                    .pollPeriod(Duration.ofMillis(2)).gpu(GpuConfig.DEFAULTS.withForceOnUnmap(force))
                    .start(true).build()) {
                GpuDevice gpu = m.gpu();
                gpu.execute(CREATE).requireOk();
                gpu.execute(GpuCommand.mapBlob(1, 0)).requireOk();
                Response r = gpu.submit(GpuCommand.unmapBlob(1)).get(10, TimeUnit.SECONDS);
                assertThat(r.isOk()).isTrue();
                EmuStats s = m.stats();
                assertThat(s.machine().total().kicks()).as("force=%s", force).isPositive();
                assertThat(s.rcu().gpsFqs()).isPositive();
                assertThat(s.gpu().forces()).isEqualTo(force ? 1 : 0);
            }
        }
    }

    @Test
    void underLegacyABusyVcpuIsNotKickedWithoutADrain() throws Exception {
        try (Machine m = Machine.builder().vcpus(1).slice(Duration.ZERO).policy(Policy.LEGACY)
                .pollPeriod(Duration.ofMillis(2)).gpu(GpuConfig.DEFAULTS.withForceOnUnmap(true)).start(true)
                .build()) {
            GpuDevice gpu = m.gpu();
            gpu.execute(CREATE).requireOk();
            gpu.execute(GpuCommand.mapBlob(1, 0)).requireOk();
            CompletableFuture<Response> unmap = gpu.submit(GpuCommand.unmapBlob(1));
            CompletableFuture<Response> behind = gpu.submit(GpuCommand.unref(1));
            Thread.sleep(400);
            assertThat(unmap).as("the stall").isNotDone();
            assertThat(behind).as("queued behind the unmap").isNotDone();
            assertThat(gpu.blobState(1)).contains(BlobState.UNMAPPING);
            assertThat(gpu.pending()).isEqualTo(2);
            assertThat(m.machineStats().total().kicks()).isZero();
            m.drain(); // LEGACY fires notifiers only while draining
            assertThat(unmap.get(10, TimeUnit.SECONDS).isOk()).isTrue();
            assertThat(behind.get(10, TimeUnit.SECONDS).isOk()).isTrue();
            assertThat(m.machineStats().total().kicks()).isPositive();
            assertThat(unmap.get().latency()).isGreaterThan(Duration.ofMillis(300));
        }
    }

    @Test
    void aFullQueueRejectsAndClosingAnswersWhatIsPending() throws Exception {
        Machine m = Machine.builder().vcpus(1).slice(Duration.ZERO).policy(Policy.LEGACY)
                .gpu(GpuConfig.DEFAULTS.withQueueCap(4)).start(true).build();
        GpuDevice gpu = m.gpu();
        gpu.execute(CREATE).requireOk();
        gpu.execute(GpuCommand.mapBlob(1, 0)).requireOk();
        List<CompletableFuture<Response>> fs = new ArrayList<>();
        fs.add(gpu.submit(GpuCommand.unmapBlob(1)));
        for (int i = 0; i < 3; i++) {
            fs.add(gpu.submit(GpuCommand.unref(100 + i)));
        }
        assertThatThrownBy(() -> gpu.submit(GpuCommand.unref(1))).isInstanceOf(RejectedExecutionException.class);
        assertThat(gpu.outstanding()).isEqualTo(4);
        m.close();
        assertThat(fs.get(0).get(1, TimeUnit.SECONDS).isOk()).isTrue();
        for (int i = 1; i < 4; i++) {
            assertThat(fs.get(i).get(1, TimeUnit.SECONDS).typeName()).isEqualTo("RESP_ERR_INVALID_RESOURCE_ID");
        }
        assertThat(m.isClosed()).isTrue();
        assertThatThrownBy(() -> gpu.submit(CREATE)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(m::stats).isInstanceOf(IllegalStateException.class);
        assertThat(gpu.stats().unmaps()).as("the last counters stay readable").isEqualTo(1);
        m.close(); // idempotent
    }

    @Test
    void builderAndLifecycleChecks() {
        assertThatThrownBy(() -> Machine.builder().vcpus(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GpuConfig(0, 0, 1, 1, 1, false, false))
                .isInstanceOf(IllegalArgumentException.class);
        try (Machine m = Machine.builder().vcpus(1).build()) {
            assertThat(m.isRunning()).isFalse();
            m.start();
            assertThat(m.isRunning()).isTrue();
            assertThatThrownBy(m::start).isInstanceOf(IllegalStateException.class);
            m.kick(0);
            assertThat(m.vcpuStats(0).kicks()).isEqualTo(1);
            assertThatThrownBy(() -> m.kick(1)).isInstanceOf(IndexOutOfBoundsException.class);
            m.stop();
            assertThatThrownBy(m::stop).isInstanceOf(IllegalStateException.class);
            assertThat(m.viewGeneration()).isPositive();
            assertThat(m.mappingCount()).isEqualTo(1); // guest RAM
            m.synchronize();
        }
    }
}
