package dev.quiesce;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A reference protected by an {@link RcuDomain}: readers {@link #get()} it
 * inside a read section, writers {@link #publish(Object) publish} a new value
 * and reclaim the old one only after a grace period, either by waiting
 * ({@link #replaceAndSynchronize(Object)}) or through a callback
 * ({@link #replace(Object, Consumer)}). The Java counterpart of
 * {@code rcu_dereference} / {@code rcu_assign_pointer}.
 *
 * <p>Writers that may race with each other serialize among themselves (a lock,
 * or a single writer thread); readers never wait.
 *
 * <p><b>Memory consistency effects.</b> Actions of a thread before it
 * publishes a value <i>happen-before</i> a reader's {@code get()} that returns
 * it. A reclaim action passed to {@code replace} runs after every read section
 * that could have returned the old value from {@code get()} has closed.
 *
 * <p><b>Sample usage.</b>
 * <pre>{@code
 * RcuReference<Route[]> table = new RcuReference<>(rcu, initialRoutes);
 * // reader
 * try (ReadSection s = rcu.read()) {
 *     Route r = lookup(table.get(), address);
 * }
 * // writer (one at a time)
 * Route[] next = withRoute(table.peek(), newRoute);
 * table.replace(next, old -> pool.recycle(old));
 * }</pre>
 *
 * @param <T> the type of the referenced objects
 */
public final class RcuReference<T> {

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(RcuReference.class, "value", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RcuDomain domain;
    /* Published with release stores, read with acquire loads (VALUE). */
    @SuppressWarnings("unused")
    private volatile Object value;

    /**
     * A reference holding {@code null}.
     *
     * @param domain the domain whose grace periods protect the value
     * @throws NullPointerException if {@code domain} is null
     */
    public RcuReference(RcuDomain domain) {
        this(domain, null);
    }

    /**
     * A reference holding {@code initial} (may be null).
     *
     * @param domain the domain whose grace periods protect the value
     * @param initial the first value (may be null)
     * @throws NullPointerException if {@code domain} is null
     */
    public RcuReference(RcuDomain domain, T initial) {
        this.domain = Objects.requireNonNull(domain, "domain");
        VALUE.setRelease(this, initial);
    }

    /**
     * {@return the domain whose grace periods protect this reference}
     */
    public RcuDomain domain() {
        return domain;
    }

    /**
     * {@return the current value; valid until the enclosing read section closes}
     *
     * @throws IllegalStateException if the calling thread is not inside a read section of the domain
     */
    @SuppressWarnings("unchecked")
    public T get() {
        if (!domain.inReadSection()) {
            throw new IllegalStateException("RcuReference.get() outside a read section of " + domain
                    + ": use try (ReadSection s = domain.read()) { ... }");
        }
        return (T) VALUE.getAcquire(this);
    }

    /**
     * {@return the current value, with the section as proof of protection (cheaper
     * than {@link #get()}: no thread-local lookup)}
     *
     * @param section the current value, with the section as proof of protection (cheaper
     * than {@link #get()}: no thread-local lookup)
     * @throws IllegalStateException if the section is closed, belongs to another
     *         thread or to another domain
     */
    @SuppressWarnings("unchecked")
    public T get(ReadSection section) {
        section.checkUsable();
        if (section.domain() != domain) {
            throw new IllegalStateException("the read section belongs to " + section.domain()
                    + ", not to this reference's " + domain);
        }
        return (T) VALUE.getAcquire(this);
    }

    /**
     * {@return the current value without protection: for writers (who serialize among
     * themselves) building the next version} Do not keep it past a grace period.
     */
    @SuppressWarnings("unchecked")
    public T peek() {
        return (T) VALUE.getAcquire(this);
    }

    /**
     * Publishes {@code newValue} ({@code rcu_assign_pointer}); readers entering afterwards see it.
     *
     * @param newValue the new value
     */
    public void publish(T newValue) {
        VALUE.setRelease(this, newValue);
    }

    /**
     * Same as {@link #publish(Object)}.
     *
     * @param newValue the new value
     */
    public void set(T newValue) {
        publish(newValue);
    }

    /**
     * Publishes {@code newValue} and hands the old value to {@code reclaim}
     * after a grace period, on the domain's worker ({@link RcuDomain#callRcu}).
     * Nothing is queued when the old value is null.
     *
     * @param reclaim receives the old value once no reader can still hold it
     * @param newValue the new value
     * @return the old value (readers may still use it: do not reclaim it yourself)
     * @throws NullPointerException if {@code reclaim} is null
     * @throws IllegalStateException if the domain is closed (the new value is then not published)
     */
    @SuppressWarnings("unchecked")
    public T replace(T newValue, Consumer<? super T> reclaim) {
        Objects.requireNonNull(reclaim, "reclaim");
        if (domain.isClosed()) {
            throw new IllegalStateException("replace(): " + domain + " is closed");
        }
        T old = (T) VALUE.getAndSet(this, newValue);
        if (old != null) {
            domain.callRcu(new Reclaim<>(old, reclaim));
        }
        return old;
    }

    /**
     * Publishes {@code newValue}, waits for a grace period and returns the old
     * value, which no reader holds any more.
     *
     * @param newValue the new value
     * @return the value that was replaced
     * @throws IllegalStateException as {@link RcuDomain#synchronize()}
     */
    @SuppressWarnings("unchecked")
    public T replaceAndSynchronize(T newValue) {
        if (domain.inReadSection()) {
            throw new IllegalStateException("replaceAndSynchronize() inside a read section would wait for itself");
        }
        T old = (T) VALUE.getAndSet(this, newValue);
        domain.synchronize();
        return old;
    }

    @Override
    public String toString() {
        return "RcuReference[" + domain + "]";
    }

    private static final class Reclaim<T> implements Runnable {
        private final T old;
        private final Consumer<? super T> reclaim;

        Reclaim(T old, Consumer<? super T> reclaim) {
            this.old = old;
            this.reclaim = reclaim;
        }

        @Override
        public void run() {
            reclaim.accept(old);
        }

        @Override
        public String toString() {
            return "reclaim of " + old;
        }
    }
}
