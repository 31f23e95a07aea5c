package dev.quiesce.examples.cli;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 *
 * <p>{@code --json FILE} writes one {@code quiesce-bench/1} file
 * (docs/BENCH.md): the C figures of {@code qs-bench --json}, run first as a
 * subprocess, and this command's own figures under {@code java.*} keys, with
 * every round's sample; {@code native/bench/compare.py} compares two such
 * files, {@code native/bench/table.py} prints the README's table from one.
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
            "--json FILE: also write every figure, C (qs-bench --json, run first) and",
            "Java (java.* keys), to FILE in the quiesce-bench/1 format (docs/BENCH.md),",
            "for native/bench/compare.py and native/bench/table.py.",
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

    @Option(names = "--json", paramLabel = "FILE",
            description = "also write all figures (C from qs-bench, Java as java.*) to FILE,"
                    + " schema quiesce-bench/1")
    Path json;

    @Option(names = "--qs-bench", paramLabel = "PATH", defaultValue = "auto",
            description = "with --json: the qs-bench executable (auto: native/target/cmake/native/qs-bench"
                    + " of this checkout; none: no C figures) (default: ${DEFAULT-VALUE})")
    String qsBench;

    @Option(names = "--qs-bench-args", paramLabel = "ARGS", defaultValue = "",
            description = "with --json: extra qs-bench options, space-separated, e.g. \"--quick\"")
    String qsBenchArgs;

    @Option(names = "--jbench", paramLabel = "PATH", defaultValue = "auto",
            description = "libqs_jbench.so, for the C callRcu rate through a downcall beside the Java"
                    + " one (auto: native/target/cmake/native/bench/ of this checkout; none: skip)"
                    + " (default: ${DEFAULT-VALUE})")
    String jbench;

    /** Figures for --json, in the order measured: key to {value, unit, better, samples}. */
    private final Map<String, Object> figures = new LinkedHashMap<>();
    private final List<Object> targets = new ArrayList<>();

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
        if (rounds < 1 || time.isNegative() || syncs < 1 || callbacks < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rounds, --syncs and --callbacks must be at least 1");
        }
        Map<String, Object> cDoc = null;
        double load0 = loadAverage();
        long started = System.nanoTime();
        if (json != null) {
            cDoc = runQsBench(e);
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
        if (json != null) {
            writeJson(cDoc, kinds, load0, (System.nanoTime() - started) / 1e9);
            o.println();
            o.println("wrote " + json);
        }
        return 0;
    }

    // ------------------------------------------------------------ --json

    /* One figure: value = median of the samples (null when none). */
    private void figure(String key, String unit, String better, double... samples) {
        List<Object> list = new ArrayList<>();
        for (double v : samples) {
            list.add(Double.isFinite(v) ? v : null);
        }
        double[] finite = Arrays.stream(samples).filter(Double::isFinite).sorted().toArray();
        Double value = finite.length == 0 ? null : finite[finite.length / 2];
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("value", value);
        f.put("unit", unit);
        f.put("better", better);
        f.put("samples", list);
        figures.put(key, f);
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException unreadable) {
            return Double.NaN;
        }
    }

    /* The checkout this command runs from (the jar is examples/target/quiesce-examples.jar,
     * the classes examples/target/classes), or null. */
    private static Path checkout() {
        try {
            Path p = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path q = p; q != null; q = q.getParent()) {
                if (Files.isRegularFile(q.resolve("native/CMakeLists.txt"))) {
                    return q;
                }
            }
        } catch (URISyntaxException | RuntimeException unknown) {
            // fall through
        }
        return Files.isRegularFile(Path.of("native/CMakeLists.txt")) ? Path.of("").toAbsolutePath() : null;
    }

    private static Path located(String option, String relative) {
        if (option.equals("none")) {
            return null;
        }
        if (!option.equals("auto")) {
            return Path.of(option);
        }
        Path root = checkout();
        return root == null ? null : root.resolve(relative);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> runQsBench(PrintWriter e) throws IOException, InterruptedException {
        Path exe = located(qsBench, "native/target/cmake/native/qs-bench");
        if (exe == null) {
            if (!qsBench.equals("none")) {
                e.println("  (no checkout found for qs-bench: pass --qs-bench PATH; no C figures)");
            }
            return null;
        }
        if (!Files.isExecutable(exe)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "qs-bench not found at " + exe
                    + ": build it (mvn -DskipTests package, or cmake --build ... --target qs-bench),"
                    + " pass --qs-bench PATH, or --qs-bench none for Java figures only");
        }
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--json"));
        for (String a : qsBenchArgs.trim().split("\\s+")) {
            if (!a.isEmpty()) {
                cmd.add(a);
            }
        }
        e.println("  running " + String.join(" ", cmd) + " ...");
        Path out = Files.createTempFile("qs-bench", ".json");
        try {
            Process proc = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            int rc = proc.waitFor();
            if (rc != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed with exit status " + rc);
            }
            Object doc = BenchJson.parse(Files.readString(out, StandardCharsets.UTF_8));
            if (!(doc instanceof Map<?, ?> m) || !"quiesce-bench/1".equals(m.get("schema"))
                    || !(m.get("figures") instanceof Map) || !(m.get("meta") instanceof Map)) {
                throw new IllegalStateException(exe + " --json did not write a quiesce-bench/1 document");
            }
            return (Map<String, Object>) doc;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @SuppressWarnings("unchecked")
    private void writeJson(Map<String, Object> cDoc, List<Backend> kinds, double load0, double seconds)
            throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", "quiesce-bench/1");
        Map<String, Object> meta;
        Map<String, Object> allFigures;
        List<Object> allTargets;
        if (cDoc != null) {
            meta = (Map<String, Object>) cDoc.get("meta");
            allFigures = (Map<String, Object>) cDoc.get("figures");
            allTargets = cDoc.get("targets") instanceof List<?> l ? (List<Object>) l : new ArrayList<>();
        } else {
            meta = new LinkedHashMap<>();
            meta.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            Map<String, Object> machine = new LinkedHashMap<>();
            machine.put("uname", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                    + System.getProperty("os.arch"));
            machine.put("cpu_model", cpuModel());
            machine.put("cores", (double) Runtime.getRuntime().availableProcessors());
            meta.put("machine", machine);
            allFigures = new LinkedHashMap<>();
            allTargets = new ArrayList<>();
        }
        Map<String, Object> java = new LinkedHashMap<>();
        java.put("producer", "quiesce bench");
        java.put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        java.put("backends", String.join(",", kinds.stream().map(Backend::id).toList()));
        java.put("rounds", (double) rounds);
        java.put("round_ms", (double) time.toMillis());
        java.put("seconds", Math.rint(seconds * 10) / 10);
        java.put("loadavg_start", load0);
        java.put("loadavg_end", loadAverage());
        meta.put("java", java);
        allFigures.putAll(figures);
        allTargets.addAll(targets);
        doc.put("meta", meta);
        doc.put("figures", allFigures);
        doc.put("targets", allTargets);
        Files.writeString(json, BenchJson.writeDocument(doc), StandardCharsets.UTF_8);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // fall through
        }
        return "?";
    }

    private void target(String key, String what, String op, double limit) {
        Object f = figures.get(key);
        Object v = f instanceof Map<?, ?> m ? m.get("value") : null;
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("figure", key);
        t.put("what", what);
        t.put("op", op);
        t.put("limit", limit);
        t.put("value", v);
        String verdict = "n/a";
        if (v instanceof Double d) {
            verdict = (op.equals(">=") ? d >= limit : d <= limit) ? "PASS" : "MISS";
        }
        t.put("verdict", verdict);
        targets.add(t);
    }

    // ------------------------------------------------------------ read side

    @SuppressWarnings("try") // sections are entered for their cost; the plain get() is the fast path measured
    private void readSide(PrintWriter o, Progress progress, Map<Backend, RcuDomain> domains) throws Exception {
        Map<String, Supplier<ReadLoop>> subjects = new LinkedHashMap<>();
        Map<String, String> keys = new LinkedHashMap<>(); // label -> --json figure name
        Holder shared = new Holder(7);
        keys.put("volatile load (copy-on-write)", "volatile");
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
            keys.put("RCU read section, " + d.getKey().id(), d.getKey().id() + "_read");
            subjects.put("RCU read section, " + d.getKey().id(), () -> n -> {
                long s = 0;
                for (long i = 0; i < n; i++) {
                    try (ReadSection section = rcu.read()) {
                        s += ref.get().value;
                    }
                }
                return s;
            });
            keys.put("RCU Reader handle, " + d.getKey().id(), d.getKey().id() + "_reader");
            subjects.put("RCU Reader handle, " + d.getKey().id(), () -> {
                RcuDomain.Reader reader = rcu.registerThread(); // on the reader thread: the loop runs there
                return n -> {
                    long s = 0;
                    for (long i = 0; i < n; i++) {
                        try (ReadSection section = reader.read()) {
                            s += ref.get().value;
                        }
                    }
                    return s;
                };
            });
        }
        ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        keys.put("ReentrantReadWriteLock read lock", "rrwl");
        keys.put("StampedLock optimistic read", "stamped_optimistic");
        keys.put("StampedLock read lock", "stamped_read");
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
                double[] samples = measure(s.getValue(), t);
                figure("java.read_ns." + keys.get(s.getKey()) + "." + t + "t", "ns", "lower", samples);
                row.add(Table.ns(median(samples)));
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

    private static double median(double[] samples) {
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /* ns per read in each of `rounds` rounds of `time`, with `threads` threads reading at once. */
    private double[] measure(Supplier<ReadLoop> subject, int nThreads) throws Exception {
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
        return perRound;
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
            figure("java.sync_ns." + d.getKey().id() + ".p50", "ns", "lower", h.getValueAtPercentile(50));
            figure("java.sync_ns." + d.getKey().id() + ".p99", "ns", "lower", h.getValueAtPercentile(99));
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
        int reps = json == null ? 1 : rounds; // one run, as always, unless --json wants samples
        Path lib = located(jbench, "native/target/cmake/native/bench/libqs_jbench.so");
        JBench c = null;
        if (lib != null && Files.isRegularFile(lib)) {
            c = new JBench(lib);
        } else if (!jbench.equals("none") && !jbench.equals("auto")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--jbench: no file " + lib);
        }
        Map<String, double[]> rates = new LinkedHashMap<>();
        Map<String, Long> gps = new LinkedHashMap<>();
        try {
            for (int r = 0; r < reps; r++) {
                for (Map.Entry<Backend, RcuDomain> d : domains.entrySet()) {
                    RcuDomain rcu = d.getValue();
                    progress.update("  callRcu, " + d.getKey().id() + (reps > 1 ? " " + (r + 1) + "/" + reps : ""),
                            true);
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
                    rates.computeIfAbsent(d.getKey().id(), k -> new double[reps])[r] = callbacks / (elapsed / 1e9);
                    gps.merge(d.getKey().id(), rcu.stats().gps() - gps0, Long::sum);
                }
                if (c != null) {
                    progress.update("  callRcu, C through a downcall" + (reps > 1 ? " " + (r + 1) + "/" + reps : ""),
                            true);
                    rates.computeIfAbsent("c_downcall", k -> new double[reps])[r] = c.rate(callbacks);
                }
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
        progress.done("  callRcu: done");
        for (Map.Entry<String, double[]> e : rates.entrySet()) {
            double rate = median(e.getValue());
            String label = e.getKey().equals("c_downcall")
                    ? "C qs_call through a downcall (libqs_jbench)"
                    : e.getKey() + " (queue N, then drain)";
            Long g = gps.get(e.getKey());
            table.row(label, callbacks, Table.ms((long) (callbacks / rate * 1e9)),
                    String.format(Locale.ROOT, "%,.0f", rate), g == null ? "" : g / reps);
            figure("java.call_per_s." + e.getKey(), "1/s", "higher", e.getValue());
        }
        double[] ffm = rates.get("ffm");
        double[] cRates = rates.get("c_downcall");
        if (ffm != null && cRates != null) {
            double[] ratio = new double[reps];
            for (int r = 0; r < reps; r++) {
                ratio[r] = ffm[r] / cRates[r]; // same round, back to back
            }
            figure("java.call_ratio.ffm_c", "ratio", "higher", ratio);
            target("java.call_ratio.ffm_c", "callRcu throughput: FFM / C through a downcall >= 0.5", ">=", 0.5);
        }
        table.print(o);
    }

    /**
     * The C write path in this JVM, through libqs_jbench (native/bench/jbench.c): a domain with FQS
     * defaults and the calling thread registered, fed qs_call no-op callbacks 1024 per downcall.
     */
    private static final class JBench {
        private static final int BURST = 1024;
        private final MethodHandle burst;
        private final MethodHandle await;
        private final MethodHandle close;
        private final MemorySegment dom;

        JBench(Path lib) {
            SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
            burst = fn(l, "qs_jbench_call_burst", ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
            await = fn(l, "qs_jbench_wait");
            close = fn(l, "qs_jbench_close", ValueLayout.ADDRESS);
            MemorySegment out = Arena.global().allocate(ValueLayout.ADDRESS);
            check((int) invoke(fn(l, "qs_jbench_open", ValueLayout.ADDRESS), out), "qs_jbench_open");
            dom = out.get(ValueLayout.ADDRESS, 0);
        }

        private static MethodHandle fn(SymbolLookup l, String name, ValueLayout... args) {
            MemorySegment addr = l.find(name).orElseThrow(() -> new IllegalStateException(name + " not in libqs_jbench"));
            return Linker.nativeLinker().downcallHandle(addr, FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
        }

        private static Object invoke(MethodHandle h, Object... args) {
            try {
                return h.invokeWithArguments(args);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        private static void check(int rc, String what) {
            if (rc != 0) {
                throw new IllegalStateException(what + " returned " + rc);
            }
        }

        /* Callbacks per second for n calls, until every one of them ran. */
        double rate(int n) {
            try {
                long t0 = System.nanoTime();
                for (int done = 0; done < n; done += BURST) {
                    check((int) burst.invokeExact(dom, Math.min(BURST, n - done)), "qs_jbench_call_burst");
                }
                check((int) await.invokeExact(), "qs_jbench_wait");
                return n / ((System.nanoTime() - t0) / 1e9);
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        void close() {
            invoke(close, dom);
        }
    }
}
