package dev.quiesce.purejava;

/**
 * Padding before a reader record's hot fields ({@link ReaderHotFields}), so
 * the records of different readers never share a cache line: the writer's
 * scan and a reader's lock/unlock then touch only this reader's line.
 * Superclass fields are laid out first, which is what makes padding by
 * inheritance work.
 */
abstract class ReaderPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07;
}
