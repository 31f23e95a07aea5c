package dev.quiesce.spi;

import dev.quiesce.Backend;
import java.lang.foreign.MemorySegment;

/**
 * A way to run RCU domains (FFM, JNA or pure Java).
 *
 * <p>Implementations are public classes with a public no-argument constructor,
 * named by {@link Backend#implementationClass()} and loaded by name, so the
 * facade has no compile-time dependency on them. The constructor is the
 * availability check: it loads what it needs (the native library, JNA, ...)
 * and throws {@link dev.quiesce.BackendUnavailableException} (or any
 * {@link LinkageError}, which the facade wraps into one) when it cannot run
 * here. The facade creates one instance per backend per class loader and
 * shares it among domains, so implementations are thread-safe.
 */
public interface RcuBackend {

    /**
     * {@return which backend this is}
     */
    Backend kind();

    /**
     * {@return a one-line description for logs and {@code RcuDomain.toString()}, such as
     * {@code "ffm: libquiesce 0.1.0 at /tmp/quiesce-123/libquiesce.so"}}
     */
    String description();

    /**
     * Creates a domain ({@code qs_domain_new}). No thread starts until the
     * first {@link BackendDomain#call(Runnable)}.
     *
     * @param config validated parameters
     * @return the new domain
     * @throws IllegalArgumentException if the backend rejects the parameters
     * @throws dev.quiesce.RcuException if the domain cannot be created
     */
    BackendDomain open(DomainConfig config);

    /**
     * Wraps a {@code qs_domain*} this backend did not create: the domain's
     * {@link BackendDomain#close()} then detaches (drains the callbacks it
     * queued, releases nothing it does not own) and never frees the native
     * domain. FFM only.
     *
     * @param qsDomain the {@code qs_domain*}; {@code null} for {@code qs_domain_default()}
     * @return the attached domain
     * @throws IllegalStateException if that domain is already open in this JVM
     * @throws UnsupportedOperationException unless FFM
     */
    default BackendDomain attach(MemorySegment qsDomain) {
        throw new UnsupportedOperationException(BackendDomain.NATIVE_MEMORY_NEEDS_FFM);
    }
}
