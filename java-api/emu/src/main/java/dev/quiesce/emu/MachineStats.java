package dev.quiesce.emu;

/**
 * A machine's counters ({@code qs_machine_stats}).
 *
 * @param vcpus   vCPU threads configured
 * @param running whether they run
 * @param total   sums over the vCPUs (see {@link VcpuStats})
 */
public record MachineStats(int vcpus, boolean running, VcpuStats total) {
}
