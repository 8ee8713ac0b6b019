package dev.berth.compute;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "berth.compute")
public interface ComputeConfig {
    /** Longest one call to a KVM host may take; a page waits at most about this long for its slowest host. */
    @WithDefault("5s")
    Duration callTimeout();

    /**
     * How old a host's domain list may be when a list shows it ("0s": always ask). Concurrent users share one call
     * per host and its answer for this long, so the machine list scales with users, not users × hosts; each machine
     * says when its state was reported ({@code stateAt}), and a power action makes the next list ask again.
     */
    @WithDefault("1s")
    Duration listMaxAge();

    /** Longest a power action may take: a real force off or start takes seconds, more than a listing. */
    @WithDefault("30s")
    Duration actionTimeout();

    /** How often the counters of assigned machines are sampled for their graphs ("off" disables). */
    @WithDefault("15s")
    String statsInterval();
}
