package dev.quiesce.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.ErrorCode;
import dev.quiesce.Policy;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_reader;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.DomainConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
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

    /** ctr, waiting, slow_unlocks of a record (depth is the C side's own count). */
    private static long[] state(MemorySegment rec) {
        return new long[] {qs_reader.ctr(rec), qs_reader.waiting(rec), qs_reader.slow_unlocks(rec)};
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
        assertEquals(java.util.Arrays.toString(cLocked), java.util.Arrays.toString(javaLocked));
        assertEquals(java.util.Arrays.toString(cUnlocked), java.util.Arrays.toString(javaUnlocked));
        assertEquals(0, javaUnlocked[0]);
        r.close();
        d.close();
    }

    @Test
    void theCSideSeesAJavaSectionThroughCtr() {
        FfmDomain d = (FfmDomain) open(true);
        FfmReadSide r = (FfmReadSide) d.registerCurrentThread();
        MemorySegment rec = r.record();
        r.lock();
        assertEquals(0, qs_reader.depth(rec), "the nesting count stays in Java");
        // qs_drain would wait for this thread's own section: refused.
        assertEquals(-ErrorCode.EDEADLK.errno(), Quiesce.qs_drain(d.dom));
        assertEquals(-ErrorCode.EBUSY.errno(), Quiesce.qs_reader_free(rec));
        r.unlock();
        assertEquals(0, Quiesce.qs_drain(d.dom));
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
    void aReaderReleasedByAnotherThreadUnderALiveOwnerKeepsItsMemory() throws Exception {
        BackendDomain d = open(true);
        AtomicReference<FfmReadSide> reader = new AtomicReference<>();
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            reader.set((FfmReadSide) d.registerCurrentThread());
            registered.countDown();
            try {
                done.await(); // stays alive: the record may not be freed under it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        registered.await();
        FfmReadSide r = reader.get();
        r.close(); // from this thread: retires the record; the Cleaner frees it later
        assertEquals(1, qs_reader.waiting(r.record()), "retired: waiting left set");
        // The facade refuses a released registration before lock(); here, below
        // it, the record is still valid memory and every unlock reports the misuse.
        for (int i = 0; i < 2; i++) {
            r.lock();
            assertThrows(IllegalStateException.class, r::unlock);
        }
        d.close();
        done.countDown();
        owner.join();
    }

    @Test
    void aReaderRetiredInsideASectionNoLongerHoldsUpGracePeriodsAndItsUnlockThrows() throws Exception {
        BackendDomain d = open(true);
        FfmReadSide r = (FfmReadSide) d.registerCurrentThread();
        r.lock();
        Thread closer = new Thread(r::close);
        closer.start();
        closer.join();
        // Would wait for this thread's section forever if the record were still registered.
        Thread syncer = new Thread(d::synchronize);
        syncer.start();
        syncer.join(10_000);
        assertFalse(syncer.isAlive(), "synchronize() returned");
        IllegalStateException e = assertThrows(IllegalStateException.class, r::unlock);
        assertTrue(e.getMessage().contains("closed by another thread"), e.getMessage());
        assertEquals(0, qs_reader.ctr(r.record()));
        d.close();
    }
}
