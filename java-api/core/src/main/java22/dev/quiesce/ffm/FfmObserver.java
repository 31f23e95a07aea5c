package dev.quiesce.ffm;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_batch_end_fn;
import dev.quiesce.bindings.qs_batch_record;
import dev.quiesce.bindings.qs_force_fn;
import dev.quiesce.bindings.qs_gp_end_fn;
import dev.quiesce.bindings.qs_gp_record;
import dev.quiesce.bindings.qs_observer;
import dev.quiesce.internal.GpObserver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The native GP observer ({@code qs_set_observer}) of FFM domains: three
 * static upcall stubs in {@link Arena#global()} (they outlive every worker
 * that may call them), and the observer of each domain found by the opaque
 * id the library hands back.
 */
public final class FfmObserver {

    /* opaque id -> observer. An id stays mapped after uninstall until the
     * next install replaces it: calls already under way may still come. */
    private static final Map<Long, GpObserver> OBSERVERS = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_ID = new AtomicLong(1);

    private static final MemorySegment GP_END_STUB = qs_gp_end_fn.allocate(FfmObserver::onGpEnd, Arena.global());
    private static final MemorySegment BATCH_STUB = qs_batch_end_fn.allocate(FfmObserver::onBatch, Arena.global());
    private static final MemorySegment FORCE_STUB = qs_force_fn.allocate(FfmObserver::onForce, Arena.global());

    private FfmObserver() {
    }

    /**
     * {@return an observable view of a raw {@code qs_domain} (for the
     * emulator's machines, whose domains are not {@code FfmDomain}s)}
     *
     * @param dom the domain; must outlive every install and uninstall
     */
    public static GpObserver.Observable of(MemorySegment dom) {
        return new GpObserver.Observable() {
            private long id;

            @Override
            public synchronized void setObserver(GpObserver observer) {
                id = install(dom, observer, id);
            }
        };
    }

    /**
     * Installs {@code o} on {@code dom} (null uninstalls); returns the id now
     * in use (0 for none), after removing {@code previousId}.
     */
    static long install(MemorySegment dom, GpObserver o, long previousId) {
        long id = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment obs = MemorySegment.NULL;
            if (o != null) {
                id = NEXT_ID.getAndIncrement();
                OBSERVERS.put(id, o);
                obs = qs_observer.allocate(a);
                qs_observer.on_gp_end(obs, GP_END_STUB);
                qs_observer.on_batch(obs, BATCH_STUB);
                qs_observer.on_force(obs, FORCE_STUB);
                qs_observer.opaque(obs, MemorySegment.ofAddress(id));
            }
            int rc = Quiesce.qs_set_observer(dom, obs);
            if (rc != 0) {
                if (id != 0) {
                    OBSERVERS.remove(id);
                }
                ErrorCode.check(rc, "qs_set_observer");
            }
        }
        if (previousId != 0) {
            OBSERVERS.remove(previousId);
        }
        return id;
    }

    private static void onGpEnd(MemorySegment rec, MemorySegment opaque) {
        try {
            GpObserver o = OBSERVERS.get(opaque.address());
            if (o != null) {
                MemorySegment r = rec.reinterpret(qs_gp_record.sizeof());
                o.gracePeriodEnded(qs_gp_record.number(r), qs_gp_record.start_ns(r), qs_gp_record.duration_ns(r),
                        qs_gp_record.policy(r), qs_gp_record.fqs(r) != 0, qs_gp_record.cause(r),
                        qs_gp_record.readers_waited(r), qs_gp_record.expedited(r) != 0, qs_gp_record.polls(r),
                        qs_gp_record.notifier_calls(r), qs_gp_record.fqs_ns(r));
            }
        } catch (Throwable t) {
            FfmUpcalls.lastResort("GP observer", t);
        }
    }

    private static void onBatch(MemorySegment rec, MemorySegment opaque) {
        try {
            GpObserver o = OBSERVERS.get(opaque.address());
            if (o != null) {
                MemorySegment r = rec.reinterpret(qs_batch_record.sizeof());
                o.batchEnded(qs_batch_record.count(r), qs_batch_record.start_ns(r), qs_batch_record.duration_ns(r));
            }
        } catch (Throwable t) {
            FfmUpcalls.lastResort("batch observer", t);
        }
    }

    private static void onForce(MemorySegment opaque) {
        try {
            GpObserver o = OBSERVERS.get(opaque.address());
            if (o != null) {
                o.forced();
            }
        } catch (Throwable t) {
            FfmUpcalls.lastResort("force observer", t);
        }
    }
}
