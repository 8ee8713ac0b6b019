package dev.berth.compute;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.BerthMeters;
import dev.berth.common.ByteSize;
import dev.berth.common.ConflictException;
import dev.berth.common.Errors;
import dev.berth.common.InvalidInputException;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.tenancy.TenantLocks;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantUsage;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

/**
 * Tenants create and delete their own machines. Creating first reserves: under the tenant's lock, the quota check and
 * the machine's row (status CREATING, counted by the quota from then on) are one step, so two creates racing for the
 * last quota never both pass. The host work (overlay disk, definition, start) then runs off the request, the row
 * recording each step for the page to show; a failure undoes what was made on the host and leaves the row FAILED
 * with the reason until the tenant deletes it.
 */
@ApplicationScoped
public class MachineCreation {
    private static final Logger LOG = Logger.getLogger(MachineCreation.class);

    @Inject
    Hypervisor hypervisor;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    TenantLocks locks;
    @Inject
    AuditLog audit;
    @Inject
    ComputeConfig config;
    @Inject
    Catalog catalog;
    @Inject
    MachineService machines;
    @Inject
    dev.berth.storage.bucket.BucketService buckets;
    @Inject
    dev.berth.storage.instance.TlsAuthority tls;
    @Inject
    SeedImage seeds;

    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    /** Creations this replica is working on, completed when each ends (a waiting progress request wakes up). */
    private final java.util.concurrent.ConcurrentMap<Long, CompletableFuture<Void>> inFlight = new java.util.concurrent.ConcurrentHashMap<>();

    @Schema(description = "A machine to create from an image, of a flavour's size")
    public record CreateRequest(@Schema(examples = "web-1") String name, @Schema(examples = "debian-12") String image,
                                @Schema(examples = "small") String flavour,
                                @Schema(description = "a bucket of the tenant to mount at /mnt/<bucket> at first boot") String bucket,
                                @Schema(description = "mount the bucket read-only") Boolean readOnly,
                                @Schema(description = "an SSH public key for the default user") String sshKey) {
    }

    /** A Berth-made machine's creation as a page or script follows it. */
    public record Progress(long id, String name, String status, String step, List<StepView> steps, String error,
                           String image, String flavour, int vcpus, long memoryBytes, long diskBytes, String host,
                           String bucket, boolean readOnly, String accessKey) {
        public boolean inProgress() {
            return Creation.Status.CREATING.name().equals(status);
        }

        public String diskText() {
            return ByteSize.format(diskBytes);
        }
    }

    public record StepView(String name, String label, String state) {
    }

    // ------------------------------------------------------------------ create

