/**
 * Differential testing of the Java twin against the C engine.
 *
 * <ul>
 *   <li>{@link dev.quiesce.engine.fuzz.NativeSim}: the C step API
 *       ({@code qs_sim_*}) through JNA, read into the twin's value types with
 *       field offsets from the library's own {@code qs_layout_offsetof};
 *   <li>{@link dev.quiesce.engine.fuzz.DiffRunner}: one scenario on both,
 *       compared after every step, with a field-by-field diff
 *       ({@link dev.quiesce.engine.fuzz.StateDiff});
 *   <li>{@link dev.quiesce.engine.fuzz.DiffFuzz} (command line): random
 *       scenarios for a time or a count, progress line, shrunk
 *       counterexample written to a file;
 *       {@link dev.quiesce.engine.fuzz.DiffReplay} replays such files.
 * </ul>
 *
 * <p>Scenario file format: see {@link dev.quiesce.engine.fuzz.Scenario}.
 *
 * <p>Harness strength: the tests inject known mistakes into the Java twin
 * and check that the differential run finds each (FaultDetectionTest, which
 * prints a table). With the fuzzer's generator (1..120 events per scenario,
 * seeds from 1), on this project's 2-core machine:
 * <pre>
 * fault                        what it breaks                              sequences  steps  shrunk to
 * FQS_NEVER_SETS_WAITING       FQS never sets `waiting`                            2    114   3 events
 * NOTIFY_IN_NORMAL             notifiers fired in the normal state                 2    114   3 events
 * BLOCKING_WRONG_COUNTER       blocking test uses ctr != 0, not != gp_ctr        113   6628   6 events
 * CALLBACKS_COUNTED_EARLY      callbacks counted before the GP ends                2    114   3 events
 * LEGACY_PREPOLL_SKIPPED       LEGACY pre-poll skipped                             1      5   1 event
 * FORCE_NOT_CLEARED            force flag not cleared at GP end                    2    123   2 events
 * THRESHOLD_OFF_BY_ONE         threshold trigger uses &gt; not &gt;=                   4    236   3 events
 * NESTED_UNLOCK_ENDS_SECTION   nested unlock clears ctr                            1     30   4 events
 * </pre>
 * Every fault is found in well under a second.
 */
package dev.quiesce.engine.fuzz;
