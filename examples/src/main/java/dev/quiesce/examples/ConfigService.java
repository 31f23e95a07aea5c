package dev.quiesce.examples;

import dev.quiesce.RcuDomain;
import dev.quiesce.RcuReference;
import dev.quiesce.ReadSection;
import dev.quiesce.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Embedding RCU in a JVM service: a configuration map read on every request
 * (the hot path) and replaced rarely (an admin reload).
 *
 * <p>Readers never lock: a request enters a read section, loads the current
 * map and uses it. A reload publishes a new immutable map and hands the old
 * one to {@code replace}'s reclaim action, which runs only after every
 * request that could still hold it has finished (here it just counts; a real
 * service would close connection pools or free off-heap buffers the old
 * configuration owned).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... dev.quiesce.examples.ConfigService [millis]
 * </pre>
 */
public final class ConfigService {

    /** One immutable configuration version. */
    record Config(long version, Map<String, String> values) {
        String get(String key) {
            return values.getOrDefault(key, "");
        }
    }

    private final RcuDomain rcu;
    private final RcuReference<Config> config;
    private final AtomicLong retired = new AtomicLong();

    ConfigService(RcuDomain rcu) {
        this.rcu = rcu;
        this.config = new RcuReference<>(rcu, new Config(1, Map.of("greeting", "hello", "limit", "10")));
    }

    /** The hot path: one request, reading the configuration inside a read section. */
    int handle(String user) {
        try (ReadSection s = rcu.read()) {
            Config c = config.get(s);
            String reply = c.get("greeting") + ", " + user;
            return reply.length() <= Integer.parseInt(c.get("limit")) * 4 ? 1 : 0;
        }
    }

    /** The rare path: publish a new version; the old one is released after a grace period. */
    void reload(Map<String, String> values) {
        Config next = new Config(config.peek().version() + 1, Map.copyOf(values));
        config.replace(next, old -> retired.incrementAndGet());
    }

    /**
     * Runs request threads for {@code millis} ms while the configuration is reloaded every 50 ms.
     *
     * @param args the command-line arguments
     * @throws Exception if it cannot be read or written
     */
    public static void main(String[] args) throws Exception {
        long millis = args.length > 0 ? Long.parseLong(args[0]) : 2000;
        try (RcuDomain rcu = RcuDomain.create()) {
            ConfigService service = new ConfigService(rcu);
            LongAdder served = new LongAdder();
            long end = System.nanoTime() + millis * 1_000_000;
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String user = "user" + i;
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        served.add(service.handle(user));
                    }
                    rcu.unregisterThread();
                }, "request-" + i);
                t.start();
                workers.add(t);
            }
            int reloads = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(50);
                service.reload(Map.of("greeting", reloads % 2 == 0 ? "hi" : "hello", "limit", "10"));
                reloads++;
            }
            for (Thread t : workers) {
                t.join();
            }
            rcu.drain(); // every retired configuration has been released
            Stats s = rcu.stats();
            System.out.printf("served %,d requests on %s; %d reloads, %d old configurations released%n",
                    served.sum(), rcu.backend().id(), reloads, service.retired.get());
            System.out.printf("grace periods %d, reader slow-path unlocks %d (readers paid nothing extra)%n",
                    s.gps(), s.slowUnlocks());
        }
    }
}
