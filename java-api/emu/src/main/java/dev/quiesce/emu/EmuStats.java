package dev.quiesce.emu;

import dev.quiesce.Stats;

/**
 * One snapshot of everything the emulator counts ({@code qs_emu_stats}):
 * the vCPUs, the virtio-gpu device and the RCU domain beneath them.
 *
 * @param machine the vCPU counters
 * @param gpu     the device's counters
 * @param rcu     the RCU domain's counters (grace periods, FQS entries, slow-path unlocks, ...)
 */
public record EmuStats(MachineStats machine, GpuStats gpu, Stats rcu) {

    /**
     * Reader slow-path unlocks per grace period (0 when no grace period completed).
     *
     * @return the slow unlocks per gp
     */
    public double slowUnlocksPerGp() {
        return rcu.gps() == 0 ? 0 : (double) rcu.slowUnlocks() / rcu.gps();
    }
}
