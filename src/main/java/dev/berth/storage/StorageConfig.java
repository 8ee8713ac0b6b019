package dev.berth.storage;

import dev.berth.storage.instance.DevPause;
import dev.berth.storage.instance.InstanceStatus;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "berth.storage")
public interface StorageConfig {
    /** The MinIO image every instance runs (built locally FROM scratch by ./berth; nothing is pulled). */
    String image();

    /**
     * Prefix of container and volume names and the value of the {@code berth.scope} label. Only containers of
     * this scope are Berth's: tests use their own, so they never see (or clean up) anything else.
     */
    @WithDefault("berth")
    String scope();

    /** First and last port handed out on each Docker host (inclusive). */
    @WithDefault("19000")
    int portMin();

    @WithDefault("19999")
    int portMax();

    /** Process limit of every instance. */
    @WithDefault("512")
    long pidsLimit();

    /**
     * Block device the read/write rates apply to on every Docker host (cgroup blkio throttles per device).
     * Absent: the device holding the engine's data root, found from this machine's mounts for engines on this
     * machine (unix:// or a loopback tcp:// address); required for other hosts when a quota throttles block I/O.
     */
    Optional<String> blockDevice();

    /**
     * Longest one call to a Docker engine, or one read or write of a call to a tenant's MinIO instance, may take
     * (MinIO timeouts are per socket operation: a usage scan of many objects may take several).
     */
    @WithDefault("10s")
    Duration callTimeout();

    /** Longest MinIO may take from start to ready before the attempt counts as failed. */
    @WithDefault("60s")
    Duration readyTimeout();

    /** How often the reconciler compares the database with the hosts ("off" disables the schedule). */
    @WithDefault("30s")
    String reconcileInterval();

    /**
     * How long a replica's claim on an instance lasts without renewal; the holder renews it every third of this
     * while it works. A replica that dies loses it after this (at once if it was a process of the same machine).
     */
    @WithDefault("30s")
    Duration claimLease();

    /** First retry delay after a failure; doubles per attempt up to {@link #retryMax()}. */
    @WithDefault("5s")
    Duration retryBase();

    @WithDefault("5m")
    Duration retryMax();

    /**
     * How often the hard storage limit is checked ("off" disables). Writes stop at most about this long, plus
     * one usage scan and one policy update per key, after usage reaches the limit.
     */
    @WithDefault("30s")
    String usageInterval();

    /**
     * A multipart upload neither completed nor aborted this long after it began is aborted by the hard-limit pass
     * (its parts count against the hard limit until then). Each instance's MinIO is started with the same age for
     * its own sweep, which also reaches uploads its listing lost in a restart (README, "The hard limit").
     */
    @WithDefault("24h")
    Duration incompleteUploadMaxAge();

    /**
     * Test hook, development mode only ({@link DevPause}): the provisioning step before whose end the reconciler
     * pauses for {@link #devPause()}. Berth refuses to start with it set outside development mode.
     */
    Optional<InstanceStatus> devPauseAt();

    Optional<Duration> devPause();

    /**
     * Berth's address as the storage hosts reach it (any replica: the Service on Kubernetes), e.g.
     * {@code http://berth.berth.svc:8080}. Each instance made while it is set sends its bucket events to
     * {@code <this>/internal/storage/events/<tenant id>}, and usage is kept from them; absent, usage is measured by
     * listing every object at every check (the way before; README, "Storage at scale").
     */
    Optional<String> eventsUrl();

    /**
     * How often each bucket kept from events is listed in full anyway, to correct what lost events left wrong
     * (README, "Storage at scale"). Administrators can ask for it at any time.
     */
    @WithDefault("24h")
    Duration usageReconcileInterval();

    /**
     * The image of the short-lived helper that applies network caps with {@code tc} (the project's Debian base with
     * iproute2, built by ./berth; nothing is pulled). It must be on every Docker host where a tenant has a cap.
     */
    String tcImage();

    /** Region the snippets name; MinIO's default. */
    @WithDefault("us-east-1")
    String region();
}
