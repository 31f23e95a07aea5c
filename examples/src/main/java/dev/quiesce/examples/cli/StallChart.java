package dev.quiesce.examples.cli;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The stall experiment's chart, as hand-written SVG: one column per mode,
 * side by side on a shared logarithmic latency axis; every unmap is a dot
 * (jittered sideways), with lines at p50 and p99 and a tick at the maximum.
 */
final class StallChart {

    private static final int WIDTH = 760;
    private static final int HEIGHT = 460;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 68;
    private static final int BOTTOM = 66;
    /* At most this many dots per column (evenly thinned beyond), to keep the file small. */
    private static final int MAX_DOTS = 400;

    private StallChart() {
    }

    static String svg(List<StallResult> results, String title, String subtitle) {
        long lo = Long.MAX_VALUE;
        long hi = 1;
        for (StallResult r : results) {
            for (long v : r.latencies()) {
                lo = Math.min(lo, Math.max(v, 1));
                hi = Math.max(hi, v);
            }
        }
        if (lo == Long.MAX_VALUE) {
            lo = 1_000;
        }
        // whole decades around the data, at least 10 us .. 10 ms
        double dLo = Math.min(4, Math.floor(Math.log10(lo)));
        double dHi = Math.max(7, Math.ceil(Math.log10(hi)));
        int plotH = HEIGHT - TOP - BOTTOM;
        int plotW = WIDTH - LEFT - RIGHT;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\">%n",
                WIDTH, HEIGHT, WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, HEIGHT));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>%n",
                LEFT, esc(title)));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"39\" fill=\"#555\">%s</text>%n", LEFT,
                esc(subtitle)));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"55\" fill=\"#555\" font-size=\"11\">"
                + "each dot one unmap; solid line p50, dashed line p99, short tick max</text>%n", LEFT));
        // y axis: decades, with 2x and 5x minor lines
        for (int d = (int) dLo; d <= (int) dHi; d++) {
            double y = y(Math.pow(10, d), dLo, dHi, plotH);
            b.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\"/>%n", LEFT, y, WIDTH - RIGHT, y));
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%s</text>%n", LEFT - 6, y + 4,
                    label(Math.pow(10, d))));
            for (int k : new int[] {2, 5}) {
                double v = k * Math.pow(10, d);
                if (d < dHi) {
                    double ym = y(v, dLo, dHi, plotH);
                    b.append(String.format(Locale.ROOT,
                            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>%n", LEFT, ym,
                            WIDTH - RIGHT, ym));
                }
            }
        }
        b.append(String.format(Locale.ROOT,
                "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">"
                        + "unmap latency (log scale)</text>%n", TOP + plotH / 2));
        int n = Math.max(1, results.size());
        double colW = (double) plotW / n;
        Random jitter = new Random(1);
        for (int c = 0; c < results.size(); c++) {
            StallResult r = results.get(c);
            double cx = LEFT + colW * c + colW / 2;
            // dots and lines left of centre, labels right of it
            double dotL = cx - colW * 0.36;
            double dotR = cx + colW * 0.08;
            double lineL = dotL - 4;
            double lineR = dotR + 4;
            double labelX = lineR + 5;
            String color = r.mode().color;
            long[] lat = r.latencies();
            int step = Math.max(1, (lat.length + MAX_DOTS - 1) / MAX_DOTS);
            b.append(String.format(Locale.ROOT, "<g fill=\"%s\" fill-opacity=\"0.45\">%n", color));
            for (int i = 0; i < lat.length; i += step) {
                double x = dotL + jitter.nextDouble() * (dotR - dotL);
                b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\"/>%n", x,
                        y(Math.max(lat[i], 1), dLo, dHi, plotH)));
            }
            b.append("</g>\n");
            double y50 = y(Math.max(r.p50(), 1), dLo, dHi, plotH);
            double y99 = y(Math.max(r.p99(), 1), dLo, dHi, plotH);
            double yMax = y(Math.max(r.max(), 1), dLo, dHi, plotH);
            b.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    lineL, y50, lineR, y50, color));
            b.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\""
                            + " stroke-dasharray=\"5 3\"/>%n", lineL, y99, lineR, y99, color));
            b.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
                    (dotL + dotR) / 2 - 8, yMax, (dotL + dotR) / 2 + 8, yMax, color));
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" font-size=\"11\" fill=\"#222\">p50 %s</text>%n",
                    labelX, y50 + 4, label(r.p50())));
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" font-size=\"11\" fill=\"#222\">p99 %s</text>%n",
                    labelX, Math.min(y99, y50 - 13) + 4, label(r.p99())));
            // column label
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\""
                            + " fill=\"%s\">%s</text>%n", cx, HEIGHT - BOTTOM + 22, color, esc(r.mode().label)));
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">"
                            + "max %s, %d kicks</text>%n", cx, HEIGHT - BOTTOM + 37, label(r.max()), r.kicks()));
            b.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">"
                            + "%.2f slow-path unlocks per GP</text>%n", cx, HEIGHT - BOTTOM + 51, r.slowPerGp()));
        }
        b.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", LEFT, TOP,
                plotW, plotH));
        b.append("</svg>\n");
        return b.toString();
    }

    private static double y(double v, double dLo, double dHi, int plotH) {
        double f = (Math.log10(v) - dLo) / (dHi - dLo);
        f = Math.max(0, Math.min(1, f));
        return TOP + plotH * (1 - f);
    }

    /** 10 us, 1 ms, 2.5 ms, 120 ms, 1.2 s. */
    static String label(double ns) {
        if (ns < 1e6) {
            return fmt(ns / 1e3) + " \u00b5s";
        } else if (ns < 1e9) {
            return fmt(ns / 1e6) + " ms";
        }
        return fmt(ns / 1e9) + " s";
    }

    private static String fmt(double v) {
        if (v >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        } else if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
