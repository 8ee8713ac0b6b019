package dev.berth.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Concurrent requests for the same thing share one call in flight ("single flight"): the machine list asks each host
 * once however many users load it at the same moment, so it scales with users, not with users × hosts. Nothing is
 * kept after the call ends: a request never gets an answer older than the call it joined.
 */
public final class SharedCalls<K, V> {
    private final ConcurrentMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

    /** The call in flight for {@code key}, or a new one started by {@code start}. */
    public CompletableFuture<V> share(K key, Supplier<CompletableFuture<V>> start) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> existing = inFlight.putIfAbsent(key, mine);
        if (existing != null) {
            return existing;
        }
        try {
            start.get().whenComplete((value, error) -> {
                inFlight.remove(key, mine);
                if (error != null) {
                    mine.completeExceptionally(error);
                } else {
                    mine.complete(value);
                }
            });
        } catch (RuntimeException e) {
            inFlight.remove(key, mine);
            mine.completeExceptionally(e);
        }
        return mine;
    }

    /** Later requests start a fresh call: after a change (a power action), an answer begun before it is stale. */
    public void forget(K key) {
        inFlight.remove(key);
    }
}
