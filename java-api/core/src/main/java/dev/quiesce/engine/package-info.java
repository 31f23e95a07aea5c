/**
 * The Java twin of libquiesce's pure grace-period engine
 * (native/include/quiesce/engine.h, native/engine/gp.c and sim.c).
 *
 * <p>Same names, same C values (every enum's ordinal is its C value), same
 * transition structure, function for function; each method's comment names
 * the C function it mirrors, so traces of the two read side by side:
 * <ul>
 *   <li>{@link dev.quiesce.engine.GpMachine} = {@code qs_gp}: when to poll,
 *       when to force, when a grace period is over;
 *   <li>{@link dev.quiesce.engine.WorkerMachine} = {@code qs_worker}: when
 *       the call worker starts a grace period and for how many callbacks;
 *   <li>{@code dev.quiesce.engine.sim.Sim} (module {@code dev.quiesce.twin}) = {@code qs_sim}: a whole RCU system
 *       advanced by explicit events, whose observable state
 *       ({@code SimState}, {@code Effects})
 *       the differential tests compare with the C engine's after every step.
 * </ul>
 *
 * <p>Pure: no threads, clocks or system calls. The pure-Java runtime
 * ({@code dev.quiesce.purejava}) takes every decision through these machines.
 * The differential fuzzer and the JNA view of the C engine live in
 * {@code dev.quiesce.engine.fuzz} (module {@code dev.quiesce.twin}). This
 * package is exported to that module only.
 */
package dev.quiesce.engine;
