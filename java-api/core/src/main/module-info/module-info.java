/**
 * quiesce: userspace RCU (QEMU's force-quiescent-state design) for Java.
 *
 * <p>Start at {@link dev.quiesce.RcuDomain}. Backends: FFM (JDK 23+, this
 * module plus {@code dev.quiesce.bindings}; run with
 * {@code --enable-native-access=dev.quiesce,dev.quiesce.bindings}), JNA
 * (optional {@code com.sun.jna} module: add {@code --add-modules com.sun.jna}
 * and, on JDK 22+, {@code com.sun.jna} to the native-access list), pure Java.
 * The bundled libquiesce comes from {@code dev.quiesce.nativelib}.
 *
 * <p>Exports {@code dev.quiesce} and {@code dev.quiesce.spi} to everyone; the
 * engine machines, the native loader and the FFM backend only to the other
 * quiesce modules ({@code dev.quiesce.twin}, {@code dev.quiesce.emu}), which
 * need not be present: the descriptor names them, hence
 * {@code @SuppressWarnings("module")}.
 *
 * <p>Compiled at release 17, on its own and after all classes (see pom.xml):
 * Maven may run on JDK 17, whose jar tool and plexus-java read this
 * descriptor; the classes of src/main/java22 (release 23) are only loaded on
 * JDK 23+. javac counts every class in the output directory as the module's
 * content and writes no ModulePackages attribute; the jar tool adds one,
 * computed from the whole jar.
 */
@SuppressWarnings("module")
module dev.quiesce {
    requires static com.sun.jna;
    requires dev.quiesce.bindings;
    requires dev.quiesce.nativelib;
    // JFR events (dev.quiesce.jfr): the event classes extend jdk.jfr.Event.
    requires transitive jdk.jfr;

    exports dev.quiesce;
    exports dev.quiesce.spi;
    exports dev.quiesce.jfr;
    exports dev.quiesce.trace;

    // The Java engine machines, which the pure-Java backend runs: the twin
    // (quiesce-twin) drives them step by step against the C engine.
    exports dev.quiesce.engine to dev.quiesce.twin;
    // The native loader (both), and the FFM backend, whose domains the
    // emulator's machines run on (quiesce-emu).
    exports dev.quiesce.internal to dev.quiesce.twin, dev.quiesce.emu;
    exports dev.quiesce.ffm to dev.quiesce.emu;

    // JNA binds JnaLib's native methods and calls back into its callback
    // interfaces reflectively.
    opens dev.quiesce.jna to com.sun.jna;
}
