package dev.quiesce.emu;

import dev.quiesce.Policy;
import dev.quiesce.emu.model.GpuModel;
import dev.quiesce.emu.model.GpuOp;
import dev.quiesce.emu.model.GpuStreams;
import dev.quiesce.emu.model.VgpuWire;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The differential test of the virtio-gpu device: runs one command stream
 * ({@link GpuOp}s) on the native device of a fresh {@link Machine} and on the
 * Java {@link GpuModel}, and compares, at every settle point, every response
 * byte for byte, every touched resource's lifecycle state, the window's
 * mappings (native: translated through the published view) and the
 * timing-independent counters.
 *
 * <pre>{@code
 * GpuDiff.Divergence d = GpuDiff.run(ops, GpuDiff.Options.DEFAULT);   // null: equal
 * }</pre>
 */
public final class GpuDiff {

    /**
     * How the native side runs.
     *
     * @param config the device configuration (both sides)
     * @param vcpus  vCPU threads reading guest memory meanwhile (0: machine not started)
     * @param slice  their time slice
     * @param policy the RCU policy
     * @param pollPeriod the normal-state poll period
     * @param timeout how long a settle waits for the native responses
     */
    public record Options(GpuConfig config, int vcpus, Duration slice, Policy policy, Duration pollPeriod,
                          Duration timeout) {
        /** {@link GpuStreams#fuzzConfig()}, one running vCPU with 200 us slices, FQS with 1 ms polls. */
        public static final Options DEFAULT = new Options(GpuStreams.fuzzConfig(), 1, Duration.ofNanos(200_000),
                Policy.FQS, Duration.ofMillis(1), Duration.ofSeconds(20));

        /**
         * With another vCPU count (0: none started).
         *
         * @param n how many
         * @return a copy with that change
         */
        public Options withVcpus(int n) {
            return new Options(config, n, slice, policy, pollPeriod, timeout);
        }

        /**
         * With another policy.
         *
         * @param p the buffer
         * @return a copy with that change
         */
        public Options withPolicy(Policy p) {
            return new Options(config, vcpus, slice, p, pollPeriod, timeout);
        }

        /**
         * With another device configuration.
         *
         * @param c the command
         * @return a copy with that change
         */
        public Options withConfig(GpuConfig c) {
            return new Options(c, vcpus, slice, policy, pollPeriod, timeout);
        }
    }

