package dev.quiesce.spi;

/** A force notifier added with {@link BackendReader#addNotifier(Runnable)}. */
public interface NotifierHandle {

    /**
     * Removes the notifier ({@code qs_notifier_remove}); later calls do
     * nothing. Called by the reader's owner thread or while closing the reader.
     */
    void remove();
}
