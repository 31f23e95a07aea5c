package dev.quiesce.examples.cli;

import dev.quiesce.Policy;

/** The three configurations the stall experiment compares. */
enum StallMode {
    /** The RCU before QEMU 55d98e3ede: every reader on the slow path, GPs start late, no kicks. */
    LEGACY("LEGACY", Policy.LEGACY, false, "#d62728"),
    /** The seed: free polling first, kicks once the poll limit is reached. */
    FQS("FQS", Policy.FQS, false, "#1f77b4"),
    /** The seed plus QEMU's follow-up: unmap calls force_rcu, so the GP kicks busy vCPUs at once. */
    FQS_FORCE("FQS+force", Policy.FQS, true, "#2ca02c");

    final String label;
    final Policy policy;
    final boolean forceOnUnmap;
    final String color;

    StallMode(String label, Policy policy, boolean forceOnUnmap, String color) {
        this.label = label;
        this.policy = policy;
        this.forceOnUnmap = forceOnUnmap;
        this.color = color;
    }

    static StallMode parse(String s) {
        for (StallMode m : values()) {
            if (m.label.equalsIgnoreCase(s.trim()) || m.name().equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + s + "' (LEGACY, FQS, FQS+force)");
    }
}
