package dev.quiesce.purejava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.engine.FqsCause;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Semantics of the pure-Java runtime, one behaviour per test. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PureDomainTest {

    private static final long MS = 1_000_000L;

    private static Params fast(Policy p) {
        return new Params(p, 5, 30, 2 * MS);
    }

    /** A thread that registers, then runs actions handed to it, in order. */
    static final class ReaderThread implements AutoCloseable {
        private final java.util.concurrent.LinkedBlockingQueue<Runnable> work =
                new java.util.concurrent.LinkedBlockingQueue<>();
        private final Thread thread;
        volatile PureReader reader;

        ReaderThread(PureDomain dom) throws InterruptedException {
            CountDownLatch up = new CountDownLatch(1);
            thread = new Thread(() -> {
                reader = dom.register();
                up.countDown();
                try {
                    for (;;) {
                        Runnable r = work.take();
                        if (r == STOP) {
                            break;
                        }
                        r.run();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reader.close();
            }, "test-reader");
            thread.start();
            up.await();
        }

        private static final Runnable STOP = () -> { };

        void run(Runnable r) throws InterruptedException {
            CountDownLatch done = new CountDownLatch(1);
            work.add(() -> {
                r.run();
                done.countDown();
            });
            done.await();
        }

        void lock() throws InterruptedException {
            run(() -> reader.lock());
        }

        void unlock() throws InterruptedException {
            run(() -> reader.unlock());
        }

        @Override
        public void close() {
            work.add(STOP);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Wait until the writer has set `waiting` on the reader (it is armed), so its unlock takes the slow path. */
    private static void awaitArmed(PureReader r) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!r.waiting()) {
            assertThat(System.nanoTime()).as("writer armed the reader in time").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void nestingTouchesSharedStateOnlyAtTheOutermostLevel() {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            PureReader r = dom.register();
            r.lock();
            r.lock();
            assertThat(r.depth()).isEqualTo(2);
            r.unlock();
            assertThat(r.inSection()).isTrue();
            r.unlock();
            assertThat(r.inSection()).isFalse();
            assertThatThrownBy(r::unlock).isInstanceOf(IllegalStateException.class);
            assertThat(dom.reader()).isSameAs(r);
            assertThatThrownBy(dom::register).as("one reader per thread").isInstanceOf(IllegalStateException.class);
            r.close();
            assertThat(dom.reader()).isNull();
        }
    }

    @Test
    @SuppressWarnings("try")
    void synchronizeInsideASectionAndDrainInACallbackAreRefused() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            PureReader r = dom.register();
            r.lock();
            assertThatThrownBy(dom::synchronize).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(dom::drain).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(r::close).as("unregister inside a section").isInstanceOf(IllegalStateException.class);
            r.unlock();
            AtomicReference<Throwable> fromCallback = new AtomicReference<>();
            dom.call(() -> {
                try {
                    dom.drain();
                } catch (Throwable t) {
                    fromCallback.set(t);
                }
                try {
                    dom.close();
                } catch (Throwable t) {
                    fromCallback.get().addSuppressed(t);
                }
            });
            dom.drain();
            assertThat(fromCallback.get()).isInstanceOf(IllegalStateException.class);
            assertThat(fromCallback.get().getSuppressed()).hasSize(1);
            assertThatThrownBy(dom::close).as("readers registered").isInstanceOf(IllegalStateException.class);
            r.close();
        }
    }

    @Test
    void synchronizeWaitsForAPreexistingReaderAndKicksIt() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS)); ReaderThread rt = new ReaderThread(dom)) {
            AtomicInteger kicks = new AtomicInteger();
            rt.run(() -> rt.reader.addNotifier(reader -> kicks.incrementAndGet()));
            rt.lock();
            CountDownLatch returned = new CountDownLatch(1);
            Thread writer = new Thread(() -> {
                dom.synchronize();
                returned.countDown();
            });
            writer.start();
            awaitArmed(rt.reader);
            assertThat(kicks.get()).as("expedited: FQS at once, notifier fired").isEqualTo(1);
            assertThat(returned.await(50, TimeUnit.MILLISECONDS)).as("blocked by the reader").isFalse();
            rt.unlock();
            assertThat(returned.await(10, TimeUnit.SECONDS)).isTrue();
            writer.join();
            Stats s = dom.stats();
            assertThat(s.syncs()).isEqualTo(1);
            assertThat(s.fqsByCause(FqsCause.EXPEDITED)).isEqualTo(1);
            assertThat(s.slowUnlocks()).as("woken by the reader's slow path").isEqualTo(1);
            assertThat(s.notifierCalls()).isEqualTo(1);
        }
    }

    @Test
    void aReaderThatLocksAfterTheGpBeganDoesNotBlockIt() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS)); ReaderThread old = new ReaderThread(dom);
             ReaderThread late = new ReaderThread(dom)) {
            old.lock();
            CountDownLatch returned = new CountDownLatch(1);
            Thread writer = new Thread(() -> {
                dom.synchronize();
                returned.countDown();
            });
            writer.start();
            Thread.sleep(50);
            late.lock();
            old.unlock();
            assertThat(returned.await(10, TimeUnit.SECONDS)).as("late reader does not block").isTrue();
            late.unlock();
            writer.join();
        }
    }

    @Test
    void callbacksRunExactlyOnceInFifoOrderAfterAGracePeriod() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            int producers = 4;
            int each = 5000;
            List<List<Integer>> seen = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                seen.add(java.util.Collections.synchronizedList(new ArrayList<>()));
            }
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int pp = p;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        int v = i;
                        dom.call(() -> seen.get(pp).add(v));
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            dom.drain();
            for (int p = 0; p < producers; p++) {
                List<Integer> got = seen.get(p);
                assertThat(got).hasSize(each);
                for (int i = 0; i < each; i++) {
                    assertThat(got.get(i)).as("producer %d, FIFO", p).isEqualTo(i);
                }
            }
            Stats s = dom.stats();
            assertThat(s.callbacksQueued()).isEqualTo(producers * each + 1L);
            assertThat(s.callbacksRun()).isEqualTo(s.callbacksQueued());
            assertThat(s.drains()).isEqualTo(1);
        }
    }

    @Test
    void callbackWaitsForAReaderThatWasInsideWhenItWasQueued() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS)); ReaderThread rt = new ReaderThread(dom)) {
            rt.lock();
            AtomicBoolean ran = new AtomicBoolean();
            dom.call(() -> ran.set(true));
            Thread.sleep(30); // several poll periods: the GP polls, then forces by poll limit
            assertThat(ran.get()).as("the reader blocks the callback's GP").isFalse();
            rt.unlock();
            dom.drain();
            assertThat(ran.get()).isTrue();
        }
    }

    @Test
    void normalStateGpsCostReadersNothing() throws Exception {
        Params p = new Params(Policy.FQS, 1_000_000, 1_000_000, MS);
        try (PureDomain dom = new PureDomain(p)) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread reader = new Thread(() -> {
                PureReader r = dom.register();
                while (!stop.get()) {
                    r.lock();
                    r.unlock();
                }
                r.close();
            });
            reader.start();
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 200; i++) {
                dom.call(ran::incrementAndGet);
                if (i % 20 == 0) {
                    Thread.sleep(1);
                }
            }
            while (ran.get() < 200) {
                Thread.sleep(1);
            }
            stop.set(true);
            reader.join();
            Stats s = dom.stats();
            assertThat(s.gps()).isPositive();
            assertThat(s.gpsFqs()).isZero();
            assertThat(s.slowUnlocks()).as("zero slow-path unlocks in the normal state").isZero();
        }
    }

    @Test
    void forceEndsANormalStatePollEarly() throws Exception {
        Params p = new Params(Policy.FQS, 1_000_000, 1_000_000, 50 * MS);
        try (PureDomain dom = new PureDomain(p); ReaderThread rt = new ReaderThread(dom)) {
            AtomicInteger kicks = new AtomicInteger();
            rt.run(() -> rt.reader.addNotifier(r -> kicks.incrementAndGet()));
            rt.lock();
            CountDownLatch ran = new CountDownLatch(1);
            dom.call(ran::countDown);
            Thread.sleep(20);
            dom.force();
            long t0 = System.nanoTime();
            while (kicks.get() == 0 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(1);
            }
            assertThat(kicks.get()).as("force() kicks the blocking reader").isEqualTo(1);
            rt.unlock();
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(dom.stats().fqsByCause(FqsCause.FORCE)).isEqualTo(1);
            assertThat(dom.stats().forces()).isEqualTo(1);
        }
    }

    @Test
    void legacyArmsEveryGpAndIgnoresForce() throws Exception {
        Params p = new Params(Policy.LEGACY, 2, 1, MS);
        try (PureDomain dom = new PureDomain(p); ReaderThread rt = new ReaderThread(dom)) {
            AtomicInteger kicks = new AtomicInteger();
            rt.run(() -> rt.reader.addNotifier(r -> kicks.incrementAndGet()));
            for (int i = 0; i < 5; i++) {
                rt.lock();
                CountDownLatch ran = new CountDownLatch(1);
                dom.call(ran::countDown);
                dom.force();
                awaitArmed(rt.reader);
                rt.unlock();
                assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            }
            Stats s = dom.stats();
            assertThat(s.gpsFqs()).as("LEGACY never enters FQS").isZero();
            assertThat(s.slowUnlocks()).as("every GP armed the busy reader").isEqualTo(5);
            assertThat(kicks.get()).as("no drain: no kick").isZero();
            assertThat(s.forces()).isEqualTo(5);
        }
    }

    @Test
    void legacyPrepollsBeforeTheGracePeriod() throws Exception {
        Params p = new Params(Policy.LEGACY, 3, 1000, 20 * MS);
        try (PureDomain dom = new PureDomain(p)) {
            long t0 = System.nanoTime();
            CountDownLatch ran = new CountDownLatch(1);
            dom.call(ran::countDown);
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            long ms = (System.nanoTime() - t0) / MS;
            assertThat(ms).as("three 20 ms pre-polls before the GP").isGreaterThanOrEqualTo(55);
            assertThat(dom.stats().polls()).isEqualTo(3);
        }
    }

    @Test
    void legacyDrainKicksBlockingReaders() throws Exception {
        Params p = new Params(Policy.LEGACY, 1, 1, MS);
        try (PureDomain dom = new PureDomain(p); ReaderThread rt = new ReaderThread(dom)) {
            AtomicInteger kicks = new AtomicInteger();
            CountDownLatch kicked = new CountDownLatch(1);
            rt.run(() -> rt.reader.addNotifier(r -> {
                kicks.incrementAndGet();
                kicked.countDown();
            }));
            rt.lock();
            Thread drainer = new Thread(dom::drain);
            drainer.start();
            assertThat(kicked.await(10, TimeUnit.SECONDS)).as("drain kicks under LEGACY").isTrue();
            rt.unlock();
            drainer.join();
            assertThat(dom.stats().drains()).isEqualTo(1);
        }
    }

    @Test
    void closeRunsQueuedCallbacksAndRefusesNewOnes() {
        PureDomain dom = new PureDomain(fast(Policy.FQS));
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            dom.call(ran::incrementAndGet);
        }
        dom.close();
        assertThat(ran.get()).isEqualTo(100);
        assertThat(dom.isClosed()).isTrue();
        assertThatThrownBy(() -> dom.call(ran::incrementAndGet)).isInstanceOf(IllegalStateException.class);
        dom.close(); // idempotent
    }

    @Test
    void callbackExceptionsDoNotStopTheWorker() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            AtomicInteger ran = new AtomicInteger();
            QuietUncaught.silenced(() -> {
                dom.call(() -> {
                    throw new IllegalStateException("boom (expected by the test)");
                });
                dom.call(ran::incrementAndGet);
                dom.drain();
            });
            assertThat(ran.get()).isEqualTo(1);
            assertThat(dom.stats().callbacksRun()).isEqualTo(3);
        }
    }

    @Test
    void concurrentSynchronizeCallersShareGracePeriods() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            int callers = 4;
            int each = 200;
            List<Thread> ts = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                ts.add(new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        dom.synchronize();
                    }
                }));
            }
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            Stats s = dom.stats();
            assertThat(s.syncs()).isEqualTo((long) callers * each);
            assertThat(s.gps()).isBetween((long) each, (long) callers * each);
        }
    }

    /** An expedited synchronize() that finds the worker's GP polling expedites that GP (domain.c's expedite_now). */
    @Test
    void synchronizeExpeditesARunningNormalStateGp() throws Exception {
        Params p = new Params(Policy.FQS, 1_000_000, 1_000_000, 10_000 * MS); // polls of 10 s
        try (PureDomain dom = new PureDomain(p); ReaderThread rt = new ReaderThread(dom)) {
            CountDownLatch kicked = new CountDownLatch(1);
            rt.run(() -> rt.reader.addNotifier(r -> kicked.countDown()));
            rt.lock();
            CountDownLatch ran = new CountDownLatch(1);
            dom.call(ran::countDown);
            Thread.sleep(20); // the worker's GP is now sleeping a 10 s poll
            Thread syncer = new Thread(dom::synchronize);
            syncer.start();
            assertThat(kicked.await(5, TimeUnit.SECONDS)).as("the polling GP was expedited").isTrue();
            rt.unlock();
            assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
            syncer.join();
            assertThat(dom.stats().fqsByCause(FqsCause.EXPEDITED)).isPositive();
        }
    }

    @Test
    void statsKeepSlowUnlocksOfUnregisteredReaders() throws Exception {
        try (PureDomain dom = new PureDomain(fast(Policy.FQS))) {
            ReaderThread rt = new ReaderThread(dom);
            rt.lock();
            Thread w = new Thread(dom::synchronize);
            w.start();
            awaitArmed(rt.reader);
            rt.unlock();
            w.join();
            rt.close();
            assertThat(dom.readerCount()).isZero();
            assertThat(dom.stats().slowUnlocks()).isEqualTo(1);
            assertThat(dom.stats().gpPercentileNs(50)).isPositive();
        }
    }
}
