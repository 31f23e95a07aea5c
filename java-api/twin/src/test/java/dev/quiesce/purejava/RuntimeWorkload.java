package dev.quiesce.purejava;

import dev.quiesce.engine.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One threaded workload, runnable on any {@link RuntimeUnderTest}, that
 * records the invariants both runtimes must keep:
 * <ul>
 *   <li>no reader sees a reclaimed object (objects are unpublished, then
 *       reclaimed after {@code synchronize()} or in a {@code call()}
 *       callback; readers check the reclaimed flag all through their
 *       sections, short and long);
 *   <li>every callback runs exactly once, in the order it was queued (one
 *       producer, so queue order is call order);
 *   <li>a {@code drain()} returns only after every callback whose
 *       {@code call()} returned before it;
 *   <li>the counters add up (queued = run after the final drain; drains and
 *       forces as issued).
 * </ul>
 */
final class RuntimeWorkload {

    /** What to run. */
    record Shape(int readers, int longEvery, long longSectionNanos, boolean callUpdater, boolean syncUpdater,
                 long drainEveryMicros, long forceEveryMicros, long callPauseMicros, long durationMillis) {
    }

    /** What happened. */
    record Outcome(String runtime, long readSections, long longSections, long kicks, long violations,
                   long callbacks, long duplicateOrMissing, long outOfOrder, long drainViolations, long syncs,
                   long drainsIssued, long forcesIssued, Stats stats, double seconds) {
    }

    /** An object readers must never see reclaimed. */
    static final class Box {
        final long id;
        volatile boolean reclaimed;

        Box(long id) {
            this.id = id;
        }
    }

    private static final int MAX_CALLS = 1 << 22;

    private RuntimeWorkload() {
    }

    static Outcome run(RuntimeUnderTest rt, Shape shape) throws InterruptedException {
        AtomicReference<Box> published = new AtomicReference<>(new Box(0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong violations = new AtomicLong();
        AtomicLong sections = new AtomicLong();
        AtomicLong longSections = new AtomicLong();
        AtomicLong kicks = new AtomicLong();
        AtomicIntegerArray ranCount = new AtomicIntegerArray(MAX_CALLS);
        AtomicLong lastRun = new AtomicLong(-1);
        AtomicLong outOfOrder = new AtomicLong();
        AtomicLong callsReturned = new AtomicLong();
        AtomicLong ranContiguous = new AtomicLong(); // callbacks 0..n-1 all ran (single consumer)
        AtomicLong drainViolations = new AtomicLong();
        AtomicLong syncs = new AtomicLong();
        AtomicLong drainsIssued = new AtomicLong();
        AtomicLong forcesIssued = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch registered = new CountDownLatch(shape.readers());

        for (int i = 0; i < shape.readers(); i++) {
            threads.add(new Thread(() -> {
                RuntimeUnderTest.Reader r = rt.register();
                AtomicBoolean kicked = new AtomicBoolean();
                r.addNotifier(() -> {
                    kicked.set(true);
                    kicks.incrementAndGet();
                });
                registered.countDown();
                long n = 0;
                while (!stop.get()) {
                    boolean isLong = shape.longEvery() > 0 && ++n % shape.longEvery() == 0;
                    r.lock();
                    Box b = published.get();
                    if (b.reclaimed) {
                        violations.incrementAndGet();
                    }
                    if (isLong) {
                        kicked.set(false);
                        long end = System.nanoTime() + shape.longSectionNanos();
                        /* A vCPU-like long section: leave early when kicked. */
                        while (System.nanoTime() < end && !kicked.get()) {
                            if (b.reclaimed) {
                                violations.incrementAndGet();
                                break;
                            }
                            Thread.onSpinWait();
                        }
                        longSections.incrementAndGet();
                    }
                    if (b.reclaimed) {
                        violations.incrementAndGet();
                    }
                    r.unlock();
                    sections.incrementAndGet();
                    if ((n & 63) == 0) {
                        Thread.yield();
                    }
                }
                r.close();
            }, rt.name() + "-reader-" + i));
        }
        if (shape.callUpdater()) {
            threads.add(new Thread(() -> {
                registered.countDown();
                long id = 0;
                while (!stop.get() && id < MAX_CALLS) {
                    Box old = published.getAndSet(new Box(id + 1));
                    final int myId = (int) id++;
                    rt.call(() -> {
                        old.reclaimed = true;
                        if (ranCount.incrementAndGet(myId) != 1) {
                            return; /* counted as duplicate below */
                        }
                        long prev = lastRun.getAndSet(myId);
                        if (prev != myId - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        ranContiguous.set(myId + 1L);
                    });
                    callsReturned.set(id);
                    pause(shape.callPauseMicros());
                }
            }, rt.name() + "-call-updater"));
        }
        if (shape.syncUpdater()) {
            threads.add(new Thread(() -> {
                long id = 1L << 40;
                while (!stop.get()) {
                    Box old = published.getAndSet(new Box(id++));
                    rt.synchronize();
                    old.reclaimed = true;
                    syncs.incrementAndGet();
                    pause(200);
                }
            }, rt.name() + "-sync-updater"));
        }
        if (shape.drainEveryMicros() > 0 || shape.forceEveryMicros() > 0) {
            threads.add(new Thread(() -> {
                long nextDrain = System.nanoTime();
                long nextForce = System.nanoTime();
                while (!stop.get()) {
                    long now = System.nanoTime();
                    if (shape.drainEveryMicros() > 0 && now >= nextDrain) {
                        long before = callsReturned.get();
                        rt.drain();
                        drainsIssued.incrementAndGet();
                        if (ranContiguous.get() < before) {
                            drainViolations.incrementAndGet();
                        }
                        nextDrain = System.nanoTime() + shape.drainEveryMicros() * 1000;
                    }
                    if (shape.forceEveryMicros() > 0 && now >= nextForce) {
                        rt.force();
                        forcesIssued.incrementAndGet();
                        nextForce = now + shape.forceEveryMicros() * 1000;
                    }
                    pause(100);
                }
            }, rt.name() + "-control"));
        }
        for (Thread t : threads) {
            t.setUncaughtExceptionHandler((th, e) -> errors.add(e));
        }
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        registered.await(10, TimeUnit.SECONDS);
        Thread.sleep(shape.durationMillis());
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop");
            }
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(rt.name() + ": a workload thread failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
        boolean drained = shape.drainEveryMicros() > 0;
        if (drained) {
            rt.drain();
            drainsIssued.incrementAndGet();
        } else {
            /* No drain (it would force FQS): wait for the callbacks to run. */
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ranContiguous.get() < callsReturned.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long calls = callsReturned.get();
        long bad = 0;
        for (int i = 0; i < calls; i++) {
            if (ranCount.get(i) != 1) {
                bad++;
            }
        }
        return new Outcome(rt.name(), sections.get(), longSections.get(), kicks.get(), violations.get(), calls,
                bad, outOfOrder.get(), drainViolations.get(), syncs.get(), drainsIssued.get(),
                forcesIssued.get(), rt.stats(), seconds);
    }

    private static void pause(long micros) {
        if (micros > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(micros * 1000);
        }
    }
}