    /** Reserves and starts creating; returns at once with the machine's progress (the host work follows). */
    public Progress create(Actor actor, String slug, CreateRequest in) {
        if (in == null) {
            throw InvalidInputException.of("name", "is required");
        }
        Laps laps = new Laps();
        var errors = new Errors();
        String name = in.name() == null ? null : in.name().trim();
        Creation.nameRefusal(name).ifPresent(m -> errors.add("name", m));
        String imageName = errors.required("image", in.image(), 63);
        String flavourName = errors.required("flavour", in.flavour(), 63);
        String bucket = errors.optional("bucket", in.bucket(), 63);
        String sshKey = errors.optional("sshKey", in.sshKey(), 16_000);
        if (sshKey != null && (sshKey.contains("\n") || !sshKey.matches("(ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?"))) {
            errors.add("sshKey", "is not one OpenSSH public key line");
        }
        List<MachineImage> images = imageName == null ? List.of() : catalog.imagesNamed(imageName);
        if (imageName != null && images.isEmpty()) {
            errors.add("image", "there is no image '" + imageName + "'");
        }
        Optional<Catalog.FlavourView> flavour = flavourName == null ? Optional.empty() : catalog.offeredFlavour(slug, flavourName);
        if (flavourName != null && flavour.isEmpty()) {
            errors.add("flavour", "there is no flavour '" + flavourName + "'");
        }
        if (bucket != null && !images.isEmpty() && !images.get(0).cloudInit) {
            errors.add("bucket", "image " + imageName + " has no cloud-init, so nothing in it would mount the bucket");
        }
        if (bucket != null && !errors.has("bucket")) {
            try {
                buckets.bucket(slug, bucket); // the tenant's own, existing bucket; another tenant's is unknown here
            } catch (dev.berth.common.NotFoundException | dev.berth.storage.StorageNotActiveException e) {
                errors.add("bucket", e.getMessage());
            }
        }
        errors.throwIfAny();
        Catalog.FlavourView f = flavour.orElseThrow();
        Creation.Size size = new Creation.Size(f.vcpus(), f.memoryBytes(), f.diskBytes());
        MachineImage first = images.get(0);
        Optional<String> misfit = Creation.fitRefusal(imageName, first.minDiskBytes, first.minMemoryBytes, f.name(), size);
        if (misfit.isPresent()) {
            throw InvalidInputException.of("flavour", misfit.get());
        }
        tenants.requireActive(slug);
        long tenantId = tenants.idOf(slug);
        String target = name + " (" + imageName + ", " + f.name() + ")";
        // Placement asks the hosts (seconds at most) before the lock: other requests of the tenant do not wait on hosts.
        Map<Long, MachineImage> byHost = images.stream().collect(Collectors.toMap(i -> i.hostId, Function.identity(), (a, b) -> a));
        laps.lap("validate");
        Creation.Placement placement = place(byHost.keySet(), size);
        laps.lap("place");
        if (placement.hostId() == null) {
            String reason = "No KVM host can take " + name + ": " + placement.why() + ".";
            audit.record(actor.username(), slug, "vm.create", target, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        MachineImage image = byHost.get(placement.hostId());
        VmAssignment reserved = locks.exclusive(tenantId, () -> reserve(actor, slug, tenantId, name, image, f, size, target, bucket,
                Boolean.TRUE.equals(in.readOnly())));
        long id = reserved.id;
        laps.lap("reserve");
        HostView host = hosts.get(image.hostId);
        audit.record(actor.username(), slug, "vm.create", target + " on " + host.name(), Outcome.OK, "reserved; creating", actor.requestId());
        laps.lap("audit-reserved");
        // The host work gets what this request read (row, image, host): nothing is read twice on the way to running.
        Progress p = progressOf(reserved, image.name, host.name());
        long submitted = System.nanoTime();
        inFlight.put(id, new CompletableFuture<>());
        CompletableFuture.runAsync(() -> {
            BerthMeters.vmCreateStep("handoff", System.nanoTime() - submitted);
            provision(actor, slug, reserved, image, host, sshKey);
        }, work);
        laps.lap("answer");
        return p;
    }

    private VmAssignment reserve(Actor actor, String slug, long tenantId, String name, MachineImage image, Catalog.FlavourView f,
                         Creation.Size size, String target, String bucket, boolean readOnly) {
        TenantUsage now = tenants.usage(slug);
        Optional<String> refusal = Creation.quotaRefusal(slug, tenants.quota(slug), now, size);
        if (refusal.isPresent()) {
            audit.record(actor.username(), slug, "vm.create", target, Outcome.FAILED, refusal.get(), actor.requestId());
            throw new ConflictException(refusal.get());
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            if (VmAssignment.count("tenantId = ?1 and name = ?2", tenantId, name) > 0) {
                throw InvalidInputException.of("name", "you already have a machine named '" + name + "'");
            }
            var a = new VmAssignment();
            a.tenantId = tenantId;
            a.hostId = image.hostId;
            a.domainUuid = UUID.randomUUID().toString(); // ours from the start: the row names the domain before it exists
            a.name = name;
            a.vcpus = size.vcpus();
            a.memoryBytes = size.memoryBytes();
            a.diskBytes = size.diskBytes();
            a.assignedAt = Instant.now();
            a.assignedBy = actor.username();
            a.madeByBerth = true;
            a.status = Creation.Status.CREATING.name();
            a.step = Creation.Step.RESERVED.name();
            a.stepAt = a.assignedAt;
            a.imageId = image.id;
            a.flavourName = f.name();
            a.pool = image.pool;
            a.bucket = bucket;
            a.bucketReadOnly = readOnly;
            a.persist();
            return a;
        });
    }

    /** Candidates: the image's hosts that are enabled KVM hosts, with what they hold now (asked in parallel). */
    private Creation.Placement place(java.util.Set<Long> imageHosts, Creation.Size size) {
        List<HostView> enabled = hosts.enabled(HostKind.KVM).stream().filter(h -> imageHosts.contains(h.id())).toList();
        Map<Long, MachineService.HostAnswer> answers = machines.ask(enabled.stream().map(HostView::id).toList());
        // Machines being created are not on their host yet: they count where they were placed.
        List<VmAssignment> pending = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>list("status", Creation.Status.CREATING.name()));
        var candidates = new ArrayList<Creation.Candidate>();
        for (HostView h : enabled) {
            MachineService.HostAnswer answer = answers.get(h.id());
            boolean answered = answer != null && answer.error() == null;
            long vcpus = 0;
            long memory = 0;
            if (answered) {
                for (DomainSummary d : answer.domains().values()) {
                    vcpus += d.vcpus();
                    memory += d.memoryBytes();
                }
                for (VmAssignment p : pending) {
                    if (p.hostId.equals(h.id()) && !answer.domains().containsKey(p.domainUuid)) {
                        vcpus += p.vcpus;
                        memory += p.memoryBytes;
                    }
                }
            }
            var cap = h.capacity();
            candidates.add(new Creation.Candidate(h.id(), h.name(), answered, cap == null ? null : cap.cpus(),
                    cap == null ? null : cap.memoryBytes(), vcpus, memory));
        }
        return Creation.place(candidates, size, config.cpuOvercommit());
    }

