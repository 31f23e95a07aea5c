package dev.quiesce.internal;

import dev.quiesce.Backend;
import dev.quiesce.BackendUnavailableException;
import dev.quiesce.spi.RcuBackend;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Finds backends by class name ({@link Backend#implementationClass()}), so the
 * facade compiles without them: the FFM backend exists only in the JDK 23+
 * part of the jar, JNA is an optional dependency, and the pure-Java backend
 * may be absent. One instance per backend, created on first use.
 */
public final class Backends {

    /** The first JDK whose FFM API the generated bindings compile against. */
    public static final int FFM_MIN_JDK = 23;

    /* Guarded by Backends.class: created backends, and the failure of each that could not be. */
    private static final Map<Backend, RcuBackend> CREATED = new EnumMap<>(Backend.class);
    private static final Map<Backend, BackendUnavailableException> FAILED = new EnumMap<>(Backend.class);

    private Backends() {
    }

    /**
     * {@return the backend {@code kind}, created once}
     *
     * @param kind the backend {@code kind}, created once
     * @throws BackendUnavailableException if it cannot run in this JVM
     */
    public static synchronized RcuBackend get(Backend kind) {
        RcuBackend b = CREATED.get(kind);
        if (b != null) {
            return b;
        }
        BackendUnavailableException failed = FAILED.get(kind);
        if (failed != null) {
            throw new BackendUnavailableException(kind, reasonOf(failed), failed);
        }
        try {
            b = create(kind);
        } catch (BackendUnavailableException e) {
            FAILED.put(kind, e);
            throw e;
        }
        CREATED.put(kind, b);
        return b;
    }

    /**
     * {@return whether {@code kind} can run in this JVM (creating it if needed)}
     *
     * @param kind which latency
     */
    public static boolean isAvailable(Backend kind) {
        try {
            get(kind);
            return true;
        } catch (BackendUnavailableException e) {
            return false;
        }
    }

    /**
     * {@return the backends that can run in this JVM, in {@link Backend} order}
     */
    public static List<Backend> available() {
        List<Backend> list = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (isAvailable(b)) {
                list.add(b);
            }
        }
        return list;
    }

    /**
     * {@return the default backend: the one named by {@value Backend#PROPERTY} if set,
     * else FFM on JDK 23+, else JNA, else pure Java, whichever is first to be
     * available}
     *
     * @throws BackendUnavailableException if the named backend, or every backend, is unavailable
     * @throws IllegalArgumentException if the property names no backend
     */
    public static Backend defaultBackend() {
        String named = System.getProperty(Backend.PROPERTY);
        if (named != null && !named.isBlank()) {
            Backend b = Backend.ofId(named);
            get(b);
            return b;
        }
        StringBuilder why = new StringBuilder();
        for (Backend b : Backend.values()) {
            try {
                get(b);
                return b;
            } catch (BackendUnavailableException e) {
                why.append("\n  ").append(b.id()).append(": ").append(reasonOf(e));
            }
        }
        throw new BackendUnavailableException(Backend.FFM, "no quiesce backend can run here:" + why, null);
    }

    private static RcuBackend create(Backend kind) {
        if (kind == Backend.FFM && Runtime.version().feature() < FFM_MIN_JDK) {
            throw new BackendUnavailableException(kind, "the FFM backend needs JDK " + FFM_MIN_JDK
                    + " or later and this is JDK " + Runtime.version().feature()
                    + "; use the JNA backend (-D" + Backend.PROPERTY + "=jna, net.java.dev.jna:jna on the class path)",
                    null);
        }
        if (kind == Backend.JNA && !classPresent("com.sun.jna.Native")) {
            throw new BackendUnavailableException(kind,
                    "JNA is not on the class path: add net.java.dev.jna:jna (5.x)"
                    + " (on the module path also --add-modules com.sun.jna: dev.quiesce"
                    + " requires it statically)", null);
        }
        Class<?> type;
        try {
            type = Class.forName(kind.implementationClass(), true, Backends.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new BackendUnavailableException(kind, kind.implementationClass() + " is not in this build", e);
        } catch (LinkageError e) {
            throw new BackendUnavailableException(kind, "cannot load " + kind.implementationClass() + ": " + e, e);
        }
        if (!RcuBackend.class.isAssignableFrom(type)) {
            throw new BackendUnavailableException(kind, type.getName() + " does not implement "
                    + RcuBackend.class.getName(), null);
        }
        try {
            return (RcuBackend) type.getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BackendUnavailableException) {
                throw (BackendUnavailableException) cause;
            }
            throw new BackendUnavailableException(kind, String.valueOf(cause), cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new BackendUnavailableException(kind, e.toString(), e);
        }
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, Backends.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String reasonOf(BackendUnavailableException e) {
        String m = e.getMessage();
        int i = m.indexOf(" is unavailable: ");
        return i < 0 ? m : m.substring(i + " is unavailable: ".length());
    }
}
