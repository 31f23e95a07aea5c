package dev.quiesce.nativemem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.RcuDomain;
import dev.quiesce.RcuPointer;
import dev.quiesce.ReadSection;
import dev.quiesce.Stats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Mixed torture (issue 13, item 5): C writers and Java writers replace one
 * node (generation + canary + payload) in one slot of the process default
 * domain while C readers and Java readers check it. Every retired node is
 * freed by qs_jtest_node_free, which poisons it first: a node freed while a
 * reader can still hold it shows up as a violation.
 *
 * <p>Short by default (3 s); {@code -Dquiesce.torture.seconds=N} runs longer
 * and then also checks that RSS stays flat over the second half.
 */
class MixedTortureTest {

    private static final int SECONDS = Integer.getInteger("quiesce.torture.seconds", 3);
    private static final long PENDING_LIMIT = 65_536;

    @Test
    void cAndJavaWritersAndReadersShareOneDomain() throws Exception {
        RcuDomain rcu = RcuDomain.nativeDefault();
        Stats before = rcu.stats();
        try (Arena arena = Arena.ofShared()) {
            RcuPointer ptr = RcuPointer.allocate(rcu, arena, JTest.NODE_SIZE);
            ptr.publish(JTest.nodeAlloc(0));
            MemorySegment generation = arena.allocate(ValueLayout.JAVA_LONG); // shared with the C writers
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong javaSections = new AtomicLong();
            AtomicLong javaViolations = new AtomicLong();
            AtomicLong javaReplacements = new AtomicLong();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(new Thread(() -> javaReader(rcu, ptr, stop, javaSections, javaViolations), "java-reader-" + i));
            }
            threads.add(new Thread(() -> javaWriter(rcu, ptr, generation, stop, javaReplacements), "java-writer"));
            threads.forEach(t -> t.setUncaughtExceptionHandler((th, e) -> errors.add(e)));

            MemorySegment cReaders = JTest.readersStart(rcu.nativeHandle(), ptr.slot(), 2);
            MemorySegment cWriters = JTest.writersStart(rcu.nativeHandle(), ptr.slot(), 1, generation);
            threads.forEach(Thread::start);

            long start = System.nanoTime();
            long rssHalf = -1;
            long rssMax = 0;
            while (System.nanoTime() - start < SECONDS * 1_000_000_000L) {
                Thread.sleep(100);
                long rss = JTest.rssKb();
                if (rssHalf < 0 && System.nanoTime() - start >= SECONDS * 500_000_000L) {
                    rssHalf = rss;
                }
                if (rssHalf >= 0) {
                    rssMax = Math.max(rssMax, rss);
                }
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            JTest.Counts w = JTest.writersStop(cWriters);
            JTest.Counts r = JTest.readersStop(cReaders);
            double secs = (System.nanoTime() - start) / 1e9;
            rcu.retire(ptr.exchange(MemorySegment.NULL), JTest.NODE_FREE);
            rcu.drain();
            Stats after = rcu.stats();
            System.out.printf("mixed torture, %.1f s: C sections %d, Java sections %d, C replacements %d,"
                            + " Java replacements %d, violations C %d / Java %d, C writer errors %d,"
                            + " retired freed %d (%d bytes), pending after drain %d, RSS half-time %d kB,"
                            + " max after %d kB%n",
                    secs, r.sections(), javaSections.get(), w.replacements(), javaReplacements.get(),
                    r.violations(), javaViolations.get(), w.errors(),
                    after.retiredFreed() - before.retiredFreed(),
                    after.retiredFreedBytes() - before.retiredFreedBytes(), after.retiredPending(), rssHalf, rssMax);

            assertTrue(errors.isEmpty(), () -> "Java threads threw: " + errors);
            assertEquals(0, r.violations(), "C readers saw a freed node");
            assertEquals(0, javaViolations.get(), "Java readers saw a freed node");
            assertEquals(0, w.errors(), "C writers' retires failed");
            assertTrue(r.sections() > 0 && javaSections.get() > 0, "both readers ran");
            assertTrue(w.replacements() > 0 && javaReplacements.get() > 0, "both writers ran");
            assertEquals(0, after.retiredPending(), "nothing pending after drain()");
            assertEquals(0, after.retiredPendingBytes());
            assertEquals(w.replacements() + javaReplacements.get() + 1, after.retiredFreed() - before.retiredFreed(),
                    "every replaced node (and the last one) freed exactly once");
            if (SECONDS >= 30) {
                // long mode: the second half adds no more than 64 MB
                assertTrue(rssMax - rssHalf < 64 * 1024, "RSS grew from " + rssHalf + " to " + rssMax + " kB");
            }
        }
    }

    private static void javaReader(RcuDomain rcu, RcuPointer ptr, AtomicBoolean stop, AtomicLong sections,
                                   AtomicLong violations) {
        RcuDomain.Reader reader = rcu.registerThread();
        long n = 0;
        long bad = 0;
        try {
            while (!stop.get()) {
                try (ReadSection s = reader.read()) {
                    if ((n & 1) == 0) {
                        // One target for the whole check: a view (one load of the slot).
                        MemorySegment v = ptr.view(s);
                        long g = v.get(ValueLayout.JAVA_LONG, 8);
                        if (v.get(ValueLayout.JAVA_LONG, 0) != JTest.CANARY) {
                            bad++;
                        }
                        for (int i = 0; i < 6; i++) {
                            if (v.get(ValueLayout.JAVA_LONG, 16 + 8L * i) != (g ^ (JTest.PAYLOAD_K * (i + 1)))) {
                                bad++;
                                break;
                            }
                        }
                        Thread.onSpinWait();
                        if (v.get(ValueLayout.JAVA_LONG, 0) != JTest.CANARY) {
                            bad++; // still live after the spin: not freed under the section
                        }
                    } else {
                        // The hot path loads the slot on every read, so each
                        // read may see a newer node: each must be live.
                        for (int i = 0; i < 4; i++) {
                            if (ptr.getLong(s, 0) != JTest.CANARY) {
                                bad++;
                            }
                            Thread.onSpinWait();
                        }
                    }
                }
                n++;
            }
        } finally {
            sections.addAndGet(n);
            violations.addAndGet(bad);
            reader.close();
        }
    }

    private static void javaWriter(RcuDomain rcu, RcuPointer ptr, MemorySegment generation, AtomicBoolean stop,
                                   AtomicLong replacements) {
        long n = 0;
        while (!stop.get()) {
            if ((n & 1023) == 0 && rcu.stats().retiredPending() > PENDING_LIMIT) {
                try {
                    Thread.sleep(1); // bounded memory, as the C writers do
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            long g = (long) ValueLayout.JAVA_LONG.varHandle().getAndAdd(generation, 0L, 1L) + 1;
            MemorySegment node = rcu.allocate(JTest.NODE_SIZE, 64);
            JTest.fill(node, g);
            ptr.replace(node, JTest.NODE_FREE);
            n++;
        }
        replacements.addAndGet(n);
    }
}
