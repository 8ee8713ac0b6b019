package dev.berth.storage.instance;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.Bandwidth;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.StorageConfig;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Each tenant's network bandwidth cap on its storage instance, both directions: desired state is the quota
 * ({@code network_rate}, 0 = unlimited) and the instance's host and port; actual state is what {@link TrafficShaper}
 * finds on the host. Converged like the containers: a missing or partial rule is made again (after a host reboot,
 * say), a changed cap is changed live (no restart of the instance), rules of an instance that has no cap any more,
 * or that moved, are removed, and labelled rules of this scope that no instance accounts for are reported as
 * orphans (audited once, left untouched). Rules of other deployments (other scopes) are not touched.
 *
 * <p>{@code storage_instance.network_rules_port} records where rules were last made, so that after a restart Berth
 * still knows which hosts to visit when a cap was removed meanwhile. One pass per host at a time in this replica;
 * the helper serialises changes on the host itself ({@code flock}), so replicas may overlap harmlessly.
 */
@ApplicationScoped
public class BandwidthService {
    private static final Logger LOG = Logger.getLogger(BandwidthService.class);
    private static final String ACTOR = "system:storage-reconciler";
    /** The kernel reports rates rounded (e.g. 167772Kbit): closer than this counts as equal. */
    private static final double RATE_TOLERANCE = 0.005;

    @Inject
    TrafficShaper shaper;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;
    @Inject
    StorageConfig config;

    /** What an instance's rules look like on its host, as last seen: the cap enforced, and the traffic through it. */
    public record Meter(long capBytesPerSecond, boolean applied, Double egressBytesPerSecond, Double ingressBytesPerSecond,
                        Instant measuredAt, double windowSeconds, long egressBytes, long ingressBytes) {
    }

    /** A rule with this scope's label (or an unlabelled one in this deployment's port range) that no instance accounts for. */
    public record Orphan(long hostId, String host, String device, int port, Long instance, String reason) {
    }

    /** The last pass over one host: its interface, and the error if the rules could not be read or made. */
    public record HostState(long hostId, String host, String device, String error, Instant at) {
    }

    private final Map<Long, Object> hostLocks = new ConcurrentHashMap<>();
    private final Map<Long, Meter> meters = new ConcurrentHashMap<>();
    private final Map<Long, long[]> samples = new ConcurrentHashMap<>(); // instance → {egress, ingress, nanoTime}
    private final Map<Long, HostState> hostStates = new ConcurrentHashMap<>();
    private final Map<Long, List<Orphan>> orphans = new ConcurrentHashMap<>();
    private final Set<String> reportedOrphans = ConcurrentHashMap.newKeySet();

    record Want(long instanceId, long tenantId, int port, long rate, Integer rulesPort) {
    }

    // ------------------------------------------------------------------ triggers

    /** The reconciler's pass: every host where a cap is wanted or rules were made. */
    public void reconcileAll() {
        Set<Long> due = new HashSet<>();
        for (Want w : wants(null)) {
            if (w.rate() > 0 || w.rulesPort() != null) {
                due.add(hostOf(w.instanceId()));
            }
        }
        due.addAll(orphans.keySet()); // keep reporting (or clear) what was found there
        for (long hostId : due) {
            try {
                converge(hostId);
            } catch (RuntimeException e) {
                LOG.errorf(e, "network caps on host %d: pass failed", hostId);
            }
        }
    }

    /**
     * After one instance was reconciled: converges its host if the instance's cap differs from what was last made
     * there (a new instance with a cap, a changed or removed cap, a new port). Cheap when nothing changed.
     */
    public void ensure(long instanceId) {
        Optional<Want> want = wants(null, instanceId).stream().findFirst();
        if (want.isEmpty()) {
            return;
        }
        Want w = want.get();
        Meter m = meters.get(instanceId);
        boolean settled = w.rate() == 0 ? w.rulesPort() == null
                : m != null && m.applied() && m.capBytesPerSecond() == w.rate() && Integer.valueOf(w.port()).equals(w.rulesPort());
        if (!settled) {
            converge(hostOf(instanceId));
        }
    }

