package dev.quiesce.nativemem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.ErrorCode;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import dev.quiesce.bindings.Quiesce;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One domain across languages (issue 13, item 1): Java and C sections hold
 * back each other's grace periods, on the process default domain, on a
 * domain created in C and attached, and on a Java-created domain handed to C.
 */
class CrossLanguageTest {

    /** A domain and what closes it (and frees it, when the test created it in C). */
    record Shared(RcuDomain domain, Runnable dispose) {
    }

    static Stream<Arguments> domains() {
        Supplier<Shared> def = () -> new Shared(RcuDomain.nativeDefault(), () -> { });
        Supplier<Shared> attached = () -> {
            MemorySegment raw = newCDomain();
            RcuDomain d = RcuDomain.attach(raw);
            return new Shared(d, () -> {
                d.close();
                ErrorCode.check(Quiesce.qs_domain_free(raw), "qs_domain_free");
            });
        };
        Supplier<Shared> owned = () -> {
            RcuDomain d = RcuDomain.create();
            return new Shared(d, d::close);
        };
        return Stream.of(Arguments.of("nativeDefault", def), Arguments.of("attach", attached),
                Arguments.of("java-owned", owned));
    }

    static MemorySegment newCDomain() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(Quiesce.C_POINTER);
            ErrorCode.check(Quiesce.qs_domain_new(MemorySegment.NULL, out), "qs_domain_new");
            return out.get(Quiesce.C_POINTER, 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("domains")
    void javaReaderHoldsBackAGracePeriodStartedByC(String name, Supplier<Shared> make) throws Exception {
        Shared sh = make.get();
        RcuDomain d = sh.domain();
        try {
            MemorySegment sync;
            try (ReadSection s = d.read()) {
                sync = JTest.synchronizeAsync(d.nativeHandle());
                Thread.sleep(200);
                assertFalse(JTest.syncDone(sync), "C's qs_synchronize returned while a Java section was open");
            }
            assertEquals(0, JTest.syncJoin(sync));
        } finally {
            sh.dispose().run();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("domains")
    void cReaderHoldsBackAGracePeriodStartedByJava(String name, Supplier<Shared> make) {
        Shared sh = make.get();
        RcuDomain d = sh.domain();
        try {
            MemorySegment hold = JTest.holdSection(d.nativeHandle(), 300);
            long t0 = System.nanoTime();
            d.synchronize();
            long waited = System.nanoTime() - t0;
            assertTrue(JTest.holdDone(hold), "Java's synchronize() returned while the C section was open");
            assertTrue(waited > TimeUnit.MILLISECONDS.toNanos(100), "waited only " + waited + " ns");
            assertEquals(0, JTest.holdJoin(hold));
        } finally {
            sh.dispose().run();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("domains")
    void aJavaCallbackWaitsForACSection(String name, Supplier<Shared> make) throws Exception {
        Shared sh = make.get();
        RcuDomain d = sh.domain();
        try {
            MemorySegment hold = JTest.holdSection(d.nativeHandle(), 200);
            CountDownLatch ran = new CountDownLatch(1);
            boolean[] heldWhenRun = new boolean[1];
            d.callRcu(() -> {
                heldWhenRun[0] = !JTest.holdDone(hold);
                ran.countDown();
            });
            d.drain();
            assertTrue(ran.await(0, TimeUnit.SECONDS));
            assertFalse(heldWhenRun[0], "the callback ran while the C section was still open");
            assertEquals(0, JTest.holdJoin(hold));
        } finally {
            sh.dispose().run();
        }
    }

    @Test
    void nativeDefaultIsQsDomainDefaultAndOneObjectUntilClosed() {
        RcuDomain a = RcuDomain.nativeDefault();
        assertSame(a, RcuDomain.nativeDefault());
        assertEquals(Quiesce.qs_domain_default().address(), a.nativeHandle().address());
        a.close(); // detaches only
        assertTrue(a.isClosed());
        assertThrows(IllegalStateException.class, a::nativeHandle);
        RcuDomain b = RcuDomain.nativeDefault();
        assertNotSame(a, b);
        // the native domain lives on: grace periods and callbacks still work
        b.synchronize();
        CountDownLatch ran = new CountDownLatch(1);
        b.callRcu(ran::countDown); // the batch function installed by the first attach is reused
        b.drain();
        assertEquals(0, ran.getCount());
    }

    @Test
    void aNativeDomainIsOpenInOneRcuDomainAtATime() {
        RcuDomain def = RcuDomain.nativeDefault();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RcuDomain.attach(Quiesce.qs_domain_default()));
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
        try (RcuDomain owned = RcuDomain.create()) {
            assertThrows(IllegalStateException.class, () -> RcuDomain.attach(owned.nativeHandle()));
            owned.synchronize(); // usable
        }
        def.synchronize();
        assertThrows(IllegalArgumentException.class, () -> RcuDomain.attach(MemorySegment.NULL));
        assertThrows(NullPointerException.class, () -> RcuDomain.attach(null));
    }

    @Test
    void closingAnAttachedDomainNeverFreesTheNativeOne() {
        MemorySegment raw = newCDomain();
        try {
            RcuDomain d = RcuDomain.attach(raw);
            CountDownLatch ran = new CountDownLatch(1);
            try (ReadSection s = d.read()) {
                d.callRcu(ran::countDown);
            }
            d.close(); // waits for its callbacks
            assertEquals(0, ran.getCount(), "close() of an attached domain ran its callbacks");
            // C can still use it, and Java can attach again
            ErrorCode.check(Quiesce.qs_synchronize(raw), "qs_synchronize");
            try (RcuDomain again = RcuDomain.attach(raw)) {
                CountDownLatch ran2 = new CountDownLatch(1);
                again.callRcu(ran2::countDown);
                again.drain();
                assertEquals(0, ran2.getCount());
            }
        } finally {
            ErrorCode.check(Quiesce.qs_domain_free(raw), "qs_domain_free");
        }
    }
}
