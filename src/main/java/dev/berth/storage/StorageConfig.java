package dev.berth.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "berth.storage")
public interface StorageConfig {
    /** Longest one call to a tenant's MinIO instance may take (a usage scan of many objects may take several). */
    @WithDefault("10s")
    Duration callTimeout();

    /**
     * How often the hard storage limit is checked ("off" disables). Writes stop at most about this long, plus
     * one usage scan and one policy update per key, after usage reaches the limit.
     */
    @WithDefault("30s")
    String usageInterval();

    /** Region the snippets name; MinIO's default. */
    @WithDefault("us-east-1")
    String region();
}
