package dev.quiesce.purejava;

import dev.quiesce.internal.GpObserver;

import dev.quiesce.Backend;
import dev.quiesce.ErrorCode;
import dev.quiesce.engine.Params;
import dev.quiesce.engine.Policy;
import dev.quiesce.engine.Stats;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.BackendReader;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.spi.NotifierHandle;
import dev.quiesce.spi.RawStats;
import dev.quiesce.spi.StallInfo;
import dev.quiesce.spi.RcuBackend;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The pure-Java backend of the {@code dev.quiesce} facade: adapts
 * {@link PureDomain} and {@link PureReader} to the SPI. Found by the facade
 * through {@link Backend#PURE_JAVA}'s class name; always available (no
 * native code).
 *
 * <p>State errors of the runtime ({@link PureStateException}) are reported
 * through {@link ErrorCode#check(int, String)} with the errno the C library
 * returns in the same case, so this backend fails like the native ones.
 */
public final class PureJavaBackend implements RcuBackend {

    /** The availability check of the SPI: nothing to load. */
    public PureJavaBackend() {
    }

    @Override
    public Backend kind() {
        return Backend.PURE_JAVA;
    }

    @Override
    public String description() {
        return "java: pure-Java RCU (dev.quiesce.purejava), GP engine dev.quiesce.engine";
    }

    @Override
    public BackendDomain open(DomainConfig config) {
        Params params = new Params(Policy.valueOf(config.policy().nativeValue()), config.pollLimit(),
                config.callbackThreshold(), config.pollPeriodNanos());
        return new Domain(new PureDomain(params), config.stallTimeoutMillis() * 1_000_000L);
    }

    /** Rethrows a runtime refusal as the facade's exception for the same errno. */
    private static RuntimeException translate(PureStateException e, String operation) {
        RuntimeException r = ErrorCode.exception(-e.errno(), operation);
        r.addSuppressed(e);
        return r;
    }

    private static final class Domain implements BackendDomain, GpObserver.Observable {
        private final PureDomain dom;
        private final long stallTimeoutNs;

        Domain(PureDomain dom, long stallTimeoutNs) {
            this.dom = dom;
            this.stallTimeoutNs = stallTimeoutNs;
        }

        @Override
        public void setObserver(GpObserver observer) {
            dom.setObserver(observer);
        }

        @Override
        public BackendReader registerCurrentThread() {
            try {
                return new Reader(dom.register());
            } catch (PureStateException e) {
                throw translate(e, "qs_reader_new");
            }
        }

        @Override
        public void synchronize() {
            try {
                dom.synchronize();
            } catch (PureStateException e) {
                throw translate(e, "qs_synchronize");
            }
        }

        @Override
        public void call(Runnable callback) {
            try {
                dom.call(callback);
            } catch (PureStateException e) {
                throw translate(e, "qs_call");
            }
        }

        @Override
        public void drain() {
            try {
                dom.drain();
            } catch (PureStateException e) {
                throw translate(e, "qs_drain");
            }
        }

        @Override
        public void force() {
            dom.force();
        }

        @Override
        public long gpState() {
            return dom.getState();
        }

        @Override
        public long startPoll() {
            try {
                return dom.startPoll();
            } catch (PureStateException e) {
                throw translate(e, "qs_start_poll");
            }
        }

        @Override
        public boolean pollState(long cookie) {
            return dom.pollState(cookie);
        }

        @Override
        public void condSynchronize(long cookie) {
            try {
                dom.condSynchronize(cookie);
            } catch (PureStateException e) {
                throw translate(e, "qs_cond_synchronize");
            }
        }

        @Override
        public void setStallSink(Consumer<StallInfo> sink) {
            dom.setStallWatch(stallTimeoutNs, sink);
        }

        @Override
        public RawStats stats() {
            Stats s = dom.stats();
            return new RawStats(s.gps(), s.gpsFqs(), s.fqsByCause(), s.polls(), s.slowUnlocks(), s.notifierCalls(),
                    s.callbacksQueued(), s.callbacksRun(), s.drains(), s.forces(), s.syncs(), s.gpLatMaxNs(),
                    s.gpLatSumNs(), s.gpLatHist(), 0, 0, 0, 0, s.gpsNoReaders(), dom.stallReports());
        }

        @Override
        public void close() {
            try {
                dom.close();
            } catch (PureStateException e) {
                throw translate(e, "qs_domain_free");
            }
        }

        @Override
        public String toString() {
            return dom.toString();
        }
    }

    private static final class Reader implements BackendReader {
        private final PureReader reader;

        Reader(PureReader reader) {
            this.reader = reader;
        }

        @Override
        public void lock() {
            reader.lock();
        }

        @Override
        public void unlock() {
            reader.unlock();
        }

        @Override
        public NotifierHandle addNotifier(Runnable notifier) {
            ForceNotifier n = r -> notifier.run();
            reader.addNotifier(n);
            AtomicBoolean removed = new AtomicBoolean();
            return () -> {
                if (removed.compareAndSet(false, true)) {
                    reader.removeNotifier(n);
                }
            };
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (PureStateException e) {
                throw translate(e, "qs_reader_free");
            }
        }
    }
}
