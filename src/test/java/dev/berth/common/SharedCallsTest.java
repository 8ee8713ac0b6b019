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
        CompletableFuture<SharedCalls.Answer<Integer>> first = calls.share("host-a", () -> { started.incrementAndGet(); return gate; });
        CompletableFuture<SharedCalls.Answer<Integer>> second = calls.share("host-a", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(2); });
        CompletableFuture<SharedCalls.Answer<Integer>> other = calls.share("host-b", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(3); });
        assertSame(first, second, "the second request joins the call in flight");
        assertEquals(2, started.get(), "one call per host");
        gate.complete(1);
        assertEquals(1, second.join().value());
        assertEquals(3, other.join().value());
        // the call has ended: nothing is kept
        assertEquals(4, calls.share("host-a", () -> { started.incrementAndGet(); return CompletableFuture.completedFuture(4); }).join().value());
        assertEquals(3, started.get(), "a fresh call once the first has ended");
    }

    @Test
    void aFailedCallFailsItsJoinersOnceAndIsNotKept() {
        var calls = new SharedCalls<String, Integer>();
        var gate = new CompletableFuture<Integer>();
        CompletableFuture<SharedCalls.Answer<Integer>> a = calls.share("h", () -> gate);
        CompletableFuture<SharedCalls.Answer<Integer>> b = calls.share("h", () -> CompletableFuture.completedFuture(0));
        gate.completeExceptionally(new IllegalStateException("host down"));
        assertThrows(CompletionException.class, a::join);
        assertThrows(CompletionException.class, b::join);
        assertEquals(5, calls.share("h", () -> CompletableFuture.completedFuture(5)).join().value());
    }

    @Test
    void forgetMakesTheNextRequestStartItsOwnCall() {
        var calls = new SharedCalls<String, Integer>();
        var gate = new CompletableFuture<Integer>();
        calls.share("h", () -> gate);
        calls.forget("h");
        assertEquals(7, calls.share("h", () -> CompletableFuture.completedFuture(7)).join().value());
    }

    /** A clock the test moves. */
    static final class Hands extends java.time.Clock {
        java.time.Instant now = java.time.Instant.parse("2026-12-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void anAnswerIsReusedUntilItIsMaxAgeOldAndSaysWhenItWasGiven() {
        var clock = new Hands();
        var calls = new SharedCalls<String, Integer>(java.time.Duration.ofSeconds(1), clock);
        var started = new AtomicInteger();
        java.util.function.Supplier<CompletableFuture<Integer>> call = () -> CompletableFuture.completedFuture(started.incrementAndGet());
        var first = calls.share("h", call).join();
        assertEquals(1, first.value());
        assertEquals(clock.now, first.at());
        clock.now = clock.now.plusMillis(1000);
        assertEquals(1, calls.share("h", call).join().value(), "one second old: still shared");
        assertEquals(first.at(), calls.share("h", call).join().at(), "with the time it was given");
        assertEquals(1, started.get());
        clock.now = clock.now.plusMillis(1);
        var fresh = calls.share("h", call).join();
        assertEquals(2, fresh.value(), "older than max age: asked again");
        assertEquals(clock.now, fresh.at());
        assertEquals(3, calls.share("other", call).join().value(), "per key");
    }

    @Test
    void aFailureIsNeverReusedAndForgetDropsAKeptAnswer() {
        var clock = new Hands();
        var calls = new SharedCalls<String, Integer>(java.time.Duration.ofSeconds(60), clock);
        assertThrows(CompletionException.class, () -> calls.share("h", () -> CompletableFuture.failedFuture(new IllegalStateException("down"))).join());
        assertEquals(1, calls.share("h", () -> CompletableFuture.completedFuture(1)).join().value(), "the failure was not kept");
        assertEquals(1, calls.share("h", () -> CompletableFuture.completedFuture(2)).join().value(), "the answer was");
        calls.forget("h");
        assertEquals(3, calls.share("h", () -> CompletableFuture.completedFuture(3)).join().value(), "after a change: asked again");
    }

    @Test
    void anAnswerBegunBeforeAForgetIsNotKept() {
        var calls = new SharedCalls<String, Integer>(java.time.Duration.ofSeconds(60), new Hands());
        var gate = new CompletableFuture<Integer>();
        var before = calls.share("h", () -> gate);
        calls.forget("h"); // a power action while the list was out
        gate.complete(1);
        assertEquals(1, before.join().value(), "its own requests get it");
        assertEquals(2, calls.share("h", () -> CompletableFuture.completedFuture(2)).join().value(), "later ones do not");
    }
}
