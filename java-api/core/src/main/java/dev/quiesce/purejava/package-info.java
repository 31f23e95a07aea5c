/**
 * A pure-Java RCU runtime with QEMU's semantics (no native code): domains
 * ({@link dev.quiesce.purejava.PureDomain}), per-thread readers with
 * nestable sections ({@link dev.quiesce.purejava.PureReader}), an expedited
 * {@code synchronize()}, {@code call()} with an MPSC queue and one worker
 * thread (FIFO, exactly once), {@code drain()}, {@code force()}, force
 * notifiers, both policies (FQS, LEGACY) and the counters of
 * {@code qs_stats}.
 *
 * <p>It is the Java counterpart of native/runtime/domain.c: every decision
 * is taken by the engine's machines ({@link dev.quiesce.engine.GpMachine},
 * {@link dev.quiesce.engine.WorkerMachine}); this package only performs the
 * answers with Java locks, a small manual-reset event, VarHandle fences
 * (Java has no {@code membarrier(2)}: the read side always uses full fences;
 * the ordering argument is written in {@link dev.quiesce.purejava.PureReader})
 * and clocks.
 *
 * <p>{@link dev.quiesce.purejava.PureJavaBackend} plugs it into the
 * {@code dev.quiesce} facade as the pure-Java backend.
 */
package dev.quiesce.purejava;
