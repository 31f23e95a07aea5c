package dev.quiesce.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event {@code dev.quiesce.Stall}: a grace period that has waited longer than the domain's stall timeout, committed when the stall was reported.
 */
@Name("dev.quiesce.Stall")
@Label("Grace Period Stall")
@Description("A grace period that has waited longer than the domain's stall timeout, committed when the stall was reported")
@Category({"quiesce"})
@StackTrace(false)
public final class StallEvent extends Event {

    /** The domain ({@code RcuDomain.toString()}). */
    @Label("Domain")
    @Description("The domain the event belongs to")
    public String domain;

    /** The stalled GP number. */
    @Label("GP Number")
    @Description("The number of the grace period that stalled")
    public long number;

    /** How long the GP had waited when the stall was reported, ns. */
    @Label("Waited")
    @Description("How long the grace period had waited when the stall was reported")
    @Timespan(Timespan.NANOSECONDS)
    public long waited;

    /** The domain policy: FQS or LEGACY. */
    @Label("Policy")
    @Description("The domain's grace-period policy: FQS or LEGACY")
    public String policy;

    /** Readers still blocking the GP. */
    @Label("Blocking Readers")
    @Description("Readers still inside a section that began before the grace period")
    public int blockingReaders;

    /** The stall report, as printed. */
    @Label("Report")
    @Description("The stall report as text (the blocking readers and their threads)")
    public String report;

    /** Creates an empty event (fields are set before commit). */
    public StallEvent() {
    }
}
