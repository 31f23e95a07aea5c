package dev.quiesce.nativemem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuPointer;
import dev.quiesce.ReadSection;
import dev.quiesce.Stats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RcuPointer and RcuDomain.allocate/retire (issue 13, items 2 to 4), and
 * every misuse: the exception, then the domain still works.
 */
class RcuPointerTest {

    private RcuDomain rcu;
    private RcuPointer ptr;

    @BeforeEach
    void open() {
        rcu = RcuDomain.builder().backend(Backend.FFM).build();
        ptr = RcuPointer.allocate(rcu, Arena.ofAuto(), 64);
    }

    @AfterEach
    void close() {
        MemorySegment last = ptr.exchange(MemorySegment.NULL); // every test's targets come from rcu.allocate
        if (last.address() != 0) {
            rcu.retire(last);
        }
        rcu.drain();
        assertEquals(0, rcu.stats().retiredPending());
        rcu.close();
    }

    /** The misuse throws {@code type}; the domain and the pointer still work afterwards. */
    private <T extends Throwable> T misuse(Class<T> type, Executable e) {
        T t = assertThrows(type, e);
        MemorySegment n = rcu.allocate(64, 8);
        n.set(ValueLayout.JAVA_LONG, 0, 77);
        MemorySegment old = ptr.exchange(n);
        try (ReadSection s = rcu.read()) {
            assertEquals(77, ptr.getLong(s, 0));
        }
        rcu.synchronize();
        if (old.address() != 0) {
            rcu.retire(old);
        }
        return t;
    }

    @Test
    void javaPublishesAndReadsInsideASection() {
        MemorySegment n = rcu.allocate(64, 64);
        assertEquals(0, n.address() % 64);
        assertEquals(64, n.byteSize());
        n.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
        n.set(ValueLayout.JAVA_INT, 8, 42);
        n.set(ValueLayout.JAVA_BYTE, 12, (byte) -3);
        n.set(ValueLayout.JAVA_DOUBLE, 16, 2.5);
        n.set(ValueLayout.JAVA_LONG_UNALIGNED, 56, -1L);
        ptr.publish(n);
        try (ReadSection s = rcu.read()) {
            assertEquals(0x1122334455667788L, ptr.getLong(s, 0));
            assertEquals(42, ptr.getInt(s, 8));
            assertEquals(-3, ptr.getByte(s, 12));
            assertEquals(2.5, ptr.getDouble(s, 16));
            assertEquals(-1L, ptr.getLong(s, 56));
            assertEquals(0x7788, ptr.getShort(s, 0) & 0xffff);
            MemorySegment v = ptr.view(s);
            assertEquals(64, v.byteSize());
            assertEquals(n.address(), v.address());
            assertEquals(42, v.get(ValueLayout.JAVA_INT, 8));
        }
    }

    @Test
    void cReadsWhatJavaPublishes() {
        MemorySegment h = JTest.readersStart(rcu.nativeHandle(), ptr.slot(), 2);
        long deadline = System.nanoTime() + 300_000_000L;
        long g = 0;
        while (System.nanoTime() < deadline) {
            MemorySegment n = rcu.allocate(64, 64);
            JTest.fill(n, ++g);
            ptr.replace(n, JTest.NODE_FREE);
        }
        JTest.Counts c = JTest.readersStop(h);
        rcu.drain();
        assertEquals(0, c.violations(), "C readers saw a freed or torn node");
        assertTrue(c.sections() > 0, "C readers ran");
        assertEquals(0, rcu.stats().retiredPending());
    }

    @Test
    void replaceRetiresTheOldTargetAndDrainFreesIt() {
        Stats before = rcu.stats();
        ptr.replace(rcu.allocate(64, 8)); // NULL before: nothing retired
        ptr.replace(rcu.allocate(64, 8));
        ptr.replace(rcu.allocate(64, 8));
        rcu.drain();
        Stats after = rcu.stats();
        assertEquals(2, after.retiredFreed() - before.retiredFreed());
        assertEquals(128, after.retiredFreedBytes() - before.retiredFreedBytes());
        assertEquals(0, after.retiredPending());
        assertEquals(0, after.retiredPendingBytes());
        rcu.retire(ptr.exchange(MemorySegment.NULL));
    }

    @Test
    void aRetiredObjectIsPendingUntilTheReadersLeave() throws Exception {
        MemorySegment n = rcu.allocate(64, 8);
        JTest.fill(n, 5);
        ptr.publish(n);
        MemorySegment hold = JTest.holdSection(rcu.nativeHandle(), 300);
        ptr.replace(MemorySegment.NULL, JTest.NODE_FREE);
        Thread.sleep(100);
        Stats s = rcu.stats();
        assertEquals(1, s.retiredPending(), "freed while a C reader could hold it: " + s);
        assertEquals(64, s.retiredPendingBytes());
        assertEquals(0, JTest.nodeCheck(n), "still live");
        rcu.drain();
        assertTrue(JTest.holdDone(hold));
        assertEquals(0, rcu.stats().retiredPending());
        assertEquals(0, JTest.holdJoin(hold));
    }

