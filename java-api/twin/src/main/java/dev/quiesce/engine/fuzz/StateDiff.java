package dev.quiesce.engine.fuzz;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A field-by-field diff of two values of the engine's record types
 * ({@code SimState}, {@code Effects}, ...): walks record components, lists
 * and arrays, and lists every leaf that differs as
 * {@code path: left != right}.
 */
public final class StateDiff {

    private StateDiff() {
    }

    /**
     * {@return the differing leaves of {@code left} and {@code right}, each as {@code path: left | right}}
     *
     * @param root the name of the top-level value
     * @param left one value
     * @param right the other value
     */
    public static List<String> diff(String root, Object left, Object right) {
        List<String> out = new ArrayList<>();
        walk(root, left, right, out);
        return out;
    }

    private static void walk(String path, Object a, Object b, List<String> out) {
        if (Objects.equals(a, b) && !(a != null && a.getClass().isArray())) {
            return;
        }
        if (a == null || b == null || a.getClass() != b.getClass()) {
            out.add(path + ": " + show(a) + " | " + show(b));
            return;
        }
        Class<?> c = a.getClass();
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                try {
                    walk(path + "." + rc.getName(), rc.getAccessor().invoke(a), rc.getAccessor().invoke(b), out);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + path + "." + rc.getName(), e);
                }
            }
        } else if (a instanceof List<?>) {
            List<?> la = (List<?>) a;
            List<?> lb = (List<?>) b;
            if (la.size() != lb.size()) {
                out.add(path + ".size: " + la.size() + " | " + lb.size());
            }
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                walk(path + "[" + i + "]", la.get(i), lb.get(i), out);
            }
        } else if (c.isArray()) {
            int na = Array.getLength(a);
            int nb = Array.getLength(b);
            if (na != nb) {
                out.add(path + ".length: " + na + " | " + nb);
            }
            for (int i = 0; i < Math.min(na, nb); i++) {
                walk(path + "[" + i + "]", Array.get(a, i), Array.get(b, i), out);
            }
        } else {
            out.add(path + ": " + show(a) + " | " + show(b));
        }
    }

    private static String show(Object v) {
        if (v instanceof Long) {
            long l = (Long) v;
            return l >= 0 && l < 1_000_000 ? Long.toString(l) : l + " (0x" + Long.toHexString(l) + ")";
        }
        return String.valueOf(v);
    }
}
