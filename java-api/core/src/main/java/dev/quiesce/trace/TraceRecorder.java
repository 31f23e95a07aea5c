package dev.quiesce.trace;

import dev.quiesce.RcuDomain;
import dev.quiesce.Registration;
import dev.quiesce.engine.FqsCause;
import dev.quiesce.internal.GpObserver;
import dev.quiesce.internal.JfrBridge;
import dev.quiesce.internal.ObserverHub;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records a trace of RCU activity and writes it in the Chrome Trace Event
 * format (the JSON object form: {@code {"traceEvents": [...],
 * "displayTimeUnit": "ms"}}), which Perfetto (https://ui.perfetto.dev) and
 * chrome://tracing load.
 *
 * <p>What a {@linkplain #record(RcuDomain) recorded domain} contributes, on
 * tracks (trace "threads") named after it: every grace period as a span
 * ({@code "X"} event, args: number, policy, FQS cause, readers waited for,
 * expedited, notifier calls), the FQS entry inside it as an instant
 * ({@code "i"}, with its cause), every {@code force()} as an instant, and
 * every callback batch as a span on a track of its own. Callers add their
 * own spans and instants ({@link #span}, {@link #instant}), for example
 * unmap request to completion or sampled read sections, on tracks they
 * name with {@link #track(String)}.
 *
 * <p>Times are {@link System#nanoTime()} values (the native library's
 * {@code CLOCK_MONOTONIC}, the same clock on Linux), written in microseconds
 * since the recorder was created. Spans on one track must not overlap
 * partially (the format needs them nested); the domain's tracks never do,
 * since a domain runs one GP and one batch at a time.
 *
 * <p>Thread-safe. Keeps at most {@code maxEvents} events (default
 * 1,000,000); later ones are counted in {@link #dropped()} and left out.
 */
public final class TraceRecorder {

    private static final int PID = 1;

    private final long origin = System.nanoTime();
    private final int maxEvents;
    private final List<String> events = new ArrayList<>();
    private final Map<String, Integer> tracks = new LinkedHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    private TraceRecorder(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    /**
     * {@return a recorder that keeps up to a million events}
     */
    public static TraceRecorder create() {
        return new TraceRecorder(1_000_000);
    }

    /**
     * {@return a recorder that keeps up to {@code maxEvents} events}
     *
     * @param maxEvents the most events kept
     * @throws IllegalArgumentException if not positive
     */
    public static TraceRecorder create(int maxEvents) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive: " + maxEvents);
        }
        return new TraceRecorder(maxEvents);
    }

    /**
     * Starts recording a domain's grace periods, FQS entries, force() calls
     * and callback batches, until the returned registration is closed.
     *
     * @param domain the domain
     * @param name the prefix of its tracks' names
     * @return the registration; {@code close()} stops recording this domain
     * @throws UnsupportedOperationException if the domain's backend reports no
     *         grace-period events (JNA)
     * @throws IllegalStateException if the domain is closed
     */
    public Registration record(RcuDomain domain, String name) {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(name, "name");
        if (domain.isClosed()) {
            throw new IllegalStateException("domain is closed: " + domain);
        }
        ObserverHub hub = JfrBridge.hub(domain);
        if (hub == null) {
            throw new UnsupportedOperationException("the " + domain.backend().id()
                    + " backend reports no grace-period events");
        }
        GpObserver o = observer(name);
        hub.add(o);
        return () -> hub.remove(o);
    }

    /**
     * {@link #record(RcuDomain, String)} with tracks named "rcu".
     *
     * @param domain the domain
     * @return the registration; {@code close()} stops recording this domain
     * @throws UnsupportedOperationException if the domain's backend reports no
     *         grace-period events (JNA)
     * @throws IllegalStateException if the domain is closed
     */
    public Registration record(RcuDomain domain) {
        return record(domain, "rcu");
    }

    /**
     * Records one grace period (what {@link #record} does per GP; public for
     * domains observed by other means, such as the emulator's).
     *
     * @param name the domain's track prefix
     * @param number the GP number
     * @param startNanos when it began ({@link System#nanoTime()})
     * @param durationNanos how long it took
     * @param policy the policy's name
     * @param cause the FQS cause's name, or {@code null} if it did not enter FQS
     * @param fqsNanos when it entered FQS (ignored without a cause)
     * @param readersWaited readers it waited for
     * @param expedited whether a synchronize() waited for it
     * @param notifierCalls force notifiers it fired
     */
    public void gracePeriod(String name, long number, long startNanos, long durationNanos, String policy,
            String cause, long fqsNanos, int readersWaited, boolean expedited, int notifierCalls) {
        int tid = track(name + " grace periods");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("number", number);
        args.put("policy", policy);
        args.put("fqs", cause != null);
        args.put("cause", cause != null ? cause : "NONE");
        args.put("readers_waited", readersWaited);
        args.put("expedited", expedited);
        args.put("notifier_calls", notifierCalls);
        span(tid, cause != null ? "GP (FQS)" : "GP", "gp", startNanos, startNanos + durationNanos, args);
        if (cause != null) {
            instant(tid, "FQS entry: " + cause, "fqs", Math.max(startNanos, fqsNanos), Map.of("cause", cause));
        }
    }

    /**
     * Records one callback batch.
     *
     * @param name the domain's track prefix
     * @param count callbacks in it
     * @param startNanos when the first began
     * @param durationNanos how long the batch ran
     */
    public void callbackBatch(String name, int count, long startNanos, long durationNanos) {
        span(track(name + " callbacks"), "callbacks", "batch", startNanos, startNanos + durationNanos,
                Map.of("count", count));
    }

    /**
     * Records one force() call (a kick request), as an instant on the
     * domain's grace-period track.
     *
     * @param name the domain's track prefix
     * @param atNanos when
     */
    public void force(String name, long atNanos) {
        instant(track(name + " grace periods"), "force", "force", atNanos, Map.of());
    }

    /**
     * {@return the track (trace thread id) with this name, created on first use}
     *
     * @param name the track's name, shown in the viewer
     */
    public synchronized int track(String name) {
        Objects.requireNonNull(name, "name");
        Integer tid = tracks.get(name);
        if (tid == null) {
            tid = tracks.size() + 1;
            tracks.put(name, tid);
        }
        return tid;
    }

    /**
     * Records a span ({@code "X"} complete event).
     *
     * @param track the track, from {@link #track(String)}
     * @param name the span's name
     * @param category its category
     * @param startNanos its start ({@link System#nanoTime()})
     * @param endNanos its end; not before the start
     * @param args its arguments (numbers, booleans, strings), or an empty map
     * @throws IllegalArgumentException if it ends before it starts
     */
    public void span(int track, String name, String category, long startNanos, long endNanos, Map<String, ?> args) {
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("span ends before it starts: " + startNanos + " > " + endNanos);
        }
        StringBuilder b = head("X", track, name, category, startNanos);
        b.append(",\"dur\":").append(micros(endNanos - startNanos));
        add(tail(b, args));
    }

    /**
     * Records an instant ({@code "i"} event, thread scope).
     *
     * @param track the track, from {@link #track(String)}
     * @param name its name
     * @param category its category
     * @param atNanos when ({@link System#nanoTime()})
     * @param args its arguments, or an empty map
     */
    public void instant(int track, String name, String category, long atNanos, Map<String, ?> args) {
        StringBuilder b = head("i", track, name, category, atNanos);
        b.append(",\"s\":\"t\"");
        add(tail(b, args));
    }

    /**
     * {@return the events recorded so far (not counting track names)}
     */
    public synchronized int eventCount() {
        return events.size();
    }

    /**
     * {@return events left out because {@code maxEvents} were kept already}
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Writes the trace to a file (replacing it).
     *
     * @param file where
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            writeTo(w);
        }
    }

    /**
     * Writes the trace as JSON.
     *
     * @param w where; not closed
     * @throws IOException if writing fails
     */
    public synchronized void writeTo(Writer w) throws IOException {
        w.write("{\"traceEvents\":[\n");
        boolean first = true;
        w.write("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + PID + ",\"tid\":0,\"args\":{\"name\":"
                + quote("quiesce") + "}}");
        first = false;
        for (Map.Entry<String, Integer> t : tracks.entrySet()) {
            w.write(",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + PID + ",\"tid\":" + t.getValue()
                    + ",\"args\":{\"name\":" + quote(t.getKey()) + "}}");
            w.write(",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":" + PID + ",\"tid\":" + t.getValue()
                    + ",\"args\":{\"sort_index\":" + t.getValue() + "}}");
        }
        for (String e : events) {
            if (!first) {
                w.write(",\n");
            }
            w.write(e);
            first = false;
        }
        w.write("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"quiesce TraceRecorder\",\"dropped\":"
                + dropped.get() + "}}\n");
    }

    /* The observer record() installs: GPs, FQS entries, forces, batches. */
    private GpObserver observer(String name) {
        return new GpObserver() {
            @Override
            public void gracePeriodEnded(long number, long startNanos, long durationNanos, int policy, boolean fqs,
                    int cause, int readersWaited, boolean expedited, int polls, int notifierCalls, long fqsNanos) {
                String causeName = fqs && cause >= 0 && cause < FqsCause.COUNT ? FqsCause.valueOf(cause).name()
                        : fqs ? "UNKNOWN" : null;
                gracePeriod(name, number, startNanos, durationNanos, dev.quiesce.Policy.ofNative(policy).name(),
                        causeName, fqsNanos, readersWaited, expedited, notifierCalls);
            }

            @Override
            public void batchEnded(int count, long startNanos, long durationNanos) {
                callbackBatch(name, count, startNanos, durationNanos);
            }

            @Override
            public void forced() {
                force(name, System.nanoTime());
            }
        };
    }

    private StringBuilder head(String ph, int track, String name, String category, long atNanos) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"ph\":\"").append(ph).append("\",\"name\":").append(quote(name)).append(",\"cat\":")
                .append(quote(category)).append(",\"pid\":").append(PID).append(",\"tid\":").append(track)
                .append(",\"ts\":").append(micros(atNanos - origin));
        return b;
    }

    private static String tail(StringBuilder b, Map<String, ?> args) {
        b.append(",\"args\":{");
        boolean first = true;
        for (Map.Entry<String, ?> a : args.entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            b.append(quote(a.getKey())).append(':');
            Object v = a.getValue();
            if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else {
                b.append(quote(String.valueOf(v)));
            }
        }
        return b.append("}}").toString();
    }

    private synchronized void add(String event) {
        if (events.size() >= maxEvents) {
            dropped.incrementAndGet();
            return;
        }
        events.add(event);
    }

    /* Microseconds with three decimals (ns resolution); negative values
     * (times before the recorder existed) are clamped to 0. */
    private static String micros(long nanos) {
        long n = Math.max(0, nanos);
        return String.format(Locale.ROOT, "%d.%03d", n / 1000, n % 1000);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
