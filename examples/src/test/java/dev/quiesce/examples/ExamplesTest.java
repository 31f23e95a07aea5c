package dev.quiesce.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.examples.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs every example briefly, so none of them rots: the CLI's commands, both programs, the jshell script. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExamplesTest {

    private static final Path OUT = Paths.get(System.getProperty("qs.test.out", "target/example-runs"));

    /** Exit status, standard output and error of one CLI run. */
    record Run(int status, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run r = cli("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("stall", "bench", "torture", "diff", "Without a command, runs");
        Run stall = cli("stall", "--help");
        assertThat(stall.out()).contains("--vcpus", "--unmaps", "--slice", "--backend", "--out", "LEGACY");
        assertThat(cli("--version").out()).contains("quiesce");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(cli("nonsense").status()).isEqualTo(2);
        assertThat(cli("stall", "--vcpus", "0").status()).isEqualTo(2);
        assertThat(cli("stall", "--slice", "soon").status()).isEqualTo(2);
    }

    @Test
    void stallOnTheNativeEmulatorPrintsTheTableAndWritesTheChart() throws Exception {
        Path svg = OUT.resolve("stall.svg");
        Files.deleteIfExists(svg);
        // options without a command go to stall
        Run r = cli("--vcpus", "1", "--unmaps", "3", "--slice", "1ms", "--out", svg.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("native emulator", "unmap p99", "slow unlocks/GP", "kicks");
        for (String mode : new String[] {"LEGACY", "FQS", "FQS+force"}) {
            assertThat(r.out()).containsPattern("(?m)^  " + java.util.regex.Pattern.quote(mode) + " +3 ");
        }
        assertThat(r.err()).contains("LEGACY     done in");
        assertThat(svg).exists();
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(9);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "ffm", "jna"})
    void stallOnJvmThreadsRunsOnEveryBackend(String backend) {
        Run r = cli("stall", "--backend", backend, "--vcpus", "1", "--unmaps", "2", "--slice", "1ms", "--out", "none");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("JVM vCPU threads on the " + backend + " backend", "FQS+force");
    }

    @Test
    void busyVcpusStallLegacyUntilADrain() {
        Run r = cli("stall", "--modes", "LEGACY", "--slice", "0", "--unmaps", "1", "--vcpus", "1",
                "--stall-timeout", "300ms", "--out", "none");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 unmaps stalled for longer than 300 ms");
    }

    @Test
    void benchPrintsTheThreeTables() {
        Run r = cli("bench", "--time", "20ms", "--rounds", "1", "--threads", "1", "--syncs", "50", "--callbacks",
                "2000");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("RCU read section, ffm", "RCU read section, java", "ReentrantReadWriteLock",
                "StampedLock optimistic read", "synchronize() latency", "callRcu throughput");
    }

    @Test
    void benchJsonHoldsTheCAndJavaFigures() throws Exception {
        Files.createDirectories(OUT);
        Path json = OUT.resolve("bench.json");
        Files.deleteIfExists(json);
        Run r = cli("bench", "--time", "20ms", "--rounds", "2", "--threads", "1", "--syncs", "50", "--callbacks",
                "2000", "--json", json.toString(), "--qs-bench-args", "--quick --reps 1 --only read");
        assertThat(r.status()).as(r.err()).isZero();
        String doc = Files.readString(json);
        assertThat(doc).contains("\"schema\": \"quiesce-bench/1\"", "\"producer\": \"qs-bench\"",
                "\"producer\": \"quiesce bench\"", "\"c.read_pair_ns.qs_inline.1t\"",
                "\"java.read_ns.ffm_read.1t\"", "\"java.read_ns.ffm_reader.1t\"", "\"java.read_ns.rrwl.1t\"",
                "\"java.sync_ns.ffm.p99\"", "\"java.call_per_s.ffm\"", "\"java.call_per_s.c_downcall\"",
                "\"java.call_ratio.ffm_c\"");
        // two rounds: two samples per Java figure
        assertThat(doc).containsPattern("\"java.call_per_s.ffm\": \\{\"value\": [0-9.e+]+, \"unit\": \"1/s\", "
                + "\"better\": \"higher\", \"samples\": \\[[0-9.e+]+, [0-9.e+]+\\]\\}");

        Run bad = cli("bench", "--json", json.toString(), "--qs-bench", OUT.resolve("no-such-qs-bench").toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("qs-bench not found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jna", "java"})
    void tortureFindsNoViolation(String backend) {
        Run r = cli("torture", "--backend", backend, "--time", "700ms");
        assertThat(r.status()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PASS");
        Run legacy = cli("torture", "--backend", backend, "--policy", "legacy", "--time", "300ms");
        assertThat(legacy.status()).as(legacy.out() + legacy.err()).isZero();
    }

    @Test
    void tortureFailsWhenReclamationSkipsTheGracePeriod() {
        Run r = cli("torture", "--backend", "java", "--time", "1s", "--broken-reclaim");
        assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL", "reclaimed while a read section held it");
    }

    @Test
    void diffRunsBothFuzzers() {
        Run r = cli("diff", "--time", "3s", "--seed", "7", "--out", OUT.toString());
        assertThat(r.status()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("engine: C grace-period engine vs Java twin", "gpu: native virtio-gpu device");
        assertThat(r.out().split("no divergence", -1)).hasSize(3);
    }

    private static String captureStdout(ThrowingRunnable body) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void configServiceExample() throws Exception {
        String out = captureStdout(() -> ConfigService.main(new String[] {"300"}));
        assertThat(out).contains("served", "old configurations released", "grace periods");
    }

    @Test
    void emulatorScriptExample() throws Exception {
        String out = captureStdout(() -> EmulatorScript.main(new String[0]));
        assertThat(out).contains("read back: hello, blob 3", "unmap blob 4: RESP_OK_NODATA", "vCPU kicks");
        String legacy = captureStdout(() -> EmulatorScript.main(new String[] {"LEGACY"}));
        assertThat(legacy).contains("LEGACY:", "unmap blob 4: RESP_OK_NODATA");
    }

    @Test
    void jshellScriptRunsInJshell() throws Exception {
        Path jdk = Paths.get(System.getProperty("qs.jdk.home", System.getProperty("java.home")));
        Path jshell = jdk.resolve("bin/jshell");
        Path script = Paths.get(System.getProperty("qs.examples.dir", ".")).resolve("jshell/emulator.jsh");
        assertThat(script).exists();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(jshell.toString(), "--class-path", cp, "--feedback", "concise",
                "-R--enable-native-access=ALL-UNNAMED"));
        String lib = System.getProperty("quiesce.library.path");
        if (lib != null) {
            cmd.add("-R-Dquiesce.library.path=" + lib);
        }
        cmd.add(script.toString());
        Files.createDirectories(OUT);
        File log = OUT.resolve("jshell.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log.toPath());
        assertThat(done).as("jshell finished; output:%n%s", out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).contains("guest reads [42, 43, 44]", "unmap: RESP_OK_NODATA after",
                "junk -> RESP_ERR_UNSPEC", "machine closed").doesNotContain("Error:", "Exception");
    }
}
