package dev.quiesce.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Policy;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_reader;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.DomainConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The FFM read side does to the native record exactly what the inline C read
 * side ({@code <quiesce/read.h>}, via its twins {@code qs_read_lock_fn} /
 * {@code qs_read_unlock_fn}) does, in both fence modes.
 */
class FfmReadSideTest {

    private static final FfmBackend BACKEND = new FfmBackend();

    private static BackendDomain open(boolean membarrier) {
        return BACKEND.open(new DomainConfig(Policy.FQS, 1_000_000, 5, 30, membarrier));
    }

    /** ctr, depth, waiting, slow_unlocks of a record. */
    private static long[] state(MemorySegment rec) {
        return new long[] {qs_reader.ctr(rec), qs_reader.depth(rec), qs_reader.waiting(rec),
            qs_reader.slow_unlocks(rec)};
    }

    @ParameterizedTest(name = "membarrier={0}")
    @ValueSource(booleans = {true, false})
    void lockAndUnlockMatchTheNativeTwins(boolean membarrier) {
        BackendDomain d = open(membarrier);
        FfmReadSide r = (FfmReadSide) d.registerCurrentThread();
        MemorySegment rec = r.record();
        if (!membarrier) {
            assertEquals(Quiesce.QS_FENCE_FULL(), qs_reader.fence_mode(rec));
        }
        long gp = qs_reader.gp_ctr(rec).reinterpret(8).get(ValueLayout.JAVA_LONG, 0);
        assertEquals(1, gp & 1, "gp_ctr has bit 0 set");

        r.lock();
        long[] javaLocked = state(rec);
        r.unlock();
        long[] javaUnlocked = state(rec);
        Quiesce.qs_read_lock_fn(rec);
        long[] cLocked = state(rec);
        Quiesce.qs_read_unlock_fn(rec);
        long[] cUnlocked = state(rec);

        assertEquals(gp, javaLocked[0]);
        assertEquals(1, javaLocked[1]);
        assertEquals(java.util.Arrays.toString(cLocked), java.util.Arrays.toString(javaLocked));
        assertEquals(java.util.Arrays.toString(cUnlocked), java.util.Arrays.toString(javaUnlocked));
        assertEquals(0, javaUnlocked[0]);
        assertEquals(0, javaUnlocked[1]);
        r.close();
        d.close();
    }

    @Test
    void nestedLocksTouchCtrOnlyAtTheOutermost() {
        BackendDomain d = open(true);
        FfmReadSide r = (FfmReadSide) d.registerCurrentThread();
        MemorySegment rec = r.record();
        r.lock();
        long ctr = qs_reader.ctr(rec);
        r.lock();
        assertEquals(2, qs_reader.depth(rec));
        assertEquals(ctr, qs_reader.ctr(rec));
        r.unlock();
        assertEquals(ctr, qs_reader.ctr(rec));
        r.unlock();
        assertEquals(0, qs_reader.ctr(rec));
        r.close();
        d.close();
    }

    @Test
    void unlockTakesTheSlowPathExactlyWhenWaitingIsSet() {
        BackendDomain d = open(true);
        FfmReadSide r = (FfmReadSide) d.registerCurrentThread();
        MemorySegment rec = r.record();
        r.lock();
        r.unlock();
        assertEquals(0, qs_reader.slow_unlocks(rec));
        r.lock();
        qs_reader.waiting(rec, 1); // as the writer does in the force-quiescent state
        r.unlock();
        assertEquals(0, qs_reader.waiting(rec), "the slow path clears waiting");
        assertEquals(1, qs_reader.slow_unlocks(rec), "the slow path counts");
        r.close();
        d.close();
        assertTrue(true);
    }

    @Test
    void aReaderReleasedByAnotherThreadCannotTouchFreedMemory() throws Exception {
        BackendDomain d = open(true);
        AtomicReference<FfmReadSide> reader = new AtomicReference<>();
        Thread owner = new Thread(() -> reader.set((FfmReadSide) d.registerCurrentThread()));
        owner.start();
        owner.join();
        FfmReadSide r = reader.get();
        r.close(); // from this thread: closes the record's arena, then qs_reader_free
        assertThrows(IllegalStateException.class, r::lock);
        d.close();
    }
}
