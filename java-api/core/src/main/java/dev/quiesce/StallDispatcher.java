package dev.quiesce;

import dev.quiesce.RcuDomain.Reader;
import dev.quiesce.internal.JfrBridge;
import dev.quiesce.spi.StallInfo;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Turns a backend's {@link StallInfo} into a {@link StallReport} and hands
 * it to the domain's stall consumer.
 *
 * <p>The backend calls {@link #accept(StallInfo)} on the thread that
 * detected the stall, the grace-period writer, possibly with the backend's
 * locks held (the C runtime calls its stall handler from the writer). So
 * only the report is built there (copying the readers' data and taking each
 * Java reader thread's stack, which needs no lock of the domain); the
 * consumer runs on a separate daemon thread, one per domain, started on the
 * first stall and gone after a second idle. A consumer may therefore block,
 * log slowly or even call into the domain. Reports are delivered in order.
 */
final class StallDispatcher implements Consumer<StallInfo> {
    /** The default consumer's logger name. */
    static final String LOGGER_NAME = "dev.quiesce";
    private static final AtomicInteger IDS = new AtomicInteger();

    /** The default consumer: {@code report.toString()} at WARNING through {@link System.Logger}. */
    static final Consumer<StallReport> LOG = report ->
            System.getLogger(LOGGER_NAME).log(Level.WARNING, report.toString());

    private final ReaderRegistry registry;
    private final Consumer<StallReport> consumer;
    private final ThreadPoolExecutor executor;

    StallDispatcher(ReaderRegistry registry, Consumer<StallReport> consumer) {
        this.registry = registry;
        this.consumer = consumer;
        int id = IDS.incrementAndGet();
        this.executor = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "quiesce-stall-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** On the detecting (writer) thread: build the report, then dispatch it. Never throws. */
    @Override
    public void accept(StallInfo info) {
        StallReport report;
        try {
            report = build(info);
        } catch (Throwable t) {
            return; // a report is best effort: never disturb the writer
        }
        dispatch(report);
    }

    private StallReport build(StallInfo info) {
        List<StallReport.Reader> readers = new ArrayList<>(info.readers().size());
        for (StallInfo.Reader r : info.readers()) {
            Thread t = r.thread();
            int depth = r.depth();
            StackTraceElement[] stack = new StackTraceElement[0];
            if (t != null) {
                Reader mine = registry.readerOf(t);
                if (mine != null) {
                    /* Racy read of the owner's count: diagnostics only. */
                    depth = Math.max(1, mine.depth);
                }
                stack = t.getStackTrace();
            }
            readers.add(new StallReport.Reader(r.threadId(), r.threadName(), Duration.ofNanos(r.inSectionNanos()),
                    depth, r.kicks(), t != null, stack));
        }
        return new StallReport(info.gpNumber(), Duration.ofNanos(info.waitedNanos()),
                Duration.ofNanos(info.timeoutNanos()), info.policy(), info.fqsCause(), info.repeat(),
                Math.max(info.totalReaders(), readers.size()), readers);
    }

    /**
     * Where every stall report of the domain passes, on the detecting thread,
     * before its consumer runs: the place for other observers (a JFR event
     * commit is one line here; keep additions quick and non-blocking).
     */
    void dispatch(StallReport report) {
        // JFR: a dev.quiesce.Stall event while a recording has it enabled.
        JfrBridge.stall(registry.domain(), report.policy().name(), report.gpNumber(), report.waited().toNanos(),
                report.totalReaders(), report::toString);
        try {
            executor.execute(() -> deliver(report));
        } catch (RejectedExecutionException e) {
            /* Shut down with the domain: nobody to tell. */
        }
    }

    private void deliver(StallReport report) {
        try {
            consumer.accept(report);
        } catch (Throwable t) {
            System.err.println("quiesce: the stall consumer threw on:\n" + report);
            t.printStackTrace();
        }
    }

    /** The domain closed: deliver what is queued, then let the thread go. */
    void shutdown() {
        executor.shutdown();
    }
}
