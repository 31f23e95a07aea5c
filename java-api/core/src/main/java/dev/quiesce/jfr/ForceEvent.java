package dev.quiesce.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;


/**
 * JFR event {@code dev.quiesce.Force}: a force() call: the current (or next) grace period enters the force-quiescent state and kicks busy readers.
 */
@Name("dev.quiesce.Force")
@Label("Force")
@Description("A force() call: the current (or next) grace period enters the force-quiescent state and kicks busy readers")
@Category({"quiesce"})
@StackTrace(false)
public final class ForceEvent extends Event {

    /** The domain ({@code RcuDomain.toString()}). */
    @Label("Domain")
    @Description("The domain the event belongs to")
    public String domain;

    /** The domain policy: FQS or LEGACY (where force() does nothing). */
    @Label("Policy")
    @Description("The domain's grace-period policy: FQS, or LEGACY where force() has no effect")
    public String policy;

    /** Creates an empty event (fields are set before commit). */
    public ForceEvent() {
    }
}
