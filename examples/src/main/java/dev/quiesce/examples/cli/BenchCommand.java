package dev.quiesce.examples.cli;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiesce bench}: what a read costs per backend and against the JVM's
 * reader-writer locks, how long a {@code synchronize()} takes, and how many
 * {@code callRcu} callbacks a domain retires per second. Wall-clock timing
 * loops (medians of several rounds), not JMH: for rigorous numbers run the
 * JMH benchmarks ({@code mvn -Pbench ...}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Read-side cost, synchronize() latency and callRcu throughput per backend.",
            "",
            "Read side: one read section plus one reference load, against a plain",
            "volatile load, ReentrantReadWriteLock and StampedLock, with 1 and 2 reader",
            "threads. synchronize(): latency with a reader running (HdrHistogram).",
            "callRcu: callbacks retired per second. Medians of --rounds rounds; a busy",
            "machine gives noisy numbers, so compare within one run. For rigorous",
            "numbers use the JMH benchmarks (mvn -Pbench, see java-api/core/pom.xml).",
            "",
        })
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "B", split = ",", defaultValue = "ffm,jna,java",
            description = "RCU backends to measure, comma-separated; unavailable ones are skipped"
                    + " (default: ${DEFAULT-VALUE})")
    List<String> backends;

    @Option(names = "--threads", paramLabel = "N", split = ",", defaultValue = "1,2",
            description = "reader thread counts for the read-side table (default: ${DEFAULT-VALUE})")
    List<Integer> threads;

    @Option(names = "--time", paramLabel = "TIME", defaultValue = "200ms", converter = DurationConverter.class,
            description = "length of one read-side round (default: ${DEFAULT-VALUE})")
    Duration time;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
            description = "rounds per measurement, after one warm-up round (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--syncs", paramLabel = "N", defaultValue = "2000",
            description = "synchronize() calls per backend (default: ${DEFAULT-VALUE})")
    int syncs;

    @Option(names = "--callbacks", paramLabel = "N", defaultValue = "200000",
            description = "callRcu callbacks per backend (default: ${DEFAULT-VALUE})")
    int callbacks;

    /** What one reader operation reads. */
    static final class Holder {
        final long value;

        Holder(long value) {
            this.value = value;
        }
    }

    /** A reader loop: runs {@code n} reads, returns a value that depends on them. */
    interface ReadLoop {
        long run(long n);
    }

    private volatile long sink;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        Progress progress = new Progress(e);
        List<Backend> kinds = new ArrayList<>();
        Map<Backend, RcuDomain> domains = new LinkedHashMap<>();
        for (String b : backends) {
            Backend kind = Backend.ofId(b);
            try {
                domains.put(kind, RcuDomain.builder().backend(kind).build());
                kinds.add(kind);
            } catch (RuntimeException unavailable) {
                e.println("  (skipping backend " + kind.id() + ": " + unavailable.getMessage() + ")");
            }
        }
        o.printf(Locale.ROOT, "quiesce bench: %d CPUs, %s %s; %d rounds of %s, medians%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), rounds, DurationConverter.format(time));
        try {
            readSide(o, progress, domains);
            syncLatency(o, progress, domains);
            callThroughput(o, progress, domains);
        } finally {
            for (RcuDomain d : domains.values()) {
                d.close();
            }
        }
        return 0;
    }

    // ------------------------------------------------------------ read side

    @SuppressWarnings("try") // sections are entered for their cost; the plain get() is the fast path measured
    private void readSide(PrintWriter o, Progress progress, Map<Backend, RcuDomain> domains) throws Exception {
        Map<String, Supplier<ReadLoop>> subjects = new LinkedHashMap<>();
        Holder shared = new Holder(7);
        subjects.put("volatile load (copy-on-write)", () -> {
            VolatileBox box = new VolatileBox(shared);
            return n -> {
                long s = 0;
                for (long i = 0; i < n; i++) {
                    s += box.value.value;
                }
                return s;
            };
        });
        for (Map.Entry<Backend, RcuDomain> d : domains.entrySet()) {
            RcuDomain rcu = d.getValue();
            RcuReference<Holder> ref = new RcuReference<>(rcu, shared);
            subjects.put("RCU read section, " + d.getKey().id(), () -> n -> {
                long s = 0;
                for (long i = 0; i < n; i++) {
                    try (ReadSection section = rcu.read()) {
                        s += ref.get().value;
                    }
                }
                return s;
            });
        }
        ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        subjects.put("ReentrantReadWriteLock read lock", () -> n -> {
            long s = 0;
            for (long i = 0; i < n; i++) {
                rw.readLock().lock();
                try {
                    s += shared.value;
                } finally {
                    rw.readLock().unlock();
                }
            }
            return s;
        });
        StampedLock sl = new StampedLock();
        subjects.put("StampedLock optimistic read", () -> n -> {
            long s = 0;
            for (long i = 0; i < n; i++) {
                long stamp = sl.tryOptimisticRead();
                long v = shared.value;
                if (!sl.validate(stamp)) {
                    stamp = sl.readLock();
                    try {
                        v = shared.value;
                    } finally {
                        sl.unlockRead(stamp);
                    }
                }
                s += v;
            }
            return s;
        });
        subjects.put("StampedLock read lock", () -> n -> {
            long s = 0;
            for (long i = 0; i < n; i++) {
                long stamp = sl.readLock();
                try {
                    s += shared.value;
                } finally {
                    sl.unlockRead(stamp);
                }
            }
            return s;
        });
        List<String> header = new ArrayList<>(List.of("read-side cost (ns per read)"));
        for (int t : threads) {
            header.add(t + (t == 1 ? " thread" : " threads"));
        }
        Table table = new Table(header.toArray(new String[0]));
        int i = 0;
        for (Map.Entry<String, Supplier<ReadLoop>> s : subjects.entrySet()) {
            i++;
            List<Object> row = new ArrayList<>(List.of(s.getKey()));
            for (int t : threads) {
                progress.update(String.format(Locale.ROOT, "  read side %d/%d: %s, %d thread(s)", i, subjects.size(),
                        s.getKey(), t), true);
                row.add(Table.ns(measure(s.getValue(), t)));
            }
            table.row(row.toArray());
        }
        progress.done("  read side: done");
        table.print(o);
        o.println("  (no writer running; RCU: the facade's section object and checks included)");
        o.println();
    }

    private static final class VolatileBox {
        volatile Holder value;

        VolatileBox(Holder h) {
            value = h;
        }
    }

    /* Median ns per read over `rounds` rounds of `time`, with `threads` threads reading at once. */
    private double measure(Supplier<ReadLoop> subject, int nThreads) throws Exception {
        double[] perRound = new double[rounds];
        for (int r = -1; r < rounds; r++) { // round -1: warm-up
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong ops = new AtomicLong();
            CyclicBarrier start = new CyclicBarrier(nThreads + 1);
            CountDownLatch done = new CountDownLatch(nThreads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < nThreads; t++) {
                Thread th = new Thread(() -> {
                    ReadLoop loop = subject.get();
                    long n = 0;
                    long s = 0;
                    try {
                        s += loop.run(1024); // registers RCU readers before the clock starts
                        start.await();
                        while (!stop.get()) {
                            s += loop.run(4096);
                            n += 4096;
                        }
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    } finally {
                        ops.addAndGet(n);
                        sink += s;
                        done.countDown();
                    }
                }, "bench-reader-" + t);
                th.setDaemon(true);
                ts.add(th);
                th.start();
            }
            start.await();
            long t0 = System.nanoTime();
            Thread.sleep(Math.max(1, time.toMillis()));
            stop.set(true);
            done.await();
            long elapsed = System.nanoTime() - t0;
            for (Thread th : ts) {
                th.join();
            }
            if (r >= 0) {
                perRound[r] = ops.get() == 0 ? Double.NaN : (double) elapsed * nThreads / ops.get();
            }
        }
        Arrays.sort(perRound);
        return perRound[perRound.length / 2];
    }

    // ------------------------------------------------------------ synchronize

    @SuppressWarnings("try") // the reader's sections are empty on purpose
    private void syncLatency(PrintWriter o, Progress progress, Map<Backend, RcuDomain> domains) throws Exception {
        Table table = new Table("synchronize() latency", "calls", "p50", "p90", "p99", "max");
        for (Map.Entry<Backend, RcuDomain> d : domains.entrySet()) {
            RcuDomain rcu = d.getValue();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                long s = 0;
                try {
                    rcu.registerThread();
                    ready.countDown();
                    while (!stop.get()) {
                        try (ReadSection section = rcu.read()) {
                            for (int i = 0; i < 100; i++) {
                                s += i;
                            }
                        }
                    }
                } finally {
                    sink += s;
                    rcu.unregisterThread();
                }
            }, "bench-sync-reader");
            reader.setDaemon(true);
            reader.start();
            ready.await();
            Histogram h = new Histogram(1, 60_000_000_000L, 3);
            try {
                for (int i = 0; i < syncs; i++) {
                    long t0 = System.nanoTime();
                    rcu.synchronize();
                    h.recordValue(Math.max(1, System.nanoTime() - t0));
                    if ((i & 63) == 0) {
                        progress.update(String.format(Locale.ROOT, "  synchronize, %s: %d/%d", d.getKey().id(), i,
                                syncs), false);
                    }
                }
            } finally {
                stop.set(true);
                reader.join();
            }
            table.row(d.getKey().id() + " (FQS, 1 reader in short sections)", h.getTotalCount(),
                    us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)), us(h.getValueAtPercentile(99)),
                    us(h.getMaxValue()));
        }
        progress.done("  synchronize: done");
        table.print(o);
        o.println();
    }

    private static String us(long ns) {
        return String.format(Locale.ROOT, "%.1f us", ns / 1e3);
    }

    // ------------------------------------------------------------ callRcu

    private void callThroughput(PrintWriter o, Progress progress, Map<Backend, RcuDomain> domains) {
        Table table = new Table("callRcu throughput", "callbacks", "time", "callbacks/s", "GPs");
        for (Map.Entry<Backend, RcuDomain> d : domains.entrySet()) {
            RcuDomain rcu = d.getValue();
            progress.update("  callRcu, " + d.getKey().id(), true);
            AtomicLong ran = new AtomicLong();
            Runnable cb = ran::incrementAndGet;
            long gps0 = rcu.stats().gps();
            long t0 = System.nanoTime();
            for (int i = 0; i < callbacks; i++) {
                rcu.callRcu(cb);
            }
            rcu.drain();
            long elapsed = System.nanoTime() - t0;
            if (ran.get() != callbacks) {
                throw new IllegalStateException(ran.get() + " of " + callbacks + " callbacks ran");
            }
            table.row(d.getKey().id() + " (queue N, then drain)", callbacks, Table.ms(elapsed),
                    String.format(Locale.ROOT, "%,.0f", callbacks / (elapsed / 1e9)), rcu.stats().gps() - gps0);
        }
        progress.done("  callRcu: done");
        table.print(o);
    }
}
