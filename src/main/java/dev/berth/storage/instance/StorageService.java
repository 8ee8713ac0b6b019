package dev.berth.storage.instance;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.common.SecretBox;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostResidents;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageDataDeleted;
import dev.berth.storage.StorageException;
import dev.berth.storage.usage.StorageLimitEnforcer;
import dev.berth.tenancy.QuotaChanged;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Tenants' MinIO instances: activation (recorded at once, provisioned by the {@link Reconciler}), the tenant's
 * view, and the administrator's list, suspend, resume and delete. Every change is audited.
 */
@ApplicationScoped
public class StorageService implements InstanceDirectory, HostResidents {
    private static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    TenantService tenants;
    @Inject
    HostService hosts;
    @Inject
    SecretBox secrets;
    @Inject
    AuditLog audit;
    @Inject
    StorageConfig config;
    @Inject
    Reconciler reconciler;
    @Inject
    InstanceClaims claims;
    @Inject
    ContainerRuntime runtime;
    @Inject
    Event<StorageDataDeleted> dataDeleted;
    @Inject
    InstanceCerts certs;
    @Inject
    TlsAuthority tls;
    @Inject
    BandwidthService bandwidth;

    private final SecureRandom random = new SecureRandom();

    public enum DataChoice { KEEP, DELETE }

    /** The result of an activation: the instance, and whether this request created it. */
    public record Activation(StorageView instance, boolean created) {
    }

    // ------------------------------------------------------------------ tenant

    /**
     * Records the tenant's instance (REQUESTED) and returns at once; provisioning runs in the background.
     * Two requests at once create one instance: the unique tenant constraint refuses the second row, and the
     * second request answers with the first one's instance.
     */
    public Activation activate(Actor actor, String slug) {
        long tenantId = tenants.idOf(slug);
        Optional<InstanceRow> existing = row(tenantId);
        if (existing.isPresent()) {
            return new Activation(view(existing.get(), slug), false);
        }
        Instant now = Instant.now();
        String user = "berth" + randomText(15).toLowerCase(Locale.ROOT);
        String sealed = secrets.seal(randomText(40)); // MinIO's longest secret key; never leaves SecretBox in clear
        long id;
        try {
            id = QuarkusTransaction.requiringNew().call(() -> {
                var i = new StorageInstance();
                i.tenantId = tenantId;
                i.status = InstanceStatus.REQUESTED;
                i.containerName = InstanceSpec.containerName(config.scope(), slug);
                i.volumeName = InstanceSpec.volumeName(config.scope(), slug);
                i.rootUser = user;
                i.rootPasswordSealed = sealed;
                i.requestedBy = actor.username();
                i.createdAt = now;
                i.updatedAt = now;
                i.persist();
                return i.id;
            });
        } catch (RuntimeException e) {
            Optional<InstanceRow> raced = row(tenantId);
            if (raced.isPresent()) { // the other request won the unique constraint: its instance is ours too
                return new Activation(view(raced.get(), slug), false);
            }
            throw e;
        }
        audit.record(actor.username(), slug, "storage.activate", InstanceSpec.containerName(config.scope(), slug),
                Outcome.OK, "requested", actor.requestId());
        reconciler.kick(id);
        return new Activation(view(row(tenantId).orElseThrow(), slug), true);
    }

    /** The tenant's instance, or a view saying it is not activated. */
    public StorageView of(String slug) {
        long tenantId = tenants.idOf(slug);
        return row(tenantId).map(r -> view(r, slug)).orElseGet(() -> StorageView.none(slug, limits(tenants.quota(slug)))
                .withTls(tls(null)));
    }

    // ------------------------------------------------------------------ admin

    /**
     * A Docker host as the storage page shows it: its cgroup version and what the block-I/O rates bound there, and the
     * network caps' state (the interface shaped, the last error), as the reconciler last saw them.
     */
    public record StorageHost(long id, String name, String cgroupVersion, boolean bufferedWritesThrottled, String io,
                              String networkDevice, String networkError) {
    }

    public record AdminPage(List<StorageView> items, int page, int size, long total, List<Reconciler.Orphan> orphans,
                            Instant lastPass, List<BandwidthService.Orphan> bandwidthOrphans, List<StorageHost> storageHosts) {
        public int pages() {
            return (int) Math.max(1, (total + size - 1) / size);
        }
    }

