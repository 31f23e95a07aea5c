package dev.quiesce.nativemem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.RcuDomain;
import dev.quiesce.RcuPointer;
import dev.quiesce.ReadSection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The README's "Native memory under RCU" example, run: Java publishes, C
 * reads (the C readers of libqs_jtest, whose loop is the README's C half),
 * on the process default domain. Keep the two in step.
 */
class ReadmeExampleTest {

    @Test
    void javaPublishesAndCReads() {
        // --- README: Java side
        RcuDomain rcu = RcuDomain.nativeDefault();              // C's qs_domain_default()
        RcuPointer current = RcuPointer.allocate(rcu, Arena.global(), 64);
        // hand rcu.nativeHandle() and current.slot() to C (here: two C reader threads)
        MemorySegment cReaders = JTest.readersStart(rcu.nativeHandle(), current.slot(), 2);
        for (long generation = 1; generation <= 10_000; generation++) {
            MemorySegment node = rcu.allocate(64, 64);          // qs_mem_alloc
            JTest.fill(node, generation);                        // canary, generation, payload
            current.replace(node, JTest.NODE_FREE);              // old node: freed by C after a grace period
        }
        try (ReadSection s = rcu.read()) {
            assertEquals(10_000, current.getLong(s, 8));         // Java reads it too
        }
        // --- end of README
        JTest.Counts c = JTest.readersStop(cReaders);
        current.replace(MemorySegment.NULL, JTest.NODE_FREE);
        rcu.drain();
        assertEquals(0, c.violations());
        assertTrue(c.sections() > 0);
        assertEquals(0, rcu.stats().retiredPending());
    }
}
