/**
 * The service-provider interface between the {@link dev.quiesce.RcuDomain}
 * facade and the implementations that run RCU: FFM ({@code dev.quiesce.ffm}),
 * JNA ({@code dev.quiesce.jna}) and pure Java ({@code dev.quiesce.purejava}).
 *
 * <p>Three interfaces, one per object of the C contract in
 * {@code <quiesce/domain.h>}:
 * <ul>
 *   <li>{@link dev.quiesce.spi.RcuBackend}: a factory, found by class name
 *       ({@link dev.quiesce.Backend#implementationClass()}) and created with
 *       its public no-argument constructor;
 *   <li>{@link dev.quiesce.spi.BackendDomain}: one {@code qs_domain};
 *   <li>{@link dev.quiesce.spi.BackendReader}: one thread's {@code qs_reader}.
 * </ul>
 *
 * <p>Division of labour: the facade checks every precondition it can (null
 * arguments, nesting, out-of-order section close, synchronize or drain inside
 * a section, use after close, one reader per thread), wraps user callbacks and
 * notifiers so that they never throw, and keeps the nesting count in Java.
 * A backend therefore receives only well-formed calls; it reports the errors
 * that remain by calling {@link dev.quiesce.ErrorCode#check(int, String)} with
 * the C-style negative errno, so that every backend fails alike.
 *
 * <p>Not an API for applications: it may change between versions.
 */
package dev.quiesce.spi;