    public AdminPage list(int page, int size) {
        record Found(List<InstanceRow> rows, long total) {
        }
        Found found = QuarkusTransaction.joiningExisting().call(() -> {
            var q = StorageInstance.<StorageInstance>findAll(Sort.by("id"));
            return new Found(q.page(page, size).list().stream().map(InstanceRow::of).toList(), q.count());
        });
        Map<Long, HostView> hostViews = new HashMap<>();
        Map<Long, Instant> expiries = certs.expiries();
        List<StorageView> items = found.rows().stream().map(r -> view(r, tenants.slugOf(r.tenantId()), hostViews)
                .withTls(tls(expiries.get(r.id())))).toList();
        var network = bandwidth.hostStates();
        var engines = reconciler.engines();
        List<StorageHost> storageHosts = hosts.enabled(dev.berth.hosts.HostKind.DOCKER).stream().map(h -> {
            String cgroup = engines.get(h.id());
            var n = network.get(h.id());
            return new StorageHost(h.id(), h.name(), cgroup, IoLimits.bufferedWritesThrottled(cgroup), IoLimits.explain(cgroup),
                    n == null ? null : n.device(), n == null ? null : n.error());
        }).toList();
        return new AdminPage(items, page, size, found.total(), reconciler.orphans(), reconciler.lastPass(),
                bandwidth.orphans(), storageHosts);
    }

    public StorageView get(long id) {
        InstanceRow r = find(id);
        return view(r, tenants.slugOf(r.tenantId()));
    }

    /** Stops the container and keeps it stopped (the reconciler will not start it) until resumed. */
    /** An administrator's full listing of the instance's buckets now, correcting the usage kept from events. */
    public StorageView reconcileUsage(Actor actor, long id) {
        InstanceRow r = find(id);
        String slug = tenants.slugOf(r.tenantId());
        try {
            int listed = enforcer.reconcileDue(r.tenantId(), true);
            audit.record(actor.username(), slug, "storage.usage.reconcile", r.containerName(), Outcome.OK, listed + " buckets listed", actor.requestId());
        } catch (StorageException e) {
            audit.record(actor.username(), slug, "storage.usage.reconcile", r.containerName(), Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The instance could not be listed: " + e.getMessage());
        }
        return get(id);
    }

    public StorageView suspend(Actor actor, long id) {
        InstanceRow r = find(id);
        String slug = tenants.slugOf(r.tenantId());
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update(
                "suspended = true, nextAttemptAt = null, updatedAt = ?2 where id = ?1", id, Instant.now()));
        awaitQuietly(reconciler.kick(id));
        StorageView after = get(id);
        boolean stopped = "SUSPENDED".equals(after.status());
        audit.record(actor.username(), slug, "storage.suspend", r.containerName(), stopped ? Outcome.OK : Outcome.FAILED,
                stopped ? null : "recorded; the container is stopped once its host answers: " + after.lastError(), actor.requestId());
        return after;
    }

