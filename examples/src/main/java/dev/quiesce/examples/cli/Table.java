package dev.quiesce.examples.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table: a header row, then rows; the first column left-aligned, the others right-aligned. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols && i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int n = 0; n < rows.size(); n++) {
            String[] r = rows.get(n);
            StringBuilder b = new StringBuilder("  ");
            for (int i = 0; i < cols; i++) {
                String cell = i < r.length ? r[i] : "";
                String pad = " ".repeat(width[i] - cell.length());
                b.append(i == 0 ? cell + pad : pad + cell);
                if (i < cols - 1) {
                    b.append("  ");
                }
            }
            out.println(b.toString().stripTrailing());
            if (n == 0) {
                int total = 0;
                for (int w : width) {
                    total += w + 2;
                }
                out.println("  " + "-".repeat(total - 2));
            }
        }
        out.flush();
    }

    /** Milliseconds with three decimals. */
    static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    /** Nanoseconds with one decimal. */
    static String ns(double nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f ns", nanos);
    }
}
