package dev.berth.compute;

import dev.berth.common.Leases;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Samples the counters of every assigned, running machine on a schedule and keeps the last hour of rates in the
 * database, so every replica draws the same graphs. Only the replica holding the {@value #LEASE} lease samples
 * (hosts are asked once per interval, not once per replica). The previous raw sample of each machine, needed to
 * turn counters into rates, stays in the sampler's memory: when the lease moves to another replica, each graph
 * misses one point.
 */
@ApplicationScoped
public class StatsHistory {
    private static final Logger LOG = Logger.getLogger(StatsHistory.class);
    static final Duration KEEP = Duration.ofHours(1);
    public static final String LEASE = "vm-stats";

    @Inject
    MachineService machines;
    @Inject
    Hypervisor hypervisor;
    @Inject
    ComputeConfig config;
    @Inject
    Leases leases;

    private final Map<Long, DomainStats> last = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @Scheduled(every = "${berth.compute.stats-interval:15s}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "vm-stats")
    void scheduled() {
        Duration interval = DurationConverter.parseDuration(config.statsInterval());
        // A round takes at most about one call timeout; the lease outlives a missed round before another replica takes over.
        if (!leases.runExclusively(LEASE, interval.multipliedBy(2).plus(config.callTimeout()), this::sampleAll)) {
            last.clear(); // another replica samples; if the lease comes back, series start afresh
        }
    }

    /** One round: every assigned machine, hosts in parallel, each call bounded by the call timeout. */
    public void sampleAll() {
        var points = new ConcurrentLinkedQueue<VmStatsPoint>();
        var futures = new ArrayList<CompletableFuture<Void>>();
        for (MachineService.Target t : machines.targets()) {
            futures.add(CompletableFuture.runAsync(() -> {
                try {
                    StatsPoint p = record(t.assignmentId(), hypervisor.stats(t.endpoint(), t.uuid(), config.callTimeout()));
                    if (p != null) {
                        points.add(VmStatsPoint.of(t.assignmentId(), p));
                    }
                } catch (HypervisorException e) {
                    last.remove(t.assignmentId()); // not running or unreachable: the next run starts a new series
                } catch (RuntimeException e) {
                    LOG.debugf(e, "stats of machine %d", t.assignmentId());
                }
            }, pool));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        QuarkusTransaction.requiringNew().run(() -> {
            points.forEach(p -> p.persist());
            VmStatsPoint.delete("at < ?1", Instant.now().minus(KEEP));
        });
    }

    /** Keeps the new sample; the rates since the previous one, or null when there is none to compare with. */
    StatsPoint record(long id, DomainStats now) {
        DomainStats before = last.put(id, now);
        return before == null ? null : StatsPoint.between(before, now);
    }

    /** The last hour of one machine, oldest first. */
    public List<StatsPoint> of(long id) {
        List<StatsPoint> points = QuarkusTransaction.joiningExisting().call(() -> VmStatsPoint.<VmStatsPoint>find(
                "assignmentId = ?1 and at >= ?2", Sort.ascending("at", "id"), id, Instant.now().minus(KEEP))
                .stream().map(VmStatsPoint::view).toList());
        return lastHour(points);
    }

    /** The points within an hour of the newest one (oldest first in, oldest first out). */
    static List<StatsPoint> lastHour(List<StatsPoint> oldestFirst) {
        if (oldestFirst.isEmpty()) {
            return List.of();
        }
        Instant cutoff = oldestFirst.get(oldestFirst.size() - 1).at().minus(KEEP);
        return oldestFirst.stream().filter(p -> !p.at().isBefore(cutoff)).toList();
    }
}
