package dev.quiesce;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A stall warning: a grace period of an {@link RcuDomain} has waited longer
 * than the domain's {@linkplain RcuDomain.Builder#stallTimeout(Duration)
 * stall timeout}. Each stalled grace period is reported once at the timeout
 * and once more, with {@link #isRepeat()} set, at three times it (Linux's
 * habit); a grace period that ends before the timeout is never reported.
 * Delivered to the consumer given to
 * {@link RcuDomain.Builder#onStall(java.util.function.Consumer)}.
 *
 * <p>{@link #toString()} is the readable block the C library's default stall
 * handler prints ({@code qs_stall_report_format}), followed by the stack of
 * every Java reader thread:
 * <pre>
 * quiesce: grace period 42 stalled 1003 ms (policy FQS, fqs cause POLL_LIMIT, first report), 1 reader(s) holding it:
 *   reader tid 31 "worker-3": in section &gt;= 1002 ms, depth 2, kicked yes
 *       at com.example.Worker.parse(Worker.java:120)
 *       ...
 * </pre>
 *
 * <p>Immutable.
 */
public final class StallReport {

    /** One reader holding the stalled grace period. Immutable. */
    public static final class Reader {
        private final long threadId;
        private final String threadName;
        private final Duration inSection;
        private final int depth;
        private final boolean kicked;
        private final boolean javaThread;
        private final StackTraceElement[] stack;

        Reader(long threadId, String threadName, Duration inSection, int depth, boolean kicked,
               boolean javaThread, StackTraceElement[] stack) {
            this.threadId = threadId;
            this.threadName = Objects.requireNonNull(threadName, "threadName");
            this.inSection = Objects.requireNonNull(inSection, "inSection");
            this.depth = depth;
            this.kicked = kicked;
            this.javaThread = javaThread;
            this.stack = stack.clone();
        }

        /**
         * {@return the thread's id: {@code Thread.getId()} for a Java reader thread, the OS thread id
         * for a thread that registered through the C library directly}
         */
        public long threadId() {
            return threadId;
        }

        /**
         * {@return the thread's name (for a C thread its native name, possibly empty)}
         */
        public String threadName() {
            return threadName;
        }

        /**
         * {@return how long the reader has been inside its read section: a lower bound (the reader
         * has been inside at least since the grace period began)}
         */
        public Duration inSection() {
            return inSection;
        }

        /**
         * {@return the reader's nesting depth (1 for a single, unnested section)}
         */
        public int depth() {
            return depth;
        }

        /**
         * {@return whether a force notifier of this reader ran during the stalled grace period}
         */
        public boolean kicked() {
            return kicked;
        }

        /**
         * {@return whether the reader is a Java thread registered through {@link RcuDomain}}
         */
        public boolean isJavaThread() {
            return javaThread;
        }

        /**
         * {@return the reader thread's stack when the stall was reported, innermost frame first, for
         * a Java reader thread; empty for a C thread}
         */
        public StackTraceElement[] stack() {
            return stack.clone();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            appendTo(b);
            return b.toString();
        }

        void appendTo(StringBuilder b) {
            b.append("  reader tid ").append(threadId).append(" \"").append(threadName).append("\": in section >= ")
                    .append(inSection.toMillis()).append(" ms, depth ").append(depth).append(", kicked ")
                    .append(kicked ? "yes" : "no").append('\n');
            for (StackTraceElement e : stack) {
                b.append("      at ").append(e).append('\n');
            }
        }
    }

    private final long gpNumber;
    private final Duration waited;
    private final Policy policy;
    private final Stats.FqsCause fqsCause;
    private final boolean repeat;
    private final List<Reader> readers;

    StallReport(long gpNumber, Duration waited, Policy policy, Stats.FqsCause fqsCause, boolean repeat,
                List<Reader> readers) {
        this.gpNumber = gpNumber;
        this.waited = Objects.requireNonNull(waited, "waited");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.fqsCause = Objects.requireNonNull(fqsCause, "fqsCause");
        this.repeat = repeat;
        this.readers = List.copyOf(readers);
    }

    /**
     * {@return the number of the stalled grace period (unsigned; see {@link GpState})}
     */
    public long gpNumber() {
        return gpNumber;
    }

    /**
     * {@return the cookie that reads done once the stalled grace period has completed}
     */
    public GpState gpState() {
        return GpState.of(gpNumber);
    }

    /**
     * {@return how long the grace period had waited when the report was made}
     */
    public Duration waited() {
        return waited;
    }

    /**
     * {@return the domain's grace-period policy}
     */
    public Policy policy() {
        return policy;
    }

    /**
     * {@return why the grace period entered the force-quiescent state; {@link Stats.FqsCause#NONE}
     * if it has not}
     */
    public Stats.FqsCause fqsCause() {
        return fqsCause;
    }

    /**
     * {@return {@code false} for the report at the stall timeout, {@code true} for the repeat at three
     * times it}
     */
    public boolean isRepeat() {
        return repeat;
    }

    /**
     * {@return the readers still holding the grace period (may be empty if they left just before the
     * report was made)}
     */
    public List<Reader> readers() {
        return readers;
    }

    /** The readable block described in the class comment. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append("quiesce: grace period ").append(Long.toUnsignedString(gpNumber)).append(" stalled ")
                .append(waited.toMillis()).append(" ms (policy ").append(policy).append(", fqs cause ")
                .append(fqsCause).append(", ").append(repeat ? "repeat" : "first").append(" report), ")
                .append(readers.size()).append(" reader(s) holding it:\n");
        for (Reader r : readers) {
            r.appendTo(b);
        }
        return b.toString();
    }
}
