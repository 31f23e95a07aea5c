package dev.quiesce.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Finds and loads the native library {@code libquiesce}.
 *
 * <p>Resolution order, decided once per class loader:
 * <ol>
 *   <li>the system property {@value #PATH_PROPERTY}, naming the library file
 *       of another build (for example {@code -Dquiesce.library.path=build/libquiesce.so});
 *   <li>the copy shipped inside the jar at
 *       {@code /dev/quiesce/native/<platform>/libquiesce.so}, extracted once
 *       per process into a private temporary directory (owner-only
 *       permissions) that is deleted when the JVM exits.
 * </ol>
 *
 * <p>Used by every native backend (FFM, JNA) and by the JNA-based engine
 * simulator of the pure-Java twin's differential tests. Not part of the
 * public API.
 *
 * <p>Failures throw {@link UnsatisfiedLinkError} with a message that says
 * what was tried and how to point {@value #PATH_PROPERTY} at a build.
 */
public final class NativeLoader {

    /** System property naming the library file to load instead of the bundled one. */
    public static final String PATH_PROPERTY = "quiesce.library.path";

    /** File name of the bundled library. */
    public static final String LIBRARY_FILE = "libquiesce.so";

    /** Platforms a library is bundled for, as {@code os-arch}. */
    private static final String[] BUNDLED_PLATFORMS = {"linux-x86_64"};

    /*
     * Guarded by NativeLoader.class: the resolved path (set once) and
     * whether System.load ran from this class loader.
     */
    private static Path resolved;
    private static boolean loaded;

    private NativeLoader() {
    }

    /**
     * The library file to load: the {@value #PATH_PROPERTY} file if that
     * property is set, else the bundled library extracted to a private
     * temporary directory (extracted once per process, then reused).
     *
     * @return an absolute path to a regular file
     * @throws UnsatisfiedLinkError if the property names no regular file, the
     *         platform has no bundled library, the bundled resource is
     *         missing, or extraction fails
     */
    public static synchronized Path libraryPath() {
        if (resolved == null) {
            resolved = resolve();
        }
        return resolved;
    }

    /**
     * Loads the library with {@link System#load} into this class's class
     * loader (idempotent). jextract-generated code finds its symbols through
     * {@code SymbolLookup.loaderLookup()}, which sees libraries loaded this way
     * by the same class loader.
     *
     * @return the path that was loaded
     * @throws UnsatisfiedLinkError as {@link #libraryPath()}, or if the
     *         dynamic linker rejects the file
     */
    public static synchronized Path load() {
        Path path = libraryPath();
        if (!loaded) {
            System.load(path.toString());
            loaded = true;
        }
        return path;
    }

    /**
     * {@return the platform name used in the bundled resource path, such as
     * {@code linux-x86_64}}
     */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName;
        if (os.startsWith("linux")) {
            osName = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            osName = "macos";
        } else if (os.startsWith("windows")) {
            osName = "windows";
        } else {
            osName = os.replaceAll("[^a-z0-9]+", "");
        }
        String archName;
        switch (arch) {
            case "amd64":
            case "x86_64":
                archName = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                archName = "aarch64";
                break;
            default:
                archName = arch.replaceAll("[^a-z0-9_]+", "");
        }
        return osName + "-" + archName;
    }

    /**
     * {@return the classpath resource holding the bundled library for {@code platform}}
     *
     * @param platform the classpath resource holding the bundled library for {@code platform}
     */
    public static String resourceName(String platform) {
        return "/dev/quiesce/native/" + platform + "/" + LIBRARY_FILE;
    }

    private static Path resolve() {
        String configured = System.getProperty(PATH_PROPERTY);
        if (configured != null && !configured.isEmpty()) {
            Path path = Paths.get(configured).toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw new UnsatisfiedLinkError("-D" + PATH_PROPERTY + "=" + configured
                        + " does not name a regular file (expected a build of " + LIBRARY_FILE + ")");
            }
            return path;
        }
        String platform = platform();
        if (!isBundled(platform)) {
            throw new UnsatisfiedLinkError("quiesce bundles " + LIBRARY_FILE + " only for "
                    + String.join(", ", BUNDLED_PLATFORMS) + "; this platform is " + platform
                    + ". Build the native library for it (cmake) and pass -D" + PATH_PROPERTY
                    + "=/path/to/the/library");
        }
        return extract(resourceName(platform));
    }

    private static boolean isBundled(String platform) {
        for (String p : BUNDLED_PLATFORMS) {
            if (p.equals(platform)) {
                return true;
            }
        }
        return false;
    }

    private static Path extract(String resource) {
        // Through the class loader, not Class.getResourceAsStream: on the
        // module path the latter searches dev.quiesce only, and the library
        // lives in dev.quiesce.nativelib (the quiesce-native jar), outside
        // any package, so the loader finds it there as on the class path.
        ClassLoader loader = NativeLoader.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource.substring(1))) {
            if (in == null) {
                throw new UnsatisfiedLinkError("the bundled native library " + resource
                        + " is not on the class path or module path (no quiesce-native jar,"
                        + " or one built without the native build?);"
                        + " pass -D" + PATH_PROPERTY + "=/path/to/" + LIBRARY_FILE);
            }
            Path dir;
            try {
                dir = Files.createTempDirectory("quiesce-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException noPosix) {
                dir = Files.createTempDirectory("quiesce-");
            }
            // deleteOnExit runs in reverse order of registration: the file
            // first, then its directory.
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(LIBRARY_FILE);
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r-x------"));
            } catch (UnsupportedOperationException noPosix) {
                // Not a POSIX file system: the directory is private anyway.
            }
            return file.toRealPath(LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                    "cannot extract the bundled native library " + resource + ": " + e);
            error.initCause(e);
            throw error;
        }
    }
}