    /**
     * The host work. The seed branch (the machine's key in MinIO, the ISO from genisoimage, its volume and upload) does
     * not need the disk, so it runs beside the overlay's creation; the definition waits for both. Steps are recorded as
     * they finish (never backwards), each with its time, so that an interrupted creation is recognised by its age
     * ({@link CreationRecovery}). The row is finished only while it is still CREATING: if the recovery pass gave it
     * up meanwhile, this undoes what it made instead.
     */
    void provision(Actor actor, String slug, VmAssignment a, MachineImage image, HostView host, String sshKey) {
        long id = a.id;
        try {
            provisionSteps(actor, slug, a, image, host, sshKey);
        } finally {
            CompletableFuture<Void> done = inFlight.remove(id);
            if (done != null) {
                done.complete(null);
            }
        }
    }

    private void provisionSteps(Actor actor, String slug, VmAssignment a, MachineImage image, HostView host, String sshKey) {
        Laps laps = new Laps();
        long id = a.id;
        Endpoint endpoint = hosts.endpoint(a.hostId);
        String overlay = Creation.overlayVolume(a.domainUuid);
        String seed = Creation.seedVolume(a.domainUuid);
        String[] key = {null};
        laps.lap("load");
        CompletableFuture<Seeded> seeding = CompletableFuture.completedFuture(null);
        try {
            if (a.bucket != null || (sshKey != null && image.cloudInit)) {
                seeding = CompletableFuture.supplyAsync(() -> {
                    try {
                        return seed(actor, slug, a, host, endpoint, image.pool, seed, sshKey, key, new Laps());
                    } catch (HypervisorException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, work);
            }
            // The image's path as registered; only when libvirt refuses the overlay is the base looked up, for the reason.
            String basePath = image.volumePath;
            Hypervisor.Volume disk;
            try {
                disk = hypervisor.createVolume(endpoint, image.pool,
                        MachineXml.overlayVolume(overlay, a.diskBytes, basePath, image.format), config.actionTimeout());
            } catch (HypervisorException e) {
                if (hypervisor.volume(endpoint, image.pool, image.volume, config.callTimeout()).isEmpty()) {
                    throw new HypervisorException("the image's volume " + image.pool + "/" + image.volume + " is gone from " + host.name(), e);
                }
                throw e;
            }
            laps.lap("overlay");
            advance(id, Creation.Step.DISK, "overlayVolume", overlay);
            laps.lap("record-disk");
            Seeded s = await(seeding);
            laps.lap("await-seed");
            String seedPath = s == null ? null : s.path();
            MachineXml.Network network = s == null ? MachineXml.network(host.labels()) : s.network();
            var spec = new MachineXml.DomainSpec(MachineXml.domainType(host.uri(), host.labels()), Creation.domainName(slug, a.name),
                    a.domainUuid, slug, a.name, a.vcpus, a.memoryBytes, disk.path(), basePath, seedPath, network,
                    image.kernel == null ? null : new MachineXml.KernelBoot(image.kernel, image.initrd, image.cmdline));
            hypervisor.define(endpoint, MachineXml.domain(spec), config.actionTimeout());
            laps.lap("define");
            advance(id, Creation.Step.DEFINED);
            laps.lap("record-defined");
            hypervisor.act(endpoint, a.domainUuid, PowerAction.START, config.actionTimeout());
            laps.lap("start");
            Instant started = Instant.now();
            int finished = QuarkusTransaction.requiringNew().call(() -> VmAssignment.update(
                    "step = ?1, status = ?2, runningSince = ?3, runningSinceExact = true, stepAt = ?3 where id = ?4 and status = ?5 and lastError is null",
                    Creation.Step.STARTED.name(), Creation.Status.READY.name(), started, id, Creation.Status.CREATING.name()));
            if (finished == 0) {
                throw new GivenUp();
            }
            laps.lap("record-ready");
            machines.forget(endpoint);
            audit.record(actor.username(), slug, "vm.create", a.name + " on " + host.name(), Outcome.OK, "running", actor.requestId());
            laps.lap("audit-running");
        } catch (HypervisorException | RuntimeException e) {
            awaitQuietly(seeding); // what the seed branch makes must exist before it is undone
            String reason = e instanceof GivenUp ? null : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            LOG.debugf("creating machine %d failed: %s", id, reason == null ? "given up by the recovery pass" : reason);
            undoOnHost(endpoint, a.domainUuid, image.pool, overlay, seed);
            if (key[0] != null) {
                try {
                    buckets.revokeAny(actor, slug, key[0]);
                } catch (dev.berth.common.NotFoundException gone) {
                    // revoked already (by the recovery pass)
                } catch (RuntimeException revoke) {
                    LOG.warnf("could not revoke key %s of failed machine %d: %s", key[0], id, revoke.getMessage());
                }
            }
            machines.forget(endpoint);
            if (reason == null) { // the recovery pass recorded and audited the outcome
                return;
            }
            int failed = QuarkusTransaction.requiringNew().call(() -> VmAssignment.update(
                    "status = ?1, lastError = ?2, overlayVolume = null, seedVolume = null, accessKey = null, stepAt = ?3"
                            + " where id = ?4 and status = ?5 and lastError is null",
                    Creation.Status.FAILED.name(), truncate(reason), Instant.now(), id, Creation.Status.CREATING.name()));
            if (failed == 0) { // the recovery pass has it, and records the outcome
                return;
            }
            audit.record(actor.username(), slug, "vm.create", a.name + " on " + host.name(), Outcome.FAILED, reason, actor.requestId());
        }
    }

    /** The row stopped being CREATING under a running creation: the recovery pass gave it up. */
    private static final class GivenUp extends RuntimeException {
        GivenUp() {
            super(null, null, false, false);
        }
    }

    private static Seeded await(CompletableFuture<Seeded> seeding) throws HypervisorException {
        try {
            return seeding.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof HypervisorException h) {
                throw h;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private static void awaitQuietly(CompletableFuture<Seeded> seeding) {
        try {
            seeding.join();
        } catch (RuntimeException ignored) {
            // its failure is the creation's, or is reported by the step that failed first
        }
    }

    record Seeded(String path, MachineXml.Network network) {
    }

    /**
     * The machine's own key for its bucket (recorded before anything else can fail, so it is revoked on failure), and the
     * NoCloud seed volume holding it. The secret goes from the key's creation into the seed and nowhere else.
     */
    private Seeded seed(Actor actor, String slug, VmAssignment a, HostView host, Endpoint endpoint, String pool, String seed,
                        String sshKey, String[] key, Laps laps) throws HypervisorException {
        CloudInit.Mount mount = null;
        MachineXml.Network network = MachineXml.network(host.labels());
        if (a.bucket != null) {
            var created = buckets.createKey(actor, slug, a.bucket, new dev.berth.storage.bucket.BucketRules.KeyInput(
                    a.bucketReadOnly ? "read-only" : "read-write", null, "machine " + a.name));
            key[0] = created.key().accessKey();
            QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("accessKey = ?1 where id = ?2", key[0], a.id));
            laps.lap("key");
            String fstab = created.mount().stream().filter(t -> t.tool().equals("s3fs")).flatMap(t -> t.snippets().stream())
                    .filter(sn -> sn.id().equals("s3fs-fstab")).map(dev.berth.storage.key.MountInstructions.Snippet::text).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the key's instructions have no s3fs fstab line"));
            int port = java.net.URI.create(created.endpoint()).getPort();
            CloudInit.Relay relay = null;
            if ("restricted".equals(host.labels().get("network"))) {
                // development and tests: the guest reaches only this one port, forwarded to the instance on 127.0.0.1
                network = new MachineXml.Network.Restricted(config.guestStorageAddress(), config.guestStoragePort(), port);
                relay = new CloudInit.Relay(port, config.guestStorageAddress(), config.guestStoragePort());
            }
            mount = new CloudInit.Mount(a.bucket, key[0], created.secretKey(), a.bucketReadOnly, fstab,
                    dev.berth.storage.key.MountInstructions.CONFIG_DIR + "/" + a.bucket + ".passwd-s3fs", tls.caPem(), relay);
        }
        laps.lap("seed-data");
        byte[] iso;
        try {
            iso = seeds.build(CloudInit.userData(a.name, sshKey, mount), CloudInit.metaData(a.domainUuid, a.name));
        } catch (java.io.IOException e) {
            throw new HypervisorException("could not build the first-boot seed: " + e.getMessage(), e);
        }
        laps.lap("seed-iso");
        Hypervisor.Volume v = hypervisor.createVolume(endpoint, pool, MachineXml.rawVolume(seed, iso.length), config.actionTimeout());
        laps.lap("seed-volume");
        hypervisor.upload(endpoint, pool, seed, iso, config.actionTimeout());
        laps.lap("seed-upload");
        advance(a.id, Creation.Step.SEED, "seedVolume", seed);
        laps.lap("record-seed");
        return new Seeded(v.path(), network);
    }

    /** Best effort: what could not be removed is named in the log (the delete of the row retries it). */
    void undoOnHost(Endpoint endpoint, String uuid, String pool, String overlay, String seed) {
        try {
            hypervisor.undefine(endpoint, uuid, config.actionTimeout());
        } catch (HypervisorException e) {
            LOG.warnf("could not undefine %s: %s", uuid, e.getMessage());
        }
        for (String volume : Arrays.asList(overlay, seed)) {
            if (volume != null && pool != null) {
                try {
                    hypervisor.deleteVolume(endpoint, pool, volume, config.actionTimeout());
                } catch (HypervisorException e) {
                    LOG.warnf("could not delete volume %s/%s: %s", pool, volume, e.getMessage());
                }
            }
        }
    }

    // ------------------------------------------------------------------ progress and delete

    /** Whether this replica is creating that machine now (the recovery pass leaves it alone). */
    boolean creatingHere(long id) {
        return inFlight.containsKey(id);
    }

    /**
     * As {@link #progress(String, long)}, but while the machine is being created waits up to {@code wait} for it to be
     * done (READY or FAILED): a script learns the outcome the moment it is known instead of polling for it.
     */
    public Progress progress(String slug, long id, java.time.Duration wait) {
        Progress p = progress(slug, id);
        if (!p.inProgress() || wait.isZero()) {
            return p;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        CompletableFuture<Void> done = inFlight.get(id);
        try {
            if (done != null) {
                done.get(wait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            } else { // another replica (or none any more) creates it: ask the database now and then
                while (System.nanoTime() < deadline && Creation.Status.CREATING.name().equals(row(id).status)) {
                    Thread.sleep(Math.max(1, Math.min(250, (deadline - System.nanoTime()) / 1_000_000)));
                }
            }
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // still creating: the answer says so
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        VmAssignment now = row(id);
        if (now == null) {
            throw new dev.berth.common.NotFoundException("There is no machine " + id + ".");
        }
        return QuarkusTransaction.requiringNew().call(() -> progressOf(now));
    }

    public Progress progress(String slug, long id) {
        VmAssignment a = machines.owned(slug, id);
        if (!a.madeByBerth) {
            throw new ConflictException(a.name + " was assigned by an administrator, not created by Berth: it has no creation to follow.");
        }
        return progressOf(a);
    }

    Progress progressOf(VmAssignment a) {
        MachineImage image = a.imageId == null ? null : QuarkusTransaction.joiningExisting().call(() -> MachineImage.<MachineImage>findById(a.imageId));
        return progressOf(a, image == null ? null : image.name, hosts.get(a.hostId).name());
    }

    private Progress progressOf(VmAssignment a, String imageName, String hostName) {
        boolean failed = Creation.Status.FAILED.name().equals(a.status);
        // the seed step shows only when there is a bucket or key to hand to the guest
        List<Creation.Step> shown = Arrays.stream(Creation.Step.values()).filter(s -> s != Creation.Step.SEED || a.bucket != null).toList();
        Creation.Step at = a.step == null ? Creation.Step.RESERVED : Creation.Step.valueOf(a.step);
        int done = -1; // the last shown step at or before the recorded one (a seed for an SSH key only is not shown)
        for (int i = 0; i < shown.size() && shown.get(i).ordinal() <= at.ordinal(); i++) {
            done = i;
        }
        var steps = new ArrayList<StepView>();
        for (int i = 0; i < shown.size(); i++) {
            String state = i <= done ? "done" : i == done + 1 ? (failed ? "failed" : "current") : "pending";
            steps.add(new StepView(shown.get(i).name().toLowerCase(java.util.Locale.ROOT), shown.get(i).label, state));
        }
        return new Progress(a.id, a.name, a.status, a.step, steps, a.lastError, imageName, a.flavourName,
                a.vcpus, a.memoryBytes, a.diskBytes, hostName, a.bucket, a.bucketReadOnly, a.accessKey);
    }

    /**
     * Deletes a machine Berth made: stops and undefines it, deletes its disk and seed, frees its quota (the row goes).
     * Assigned machines are refused: Berth did not make them, so it does not destroy them.
     */
    public void delete(Actor actor, String slug, long id, String confirm) {
        VmAssignment a = machines.owned(slug, id);
        if (!a.madeByBerth) {
            String reason = a.name + " was assigned by an administrator, not created by Berth; it cannot be deleted here.";
            audit.record(actor.username(), slug, "vm.delete", a.name, Outcome.DENIED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        if (confirm == null || !confirm.trim().equals(a.name)) {
            throw InvalidInputException.of("confirm", "type the machine's name, " + a.name + ", to delete it");
        }
        if (Creation.Status.CREATING.name().equals(a.status)) {
            String reason = a.name + " is still being created; delete it when it is done.";
            audit.record(actor.username(), slug, "vm.delete", a.name, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        Endpoint endpoint = hosts.endpoint(a.hostId);
        String before = a.status;
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1 where id = ?2", Creation.Status.DELETING.name(), id));
        try {
            hypervisor.undefine(endpoint, a.domainUuid, config.actionTimeout());
            if (a.pool != null) {
                for (String volume : Arrays.asList(a.overlayVolume, a.seedVolume)) {
                    if (volume != null) {
                        hypervisor.deleteVolume(endpoint, a.pool, volume, config.actionTimeout());
                    }
                }
            }
        } catch (HypervisorException e) {
            QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1, lastError = ?2 where id = ?3",
                    before, truncate("delete failed: " + e.getMessage()), id));
            audit.record(actor.username(), slug, "vm.delete", a.name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The host could not delete " + a.name + ": " + e.getMessage() + " Nothing was freed; try again.");
        }
        if (a.accessKey != null) {
            try {
                buckets.revokeAny(actor, slug, a.accessKey);
            } catch (dev.berth.common.NotFoundException gone) {
                // revoked already (its bucket was deleted, or an earlier attempt got this far)
            } catch (RuntimeException e) {
                QuarkusTransaction.requiringNew().run(() -> VmAssignment.update("status = ?1, lastError = ?2 where id = ?3",
                        Creation.Status.FAILED.name(), truncate("its disk is deleted, its key not yet: " + e.getMessage()), id));
                audit.record(actor.username(), slug, "vm.delete", a.name, Outcome.FAILED, e.getMessage(), actor.requestId());
                throw new ConflictException("The key of " + a.name + " could not be revoked: " + e.getMessage() + " Try again.");
            }
        }
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.deleteById(id));
        machines.forget(endpoint);
        audit.record(actor.username(), slug, "vm.delete", a.name + " (" + a.domainUuid + ")", Outcome.OK, null, actor.requestId());
    }

    static VmAssignment row(long id) {
        return QuarkusTransaction.requiringNew().call(() -> VmAssignment.<VmAssignment>findById(id));
    }

    /** Records a finished step, never going back (the disk and the seed finish in either order), and when. */
    private static void advance(long id, Creation.Step step) {
        advance(id, step, null, null);
    }

    /** As {@link #advance(long, Creation.Step)}, recording also what the step made (a volume's name) in {@code column}. */
    private static void advance(long id, Creation.Step step, String column, String made) {
        List<String> before = Arrays.stream(Creation.Step.values()).filter(s -> s.ordinal() < step.ordinal()).map(Enum::name).toList();
        String also = column == null ? "" : ", " + column + " = :made";
        var params = io.quarkus.panache.common.Parameters.with("step", step.name()).and("at", Instant.now()).and("id", id).and("before", before);
        if (made != null) {
            params = params.and("made", made);
        }
        var p = params;
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update(
                "step = case when step in :before then :step else step end, stepAt = :at" + also + " where id = :id", p));
    }

    static String truncate(String s) {
        return org.apache.commons.lang3.StringUtils.abbreviate(s, "…", 1900);
    }
}
