/**
 * The jextract bindings to libquiesce (package {@code dev.quiesce.bindings}),
 * used by {@code dev.quiesce}'s FFM backend. Not generated: bindings/regenerate
 * rewrites only the package directory.
 *
 * <p>Compiled on its own at release 17, the rest of this module at 23 (see
 * pom.xml): Maven may run on JDK 17, whose jar tool and plexus-java must read
 * the descriptor. The classes themselves still need JDK 23+.
 */
module dev.quiesce.bindings {
    exports dev.quiesce.bindings;
}
