package dev.quiesce.jpms;

import dev.quiesce.Backend;
import dev.quiesce.RcuDomain;
import dev.quiesce.ReadSection;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child program of {@link ModulePathTest}: runs on the class path (the
 * unnamed module) against {@code dev.quiesce} on the module path, so it sees
 * exported packages only. For each backend named in {@code args}: a domain, a
 * read section, a callback, synchronize and drain.
 */
public final class ModulePathMain {

    private ModulePathMain() {
    }

    public static void main(String[] args) {
        Module api = RcuDomain.class.getModule();
        System.out.println("api module: " + api.getName());
        System.out.println("bindings module: "
                + ModuleLayer.boot().findModule("dev.quiesce.bindings").map(Module::getName).orElse("none"));
        for (String name : args) {
            Backend backend = Backend.valueOf(name);
            AtomicInteger callbacks = new AtomicInteger();
            try (RcuDomain rcu = RcuDomain.builder().backend(backend).build()) {
                try (ReadSection section = rcu.read()) {
                    if (!rcu.inReadSection()) {
                        throw new AssertionError("not in a read section");
                    }
                }
                rcu.callRcu(callbacks::incrementAndGet);
                rcu.synchronize();
                rcu.drain();
                System.out.println("backend " + rcu.backend() + ": callbacks run " + callbacks.get());
            }
        }
    }
}