    @Test
    void exchangeReturnsTheOldTargetAndNullIsAValueBothWays() {
        assertSame(MemorySegment.NULL, ptr.exchange(MemorySegment.NULL));
        MemorySegment a = rcu.allocate(64, 8);
        assertEquals(0, ptr.exchange(a).address());
        MemorySegment old = ptr.exchange(MemorySegment.NULL);
        assertEquals(a.address(), old.address());
        assertEquals(64, old.byteSize());
        try (ReadSection s = rcu.read()) {
            assertSame(MemorySegment.NULL, ptr.view(s));
        }
        ptr.publish(MemorySegment.ofAddress(a.address())); // zero length: an address from C, taken as is
        try (ReadSection s = rcu.read()) {
            assertEquals(0, ptr.getLong(s, 0));
        }
        ptr.replace(MemorySegment.NULL); // retires a
        rcu.drain();
    }

    @Test
    void aViewDiesWithItsSection() {
        MemorySegment n = rcu.allocate(64, 8);
        n.set(ValueLayout.JAVA_LONG, 8, 9);
        ptr.publish(n);
        MemorySegment v;
        MemorySegment inner;
        try (ReadSection s = rcu.read()) {
            v = ptr.view(s);
            try (ReadSection s2 = rcu.read()) {
                inner = ptr.view(s2);
                assertEquals(9, inner.get(ValueLayout.JAVA_LONG, 8));
            }
            assertThrows(IllegalStateException.class, () -> inner.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(9, v.get(ValueLayout.JAVA_LONG, 8), "the outer section's view lives on");
            AtomicReference<Throwable> other = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    v.get(ValueLayout.JAVA_LONG, 8);
                } catch (Throwable e) {
                    other.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(other.get() instanceof WrongThreadException, String.valueOf(other.get()));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        misuse(IllegalStateException.class, () -> v.get(ValueLayout.JAVA_LONG, 8));
        ptr.replace(MemorySegment.NULL);
    }

    @Test
    void readsOutsideASectionOrInAnotherDomainsSectionAreRefused() {
        ptr.publish(rcu.allocate(64, 8));
        ReadSection closed;
        try (ReadSection s = rcu.read()) {
            closed = s;
        }
        misuse(IllegalStateException.class, () -> ptr.getLong(closed, 0));
        misuse(IllegalStateException.class, () -> ptr.view(closed));
        ReadSection left = rcu.read();
        rcu.readUnlock(); // leaves the section without closing it
        misuse(IllegalStateException.class, () -> ptr.getLong(left, 0));
        misuse(IllegalStateException.class, () -> ptr.view(left));
        try (RcuDomain other = RcuDomain.builder().backend(Backend.FFM).build()) {
            try (ReadSection s = other.read()) {
                misuse(IllegalArgumentException.class, () -> ptr.getLong(s, 0));
                misuse(IllegalArgumentException.class, () -> ptr.view(s));
            }
        }
        try (ReadSection s = rcu.read()) {
            AtomicReference<Throwable> got = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    ptr.getLong(s, 0);
                } catch (Throwable e) {
                    got.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(got.get() instanceof IllegalStateException, String.valueOf(got.get()));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        ptr.replace(MemorySegment.NULL);
    }

    @Test
    void outOfBoundsAndNullTargetsAreRefused() {
        try (ReadSection s = rcu.read()) {
            misuseInSection(NullPointerException.class, () -> ptr.getLong(s, 0));
            assertSame(MemorySegment.NULL, ptr.view(s));
        }
        ptr.publish(rcu.allocate(64, 8));
        try (ReadSection s = rcu.read()) {
            assertThrows(IndexOutOfBoundsException.class, () -> ptr.getLong(s, 57));
            assertThrows(IndexOutOfBoundsException.class, () -> ptr.getInt(s, 61));
            assertThrows(IndexOutOfBoundsException.class, () -> ptr.getByte(s, 64));
            assertThrows(IndexOutOfBoundsException.class, () -> ptr.getLong(s, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> ptr.getLong(s, Long.MAX_VALUE));
            assertEquals(0, ptr.getByte(s, 63));
        }
        misuse(IndexOutOfBoundsException.class, () -> {
            try (ReadSection s = rcu.read()) {
                ptr.getLong(s, 60);
            }
        });
        ptr.replace(MemorySegment.NULL);
    }

    private static void misuseInSection(Class<? extends Throwable> type, Executable e) {
        assertThrows(type, e);
    }

    @Test
    void badTargetsAndSlotsAreRefusedAndChangeNothing() {
        MemorySegment n = rcu.allocate(64, 8);
        ptr.publish(n);
        try (Arena a = Arena.ofConfined()) {
            misuse(IllegalArgumentException.class, () -> ptr.publish(a.allocate(32)));
            misuse(IllegalArgumentException.class, () -> ptr.replace(a.allocate(63)));
            misuse(IllegalArgumentException.class, () -> ptr.exchange(MemorySegment.ofArray(new byte[64])));
            misuse(NullPointerException.class, () -> ptr.publish(null));
            misuse(IllegalArgumentException.class, () -> RcuPointer.wrap(rcu, a.allocate(4, 8), 64));
            misuse(IllegalArgumentException.class, () -> RcuPointer.wrap(rcu, a.allocate(16, 8), 64));
            misuse(IllegalArgumentException.class, () -> RcuPointer.wrap(rcu, a.allocate(16, 8).asSlice(4, 8), 64));
            misuse(IllegalArgumentException.class, () -> RcuPointer.wrap(rcu, MemorySegment.ofArray(new long[1]), 64));
            IllegalArgumentException e = misuse(IllegalArgumentException.class,
                    () -> RcuPointer.wrap(rcu, MemorySegment.ofAddress(a.allocate(8, 8).address()), 64));
            assertTrue(e.getMessage().contains("8 bytes"), e.getMessage());
            misuse(IllegalArgumentException.class, () -> RcuPointer.allocate(rcu, a, 0));
            RcuPointer w = RcuPointer.wrap(rcu, a.allocate(8, 8), 16);
            w.publish(a.allocate(16));
            try (ReadSection s = rcu.read()) {
                assertEquals(0, w.getLong(s, 8));
            }
        }
        rcu.retire(ptr.exchange(MemorySegment.NULL));
    }

    @Test
    void retiringAnAddressTwiceThrowsAndFreesOnce() throws Exception {
        MemorySegment n = rcu.allocate(64, 8);
        JTest.fill(n, 1);
        MemorySegment hold = JTest.holdSection(rcu.nativeHandle(), 1000); // keeps n pending
        rcu.retire(n, JTest.NODE_FREE);
        // Both attempts while n is surely still pending (no grace period can
        // end before the C section does): retrying after it was freed would
        // be the caller's use-after-free, which the library cannot see.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rcu.retire(n));
        assertTrue(e.getMessage().contains("already retired"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> rcu.retire(n, JTest.NODE_FREE));
        assertTrue(!JTest.holdDone(hold), "the C section ended too early for this test to mean anything");
        assertEquals(1, rcu.stats().retiredPending());
        misuse(IllegalStateException.class, () -> rcu.retire(n)); // still pending: the domain works on
        rcu.drain();
        assertEquals(0, JTest.holdJoin(hold));
        Stats s = rcu.stats();
        assertEquals(0, s.retiredPending());
        misuse(IllegalArgumentException.class, () -> rcu.retire(MemorySegment.NULL));
        misuse(IllegalArgumentException.class, () -> rcu.retire(MemorySegment.ofArray(new byte[8])));
        misuse(IllegalArgumentException.class, () -> rcu.retire(rcu.allocate(8, 8), MemorySegment.NULL));
        misuse(IllegalArgumentException.class, () -> rcu.allocate(0, 8));
        misuse(IllegalArgumentException.class, () -> rcu.allocate(8, 3));
        misuse(NullPointerException.class, () -> rcu.retire(null));
    }

    @Test
    void afterCloseEverythingThrowsIllegalState() {
        RcuDomain d = RcuDomain.builder().backend(Backend.FFM).build();
        RcuPointer p = RcuPointer.allocate(d, Arena.ofAuto(), 8);
        MemorySegment n = d.allocate(8, 8);
        p.publish(n);
        p.exchange(MemorySegment.NULL);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.allocate(8, 8));
        assertThrows(IllegalStateException.class, () -> d.retire(n));
        assertThrows(IllegalStateException.class, d::nativeHandle);
        assertThrows(IllegalStateException.class, () -> p.replace(MemorySegment.NULL));
        assertThrows(IllegalStateException.class, () -> RcuPointer.allocate(d, Arena.ofAuto(), 8));
        rcu.retire(n); // another domain may free it
        rcu.drain();
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"JNA", "PURE_JAVA"})
    void otherBackendsSayTheyNeedFfm(Backend kind) {
        try (RcuDomain d = RcuDomain.builder().backend(kind).build()) {
            String msg = "native memory under RCU needs the FFM backend on JDK 22+";
            for (Executable e : new Executable[] {
                    d::nativeHandle, () -> d.allocate(8, 8), () -> d.retire(MemorySegment.ofAddress(8)),
                    () -> d.retire(MemorySegment.ofAddress(8), MemorySegment.ofAddress(8)),
                    () -> RcuPointer.allocate(d, Arena.ofAuto(), 8)}) {
                UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, e);
                assertTrue(u.getMessage().contains(msg), u.getMessage());
            }
            d.synchronize(); // usable
        }
    }
}
