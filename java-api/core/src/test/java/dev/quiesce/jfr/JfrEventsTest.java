package dev.quiesce.jfr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Backend;
import dev.quiesce.Policy;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import dev.quiesce.internal.Backends;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The JFR events of package {@code dev.quiesce.jfr}, recorded with a
 * {@link RecordingStream} while domains of each observable backend (FFM on
 * JDK 23+, pure Java everywhere) run grace periods, callbacks and force().
 */
class JfrEventsTest {

    private static final String GP = "dev.quiesce.GracePeriod";
    private static final String FORCE = "dev.quiesce.Force";
    private static final String BATCH = "dev.quiesce.CallbackBatch";
    private static final String STALL = "dev.quiesce.Stall";

    @Test
    void eventTypesHaveNamesLabelsAndCategory() {
        for (Class<? extends jdk.jfr.Event> c : List.of(GracePeriodEvent.class, StallEvent.class,
                ForceEvent.class, CallbackBatchEvent.class)) {
            EventType t = EventType.getEventType(c);
            assertThat(t.getName()).startsWith("dev.quiesce.");
            assertThat(t.getLabel()).isNotBlank();
            assertThat(t.getDescription()).isNotBlank();
            assertThat(t.getCategoryNames()).containsExactly("quiesce");
            t.getFields().stream().filter(f -> !List.of("startTime", "duration", "eventThread", "stackTrace")
                    .contains(f.getName())).forEach(f -> {
                        assertThat(f.getLabel()).as(c.getSimpleName() + "." + f.getName()).isNotBlank();
                        assertThat(f.getDescription()).as(c.getSimpleName() + "." + f.getName()).isNotBlank();
                    });
        }
        EventType gp = EventType.getEventType(GracePeriodEvent.class);
        assertThat(gp.getName()).isEqualTo(GP);
        assertThat(gp.getFields().stream().map(f -> f.getName()).collect(Collectors.toList()))
                .contains("gpDuration", "policy", "enteredFqs", "cause", "readersWaited", "expedited");
        assertThat(EventType.getEventType(CallbackBatchEvent.class).getField("count")).isNotNull();
        assertThat(EventType.getEventType(CallbackBatchEvent.class).getField("batchDuration")).isNotNull();
    }

