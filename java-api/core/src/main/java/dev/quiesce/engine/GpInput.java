package dev.quiesce.engine;

/**
 * What the writer sees of the world when it decides ({@code qs_gp_input}).
 * The counts are C {@code uint32_t}, compared unsigned.
 *
 * @param remaining readers still blocking after this scan
 * @param pending   callbacks queued and not yet run
 * @param draining  drains in progress
 * @param forced    force() requested since the last GP ended
 */
public record GpInput(int remaining, int pending, int draining, boolean forced) {
}
