package dev.berth.hosts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "berth.hosts")
public interface HostsConfig {
    /** Longest a probe may take before its host counts as down. */
    @WithDefault("5s")
    Duration probeTimeout();

    /** How often every enabled host is probed ("off" disables the schedule). */
    @WithDefault("30s")
    String probeInterval();
}
