package dev.quiesce.ffm;

import dev.quiesce.Backend;
import dev.quiesce.BackendUnavailableException;
import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_domain_config;
import dev.quiesce.bindings.qs_params;
import dev.quiesce.internal.NativeLoader;
import dev.quiesce.spi.BackendDomain;
import dev.quiesce.spi.DomainConfig;
import dev.quiesce.spi.RcuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * {@link RcuBackend} over libquiesce through the jextract-generated FFM
 * bindings. The library is loaded with {@link NativeLoader#load()} into this
 * class loader, where the bindings' {@code SymbolLookup.loaderLookup()} finds it.
 */
public final class FfmBackend implements RcuBackend {

    private final String description;

    /**
     * Loads libquiesce and links the bindings.
     *
     * @throws BackendUnavailableException if the library cannot be loaded or linked
     */
    public FfmBackend() {
        try {
            Path path = NativeLoader.load();
            String version = Quiesce.qs_version().reinterpret(64).getString(0);
            FfmUpcalls.init();
            description = "ffm: libquiesce " + version + " at " + path;
        } catch (LinkageError | IllegalStateException | IllegalCallerException e) {
            throw new BackendUnavailableException(Backend.FFM, "cannot load or link libquiesce: " + e
                    + (e instanceof IllegalCallerException
                            ? " (run with --enable-native-access=dev.quiesce,dev.quiesce.bindings on the module"
                                    + " path, or =ALL-UNNAMED on the class path)"
                            : ""), e);
        }
    }

    @Override
    public Backend kind() {
        return Backend.FFM;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public BackendDomain open(DomainConfig config) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cfg = nativeConfig(config, arena);
            MemorySegment out = arena.allocate(Quiesce.C_POINTER);
            ErrorCode.check(Quiesce.qs_domain_new(cfg, out), "qs_domain_new");
            return new FfmDomain(out.get(Quiesce.C_POINTER, 0));
        }
    }

    /**
     * {@code config} as a native {@code qs_domain_config} in {@code arena}
     * (also used by the emulator's {@code Machine}, which creates its domain
     * itself).
     *
     * @param config the configuration
     * @param arena the arena
     * @return the memory segment
     */
    public static MemorySegment nativeConfig(DomainConfig config, Arena arena) {
        MemorySegment cfg = qs_domain_config.allocate(arena);
        ErrorCode.check(Quiesce.qs_domain_config_init(cfg, config.policy().nativeValue()), "qs_domain_config_init");
        MemorySegment params = qs_domain_config.params(cfg);
        qs_params.poll_limit(params, config.pollLimit());
        qs_params.cb_threshold(params, config.callbackThreshold());
        qs_params.poll_period_ns(params, config.pollPeriodNanos());
        qs_domain_config.use_membarrier(cfg, config.useMembarrier() ? 1 : 0);
        qs_domain_config.worker_slice_us(cfg, config.workerSliceMicros());
        qs_domain_config.stall_timeout_ms(cfg, (int) config.stallTimeoutMillis());
        return cfg;
    }
}
