package dev.quiesce.examples.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The little JSON {@code quiesce bench --json} needs to merge its figures
 * into a {@code qs-bench --json} file (schema {@code quiesce-bench/1}, see
 * docs/BENCH.md): a parser into {@link Map} (insertion order kept),
 * {@link List}, {@link String}, {@link Double}, {@link Boolean} and
 * {@code null}, and a writer in qs-bench's layout (one figure per line).
 */
final class BenchJson {

    private final String s;
    private int i;

    private BenchJson(String s) {
        this.s = s;
    }

    /** Parses one JSON document; throws IllegalArgumentException on bad input. */
    static Object parse(String text) {
        BenchJson p = new BenchJson(text);
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) {
            throw p.error("trailing characters");
        }
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + i);
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private void expect(char c) {
        ws();
        if (i >= s.length() || s.charAt(i) != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private Object value() {
        ws();
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{' -> {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    expect(':');
                    m.put(k, value());
                    ws();
                } while (i < s.length() && s.charAt(i) == ',' && ++i > 0);
                expect('}');
                return m;
            }
            case '[' -> {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (i < s.length() && s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (i < s.length() && s.charAt(i) == ',' && ++i > 0);
                expect(']');
                return l;
            }
            case '"' -> {
                return string();
            }
            default -> {
                if (s.startsWith("true", i)) {
                    i += 4;
                    return Boolean.TRUE;
                }
                if (s.startsWith("false", i)) {
                    i += 5;
                    return Boolean.FALSE;
                }
                if (s.startsWith("null", i)) {
                    i += 4;
                    return null;
                }
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                if (start == i) {
                    throw error("unexpected character '" + c + "'");
                }
                try {
                    return Double.parseDouble(s.substring(start, i));
                } catch (NumberFormatException e) {
                    throw error("bad number");
                }
            }
        }
    }

    private String string() {
        if (i >= s.length() || s.charAt(i) != '"') {
            throw error("expected a string");
        }
        i++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error("unterminated escape");
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error("bad \\u escape");
                    }
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> b.append(e);
            }
        }
    }

    /** {@code v} as compact JSON (numbers with up to 6 significant digits). */
    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            b.append('"');
            for (char c : str.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                b.append("null");
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                b.append(d.longValue());
            } else {
                b.append(String.format(Locale.ROOT, "%.6g", d).replaceFirst("\\.?0+(e|$)", "$1"));
            }
        } else if (v instanceof Number n) {
            write(b, n.doubleValue());
        } else if (v instanceof Boolean bool) {
            b.append(bool);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                b.append(first ? "" : ", ");
                first = false;
                write(b, e.getKey());
                b.append(": ");
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                b.append(k == 0 ? "" : ", ");
                write(b, l.get(k));
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("not JSON: " + v.getClass());
        }
    }

    /** A whole {@code quiesce-bench/1} document in qs-bench's layout. */
    @SuppressWarnings("unchecked")
    static String writeDocument(Map<String, Object> doc) {
        StringBuilder b = new StringBuilder("{\n");
        List<String> keys = new ArrayList<>(doc.keySet());
        for (int k = 0; k < keys.size(); k++) {
            String key = keys.get(k);
            Object v = doc.get(key);
            b.append("  ").append(write(key)).append(": ");
            if (v instanceof Map<?, ?> m && !m.isEmpty()) {
                b.append("{\n");
                List<Map.Entry<String, Object>> es = new ArrayList<>(((Map<String, Object>) m).entrySet());
                for (int j = 0; j < es.size(); j++) {
                    b.append("    ").append(write(es.get(j).getKey())).append(": ")
                            .append(write(es.get(j).getValue())).append(j + 1 < es.size() ? ",\n" : "\n");
                }
                b.append("  }");
            } else if (v instanceof List<?> l && !l.isEmpty()) {
                b.append("[\n");
                for (int j = 0; j < l.size(); j++) {
                    b.append("    ").append(write(l.get(j))).append(j + 1 < l.size() ? ",\n" : "\n");
                }
                b.append("  ]");
            } else {
                b.append(write(v));
            }
            b.append(k + 1 < keys.size() ? ",\n" : "\n");
        }
        return b.append("}\n").toString();
    }
}
