package dev.quiesce.internal;

import dev.quiesce.Policy;
import dev.quiesce.Stats;
import dev.quiesce.spi.StallInfo;
import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * What the native backends (FFM, JNA) share to turn the C library's stall
 * reports ({@code qs_stall_report}, delivered to their
 * {@code qs_stall_handler} upcall on the C writer's thread) into
 * {@link StallInfo}: a map from the kernel thread id each Java thread had
 * when it registered a reader to that thread, so a report names the Java
 * thread (and the facade can take its stack); and the sinks of the domains,
 * by the opaque id their one static upcall stub is given.
 *
 * <p>Thread-safe.
 */
public final class NativeStalls {

    /* Domain id (the handler's opaque) -> its sink. */
    private static final Map<Long, NativeStalls> BY_ID = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong(1);

    private final long id = NEXT_ID.getAndIncrement();
    /* Kernel tid -> the Java thread that registered with it (weak: threads die). */
    private final Map<Long, WeakReference<Thread>> threads = new ConcurrentHashMap<>();
    private volatile Consumer<StallInfo> sink;

    /** A domain's table; nothing is registered until {@link #sink(Consumer)}. */
    public NativeStalls() {
    }

    /**
     * {@return the opaque id the C handler is given for this domain}
     */
    public long id() {
        return id;
    }

    /**
     * Installs (non-null) or removes (null) this domain's sink.
     *
     * @param s the sink, or null
     */
    public void sink(Consumer<StallInfo> s) {
        sink = s;
        if (s != null) {
            BY_ID.put(id, this);
        } else {
            BY_ID.remove(id);
        }
    }

    /**
     * {@return the table whose sink is installed under {@code id}, or null}
     *
     * @param id the handler's opaque
     */
    public static NativeStalls forId(long id) {
        return BY_ID.get(id);
    }

    /**
     * The calling thread registered a reader while its kernel thread id was {@code tid}.
     *
     * @param tid the kernel thread id (ignored if negative: unknown)
     */
    public void registered(long tid) {
        if (tid < 0) {
            return;
        }
        if (threads.size() > 1024) {
            /* Drop entries of dead threads now and then (tids are reused). */
            for (Iterator<WeakReference<Thread>> it = threads.values().iterator(); it.hasNext();) {
                Thread t = it.next().get();
                if (t == null || !t.isAlive()) {
                    it.remove();
                }
            }
        }
        threads.put(tid, new WeakReference<>(Thread.currentThread()));
    }

    /**
     * One reader of a native report, naming the Java thread behind {@code tid} if there is one.
     *
     * @param tid the kernel thread id
     * @param name the kernel thread name
     * @param insideNs time inside the section, a lower bound
     * @param depth the C read side's nesting count
     * @param kicks force-notifier calls during the GP
     * @return the reader
     */
    public StallInfo.Reader reader(long tid, String name, long insideNs, int depth, long kicks) {
        WeakReference<Thread> ref = threads.get(tid);
        Thread t = ref != null ? ref.get() : null;
        if (t != null && t.isAlive()) {
            @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; this is release 17
            long javaId = t.getId();
            return new StallInfo.Reader(t, javaId, t.getName(), insideNs, depth, kicks);
        }
        return new StallInfo.Reader(null, tid, name, insideNs, depth, kicks);
    }

    /**
     * Delivers one native report to the sink of domain {@code id}; never throws (it runs in an upcall).
     *
     * @param id the handler's opaque
     * @param gp the GP number
     * @param elapsedNs time since the GP's counter advance
     * @param timeoutNs the stall timeout
     * @param nth 1 or 2
     * @param policy the C policy value
     * @param cause the C FQS cause value
     * @param total readers holding the GP
     * @param readers the readers listed
     */
    public static void deliver(long id, long gp, long elapsedNs, long timeoutNs, int nth, int policy, int cause,
                               int total, List<StallInfo.Reader> readers) {
        try {
            NativeStalls s = BY_ID.get(id);
            Consumer<StallInfo> k = s != null ? s.sink : null;
            if (k == null) {
                return;
            }
            Stats.FqsCause[] causes = Stats.FqsCause.values();
            Stats.FqsCause c = cause >= 0 && cause < causes.length ? causes[cause] : Stats.FqsCause.NONE;
            k.accept(new StallInfo(gp, elapsedNs, timeoutNs, Policy.ofNative(policy), c, nth > 1, total, readers));
        } catch (Throwable t) {
            try {
                System.err.println("quiesce: a stall report could not be delivered: " + t);
            } catch (Throwable ignored) {
                // nothing left to report to
            }
        }
    }

    /**
     * A C {@code char[16]} name: bytes up to the first NUL, as UTF-8.
     *
     * @param bytes the raw bytes
     * @return the name
     */
    public static String name(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
