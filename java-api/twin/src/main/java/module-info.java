/**
 * The Java twin of libquiesce's grace-period engine, and the tools of the
 * differential tests that compare the two: the step-API simulator
 * ({@code dev.quiesce.engine.sim}) over the engine machines of
 * {@code dev.quiesce}, and the differential runner, fuzzer, shrinker and
 * replay with their JNA view of the C engine ({@code dev.quiesce.engine.fuzz}).
 *
 * <p>Needs the JNA module ({@code com.sun.jna}) and, on JDK 22+,
 * {@code --enable-native-access=com.sun.jna}.
 */
module dev.quiesce.twin {
    requires dev.quiesce;
    requires com.sun.jna;

    exports dev.quiesce.engine.sim;
    exports dev.quiesce.engine.fuzz;

    // JNA calls back into NativeSim's callback interfaces reflectively.
    opens dev.quiesce.engine.fuzz to com.sun.jna;
}
