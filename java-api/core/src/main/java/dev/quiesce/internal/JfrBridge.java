package dev.quiesce.internal;

import dev.quiesce.engine.FqsCause;
import dev.quiesce.jfr.CallbackBatchEvent;
import dev.quiesce.jfr.ForceEvent;
import dev.quiesce.jfr.GracePeriodEvent;
import dev.quiesce.jfr.StallEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * Turns domains' writer-side events into JFR events (package
 * {@code dev.quiesce.jfr}).
 *
 * <p>When to observe: a domain's observer is installed while at least one
 * JFR recording runs, and removed when the last one stops (a
 * {@link FlightRecorderListener} keeps the set of running recordings). That
 * is the cheapest correct choice: with no recording the library pays one
 * relaxed load per GP, batch and force() and no upcall at all, and a
 * recording that runs with the quiesce events disabled costs one upcall per
 * GP that ends in a disabled {@code shouldCommit()}. Installing only while
 * one of our events is enabled would save that upcall, but JFR reports
 * recording state changes, not setting changes ({@code RecordingStream.enable}
 * after start would be missed); {@code shouldCommit()} in the upcall is
 * always right. The read side is not touched either way.
 */
public final class JfrBridge {

    private static final AtomicLong IDS = new AtomicLong();
    /* Domains that can be observed (by their RcuDomain), with their hubs
     * and JFR emitters; weak: a domain that is garbage needs no uninstall.
     * Guarded by itself. */
    private static final Map<Object, Entry> DOMAINS = new WeakHashMap<>();
    /* Recordings seen RUNNING and not yet stopped. */
    private static final Set<Recording> RUNNING = ConcurrentHashMap.newKeySet();
    private static volatile boolean observing;
    private static final boolean AVAILABLE = init();

    private JfrBridge() {
    }

