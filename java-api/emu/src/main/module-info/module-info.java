/**
 * The emulator of quiesce, scripted from Java: machines with vCPU threads
 * reading guest memory under RCU and a virtio-gpu device whose blob unmap
 * waits for RCU reclamation (FFM, JDK 23+; start at
 * {@link dev.quiesce.emu.Machine}), and a pure-Java model of that device's
 * decoding and blob state machine ({@code dev.quiesce.emu.model}).
 *
 * <p>Run with
 * {@code --enable-native-access=dev.quiesce,dev.quiesce.bindings,dev.quiesce.emu}
 * on the module path. Compiled at release 17, on its own and after all
 * classes, like {@code dev.quiesce}'s descriptor (see quiesce-core's pom.xml).
 */
module dev.quiesce.emu {
    // Machine.Builder takes a dev.quiesce.Policy, the stats carry dev.quiesce.Stats
    requires transitive dev.quiesce;
    requires dev.quiesce.bindings;

    exports dev.quiesce.emu;
    exports dev.quiesce.emu.model;
}
