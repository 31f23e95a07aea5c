/**
 * libquiesce as a resource: {@code dev/quiesce/native/<platform>/libquiesce.so}.
 *
 * <p>No packages and no code. {@code dev.quiesce} requires this module so that
 * the jar is resolved on the module path, and its loader finds the library
 * through the class loader: a resource outside any package (the path holds
 * {@code native}, a keyword, and {@code linux-x86_64}) is not encapsulated.
 *
 * <p>Compiled at release 17 (see pom.xml): the descriptor must be readable by
 * the JDK 17 that Maven may run on (jar tool, plexus-java).
 */
module dev.quiesce.nativelib {
}
