package dev.quiesce.emu;

import java.time.Duration;
import java.util.Objects;

/**
 * What the vCPUs of a machine do inside their read sections: guest memory
 * accesses through the current view of the address space (a {@code writePercent}
 * share of them stores), a pause between sections, guest RAM mapped at
 * address 0, the workload's random seed, and whether a kicked vCPU yields the
 * CPU once before re-entering (as a kicked QEMU vCPU goes off to take the big
 * lock and run queued work, letting the woken writer run).
 *
 * @param writePercent percent of guest accesses that store (0..100)
 * @param pause        sleep between sections ({@link Duration#ZERO}: re-enter at once)
 * @param ramSize      bytes of guest RAM mapped at address 0 (0: none)
 * @param seed         the workload's PRNG seed
 * @param yieldOnKick  whether a section ended by a kick is followed by one yield
 */
public record Workload(int writePercent, Duration pause, long ramSize, long seed, boolean yieldOnKick) {

    /** 10% writes, no pause, 1 MiB of RAM, yield on kick: {@code qs_machine_config_init}'s workload. */
    public static final Workload DEFAULT = new Workload(10, Duration.ZERO, 1L << 20, 0x9e3779b97f4a7c15L, true);

    /**
     * Checks the ranges.
     *
     * @throws IllegalArgumentException for a write share outside 0..100 or a negative pause or RAM size
     */
    public Workload {
        Objects.requireNonNull(pause, "pause");
        if (writePercent < 0 || writePercent > 100) {
            throw new IllegalArgumentException("writePercent must be 0..100: " + writePercent);
        }
        if (pause.isNegative() || ramSize < 0) {
            throw new IllegalArgumentException("pause and ramSize must not be negative");
        }
    }

    /**
     * Loads only.
     *
     * @return the workload
     */
    public static Workload readOnly() {
        return DEFAULT.withWritePercent(0);
    }

    /**
     * With another write share.
     *
     * @param percent the percent
     * @return a copy with that change
     */
    public Workload withWritePercent(int percent) {
        return new Workload(percent, pause, ramSize, seed, yieldOnKick);
    }

    /**
     * With a pause between sections.
     *
     * @param between the between
     * @return a copy with that change
     */
    public Workload withPause(Duration between) {
        return new Workload(writePercent, between, ramSize, seed, yieldOnKick);
    }

    /**
     * With another RAM size.
     *
     * @param bytes the bytes
     * @return a copy with that change
     */
    public Workload withRamSize(long bytes) {
        return new Workload(writePercent, pause, bytes, seed, yieldOnKick);
    }

    /**
     * With another seed.
     *
     * @param value the new value
     * @return a copy with that change
     */
    public Workload withSeed(long value) {
        return new Workload(writePercent, pause, ramSize, value, yieldOnKick);
    }

    /**
     * With or without the yield after a kick.
     *
     * @param yield the yield
     * @return a copy with that change
     */
    public Workload withYieldOnKick(boolean yield) {
        return new Workload(writePercent, pause, ramSize, seed, yield);
    }
}
