package dev.berth.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Concurrent requests for the same thing share one call in flight ("single flight"), and requests within
 * {@code maxAge} of a call's end take its answer: the machine list asks each host at most once per {@code maxAge}
 * however many users load it, so it scales with users, not with users × hosts. A failed call is never reused; with a
 * zero {@code maxAge} nothing is kept once a call ends.
 */
public final class SharedCalls<K, V> {
    /** An answer and when it was complete: what a page shows as the state's age. */
    public record Answer<V>(V value, Instant at) {
    }

    private final ConcurrentMap<K, CompletableFuture<Answer<V>>> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentMap<K, Answer<V>> recent = new ConcurrentHashMap<>();
    private final Duration maxAge;
    private final Clock clock;

    public SharedCalls() {
        this(Duration.ZERO, Clock.systemUTC());
    }

    public SharedCalls(Duration maxAge, Clock clock) {
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** An answer at most {@code maxAge} old, or the call in flight for {@code key}, or a new one started by {@code start}. */
    public CompletableFuture<Answer<V>> share(K key, Supplier<CompletableFuture<V>> start) {
        Answer<V> known = recent.get(key);
        if (known != null && !known.at().plus(maxAge).isBefore(clock.instant())) {
            return CompletableFuture.completedFuture(known);
        }
        CompletableFuture<Answer<V>> mine = new CompletableFuture<>();
        CompletableFuture<Answer<V>> existing = inFlight.putIfAbsent(key, mine);
        if (existing != null) {
            return existing;
        }
        try {
            start.get().whenComplete((value, error) -> {
                if (error != null) {
                    inFlight.remove(key, mine);
                    mine.completeExceptionally(error);
                } else {
                    Answer<V> answer = new Answer<>(value, clock.instant());
                    // Kept before the call leaves the map, so that no request in between starts a call of its own.
                    if (maxAge.isPositive() && inFlight.get(key) == mine) {
                        recent.put(key, answer);
                    }
                    inFlight.remove(key, mine);
                    mine.complete(answer);
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
        recent.remove(key);
    }
}
