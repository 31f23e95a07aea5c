package dev.quiesce.purejava;

/** Runs code with the default uncaught-exception handler silenced (for tests that throw on purpose). */
final class QuietUncaught {
    private QuietUncaught() {
    }

    interface Body {
        void run() throws Exception;
    }

    static void silenced(Body body) throws Exception {
        Thread.UncaughtExceptionHandler old = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> { });
        try {
            body.run();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(old);
        }
    }
}