    /**
     * Where the two sides first differed.
     *
     * @param step     index of the op at which it was detected (a settle point)
     * @param what     what differed
     * @param expected the model's value
     * @param actual   the native device's value
     * @param ops      the stream
     */
    public record Divergence(int step, String what, String expected, String actual, List<GpuOp> ops) {
        /**
         * {@return a readable report: the stream up to the step, then the difference}
         */
        public String report() {
            StringBuilder b = new StringBuilder();
            b.append("virtio-gpu divergence at step ").append(step).append(": ").append(what).append('\n');
            b.append("  model : ").append(expected).append('\n');
            b.append("  native: ").append(actual).append('\n');
            b.append("stream:\n");
            for (int i = 0; i <= step && i < ops.size(); i++) {
                GpuOp op = ops.get(i);
                b.append(String.format(Locale.ROOT, "  %3d %s", i, op));
                if (op instanceof GpuOp.Submit) {
                    b.append("  ").append(HexFormat.of().formatHex(((GpuOp.Submit) op).bytes(), 0,
                            Math.min(64, ((GpuOp.Submit) op).bytes().length)));
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    private GpuDiff() {
    }

    /**
     * Runs {@code ops} on both sides.
     *
     * @param ops the operations
     * @param opt the options
     * @return the first divergence, or null when both agree throughout
     */
    public static Divergence run(List<GpuOp> ops, Options opt) {
        return run(ops, opt, opt.config());
    }

    /* The model runs with opt.config(), the native device with nativeConfig (tests of the harness). */
    static Divergence run(List<GpuOp> ops, Options opt, GpuConfig nativeConfig) {
        try (Machine m = Machine.builder().vcpus(Math.max(1, opt.vcpus())).slice(opt.slice()).policy(opt.policy())
                .pollPeriod(opt.pollPeriod()).gpu(nativeConfig).start(opt.vcpus() > 0).build()) {
            return run(ops, opt, m);
        }
    }

    /**
     * Shrinks a diverging stream ({@link #shrink(List, Predicate, int)}) and
     * re-runs the result for its report.
     *
     * @param budget at most this many re-runs
     * @param d the device under test
     * @param opt the options
     * @return the divergence of the smallest diverging stream found ({@code d} if none smaller)
     */
    public static Divergence shrink(Divergence d, Options opt, int budget) {
        List<GpuOp> small = shrink(d.ops().subList(0, Math.min(d.ops().size(), d.step() + 1)),
                ops -> run(ops, opt) != null, budget);
        Divergence again = run(small, opt);
        return again != null ? again : d;
    }

    /**
     * Shrinks a failing stream: drops chunks of operations (halving the chunk
     * size down to single operations) as long as {@code fails} still holds.
     *
     * @param budget at most this many calls of {@code fails}
     * @param ops the operations
     * @param fails the fails
     * @return the smallest failing stream found ({@code ops} itself if none smaller)
     */
    public static List<GpuOp> shrink(List<GpuOp> ops, Predicate<List<GpuOp>> fails, int budget) {
        List<GpuOp> best = new ArrayList<>(ops);
        int runs = 0;
        for (int chunk = Math.max(1, best.size() / 2); chunk >= 1 && runs < budget; chunk /= 2) {
            boolean progress = true;
            while (progress && runs < budget) {
                progress = false;
                for (int at = 0; at + chunk <= best.size() && runs < budget; at += chunk) {
                    List<GpuOp> candidate = new ArrayList<>(best.subList(0, at));
                    candidate.addAll(best.subList(at + chunk, best.size()));
                    if (candidate.isEmpty()) {
                        continue;
                    }
                    runs++;
                    if (fails.test(candidate)) {
                        best = candidate;
                        progress = true;
                        break;
                    }
                }
            }
        }
        return best;
    }

    private static Divergence run(List<GpuOp> ops, Options opt, Machine m) {
        GpuDevice dev = m.gpu();
        GpuModel model = new GpuModel(opt.config());
        // tag -> future (native) and tag -> bytes (model), in submission order
        Map<Long, CompletableFuture<Response>> actual = new LinkedHashMap<>();
        Map<Long, byte[]> expected = new LinkedHashMap<>();
        TreeSet<Integer> ids = new TreeSet<>(Integer::compareUnsigned);
        long tag = 0;
        for (int step = 0; step < ops.size(); step++) {
            GpuOp op = ops.get(step);
            if (op instanceof GpuOp.Submit) {
                byte[] bytes = ((GpuOp.Submit) op).bytes();
                VgpuWire.Decoded d = VgpuWire.decode(bytes);
                if (d.ok()) {
                    ids.add(d.cmd().resourceId());
                }
                tag++;
                actual.put(tag, dev.submitRaw(bytes));
                GpuModel.Submitted s = model.submit(bytes, tag);
                if (s.status() == GpuModel.SubmitStatus.AGAIN) {
                    throw new IllegalStateException("the model's queue is full: raise queueCap or settle more often");
                }
                if (s.status() == GpuModel.SubmitStatus.DONE) {
                    expected.put(tag, s.response());
                }
                collect(model, expected);
            } else if (op instanceof GpuOp.GracePeriod) {
                model.blobRegionFree();
                collect(model, expected);
            }
            if (op instanceof GpuOp.Settle || step == ops.size() - 1) {
                model.completeAll();
                collect(model, expected);
                Divergence d = compare(step, ops, opt, m, model, actual, expected, ids);
                if (d != null) {
                    return d;
                }
                actual.clear();
                expected.clear();
            }
        }
        return null;
    }

    private static void collect(GpuModel model, Map<Long, byte[]> expected) {
        for (GpuModel.Answer a : model.pollAll()) {
            expected.put(a.tag(), a.bytes());
        }
    }

    private static Divergence compare(int step, List<GpuOp> ops, Options opt, Machine m, GpuModel model,
                                      Map<Long, CompletableFuture<Response>> actual, Map<Long, byte[]> expected,
                                      TreeSet<Integer> ids) {
        HexFormat hex = HexFormat.of();
        long deadline = System.nanoTime() + opt.timeout().toNanos();
        for (Map.Entry<Long, CompletableFuture<Response>> e : actual.entrySet()) {
            byte[] want = expected.get(e.getKey());
            String wantText = want == null ? "(no response)" : describe(want);
            Response got;
            try {
                got = e.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException te) {
                return new Divergence(step, "response to command #" + e.getKey(), wantText,
                        "(none within " + opt.timeout() + ")", ops);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ie);
            } catch (ExecutionException ee) {
                return new Divergence(step, "response to command #" + e.getKey(), wantText, "failed: " + ee.getCause(),
                        ops);
            }
            if (want == null || !java.util.Arrays.equals(want, got.bytes())) {
                return new Divergence(step, "response to command #" + e.getKey(),
                        wantText + " " + (want == null ? "" : hex.formatHex(want)),
                        describe(got.bytes()) + " " + hex.formatHex(got.bytes()), ops);
            }
        }
        if (expected.size() != actual.size()) {
            return new Divergence(step, "number of responses", String.valueOf(expected.size()),
                    String.valueOf(actual.size()), ops);
        }
        GpuDevice dev = m.gpu();
        // The native device counts a command answered before its future
        // completes, and vice versa for the queue: wait until it is idle.
        while (dev.pending() != 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(0, 100_000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ie);
            }
        }
        for (int id : ids) {
            Optional<BlobState> want = model.blobState(id);
            Optional<BlobState> got = dev.blobState(id);
            if (!want.equals(got)) {
                return new Divergence(step, "state of resource " + Integer.toUnsignedString(id), String.valueOf(want),
                        String.valueOf(got), ops);
            }
        }
        List<Mapping> wantMaps = model.mappings();
        List<Mapping> gotMaps = dev.mappings(ids);
        if (!wantMaps.equals(gotMaps)) {
            return new Divergence(step, "mappings", wantMaps.toString(), gotMaps.toString(), ops);
        }
        int ram = m.workload().ramSize() > 0 ? 1 : 0;
        if (m.mappingCount() - ram != wantMaps.size()) {
            return new Divergence(step, "number of mappings in the address space", String.valueOf(wantMaps.size()),
                    String.valueOf(m.mappingCount() - ram), ops);
        }
        String wantCounters = model.stats().deterministicCounters();
        String gotCounters = dev.stats().deterministicCounters();
        if (!wantCounters.equals(gotCounters)) {
            return new Divergence(step, "device counters", wantCounters, gotCounters, ops);
        }
        return null;
    }

    private static String describe(byte[] resp) {
        try {
            return Response.decode(resp, 0).header().toString();
        } catch (IllegalArgumentException e) {
            return "(" + resp.length + " bytes)";
        }
    }

    // ------------------------------------------------------------ fuzzing for a while

    /**
     * What a timed fuzzing run did.
     *
     * @param streams     streams run
     * @param commands    commands submitted
     * @param seconds     wall time
     * @param divergence  the first divergence, or null
     * @param seed        the seed of the diverging stream (or of the last one)
     */
    public record FuzzResult(long streams, long commands, double seconds, Divergence divergence, long seed) {
    }

    /**
     * Runs random streams ({@link GpuStreams}, stream {@code i} from seed
     * {@code seed + i}) until {@code duration} is over or one diverges.
     *
     * @param length   operations per stream
     * @param progress where a progress line goes once a second (null: none)
     * @param seed the random seed
     * @param duration the duration
     * @param opt the options
     * @return the fuzz result
     */
    public static FuzzResult fuzz(long seed, Duration duration, int length, Options opt, PrintStream progress) {
        GpuStreams gen = new GpuStreams(opt.config());
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long nextReport = start + 1_000_000_000L;
        long streams = 0;
        long commands = 0;
        long s = seed;
        while (System.nanoTime() - end < 0) {
            s = seed + streams;
            List<GpuOp> ops = gen.stream(new Random(s), length);
            Divergence d = run(ops, opt);
            streams++;
            commands += ops.stream().filter(o -> o instanceof GpuOp.Submit).count();
            if (d != null) {
                return new FuzzResult(streams, commands, (System.nanoTime() - start) / 1e9, d, s);
            }
            long now = System.nanoTime();
            if (progress != null && now - nextReport >= 0) {
                progress.printf(Locale.ROOT, "\r  gpu: %,d streams, %,d commands, %.0f commands/s, 0 divergences",
                        streams, commands, commands / ((now - start) / 1e9));
                progress.flush();
                nextReport = now + 1_000_000_000L;
            }
        }
        if (progress != null) {
            progress.println();
        }
        return new FuzzResult(streams, commands, (System.nanoTime() - start) / 1e9, null, s);
    }

    /**
     * {@return the resource ids a stream's well-formed commands name (for reports)}
     *
     * @param ops the resource ids a stream's well-formed commands name (for reports)
     */
    public static List<Integer> resourceIds(List<GpuOp> ops) {
        TreeSet<Integer> ids = new TreeSet<>(Integer::compareUnsigned);
        for (GpuOp op : ops) {
            if (op instanceof GpuOp.Submit) {
                VgpuWire.Decoded d = VgpuWire.decode(((GpuOp.Submit) op).bytes());
                if (d.ok()) {
                    ids.add(d.cmd().resourceId());
                }
            }
        }
        return new ArrayList<>(ids);
    }
}
