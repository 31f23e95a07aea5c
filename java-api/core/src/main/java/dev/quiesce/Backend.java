package dev.quiesce;

/**
 * The implementations an {@link RcuDomain} can run on.
 *
 * <p>Chosen per domain with {@link RcuDomain.Builder#backend(Backend)}, else by
 * the system property {@value #PROPERTY} ({@code ffm}, {@code jna} or
 * {@code java}), else automatically: {@link #FFM} on JDK 23 and later,
 * {@link #JNA} on older JDKs when JNA is on the class path, else
 * {@link #PURE_JAVA} when present.
 */
public enum Backend {
    /**
     * libquiesce through the Foreign Function &amp; Memory API (jextract
     * bindings). Needs JDK 23+ and native access for modules
     * {@code dev.quiesce} and {@code dev.quiesce.bindings}
     * ({@code --enable-native-access=dev.quiesce,dev.quiesce.bindings}, or
     * {@code =ALL-UNNAMED} on the class path). The read side runs without a
     * downcall.
     */
    FFM("ffm", "dev.quiesce.ffm.FfmBackend"),
    /** libquiesce through JNA ({@code net.java.dev.jna:jna}); any JDK 17+. */
    JNA("jna", "dev.quiesce.jna.JnaBackend"),
    /** The pure-Java reimplementation of the same algorithms; no native code. */
    PURE_JAVA("java", "dev.quiesce.purejava.PureJavaBackend");

    /** The system property that selects the default backend. */
    public static final String PROPERTY = "quiesce.backend";

    private final String id;
    private final String implementationClass;

    Backend(String id, String implementationClass) {
        this.id = id;
        this.implementationClass = implementationClass;
    }

    /**
     * {@return the short name used by {@value #PROPERTY}: {@code ffm}, {@code jna} or {@code java}}
     */
    public String id() {
        return id;
    }

    /**
     * {@return the class implementing {@link dev.quiesce.spi.RcuBackend} for this
     * backend, found by name at run time}
     */
    public String implementationClass() {
        return implementationClass;
    }

    /**
     * {@return the backend named {@code id} (case-insensitive; {@code pure-java} and
     * {@code purejava} also name {@link #PURE_JAVA})}
     *
     * @param id the backend named {@code id} (case-insensitive; {@code pure-java} and
     * {@code purejava} also name {@link #PURE_JAVA})
     * @throws IllegalArgumentException for an unknown name
     */
    public static Backend ofId(String id) {
        String key = id.trim().toLowerCase(java.util.Locale.ROOT);
        if (key.equals("pure-java") || key.equals("purejava") || key.equals("pure_java")) {
            return PURE_JAVA;
        }
        for (Backend b : values()) {
            if (b.id.equals(key)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown quiesce backend '" + id + "' (expected ffm, jna or java)");
    }
}
