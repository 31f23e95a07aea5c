/**
 * The JNA backend: libquiesce through JNA direct mapping. Runs on any JDK 17+
 * with {@code net.java.dev.jna:jna} on the class path. Every read-side lock
 * and unlock is one native call ({@code qs_read_lock_fn} /
 * {@code qs_read_unlock_fn}).
 */
package dev.quiesce.jna;