    public StorageView resume(Actor actor, long id) {
        InstanceRow r = find(id);
        String slug = tenants.slugOf(r.tenantId());
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update(
                "suspended = false, nextAttemptAt = null, attempts = 0, updatedAt = ?2 where id = ?1", id, Instant.now()));
        audit.record(actor.username(), slug, "storage.resume", r.containerName(), Outcome.OK, null, actor.requestId());
        reconciler.kick(id);
        return get(id);
    }

    /**
     * Removes the container and, when asked, its volume (the tenant's data), then forgets the instance.
     * {@code confirm} must be the tenant's slug: typed by the administrator, it proves they meant this one.
     */
    public void delete(Actor actor, long id, String data, String confirm) {
        InstanceRow r = find(id);
        String slug = tenants.slugOf(r.tenantId());
        DataChoice choice;
        try {
            if (data == null || data.isBlank()) {
                throw InvalidInputException.of("data", "say keep or delete: whether the tenant's data is kept");
            }
            try {
                choice = DataChoice.valueOf(data.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw InvalidInputException.of("data", "must be keep or delete");
            }
            if (confirm == null || !confirm.trim().equals(slug)) {
                throw InvalidInputException.of("confirm", "type the tenant's name exactly: " + slug);
            }
        } catch (InvalidInputException e) {
            audit.record(actor.username(), slug, "storage.delete", r.containerName(), Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
        String what = r.containerName() + (choice == DataChoice.DELETE ? " and its data" : " (data kept in " + r.volumeName() + ")");
        if (!claimSoon(id)) {
            String reason = "The instance is being worked on right now; try again in a moment.";
            audit.record(actor.username(), slug, "storage.delete", what, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        try {
            if (r.hostId() != null) {
                Endpoint ep = hosts.endpoint(r.hostId());
                bandwidth.removeFor(r); // first: a rule left behind would name an instance without a record
                runtime.remove(ep, r.containerName());
                if (choice == DataChoice.DELETE) {
                    runtime.removeVolume(ep, r.volumeName());
                }
            }
            claims.write(id, StorageInstance::delete);
        } catch (RuntimeUnavailableException | InstanceClaims.LostClaim e) {
            claims.release(id);
            String reason = "Nothing was deleted: " + e.getMessage();
            audit.record(actor.username(), slug, "storage.delete", what, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        audit.record(actor.username(), slug, "storage.delete", what, Outcome.OK, null, actor.requestId());
        if (choice == DataChoice.DELETE) {
            dataDeleted.fire(new StorageDataDeleted(r.tenantId()));
        }
    }

    // ------------------------------------------------------------------ for other features

    @Override
    public Optional<InstanceAccess> readyInstance(long tenantId) {
        return row(tenantId).filter(r -> r.status() == InstanceStatus.READY && !r.suspended()).map(r -> {
            HostView h = hosts.get(r.hostId());
            return new InstanceAccess(tenantId, InstanceSpec.endpoint(h.storageAddress(), r.port()), r.rootUser(),
                    secrets.open(r.rootPasswordSealed()));
        });
    }

    @Override
    public List<String> residentsOn(long hostId) {
        return QuarkusTransaction.joiningExisting().call(() -> StorageInstance.<StorageInstance>list("hostId", hostId)).stream()
                .map(i -> "storage instance of tenant " + tenants.slugOf(i.tenantId) + " (port " + i.port + ")").toList();
    }

    /** A new container quota resizes the tenant's running container (the reconciler applies it). */
    void onQuotaChanged(@Observes QuotaChanged changed) {
        row(changed.tenantId()).filter(r -> !r.suspended()).ifPresent(r -> {
            QuarkusTransaction.requiringNew().run(() -> StorageInstance.update("nextAttemptAt = null where id = ?1", r.id()));
            reconciler.kick(r.id());
        });
    }

    // ------------------------------------------------------------------ internals

    /** The cap and what the last pass over the host measured through it. */
    private StorageView.Network network(long id, long cap) {
        var meter = bandwidth.meter(id);
        if (cap == 0) {
            return new StorageView.Network(0, "unlimited", "no cap", null, null, null, 0);
        }
        if (meter.isEmpty()) {
            return new StorageView.Network(cap, dev.berth.common.Bandwidth.format(cap), "not yet applied", null, null, null, 0);
        }
        var m = meter.get();
        String state = !m.applied() ? "not applied" : m.capBytesPerSecond() != cap ? "being changed" : "applied";
        return new StorageView.Network(cap, dev.berth.common.Bandwidth.format(cap), state, m.egressBytesPerSecond(),
                m.ingressBytesPerSecond(), m.measuredAt(), m.windowSeconds());
    }

    StorageView.Limits limits(QuotaLimits q) {
        return new StorageView.Limits(q.containerMilliCpus() / 1000.0, q.containerMemoryBytes(), q.containerReadBps(),
                q.containerWriteBps(), config.pidsLimit(), q.networkRate());
    }

    private StorageView view(InstanceRow r, String slug) {
        return view(r, slug, new HashMap<>()).withTls(tls(certs.expiry(r.id()).orElse(null)));
    }

    private StorageView.Tls tls(Instant notAfter) {
        return new StorageView.Tls(CA_URL, tls.caFingerprint(), notAfter);
    }

    /** Where the API serves the CA certificate (the page offers /storage/ca.crt). */
    public static final String CA_URL = "/api/v1/storage/ca";

    private StorageView view(InstanceRow r, String slug, Map<Long, HostView> cache) {
        HostView h = r.hostId() == null ? null : cache.computeIfAbsent(r.hostId(), hosts::get);
        QuotaLimits quota = tenants.quota(slug);
        return StorageView.of(r, slug, h == null ? null : h.name(), h == null ? null : h.storageAddress(),
                limits(quota)).withNetwork(network(r.id(), quota.networkRate()));
    }

    private static Optional<InstanceRow> row(long tenantId) {
        return QuarkusTransaction.joiningExisting().call(() ->
                StorageInstance.<StorageInstance>find("tenantId", tenantId).firstResultOptional().map(InstanceRow::of));
    }

    private static InstanceRow find(long id) {
        InstanceRow r = QuarkusTransaction.joiningExisting().call(() -> {
            StorageInstance i = StorageInstance.findById(id);
            return i == null ? null : InstanceRow.of(i);
        });
        if (r == null) {
            throw new NotFoundException("There is no storage instance " + id + ".");
        }
        return r;
    }

    /** Waits for a run under way (ours or another replica's) to finish, up to about one engine call. */
    private boolean claimSoon(long id) {
        long deadline = System.nanoTime() + config.callTimeout().toNanos() * 2;
        while (!claims.claim(id)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void awaitQuietly(java.util.concurrent.CompletableFuture<Void> run) {
        try {
            run.get(config.callTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // the page shows what is known; the reconciler finishes later
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String randomText(int length) {
        var sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }
}
