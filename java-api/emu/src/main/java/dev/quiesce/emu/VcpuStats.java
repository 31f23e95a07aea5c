package dev.quiesce.emu;

/**
 * One vCPU's counters, or the sum over a machine's vCPUs ({@code qs_vcpu_stats}).
 *
 * @param sections        read sections completed
 * @param kicks           exit requests set (force notifier, {@code kick})
 * @param kickedExits     sections that ended because of an exit request
 * @param nanosInSections total time inside read sections
 * @param maxSectionNanos longest section (for a sum: the maximum)
 * @param accesses        guest memory accesses through a view
 * @param unassigned      accesses that hit no mapping
 * @param poisonHits      reads that saw a released (poisoned) mapping: a use after free
 * @param inSection       1 while inside a section (for a sum: vCPUs inside one)
 */
public record VcpuStats(long sections, long kicks, long kickedExits, long nanosInSections, long maxSectionNanos,
                        long accesses, long unassigned, long poisonHits, int inSection) {
}
