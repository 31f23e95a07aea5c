package dev.quiesce.purejava;

/** Padding after a reader record's hot fields (see {@link ReaderPadBefore}). */
abstract class ReaderPadAfter extends ReaderHotFields {
    long p10, p11, p12, p13, p14, p15, p16, p17;
}