    @Test
    void jarShipsTheSettingsFile() throws Exception {
        try (InputStream in = GracePeriodEvent.class.getResourceAsStream("quiesce.jfc")) {
            assertThat(in).as("dev/quiesce/jfr/quiesce.jfc on the class path").isNotNull();
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            for (String name : List.of(GP, STALL, FORCE, BATCH)) {
                assertThat(text).contains("<event name=\"" + name + "\">");
            }
            // The JDK parses it as a configuration with all four enabled.
            jdk.jfr.Configuration cfg = jdk.jfr.Configuration.create(new java.io.StringReader(text));
            for (String name : List.of(GP, STALL, FORCE, BATCH)) {
                assertThat(cfg.getSettings()).containsEntry(name + "#enabled", "true");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"FFM", "PURE_JAVA"})
    @Timeout(60)
    void recordsGracePeriodsForcesAndBatches(Backend backend) throws Exception {
        Assumptions.assumeTrue(Backends.isAvailable(backend), () -> backend.id() + " not available here");
        Assumptions.assumeTrue(FlightRecorder.isAvailable(), "JFR not available");
        String prefix = "RcuDomain[" + backend.id() + "]#";
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        // A domain built before the recording starts is observed too.
        RcuDomain fqs = RcuDomain.builder().backend(backend).policy(Policy.FQS)
                .pollPeriod(Duration.ofSeconds(1)).build();
        try (RecordingStream rs = new RecordingStream();
                RcuDomain legacy = RcuDomain.builder().backend(backend).policy(Policy.LEGACY)
                        .stallTimeout(Duration.ofMillis(20)).onStall(r -> { }).build()) {
            for (String name : List.of(GP, FORCE, BATCH, STALL)) {
                rs.enable(name);
            }
            rs.setReuse(false); // the events are kept
            rs.setOrdered(true);
            rs.onEvent(e -> {
                if (e.getEventType().getName().startsWith("dev.quiesce.")
                        && e.getString("domain").startsWith(prefix)) {
                    events.add(e);
                }
            });
            rs.startAsync();
            // startAsync starts the recording on the stream's thread: wait
            // until the domains are observed (a GP shows up), then begin.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (events.isEmpty() && System.nanoTime() < until) {
                legacy.synchronize();
                Thread.sleep(50);
            }
            assertThat(events).as("no event within 30 s of the start").isNotEmpty();

            fqs.synchronize(); // no reader: expedited, no FQS
            parkedSynchronize(fqs); // a reader parked 50 ms: FQS, cause EXPEDITED
            parkedSynchronize(legacy); // LEGACY: waited for, no FQS; stalls (20 ms timeout)
            CountDownLatch ran = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                fqs.callRcu(ran::countDown);
            }
            fqs.force();
            assertThat(ran.await(20, TimeUnit.SECONDS)).isTrue();
            fqs.drain();
            legacy.force(); // LEGACY: no effect, still an event

            awaitEvents(events, List.of(
                    gp(Policy.FQS, e -> !e.getBoolean("enteredFqs") && e.getInt("readersWaited") == 0
                            && e.getBoolean("expedited")),
                    gp(Policy.FQS, e -> e.getBoolean("enteredFqs") && e.getString("cause").equals("EXPEDITED")
                            && e.getInt("readersWaited") == 1 && e.getBoolean("expedited")
                            && e.getLong("gpDuration") >= TimeUnit.MILLISECONDS.toNanos(30)),
                    e -> e.getEventType().getName().equals(STALL) && e.getString("policy").equals("LEGACY")
                            && e.getLong("waited") >= TimeUnit.MILLISECONDS.toNanos(20)
                            && e.getInt("blockingReaders") == 1 && e.getString("report").contains("jfr-test-reader"),
                    gp(Policy.LEGACY, e -> !e.getBoolean("enteredFqs") && e.getString("cause").equals("NONE")
                            && e.getInt("readersWaited") == 1
                            && e.getLong("gpDuration") >= TimeUnit.MILLISECONDS.toNanos(30)),
                    e -> e.getEventType().getName().equals(FORCE) && e.getString("policy").equals("FQS"),
                    e -> e.getEventType().getName().equals(FORCE) && e.getString("policy").equals("LEGACY"),
                    e -> e.getEventType().getName().equals(BATCH) && e.getInt("count") >= 1
                            && e.getLong("batchDuration") >= 0));
        } finally {
            fqs.close();
        }
        // Every batch of the FQS domain together ran at least its 3 callbacks.
        String fqsLabel = events.stream().filter(gp(Policy.FQS, e -> true)).findFirst()
                .map(e -> e.getString("domain")).orElseThrow();
        int batched = events.stream().filter(e -> e.getEventType().getName().equals(BATCH)
                && e.getString("domain").equals(fqsLabel)).mapToInt(e -> e.getInt("count")).sum();
        assertThat(batched).isGreaterThanOrEqualTo(3);
        // GP numbers of one domain are distinct and, in commit order, increase.
        List<Long> numbers = events.stream().filter(e -> e.getEventType().getName().equals(GP)
                && e.getString("domain").equals(fqsLabel)).sorted(java.util.Comparator.comparing(
                        RecordedEvent::getStartTime)).map(e -> e.getLong("number")).collect(Collectors.toList());
        assertThat(numbers).hasSizeGreaterThanOrEqualTo(2).isSorted().doesNotHaveDuplicates();
    }

    private static Predicate<RecordedEvent> gp(Policy policy, Predicate<RecordedEvent> p) {
        return e -> e.getEventType().getName().equals(GP) && e.getString("policy").equals(policy.name()) && p.test(e);
    }

    /* synchronize() while another thread sits in a section for 50 ms. */
    private static void parkedSynchronize(RcuDomain d) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (ReadSection s = d.read()) {
                inside.countDown();
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                d.unregisterThread();
            }
        }, "jfr-test-reader");
        t.start();
        inside.await();
        d.synchronize();
        t.join();
    }

    /* Events reach the stream about once a second: wait until each predicate has a match. */
    private static void awaitEvents(List<RecordedEvent> events, List<Predicate<RecordedEvent>> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (wanted.stream().allMatch(p -> events.stream().anyMatch(p))) {
                return;
            }
            Thread.sleep(100);
        }
        for (int i = 0; i < wanted.size(); i++) {
            assertThat(events.stream().anyMatch(wanted.get(i)))
                    .as("expected event #" + i + " among " + events).isTrue();
        }
    }
}
