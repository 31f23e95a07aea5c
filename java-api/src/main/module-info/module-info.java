/**
 * quiesce: userspace RCU (QEMU's force-quiescent-state design) for Java.
 *
 * <p>Start at {@link dev.quiesce.RcuDomain}. Backends: FFM (this module plus
 * {@code dev.quiesce.bindings}; run with
 * {@code --enable-native-access=dev.quiesce,dev.quiesce.bindings}), JNA
 * (optional {@code com.sun.jna} module), pure Java.
 *
 * <p>This descriptor is compiled at release 23: on JDK 17 and 21 put the jar
 * on the class path (the JNA and pure-Java backends work there).
 */
module dev.quiesce {
    requires static com.sun.jna;
    requires dev.quiesce.bindings;

    exports dev.quiesce;
    exports dev.quiesce.spi;

    // JNA binds JnaLib's native methods and calls back into its callback
    // interfaces reflectively.
    opens dev.quiesce.jna to com.sun.jna;
    opens dev.quiesce.engine.fuzz to com.sun.jna;
}
