package dev.quiesce.examples.cli;

import java.io.PrintWriter;

/**
 * A live progress line on the error stream: redrawn in place on a terminal,
 * printed only when a step finishes otherwise (so logs stay readable).
 */
final class Progress {

    private final PrintWriter err;
    private final boolean live;
    private long lastDraw;
    private int lastWidth;

    Progress(PrintWriter err) {
        this(err, System.console() != null);
    }

    Progress(PrintWriter err, boolean live) {
        this.err = err;
        this.live = live;
    }

    /** Redraws the line (at most 10 times a second unless {@code force}). */
    void update(String line, boolean force) {
        if (!live) {
            return;
        }
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        String pad = line.length() < lastWidth ? " ".repeat(lastWidth - line.length()) : "";
        err.print("\r" + line + pad);
        err.flush();
        lastWidth = line.length();
    }

    /** Ends the current line with {@code line} (always printed). */
    void done(String line) {
        if (live) {
            String pad = line.length() < lastWidth ? " ".repeat(lastWidth - line.length()) : "";
            err.print("\r" + line + pad + "\n");
        } else {
            err.println(line);
        }
        err.flush();
        lastWidth = 0;
    }

    /** A bar of {@code width} cells, {@code done} of {@code total} filled. */
    static String bar(long done, long total, int width) {
        int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }
}
