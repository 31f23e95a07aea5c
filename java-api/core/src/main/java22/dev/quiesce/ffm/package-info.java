/**
 * The FFM backend: libquiesce through the jextract bindings
 * ({@code dev.quiesce.bindings}), JDK 23+.
 *
 * <p>The read side runs on the thread's native {@code qs_reader} record
 * through a {@link java.lang.foreign.MemorySegment}, without a downcall
 * ({@link dev.quiesce.ffm.FfmReadSide}). Needs native access:
 * {@code --enable-native-access=dev.quiesce,dev.quiesce.bindings} on the module path,
 * {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
package dev.quiesce.ffm;
