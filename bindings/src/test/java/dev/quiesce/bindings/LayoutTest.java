package dev.quiesce.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Checks the jextract-generated struct layouts against the compiled library's
 * own {@code sizeof}/{@code offsetof} ({@code <quiesce/layout.h>}): a header
 * changed without running {@code bindings/regenerate} fails here.
 *
 * <p>Loads the library named by {@code -Dquiesce.library.path} (Maven sets it
 * to the freshly built one).
 */
class LayoutTest {

    /* Every generated struct class, by its C name. */
    private static final Map<String, GroupLayout> STRUCTS = new TreeMap<>();

    @BeforeAll
    static void loadLibraryAndFindStructs() throws Exception {
        String path = System.getProperty("quiesce.library.path");
        assertTrue(path != null && !path.isEmpty(), "run with -Dquiesce.library.path=/path/to/libquiesce.so");
        System.load(Path.of(path).toAbsolutePath().toString());

        Path dir = Path.of(Quiesce.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(Quiesce.class.getPackageName().replace('.', '/'));
        List<String> classNames = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .forEach(n -> classNames.add(n.substring(0, n.length() - ".class".length())));
        }
        for (String simple : classNames) {
            Class<?> c = Class.forName(Quiesce.class.getPackageName() + "." + simple);
            Method layout;
            try {
                layout = c.getMethod("layout");
            } catch (NoSuchMethodException notAStruct) {
                continue;
            }
            if (Modifier.isStatic(layout.getModifiers()) && GroupLayout.class.isAssignableFrom(layout.getReturnType())) {
                GroupLayout g = (GroupLayout) layout.invoke(null);
                STRUCTS.put(g.name().orElse(simple), g);
            }
        }
        assertFalse(STRUCTS.isEmpty(), "no generated struct found in " + dir);
    }

    @TestFactory
    Stream<DynamicTest> everyGeneratedStructMatchesTheLibrary() {
        return STRUCTS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            String type = e.getKey();
            GroupLayout g = e.getValue();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment cType = arena.allocateFrom(type);
                long nativeSize = Quiesce.qs_layout_sizeof(cType);
                assertNotEquals(-1L, nativeSize, "libquiesce does not describe struct " + type
                        + " (add it to native/runtime/layout.c)");
                assertEquals(nativeSize, g.byteSize(), "sizeof(" + type + "): regenerate the bindings");
                for (MemoryLayout member : g.memberLayouts()) {
                    if (member instanceof PaddingLayout) {
                        continue;
                    }
                    String field = member.name().orElseThrow();
                    long javaOffset = g.byteOffset(MemoryLayout.PathElement.groupElement(field));
                    long nativeOffset = Quiesce.qs_layout_offsetof(cType, arena.allocateFrom(field));
                    assertNotEquals(-1L, nativeOffset, "libquiesce does not describe " + type + "." + field);
                    assertEquals(nativeOffset, javaOffset, "offsetof(" + type + ", " + field
                            + "): regenerate the bindings");
                }
            }
        }));
    }

    @Test
    void everyStructTheLibraryListsIsBound() {
        int count = Quiesce.qs_layout_count();
        assertTrue(count > 0);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = Quiesce.qs_layout_name(i).reinterpret(256).getString(0);
            if (!STRUCTS.containsKey(name)) {
                missing.add(name);
            }
        }
        assertTrue(missing.isEmpty(), "structs the library lists but the bindings lack " + missing
                + ": add their header to bindings/includes.txt and run bindings/regenerate");
        assertEquals(MemorySegment.NULL, Quiesce.qs_layout_name(count), "qs_layout_name past the end");
    }

    @Test
    void theLibraryAndTheBindingsAgreeOnTheVersionFunction() {
        String version = Quiesce.qs_version().reinterpret(64).getString(0);
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+"), version);
    }
}
