package dev.quiesce.examples.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses durations such as {@code 10ms}, {@code 500us}, {@code 1.5s}, {@code 2m} or {@code 0}; a bare number is milliseconds. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|min)?");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a duration (examples: 10ms, 500us, 1.5s, 2m, 0)");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        double nanos;
        switch (unit) {
            case "ns": nanos = n; break;
            case "us": case "µs": nanos = n * 1e3; break;
            case "ms": nanos = n * 1e6; break;
            case "s": nanos = n * 1e9; break;
            default: nanos = n * 60e9; break;
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /** A short human form: 0, 750 us, 10 ms, 1.5 s. */
    static String format(Duration d) {
        long ns = d.toNanos();
        if (ns == 0) {
            return "0";
        } else if (ns < 1_000_000) {
            return trim(ns / 1e3) + " us";
        } else if (ns < 1_000_000_000) {
            return trim(ns / 1e6) + " ms";
        }
        return trim(ns / 1e9) + " s";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
