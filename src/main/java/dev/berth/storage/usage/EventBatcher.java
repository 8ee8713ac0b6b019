package dev.berth.storage.usage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Applies the instances' direct deliveries in batches: one transaction per tenant for whatever arrived meanwhile,
 * instead of one per event. MinIO hands every event to both of an instance's targets from one worker per CPU and waits
 * for both, so the time Berth takes to answer the direct target is what bounds the instance's whole event rate (its
 * durable queue included), and a backlog of more than 50,000 events in MinIO's memory is dropped for both targets.
 * Answering the direct target at once and applying behind keeps that backlog empty.
 *
 * <p>Safe to acknowledge before applying only because the direct target is not the durable one: every event also
 * comes through the queued target, whose deliveries Berth applies before answering ({@code RecentEvents} makes that
 * twin free once the batch committed). A batch lost (a crash, a failed transaction) is applied again from that twin.
 * Bounded: when {@value #CAPACITY} deliveries wait, the next are applied on the caller's thread (back-pressure).
 */
@ApplicationScoped
public class EventBatcher {
    static final int CAPACITY = 10_000;
    /** Deliveries per round: enough to make the commit cheap per event, few enough to keep a round short. */
    static final int ROUND = 500;
    private static final Logger LOG = Logger.getLogger(EventBatcher.class);

    private record Delivery(long tenantId, List<UsageLedger.Event> events) {
    }

    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    RecentEvents recent;

    private final BlockingQueue<Delivery> waiting = new ArrayBlockingQueue<>(CAPACITY);
    private volatile Thread worker;
    private volatile boolean stopping;

    void start(@Observes StartupEvent e) {
        worker = Thread.ofPlatform().daemon().name("berth-usage-events").start(this::run);
    }

    void stop(@Observes ShutdownEvent e) {
        stopping = true; // what waits is delivered again by the queued targets
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
    }

    /** Takes a direct delivery to apply soon; false when too many wait (the caller then applies it itself). */
    public boolean offer(long tenantId, List<UsageLedger.Event> events) {
        return !stopping && worker != null && waiting.offer(new Delivery(tenantId, events));
    }

    /** Deliveries waiting, for the benchmark. */
    public int waiting() {
        return waiting.size();
    }

    private void run() {
        var round = new ArrayList<Delivery>(ROUND);
        while (!stopping) {
            try {
                Delivery first = waiting.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                round.add(first);
                waiting.drainTo(round, ROUND - 1);
                // Per tenant, in the order received (MinIO's order; the ledger orders by sequencer anyway).
                Map<Long, List<UsageLedger.Event>> byTenant = new LinkedHashMap<>();
                for (Delivery d : round) {
                    byTenant.computeIfAbsent(d.tenantId(), t -> new ArrayList<>()).addAll(d.events());
                }
                round.clear();
                byTenant.forEach(this::apply);
            } catch (InterruptedException ie) {
                return;
            } catch (RuntimeException re) { // never let the worker die
                LOG.warnf("Applying bucket events failed: %s", re.getMessage());
            }
        }
    }

    private void apply(long tenantId, List<UsageLedger.Event> events) {
        List<UsageLedger.Event> fresh = recent.unseen(tenantId, events);
        if (fresh.isEmpty()) {
            return;
        }
        try {
            enforcer.applyEvents(tenantId, fresh);
            recent.applied(tenantId, fresh);
        } catch (RuntimeException e) {
            LOG.warnf("Bucket events of tenant %d not applied (their queued twins will be): %s", tenantId, e.getMessage());
        }
    }
}
