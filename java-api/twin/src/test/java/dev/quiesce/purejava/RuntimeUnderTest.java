package dev.quiesce.purejava;

import dev.quiesce.engine.Stats;

/**
 * The operations a threaded workload needs from an RCU runtime, so the
 * same workload runs on the native runtime (through {@link NativeRuntime})
 * and on the pure-Java one ({@link PureRuntime}).
 */
interface RuntimeUnderTest extends AutoCloseable {

    /** A registered reader, owned by the thread that registered it. */
    interface Reader {
        void lock();

        void unlock();

        /** Add a force notifier (runs on the writer thread). */
        void addNotifier(Runnable onForce);

        /** Unregister (owner thread, outside sections). */
        void close();
    }

    /** "native" or "java". */
    String name();

    /** Register the calling thread. */
    Reader register();

    void synchronize();

    void call(Runnable callback);

    void drain();

    void force();

    Stats stats();

    @Override
    void close();

    /** The pure-Java runtime. */
    final class PureRuntime implements RuntimeUnderTest {
        private final PureDomain dom;

        PureRuntime(dev.quiesce.engine.Params params) {
            dom = new PureDomain(params);
        }

        @Override
        public String name() {
            return "java";
        }

        @Override
        public Reader register() {
            PureReader r = dom.register();
            return new Reader() {
                @Override
                public void lock() {
                    r.lock();
                }

                @Override
                public void unlock() {
                    r.unlock();
                }

                @Override
                public void addNotifier(Runnable onForce) {
                    r.addNotifier(x -> onForce.run());
                }

                @Override
                public void close() {
                    r.close();
                }
            };
        }

        @Override
        public void synchronize() {
            dom.synchronize();
        }

        @Override
        public void call(Runnable callback) {
            dom.call(callback);
        }

        @Override
        public void drain() {
            dom.drain();
        }

        @Override
        public void force() {
            dom.force();
        }

        @Override
        public Stats stats() {
            return dom.stats();
        }

        @Override
        public void close() {
            dom.close();
        }
    }
}
