package dev.quiesce.purejava;

/**
 * A force-quiescent-state notifier ({@code qs_notifier}): run on the
 * writer's thread when a grace period this reader blocks enters the
 * force-quiescent state (LEGACY: on every scan while a drain is in
 * progress). A typical notifier sets an "exit request" flag that makes the
 * reader's thread leave its long read-side section soon.
 *
 * <p>It runs with the domain's writer locks held: it must be quick and must
 * not call into the domain. An exception it throws is handed to the
 * writer thread's uncaught-exception handler; the grace period goes on.
 */
@FunctionalInterface
public interface ForceNotifier {
    /**
     * The writer asks {@code reader}'s thread to leave its read-side section soon.
     *
     * @param reader the writer asks {@code reader}'s thread to leave its read-side section soon
     */
    void forceQuiescentState(PureReader reader);
}