    private static boolean init() {
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recordingStateChanged(Recording r) {
                    if (r.getState() == RecordingState.RUNNING) {
                        RUNNING.add(r);
                    } else {
                        RUNNING.remove(r);
                    }
                    update();
                }
            });
            // Recordings already running (-XX:StartFlightRecording): the
            // listener only reports later changes.
            if (FlightRecorder.isInitialized()) {
                for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
                    if (r.getState() == RecordingState.RUNNING) {
                        RUNNING.add(r);
                    }
                }
            }
            observing = !RUNNING.isEmpty();
            return true;
        } catch (Throwable t) {
            // No JFR in this runtime (or it refused): no events, nothing else changes.
            return false;
        }
    }

    /* A registered domain. */
    private record Entry(ObserverHub hub, Emitter emitter) {
    }

    /**
     * Registers a domain: observed from now on while a recording runs (and
     * by {@linkplain #hub trace recorders}). No effect if the backend cannot
     * report events.
     *
     * @param domain the facade's domain (the key for {@link #hub})
     * @param impl the backend domain
     * @param label the domain's name in the events
     * @param policyName the policy's name in the events
     */
    public static void attach(Object domain, Object impl, String label, String policyName) {
        if (!(impl instanceof GpObserver.Observable o)) {
            return;
        }
        Entry en = new Entry(new ObserverHub(o), new Emitter(label + "#" + IDS.incrementAndGet(), policyName));
        synchronized (DOMAINS) {
            DOMAINS.put(domain, en);
            if (AVAILABLE && observing) {
                install(domain, en.hub(), en.emitter());
            }
        }
    }

    /**
     * {@return the observer hub of a domain registered with {@link #attach},
     * or null (its backend reports no events)}
     *
     * @param domain the facade's domain
     */
    public static ObserverHub hub(Object domain) {
        synchronized (DOMAINS) {
            Entry en = DOMAINS.get(domain);
            return en != null ? en.hub() : null;
        }
    }

    /**
     * {@return the label the domain's JFR events carry, or null}
     *
     * @param domain the facade's domain
     */
    public static String label(Object domain) {
        synchronized (DOMAINS) {
            Entry en = DOMAINS.get(domain);
            return en != null ? en.emitter().label : null;
        }
    }

    /**
     * Commits a {@code dev.quiesce.Stall} event (for the stall dispatcher),
     * if a recording has it enabled. Quick when not: one
     * {@code shouldCommit()}; the report's text is built only when committed.
     *
     * @param domain the facade's domain (its label names it)
     * @param policyName the policy's name
     * @param number the stalled GP's number
     * @param waitedNanos how long it had waited, ns
     * @param blockingReaders readers still blocking it
     * @param report the report's text
     */
    public static void stall(Object domain, String policyName, long number, long waitedNanos,
            int blockingReaders, java.util.function.Supplier<String> report) {
        if (!AVAILABLE) {
            return;
        }
        StallEvent ev = new StallEvent();
        if (ev.shouldCommit()) {
            String label = label(domain);
            ev.domain = label != null ? label : String.valueOf(domain);
            ev.policy = policyName;
            ev.number = number;
            ev.waited = waitedNanos;
            ev.blockingReaders = blockingReaders;
            ev.report = report.get();
            ev.commit();
        }
    }

    /* Install or remove every domain's observer after a recording changed state. */
    private static void update() {
        boolean want = !RUNNING.isEmpty();
        synchronized (DOMAINS) {
            if (want == observing) {
                return;
            }
            observing = want;
            List<Map.Entry<Object, Entry>> all = new ArrayList<>(DOMAINS.entrySet());
            for (Map.Entry<Object, Entry> en : all) {
                if (want) {
                    install(en.getKey(), en.getValue().hub(), en.getValue().emitter());
                } else {
                    en.getValue().hub().remove(en.getValue().emitter());
                }
            }
        }
    }

    private static void install(Object o, ObserverHub hub, GpObserver e) {
        try {
            hub.add(e);
        } catch (IllegalStateException closed) {
            // The domain was closed meanwhile: nothing to observe.
            synchronized (DOMAINS) {
                DOMAINS.remove(o);
            }
        } catch (RuntimeException | LinkageError failure) {
            // Never let a failure here stop the recording that triggered it.
            synchronized (DOMAINS) {
                DOMAINS.remove(o);
            }
            System.err.println("quiesce: JFR events disabled for a domain: " + failure);
        }
    }

    /* One domain's observer: commits the JFR events. */
    private static final class Emitter implements GpObserver {
        private final String label;
        private final String policyName;

        Emitter(String label, String policyName) {
            this.label = label;
            this.policyName = policyName;
        }

        @Override
        public void gracePeriodEnded(long number, long startNanos, long durationNanos, int policy, boolean fqs,
                int cause, int readersWaited, boolean expedited, int polls, int notifierCalls, long fqsNanos) {
            GracePeriodEvent ev = new GracePeriodEvent();
            if (!ev.shouldCommit()) {
                return;
            }
            ev.domain = label;
            ev.number = number;
            ev.gpDuration = durationNanos;
            ev.policy = dev.quiesce.Policy.ofNative(policy).name();
            ev.enteredFqs = fqs;
            ev.cause = cause >= 0 && cause < FqsCause.COUNT ? FqsCause.valueOf(cause).name() : "UNKNOWN";
            ev.readersWaited = readersWaited;
            ev.expedited = expedited;
            ev.polls = polls;
            ev.notifierCalls = notifierCalls;
            ev.commit();
        }

        @Override
        public void batchEnded(int count, long startNanos, long durationNanos) {
            CallbackBatchEvent ev = new CallbackBatchEvent();
            if (!ev.shouldCommit()) {
                return;
            }
            ev.domain = label;
            ev.count = count;
            ev.batchDuration = durationNanos;
            ev.commit();
        }

        @Override
        public void forced() {
            ForceEvent ev = new ForceEvent();
            if (!ev.shouldCommit()) {
                return;
            }
            ev.domain = label;
            ev.policy = policyName;
            ev.commit();
        }
    }
}
