package dev.quiesce.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Backend;
import dev.quiesce.Policy;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import dev.quiesce.Registration;
import dev.quiesce.Stats;
import dev.quiesce.internal.Backends;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The misuse census: every misuse the Java API documents (the Javadoc of
 * {@link RcuDomain}, {@link RcuDomain.Builder}, {@link RcuDomain.Reader},
 * {@link ReadSection}, {@link RcuReference}), tried once on each available
 * backend (ffm, jna, java), as a table of named cases.
 *
 * <p>A throwing case must throw the documented exception to the caller. A
 * contained case (a callback, notifier or exception handler that throws) must
 * throw nothing to the caller and be counted in {@link Stats}. After every
 * case, on the same backend, the domain the case ran on must still work: no
 * section left open on this thread, a read section over an
 * {@link RcuReference}, {@code callRcu} + {@code drain}, {@code synchronize}.
 * Cases about a closed domain close a second domain, so the check runs on the
 * first. The census prints its counts; that the JVM is alive is checked at the
 * end (the FFM and JNA backends run native code: a misuse that slipped
 * through to libquiesce could crash it).
 *
 * <p>{@link dev.quiesce.api.RcuContract} checks the same misuses in detail,
 * spread over its tests; this is the complete, counted list.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MisuseCensusTest {

    private static final Class<IllegalStateException> ISE = IllegalStateException.class;
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<NullPointerException> NPE = NullPointerException.class;

    @FunctionalInterface
    interface Body {
        void run(Ctx x) throws Throwable;
    }

    @FunctionalInterface
    interface Action {
        void run() throws Throwable;
    }

    /** One documented misuse; {@code expected == null}: contained, nothing reaches the caller. */
    record Case(String api, String name, Class<? extends Throwable> expected, Body body) {
    }

    /** What a case works with: a fresh domain {@code d} on the backend under test, and helpers. */
    static final class Ctx {
        final Backend backend;
        final RcuDomain d;
        final List<RcuDomain> extra = new ArrayList<>();
        final AtomicInteger handled = new AtomicInteger();

        Ctx(Backend backend) {
            this.backend = backend;
            this.d = builder(backend).callbackExceptionHandler((task, error) -> handled.incrementAndGet()).build();
        }

        RcuDomain other() {
            RcuDomain o = builder(backend).build();
            extra.add(o);
            return o;
        }

        /** A domain that this thread registered with, then closed. */
        RcuDomain closed() {
            RcuDomain c = other();
            c.registerThread();
            c.close();
            return c;
        }

        /** Runs {@code a} on a new platform thread; rethrows what it threw. */
        static void onOtherThread(Action a) throws Throwable {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    a.run();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            }, "census-other");
            t.start();
            t.join();
            if (thrown.get() != null) {
                throw thrown.get();
            }
        }

        /** Runs {@code a} inside a callback of {@code d}; rethrows what it threw. */
        void inCallback(Action a) throws Throwable {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CountDownLatch ran = new CountDownLatch(1);
            d.callRcu(() -> {
                try {
                    a.run();
                } catch (Throwable e) {
                    thrown.set(e);
                } finally {
                    ran.countDown();
                }
            });
            d.drain();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "callback did not run");
            if (thrown.get() != null) {
                throw thrown.get();
            }
        }

        /** Runs {@code a} while another thread sits inside a read section of {@code d}. */
        void whileAnotherThreadReads(Action a) throws Throwable {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                try (ReadSection s = d.read()) {
                    inside.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "census-reader");
            t.start();
            try {
                assertTrue(inside.await(10, TimeUnit.SECONDS));
                a.run();
            } finally {
                release.countDown();
                t.join();
            }
        }
    }

    static RcuDomain.Builder builder(Backend backend) {
        return RcuDomain.builder().backend(backend).policy(Policy.FQS).pollPeriod(Duration.ofMillis(1));
    }

    static Case c(String api, String name, Class<? extends Throwable> expected, Body body) {
        return new Case(api, name, expected, body);
    }

    /* The table. Each body sets up, commits the misuse (whose exception propagates), and cleans up in finally. */
    static final List<Case> CASES = List.of(
            // ---- RcuDomain.Builder: invalid configuration
            c("Builder", "policy(null)", NPE, x -> RcuDomain.builder().policy(null)),
            c("Builder", "pollPeriod(null)", NPE, x -> RcuDomain.builder().pollPeriod(null)),
            c("Builder", "pollPeriod(0)", IAE, x -> RcuDomain.builder().pollPeriod(Duration.ZERO)),
            c("Builder", "pollPeriod(negative)", IAE, x -> RcuDomain.builder().pollPeriod(Duration.ofMillis(-1))),
            c("Builder", "pollLimit(0)", IAE, x -> RcuDomain.builder().pollLimit(0)),
            c("Builder", "pollLimit(negative)", IAE, x -> RcuDomain.builder().pollLimit(-3)),
            c("Builder", "callbackThreshold(0)", IAE, x -> RcuDomain.builder().callbackThreshold(0)),
            c("Builder", "callbackThreshold(negative)", IAE, x -> RcuDomain.builder().callbackThreshold(-1)),
            c("Builder", "callbackExceptionHandler(null)", NPE, x -> RcuDomain.builder().callbackExceptionHandler(null)),

            // ---- ReadSection / readLock / readUnlock
            c("ReadSection", "close() twice", ISE, x -> {
                ReadSection s = x.d.read();
                s.close();
                s.close();
            }),
            c("ReadSection", "outer closed before inner (out of order)", ISE, x -> {
                ReadSection outer = x.d.read();
                ReadSection inner = x.d.read();
                try {
                    outer.close();
                } finally {
                    if (!outer.isOpen()) {
                        throw new AssertionError("the refused close() closed the outer section");
                    }
                    inner.close();
                    outer.close();
                }
            }),
            c("ReadSection", "close() by another thread", ISE, x -> {
                ReadSection s = x.d.read();
                try {
                    Ctx.onOtherThread(s::close);
                } finally {
                    s.close();
                }
            }),
            c("RcuDomain", "readUnlock() without readLock()", ISE, x -> x.d.readUnlock()),
            c("RcuDomain", "readUnlock() after the section closed", ISE, x -> {
                x.d.read().close();
                x.d.readUnlock();
            }),
            c("RcuDomain", "readUnlock() once too often after readLock()", ISE, x -> {
                x.d.readLock();
                x.d.readUnlock();
                x.d.readUnlock();
            }),

            // ---- RcuDomain.Reader (registerThread)
            c("Reader", "unlock() without lock()", ISE, x -> x.d.registerThread().unlock()),
            c("Reader", "read() by another thread", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                Ctx.onOtherThread(r::read);
            }),
            c("Reader", "lock() by another thread", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                Ctx.onOtherThread(r::lock);
            }),
            c("Reader", "unlock() by another thread", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                r.lock();
                try {
                    Ctx.onOtherThread(r::unlock);
                } finally {
                    r.unlock();
                }
            }),
            c("Reader", "close() by another thread", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                Ctx.onOtherThread(r::close);
            }),
            c("Reader", "close() inside a section", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                try (ReadSection s = r.read()) {
                    r.close();
                }
            }),
            c("Reader", "read() after close()", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                r.close();
                r.read();
            }),
            c("Reader", "lock() after close()", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                r.close();
                r.lock();
            }),
            c("RcuDomain", "unregisterThread() inside a section", ISE, x -> {
                try (ReadSection s = x.d.read()) {
                    x.d.unregisterThread();
                }
            }),

            // ---- waiting for a grace period inside a read section (would wait for itself)
            c("RcuDomain", "synchronize() inside a section", ISE, x -> {
                try (ReadSection s = x.d.read()) {
                    x.d.synchronize();
                }
            }),
            c("RcuDomain", "synchronize() inside readLock()", ISE, x -> {
                x.d.readLock();
                try {
                    x.d.synchronize();
                } finally {
                    x.d.readUnlock();
                }
            }),
            c("RcuDomain", "synchronize() inside a nested section", ISE, x -> {
                try (ReadSection outer = x.d.read(); ReadSection inner = x.d.read()) {
                    x.d.synchronize();
                }
            }),
            c("RcuDomain", "trySynchronize() inside a section", ISE, x -> {
                try (ReadSection s = x.d.read()) {
                    x.d.trySynchronize(1, TimeUnit.SECONDS);
                }
            }),
            c("RcuDomain", "drain() inside a section", ISE, x -> {
                try (ReadSection s = x.d.read()) {
                    x.d.drain();
                }
            }),
            c("RcuDomain", "drain() inside Reader.lock()", ISE, x -> {
                RcuDomain.Reader r = x.d.registerThread();
                r.lock();
                try {
                    x.d.drain();
                } finally {
                    r.unlock();
                }
            }),
            c("RcuReference", "replaceAndSynchronize() inside a section", ISE, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                try (ReadSection s = x.d.read()) {
                    ref.replaceAndSynchronize("b");
                }
            }),
            c("RcuDomain", "close() inside a section", ISE, x -> {
                try (ReadSection s = x.d.read()) {
                    x.d.close();
                }
            }),
            c("RcuDomain", "close() while another thread is inside a section", ISE,
                    x -> x.whileAnotherThreadReads(x.d::close)),

            // ---- from a callback (would wait for itself)
            c("RcuDomain", "drain() from a callback", ISE, x -> x.inCallback(x.d::drain)),
            c("RcuDomain", "close() from a callback", ISE, x -> x.inCallback(x.d::close)),

            // ---- null arguments
            c("RcuDomain", "callRcu(null)", NPE, x -> x.d.callRcu(null)),
            c("RcuDomain", "onForce(null)", NPE, x -> x.d.onForce(null)),
            c("RcuDomain", "setCallbackExceptionHandler(null)", NPE, x -> x.d.setCallbackExceptionHandler(null)),
            c("RcuDomain", "trySynchronize(1, null)", NPE, x -> x.d.trySynchronize(1, null)),
            c("RcuReference", "new RcuReference(null)", NPE, x -> new RcuReference<>(null)),
            c("RcuReference", "new RcuReference(null, value)", NPE, x -> new RcuReference<>(null, "a")),
            c("RcuReference", "replace(value, null)", NPE, x -> new RcuReference<>(x.d, "a").replace("b", null)),

            // ---- RcuReference read outside protection
            c("RcuReference", "get() outside a section", ISE, x -> new RcuReference<>(x.d, "a").get()),
            c("RcuReference", "get() inside a section of another domain only", ISE, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                try (ReadSection s = x.other().read()) {
                    ref.get();
                }
            }),
            c("RcuReference", "get(section) with a closed section", ISE, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                ReadSection s = x.d.read();
                s.close();
                ref.get(s);
            }),
            c("RcuReference", "get(section) with another domain's section", ISE, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                try (ReadSection s = x.other().read()) {
                    ref.get(s);
                }
            }),
            c("RcuReference", "get(section) with another thread's section", ISE, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                try (ReadSection s = x.d.read()) {
                    Ctx.onOtherThread(() -> ref.get(s));
                }
            }),

            // ---- use after close() (of a second domain)
            c("closed RcuDomain", "read()", ISE, x -> x.closed().read()),
            c("closed RcuDomain", "readLock()", ISE, x -> x.closed().readLock()),
            c("closed RcuDomain", "readUnlock()", ISE, x -> x.closed().readUnlock()),
            c("closed RcuDomain", "registerThread()", ISE, x -> x.closed().registerThread()),
            c("closed RcuDomain", "onForce(notifier)", ISE, x -> x.closed().onForce(() -> { })),
            c("closed RcuDomain", "callRcu(callback)", ISE, x -> x.closed().callRcu(() -> { })),
            c("closed RcuDomain", "synchronize()", ISE, x -> x.closed().synchronize()),
            c("closed RcuDomain", "trySynchronize()", ISE, x -> x.closed().trySynchronize(1, TimeUnit.MILLISECONDS)),
            c("closed RcuDomain", "drain()", ISE, x -> x.closed().drain()),
            c("closed RcuDomain", "force()", ISE, x -> x.closed().force()),
            c("closed RcuDomain", "stats()", ISE, x -> x.closed().stats()),
            c("closed RcuDomain", "Reader.read() of a registration made before close()", ISE, x -> {
                RcuDomain o = x.other();
                RcuDomain.Reader r = o.registerThread();
                o.close();
                r.read();
            }),
            c("closed RcuDomain", "Reader.lock() of a registration made before close()", ISE, x -> {
                RcuDomain o = x.other();
                RcuDomain.Reader r = o.registerThread();
                o.close();
                r.lock();
            }),
            c("closed RcuDomain", "RcuReference.get()", ISE, x -> {
                RcuDomain o = x.other();
                RcuReference<String> ref = new RcuReference<>(o, "a");
                o.close();
                ref.get();
            }),
            c("closed RcuDomain", "RcuReference.replace() (and nothing published)", ISE, x -> {
                RcuDomain o = x.other();
                RcuReference<String> ref = new RcuReference<>(o, "a");
                o.close();
                try {
                    ref.replace("b", old -> { });
                } finally {
                    if (!"a".equals(ref.peek())) {
                        throw new AssertionError("replace() on a closed domain published " + ref.peek());
                    }
                }
            }),
            c("closed RcuDomain", "RcuReference.replaceAndSynchronize()", ISE, x -> {
                RcuDomain o = x.other();
                RcuReference<String> ref = new RcuReference<>(o, "a");
                o.close();
                ref.replaceAndSynchronize("b");
            }),

            // ---- contained: thrown inside the domain's machinery, never to the caller
            c("contained", "callback throws RuntimeException (counted; the others still run)", null, x -> {
                AtomicInteger ran = new AtomicInteger();
                x.d.callRcu(() -> {
                    throw new IllegalStateException("census: thrown by a callback on purpose");
                });
                x.d.callRcu(ran::incrementAndGet);
                x.d.drain();
                Stats s = x.d.stats();
                expect(ran.get() == 1, "the next callback did not run");
                expect(s.callbackExceptions() == 1, "callbackExceptions " + s.callbackExceptions());
                expect(x.handled.get() == 1, "handler calls " + x.handled.get());
            }),
            c("contained", "callback throws an Error (counted; the others still run)", null, x -> {
                AtomicInteger ran = new AtomicInteger();
                x.d.callRcu(() -> {
                    throw new AssertionError("census: thrown by a callback on purpose");
                });
                x.d.callRcu(ran::incrementAndGet);
                x.d.drain();
                expect(ran.get() == 1, "the next callback did not run");
                expect(x.d.stats().callbackExceptions() == 1, "callbackExceptions");
            }),
            c("contained", "RcuReference.replace reclaim action throws", null, x -> {
                RcuReference<String> ref = new RcuReference<>(x.d, "a");
                ref.replace("b", old -> {
                    throw new IllegalArgumentException("census: thrown by a reclaim action on purpose");
                });
                x.d.drain();
                expect(x.d.stats().callbackExceptions() == 1, "callbackExceptions");
                try (ReadSection s = x.d.read()) {
                    expect("b".equals(ref.get(s)), "value");
                }
            }),
            c("contained", "force notifier throws (counted; the grace period completes)", null, x -> {
                AtomicBoolean kicked = new AtomicBoolean();
                CountDownLatch inside = new CountDownLatch(1);
                Thread t = new Thread(() -> {
                    Registration bad = x.d.onForce(() -> {
                        throw new IllegalStateException("census: thrown by a notifier on purpose");
                    });
                    Registration good = x.d.onForce(() -> kicked.set(true));
                    try (ReadSection s = x.d.read()) {
                        inside.countDown();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (!kicked.get() && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                    }
                    bad.close();
                    good.close();
                }, "census-busy-reader");
                t.start();
                inside.await();
                x.d.synchronize(); // FQS, expedited: the notifiers fire
                t.join();
                expect(kicked.get(), "the other notifier did not run");
                expect(x.d.stats().notifierExceptions() >= 1, "notifierExceptions " + x.d.stats().notifierExceptions());
            }),
            c("contained", "the callback exception handler itself throws", null, x -> {
                x.d.setCallbackExceptionHandler((task, error) -> {
                    throw new IllegalStateException("census: thrown by the handler on purpose");
                });
                AtomicInteger ran = new AtomicInteger();
                x.d.callRcu(() -> {
                    throw new IllegalStateException("census: thrown by a callback on purpose");
                });
                x.d.callRcu(ran::incrementAndGet);
                x.d.drain();
                expect(ran.get() == 1, "the next callback did not run");
                expect(x.d.stats().callbackExceptions() == 1, "callbackExceptions");
            }));

    static void expect(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    /* The domain still works end to end on this thread. */
    static void stillUsable(RcuDomain d) throws InterruptedException {
        assertFalse(d.isClosed(), "domain closed");
        assertFalse(d.inReadSection(), "a section is still open on this thread");
        RcuReference<Integer> ref = new RcuReference<>(d, 1);
        try (ReadSection s = d.read()) {
            assertEquals(1, ref.get(s));
        }
        d.synchronize();
        AtomicInteger n = new AtomicInteger();
        ref.replace(2, old -> n.incrementAndGet());
        d.callRcu(n::incrementAndGet);
        d.drain();
        assertEquals(2, n.get(), "callbacks after drain()");
        // Another thread can still read and the domain can wait for it.
        Thread t = new Thread(() -> {
            try (ReadSection s = d.read()) {
                assertEquals(2, ref.get(s));
            }
        });
        t.start();
        t.join();
        assertTrue(d.trySynchronize(10, TimeUnit.SECONDS), "trySynchronize timed out");
    }

    @Test
    void everyDocumentedMisuseThrowsAndLeavesTheDomainUsable() throws Exception {
        List<Backend> backends = Backends.available();
        assertFalse(backends.isEmpty(), "no backend available");
        List<String> failures = new ArrayList<>();
        Map<String, Integer> perApi = new LinkedHashMap<>();
        int throwing = 0;
        int contained = 0;
        for (Case c : CASES) {
            perApi.merge(c.api(), 1, Integer::sum);
            if (c.expected() == null) {
                contained++;
            } else {
                throwing++;
            }
        }
        int trials = 0;
        for (Backend b : backends) {
            for (Case c : CASES) {
                trials++;
                String id = "[" + b.id() + "] " + c.api() + ": " + c.name();
                Ctx x = new Ctx(b);
                Throwable thrown = null;
                try {
                    c.body().run(x);
                } catch (Throwable t) {
                    thrown = t;
                }
                if (c.expected() == null ? thrown != null : !c.expected().isInstance(thrown)) {
                    failures.add(id + ": expected " + (c.expected() == null ? "nothing" : c.expected().getSimpleName())
                            + ", got " + thrown);
                }
                try {
                    stillUsable(x.d);
                } catch (Throwable t) {
                    failures.add(id + ": domain not usable afterwards: " + t);
                }
                try {
                    x.d.close();
                    for (RcuDomain o : x.extra) {
                        o.close();
                    }
                } catch (Throwable t) {
                    failures.add(id + ": domain did not close afterwards: " + t);
                }
            }
        }
        // Still here, and a fresh domain on every backend works.
        assertTrue(ProcessHandle.current().isAlive());
        for (Backend b : backends) {
            try (RcuDomain d = builder(b).build()) {
                stillUsable(d);
            }
        }
        System.out.printf("misuse census: %d documented misuses (%d throwing, %d contained) x %d backends %s = %d"
                + " trials, %d failed; per API: %s; JVM alive, every domain usable afterwards%n", CASES.size(),
                throwing, contained, backends.size(), backends.stream().map(Backend::id).toList(), trials,
                failures.size(), perApi);
        assertTrue(failures.isEmpty(), () -> failures.size() + " misuse case(s) failed:\n  "
                + String.join("\n  ", failures));
    }
}
