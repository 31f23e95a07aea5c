package dev.quiesce.purejava;

/**
 * A reader record's shared fields, grouped by who writes them:
 * <ul>
 *   <li>{@code depth}: the owning thread only (plain);
 *   <li>{@code ctr}: the owner (lock/unlock), read by the writer;
 *   <li>{@code waiting}: set by the writer, cleared by the owner (or the writer's scan);
 *   <li>{@code slowUnlocks}: the owner writes (opaque), stats readers read.
 * </ul>
 * Accessed through the VarHandles of {@link PureReader}.
 */
abstract class ReaderHotFields extends ReaderPadBefore {
    /** 0 outside; the domain's gpCtr snapshot inside. Release stores, acquire loads. */
    long ctr;
    /** Nesting depth; owner only. */
    int depth;
    /** Non-zero: wake the writer on the outermost unlock. */
    int waiting;
    /** Unlocks that took the slow path (opaque). */
    long slowUnlocks;
}
