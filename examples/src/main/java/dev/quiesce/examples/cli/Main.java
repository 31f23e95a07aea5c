package dev.quiesce.examples.cli;

import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code quiesce} command-line tool: the stall demo, benchmarks, the
 * torture test and the differential fuzzer. {@code quiesce} alone runs
 * {@code stall}; so does {@code quiesce --vcpus 4} (options without a command
 * go to {@code stall}).
 */
@Command(name = "quiesce", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Userspace RCU with QEMU's force-quiescent-state (FQS) design: libquiesce",
            "(C) reached from Java.",
            "",
            "Without a command, runs @|bold stall|@: the virtio-gpu blob-unmap stall that",
            "motivated FQS, measured under the old RCU (LEGACY), FQS, and FQS with",
            "force on unmap. Options given without a command go to stall.",
        },
        subcommands = {StallCommand.class, BenchCommand.class, TortureCommand.class, DiffCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  quiesce                          the stall demo, defaults (about 25 s)",
            "  quiesce --vcpus 4 --slice 0      vCPUs that leave sections only if kicked",
            "  quiesce stall --backend java     the experiment on JVM threads, pure Java",
            "  quiesce bench --backend ffm,java read side vs ReentrantReadWriteLock etc.",
            "  quiesce torture --time 30s       RCU torture test; exit 1 on a violation",
            "  quiesce diff --time 1m           differential fuzzing, Java twins vs C",
            "",
            "Run 'quiesce COMMAND --help' for a command's options. Exit status: 0 ok,",
            "1 a failed check (violation, divergence), 2 usage error, 3 other error."})
public final class Main implements Runnable {

    /** The top-level command; picocli fills in its options. */
    public Main() {
    }

    private static final Set<String> TOP_LEVEL = Set.of("-h", "--help", "-V", "--version");

    /**
     * Entry point: exits with the command's status.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(execute(out, err, args));
    }

    /**
     * Runs the tool without exiting (for tests and embedding).
     *
     * @param out where to write
     * @param err the err
     * @param args the command-line arguments
     * @return the exit status: 0 success, 1 a failed check (violation, divergence), 2 usage
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        String[] a = args;
        if (a.length == 0 || (a[0].startsWith("-") && !TOP_LEVEL.contains(a[0]))) {
            a = new String[args.length + 1];
            a[0] = "stall";
            System.arraycopy(args, 0, a, 1, args.length);
        }
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("quiesce " + line.getCommandName() + ": " + ex);
            if (Boolean.getBoolean("quiesce.debug")) {
                ex.printStackTrace(line.getErr());
            } else {
                line.getErr().println("(run with -Dquiesce.debug=true for the stack trace)");
            }
            return 3;
        });
        int rc = cl.execute(a);
        out.flush();
        err.flush();
        return rc;
    }

    @Override
    public void run() {
        // Not reached: execute() always names a command.
        throw new CommandLine.ParameterException(new CommandLine(this), "no command");
    }

    /** The version line: the jar's version and the JVM. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"quiesce " + (v != null ? v : "(development build)"),
                "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")};
        }
    }
}
