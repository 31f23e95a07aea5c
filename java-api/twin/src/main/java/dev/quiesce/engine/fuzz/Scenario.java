package dev.quiesce.engine.fuzz;

import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One differential test case: the parameters both simulations are created
 * with and the events fed to both, plus the seed that generated it (0 when
 * hand-written or shrunk from elsewhere).
 *
 * <p>The file format (what {@link #format()} writes and {@link #parse}
 * reads; '#' starts a comment line):
 * <pre>
 * quiesce-diff 1
 * seed 1234
 * params FQS 5 30 10000000      # policy poll_limit cb_threshold poll_period_ns (unsigned)
 * gpseq 18446744073709551610    # optional: renumber GPs first (setGpSeq), unsigned; absent = 0
 * REGISTER 0
 * LOCK 0
 * CALL
 * POLL_ELAPSED
 * </pre>
 *
 * @param seed      the generator seed, or 0
 * @param params    the simulations' parameters
 * @param gpSeqBase GP number base both simulations start from ({@code setGpSeq} before the first
 *                  event; 0 = the default numbering), unsigned
 * @param events    the events, in order
 */
public record Scenario(long seed, Params params, long gpSeqBase, List<Event> events) {

    /** The first line of a scenario file. */
    public static final String MAGIC = "quiesce-diff 1";

    /** Copies the event list. */
    public Scenario {
        Objects.requireNonNull(params, "params");
        events = List.copyOf(events);
    }

    /**
     * A scenario with the default GP numbering (base 0).
     *
     * @param seed   the generator seed, or 0
     * @param params the simulations' parameters
     * @param events the events, in order
     */
    public Scenario(long seed, Params params, List<Event> events) {
        this(seed, params, 0, events);
    }

    /**
     * {@return the same scenario with other events}
     *
     * @param newEvents the same scenario with other events
     */
    public Scenario withEvents(List<Event> newEvents) {
        return new Scenario(seed, params, gpSeqBase, newEvents);
    }

    /**
     * {@return the same scenario with other parameters}
     *
     * @param newParams the same scenario with other parameters
     */
    public Scenario withParams(Params newParams) {
        return new Scenario(seed, newParams, gpSeqBase, events);
    }

    /**
     * {@return the replay-file text}
     */
    public String format() {
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        b.append("seed ").append(seed).append('\n');
        b.append("params ").append(params.policy()).append(' ').append(Integer.toUnsignedString(params.pollLimit()))
                .append(' ').append(Integer.toUnsignedString(params.cbThreshold())).append(' ')
                .append(Long.toUnsignedString(params.pollPeriodNs())).append('\n');
        if (gpSeqBase != 0) {
            b.append("gpseq ").append(Long.toUnsignedString(gpSeqBase)).append('\n');
        }
        for (Event e : events) {
            b.append(e).append('\n');
        }
        return b.toString();
    }

    /**
     * Parses {@link #format()}'s text.
     *
     * @param text the text
     * @return the scenario
     * @throws IllegalArgumentException on malformed text
     */
    public static Scenario parse(String text) {
        String trimmed = stripComment(text.trim()).trim();
        if (trimmed.startsWith(MAGIC + " ") && trimmed.indexOf('\n') < 0) {
            return parseOneLine(trimmed.substring(MAGIC.length()).trim());
        }
        long seed = 0;
        long base = 0;
        Params params = null;
        List<Event> events = new ArrayList<>();
        boolean magic = false;
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            String line = stripComment(raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (!magic) {
                    if (!line.equals(MAGIC)) {
                        throw new IllegalArgumentException("expected '" + MAGIC + "'");
                    }
                    magic = true;
                } else if (line.startsWith("seed ")) {
                    seed = Long.parseLong(line.substring(5).trim());
                } else if (line.startsWith("gpseq ")) {
                    base = Long.parseUnsignedLong(line.substring(6).trim());
                } else if (line.startsWith("params ")) {
                    String[] p = line.substring(7).trim().split("\\s+");
                    if (p.length != 4) {
                        throw new IllegalArgumentException("params needs policy poll_limit cb_threshold poll_period_ns");
                    }
                    params = new Params(Policy.valueOf(p[0]), Integer.parseUnsignedInt(p[1]),
                            Integer.parseUnsignedInt(p[2]), Long.parseUnsignedLong(p[3]));
                } else {
                    events.add(Event.parse(line));
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage() + ": '" + raw + "'", e);
            }
        }
        if (!magic || params == null) {
            throw new IllegalArgumentException("not a scenario file (needs '" + MAGIC + "' and a params line)");
        }
        return new Scenario(seed, params, base, events);
    }

    /**
     * The same format flattened to one line, as test reports print a sample
     * ({@code quiesce-diff 1 seed 0 params FQS 1 2 1 REGISTER 0 LOCK 0 CALL}).
     */
    private static Scenario parseOneLine(String rest) {
        String[] t = rest.split("\\s+");
        long seed = 0;
        long base = 0;
        Params params = null;
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < t.length; i++) {
            if (t[i].equals("seed") && i + 1 < t.length) {
                seed = Long.parseLong(t[++i]);
            } else if (t[i].equals("gpseq") && i + 1 < t.length) {
                base = Long.parseUnsignedLong(t[++i]);
            } else if (t[i].equals("params") && i + 4 < t.length) {
                params = new Params(Policy.valueOf(t[i + 1]), Integer.parseUnsignedInt(t[i + 2]),
                        Integer.parseUnsignedInt(t[i + 3]), Long.parseUnsignedLong(t[i + 4]));
                i += 4;
            } else {
                String ev = t[i];
                if (i + 1 < t.length && t[i + 1].matches("-?\\d+")) {
                    ev += " " + t[++i];
                }
                events.add(Event.parse(ev));
            }
        }
        if (params == null) {
            throw new IllegalArgumentException("not a scenario (no params): '" + rest + "'");
        }
        return new Scenario(seed, params, base, events);
    }

    /** Drops a comment: '#' at the start of the line or after white space (not the '#' of {@code KIND#n}). */
    private static String stripComment(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) == '#' && (i == 0 || Character.isWhitespace(raw.charAt(i - 1)))) {
                return raw.substring(0, i);
            }
        }
        return raw;
    }

    /**
     * Writes {@link #format()} to {@code file}.
     *
     * @param file the file
     * @throws IOException if it cannot be read or written
     */
    public void write(Path file) throws IOException {
        Files.writeString(file, format(), StandardCharsets.UTF_8);
    }

    /**
     * Reads a scenario file.
     *
     * @param file the file
     * @return the scenario
     * @throws IOException if it cannot be read or written
     */
    public static Scenario read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** The replay-file text (so test reports print a scenario that can be pasted into a file). */
    @Override
    public String toString() {
        return format();
    }
}
