package dev.quiesce.jpms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.internal.NativeLoader;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Opens;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dev.quiesce} as a named module: its descriptor, and a child JVM of
 * the running JDK that uses it from the module path ({@link ModulePathMain}).
 *
 * <p>The module is target/classes (an exploded module) in the test phase, and
 * the packaged jar when {@value #API_PROPERTY} names it (surefire execution
 * module-path-jar, at integration-test). The other modules come from where
 * the test class path has them: bindings, the native library and JNA, as
 * jars or as the reactor's target/classes. The child loads the library
 * bundled in {@code dev.quiesce.nativelib}, not quiesce.library.path.
 *
 * <p>Runs on every JDK the tests run on: FFM, JNA and pure Java on 23+, JNA
 * and pure Java on 17.
 */
class ModulePathTest {

    /** System property naming the dev.quiesce module (jar or directory) to test. */
    static final String API_PROPERTY = "qs.test.api.module";

    /** Packages a user of the library needs. */
    private static final Set<String> EXPORTED = Set.of("dev.quiesce", "dev.quiesce.spi", "dev.quiesce.jfr", "dev.quiesce.trace");
    /** Packages only the other quiesce modules need, exported to them alone. */
    private static final Map<String, Set<String>> EXPORTED_TO = Map.of(
            "dev.quiesce.engine", Set.of("dev.quiesce.twin"),
            "dev.quiesce.internal", Set.of("dev.quiesce.twin", "dev.quiesce.emu"),
            "dev.quiesce.ffm", Set.of("dev.quiesce.emu"));

    /** Class file major version of release 17: what Maven's JDK 17 tools can read. */
    private static final int RELEASE_17 = 61;

    private static Path apiModule() {
        String configured = System.getProperty(API_PROPERTY);
        return configured != null ? Paths.get(configured) : locationOf("dev/quiesce/RcuDomain.class");
    }

    @Test
    void descriptorDeclaresTheModule() throws IOException {
        Path api = apiModule();
        ModuleReference ref = ModuleFinder.of(api).find("dev.quiesce")
                .orElseThrow(() -> new AssertionError(api + " holds no module dev.quiesce"));
        ModuleDescriptor d = ref.descriptor();
        assertThat(d.isAutomatic()).as("automatic").isFalse();

        Map<String, Set<Requires.Modifier>> requires = d.requires().stream()
                .collect(Collectors.toMap(Requires::name, Requires::modifiers));
        assertThat(requires).containsEntry("com.sun.jna", Set.of(Requires.Modifier.STATIC))
                .containsEntry("dev.quiesce.bindings", Set.of())
                .containsEntry("dev.quiesce.nativelib", Set.of())
                .containsEntry("jdk.jfr", Set.of(Requires.Modifier.TRANSITIVE));

        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                .map(Exports::source).collect(Collectors.toSet());
        assertThat(exported).isEqualTo(EXPORTED);
        Map<String, Set<String>> qualified = d.exports().stream().filter(Exports::isQualified)
                .collect(Collectors.toMap(Exports::source, Exports::targets));
        assertThat(qualified).isEqualTo(EXPORTED_TO);
        Set<String> opened = d.opens().stream().filter(o -> o.targets().equals(Set.of("com.sun.jna")))
                .map(Opens::source).collect(Collectors.toSet());
        assertThat(opened).contains("dev.quiesce.jna");

        // A class in a package the descriptor does not list cannot be loaded
        // from the module path: every package of both source trees must be in.
        assertThat(d.packages()).as("packages of %s", api)
                .containsAll(classPackages(api)).contains("dev.quiesce.ffm", "dev.quiesce.jna");

        assertThat(majorVersion(api)).as("class file version of module-info.class").isEqualTo(RELEASE_17);
    }

    @Test
    void dependenciesAreNamedModules() {
        assertThat(ModuleFinder.of(bindingsModule()).find("dev.quiesce.bindings")).isPresent();
        assertThat(ModuleFinder.of(nativeModule()).find("dev.quiesce.nativelib")).isPresent();
        assertThat(ModuleFinder.of(jnaModule()).find("com.sun.jna")).isPresent();
    }

