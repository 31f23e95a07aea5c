package dev.quiesce.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event {@code dev.quiesce.CallbackBatch}: a batch of RCU callbacks the domain's worker ran after a grace period, committed after the last one.
 */
@Name("dev.quiesce.CallbackBatch")
@Label("Callback Batch")
@Description("A batch of RCU callbacks the domain's worker ran after a grace period, committed after the last one")
@Category({"quiesce"})
@StackTrace(false)
public final class CallbackBatchEvent extends Event {

    /** The domain ({@code RcuDomain.toString()}). */
    @Label("Domain")
    @Description("The domain the event belongs to")
    public String domain;

    /** Callbacks in the batch. */
    @Label("Count")
    @Description("Callbacks in the batch")
    public int count;

    /** How long the batch ran, ns. */
    @Label("Batch Duration")
    @Description("From the first callback's start to the last one's end")
    @Timespan(Timespan.NANOSECONDS)
    public long batchDuration;

    /** Creates an empty event (fields are set before commit). */
    public CallbackBatchEvent() {
    }
}
