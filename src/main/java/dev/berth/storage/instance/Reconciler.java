package dev.berth.storage.instance;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.SecretBox;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.usage.StorageEventResource;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import dev.berth.common.BerthMeters;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.commons.lang3.StringUtils;
import org.jboss.logging.Logger;

/**
 * Converges desired state (the database) and actual state (the Docker hosts): provisions requested instances
 * step by step, starts stopped containers, recreates missing ones on the same volume, applies quota changes,
 * stops suspended ones, and reports Berth-labelled containers without a record (orphans).
 *
 * <p>Runs on a schedule and right after each request. Work on one instance is claimed through the database
 * ({@link InstanceClaims}), so several replicas never act twice; within a replica, one worker per instance.
 * Every step is idempotent: deterministic names, "create unless it exists", "start unless running".
 */
@ApplicationScoped
public class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    private static final String ACTOR = "system:storage-reconciler";

    @Inject
    InstanceClaims claims;
    @Inject
    ContainerRuntime runtime;
    @Inject
    InstanceHealth health;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    SecretBox secrets;
    @Inject
    AuditLog audit;
    @Inject
    StorageConfig config;
    @Inject
    DevPause devPause;
    @Inject
    InstanceCerts certs;
    @Inject
    BandwidthService bandwidth;

    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    /** Per instance: the run under way in this replica and, if asked meanwhile, one more to follow it. */
    private final Map<Long, Lane> lanes = new HashMap<>();
    private final Set<String> reportedOrphans = ConcurrentHashMap.newKeySet();
    private volatile List<Orphan> orphans = List.of();
    private volatile Instant lastPass;

    /** A container with this deployment's Berth labels that no instance record accounts for. */
    public record Orphan(long hostId, String host, String container, String tenant, String instance, String state) {
    }

    @Scheduled(every = "${berth.storage.reconcile-interval:30s}", delayed = "3s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "storage-reconciler")
    void scheduled() {
        reconcileAll();
    }

    /** One full pass: every instance that is due (each claimed), then the orphan report. Returns when done. */
    public void reconcileAll() {
        Instant now = Instant.now();
        List<Long> due = QuarkusTransaction.requiringNew().call(() -> StorageInstance.<StorageInstance>list(
                "nextAttemptAt is null or nextAttemptAt <= ?1", now).stream().map(i -> i.id).toList());
        boolean ok = false;
        try {
            CompletableFuture.allOf(due.stream().map(this::kick).toArray(CompletableFuture[]::new)).join();
            bandwidth.reconcileAll();
            findOrphans();
            readEngines();
            ok = true;
        } finally {
            BerthMeters.reconciled("storage", ok);
        }
        lastPass = Instant.now();
    }

    private static final class Lane {
        CompletableFuture<Void> current = new CompletableFuture<>();
        CompletableFuture<Void> next;
    }

    /**
     * Reconciles one instance now, whatever its retry time. The future completes after a run that started
     * after this call: a request made while a run is under way (that may have read older state) gets one more.
     */
    public CompletableFuture<Void> kick(long id) {
        synchronized (lanes) {
            Lane lane = lanes.get(id);
            if (lane != null) {
                if (lane.next == null) {
                    lane.next = new CompletableFuture<>();
                }
                return lane.next;
            }
            Lane fresh = new Lane();
            lanes.put(id, fresh);
            pool.execute(() -> run(id, fresh));
            return fresh.current;
        }
    }

    private void run(long id, Lane lane) {
        while (true) {
            reconcile(id);
            CompletableFuture<Void> done;
            boolean again;
            synchronized (lanes) {
                done = lane.current;
                again = lane.next != null;
                if (again) {
                    lane.current = lane.next;
                    lane.next = null;
                } else {
                    lanes.remove(id);
                }
            }
            done.complete(null);
            if (!again) {
                return;
            }
        }
    }

    public List<Orphan> orphans() {
        return orphans;
    }

    /** Each Docker host's cgroup version ("1", "2"), as its engine said at the last pass. */
    public Map<Long, String> engines() {
        return Map.copyOf(cgroupVersions);
    }

    private final Map<Long, String> cgroupVersions = new ConcurrentHashMap<>();

    private void readEngines() {
        // Hosts with a ready instance only: they answer, so the call costs no timeout.
        Set<Long> answering = new HashSet<>(QuarkusTransaction.requiringNew().call(() -> StorageInstance.getEntityManager()
                .createQuery("select distinct i.hostId from StorageInstance i where i.status = :s", Long.class)
                .setParameter("s", InstanceStatus.READY).getResultList()));
        for (HostView h : hosts.enabled(HostKind.DOCKER)) {
            if (cgroupVersions.containsKey(h.id()) || !answering.contains(h.id())) {
                continue; // a host's cgroup version changes only with a reboot into another kernel setup
            }
            try {
                String v = runtime.info(hosts.endpoint(h.id())).cgroupVersion();
                if (v != null) {
                    cgroupVersions.put(h.id(), v);
                }
            } catch (RuntimeUnavailableException e) {
                // said by the instances on it
            }
        }
    }

    public Instant lastPass() {
        return lastPass;
    }

    private void reconcile(long id) {
        try {
            if (!claims.claim(id)) {
                return; // another replica works on it; its pass will do what ours would have
            }
            try {
                converge(id);
            } finally {
                claims.release(id);
            }
        } catch (InstanceClaims.LostClaim e) {
            LOG.warnf("storage instance %d: %s", id, e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "storage instance %d: reconciling failed", id);
        }
    }

    private void converge(long id) throws InstanceClaims.LostClaim {
        InstanceRow r = claims.read(id);
        if (r == null) {
            return;
        }
        String slug = tenants.slugOf(r.tenantId());
        ContainerRuntime.Limits want = limits(tenants.quota(slug));
        try {
            if (r.suspended()) {
                suspend(r, slug);
                return;
            }
            if (r.hostId() == null || r.port() == null) {
                r = place(r, want);
                if (r == null) {
                    return;
                }
            }
            provision(r, slug, want);
            bandwidth.ensure(id); // a new or changed network cap at once, without restarting the instance
        } catch (RuntimeUnavailableException e) {
            if (r.status() == InstanceStatus.READY && answers(r)) {
                // The engine did not answer (slow under load, restarting, cut off from the portal) but MinIO does:
                // the tenant keeps its storage; the problem shows on the instance until a pass reaches the engine.
                serving(r, slug, "Docker host did not answer (" + e.getMessage() + "); MinIO still answers");
                return;
            }
            failed(r, slug, e.unreachable() ? InstanceStatus.UNREACHABLE : InstanceStatus.FAILED, e.getMessage());
        } catch (InstanceHealth.NotReadyException e) {
            String logs = logs(r);
            if (logs.contains("port is already in use") || logs.contains("address already in use")) {
                movePort(r); // something outside Berth holds the port: the next attempt gets another one
            }
            failed(r, slug, InstanceStatus.FAILED, e.getMessage() + logs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ steps

    /** Ports found taken by programs outside Berth, per host: placement skips them. */
    private final Map<Long, Set<Integer>> busyPorts = new ConcurrentHashMap<>();

    private void movePort(InstanceRow r) {
        busyPorts.computeIfAbsent(r.hostId(), k -> ConcurrentHashMap.newKeySet()).add(r.port());
        try {
            runtime.remove(hosts.endpoint(r.hostId()), r.containerName()); // its command line names the old port
            claims.write(r.id(), i -> i.port = null);
        } catch (RuntimeUnavailableException | InstanceClaims.LostClaim e) {
            LOG.warnf("storage instance %d: could not give up port %d: %s", r.id(), r.port(), e.getMessage());
        }
    }

    private InstanceRow place(InstanceRow r, ContainerRuntime.Limits want) throws InstanceClaims.LostClaim {
        r = status(r, InstanceStatus.PLACING);
        if (r.hostId() != null) { // placed before; only the port is to be found again
            HostView h = hosts.get(r.hostId());
            return port(r, h.id(), h.name(), h.storageAddress());
        }
        List<HostView> docker = hosts.enabled(HostKind.DOCKER);
        Map<Long, Long> reserved = reservedMemory();
        var answers = new HashMap<Long, CompletableFuture<Object>>();
        for (HostView h : docker) {
            Endpoint ep = hosts.endpoint(h.id());
            answers.put(h.id(), CompletableFuture.supplyAsync(() -> {
                try {
                    return runtime.info(ep);
                } catch (RuntimeUnavailableException e) {
                    return e.getMessage();
                }
            }, pool));
        }
        var candidates = new ArrayList<Placement.Candidate>();
        for (HostView h : docker) {
            Object answer = answers.get(h.id()).join();
            String problem = h.storageAddress() == null ? "no storage address"
                    : answer instanceof String error ? "unreachable: " + error : null;
            Long memory = answer instanceof ContainerRuntime.EngineInfo info ? info.memoryBytes() : null;
            candidates.add(new Placement.Candidate(h.id(), h.name(), memory, reserved.getOrDefault(h.id(), 0L), problem));
        }
        Placement.Decision decision = Placement.choose(candidates, want.memoryBytes());
        if (decision.host() == null) {
            failed(r, tenants.slugOf(r.tenantId()), InstanceStatus.FAILED, decision.refusal());
            return null;
        }
        HostView chosen = docker.stream().filter(h -> h.id() == decision.host().hostId()).findFirst().orElseThrow();
        return port(r, chosen.id(), chosen.name(), chosen.storageAddress());
    }

    private InstanceRow port(InstanceRow r, long hostId, String hostName, String address) throws InstanceClaims.LostClaim {
        // Hosts that share a storage address share its ports (two registrations of one machine, say), so the
        // ports in use are those of every host with this address, and those found taken by other programs.
        // Another replica may place another instance on this host at the same moment: the unique (host, port)
        // constraint lets only one of us have a port; the other tries the next free one.
        for (int tries = 0; tries < 20; tries++) {
            Set<Integer> used = new HashSet<>(QuarkusTransaction.requiringNew().call(() -> StorageInstance.getEntityManager()
                    .createQuery("select i.port from StorageInstance i where i.port is not null and (i.hostId = :h or i.hostId in"
                            + " (select h.id from Host h where h.storageAddress = :a))", Integer.class)
                    .setParameter("h", hostId).setParameter("a", address).getResultList()));
            used.addAll(busyPorts.getOrDefault(hostId, Set.of()));
            OptionalInt port = Placement.freePort(used, config.portMin(), config.portMax());
            if (port.isEmpty()) {
                failed(r, tenants.slugOf(r.tenantId()), InstanceStatus.FAILED, "No free port left on "
                        + hostName + " (" + config.portMin() + "-" + config.portMax() + ").");
                return null;
            }
            devPause.beforeLeaving(r.id(), r.status());
            try {
                return claims.write(r.id(), i -> {
                    i.hostId = hostId;
                    i.port = port.getAsInt();
                    i.status = InstanceStatus.CREATING;
                });
            } catch (RuntimeException e) { // unique (host, port): taken meanwhile
                LOG.debugf("port %d on host %d was taken meanwhile: %s", port.getAsInt(), hostId, e.getMessage());
            }
        }
        failed(r, tenants.slugOf(r.tenantId()), InstanceStatus.FAILED, "Could not reserve a port on " + hostName + ".");
        return null;
    }

    private String eventsUrl(long tenantId) {
        return config.eventsUrl().map(u -> StorageEventResource.url(u, tenantId)).orElse(null);
    }

    private void provision(InstanceRow r, String slug, ContainerRuntime.Limits want)
            throws RuntimeUnavailableException, InstanceHealth.NotReadyException, InterruptedException, InstanceClaims.LostClaim {
        HostView host = hosts.get(r.hostId());
        Endpoint ep = hosts.endpoint(r.hostId());
        String password = secrets.open(r.rootPasswordSealed());
        String endpoint = InstanceSpec.endpoint(host.storageAddress(), r.port());
        InstanceCerts.Current tls = certs.ensure(r, slug, host.storageAddress());
        ContainerRuntime.ContainerSpec spec = InstanceSpec.of(config.scope(), slug, r.id(), config.image(),
                host.storageAddress(), r.port(), want, r.rootUser(), password, config.incompleteUploadMaxAge(), tls.tls(),
                eventsUrl(r.tenantId()));
        boolean wasReady = r.status() == InstanceStatus.READY;

        Optional<ContainerRuntime.ContainerState> state = runtime.inspect(ep, spec.name());
        if (state.isPresent() && !Long.toString(r.id()).equals(state.get().labels().get(InstanceSpec.LABEL_INSTANCE))) {
            failed(r, slug, InstanceStatus.FAILED, "A container named " + spec.name() + " exists on " + host.name()
                    + " but does not belong to this instance (labels " + state.get().labels() + "); remove it or rename it.");
            return;
        }
        if (state.isEmpty()) {
            r = status(r, InstanceStatus.CREATING);
            boolean hadVolume = runtime.volumeExists(ep, spec.volume());
            runtime.ensureVolume(ep, spec.volume(), spec.labels());
            runtime.create(ep, spec);
            if (r.readyAt() != null) { // it was ready once: the container went missing
                audit.record(ACTOR, slug, "storage.recreate", spec.name() + " on " + host.name(), Outcome.OK,
                        "container was missing; recreated on " + (hadVolume ? "its volume " : "a new volume ") + spec.volume(), null);
            }
        } else if (!InstanceSpec.TLS_VERSION.equals(state.get().labels().get(InstanceSpec.LABEL_TLS))) {
            // Made before instances spoke TLS: its command line serves plain HTTP. A new container on the same volume.
            r = status(r, InstanceStatus.CREATING);
            runtime.remove(ep, spec.name());
            runtime.create(ep, spec);
            audit.record(ACTOR, slug, "storage.tls", spec.name(), Outcome.OK,
                    "container recreated on its volume to serve HTTPS only (certificate serial " + tls.serial() + ")", null);
        } else if (!state.get().limits().equals(want)) {
            ContainerRuntime.Limits after = runtime.updateLimits(ep, spec.name(), want);
            if (after.equals(want)) {
                audit.record(ACTOR, slug, "storage.limits", spec.name(), Outcome.OK, "in place: " + describe(want), null);
            } else { // block-I/O rates cannot change in place: a new container on the same volume
                r = status(r, InstanceStatus.CREATING);
                runtime.remove(ep, spec.name());
                runtime.create(ep, spec);
                audit.record(ACTOR, slug, "storage.limits", spec.name(), Outcome.OK,
                        "container recreated on its volume (block-I/O rates change only so): " + describe(want), null);
            }
        }
        state = runtime.inspect(ep, spec.name());
        boolean running = state.isPresent() && state.get().running();
        if (running && !tls.applied()) {
            // A new certificate (renewed, or issued after a crash before it was recorded as applied): MinIO reads the
            // files written at start, so restart it with them.
            runtime.stop(ep, spec.name());
            running = false;
            audit.record(ACTOR, slug, "storage.certificate", spec.name(), Outcome.OK,
                    "restarted to serve the certificate with serial " + tls.serial() + ", valid until " + tls.notAfter(), null);
        }
        // A ready instance that misses one look (MinIO slow under load) gets a second within one call timeout before
        // tenants see it as not ready.
        if (wasReady && running && tls.applied()
                && (health.isReady(endpoint, r.rootUser(), password) || answersWithin(endpoint, r.rootUser(), password))) {
            if (r.lastError() != null || r.status() != InstanceStatus.READY) {
                ready(r, slug, state.get(), false);
            }
            return;
        }
        if (!running) {
            r = status(r, InstanceStatus.STARTING);
            runtime.start(ep, spec.name(), spec.files());
            if (wasReady) {
                audit.record(ACTOR, slug, "storage.start", spec.name() + " on " + host.name(), Outcome.OK,
                        "found " + state.map(ContainerRuntime.ContainerState::status).orElse("missing") + "; started", null);
            }
        }
        r = status(r, InstanceStatus.WAITING);
        health.awaitReady(endpoint, r.rootUser(), password, config.readyTimeout());
        if (!tls.applied()) {
            certs.applied(r.id(), tls.serial());
        }
        ready(r, slug, runtime.inspect(ep, spec.name()).orElse(null), !wasReady);
    }

    private void suspend(InstanceRow r, String slug) throws RuntimeUnavailableException, InstanceClaims.LostClaim {
        if (r.hostId() != null) {
            Endpoint ep = hosts.endpoint(r.hostId());
            Optional<ContainerRuntime.ContainerState> state = runtime.inspect(ep, r.containerName());
            if (state.isPresent() && state.get().running()) {
                runtime.stop(ep, r.containerName());
            }
        }
        if (r.status() != InstanceStatus.SUSPENDED || r.lastError() != null) {
            claims.write(r.id(), i -> {
                i.status = InstanceStatus.SUSPENDED;
                i.lastError = null;
                i.attempts = 0;
                i.nextAttemptAt = null;
                i.startedAt = null;
            });
        }
    }

    // ------------------------------------------------------------------ outcomes

    private InstanceRow status(InstanceRow r, InstanceStatus s) throws InstanceClaims.LostClaim {
        if (r.status() == s) {
            return r;
        }
        devPause.beforeLeaving(r.id(), r.status());
        return claims.write(r.id(), i -> i.status = s);
    }

    private void ready(InstanceRow r, String slug, ContainerRuntime.ContainerState state, boolean first)
            throws InstanceClaims.LostClaim {
        boolean recovered = r.status() != InstanceStatus.READY && r.readyAt() != null;
        devPause.beforeLeaving(r.id(), r.status());
        claims.write(r.id(), i -> {
            i.status = InstanceStatus.READY;
            i.lastError = null;
            i.attempts = 0;
            i.nextAttemptAt = null;
            i.containerId = state == null ? i.containerId : state.id();
            i.startedAt = state == null ? i.startedAt : state.startedAt();
            if (i.readyAt == null) {
                i.readyAt = Instant.now();
            }
        });
        if (first && r.readyAt() == null) {
            BerthMeters.provisioned(java.time.Duration.between(r.createdAt(), Instant.now()), true);
            audit.record(ACTOR, slug, "storage.ready", r.containerName(), Outcome.OK, "MinIO answers on port " + r.port(), null);
        } else if (recovered) {
            audit.record(ACTOR, slug, "storage.recover", r.containerName(), Outcome.OK, "ready again after " + r.status(), null);
        }
    }

    /** MinIO of this instance answers its root user now (one look, or a second within one call timeout). */
    private boolean answers(InstanceRow r) {
        try {
            String endpoint = InstanceSpec.endpoint(hosts.get(r.hostId()).storageAddress(), r.port());
            String password = secrets.open(r.rootPasswordSealed());
            return health.isReady(endpoint, r.rootUser(), password) || answersWithin(endpoint, r.rootUser(), password);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean answersWithin(String endpoint, String rootUser, String password) throws InterruptedException {
        try {
            health.awaitReady(endpoint, rootUser, password, config.callTimeout());
            return true;
        } catch (InstanceHealth.NotReadyException e) {
            return false;
        }
    }

    /** Still ready, with what went wrong noted (audited when new); the next pass that reaches the engine clears it. */
    private void serving(InstanceRow r, String slug, String note) {
        String message = StringUtils.abbreviate(note, "…", LAST_ERROR_MAX);
        try {
            claims.write(r.id(), i -> {
                i.status = InstanceStatus.READY;
                i.lastError = message;
            });
        } catch (InstanceClaims.LostClaim e) {
            return;
        }
        if (!message.equals(r.lastError())) {
            audit.record(ACTOR, slug, "storage.reconcile", r.containerName(), Outcome.FAILED, message, null);
        }
        LOG.warnf("storage instance %d (%s): %s", r.id(), slug, message);
    }

    /** last_error holds 2,000 characters. */
    private static final int LAST_ERROR_MAX = 1900;

    private void failed(InstanceRow r, String slug, InstanceStatus status, String error) {
        String message = error == null ? status.label() : StringUtils.abbreviate(error, "…", LAST_ERROR_MAX);
        try {
            claims.write(r.id(), i -> {
                i.status = status;
                i.lastError = message;
                i.attempts = i.attempts + 1;
                i.nextAttemptAt = Instant.now().plus(Placement.backoff(i.attempts, config.retryBase(), config.retryMax()));
            });
        } catch (InstanceClaims.LostClaim e) {
            return;
        }
        // Audited when something new goes wrong, not on every retry of the same failure.
        if (r.status() != status || !message.equals(r.lastError())) {
            audit.record(ACTOR, slug, "storage.reconcile", r.containerName(), Outcome.FAILED, message, null);
        }
        LOG.warnf("storage instance %d (%s): %s", r.id(), slug, message);
    }

    private String logs(InstanceRow r) {
        if (r.hostId() == null) {
            return "";
        }
        try {
            String tail = runtime.logsTail(hosts.endpoint(r.hostId()), r.containerName(), 5).strip();
            return tail.isEmpty() ? "" : "\nLast lines of its log:\n" + tail;
        } catch (RuntimeUnavailableException | RuntimeException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------ orphans

    private void findOrphans() {
        Map<Long, Set<String>> known = new HashMap<>();
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.<StorageInstance>listAll().forEach(i ->
                known.computeIfAbsent(i.hostId == null ? -1L : i.hostId, k -> new HashSet<>()).add(Long.toString(i.id))));
        Set<String> allKnown = new HashSet<>();
        known.values().forEach(allKnown::addAll);
        var found = new ArrayList<Orphan>();
        // Container ids are random 256-bit values: one seen through two registrations of the same engine is one orphan.
        Set<String> seen = new HashSet<>();
        for (HostView h : hosts.enabled(HostKind.DOCKER)) {
            List<ContainerRuntime.ContainerState> labelled;
            try {
                labelled = runtime.list(hosts.endpoint(h.id()), Map.of(InstanceSpec.LABEL_SCOPE, config.scope()));
            } catch (RuntimeUnavailableException e) {
                continue; // said by the instances on it; orphans there are looked for when it answers
            }
            for (ContainerRuntime.ContainerState c : labelled) {
                String instance = c.labels().get(InstanceSpec.LABEL_INSTANCE);
                if ((instance == null || !allKnown.contains(instance)) && seen.add(c.id() == null ? c.name() : c.id())) {
                    found.add(new Orphan(h.id(), h.name(), c.name(), c.labels().get(InstanceSpec.LABEL_TENANT), instance, c.status()));
                }
            }
        }
        for (Orphan o : found) {
            if (reportedOrphans.add(o.container())) {
                audit.record(ACTOR, o.tenant(), "storage.orphan", o.container() + " on " + o.host(), Outcome.FAILED,
                        "container with Berth labels and no instance record; left untouched for an administrator", null);
            }
        }
        orphans = List.copyOf(found);
    }

    // ------------------------------------------------------------------ helpers

    ContainerRuntime.Limits limits(QuotaLimits q) {
        return new ContainerRuntime.Limits(q.containerMilliCpus(), q.containerMemoryBytes(), q.containerReadBps(),
                q.containerWriteBps(), config.pidsLimit());
    }

    /** Memory limits of the instances placed on each host: what placement counts as taken. */
    private Map<Long, Long> reservedMemory() {
        List<Object[]> rows = QuarkusTransaction.requiringNew().call(() -> StorageInstance.getEntityManager()
                .createQuery("select i.hostId, i.tenantId from StorageInstance i where i.hostId is not null", Object[].class)
                .getResultList());
        var reserved = new HashMap<Long, Long>();
        for (Object[] row : rows) {
            long memory = tenants.quota(tenants.slugOf((Long) row[1])).containerMemoryBytes();
            reserved.merge((Long) row[0], memory, Long::sum);
        }
        return reserved;
    }

    static String describe(ContainerRuntime.Limits l) {
        return l.milliCpus() / 1000.0 + " CPU, " + dev.berth.common.ByteSize.format(l.memoryBytes()) + " memory, read "
                + (l.readBps() == 0 ? "unlimited" : dev.berth.common.ByteSize.format(l.readBps()) + "/s") + ", write "
                + (l.writeBps() == 0 ? "unlimited" : dev.berth.common.ByteSize.format(l.writeBps()) + "/s") + ", " + l.pids() + " pids";
    }
}
