package dev.berth.hosts;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** A host as pages and the API show it: never the TLS key, only whether one is set. */
public record HostView(long id, String name, HostKind kind, String uri, String storageAddress, Map<String, String> labels,
                       boolean enabled, boolean tlsConfigured, Probe lastProbe, HostFacts capacity) {

    /** The last probe: up or down, how long it took, the exact error, and when. */
    public record Probe(boolean up, Long latencyMillis, String error, Instant at) {
        /** "12 s ago", for pages that show the age of what they know. */
        public String age() {
            long s = Math.max(0, Duration.between(at, Instant.now()).toSeconds());
            return s < 90 ? s + " s ago" : s < 5400 ? (s / 60) + " min ago" : (s / 3600) + " h ago";
        }
    }

    @com.fasterxml.jackson.annotation.JsonProperty("status")
    public String status() {
        if (!enabled) {
            return "disabled";
        }
        if (lastProbe == null) {
            return "unknown";
        }
        return lastProbe.up() ? "up" : "down";
    }

    /** Share of memory in use, when the host reports free memory; null when it does not. */
    public Integer memoryUsedPercent() {
        if (capacity == null || capacity.memoryBytes() == null || capacity.freeMemoryBytes() == null || capacity.memoryBytes() == 0) {
            return null;
        }
        long used = capacity.memoryBytes() - capacity.freeMemoryBytes();
        return (int) Math.max(0, Math.min(100, used * 100 / capacity.memoryBytes()));
    }

    public String memoryText() {
        if (capacity == null || capacity.memoryBytes() == null) {
            return "—";
        }
        String total = dev.berth.common.ByteSize.format(capacity.memoryBytes());
        return capacity.freeMemoryBytes() == null ? total
                : dev.berth.common.ByteSize.format(capacity.freeMemoryBytes()) + " free of " + total;
    }

    /** What runs there: domains on a KVM host, containers on a Docker host. */
    public String workloadText() {
        if (capacity == null) {
            return "—";
        }
        if (kind == HostKind.KVM) {
            return capacity.runningDomains() == null ? "—" : capacity.runningDomains() + " running / " + capacity.totalDomains() + " domains";
        }
        return capacity.containers() == null ? "—" : capacity.runningContainers() + " running / " + capacity.containers() + " containers";
    }

    public String labelsText() {
        return HostRules.formatLabels(labels);
    }

    static HostView of(Host h) {
        Probe probe = h.probedAt == null ? null : new Probe(Boolean.TRUE.equals(h.probeUp), h.probeLatencyMs, h.probeError, h.probedAt);
        HostFacts facts = h.capCpus == null && h.capMemoryBytes == null ? null
                : new HostFacts(h.probeLatencyMs == null ? 0 : h.probeLatencyMs, h.capVersion, h.capCpus, h.capMemoryBytes,
                        h.capFreeMemoryBytes, h.capRunningDomains, h.capTotalDomains, h.capContainers, h.capRunningContainers);
        return new HostView(h.id, h.name, h.kind, h.uri, h.storageAddress, HostRules.parseLabels(h.labels), h.enabled,
                h.tlsKeySealed != null, probe, facts);
    }
}