    /**
     * Before an instance is deleted: takes its rules away. Throws when the host cannot be changed, so that
     * nothing is deleted and no rule is left behind unlabelled by any record.
     */
    public void removeFor(InstanceRow r) throws RuntimeUnavailableException {
        if (r.hostId() == null) {
            return;
        }
        Integer rulesPort = QuarkusTransaction.requiringNew().call(() -> {
            StorageInstance i = StorageInstance.findById(r.id());
            return i == null ? null : i.networkRulesPort;
        });
        long rate = tenants.quota(tenants.slugOf(r.tenantId())).networkRate();
        HostView h = hosts.get(r.hostId());
        if ((rulesPort == null && rate == 0) || h.storageAddress() == null) {
            return;
        }
        var remove = new ArrayList<Integer>();
        if (rulesPort != null) {
            remove.add(rulesPort);
        }
        if (r.port() != null && !remove.contains(r.port())) {
            remove.add(r.port());
        }
        synchronized (hostLocks.computeIfAbsent(r.hostId(), k -> new Object())) {
            try {
                shaper.apply(hosts.endpoint(r.hostId()), h.storageAddress(), List.of(), remove);
            } catch (RuntimeUnavailableException e) {
                if (rulesPort != null) {
                    throw e; // rules were made there: deleting now would leave them unaccounted for
                }
                // None were ever confirmed (the helper may never have run there, e.g. its image is missing): a partial
                // leftover, if any, is reported as an orphan when a pass next looks at that host.
                LOG.warnf("instance %d: could not look for network-cap rules to remove: %s", r.id(), e.getMessage());
                return;
            }
        }
        recordRules(r.id(), null);
        meters.remove(r.id());
        samples.remove(r.id());
        audit.record(ACTOR, tenants.slugOf(r.tenantId()), "storage.bandwidth", r.containerName() + " on " + h.name(),
                Outcome.OK, "rules removed with the instance (port " + remove + ")", null);
    }

    // ------------------------------------------------------------------ views

    public Optional<Meter> meter(long instanceId) {
        return Optional.ofNullable(meters.get(instanceId));
    }

    public List<Orphan> orphans() {
        return orphans.values().stream().flatMap(List::stream).toList();
    }

    public Map<Long, HostState> hostStates() {
        return Map.copyOf(hostStates);
    }

    // ------------------------------------------------------------------ the pass

    /** Makes one host's rules what the database says. */
    public void converge(long hostId) {
        synchronized (hostLocks.computeIfAbsent(hostId, k -> new Object())) {
            HostView h = hosts.get(hostId);
            List<Want> onHost = wants(hostId);
            Set<Long> known = QuarkusTransaction.requiringNew().call(() -> new HashSet<>(StorageInstance.getEntityManager()
                    .createQuery("select i.id from StorageInstance i", Long.class).getResultList()));
            if (h.storageAddress() == null) {
                return;
            }
            try {
                TrafficShaper.HostRules seen = shaper.observe(hosts.endpoint(hostId), h.storageAddress());
                Plan plan = plan(onHost, known, seen);
                if (!plan.set().isEmpty() || !plan.remove().isEmpty()) {
                    seen = shaper.apply(hosts.endpoint(hostId), h.storageAddress(), plan.set(), plan.remove());
                    report(h, onHost, plan, seen);
                }
                record(h, onHost, known, seen);
                hostStates.put(hostId, new HostState(hostId, h.name(), seen.device(), null, Instant.now()));
            } catch (RuntimeUnavailableException e) {
                String message = e.getMessage();
                HostState before = hostStates.get(hostId);
                if (before == null || !message.equals(before.error())) {
                    audit.record(ACTOR, null, "storage.bandwidth", "network caps on " + h.name(), Outcome.FAILED, message, null);
                }
                hostStates.put(hostId, new HostState(hostId, h.name(), before == null ? null : before.device(), message, Instant.now()));
                for (Want w : onHost) {
                    Meter m = meters.get(w.instanceId());
                    meters.put(w.instanceId(), new Meter(w.rate(), false, null, null, m == null ? null : m.measuredAt(), 0, 0, 0));
                }
                LOG.warnf("network caps on %s: %s", h.name(), message);
            }
        }
    }

    /** What to make and what to take away; pure. */
    record Plan(List<TrafficShaper.Cap> set, List<Integer> remove, Map<Integer, String> why, List<TrafficShaper.Rule> orphans,
                Map<Integer, Long> removedInstances) {
    }

