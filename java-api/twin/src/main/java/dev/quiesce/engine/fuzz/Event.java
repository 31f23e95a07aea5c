package dev.quiesce.engine.fuzz;

import dev.quiesce.engine.sim.EventKind;

/**
 * One step-API event as raw C values: {@code kind} may be outside
 * {@link EventKind} (an invalid event both engines must refuse), {@code arg}
 * any slot number, valid or not.
 *
 * @param kind a {@code qs_sim_event_kind} value, possibly invalid
 * @param arg  the reader slot (ignored by kinds that take none)
 */
public record Event(int kind, int arg) {

    /**
     * {@return an event of a known kind}
     *
     * @param kind which latency
     * @param arg the arg
     */
    public static Event of(EventKind kind, int arg) {
        return new Event(kind.value(), arg);
    }

    /**
     * {@return the kind, or null when {@link #kind()} is not a valid value}
     */
    public EventKind knownKind() {
        return kind >= 0 && kind < EventKind.COUNT ? EventKind.valueOf(kind) : null;
    }

    /** {@code LOCK 2}, {@code CALL}, or {@code KIND#99 0} for an invalid kind: the replay-file syntax. */
    @Override
    public String toString() {
        EventKind k = knownKind();
        if (k == null) {
            return "KIND#" + kind + " " + arg;
        }
        return k.takesSlot() || arg != 0 ? k.name() + " " + arg : k.name();
    }

    /**
     * Parses {@link #toString()}'s syntax.
     *
     * @param text the text
     * @return the event
     * @throws IllegalArgumentException on anything else
     */
    public static Event parse(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length < 1 || parts.length > 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("bad event: '" + text + "'");
        }
        int arg = parts.length == 2 ? Integer.parseInt(parts[1]) : 0;
        if (parts[0].startsWith("KIND#")) {
            return new Event(Integer.parseInt(parts[0].substring(5)), arg);
        }
        return new Event(EventKind.valueOf(parts[0]).value(), arg);
    }
}
