package dev.quiesce;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * An RCU-protected pointer slot in native memory, shared with C: C readers
 * load it with {@code qs_rcu_read} (or QEMU's {@code qatomic_rcu_read}) and
 * C writers may store it with {@code qs_rcu_publish} / {@code qs_rcu_exchange}.
 * The slot holds the address of a <em>target</em>, an object of
 * {@link #targetByteSize()} bytes in native memory, or NULL.
 *
 * <p><b>Writers</b> {@link #publish(MemorySegment)} a new target,
 * {@link #exchange(MemorySegment)} it for the old one, or
 * {@link #replace(MemorySegment)} it: exchange and
 * {@linkplain RcuDomain#retire(MemorySegment) retire} the old one, which the
 * domain's native worker frees after a grace period without running Java code.
 *
 * <p><b>Readers</b>, inside a read section of the pointer's domain only,
 * either read the current target in place ({@link #getLong(ReadSection, long)}
 * and its siblings: the hot path, no object per read) or take a
 * {@link #view(ReadSection)} of it, a segment that dies with the section.
 * Each read loads the slot anew: two reads in one section may see two targets.
 *
 * <pre>{@code
 * RcuDomain rcu = RcuDomain.nativeDefault();          // the domain C uses too
 * RcuPointer config = RcuPointer.allocate(rcu, Arena.global(), 64);
 * MemorySegment next = rcu.allocate(64, 64);
 * next.set(ValueLayout.JAVA_LONG, 0, 42);
 * config.replace(next);                               // C readers see 42 from now on
 * try (ReadSection s = rcu.read()) {
 *     long v = config.getLong(s, 0);
 * }
 * }</pre>
 *
 * <p>FFM backend only (JDK 22+). Thread-safe.
 */
public final class RcuPointer {

    /*
     * Reads go through ALL, one constant segment over the whole address
     * space, at absolute addresses (as FfmReadSide does for the reader
     * records): C2 folds its bounds and liveness checks, so a read is the
     * section checks, one load of the slot, one bounds test against
     * targetByteSize and the load itself, with no allocation. What makes the
     * raw address safe: a target found in the slot inside a section of this
     * domain is freed only after a grace period that began after it was
     * unpublished, which waits for that section; every read checks first
     * that the caller's section is open (and is the caller's).
     */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final VarHandle SLOT = ValueLayout.JAVA_LONG.varHandle();

    private final RcuDomain domain;
    /* 8 bytes, 8-aligned, native. */
    private final MemorySegment slot;
    private final long targetByteSize;

    private RcuPointer(RcuDomain domain, MemorySegment slot, long targetByteSize) {
        this.domain = domain;
        this.slot = slot;
        this.targetByteSize = targetByteSize;
    }

    /**
     * Allocates a slot (8 bytes, 8-aligned, NULL) in {@code arena}; hand
     * {@link #slot()} to C readers. The slot lives as long as the arena.
     *
     * @param domain the domain whose read sections protect the targets
     * @param arena where the slot lives
     * @param targetByteSize how many bytes every target has (reads past it are refused)
     * @return the pointer, NULL
     * @throws NullPointerException if {@code domain} or {@code arena} is null
     * @throws IllegalArgumentException if {@code targetByteSize} is not positive
     * @throws IllegalStateException if the domain is closed
     * @throws UnsupportedOperationException if the domain does not run on the FFM backend
     */
    public static RcuPointer allocate(RcuDomain domain, Arena arena, long targetByteSize) {
        checkDomain(domain, targetByteSize);
        Objects.requireNonNull(arena, "arena");
        return new RcuPointer(domain, arena.allocate(ValueLayout.JAVA_LONG), targetByteSize);
    }

    /**
     * Wraps a slot C gave, a {@code void *} variable that C readers load with
     * {@code qs_rcu_read}. Its current value is kept: it must be NULL or the
     * address of a live target of {@code targetByteSize} bytes.
     *
     * @param domain the domain whose read sections protect the targets
     * @param slot the slot: a native segment of exactly 8 bytes at an 8-aligned
     *        address (a pointer from C: {@code MemorySegment.ofAddress(p).reinterpret(8)})
     * @param targetByteSize how many bytes every target has
     * @return the pointer
     * @throws NullPointerException if {@code domain} or {@code slot} is null
     * @throws IllegalArgumentException if {@code slot} is not native, not 8
     *         bytes long or not 8-aligned, or {@code targetByteSize} is not positive
     * @throws IllegalStateException if the domain is closed
     * @throws UnsupportedOperationException if the domain does not run on the FFM backend
     */
    public static RcuPointer wrap(RcuDomain domain, MemorySegment slot, long targetByteSize) {
        checkDomain(domain, targetByteSize);
        Objects.requireNonNull(slot, "slot");
        if (!slot.isNative()) {
            throw new IllegalArgumentException("the slot must be native memory C can read, not " + slot);
        }
        if (slot.byteSize() != Long.BYTES) {
            throw new IllegalArgumentException("the slot must be 8 bytes (one pointer), not " + slot.byteSize()
                    + (slot.byteSize() == 0 ? ": reinterpret(8) an address from C" : ""));
        }
        if ((slot.address() & (Long.BYTES - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "the slot must be 8-aligned (atomic loads and stores), 0x%x is not", slot.address()));
        }
        return new RcuPointer(domain, slot, targetByteSize);
    }

    private static void checkDomain(RcuDomain domain, long targetByteSize) {
        Objects.requireNonNull(domain, "domain");
        domain.checkNativeMemory();
        domain.registry.checkOpen("RcuPointer");
        if (targetByteSize <= 0) {
            throw new IllegalArgumentException("targetByteSize must be positive, got " + targetByteSize);
        }
    }

    // ------------------------------------------------------------ writers

    /**
     * Publishes {@code target}: readers that load the slot after this see it,
     * and its contents as written before this call. The old target is left as
     * it is (use {@link #replace} to retire it).
     *
     * @param target the new target ({@code MemorySegment.NULL} for NULL): a
     *        native segment of at least {@link #targetByteSize()} bytes, or a
     *        zero-length one (an address from C, taken as is)
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException if {@code target} is not native, or smaller than a target
     */
    public void publish(MemorySegment target) {
        long address = addressOf(target);
        // Release store: the target's contents, written before, become visible
        // no later than its address. Pairs with the readers' acquire load
        // (getAcquire below in Java, qs_rcu_read / qatomic_rcu_read in C).
        SLOT.setRelease(slot, 0L, address);
    }

    /**
     * Publishes {@code target} like {@link #publish} and returns the target it
     * replaced, which readers may still be using: free it only after a grace
     * period ({@link RcuDomain#retire}, or {@link RcuDomain#synchronize()}).
     *
     * @param target the new target, as for {@link #publish}
     * @return the old target as a segment of {@link #targetByteSize()} bytes
     *         (global scope), or {@code MemorySegment.NULL}
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException as {@link #publish}
     */
    public MemorySegment exchange(MemorySegment target) {
        return segment(swap(addressOf(target)));
    }

    /* Sequentially consistent exchange (xchg), like qs_rcu_exchange: release for
     * the new target's contents (pairs with the readers' acquire load), and
     * the unpublishing is ordered before whatever retires the old target. */
    private long swap(long address) {
        return (long) SLOT.getAndSet(slot, 0L, address);
    }

    /**
     * Publishes {@code target} and retires the old target (if not NULL) with
     * {@link RcuDomain#retire(MemorySegment)}: the native worker frees it
     * after a grace period. For targets from {@link RcuDomain#allocate}.
     *
     * @param target the new target, as for {@link #publish}
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException as {@link #publish}; nothing changes
     * @throws IllegalStateException if the domain is closed (nothing changes),
     *         or the old target was already retired (it is unpublished, and
     *         not freed twice)
     */
    public void replace(MemorySegment target) {
        replace(target, null);
    }

    /**
     * Like {@link #replace(MemorySegment)}, but the old target is freed by the
     * C function {@code freeFunction} ({@code void (*)(void *)}, see
     * {@link RcuDomain#retire(MemorySegment, MemorySegment)}): for targets C allocated.
     *
     * @param target the new target, as for {@link #publish}
     * @param freeFunction the C free function of the old target, or {@code null} for {@code qs_mem_free}
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException as {@link #publish}, or if {@code freeFunction} is NULL; nothing changes
     * @throws IllegalStateException as {@link #replace(MemorySegment)}
     */
    public void replace(MemorySegment target, MemorySegment freeFunction) {
        long address = addressOf(target);
        if (freeFunction != null && (!freeFunction.isNative() || freeFunction.address() == 0)) {
            throw new IllegalArgumentException("freeFunction must be a non-NULL native address, got " + freeFunction);
        }
        domain.registry.checkOpen("replace()");
        long old = swap(address);
        if (old != 0) {
            MemorySegment o = segment(old);
            if (freeFunction == null) {
                domain.retire(o);
            } else {
                domain.retire(o, freeFunction);
            }
        }
    }

    private long addressOf(MemorySegment target) {
        Objects.requireNonNull(target, "target");
        if (!target.isNative()) {
            throw new IllegalArgumentException("a target must be native memory, not " + target);
        }
        long size = target.byteSize();
        if (size != 0 && size < targetByteSize) {
            throw new IllegalArgumentException("a target of " + size + " bytes is smaller than targetByteSize "
                    + targetByteSize + ": readers would read past it");
        }
        return target.address();
    }

    private MemorySegment segment(long address) {
        return address == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address).reinterpret(targetByteSize);
    }

    // ------------------------------------------------------------ readers

    /*
     * The current target's address plus offset, for a read of `bytes`. The
     * section is checked first (open, the caller's, this domain's): only
     * then is the target protected.
     */
    private long at(ReadSection section, long offset, long bytes) {
        check(section);
        // Acquire load: pairs with publish()'s release store and with the
        // exchange (and with C's qs_rcu_publish / qs_rcu_exchange): the reads
        // of the target below see what the writer wrote before publishing.
        long address = (long) SLOT.getAcquire(slot, 0L);
        if (address == 0) {
            throw new NullPointerException("the RcuPointer's target is NULL");
        }
        Objects.checkFromIndexSize(offset, bytes, targetByteSize);
        return address + offset;
    }

    private void check(ReadSection section) {
        if (section.domain() != domain) {
            throw new IllegalArgumentException("a read section of " + section.domain()
                    + " does not protect the targets of an RcuPointer of " + domain);
        }
        section.checkProtecting(); // closed, left, or another thread's: IllegalStateException
    }

    /**
     * Reads a {@code long} (native byte order, any alignment) at
     * {@code offset} in the current target.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if {@code offset} is negative or the
     *         read ends past {@link #targetByteSize()}
     * @throws NullPointerException if the target is NULL
     */
    public long getLong(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, at(section, offset, Long.BYTES));
    }

    /**
     * Reads an {@code int} at {@code offset} in the current target, as {@link #getLong}.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if the read does not fit in the target
     * @throws NullPointerException if the target is NULL
     */
    public int getInt(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_INT_UNALIGNED, at(section, offset, Integer.BYTES));
    }

    /**
     * Reads a {@code short} at {@code offset} in the current target, as {@link #getLong}.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if the read does not fit in the target
     * @throws NullPointerException if the target is NULL
     */
    public short getShort(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, at(section, offset, Short.BYTES));
    }

    /**
     * Reads a {@code byte} at {@code offset} in the current target, as {@link #getLong}.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if the read does not fit in the target
     * @throws NullPointerException if the target is NULL
     */
    public byte getByte(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_BYTE, at(section, offset, Byte.BYTES));
    }

    /**
     * Reads a {@code double} at {@code offset} in the current target, as {@link #getLong}.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if the read does not fit in the target
     * @throws NullPointerException if the target is NULL
     */
    public double getDouble(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at(section, offset, Double.BYTES));
    }

    /**
     * Reads a {@code float} at {@code offset} in the current target, as {@link #getLong}.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @param offset the byte offset in the target
     * @return the value
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     * @throws IndexOutOfBoundsException if the read does not fit in the target
     * @throws NullPointerException if the target is NULL
     */
    public float getFloat(ReadSection section, long offset) {
        return ALL.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at(section, offset, Float.BYTES));
    }

    /**
     * {@return the current target as a segment of {@link #targetByteSize()}
     * bytes whose lifetime ends with {@code section}, or {@code MemorySegment.NULL}
     * if the target is NULL} Accessing it after the
     * section closed throws {@link IllegalStateException} (it never reads
     * freed memory), and from another thread {@link WrongThreadException}.
     * The views of one section share one confined arena, closed with the
     * section; a section without views pays nothing for them.
     *
     * @param section an open read section of this pointer's domain, the caller's
     * @throws IllegalStateException if {@code section} is closed or another thread's
     * @throws IllegalArgumentException if {@code section} belongs to another domain
     */
    public MemorySegment view(ReadSection section) {
        check(section);
        // Acquire load: as in at().
        long address = (long) SLOT.getAcquire(slot, 0L);
        if (address == 0) {
            return MemorySegment.NULL;
        }
        Runnable scope = section.viewScope();
        Arena arena;
        if (scope instanceof ViewScope v) {
            arena = v.arena;
        } else {
            arena = Arena.ofConfined();
            section.viewScope(new ViewScope(arena));
        }
        return MemorySegment.ofAddress(address).reinterpret(targetByteSize, arena, null);
    }

    /* Closes the views' arena when the section closes (ReadSection.close). */
    private record ViewScope(Arena arena) implements Runnable {
        @Override
        public void run() {
            arena.close();
        }
    }

    // ------------------------------------------------------------ information

    /**
     * {@return the slot: 8 bytes holding the target's address, for C readers}
     */
    public MemorySegment slot() {
        return slot;
    }

    /**
     * {@return the byte size of every target}
     */
    public long targetByteSize() {
        return targetByteSize;
    }

    /**
     * {@return the domain whose read sections protect the targets}
     */
    public RcuDomain domain() {
        return domain;
    }

    @Override
    public String toString() {
        return String.format("RcuPointer[slot=0x%x, targetByteSize=%d, %s]", slot.address(), targetByteSize, domain);
    }
}
