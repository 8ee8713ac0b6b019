package dev.berth.compute;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.BerthMeters;
import dev.berth.common.Leases;
import dev.berth.hosts.Endpoint;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.key.KeyView;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Creations interrupted by a stop of the portal (a crash, a killed pod): rows left CREATING whose last step is older
 * than {@code berth.compute.recovery.abandoned-after} and that no thread of this replica works on. They are rolled
 * back, not finished: the SSH key a creation was given lives only in the request's memory, and the tenant may no
 * longer want a machine that did not come. Rolling back removes the domain, the overlay and the seed (their names
 * follow from the domain UUID, so even a volume made just before the stop and never recorded is found), revokes the
 * machine's key, and leaves the row FAILED with the reason (holding no quota), audited. Every step is idempotent; a
 * host that does not answer leaves the row CREATING (quota held) for the next pass.
 *
 * <p>The row is claimed by marking it ({@code lastError} set) in one conditional update, and a creation that is in
 * fact still running somewhere finishes only a row without that mark, so it undoes its own work instead. Runs on the
 * replica holding the {@value #LEASE} lease.
 */
@ApplicationScoped
public class CreationRecovery {
    static final String LEASE = "vm-creation-recovery";
    static final String ACTOR = "system:creation-recovery";
    static final String CLAIM = "interrupted (the portal stopped while creating it); being rolled back";
    private static final Logger LOG = Logger.getLogger(CreationRecovery.class);

    @ConfigMapping(prefix = "berth.compute.recovery")
    public interface Config {
        /** How often the pass looks for interrupted creations ("off" disables). */
        @WithDefault("60s")
        String interval();

        /**
         * How long a creation may go without finishing a step before it counts as interrupted: longer than the slowest
         * step (each host call is bounded by the action timeout; the seed branch makes up to four calls).
         */
        @WithDefault("10m")
        Duration abandonedAfter();
    }

    @Inject
    Config config;
    @Inject
    ComputeConfig compute;
    @Inject
    Leases leases;
    @Inject
    MachineCreation creation;
    @Inject
    MachineService machines;
    @Inject
    Hypervisor hypervisor;
    @Inject
    dev.berth.hosts.HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    AuditLog audit;

    @Scheduled(every = "${berth.compute.recovery.interval:60s}", delayed = "20s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "vm-creation-recovery")
    void scheduled() {
        Duration interval = io.quarkus.runtime.configuration.DurationConverter.parseDuration(config.interval());
        leases.runExclusively(LEASE, interval.multipliedBy(2).plus(compute.actionTimeout().multipliedBy(4)),
                () -> recover(Instant.now().minus(config.abandonedAfter())));
    }

    /** What one pass did with one row. */
    public record Recovered(long id, String name, boolean rolledBack, String detail) {
    }

    /** Rolls back every creation quiet since before {@code cutoff}; returns what it did, row by row. */
    public List<Recovered> recover(Instant cutoff) {
        List<Long> stale = QuarkusTransaction.requiringNew().call(() -> VmAssignment.<VmAssignment>list(
                "status = ?1 and (stepAt is null or stepAt < ?2)", Creation.Status.CREATING.name(), cutoff)).stream()
                .map(a -> a.id).filter(id -> !creation.creatingHere(id)).toList();
        var done = new ArrayList<Recovered>();
        boolean ok = true;
        for (long id : stale) {
            try {
                Recovered o = rollBack(id, cutoff);
                if (o != null) {
                    done.add(o);
                    ok &= o.rolledBack();
                }
            } catch (RuntimeException e) {
                ok = false;
                LOG.warnf("rolling back the interrupted creation of machine %d: %s", id, e.toString());
            }
        }
        BerthMeters.reconciled("vm-creations", ok);
        return done;
    }

    private Recovered rollBack(long id, Instant cutoff) {
        Instant now = Instant.now();
        // the claim: still CREATING, still quiet; a running creation will not finish a row marked so
        int claimed = QuarkusTransaction.requiringNew().call(() -> VmAssignment.update(
                "lastError = ?1, stepAt = ?2 where id = ?3 and status = ?4 and (stepAt is null or stepAt < ?5)",
                CLAIM, now, id, Creation.Status.CREATING.name(), cutoff));
        if (claimed == 0) {
            return null; // it moved on, or another pass has it
        }
        VmAssignment a = MachineCreation.row(id);
        String slug = tenants.slugOf(a.tenantId);
        String host = hosts.get(a.hostId).name();
        String at = a.step == null ? Creation.Step.RESERVED.label : Creation.Step.valueOf(a.step).label;
        var removed = new ArrayList<String>();
        try {
            Endpoint endpoint = hosts.endpoint(a.hostId);
            if (exists(endpoint, a.domainUuid)) {
                hypervisor.undefine(endpoint, a.domainUuid, compute.actionTimeout());
                removed.add("domain");
            }
            if (a.pool != null) {
                for (String volume : List.of(Creation.overlayVolume(a.domainUuid), Creation.seedVolume(a.domainUuid))) {
                    if (hypervisor.volume(endpoint, a.pool, volume, compute.callTimeout()).isPresent()) {
                        hypervisor.deleteVolume(endpoint, a.pool, volume, compute.actionTimeout());
                        removed.add(volume.endsWith(".iso") ? "seed" : "disk");
                    }
                }
            }
            machines.forget(endpoint);
            for (String key : machineKeys(slug, a)) {
                try {
                    buckets.revokeAny(new dev.berth.audit.Actor(ACTOR, null, null), slug, key);
                    removed.add("key " + key);
                } catch (dev.berth.common.NotFoundException gone) {
                    // revoked already
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            String why = "interrupted at \"" + at + "\"; rolling back failed (tried again in the next pass): " + e.getMessage();
            // dated back to its reservation, so the next pass takes it again
            QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("lastError = ?1, stepAt = ?2 where id = ?3 and status = ?4",
                    MachineCreation.truncate(why), a.assignedAt, id, Creation.Status.CREATING.name()));
            audit.record(ACTOR, slug, "vm.create", a.name + " on " + host, Outcome.FAILED, why, null);
            return new Recovered(id, a.name, false, why);
        }
        String reason = "The creation was interrupted at \"" + at + "\" (the portal stopped) and rolled back"
                + (removed.isEmpty() ? "" : ": removed " + String.join(", ", removed) + " on " + host)
                + ". Delete this machine and create it again.";
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update(
                "status = ?1, lastError = ?2, overlayVolume = null, seedVolume = null, accessKey = null, stepAt = ?3 where id = ?4 and status = ?5",
                Creation.Status.FAILED.name(), MachineCreation.truncate(reason), Instant.now(), id, Creation.Status.CREATING.name()));
        audit.record(ACTOR, slug, "vm.create", a.name + " on " + host, Outcome.FAILED, reason, null);
        LOG.infof("machine %d (%s of %s): %s", id, a.name, slug, reason);
        return new Recovered(id, a.name, true, reason);
    }

    private boolean exists(Endpoint endpoint, String uuid) throws HypervisorException {
        try {
            hypervisor.describe(endpoint, uuid, compute.callTimeout());
            return true;
        } catch (DomainNotFoundException e) {
            return false;
        }
    }

    /**
     * The machine's key: the one recorded, or — stopped between MinIO's answer and that record — the key made for it
     * ("machine &lt;name&gt;" on its bucket) since it was reserved.
     */
    private List<String> machineKeys(String slug, VmAssignment a) {
        if (a.accessKey != null) {
            return List.of(a.accessKey);
        }
        if (a.bucket == null) {
            return List.of();
        }
        return buckets.allKeys(slug).stream().filter(k -> a.bucket.equals(k.bucket()) && ("machine " + a.name).equals(k.description())
                && k.createdAt() != null && !k.createdAt().isBefore(a.assignedAt.minusSeconds(1))).map(KeyView::accessKey).toList();
    }
}