    Plan plan(List<Want> onHost, Set<Long> known, TrafficShaper.HostRules seen) {
        return plan(onHost, known, seen, config.portMin(), config.portMax());
    }

    static Plan plan(List<Want> onHost, Set<Long> known, TrafficShaper.HostRules seen, int portMin, int portMax) {
        Map<Integer, TrafficShaper.Rule> byPort = new HashMap<>();
        seen.rules().forEach(r -> byPort.put(r.port(), r));
        Map<Integer, Want> wanted = new LinkedHashMap<>();
        for (Want w : onHost) {
            if (w.rate() > 0) {
                wanted.put(w.port(), w);
            }
        }
        var set = new ArrayList<TrafficShaper.Cap>();
        var remove = new ArrayList<Integer>();
        var why = new LinkedHashMap<Integer, String>();
        var orphanRules = new ArrayList<TrafficShaper.Rule>();
        var removedInstances = new HashMap<Integer, Long>();
        for (Want w : wanted.values()) {
            TrafficShaper.Rule r = byPort.get(w.port());
            if (r == null) {
                set.add(new TrafficShaper.Cap(w.instanceId(), w.port(), w.rate()));
                why.put(w.port(), w.rulesPort() != null && w.rulesPort() == w.port() ? "restored (the rules were missing)" : "applied");
            } else if (!r.complete() || !Long.valueOf(w.instanceId()).equals(r.instanceId())) {
                set.add(new TrafficShaper.Cap(w.instanceId(), w.port(), w.rate()));
                why.put(w.port(), "restored (the rules were incomplete)");
            } else if (!close(r.egressRate(), w.rate()) || !close(r.ingressRate(), w.rate())) {
                set.add(new TrafficShaper.Cap(w.instanceId(), w.port(), w.rate()));
                why.put(w.port(), "changed from " + Bandwidth.format(r.egressRate()));
            }
        }
        for (TrafficShaper.Rule r : seen.rules()) {
            if (wanted.containsKey(r.port())) {
                continue;
            }
            if (r.ourScope() && r.instanceId() != null && known.contains(r.instanceId())) {
                remove.add(r.port()); // ours, and its instance no longer wants a cap here
                removedInstances.put(r.port(), r.instanceId());
                why.put(r.port(), "removed (no cap wanted on this port any more)");
            } else if (r.ourScope() || (r.instanceId() == null && r.port() >= portMin && r.port() <= portMax)) {
                orphanRules.add(r);
            }
        }
        return new Plan(List.copyOf(set), List.copyOf(remove), why, List.copyOf(orphanRules), removedInstances);
    }

    private static boolean close(long seen, long want) {
        return Math.abs(seen - want) <= Math.max(1, want * RATE_TOLERANCE);
    }

    private void report(HostView h, List<Want> onHost, Plan plan, TrafficShaper.HostRules after) {
        Map<Integer, Want> byPort = new HashMap<>();
        onHost.forEach(w -> byPort.put(w.port(), w));
        for (TrafficShaper.Cap c : plan.set()) {
            Want w = byPort.get(c.port());
            audit.record(ACTOR, tenants.slugOf(w.tenantId()), "storage.bandwidth", "port " + c.port() + " on " + h.name(),
                    Outcome.OK, plan.why().get(c.port()) + ": " + Bandwidth.format(c.bytesPerSecond()) + " each way", null);
        }
        for (int port : plan.remove()) {
            Long instance = plan.removedInstances().get(port);
            String tenant = QuarkusTransaction.requiringNew().call(() -> {
                StorageInstance i = instance == null ? null : StorageInstance.findById(instance);
                return i == null ? null : tenants.slugOf(i.tenantId);
            });
            audit.record(ACTOR, tenant, "storage.bandwidth", "port " + port + " on " + h.name(), Outcome.OK, plan.why().get(port), null);
        }
    }

