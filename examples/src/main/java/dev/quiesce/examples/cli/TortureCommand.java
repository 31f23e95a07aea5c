package dev.quiesce.examples.cli;

import dev.quiesce.Backend;
import dev.quiesce.Policy;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import dev.quiesce.Registration;
import dev.quiesce.Stats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiesce torture}: readers check, inside their sections, that what
 * they reached through an {@link RcuReference} has not been reclaimed;
 * writers keep replacing it and reclaim the old version after a grace
 * period ({@code callRcu}, or {@code synchronize}). Any reclaimed object seen
 * inside a section, or a torn one, is a violation: exit status 1.
 */
@Command(name = "torture", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "RCU torture test on one backend; exit status 1 on any violation.",
            "",
            "Readers enter (sometimes nested) read sections, load the current version,",
            "check it is neither reclaimed nor torn, dwell, and check again before",
            "leaving. Writers replace it and reclaim the old version after a grace",
            "period, through callRcu or synchronize, with occasional force() and",
            "drain(). A live progress line shows sections, versions, grace periods,",
            "kicks and violations.",
            "",
        })
final class TortureCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "ffm",
            description = "ffm, jna or java (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--policy", paramLabel = "P", defaultValue = "FQS", description = "FQS or LEGACY (default: ${DEFAULT-VALUE})")
    Policy policy;

    @Option(names = "--time", paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
            description = "how long to run (default: ${DEFAULT-VALUE})")
    Duration time;

    @Option(names = "--readers", paramLabel = "N", defaultValue = "3", description = "reader threads (default: ${DEFAULT-VALUE})")
    int readers;

    @Option(names = "--writers", paramLabel = "N", defaultValue = "2", description = "writer threads (default: ${DEFAULT-VALUE})")
    int writers;

    @Option(names = "--poll-period", paramLabel = "TIME", defaultValue = "1ms", converter = DurationConverter.class,
            description = "the domain's poll period (default: ${DEFAULT-VALUE}; QEMU's is 10ms)")
    Duration pollPeriod;

    @Option(names = "--broken-reclaim", hidden = true,
            description = "reclaim old versions at once, without a grace period (checks that the test can fail)")
    boolean brokenReclaim;

    /** A version of the protected data: its payload words all equal {@code gen} until reclaimed. */
    static final class Node {
        final long gen;
        final long[] payload = new long[8];
        /* 0 live, 1 reclaimed (set by the grace-period callback or after synchronize). */
        volatile int reclaimed;

        Node(long gen) {
            this.gen = gen;
            java.util.Arrays.fill(payload, gen);
        }

        void reclaim() {
            java.util.Arrays.fill(payload, -1);
            reclaimed = 1;
        }

        /** 0 fine, else a description of what is wrong. */
        String check() {
            if (reclaimed != 0) {
                return "version " + gen + " was reclaimed while a read section held it";
            }
            for (long w : payload) {
                if (w != gen) {
                    return "version " + gen + " torn (payload word " + w + ")";
                }
            }
            return null;
        }
    }

    @Override
    @SuppressWarnings("try") // the readers' notifier registrations live as long as their loops
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter e = spec.commandLine().getErr();
        Backend kind = Backend.ofId(backend);
        AtomicLong sections = new AtomicLong();
        AtomicLong replaced = new AtomicLong();
        AtomicLong reclaimed = new AtomicLong();
        AtomicLong kicks = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        AtomicReference<String> firstViolation = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Progress progress = new Progress(e);
        o.printf(Locale.ROOT, "quiesce torture: %s backend, %s, %d readers, %d writers, %s%n", kind.id(), policy,
                readers, writers, DurationConverter.format(time));
        o.flush();
        Stats stats;
        try (RcuDomain rcu = RcuDomain.builder().backend(kind).policy(policy).pollPeriod(pollPeriod).build()) {
            RcuReference<Node> ref = new RcuReference<>(rcu, new Node(0));
            AtomicLong nextGen = new AtomicLong(1);
            Object writerLock = new Object();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < readers; i++) {
                threads.add(new Thread(() -> {
                    AtomicBoolean kicked = new AtomicBoolean();
                    try (Registration n = rcu.onForce(() -> {
                        kicks.incrementAndGet();
                        kicked.set(true);
                    })) {
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        long lastGen = -1;
                        while (!stop.get()) {
                            try (ReadSection s = rcu.read()) {
                                Node a = ref.get(s);
                                String bad = a.check();
                                if (bad == null && a.gen < lastGen) {
                                    bad = "went back from version " + lastGen + " to " + a.gen;
                                }
                                lastGen = Math.max(lastGen, a.gen);
                                if (rnd.nextInt(8) == 0) {
                                    try (ReadSection nested = rcu.read()) {
                                        Node b = ref.get(nested);
                                        if (bad == null) {
                                            bad = b.check();
                                        }
                                    }
                                }
                                // dwell inside the section (up to ~20 us), unless kicked
                                int dwell = rnd.nextInt(64);
                                for (int k = 0; k < dwell && !kicked.get(); k++) {
                                    Thread.onSpinWait();
                                    if (rnd.nextInt(256) == 0) {
                                        LockSupport.parkNanos(10_000);
                                    }
                                }
                                if (bad == null) {
                                    bad = a.check();
                                }
                                if (bad != null) {
                                    violations.incrementAndGet();
                                    firstViolation.compareAndSet(null, bad);
                                }
                            }
                            kicked.set(false);
                            sections.incrementAndGet();
                        }
                    } finally {
                        rcu.unregisterThread();
                    }
                }, "torture-reader-" + i));
            }
            for (int i = 0; i < writers; i++) {
                int id = i;
                threads.add(new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        Node old;
                        synchronized (writerLock) {
                            old = ref.peek();
                            ref.publish(new Node(nextGen.getAndIncrement()));
                        }
                        replaced.incrementAndGet();
                        int r = rnd.nextInt(100);
                        if (brokenReclaim) {
                            old.reclaim();
                            reclaimed.incrementAndGet();
                        } else if (id == 0 && r < 10) {
                            rcu.synchronize();
                            old.reclaim();
                            reclaimed.incrementAndGet();
                        } else {
                            Node gone = old;
                            rcu.callRcu(() -> {
                                gone.reclaim();
                                reclaimed.incrementAndGet();
                            });
                        }
                        if (r == 50) {
                            rcu.force();
                        } else if (r == 51 && rnd.nextInt(10) == 0) {
                            rcu.drain();
                        }
                        if (rnd.nextInt(4) == 0) {
                            LockSupport.parkNanos(rnd.nextInt(50_000));
                        }
                        // don't let the callback queue run away from the worker
                        while (replaced.get() - reclaimed.get() > 50_000 && !stop.get()) {
                            LockSupport.parkNanos(100_000);
                        }
                    }
                }, "torture-writer-" + i));
            }
            for (Thread t : threads) {
                t.setDaemon(true);
                t.start();
            }
            long t0 = System.nanoTime();
            long end = t0 + time.toNanos();
            while (System.nanoTime() - end < 0) {
                Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                Stats s = rcu.stats();
                progress.update(String.format(Locale.ROOT,
                        "  [%5.1f s] %,d sections, %,d versions, %,d reclaimed, %,d GPs (%,d FQS), %,d kicks,"
                                + " %d violations", (System.nanoTime() - t0) / 1e9, sections.get(), replaced.get(),
                        reclaimed.get(), s.gps(), s.gpsFqs(), kicks.get(), violations.get()), false);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            rcu.drain();
            stats = rcu.stats();
        }
        progress.done(String.format(Locale.ROOT, "  done: %,d sections, %,d versions, %,d reclaimed, %,d kicks",
                sections.get(), replaced.get(), reclaimed.get(), kicks.get()));
        o.printf(Locale.ROOT, "  grace periods %,d (FQS %,d), slow-path unlocks %,d, callbacks run %,d%n", stats.gps(),
                stats.gpsFqs(), stats.slowUnlocks(), stats.callbacksRun());
        boolean leaked = reclaimed.get() != replaced.get();
        if (leaked) {
            o.printf(Locale.ROOT, "  FAIL: %,d versions replaced but %,d reclaimed after the final drain%n",
                    replaced.get(), reclaimed.get());
        }
        if (violations.get() > 0) {
            o.printf(Locale.ROOT, "  FAIL: %,d violations; first: %s%n", violations.get(), firstViolation.get());
        }
        if (violations.get() > 0 || leaked) {
            return 1;
        }
        o.println("  PASS: no reader saw a reclaimed or torn version");
        return 0;
    }
}
