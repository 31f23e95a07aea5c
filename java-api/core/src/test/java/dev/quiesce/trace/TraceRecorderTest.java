package dev.quiesce.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.Backend;
import dev.quiesce.Policy;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import dev.quiesce.Registration;
import dev.quiesce.internal.Backends;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The trace file: Chrome Trace Event JSON that parses, whose spans nest and whose GP spans carry their args. */
class TraceRecorderTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"FFM", "PURE_JAVA"})
    @Timeout(60)
    void writesNestedSpansOfADomain(Backend backend) throws Exception {
        Assumptions.assumeTrue(Backends.isAvailable(backend), () -> backend.id() + " not available here");
        TraceRecorder t = TraceRecorder.create();
        try (RcuDomain d = RcuDomain.builder().backend(backend).policy(Policy.FQS)
                .pollPeriod(Duration.ofSeconds(1)).build()) {
            Registration rec = t.record(d, "test");
            d.synchronize();
            parkedSynchronize(d, t);
            CountDownLatch ran = new CountDownLatch(2);
            d.callRcu(ran::countDown);
            d.callRcu(ran::countDown);
            d.force();
            assertThat(ran.await(20, TimeUnit.SECONDS)).isTrue();
            d.drain();
            rec.close();
            int after = t.eventCount();
            d.synchronize(); // not recorded any more
            assertThat(t.eventCount()).isEqualTo(after);
            rec.close(); // idempotent
        }
        Path out = dir.resolve("out.json");
        t.write(out);
        Map<String, Object> root = asMap(new Json(Files.readString(out, StandardCharsets.UTF_8)).parse());
        assertThat(root).containsEntry("displayTimeUnit", "ms").containsKey("traceEvents");
        List<Map<String, Object>> events = asList(root.get("traceEvents")).stream().map(TraceRecorderTest::asMap)
                .collect(Collectors.toList());
        checkStructure(events);

        Map<Long, String> trackNames = new HashMap<>();
        for (Map<String, Object> e : events) {
            if (e.get("ph").equals("M") && e.get("name").equals("thread_name")) {
                trackNames.put(num(e.get("tid")).longValue(), (String) asMap(e.get("args")).get("name"));
            }
        }
        assertThat(trackNames.values()).contains("test grace periods", "test callbacks", "reader");
        List<Map<String, Object>> gps = events.stream().filter(e -> "gp".equals(e.get("cat")))
                .collect(Collectors.toList());
        assertThat(gps).isNotEmpty().allSatisfy(e -> {
            assertThat(e.get("ph")).isEqualTo("X");
            assertThat(trackNames.get(num(e.get("tid")).longValue())).isEqualTo("test grace periods");
            assertThat(asMap(e.get("args"))).containsKeys("number", "policy", "cause", "readers_waited", "expedited");
        });
        // The parked synchronize(): an FQS GP with cause EXPEDITED, waiting for one reader,
        // and the FQS instant inside its span.
        Map<String, Object> fqsGp = gps.stream().filter(e -> asMap(e.get("args")).get("cause").equals("EXPEDITED"))
                .findFirst().orElseThrow();
        assertThat(num(asMap(fqsGp.get("args")).get("readers_waited")).intValue()).isEqualTo(1);
        double s = num(fqsGp.get("ts")).doubleValue();
        double end = s + num(fqsGp.get("dur")).doubleValue();
        assertThat(end - s).isGreaterThanOrEqualTo(20_000.0); // µs: the reader stayed 50 ms
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("ph")).isEqualTo("i");
            assertThat(e.get("cat")).isEqualTo("fqs");
            assertThat(e.get("tid")).isEqualTo(fqsGp.get("tid"));
            assertThat(num(e.get("ts")).doubleValue()).isBetween(s, end);
            assertThat(asMap(e.get("args"))).containsEntry("cause", "EXPEDITED");
        });
        assertThat(events).anySatisfy(e -> assertThat(e.get("cat")).isEqualTo("force"));
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("cat")).isEqualTo("batch");
            assertThat(num(asMap(e.get("args")).get("count")).intValue()).isPositive();
        });
        // The caller's own span (the parked reader's section) contains the FQS GP.
        Map<String, Object> section = events.stream().filter(e -> "section".equals(e.get("cat"))).findFirst()
                .orElseThrow();
        assertThat(num(section.get("ts")).doubleValue()).isLessThanOrEqualTo(s);
    }

    @Test
    void rejectsBadInputAndChecksItsOwnChecker() {
        TraceRecorder t = TraceRecorder.create(2);
        int tid = t.track("x");
        assertThat(t.track("x")).isEqualTo(tid);
        assertThatThrownBy(() -> t.span(tid, "bad", "c", 10, 5, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TraceRecorder.create(0)).isInstanceOf(IllegalArgumentException.class);
        long now = System.nanoTime();
        t.span(tid, "a", "c", now, now + 10_000, Map.of("k", "v\"q"));
        t.span(tid, "b", "c", now + 1_000, now + 2_000, Map.of());
        t.span(tid, "c", "c", now + 3_000, now + 4_000, Map.of());
        assertThat(t.eventCount()).isEqualTo(2);
        assertThat(t.dropped()).isEqualTo(1);
        // The nesting check fails for partial overlap, and for a B without E.
        List<Map<String, Object>> overlap = List.of(x(1, 0, 10), x(1, 5, 10));
        assertThatThrownBy(() -> checkStructure(overlap)).isInstanceOf(AssertionError.class);
        List<Map<String, Object>> unmatched = List.of(be("B", 1, 0));
        assertThatThrownBy(() -> checkStructure(unmatched)).isInstanceOf(AssertionError.class);
        checkStructure(List.of(x(1, 0, 10), x(1, 2, 3), be("B", 2, 1), be("E", 2, 4)));
    }

    /* Every event has ph/pid/tid; timed ones a non-negative ts; every B has
     * its E on its tid; spans on one tid nest (no partial overlap). */
    static void checkStructure(List<Map<String, Object>> events) {
        Map<Long, List<double[]>> spans = new HashMap<>();
        Map<Long, Deque<Double>> open = new HashMap<>();
        for (Map<String, Object> e : events) {
            assertThat(e).containsKeys("ph", "pid", "tid");
            String ph = (String) e.get("ph");
            long tid = num(e.get("tid")).longValue();
            if (ph.equals("M")) {
                continue;
            }
            assertThat(e).containsKeys("ts", "name");
            double ts = num(e.get("ts")).doubleValue();
            assertThat(ts).isGreaterThanOrEqualTo(0);
            switch (ph) {
                case "X" -> {
                    double dur = num(e.get("dur")).doubleValue();
                    assertThat(dur).isGreaterThanOrEqualTo(0);
                    spans.computeIfAbsent(tid, k -> new ArrayList<>()).add(new double[] {ts, ts + dur});
                }
                case "B" -> open.computeIfAbsent(tid, k -> new ArrayDeque<>()).push(ts);
                case "E" -> {
                    Deque<Double> st = open.get(tid);
                    assertThat(st).as("E without B on tid " + tid).isNotNull().isNotEmpty();
                    double b = st.pop();
                    assertThat(ts).isGreaterThanOrEqualTo(b);
                    spans.computeIfAbsent(tid, k -> new ArrayList<>()).add(new double[] {b, ts});
                }
                case "i" -> assertThat(e.get("s")).isIn("t", "p", "g");
                default -> throw new AssertionError("unexpected ph " + ph);
            }
        }
        open.forEach((tid, st) -> assertThat(st).as("B without E on tid " + tid).isEmpty());
        spans.forEach((tid, list) -> {
            list.sort(Comparator.<double[]>comparingDouble(a -> a[0]).thenComparingDouble(a -> -a[1]));
            Deque<double[]> stack = new ArrayDeque<>();
            for (double[] sp : list) {
                while (!stack.isEmpty() && stack.peek()[1] <= sp[0]) {
                    stack.pop();
                }
                if (!stack.isEmpty()) {
                    assertThat(sp[1]).as("span [%s, %s] overlaps [%s, %s] on tid %s partially", sp[0], sp[1],
                            stack.peek()[0], stack.peek()[1], tid).isLessThanOrEqualTo(stack.peek()[1]);
                }
                stack.push(sp);
            }
        });
    }

    /* synchronize() while a reader sits in a section for 50 ms (a span on track "reader"). */
    private static void parkedSynchronize(RcuDomain d, TraceRecorder t) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        int tid = t.track("reader");
        Thread th = new Thread(() -> {
            long start;
            try (ReadSection s = d.read()) {
                start = System.nanoTime();
                inside.countDown();
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                d.unregisterThread();
            }
            t.span(tid, "read section", "section", start, System.nanoTime(), Map.of());
        });
        th.start();
        inside.await();
        d.synchronize();
        th.join();
    }

    private static Map<String, Object> x(long tid, double ts, double dur) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ph", "X");
        m.put("pid", 1.0);
        m.put("tid", (double) tid);
        m.put("name", "s");
        m.put("ts", ts);
        m.put("dur", dur);
        return m;
    }

    private static Map<String, Object> be(String ph, long tid, double ts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ph", ph);
        m.put("pid", 1.0);
        m.put("tid", (double) tid);
        m.put("name", "s");
        m.put("ts", ts);
        return m;
    }

    private static Number num(Object o) {
        assertThat(o).isInstanceOf(Number.class);
        return (Number) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Object>) o;
    }

    /** A minimal JSON parser (objects, arrays, strings, numbers, booleans, null), strict enough for a test. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw new IllegalArgumentException("trailing text at " + i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    for (;;) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        if (m.put(k, value()) != null) {
                            throw new IllegalArgumentException("duplicate key " + k);
                        }
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                            continue;
                        }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    for (;;) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                            continue;
                        }
                        expect(']');
                        return l;
                    }
                }
                case '"':
                    return string();
                default:
                    if (s.startsWith("true", i)) {
                        i += 4;
                        return Boolean.TRUE;
                    }
                    if (s.startsWith("false", i)) {
                        i += 5;
                        return Boolean.FALSE;
                    }
                    if (s.startsWith("null", i)) {
                        i += 4;
                        return null;
                    }
                    int st = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (st == i) {
                        throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
                    }
                    return Double.parseDouble(s.substring(st, i));
            }
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i + ", saw '" + s.charAt(i) + "'");
            }
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            for (;;) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("raw control character in a string at " + (i - 1));
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }
    }
}
