package dev.berth.compute;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "berth.console")
public interface ConsoleConfig {
    /** How long a console ticket may wait to be redeemed; the console it opens may stay open longer. */
    @WithDefault("60s")
    Duration ticketTtl();

    /** Longest Berth waits for a machine's VNC server to accept the proxied TCP connection. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** How often used and expired tickets are deleted ("off" disables); each is kept an hour after it expired, so a reuse is named as such. */
    @WithDefault("10m")
    String purgeInterval();
}