    private void record(HostView h, List<Want> onHost, Set<Long> known, TrafficShaper.HostRules seen) {
        Map<Integer, TrafficShaper.Rule> byPort = new HashMap<>();
        seen.rules().forEach(r -> byPort.put(r.port(), r));
        long now = System.nanoTime();
        for (Want w : onHost) {
            TrafficShaper.Rule r = w.rate() > 0 ? byPort.get(w.port()) : null;
            boolean applied = r != null && r.complete() && Long.valueOf(w.instanceId()).equals(r.instanceId());
            Integer rulesPort = applied ? Integer.valueOf(w.port()) : null;
            if (!java.util.Objects.equals(rulesPort, w.rulesPort())) {
                recordRules(w.instanceId(), rulesPort);
            }
            if (!applied) {
                samples.remove(w.instanceId());
                meters.put(w.instanceId(), new Meter(w.rate(), false, null, null, null, 0, 0, 0));
                continue;
            }
            long[] before = samples.put(w.instanceId(), new long[] {r.egressBytes(), r.ingressBytes(), now});
            Double egress = null;
            Double ingress = null;
            double window = 0;
            if (before != null && r.egressBytes() >= before[0] && r.ingressBytes() >= before[1] && now > before[2]) {
                window = (now - before[2]) / 1e9;
                egress = (r.egressBytes() - before[0]) / window;
                ingress = (r.ingressBytes() - before[1]) / window;
            }
            meters.put(w.instanceId(), new Meter(w.rate(), true, egress, ingress, Instant.now(), window, r.egressBytes(), r.ingressBytes()));
        }
        var found = new ArrayList<Orphan>();
        Set<Integer> wantedPorts = new HashSet<>();
        onHost.stream().filter(w -> w.rate() > 0).forEach(w -> wantedPorts.add(w.port()));
        for (TrafficShaper.Rule r : plan(onHost, known, seen).orphans()) {
            if (wantedPorts.contains(r.port())) {
                continue;
            }
            String reason = r.instanceId() == null ? "rules without this deployment's label in its port range"
                    : "labelled for instance " + r.instanceId() + ", which has no record";
            Orphan o = new Orphan(h.id(), h.name(), seen.device(), r.port(), r.instanceId(), reason);
            found.add(o);
            if (reportedOrphans.add(h.id() + ":" + r.port() + ":" + r.instanceId())) {
                audit.record(ACTOR, null, "storage.bandwidth.orphan", "port " + r.port() + " on " + h.name() + " (" + seen.device() + ")",
                        Outcome.FAILED, reason + "; left untouched for an administrator", null);
            }
        }
        if (found.isEmpty()) {
            orphans.remove(h.id());
        } else {
            orphans.put(h.id(), List.copyOf(found));
        }
    }

    // ------------------------------------------------------------------ database

    /** Placed instances (of one host, or one instance, or all) with the cap their tenant's quota wants. One query. */
    private List<Want> wants(Long hostId) {
        return wants(hostId, null);
    }

    private List<Want> wants(Long hostId, Long instanceId) {
        long defaultRate = tenants.defaultLimits().networkRate();
        List<Object[]> rows = QuarkusTransaction.requiringNew().call(() -> {
            var q = StorageInstance.getEntityManager().createQuery("select i.id, i.tenantId, i.port, i.networkRulesPort, q.networkRate"
                    + " from StorageInstance i left join dev.berth.tenancy.Quota q on q.tenantId = i.tenantId"
                    + " where i.hostId is not null and i.port is not null"
                    + (hostId == null ? "" : " and i.hostId = :h") + (instanceId == null ? "" : " and i.id = :i"), Object[].class);
            if (hostId != null) {
                q.setParameter("h", hostId);
            }
            if (instanceId != null) {
                q.setParameter("i", instanceId);
            }
            return q.getResultList();
        });
        var wants = new ArrayList<Want>();
        for (Object[] row : rows) {
            long rate = row[4] == null ? defaultRate : (Long) row[4]; // no quota row: the configured defaults apply
            wants.add(new Want((Long) row[0], (Long) row[1], (Integer) row[2], rate, (Integer) row[3]));
        }
        return wants;
    }

    private long hostOf(long instanceId) {
        return QuarkusTransaction.requiringNew().call(() -> ((StorageInstance) StorageInstance.findById(instanceId)).hostId);
    }

    private void recordRules(long instanceId, Integer port) {
        QuarkusTransaction.requiringNew().run(() ->
                StorageInstance.update("networkRulesPort = ?1 where id = ?2", port, instanceId));
    }
}
