package dev.quiesce.emu;

import dev.quiesce.ErrorCode;
import dev.quiesce.bindings.Quiesce;
import dev.quiesce.bindings.qs_emu_stats;
import dev.quiesce.bindings.qs_gpu_config;
import dev.quiesce.bindings.qs_gpu_stats;
import dev.quiesce.bindings.qs_latency;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A machine's virtio-gpu device ({@code qs_gpu}): submit commands, get their
 * responses as futures.
 *
 * <p>Commands are processed strictly in submission order. One that the
 * device can answer at once completes its future before {@link #submit}
 * returns; one that waits behind a pending unmap (and the unmap itself,
 * which waits for the blob's region to be freed through RCU) completes
 * later, on the device's poller thread, which waits on the native response
 * queue. Each {@link Response} carries the latency the submitter saw
 * (submit call to response, measured in Java).
 *
 * <p>Dependent stages of the futures run on the poller thread unless
 * attached with an {@code ...Async} method: keep them short there, and
 * never wait in them for another response (only the poller delivers it).
 *
 * <p>Thread-safe. Closed with its {@link Machine}.
 */
public final class GpuDevice {

    /* How long one wait of the poller lasts before it checks whether to stop. */
    private static final long POLL_WAIT_NS = 20_000_000L;
    /* How long close() waits for outstanding commands before cancelling them. */
    private static final long CLOSE_WAIT_NS = 30_000_000_000L;

    private record Outstanding(CompletableFuture<Response> future, long t0) {
    }

    private final Machine owner;
    private final MemorySegment dev;
    private final MemorySegment dom;
    private final GpuConfig config;
    private final ConcurrentHashMap<Long, Outstanding> outstanding = new ConcurrentHashMap<>();
    private final AtomicLong nextTag = new AtomicLong(1);
    private final Thread poller;
    /* The poller's scheduler slice: the machine's worker slice (0: the kernel's default). */
    private final int pollerSliceMicros;
    /** The device's lifecycle. */
    private enum Lifecycle {
        /** Accepting commands. */
        OPEN,
        /** Refusing new commands; outstanding ones are being answered. */
        CLOSING,
        /** The native device is freed; only {@link #stats()} still answers (the last counters). */
        FREED
    }

    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    /* Written under life's write lock, read under its read lock. */
    private Lifecycle state = Lifecycle.OPEN;
    private volatile boolean stopPoller;
    /* The counters when the device was freed (set with state FREED). */
    private GpuStats lastStats;

    GpuDevice(Machine owner, MemorySegment as, MemorySegment dom, GpuConfig config, int pollerSliceMicros) {
        this.owner = owner;
        this.dom = dom;
        this.config = config;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = qs_gpu_config.allocate(a);
            ErrorCode.check(Quiesce.qs_gpu_config_init(c), "qs_gpu_config_init");
            qs_gpu_config.window_base(c, config.windowBase());
            qs_gpu_config.window_size(c, config.windowSize());
            qs_gpu_config.mem_limit(c, config.memLimit());
            qs_gpu_config.max_resources(c, config.maxResources());
            qs_gpu_config.queue_cap(c, config.queueCap());
            qs_gpu_config.force_on_unmap(c, config.forceOnUnmap() ? 1 : 0);
            qs_gpu_config.poison_on_free(c, config.poisonOnFree() ? 1 : 0);
            MemorySegment out = a.allocate(Quiesce.C_POINTER);
            ErrorCode.check(Quiesce.qs_gpu_new(as, c, out), "qs_gpu_new");
            this.dev = out.get(Quiesce.C_POINTER, 0);
        }
        this.pollerSliceMicros = pollerSliceMicros;
        this.poller = new Thread(this::pollLoop, "quiesce-gpu-poller");
        poller.setDaemon(true);
        poller.start();
    }

    /**
     * {@return the configuration}
     */
    public GpuConfig config() {
        return config;
    }

    /**
     * {@return the guest address of window offset {@code offset}}
     *
     * @param offset the guest address of window offset {@code offset}
     */
    public long windowAddress(long offset) {
        return config.windowAddress(offset);
    }

    // ------------------------------------------------------------ commands

    /**
     * Submits a command.
     *
     * @param command the command
     * @return its response, completed at once or later (see the class comment);
     *         completed with a {@link CancellationException} if the device is closed first
     * @throws RejectedExecutionException if {@link GpuConfig#queueCap()} commands are in flight
     *         (like a full virtqueue; nothing was submitted)
     * @throws IllegalStateException if the device is closed
     */
    public CompletableFuture<Response> submit(GpuCommand command) {
        return submitRaw(command.toBytes());
    }

    /**
     * Submits arbitrary bytes as a command (malformed commands, fuzzing).
     * Malformed input is not an error here: the device answers it with the
     * specification's error response.
     *
     * @param bytes the bytes
     * @return the completable future{@code <response>}
     * @see #submit(GpuCommand)
     */
    public CompletableFuture<Response> submitRaw(byte[] bytes) {
        CompletableFuture<Response> future = new CompletableFuture<>();
        long tag = nextTag.getAndIncrement();
        life.readLock().lock();
        try {
            if (state != Lifecycle.OPEN) {
                throw new IllegalStateException("the device of " + owner + " is closed");
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cmd = bytes.length == 0 ? MemorySegment.NULL
                        : a.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
                MemorySegment resp = a.allocate(VirtioGpu.RESP_MAX);
                MemorySegment respLen = a.allocate(ValueLayout.JAVA_INT);
                long t0 = System.nanoTime();
                // Before the downcall: the poller may see the response first.
                outstanding.put(tag, new Outstanding(future, t0));
                int rc = Quiesce.qs_gpu_submit(dev, cmd, bytes.length, tag, resp, VirtioGpu.RESP_MAX, respLen);
                if (rc == Quiesce.QS_GPU_DONE()) {
                    long t1 = System.nanoTime();
                    outstanding.remove(tag);
                    int n = respLen.get(ValueLayout.JAVA_INT, 0);
                    future.complete(Response.decode(resp.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), t1 - t0));
                } else if (rc != Quiesce.QS_GPU_QUEUED()) {
                    outstanding.remove(tag);
                    if (rc == EmuNative.EAGAIN) {
                        throw new RejectedExecutionException(config.queueCap()
                                + " commands in flight: wait for responses before submitting more");
                    }
                    ErrorCode.check(rc, "qs_gpu_submit");
                }
            }
        } finally {
            life.readLock().unlock();
        }
        return future;
    }

    /**
     * Submits a command and waits for its response (at most 60 s).
     *
     * @param command the command
     * @return the response
     * @throws IllegalStateException if no response came within 60 s, or the device is closed
     */
    public Response execute(GpuCommand command) {
        return await(submit(command), Duration.ofSeconds(60));
    }

    /**
     * {@link #execute(GpuCommand)} for raw bytes.
     *
     * @param bytes the bytes
     * @return the response
     */
    public Response executeRaw(byte[] bytes) {
        return await(submitRaw(bytes), Duration.ofSeconds(60));
    }

    private static Response await(CompletableFuture<Response> f, Duration timeout) {
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the device", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the command failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no response within " + timeout, e);
        }
    }

    /**
     * Commands whose future is not complete yet.
     *
     * @return the outstanding
     */
    public int outstanding() {
        return outstanding.size();
    }

    /**
     * Waits until every submitted command's future is complete.
     *
     * @param timeout how long to wait at most
     * @return whether that happened within {@code timeout}
     * @throws InterruptedException if interrupted
     */
    public boolean awaitOutstanding(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!outstanding.isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(0, 200_000);
        }
        return true;
    }

    /* The poller: waits on the native response queue, completes futures by tag. */
    private void pollLoop() {
        // Like the RCU worker, the poller is woken while busy vCPU threads hold
        // the CPUs: with the kernel's default slice it waits for their next tick
        // (up to 4 ms) before it sees a response. Best effort: errors change nothing.
        Quiesce.qs_thread_set_slice_us(pollerSliceMicros);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tag = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment resp = a.allocate(VirtioGpu.RESP_MAX);
            MemorySegment respLen = a.allocate(ValueLayout.JAVA_INT);
            while (!stopPoller) {
                int rc = Quiesce.qs_gpu_wait(dev, POLL_WAIT_NS, tag, resp, VirtioGpu.RESP_MAX, respLen);
                if (rc != 0) {
                    continue; // -ETIMEDOUT
                }
                long t1 = System.nanoTime();
                Outstanding o = outstanding.remove(tag.get(ValueLayout.JAVA_LONG, 0));
                if (o != null) {
                    int n = respLen.get(ValueLayout.JAVA_INT, 0);
                    o.future.complete(Response.decode(resp.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), t1 - o.t0));
                }
            }
        }
    }

    // ------------------------------------------------------------ state

    /**
     * {@return a resource's lifecycle state, or empty if there is no such resource}
     *
     * @param resourceId a resource's lifecycle state, or empty if there is no such resource
     */
    public Optional<BlobState> blobState(int resourceId) {
        return call(() -> {
            int s = Quiesce.qs_gpu_blob_state(dev, resourceId);
            if (s == EmuNative.ENOENT) {
                return Optional.<BlobState>empty();
            }
            return Optional.of(BlobState.ofNative(ErrorCode.check(s, "qs_gpu_blob_state")));
        });
    }

    /**
     * {@return the window offset of a MAPPED resource, else empty}
     *
     * @param resourceId the window offset of a MAPPED resource, else empty
     */
    public OptionalLong blobOffset(int resourceId) {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment off = a.allocate(ValueLayout.JAVA_LONG);
                int rc = Quiesce.qs_gpu_blob_offset(dev, resourceId, off);
                return rc == 0 ? OptionalLong.of(off.get(ValueLayout.JAVA_LONG, 0)) : OptionalLong.empty();
            }
        });
    }

    /**
     * {@return the mappings of the given resources as the guest sees them now: for
     * each MAPPED one, its window offset and the length of the mapping that
     * starts there in the current view of the address space (translated
     * inside a read section)} Sorted by offset.
     *
     * @param resourceIds the resources to look at (the device cannot enumerate its own)
     */
    public List<Mapping> mappings(Iterable<Integer> resourceIds) {
        return call(() -> {
            TreeSet<Integer> ids = new TreeSet<>(Integer::compareUnsigned);
            resourceIds.forEach(ids::add);
            List<Mapping> out = new ArrayList<>();
            for (int id : ids) {
                OptionalLong off = blobOffset(id);
                if (off.isPresent()) {
                    long len = owner.mappedLength(config.windowAddress(off.getAsLong()));
                    out.add(new Mapping(id, off.getAsLong(), len));
                }
            }
            Collections.sort(out);
            return out;
        });
    }

    /**
     * Commands submitted and not yet answered by the device (queued or suspended).
     *
     * @return the pending
     */
    public int pending() {
        return call(() -> Quiesce.qs_gpu_pending(dev));
    }

    /**
     * {@return the device's counters}
     */
    public GpuStats stats() {
        life.readLock().lock();
        try {
            if (state == Lifecycle.FREED) {
                return lastStats;
            }
            return nativeStats();
        } finally {
            life.readLock().unlock();
        }
    }

    private GpuStats nativeStats() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = qs_gpu_stats.allocate(a);
            Quiesce.qs_gpu_stats_get(dev, s);
            return EmuNative.gpuStats(s);
        }
    }

    /**
     * {@return a copy of one of the device's latency histograms}
     *
     * @param kind a copy of one of the device's latency histograms
     */
    public LatencyHistogram latency(LatencyKind kind) {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = qs_latency.allocate(a);
                ErrorCode.check(Quiesce.qs_gpu_latency_get(dev, kind.nativeValue(), s), "qs_gpu_latency_get");
                return EmuNative.latency(s);
            }
        });
    }

    /** Forgets the recorded latencies (the counters stay). */
    public void resetLatency() {
        call(() -> {
            Quiesce.qs_gpu_latency_reset(dev);
            return null;
        });
    }

    /* qs_emu_stats_get for the machine (called under the machine's read lock). */
    EmuStats emuStats(MemorySegment machine) {
        life.readLock().lock();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = qs_emu_stats.allocate(a);
            boolean freed = state == Lifecycle.FREED;
            ErrorCode.check(Quiesce.qs_emu_stats_get(machine, freed ? MemorySegment.NULL : dev, s),
                    "qs_emu_stats_get");
            GpuStats g = freed ? lastStats : EmuNative.gpuStats(qs_emu_stats.gpu(s));
            return new EmuStats(EmuNative.machineStats(qs_emu_stats.machine(s)), g,
                    EmuNative.rcuStats(qs_emu_stats.rcu(s)));
        } finally {
            life.readLock().unlock();
        }
    }

    // ------------------------------------------------------------ closing

    /*
     * Closes the device: refuses new commands, lets the outstanding ones be
     * answered (draining the domain, which kicks busy vCPUs even under
     * LEGACY), stops the poller, frees the native device, and cancels
     * whatever is left. Idempotent.
     */
    synchronized void close() {
        life.writeLock().lock();
        try {
            if (state != Lifecycle.OPEN) {
                return;
            }
            state = Lifecycle.CLOSING;
        } finally {
            life.writeLock().unlock();
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NS;
        while (!outstanding.isEmpty() && System.nanoTime() - deadline < 0) {
            Quiesce.qs_drain(dom);
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopPoller = true;
        boolean interrupted = false;
        while (poller.isAlive()) {
            try {
                poller.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        life.writeLock().lock();
        try {
            lastStats = nativeStats();
            state = Lifecycle.FREED;
            ErrorCode.check(Quiesce.qs_gpu_free(dev), "qs_gpu_free");
        } finally {
            life.writeLock().unlock();
            for (Outstanding o : outstanding.values()) {
                o.future.completeExceptionally(new CancellationException("the device was closed"));
            }
            outstanding.clear();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private <T> T call(java.util.function.Supplier<T> body) {
        life.readLock().lock();
        try {
            if (state == Lifecycle.FREED) {
                throw new IllegalStateException("the device of " + owner + " is closed");
            }
            return body.get();
        } finally {
            life.readLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "GpuDevice[window 0x" + Long.toHexString(config.windowBase()) + " +0x"
                + Long.toHexString(config.windowSize()) + (config.forceOnUnmap() ? ", force on unmap" : "") + "]";
    }
}
