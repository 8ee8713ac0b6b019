package dev.berth.compute;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Samples the counters of every assigned, running machine on a schedule and keeps the last hour of rates in
 * memory (per replica: a restarted portal starts its graphs afresh, which is acceptable for an hour's view).
 */
@ApplicationScoped
public class StatsHistory {
    private static final Logger LOG = Logger.getLogger(StatsHistory.class);
    static final Duration KEEP = Duration.ofHours(1);

    @Inject
    MachineService machines;
    @Inject
    Hypervisor hypervisor;
    @Inject
    ComputeConfig config;

    private final Map<Long, DomainStats> last = new ConcurrentHashMap<>();
    private final Map<Long, Deque<StatsPoint>> history = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    @Scheduled(every = "${berth.compute.stats-interval:15s}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "vm-stats")
    void scheduled() {
        sampleAll();
    }

    /** One round: every assigned machine, hosts in parallel, each call bounded by the call timeout. */
    public void sampleAll() {
        var futures = new ArrayList<CompletableFuture<Void>>();
        for (MachineService.Target t : machines.targets()) {
            futures.add(CompletableFuture.runAsync(() -> {
                try {
                    record(t.assignmentId(), hypervisor.stats(t.endpoint(), t.uuid(), config.callTimeout()));
                } catch (HypervisorException e) {
                    last.remove(t.assignmentId()); // not running or unreachable: the next run starts a new series
                } catch (RuntimeException e) {
                    LOG.debugf(e, "stats of machine %d", t.assignmentId());
                }
            }, pool));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    }

    void record(long id, DomainStats now) {
        DomainStats before = last.put(id, now);
        if (before == null) {
            return;
        }
        StatsPoint p = StatsPoint.between(before, now);
        if (p == null) {
            return;
        }
        Deque<StatsPoint> points = history.computeIfAbsent(id, k -> new ArrayDeque<>());
        synchronized (points) {
            points.addLast(p);
            Instant cutoff = now.at().minus(KEEP);
            while (!points.isEmpty() && points.peekFirst().at().isBefore(cutoff)) {
                points.removeFirst();
            }
        }
    }

    /** The last hour of one machine, oldest first. */
    public List<StatsPoint> of(long id) {
        Deque<StatsPoint> points = history.get(id);
        if (points == null) {
            return List.of();
        }
        synchronized (points) {
            return List.copyOf(points);
        }
    }
}
