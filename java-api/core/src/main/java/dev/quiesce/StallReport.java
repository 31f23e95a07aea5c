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
 * handler prints ({@code qs_stall_report_format}), with the stack of every
 * Java reader thread after its line:
 * <pre>
 * quiesce: grace period 42 stalled for 1003 ms (report 1 of 2, stall timeout 1000 ms)
 *   policy FQS, state FORCED, FQS cause POLL_LIMIT
 *   1 reader(s) holding it:
 *     tid 31 "worker-3": inside the section for &gt;= 1002 ms, depth 2, kicked by notifiers 1 time(s)
 *       at com.example.Worker.parse(Worker.java:120)
 *       ...
 * </pre>
 * For a Java reader thread the tid is its {@link Reader#threadId()} and the
 * name and depth are Java's; for a thread that registered through the C
 * library directly they are the kernel's and the C read side's.
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
        private final long kicks;
        private final boolean javaThread;
        private final StackTraceElement[] stack;

        Reader(long threadId, String threadName, Duration inSection, int depth, long kicks,
               boolean javaThread, StackTraceElement[] stack) {
            this.threadId = threadId;
            this.threadName = Objects.requireNonNull(threadName, "threadName");
            this.inSection = Objects.requireNonNull(inSection, "inSection");
            this.depth = depth;
            this.kicks = kicks;
            this.javaThread = javaThread;
            this.stack = stack.clone();
        }

        /**
         * {@return the thread's id: {@code Thread.getId()} for a Java reader thread, the kernel thread
         * id for a thread that registered through the C library directly}
         */
        public long threadId() {
            return threadId;
        }

        /**
         * {@return the thread's name (for a C thread its kernel name, possibly {@code "?"})}
         */
        public String threadName() {
            return threadName;
        }

        /**
         * {@return how long the reader has been inside its read section: a lower bound, measured
         * from when the grace period first saw the section blocking it}
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
            return kicks > 0;
        }

        /**
         * {@return how many force-notifier calls this reader got during the stalled grace period}
         */
        public long kicks() {
            return kicks;
        }

        /**
         * {@return whether the reader is a Java thread (registered through {@link RcuDomain})}
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

        /** This reader's lines of the block in {@link StallReport#toString()}. */
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            appendTo(b);
            return b.toString();
        }

        void appendTo(StringBuilder b) {
            b.append("    tid ").append(threadId).append(" \"").append(threadName)
                    .append("\": inside the section for >= ").append(inSection.toMillis()).append(" ms, depth ")
                    .append(depth).append(", kicked by notifiers ").append(kicks).append(" time(s)\n");
            for (StackTraceElement e : stack) {
                b.append("      at ").append(e).append('\n');
            }
        }
    }

    private final long gpNumber;
    private final Duration waited;
    private final Duration timeout;
    private final Policy policy;
    private final Stats.FqsCause fqsCause;
    private final boolean repeat;
    private final int totalReaders;
    private final List<Reader> readers;

    StallReport(long gpNumber, Duration waited, Duration timeout, Policy policy, Stats.FqsCause fqsCause,
                boolean repeat, int totalReaders, List<Reader> readers) {
        this.gpNumber = gpNumber;
        this.waited = Objects.requireNonNull(waited, "waited");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.fqsCause = Objects.requireNonNull(fqsCause, "fqsCause");
        this.repeat = repeat;
        this.totalReaders = totalReaders;
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
     * {@return how long the grace period had waited for readers when the report was made}
     */
    public Duration waited() {
        return waited;
    }

    /**
     * {@return the domain's stall timeout}
     */
    public Duration stallTimeout() {
        return timeout;
    }

    /**
     * {@return the domain's grace-period policy}
     */
    public Policy policy() {
        return policy;
    }

    /**
     * {@return why the grace period entered the force-quiescent state; {@link Stats.FqsCause#NONE}
     * if it has not (always under {@link Policy#LEGACY})}
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
     * {@return how many readers hold the grace period ({@link #readers()} may list fewer: the C
     * library lists at most 32)}
     */
    public int totalReaders() {
        return totalReaders;
    }

    /**
     * {@return the readers holding the grace period}
     */
    public List<Reader> readers() {
        return readers;
    }

    /* The writer machine's state, from policy and cause (FQS: FORCED once a cause is set). */
    private String state() {
        if (policy == Policy.LEGACY) {
            return "LEGACY";
        }
        return fqsCause == Stats.FqsCause.NONE ? "NORMAL" : "FORCED";
    }

    /** The readable block described in the class comment. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append("quiesce: grace period ").append(Long.toUnsignedString(gpNumber)).append(" stalled for ")
                .append(waited.toMillis()).append(" ms (report ").append(repeat ? 2 : 1)
                .append(" of 2, stall timeout ").append(timeout.toMillis()).append(" ms)\n");
        b.append("  policy ").append(policy).append(", state ").append(state()).append(", FQS cause ")
                .append(fqsCause).append('\n');
        b.append("  ").append(totalReaders).append(" reader(s) holding it:\n");
        for (Reader r : readers) {
            r.appendTo(b);
        }
        if (readers.size() < totalReaders) {
            b.append("    ... and ").append(totalReaders - readers.size()).append(" more\n");
        }
        return b.toString();
    }
}
