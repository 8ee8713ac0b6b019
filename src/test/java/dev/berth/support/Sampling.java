package dev.berth.support;

import dev.berth.compute.StatsHistory;
import java.time.Duration;

/** Stats sampling for tests, without fixed sleeps. */
public final class Sampling {
    private Sampling() {
    }

    /**
     * Samples every machine until {@code id} has a rate: two samples of its counters a moment apart (a rate needs time
     * between them; a millisecond is enough), instead of sampling, sleeping a second and sampling again.
     */
    public static void untilRated(StatsHistory history, long id) {
        history.sampleAll();
        PackagedApp.await("a rate for machine " + id, Duration.ofSeconds(30), Duration.ofMillis(20), () -> {
            history.sampleAll();
            return !history.of(id).isEmpty();
        });
    }
}
