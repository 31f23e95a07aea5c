package dev.quiesce.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiesce.Backend;
import dev.quiesce.GpState;
import dev.quiesce.Policy;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import dev.quiesce.Registration;
import dev.quiesce.Stats;
import dev.quiesce.StallReport;
import dev.quiesce.internal.Backends;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every backend meets, TCK style: one concrete subclass per
 * backend ({@link FfmContractTest}, {@link JnaContractTest},
 * {@link PureJavaContractTest}); a subclass whose backend cannot run in this
 * JVM is skipped. Nothing here knows which backend it runs on.
 *
 * <p>Timing: poll periods are 1 ms; "bounded waits" that must <em>not</em>
 * see something (a LEGACY reader not kicked, a callback not run while a
 * reader blocks) wait 150-300 ms. The torture test runs 1 s by default,
 * {@code -Dquiesce.torture.seconds=N} for longer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class RcuContract {

    /** The backend under test. */
    protected abstract Backend backend();

    private final List<RcuDomain> domains = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @BeforeEach
    void requireBackend() {
        Assumptions.assumeTrue(Backends.isAvailable(backend()),
                () -> "backend " + backend().id() + " is not available in this JVM");
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        for (Thread t : threads) {
            t.interrupt();
            t.join(10_000);
        }
        for (RcuDomain d : domains) {
            try {
                d.close();
            } catch (IllegalStateException e) {
                // A test left a reader busy on purpose and already failed.
            }
        }
    }

    /* ------------------------------------------------------------ helpers */

    RcuDomain.Builder builder(Policy policy) {
        return RcuDomain.builder().backend(backend()).policy(policy).pollPeriod(Duration.ofMillis(1));
    }

    RcuDomain open(RcuDomain.Builder b) {
        RcuDomain d = b.build();
        domains.add(d);
        return d;
    }

    RcuDomain open() {
        return open(builder(Policy.FQS));
    }

    Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return t;
    }

    static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(20, TimeUnit.SECONDS), "timed out waiting");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static void awaitTrue(Supplier<Boolean> condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * A thread that enters a read section and stays in it until released (or
     * until its force notifier fires, if {@code leaveOnForce}).
     */
    final class BusyReader {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch left = new CountDownLatch(1);
        final AtomicInteger kicks = new AtomicInteger();
        final Thread thread;

        BusyReader(RcuDomain d, boolean leaveOnForce) {
            thread = start("busy-reader", () -> {
                Registration n = d.onForce(kicks::incrementAndGet);
                try (ReadSection s = d.read()) {
                    inside.countDown();
                    while (release.getCount() > 0 && !(leaveOnForce && kicks.get() > 0)) {
                        Thread.onSpinWait();
                    }
                } finally {
                    left.countDown();
                }
                n.close();
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // test over
                }
            });
            await(inside);
        }

        void leave() {
            release.countDown();
            await(left);
        }
    }

    /* ------------------------------------------------------------ API */

    @Test
    void backendAndConfigurationAreVisible() {
        RcuDomain d = open(builder(Policy.LEGACY).pollLimit(7).callbackThreshold(9)
                .pollPeriod(Duration.ofMillis(3)));
        assertEquals(backend(), d.backend());
        assertTrue(d.backendDescription().startsWith(backend().id()), d.backendDescription());
        assertEquals(Policy.LEGACY, d.policy());
        assertEquals(7, d.pollLimit());
        assertEquals(9, d.callbackThreshold());
        assertEquals(Duration.ofMillis(3), d.pollPeriod());
        assertFalse(d.isClosed());
        assertTrue(d.toString().contains(backend().id()));
    }

    @Test
    void readSectionsNest() {
        RcuDomain d = open();
        assertFalse(d.inReadSection());
        try (ReadSection outer = d.read()) {
            assertEquals(1, outer.depth());
            assertTrue(d.inReadSection());
            try (ReadSection inner = d.read()) {
                assertEquals(2, inner.depth());
                assertTrue(inner.isOpen());
                d.readLock();
                d.readUnlock();
            }
            assertTrue(d.inReadSection());
        }
        assertFalse(d.inReadSection());
        assertTrue(d.isThreadRegistered());
    }

    @Test
    void explicitRegistrationAndUnregistration() {
        RcuDomain d = open();
        assertFalse(d.isThreadRegistered());
        Registration r = d.registerThread();
        assertTrue(d.isThreadRegistered());
        try (ReadSection s = d.read()) {
            assertSame(d, s.domain());
        }
        r.close();
        assertFalse(d.isThreadRegistered());
        r.close(); // idempotent
        try (ReadSection s = d.read()) { // registers again
            assertTrue(d.isThreadRegistered());
        }
    }

    @Test
    void referenceGetPublishReplace() {
        RcuDomain d = open();
        RcuReference<String> ref = new RcuReference<>(d, "one");
        try (ReadSection s = d.read()) {
            assertEquals("one", ref.get());
            assertEquals("one", ref.get(s));
        }
        ref.publish("two");
        assertEquals("two", ref.peek());
        List<String> reclaimed = Collections.synchronizedList(new ArrayList<>());
        assertEquals("two", ref.replace("three", reclaimed::add));
        d.drain();
        assertEquals(List.of("two"), reclaimed);
        assertEquals("three", ref.replaceAndSynchronize("four"));
        ref.set(null);
        assertNull(ref.replace("five", reclaimed::add)); // null old value: nothing queued
        d.drain();
        assertEquals(List.of("two"), reclaimed);
    }

    @Test
    void synchronizeWaitsForPreexistingReaders() throws Exception {
        RcuDomain d = open();
        BusyReader reader = new BusyReader(d, false);
        CountDownLatch synced = new CountDownLatch(1);
        start("synchronizer", () -> {
            d.synchronize();
            synced.countDown();
        });
        assertFalse(synced.await(200, TimeUnit.MILLISECONDS), "synchronize returned while a reader was inside");
        reader.leave();
        await(synced);
        assertTrue(d.stats().syncs() >= 1);
    }

    @Test
    void trySynchronizeTimesOutWhileAReaderBlocks() throws Exception {
        RcuDomain d = open(builder(Policy.FQS));
        BusyReader reader = new BusyReader(d, false);
        assertFalse(d.trySynchronize(100, TimeUnit.MILLISECONDS));
        reader.leave();
        assertTrue(d.trySynchronize(20, TimeUnit.SECONDS));
    }

    @Test
    void callbacksWaitForReaders() throws Exception {
        RcuDomain d = open();
        BusyReader reader = new BusyReader(d, false);
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(ran::countDown);
        assertFalse(ran.await(200, TimeUnit.MILLISECONDS), "a callback ran while a reader was inside");
        reader.leave();
        await(ran);
    }

    @Test
    void callbacksRunExactlyOnceInFifoOrder() {
        RcuDomain d = open();
        int n = 2_000;
        ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            d.callRcu(() -> order.add(id));
        }
        d.drain();
        List<Integer> seen = new ArrayList<>(order);
        assertEquals(n, seen.size());
        for (int i = 0; i < n; i++) {
            assertEquals(i, seen.get(i));
        }
        Stats s = d.stats();
        assertTrue(s.callbacksRun() >= n + 1, s.toString()); // + the drain marker
        assertEquals(s.callbacksQueued(), s.callbacksRun());
    }

    @Test
    void callbacksFromManyThreadsRunOncePerProducerInOrder() throws Exception {
        RcuDomain d = open();
        int producers = 4;
        int each = 500;
        ConcurrentLinkedQueue<long[]> runs = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(producers);
        for (int p = 0; p < producers; p++) {
            int producer = p;
            start("producer-" + p, () -> {
                for (int i = 0; i < each; i++) {
                    long[] id = {producer, i};
                    d.callRcu(() -> runs.add(id));
                }
                done.countDown();
            });
        }
        await(done);
        d.drain();
        assertEquals(producers * each, runs.size());
        int[] next = new int[producers];
        for (long[] id : runs) {
            assertEquals(next[(int) id[0]], id[1], "producer " + id[0] + " out of order");
            next[(int) id[0]]++;
        }
    }

    @Test
    void drainWaitsForEveryEarlierCallback() {
        RcuDomain d = open();
        AtomicInteger count = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            d.callRcu(count::incrementAndGet);
        }
        d.drain();
        assertEquals(100, count.get());
        assertTrue(d.stats().drains() >= 1);
    }

    @Test
    void forceKicksABusyReaderThroughItsNotifier() {
        RcuDomain d = open(builder(Policy.FQS).pollLimit(1_000_000).callbackThreshold(1_000_000));
        BusyReader reader = new BusyReader(d, true);
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(ran::countDown);
        d.force();
        await(ran);
        assertTrue(reader.kicks.get() >= 1);
        Stats s = d.stats();
        assertTrue(s.gpsFqs() >= 1, s.toString());
        assertTrue(s.fqsEntries(Stats.FqsCause.FORCE) >= 1, s.toString());
        assertTrue(s.notifierCalls() >= 1, s.toString());
        assertTrue(s.forces() >= 1);
        reader.leave();
    }

    @Test
    void fqsKicksABusyReaderAfterThePollLimit() {
        RcuDomain d = open(builder(Policy.FQS).pollLimit(3).callbackThreshold(1_000_000));
        BusyReader reader = new BusyReader(d, true);
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(ran::countDown);
        await(ran);
        assertTrue(reader.kicks.get() >= 1);
        Stats s = d.stats();
        assertTrue(s.fqsEntries(Stats.FqsCause.POLL_LIMIT) >= 1, s.toString());
        assertTrue(s.polls() >= 3, s.toString());
        reader.leave();
    }

    @Test
    void fqsNormalStateCostsReadersNothing() throws Exception {
        RcuDomain d = open(builder(Policy.FQS).pollLimit(1_000_000).callbackThreshold(1_000_000));
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch readerDone = new CountDownLatch(1);
        start("short-reader", () -> {
            while (!stop.get()) {
                try (ReadSection s = d.read()) {
                    Thread.onSpinWait();
                }
            }
            readerDone.countDown();
        });
        for (int i = 0; i < 20; i++) {
            CountDownLatch ran = new CountDownLatch(1);
            d.callRcu(ran::countDown);
            await(ran);
        }
        stop.set(true);
        await(readerDone);
        Stats s = d.stats();
        assertTrue(s.gps() >= 1, s.toString());
        assertEquals(0, s.gpsFqs(), s.toString());
        assertEquals(0, s.slowUnlocks(), s.toString());
    }

    @Test
    void legacyDoesNotKickABusyReaderUntilADrain() throws Exception {
        RcuDomain d = open(builder(Policy.LEGACY).pollLimit(2).callbackThreshold(2));
        BusyReader reader = new BusyReader(d, true);
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(ran::countDown);
        d.force(); // no effect under LEGACY
        assertFalse(ran.await(300, TimeUnit.MILLISECONDS), "LEGACY reclaimed under a busy reader");
        assertEquals(0, reader.kicks.get(), "LEGACY kicked a reader without a drain");
        CountDownLatch drained = new CountDownLatch(1);
        start("drainer", () -> {
            d.drain();
            drained.countDown();
        });
        await(drained);
        await(ran);
        assertTrue(reader.kicks.get() >= 1, "the drain did not kick the reader");
        Stats s = d.stats();
        assertEquals(0, s.gpsFqs(), s.toString());
        assertTrue(s.slowUnlocks() >= 1, "LEGACY puts the reader on its slow path: " + s);
        reader.leave();
    }

    @Test
    void policiesCanBeSwitchedPerDomain() {
        RcuDomain fqs = open(builder(Policy.FQS));
        RcuDomain legacy = open(builder(Policy.LEGACY));
        assertEquals(Policy.FQS, fqs.policy());
        assertEquals(Policy.LEGACY, legacy.policy());
        for (RcuDomain d : List.of(fqs, legacy)) {
            AtomicInteger n = new AtomicInteger();
            d.callRcu(n::incrementAndGet);
            d.synchronize();
            d.drain();
            assertEquals(1, n.get());
        }
        fqs.force();
        assertEquals(1, fqs.stats().forces());
    }

    @Test
    void statsCountWhatHappened() {
        RcuDomain d = open();
        /* A registered reader (idle) gives every GP readers to scan: the C
         * runtime keeps GPs with none out of the latency histogram (obs15c,
         * qs_stats.gps_no_readers). */
        d.registerThread();
        Stats before = d.stats();
        assertEquals(0, before.gps());
        assertEquals(0, before.gpLatencyPercentileNanos(99));
        d.synchronize();
        d.synchronize();
        d.callRcu(() -> { });
        d.drain();
        d.force();
        Stats s = d.stats();
        assertEquals(2, s.syncs());
        assertEquals(1, s.drains());
        assertEquals(1, s.forces());
        assertTrue(s.gps() >= 2, s.toString());
        assertEquals(2, s.callbacksQueued()); // the callback and the drain marker
        assertEquals(2, s.callbacksRun());
        long p50 = s.gpLatencyPercentileNanos(50);
        long p100 = s.gpLatencyPercentileNanos(100);
        assertTrue(p50 <= p100 && p100 > 0, s.toString());
        assertTrue(s.gpLatencyMaxNanos() <= p100, s.toString());
        assertEquals(s.gps(), sum(s.gpLatencyHistogram()), s.toString());
        assertEquals(0, s.callbackExceptions());
        assertEquals(d.stats(), d.stats());
    }

    private static long sum(long[] a) {
        long t = 0;
        for (long x : a) {
            t += x;
        }
        return t;
    }

    @Test
    void closingRunsPendingCallbacks() {
        RcuDomain d = builder(Policy.LEGACY).pollPeriod(Duration.ofMillis(20)).build();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 50; i++) {
            d.callRcu(ran::incrementAndGet);
        }
        d.close();
        assertEquals(50, ran.get());
        assertTrue(d.isClosed());
        d.close(); // idempotent
    }

    @Test
    void closingUnregistersIdleThreads() throws Exception {
        RcuDomain d = open();
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Throwable> afterClose = new AtomicReference<>();
        start("idle-reader", () -> {
            try (ReadSection s = d.read()) {
                Thread.onSpinWait();
            }
            registered.countDown();
            await(closed);
            try {
                d.read();
            } catch (Throwable t) {
                afterClose.set(t);
            }
        });
        await(registered);
        d.close();
        closed.countDown();
        awaitTrue(() -> afterClose.get() != null, "the idle thread's read() after close");
        assertTrue(afterClose.get() instanceof IllegalStateException, String.valueOf(afterClose.get()));
    }

    @Test
    void deadThreadsAreReapedEvenInsideASection() throws Exception {
        RcuDomain d = open();
        Thread t = start("dies-inside", d::readLock); // never unlocks
        t.join();
        d.synchronize(); // would wait forever for the dead reader if it were not reaped
        Thread clean = start("dies-registered", () -> d.registerThread());
        clean.join();
        d.close();
    }

    /* ------------------------------------------------------------ upcall exceptions */

    @Test
    void throwingCallbacksAreReportedAndTheOthersStillRun() {
        List<Throwable> reported = Collections.synchronizedList(new ArrayList<>());
        List<Runnable> tasks = Collections.synchronizedList(new ArrayList<>());
        RcuDomain d = open(builder(Policy.FQS).callbackExceptionHandler((task, e) -> {
            tasks.add(task);
            reported.add(e);
        }));
        AtomicInteger ran = new AtomicInteger();
        Runnable bad = () -> {
            throw new IllegalArgumentException("boom");
        };
        d.callRcu(ran::incrementAndGet);
        d.callRcu(bad);
        d.callRcu(() -> {
            throw new StackOverflowError("deep");
        });
        d.callRcu(ran::incrementAndGet);
        d.drain();
        assertEquals(2, ran.get());
        assertEquals(2, reported.size());
        assertTrue(reported.get(0) instanceof IllegalArgumentException);
        assertSame(bad, tasks.get(0));
        assertTrue(reported.get(1) instanceof StackOverflowError);
        assertEquals(2, d.stats().callbackExceptions());
        // The handler itself may throw: counted, printed, nothing else breaks.
        d.setCallbackExceptionHandler((task, e) -> {
            throw new IllegalStateException("handler broke");
        });
        d.callRcu(bad);
        d.callRcu(ran::incrementAndGet);
        d.drain();
        assertEquals(3, ran.get());
        assertEquals(3, d.stats().callbackExceptions());
    }

    @Test
    void throwingNotifiersAreReported() {
        AtomicInteger reported = new AtomicInteger();
        RcuDomain d = open(builder(Policy.FQS).pollLimit(1_000_000)
                .callbackExceptionHandler((task, e) -> reported.incrementAndGet()));
        CountDownLatch inside = new CountDownLatch(1);
        AtomicBoolean kicked = new AtomicBoolean();
        start("reader", () -> {
            d.onForce(() -> {
                throw new IllegalStateException("notifier boom");
            });
            d.onForce(() -> kicked.set(true));
            try (ReadSection s = d.read()) {
                inside.countDown();
                while (!kicked.get()) {
                    Thread.onSpinWait();
                }
            }
        });
        await(inside);
        d.synchronize(); // expedited: kicks at once
        assertTrue(kicked.get());
        assertTrue(reported.get() >= 1);
        assertTrue(d.stats().notifierExceptions() >= 1);
    }

    @Test
    void notifiersCanBeRemoved() {
        RcuDomain d = open(builder(Policy.FQS).pollLimit(1_000_000));
        AtomicInteger removedCalls = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        AtomicBoolean kicked = new AtomicBoolean();
        start("reader", () -> {
            Registration removed = d.onForce(removedCalls::incrementAndGet);
            removed.close();
            removed.close();
            d.onForce(() -> kicked.set(true));
            try (ReadSection s = d.read()) {
                inside.countDown();
                while (!kicked.get()) {
                    Thread.onSpinWait();
                }
            }
        });
        await(inside);
        d.synchronize();
        assertEquals(0, removedCalls.get());
    }

    /* ------------------------------------------------- polled grace periods */

    @Test
    void gpStateIsDoneOnlyAfterAFullGracePeriod() {
        RcuDomain d = open();
        GpState c = d.gpState();
        assertEquals(c, d.gpState(), "no GP ran between two snapshots");
        assertFalse(d.pollState(c), "no grace period has run since the snapshot");
        d.synchronize();
        assertTrue(d.pollState(c));
        GpState later = d.gpState();
        assertTrue(c.isAtOrBefore(later));
        assertFalse(later.isAtOrBefore(c));
        assertFalse(d.pollState(later));
        assertThrows(NullPointerException.class, () -> d.pollState(null));
    }

    @Test
    void startPollRunsAGracePeriodWithNoCallbackQueued() {
        RcuDomain d = open();
        long queued = d.stats().callbacksQueued();
        GpState c = d.startPoll();
        awaitTrue(() -> d.pollState(c), "the polled grace period");
        assertEquals(queued, d.stats().callbacksQueued(), "startPoll queues no callback");
        assertTrue(d.stats().gps() >= 1);
    }

    @Test
    void startPollWaitsForPreexistingReaders() throws Exception {
        for (Policy policy : Policy.values()) {
            RcuDomain d = open(builder(policy));
            BusyReader reader = new BusyReader(d, false);
            GpState c = d.startPoll();
            Thread.sleep(150);
            assertFalse(d.pollState(c), policy + ": done while a reader that was inside still is");
            reader.leave();
            awaitTrue(() -> d.pollState(c), policy + ": the polled grace period");
        }
    }

    @Test
    void condSynchronizeWaitsOnlyWhenNeeded() {
        RcuDomain d = open();
        GpState c = d.gpState();
        d.condSynchronize(c);
        assertTrue(d.pollState(c));
        long gps = d.stats().gps();
        d.condSynchronize(c);
        assertEquals(gps, d.stats().gps(), "a done cookie needs no grace period");
        try (ReadSection s = d.read()) {
            assertThrows(IllegalStateException.class, () -> d.condSynchronize(d.gpState()));
        }
    }

    @Test
    void gracePeriodCompletesAfterPreexistingReaders() throws Exception {
        RcuDomain d = open();
        BusyReader reader = new BusyReader(d, false);
        CompletableFuture<Void> gp = d.gracePeriod().toCompletableFuture();
        Thread.sleep(150);
        assertFalse(gp.isDone(), "completed while a reader that was inside still is");
        reader.leave();
        gp.get(20, TimeUnit.SECONDS);
        CompletionStage<Void> after = d.gracePeriod();
        after.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Test
    void tenThousandGracePeriodWaitersShareAFewGracePeriods() throws Exception {
        RcuDomain d = open();
        d.synchronize();
        Stats before = d.stats();
        BusyReader reader = new BusyReader(d, false);
        int threads = 4;
        int perThread = 2_500;
        List<CompletableFuture<Void>> all = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch made = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            start("waiter-" + t, () -> {
                for (int i = 0; i < perThread; i++) {
                    all.add(d.gracePeriod().toCompletableFuture());
                }
                made.countDown();
            });
        }
        await(made);
        assertEquals(threads * perThread, all.size());
        assertTrue(all.stream().noneMatch(CompletableFuture::isDone), "completed while the reader blocks");
        reader.leave();
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);
        Stats after = d.stats();
        long gps = after.gps() - before.gps();
        long callbacks = after.callbacksQueued() - before.callbacksQueued();
        assertTrue(gps <= 10, "10,000 waiters took " + gps + " grace periods");
        assertTrue(callbacks <= 10, "10,000 waiters took " + callbacks + " callbacks");
    }

    /* ------------------------------------------------------ stall warnings */

    /** Parks the calling thread inside its sections until {@code release}: the frame stall reports must show. */
    static void parkInsideSection(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aParkedReaderIsReportedOnceAndAgainAtThreeTimesTheTimeout() throws Exception {
        ConcurrentLinkedQueue<StallReport> reports = new ConcurrentLinkedQueue<>();
        RcuDomain d = open(builder(Policy.FQS).stallTimeout(Duration.ofMillis(50)).onStall(reports::add));
        assertEquals(Duration.ofMillis(50), d.stallTimeout());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger kicks = new AtomicInteger();
        Thread reader = start("stalled-reader", () -> {
            Registration n = d.onForce(kicks::incrementAndGet);
            try (ReadSection outer = d.read(); ReadSection inner = d.read()) {
                inside.countDown();
                parkInsideSection(release);
            }
            n.close();
        });
        await(inside);
        long t0 = System.nanoTime();
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(ran::countDown);
        awaitTrue(() -> reports.size() >= 2, "two stall reports");
        long seen = System.nanoTime() - t0;
        Thread.sleep(300);
        assertEquals(2, reports.size(), "a stall is reported twice, no more: " + reports);
        assertEquals(1, ran.getCount(), "the GP is still held");

        StallReport[] r = reports.toArray(new StallReport[0]);
        assertFalse(r[0].isRepeat());
        assertTrue(r[1].isRepeat());
        assertEquals(r[0].gpNumber(), r[1].gpNumber(), "the same grace period");
        assertTrue(r[0].waited().compareTo(Duration.ofMillis(50)) >= 0, "first at the timeout: " + r[0].waited());
        assertTrue(r[1].waited().compareTo(Duration.ofMillis(150)) >= 0, "repeat at 3x: " + r[1].waited());
        assertTrue(seen >= TimeUnit.MILLISECONDS.toNanos(150), "the repeat came early: " + seen + " ns");
        for (StallReport x : r) {
            assertEquals(Policy.FQS, x.policy());
            assertEquals(Stats.FqsCause.POLL_LIMIT, x.fqsCause(), x.toString());
            assertEquals(1, x.readers().size(), x.toString());
            StallReport.Reader who = x.readers().get(0);
            assertEquals("stalled-reader", who.threadName());
            @SuppressWarnings("deprecation")
            long id = reader.getId();
            assertEquals(id, who.threadId());
            assertTrue(who.isJavaThread());
            assertEquals(2, who.depth());
            assertTrue(who.kicked(), "the FQS entry ran its notifier");
            assertTrue(who.inSection().compareTo(Duration.ofMillis(50)) >= 0, "in section " + who.inSection());
            assertTrue(Arrays.stream(who.stack()).anyMatch(e -> e.getMethodName().equals("parkInsideSection")),
                    () -> "stack without the parked frame: " + Arrays.toString(who.stack()));
            String text = x.toString();
            assertTrue(text.contains("grace period " + Long.toUnsignedString(x.gpNumber())), text);
            assertTrue(text.contains("\"stalled-reader\""), text);
            assertTrue(text.contains("depth 2"), text);
            assertTrue(text.contains("parkInsideSection"), text);
            assertTrue(text.contains(x.isRepeat() ? "report 2 of 2" : "report 1 of 2"), text);
            assertEquals(Duration.ofMillis(50), x.stallTimeout());
            assertEquals(1, x.totalReaders());
        }
        assertTrue(kicks.get() > 0);
        release.countDown();
        await(ran);
        Thread.sleep(100);
        assertEquals(2, reports.size(), "no report after the stall ended");
        assertEquals(2, d.stats().stalls(), "Stats counts the reports");
    }

    @Test
    void gracePeriodsWithoutReadersAreCountedApartFromTheLatencyFields() {
        RcuDomain d = open();
        Stats before = d.stats();
        d.synchronize(); // nobody registered: nothing to wait for
        d.synchronize();
        Stats after = d.stats();
        assertEquals(2, after.gpsNoReaders() - before.gpsNoReaders(), after.toString());
        assertEquals(2, after.gps() - before.gps(), after.toString());
        assertEquals(0, after.gpLatencySumNanos(), "no-reader GPs stay out of the latency fields: " + after);
        assertEquals(0, after.stalls());
    }

    @Test
    void theDefaultStallConsumerLogsAWarning() throws Exception {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("dev.quiesce");
        ConcurrentLinkedQueue<java.util.logging.LogRecord> records = new ConcurrentLinkedQueue<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            RcuDomain d = open(builder(Policy.FQS).stallTimeout(Duration.ofMillis(50)));
            BusyReader reader = new BusyReader(d, false);
            d.callRcu(() -> { });
            awaitTrue(() -> !records.isEmpty(), "a logged stall warning");
            reader.leave();
            java.util.logging.LogRecord r = records.peek();
            assertEquals(java.util.logging.Level.WARNING, r.getLevel());
            assertTrue(r.getMessage().contains("stalled for"), r.getMessage());
            assertTrue(r.getMessage().contains("\"busy-reader\""), r.getMessage());
        } finally {
            jul.removeHandler(h);
        }
    }

    @Test
    void noStallReportInANormalRun() throws Exception {
        ConcurrentLinkedQueue<StallReport> reports = new ConcurrentLinkedQueue<>();
        // The default timeout (1 s): quick sections on a loaded machine may be
        // preempted for tens of ms, never for a second.
        RcuDomain d = open(builder(Policy.FQS).stallTimeout(Duration.ofSeconds(1)).onStall(reports::add));
        AtomicBoolean stop = new AtomicBoolean();
        Thread t = start("quick-reader", () -> {
            while (!stop.get()) {
                try (ReadSection s = d.read()) {
                    Thread.onSpinWait();
                }
            }
        });
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < end) {
            d.synchronize();
            d.callRcu(() -> { });
            d.gracePeriod().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        d.drain();
        stop.set(true);
        t.join(10_000);
        assertTrue(reports.isEmpty(), "stall reports in a normal run: " + reports);
    }

    @Test
    void aZeroStallTimeoutReportsNothing() throws Exception {
        ConcurrentLinkedQueue<StallReport> reports = new ConcurrentLinkedQueue<>();
        RcuDomain d = open(builder(Policy.FQS).stallTimeout(Duration.ZERO).onStall(reports::add));
        assertEquals(Duration.ZERO, d.stallTimeout());
        BusyReader reader = new BusyReader(d, false);
        d.callRcu(() -> { });
        Thread.sleep(300);
        reader.leave();
        d.drain();
        assertTrue(reports.isEmpty(), "reports with stall warnings off: " + reports);
    }

    @Test
    void stallTimeoutIsValidated() {
        assertEquals(Duration.ofSeconds(1), open().stallTimeout(), "default 1 s");
        RcuDomain.Builder b = builder(Policy.FQS);
        assertThrows(IllegalArgumentException.class, () -> b.stallTimeout(Duration.ofMillis(-1)));
        assertThrows(NullPointerException.class, () -> b.stallTimeout(null));
        assertThrows(NullPointerException.class, () -> b.onStall(null));
        assertEquals(Duration.ofMillis(1), open(b.stallTimeout(Duration.ofNanos(500_000))).stallTimeout(),
                "a fraction of a millisecond rounds up");
    }

    /* ------------------------------------------------------------ misuse */

    @Test
    void misuseSectionClosedTwice() {
        RcuDomain d = open();
        ReadSection s = d.read();
        s.close();
        assertThrows(IllegalStateException.class, s::close);
        stillUsable(d);
    }

    @Test
    void misuseUnlockWithoutLock() {
        RcuDomain d = open();
        assertThrows(IllegalStateException.class, d::readUnlock);
        d.read().close();
        assertThrows(IllegalStateException.class, d::readUnlock);
        stillUsable(d);
    }

    @Test
    void misuseSectionsClosedOutOfOrder() {
        RcuDomain d = open();
        ReadSection outer = d.read();
        ReadSection inner = d.read();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
        assertTrue(outer.isOpen());
        inner.close();
        outer.close();
        assertFalse(d.inReadSection());
        stillUsable(d);
    }

    @Test
    void misuseSectionClosedByAnotherThread() throws Exception {
        RcuDomain d = open();
        ReadSection s = d.read();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("other", () -> {
            try {
                s.close();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException);
        s.close();
        stillUsable(d);
    }

    @Test
    void misuseWaitingInsideASection() {
        RcuDomain d = open();
        try (ReadSection s = d.read()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, d::synchronize);
            assertTrue(e.getMessage().contains("deadlock"), e.getMessage());
            assertThrows(IllegalStateException.class, d::drain);
            assertThrows(IllegalStateException.class, () -> d.trySynchronize(1, TimeUnit.SECONDS));
            RcuReference<String> ref = new RcuReference<>(d, "x");
            assertThrows(IllegalStateException.class, () -> ref.replaceAndSynchronize("y"));
            assertThrows(IllegalStateException.class, d::unregisterThread);
            assertThrows(IllegalStateException.class, d::close);
        }
        stillUsable(d);
    }

    @Test
    void misuseNullArguments() {
        RcuDomain d = open();
        assertThrows(NullPointerException.class, () -> d.callRcu(null));
        assertThrows(NullPointerException.class, () -> d.onForce(null));
        assertThrows(NullPointerException.class, () -> d.setCallbackExceptionHandler(null));
        assertThrows(NullPointerException.class, () -> new RcuReference<>(null));
        RcuReference<String> ref = new RcuReference<>(d, "x");
        assertThrows(NullPointerException.class, () -> ref.replace("y", null));
        stillUsable(d);
    }

    @Test
    void misuseInvalidConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> RcuDomain.builder().pollLimit(0));
        assertThrows(IllegalArgumentException.class, () -> RcuDomain.builder().callbackThreshold(-1));
        assertThrows(IllegalArgumentException.class, () -> RcuDomain.builder().pollPeriod(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> RcuDomain.builder().policy(null));
    }

    @Test
    void misuseReferenceOutsideASection() {
        RcuDomain d = open();
        RcuDomain other = open();
        RcuReference<String> ref = new RcuReference<>(d, "x");
        assertThrows(IllegalStateException.class, ref::get);
        ReadSection s = d.read();
        s.close();
        assertThrows(IllegalStateException.class, () -> ref.get(s));
        try (ReadSection wrong = other.read()) {
            assertThrows(IllegalStateException.class, () -> ref.get(wrong));
            assertThrows(IllegalStateException.class, ref::get);
        }
        stillUsable(d);
    }

    @Test
    void misuseClosingWhileAnotherThreadReads() {
        RcuDomain d = open();
        BusyReader reader = new BusyReader(d, false);
        IllegalStateException e = assertThrows(IllegalStateException.class, d::close);
        assertTrue(e.getMessage().contains("busy-reader"), e.getMessage());
        assertFalse(d.isClosed());
        reader.leave();
        stillUsable(d);
        d.close();
        assertTrue(d.isClosed());
    }

    @Test
    void misuseWaitingFromACallback() {
        AtomicReference<Throwable> drainError = new AtomicReference<>();
        AtomicReference<Throwable> closeError = new AtomicReference<>();
        RcuDomain d = open();
        CountDownLatch ran = new CountDownLatch(1);
        d.callRcu(() -> {
            try {
                d.drain();
            } catch (Throwable e) {
                drainError.set(e);
            }
            try {
                d.close();
            } catch (Throwable e) {
                closeError.set(e);
            }
            ran.countDown();
        });
        await(ran);
        assertTrue(drainError.get() instanceof IllegalStateException, String.valueOf(drainError.get()));
        assertTrue(closeError.get() instanceof IllegalStateException, String.valueOf(closeError.get()));
        stillUsable(d);
    }

    @Test
    void misuseAfterClose() {
        RcuDomain d = builder(Policy.FQS).build();
        RcuReference<String> ref = new RcuReference<>(d, "x");
        d.registerThread();
        d.close();
        assertThrows(IllegalStateException.class, d::read);
        assertThrows(IllegalStateException.class, d::readLock);
        assertThrows(IllegalStateException.class, () -> d.callRcu(() -> { }));
        assertThrows(IllegalStateException.class, d::synchronize);
        assertThrows(IllegalStateException.class, () -> d.trySynchronize(1, TimeUnit.MILLISECONDS));
        assertThrows(IllegalStateException.class, d::drain);
        assertThrows(IllegalStateException.class, d::force);
        assertThrows(IllegalStateException.class, d::stats);
        assertThrows(IllegalStateException.class, d::registerThread);
        assertThrows(IllegalStateException.class, () -> d.onForce(() -> { }));
        assertThrows(IllegalStateException.class, ref::get);
        assertThrows(IllegalStateException.class, () -> ref.replace("y", old -> { }));
        assertFalse(d.isThreadRegistered());
    }

    @Test
    void misuseRegistrationClosedByAnotherThread() throws Exception {
        RcuDomain d = open();
        Registration r = d.registerThread();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("other", () -> {
            try {
                r.close();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException);
        assertTrue(d.isThreadRegistered());
        stillUsable(d);
    }

    /* After a misuse: the domain still works end to end on this thread. */
    private void stillUsable(RcuDomain d) {
        assertFalse(d.inReadSection());
        RcuReference<Integer> ref = new RcuReference<>(d, 1);
        try (ReadSection s = d.read()) {
            assertEquals(1, ref.get());
        }
        d.synchronize();
        AtomicInteger n = new AtomicInteger();
        d.callRcu(n::incrementAndGet);
        d.drain();
        assertEquals(1, n.get());
    }

    /* ------------------------------------------------------------ torture */

    /** An object that readers must never see reclaimed. */
    static final class Box {
        static final int LIVE = 0;
        static final int RETIRED = 1;
        static final int RECLAIMED = 2;
        final long serial;
        volatile int state;

        Box(long serial) {
            this.serial = serial;
        }
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tortureReadersNeverSeeReclaimedObjects() throws Exception {
        double seconds = Double.parseDouble(System.getProperty("quiesce.torture.seconds", "1"));
        RcuDomain d = open(builder(Policy.FQS).pollLimit(3).callbackThreshold(16));
        RcuReference<Box> bySync = new RcuReference<>(d, new Box(0));
        RcuReference<Box> byCallback = new RcuReference<>(d, new Box(0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong violations = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong syncReplacements = new AtomicLong();
        AtomicLong callbackReplacements = new AtomicLong();
        List<String> firstViolations = Collections.synchronizedList(new ArrayList<>());
        int readerCount = 3;
        CountDownLatch finished = new CountDownLatch(readerCount + 2);

        for (int r = 0; r < readerCount; r++) {
            start("torture-reader-" + r, () -> {
                long local = 0;
                long lastSync = -1;
                while (!stop.get()) {
                    try (ReadSection s = d.read()) {
                        Box a = bySync.get(s);
                        Box b = byCallback.get(s);
                        // Publication order: a reader never goes back in time.
                        if (a.serial < lastSync) {
                            violations.incrementAndGet();
                            firstViolations.add("serial went back " + lastSync + " -> " + a.serial);
                        }
                        lastSync = a.serial;
                        for (int spin = 0; spin < (local & 63); spin++) {
                            Thread.onSpinWait();
                        }
                        if ((local & 7) == 0) {
                            try (ReadSection nested = d.read()) {
                                Thread.onSpinWait();
                            }
                        }
                        if (a.state == Box.RECLAIMED || b.state == Box.RECLAIMED) {
                            violations.incrementAndGet();
                            firstViolations.add("reclaimed object seen inside a section: " + a.serial + "/"
                                    + b.serial);
                        }
                    }
                    local++;
                }
                reads.addAndGet(local);
                finished.countDown();
            });
        }
        start("torture-sync-updater", () -> {
            long serial = 1;
            while (!stop.get()) {
                Box old = bySync.replaceAndSynchronize(new Box(serial++));
                old.state = Box.RETIRED;
                old.state = Box.RECLAIMED;
                syncReplacements.incrementAndGet();
            }
            finished.countDown();
        });
        start("torture-callback-updater", () -> {
            Semaphore inFlight = new Semaphore(256);
            long serial = 1;
            while (!stop.get()) {
                try {
                    if (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    break;
                }
                Box old = byCallback.replace(new Box(serial++), box -> {
                    box.state = Box.RECLAIMED;
                    inFlight.release();
                });
                old.state = Box.RETIRED;
                callbackReplacements.incrementAndGet();
                if ((serial & 1023) == 0) {
                    d.force();
                }
            }
            finished.countDown();
        });
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        await(finished);
        d.drain();
        assertEquals(0, violations.get(), () -> "violations: " + firstViolations.subList(0,
                Math.min(5, firstViolations.size())));
        assertTrue(reads.get() > 0);
        assertTrue(syncReplacements.get() > 0, "no synchronize() replacement");
        assertTrue(callbackReplacements.get() > 0, "no callRcu() replacement");
        Stats s = d.stats();
        assertEquals(s.callbacksQueued(), s.callbacksRun(), s.toString());
        System.out.printf("torture[%s]: %.1f s, %d reads, %d sync + %d callback replacements, %s%n",
                backend().id(), seconds, reads.get(), syncReplacements.get(), callbackReplacements.get(), s);
    }

    // ------------------------------------------------------------ the per-thread Reader handle

    @Test
    void readerHandleEntersAndLeavesSectionsSharingTheDepthWithTheDomain() {
        RcuDomain d = open();
        RcuDomain.Reader reader = d.registerThread();
        assertSame(reader, d.registerThread(), "registerThread() is idempotent");
        assertSame(d, reader.domain());
        assertSame(Thread.currentThread(), reader.thread());
        assertTrue(reader.isRegistered());
        RcuReference<String> ref = new RcuReference<>(d, "v");
        try (ReadSection outer = reader.read()) {
            assertEquals(1, outer.depth());
            assertTrue(d.inReadSection());
            assertTrue(reader.inReadSection());
            assertEquals("v", ref.get(outer));
            try (ReadSection inner = d.read()) {
                assertEquals(2, inner.depth());
            }
            reader.lock();
            d.readLock();
            d.readUnlock();
            reader.unlock();
            assertThrows(IllegalStateException.class, d::synchronize);
        }
        assertFalse(d.inReadSection());
        assertFalse(reader.inReadSection());
        d.readLock();
        reader.unlock(); // pairs with the domain's readLock(): one depth per thread
        assertFalse(d.inReadSection());
        stillUsable(d);
    }

    @Test
    void misuseReaderHandle() {
        RcuDomain d = open();
        RcuDomain.Reader reader = d.registerThread();
        assertThrows(IllegalStateException.class, reader::unlock, "unlock without lock");
        ReadSection outer = reader.read();
        ReadSection inner = reader.read();
        assertThrows(IllegalStateException.class, outer::close, "out of order");
        assertTrue(outer.isOpen());
        inner.close();
        assertThrows(IllegalStateException.class, inner::close, "closed twice");
        assertThrows(IllegalStateException.class, reader::close, "unregister inside a section");
        outer.close();
        assertFalse(d.inReadSection());
        stillUsable(d);
    }

    @Test
    void misuseReaderHandleFromAnotherThread() throws Exception {
        RcuDomain d = open();
        RcuDomain.Reader reader = d.registerThread();
        ReadSection mine = reader.read();
        List<Throwable> thrown = Collections.synchronizedList(new ArrayList<>());
        Thread t = start("other", () -> {
            for (Runnable misuse : List.<Runnable>of(reader::read, reader::lock, reader::unlock, reader::close,
                    mine::close)) {
                try {
                    misuse.run();
                } catch (Throwable e) {
                    thrown.add(e);
                }
            }
        });
        t.join();
        assertEquals(5, thrown.size());
        for (Throwable e : thrown) {
            assertTrue(e instanceof IllegalStateException, e.toString());
        }
        assertTrue(mine.isOpen());
        assertTrue(d.inReadSection());
        mine.close();
        assertTrue(reader.isRegistered());
        stillUsable(d);
    }

    @Test
    void readerHandleAfterUnregistrationAndAfterClose() {
        RcuDomain d = open();
        RcuDomain.Reader reader = d.registerThread();
        try (ReadSection s = reader.read()) {
            assertTrue(s.isOpen());
        }
        reader.close();
        reader.close(); // idempotent
        assertFalse(reader.isRegistered());
        assertFalse(d.isThreadRegistered());
        assertThrows(IllegalStateException.class, reader::read);
        assertThrows(IllegalStateException.class, reader::lock);
        assertFalse(d.inReadSection());
        try (ReadSection s = d.read()) { // the domain registers anew
            assertTrue(d.isThreadRegistered());
        }
        RcuDomain.Reader again = d.registerThread();
        assertTrue(again != reader);
        d.unregisterThread();
        assertFalse(again.isRegistered());
        assertThrows(IllegalStateException.class, again::read);

        RcuDomain e = builder(Policy.FQS).build();
        RcuDomain.Reader last = e.registerThread();
        e.close();
        assertFalse(last.isRegistered());
        assertThrows(IllegalStateException.class, last::read);
        assertThrows(IllegalStateException.class, last::lock);
        last.close(); // nothing to undo
    }

    @Test
    void readerHandleOfAnotherThreadIsReleasedByClose() throws Exception {
        RcuDomain d = builder(Policy.FQS).build();
        AtomicReference<RcuDomain.Reader> handle = new AtomicReference<>();
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = start("holder", () -> {
            handle.set(d.registerThread());
            registered.countDown();
            await(closed);
            try {
                handle.get().read();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await(registered);
        d.close();
        closed.countDown();
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        assertFalse(handle.get().isRegistered());
    }
}
