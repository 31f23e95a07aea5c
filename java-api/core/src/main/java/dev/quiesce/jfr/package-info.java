/**
 * JDK Flight Recorder events of quiesce domains: {@link dev.quiesce.jfr.GracePeriodEvent}
 * ({@code dev.quiesce.GracePeriod}), {@link dev.quiesce.jfr.StallEvent}
 * ({@code dev.quiesce.Stall}), {@link dev.quiesce.jfr.ForceEvent}
 * ({@code dev.quiesce.Force}) and {@link dev.quiesce.jfr.CallbackBatchEvent}
 * ({@code dev.quiesce.CallbackBatch}), category "quiesce".
 *
 * <p>The events are recorded only while a recording runs: domains install
 * their writer-side observer when the first recording starts and remove it
 * when the last one stops, so with no recording the only cost is one
 * relaxed load per grace period, callback batch and {@code force()} in the
 * library. The read side is never involved. Grace-period and batch events
 * are committed when the GP (batch) ends; their own duration is 0 and the
 * measured time is a field.
 *
 * <p>Settings: {@code quiesce.jfc} in this package (the jar's
 * {@code dev/quiesce/jfr/quiesce.jfc}) enables all four; see README.md.
 */
package dev.quiesce.jfr;
