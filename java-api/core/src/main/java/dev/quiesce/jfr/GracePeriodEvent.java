package dev.quiesce.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event {@code dev.quiesce.GracePeriod}: one RCU grace period, committed when it ended (on the thread that ran it).
 */
@Name("dev.quiesce.GracePeriod")
@Label("Grace Period")
@Description("One RCU grace period, committed when it ended (on the thread that ran it)")
@Category({"quiesce"})
@StackTrace(false)
public final class GracePeriodEvent extends Event {

    /** The domain ({@code RcuDomain.toString()}). */
    @Label("Domain")
    @Description("The domain the event belongs to")
    public String domain;

    /** The GP number, 1, 2, ... in start order per domain. */
    @Label("Number")
    @Description("The grace period number, 1, 2, ... in start order per domain")
    public long number;

    /** How long the grace period took, ns. */
    @Label("GP Duration")
    @Description("From the grace period's start (the counter advance) to its end")
    @Timespan(Timespan.NANOSECONDS)
    public long gpDuration;

    /** The domain policy: FQS or LEGACY. */
    @Label("Policy")
    @Description("The domain's grace-period policy: FQS or LEGACY")
    public String policy;

    /** Whether the GP entered the force-quiescent state. */
    @Label("Entered FQS")
    @Description("Whether the grace period entered the force-quiescent state")
    public boolean enteredFqs;

    /** Why it entered FQS (NONE if it did not). */
    @Label("FQS Cause")
    @Description("Why it entered FQS: EXPEDITED, FORCE, DRAIN, THRESHOLD, POLL_LIMIT; NONE if it did not")
    public String cause;

    /** Readers the first scan found in a section older than the GP. */
    @Label("Readers Waited For")
    @Description("Readers its first scan found inside a section that began before it (0: no wait)")
    public int readersWaited;

    /** Whether a direct synchronize() waited for it. */
    @Label("Expedited")
    @Description("Whether a direct synchronize() caller waited for it")
    public boolean expedited;

    /** Poll periods slept in the normal state. */
    @Label("Polls")
    @Description("Poll periods it slept in the normal state")
    public int polls;

    /** Force notifiers fired. */
    @Label("Notifier Calls")
    @Description("Force notifiers it fired (the kicks of busy readers)")
    public int notifierCalls;

    /** Creates an empty event (fields are set before commit). */
    public GracePeriodEvent() {
    }
}