    @Test
    void runsOnTheModulePath(@TempDir Path tmp) throws Exception {
        int feature = Runtime.version().feature();
        String modulePath = Stream.of(apiModule(), bindingsModule(), nativeModule(), jnaModule())
                .map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath,
                // the library itself, and JNA: dev.quiesce requires it statically
                "--add-modules", "dev.quiesce,com.sun.jna"));
        if (feature >= 22) {
            // the flags README.md documents; a wrong module name shows as a warning
            cmd.add("--enable-native-access=dev.quiesce,dev.quiesce.bindings,com.sun.jna");
        }
        cmd.addAll(List.of("-cp", locationOf("dev/quiesce/jpms/ModulePathMain.class").toString(),
                ModulePathMain.class.getName()));
        List<String> backends = feature >= 23 ? List.of("FFM", "JNA", "PURE_JAVA") : List.of("JNA", "PURE_JAVA");
        cmd.addAll(backends);

        File log = tmp.resolve("child.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log.toPath());
        String what = String.join(" ", cmd) + "\n" + out;
        assertThat(done).as("child JVM finished: %s", what).isTrue();
        assertThat(p.exitValue()).as(what).isZero();
        assertThat(out).as(what).contains("api module: dev.quiesce", "bindings module: dev.quiesce.bindings")
                .doesNotContain("WARNING", "Exception");
        for (String b : backends) {
            assertThat(out).as(what).contains("backend " + b + ": callbacks run 1");
        }
    }

    private static Path bindingsModule() {
        return locationOf("dev/quiesce/bindings/Quiesce.class");
    }

    private static Path nativeModule() {
        return locationOf(NativeLoader.resourceName(NativeLoader.platform()).substring(1));
    }

    private static Path jnaModule() {
        return locationOf("com/sun/jna/Native.class");
    }

    /** The jar or directory of the test class path that holds {@code resource}. */
    private static Path locationOf(String resource) {
        URL url = ModulePathTest.class.getClassLoader().getResource(resource);
        assertThat(url).as("%s on the test class path", resource).isNotNull();
        try {
            if (url.getProtocol().equals("jar")) {
                String spec = url.getPath();
                return Paths.get(new URI(spec.substring(0, spec.indexOf("!/"))));
            }
            Path path = Paths.get(url.toURI());
            for (int i = resource.split("/").length; i > 0; i--) {
                path = path.getParent();
            }
            return path;
        } catch (URISyntaxException e) {
            throw new AssertionError(url.toString(), e);
        }
    }

    /** The packages of the class files in a jar or directory. */
    private static Set<String> classPackages(Path location) throws IOException {
        List<String> names;
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                names = files.filter(Files::isRegularFile)
                        .map(f -> location.relativize(f).toString().replace(File.separatorChar, '/'))
                        .collect(Collectors.toList());
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                names = jar.stream().map(e -> e.getName()).collect(Collectors.toList());
            }
        }
        Set<String> packages = new TreeSet<>();
        for (String name : names) {
            if (name.endsWith(".class") && !name.equals("module-info.class") && name.indexOf('/') > 0
                    && !name.startsWith("META-INF/")) {
                packages.add(name.substring(0, name.lastIndexOf('/')).replace('/', '.'));
            }
        }
        assertThat(packages).as("classes in %s", location).isNotEmpty();
        return packages;
    }

    /** The class file major version of the module's module-info.class. */
    private static int majorVersion(Path location) throws IOException {
        if (Files.isDirectory(location)) {
            try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
                return majorVersion(in);
            }
        }
        try (JarFile jar = new JarFile(location.toFile());
                InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
            return majorVersion(in);
        }
    }

    private static int majorVersion(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        data.readInt(); // magic
        data.readUnsignedShort(); // minor
        return data.readUnsignedShort();
    }
}
