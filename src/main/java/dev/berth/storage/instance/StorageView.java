package dev.berth.storage.instance;

import dev.berth.common.ByteSize;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A tenant's instance as pages and the API show it: status with progress, endpoint, limits and the last
 * error. Never the root credentials.
 *
 * @param status NOT_ACTIVATED when the tenant has no instance (id is then null)
 */
public record StorageView(Long id, String tenant, String status, String statusLabel, int step, boolean inProgress,
                          boolean ready, boolean suspended, String host, Integer port, String endpoint, Limits limits,
                          String lastError, int attempts, Instant nextAttemptAt, Instant createdAt, Instant readyAt,
                          Instant startedAt, String requestedBy, List<Step> steps, Tls tls, Network network) {

    public static final String NOT_ACTIVATED = "NOT_ACTIVATED";

    /** The container limits from the tenant's quota. */
    public record Limits(double cpus, long memoryBytes, long readBps, long writeBps, long pids, long networkBytesPerSecond) {
        /** The network cap, each way: "unlimited" or "20 MiB/s (168 Mbit/s)". */
        public String networkText() {
            return dev.berth.common.Bandwidth.format(networkBytesPerSecond);
        }

        public String memoryText() {
            return ByteSize.format(memoryBytes);
        }

        public String readText() {
            return readBps == 0 ? "unlimited" : ByteSize.format(readBps) + "/s";
        }

        public String writeText() {
            return writeBps == 0 ? "unlimited" : ByteSize.format(writeBps) + "/s";
        }

        public String cpusText() {
            return java.math.BigDecimal.valueOf(cpus).stripTrailingZeros().toPlainString();
        }
    }

    /**
     * How clients verify the instance: the CA certificate to download (PEM), its SHA-256 fingerprint, and when the
     * instance's own certificate expires (renewed before that; null until it has one).
     */
    public record Tls(String caUrl, String caFingerprint, Instant certificateNotAfter) {
    }

    /**
     * The network cap as enforced on the host: {@code state} is "no cap", "applied", "not yet applied", "not applied"
     * (the host's last pass failed: see the host's error) or "being changed"; throughput in bytes per second each way
     * (downloads = egress, uploads = ingress), averaged over the {@code windowSeconds} between the last two passes;
     * null when not measured (no cap, or only one pass so far).
     */
    public record Network(long capBytesPerSecond, String capText, String state, Double egressBytesPerSecond,
                          Double ingressBytesPerSecond, Instant measuredAt, double windowSeconds) {
        public String egressText() {
            return egressBytesPerSecond == null ? "—" : dev.berth.common.Bandwidth.formatRate(egressBytesPerSecond);
        }

        public String ingressText() {
            return ingressBytesPerSecond == null ? "—" : dev.berth.common.Bandwidth.formatRate(ingressBytesPerSecond);
        }

        /** " (average of 30 s to 2026-…)", or "" before two passes have measured. */
        public String windowText() {
            return measuredAt == null || windowSeconds <= 0 ? "" : " (average of " + Math.round(windowSeconds) + " s to " + measuredAt + ")";
        }
    }

    /** A copy with the TLS facts filled in. */
    StorageView withTls(Tls t) {
        return new StorageView(id, tenant, status, statusLabel, step, inProgress, ready, suspended, host, port, endpoint, limits,
                lastError, attempts, nextAttemptAt, createdAt, readyAt, startedAt, requestedBy, steps, t, network);
    }

    StorageView withNetwork(Network n) {
        return new StorageView(id, tenant, status, statusLabel, step, inProgress, ready, suspended, host, port, endpoint, limits,
                lastError, attempts, nextAttemptAt, createdAt, readyAt, startedAt, requestedBy, steps, tls, n);
    }

    /** One step of the way to ready: done, under way now, or still ahead. */
    public record Step(String name, String label, String state) {
    }

    static StorageView none(String tenant, Limits limits) {
        return new StorageView(null, tenant, NOT_ACTIVATED, "Not activated", -1, false, false, false, null, null, null,
                limits, null, 0, null, null, null, null, null, List.of(), null, null);
    }

    static StorageView of(InstanceRow r, String tenant, String hostName, String address, Limits limits) {
        InstanceStatus s = r.status();
        var steps = InstanceStatus.STEPS.stream().map(step -> new Step(step.name(), step.label(),
                s == InstanceStatus.READY || step.step() < s.step() ? "done"
                        : step == s ? "current" : "ahead")).toList();
        String endpoint = address == null || r.port() == null ? null : InstanceSpec.endpoint(address, r.port());
        return new StorageView(r.id(), tenant, s.name(), s.label(), s.step(), s.inProgress() || s == InstanceStatus.REQUESTED
                        || r.suspended() != (s == InstanceStatus.SUSPENDED), // suspending or resuming
                s == InstanceStatus.READY, r.suspended(), hostName, r.port(), endpoint, limits, r.lastError(), r.attempts(),
                r.nextAttemptAt(), r.createdAt(), r.readyAt(), r.startedAt(), r.requestedBy(), steps, null, null);
    }

    /** "3 min", how long the container has been running; null unless ready. */
    @com.fasterxml.jackson.annotation.JsonProperty("uptime")
    public String uptime() {
        if (!ready || startedAt == null) {
            return null;
        }
        long s = Math.max(0, Duration.between(startedAt, Instant.now()).toSeconds());
        return s < 90 ? s + " s" : s < 5400 ? (s / 60) + " min" : s < 172_800 ? (s / 3600) + " h" : (s / 86_400) + " days";
    }

    /** The page keeps polling while something is expected to change by itself. */
    public boolean polling() {
        return inProgress || "FAILED".equals(status) || "UNREACHABLE".equals(status)
                || (suspended && !"SUSPENDED".equals(status)) || (!suspended && "SUSPENDED".equals(status));
    }
}
