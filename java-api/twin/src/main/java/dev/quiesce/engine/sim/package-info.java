/**
 * The deterministic step API of the Java twin: {@link dev.quiesce.engine.sim.Sim}
 * mirrors libquiesce's {@code qs_sim} (native/engine/sim.c), a whole RCU system
 * (readers, the synchronize writer, the call worker) over the engine machines
 * of {@code dev.quiesce.engine}, advanced only by explicit events
 * ({@link dev.quiesce.engine.sim.EventKind}). Its observable state
 * ({@link dev.quiesce.engine.sim.SimState}, {@link dev.quiesce.engine.sim.Effects})
 * is what the differential tests compare with the C engine's after every step.
 *
 * <p>Pure: no threads, clocks or system calls. Moved here from
 * {@code dev.quiesce.engine} when the twin became its own module
 * ({@code dev.quiesce.twin}).
 */
package dev.quiesce.engine.sim;
