package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class SharedCallsTest {
    @Test
    void requestsWhileACallIsOutJoinItAndTheNextOneStartsAFreshCall() {
        var calls = new SharedCalls<String, Integer>();
        var started = new AtomicInteger();
        var gate = new CompletableFuture<Integer>();
        CompletableFuture<Integer> first = calls.share("host-a", () -> { started.incrementAndGet(); return gate; });
        CompletableFuture<Integer> second = calls.share("host-a", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(2); });
        CompletableFuture<Integer> other = calls.share("host-b", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(3); });
        assertSame(first, second, "the second request joins the call in flight");
        assertEquals(2, started.get(), "one call per host");
        gate.complete(1);
        assertEquals(1, second.join());
        assertEquals(3, other.join());
        // the call has ended: nothing is kept
        assertEquals(4, calls.share("host-a", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(4); }).join());
        assertEquals(3, started.get(), "a fresh call once the first has ended");
    }

    @Test
    void aFailedCallFailsItsJoinersOnceAndIsNotKept() {
        var calls = new SharedCalls<String, Integer>();
        var gate = new CompletableFuture<Integer>();
        CompletableFuture<Integer> a = calls.share("h", () -> gate);
        CompletableFuture<Integer> b = calls.share("h", () -> CompletableFuture.completedFuture(0));
        gate.completeExceptionally(new IllegalStateException("host down"));
        assertThrows(CompletionException.class, a::join);
        assertThrows(CompletionException.class, b::join);
        assertEquals(5, calls.share("h", () -> CompletableFuture.completedFuture(5)).join());
    }

    @Test
    void forgetMakesTheNextRequestStartItsOwnCall() {
        var calls = new SharedCalls<String, Integer>();
        var gate = new CompletableFuture<Integer>();
        calls.share("h", () -> gate);
        calls.forget("h");
        assertEquals(7, calls.share("h", () -> CompletableFuture.completedFuture(7)).join());
    }
}
