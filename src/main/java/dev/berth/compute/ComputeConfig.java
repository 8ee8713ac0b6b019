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

    /** vCPUs placement lets a host's machines have per logical CPU; memory is never overcommitted. */
    @WithDefault("4")
    double cpuOvercommit();

    /**
     * Hosts labelled network=restricted (development and tests): the guest address and port QEMU's user-mode network
     * forwards to the tenant's storage instance on the host's 127.0.0.1 (inside QEMU's own guest network).
     */
    @WithDefault("10.0.2.100")
    String guestStorageAddress();

    @WithDefault("9000")
    int guestStoragePort();
}
