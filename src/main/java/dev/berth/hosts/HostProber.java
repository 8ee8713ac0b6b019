package dev.berth.hosts;

import dev.berth.common.BerthMeters;
import dev.berth.common.Leases;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Probes hosts and keeps the result in the database, so pages only ever read what is known and never wait
 * on a host. Probes run in parallel, each bounded by the probe timeout; a host whose last probe is still
 * stuck is skipped rather than piled up. Scheduled rounds run on the one replica that holds the {@value #LEASE}
 * lease; every replica publishes the recorded state as gauges ({@code berth_host_up}, {@code berth_host_probe_latency_seconds}).
 */
@ApplicationScoped
public class HostProber {
    private static final Logger LOG = Logger.getLogger(HostProber.class);
    public static final String LEASE = "host-probes";

    @Inject
    Instance<HostConnector> connectors;
    @Inject
    HostsConfig config;
    @Inject
    HostService hostService;
    @Inject
    Leases leases;

    private final ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("host-probe-", 0).factory());
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private volatile Map<HostKind, HostConnector> byKind;
    private final MultiGauge up = MultiGauge.builder(BerthMeters.HOST_UP)
            .description("1 when the host's last probe answered, 0 when it did not").register(BerthMeters.registry());
    private final MultiGauge latency = MultiGauge.builder(BerthMeters.HOST_PROBE_LATENCY).baseUnit("seconds")
            .description("Latency of the host's last probe").register(BerthMeters.registry());

    @Scheduled(every = "${berth.hosts.probe-interval:30s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "host-probes")
    void scheduled() {
        Duration interval = DurationConverter.parseDuration(config.probeInterval());
        // One round takes at most about one probe timeout; the lease outlives a missed round before another replica takes over.
        leases.runExclusively(LEASE, interval.multipliedBy(2).plus(config.probeTimeout()), this::probeAll);
        publish();
    }

    /** The hosts' last recorded state as gauges, from the database: the same on every replica. */
    void publish() {
        List<Host> hosts = QuarkusTransaction.joiningExisting().call(() -> Host.<Host>list("enabled", true));
        var upRows = new ArrayList<MultiGauge.Row<?>>();
        var latencyRows = new ArrayList<MultiGauge.Row<?>>();
        for (Host h : hosts) {
            if (h.probedAt == null) {
                continue;
            }
            Tags tags = Tags.of("host", h.name, "kind", h.kind.name().toLowerCase(java.util.Locale.ROOT));
            upRows.add(MultiGauge.Row.of(tags, Boolean.TRUE.equals(h.probeUp) ? 1 : 0));
            if (h.probeLatencyMs != null) {
                latencyRows.add(MultiGauge.Row.of(tags, h.probeLatencyMs / 1000.0));
            }
        }
        up.register(upRows, true);
        latency.register(latencyRows, true);
    }

    /** Probes every enabled host at once and returns when all have answered or timed out. */
    public void probeAll() {
        List<Long> ids = QuarkusTransaction.joiningExisting().call(() -> Host.<Host>list("enabled", true).stream().map(h -> h.id).toList());
        var futures = new ArrayList<CompletableFuture<?>>();
        for (Long id : ids) {
            futures.add(CompletableFuture.runAsync(() -> probe(id), pool));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    }

    /** Probes one host now (bounded by the timeout), records the result and returns the host as it is now. */
    public HostView probe(long id) {
        if (!inFlight.add(id)) {
            LOG.debugf("Probe of host %d still running; skipped", id);
            return QuarkusTransaction.joiningExisting().call(() -> HostView.of(Host.findById(id)));
        }
        try {
            Host snapshot = QuarkusTransaction.joiningExisting().call(() -> Host.findById(id));
            if (snapshot == null) {
                throw new dev.berth.common.NotFoundException("There is no host " + id + ".");
            }
            HostFacts facts = null;
            String error = null;
            long t0 = System.nanoTime();
            try {
                facts = connector(snapshot.kind).probe(hostService.endpoint(id), config.probeTimeout());
            } catch (HostProbeException e) {
                error = e.getMessage();
            } catch (RuntimeException e) {
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
                LOG.warnf(e, "Probe of host %s failed unexpectedly", snapshot.name);
            }
            long took = System.nanoTime() - t0;
            BerthMeters.timer(BerthMeters.HOST_PROBE, "Host probes", "kind", snapshot.kind.name().toLowerCase(java.util.Locale.ROOT),
                    "outcome", facts != null ? "up" : "down").record(took, java.util.concurrent.TimeUnit.NANOSECONDS);
            return record(id, facts, error, took / 1_000_000);
        } finally {
            inFlight.remove(id);
        }
    }

    private HostView record(long id, HostFacts facts, String error, long latency) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Host h = Host.findById(id);
            if (h == null) {
                return null; // removed while probing
            }
            h.probedAt = Instant.now();
            h.probeUp = facts != null;
            h.probeLatencyMs = facts != null ? facts.latencyMillis() : latency;
            h.probeError = org.apache.commons.lang3.StringUtils.abbreviate(error, "…", 2000);
            if (facts != null) { // a down host keeps its last known capacity
                h.capVersion = facts.version();
                h.capCpus = facts.cpus();
                h.capMemoryBytes = facts.memoryBytes();
                h.capFreeMemoryBytes = facts.freeMemoryBytes();
                h.capRunningDomains = facts.runningDomains();
                h.capTotalDomains = facts.totalDomains();
                h.capContainers = facts.containers();
                h.capRunningContainers = facts.runningContainers();
            }
            return HostView.of(h);
        });
    }

    private HostConnector connector(HostKind kind) {
        if (byKind == null) {
            var map = new EnumMap<HostKind, HostConnector>(HostKind.class);
            connectors.forEach(c -> map.put(c.kind(), c));
            byKind = map;
        }
        HostConnector c = byKind.get(kind);
        if (c == null) {
            throw new IllegalStateException("no connector for " + kind + " hosts");
        }
        return c;
    }
}
