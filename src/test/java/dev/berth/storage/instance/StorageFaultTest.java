package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.hosts.HostInput;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageFixtures;
import dev.berth.support.DockerCli;
import dev.berth.support.UnixSocketProxy;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The instance lifecycle against the real local dockerd and real MinIO containers: provisioning, the faults
 * the issue names (a killed container, Berth stopped mid-provisioning, a Docker host that goes away, two
 * activations at once), quota changes and the administrator's actions. Each test uses a tenant of its own;
 * the reconciler is driven by the tests (its schedule is off in %test), so nothing depends on timing.
 */
@QuarkusTest
class StorageFaultTest {
    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    ContainerRuntime runtime;
    @Inject
    StorageConfig config;
    @Inject
    InstanceDirectory directory;

    long localHost;

    @BeforeEach
    void host() {
        localHost = StorageFixtures.localDockerHost(hosts);
    }

    @AfterAll
    static void cleanUp() {
        DockerCli.cleanUp();
    }

    private String tenant(String prefix) {
        String slug = prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        tenants.create(StorageFixtures.TEST, slug, slug);
        return slug;
    }

    private StorageView activateReady(String slug) {
        return StorageFixtures.activateReady(storage, reconciler, slug);
    }

    private InstanceAccess access(String slug) {
        return directory.readyInstance(tenants.idOf(slug)).orElseThrow();
    }

    private static String inspect(String container, String format) {
        return DockerCli.run("inspect", "--format", format, container);
    }

    private static long audited(String tenant, String action, Outcome outcome) {
        return QuarkusTransaction.requiringNew().call(() ->
                AuditEvent.count("tenant = ?1 and action = ?2 and outcome = ?3", tenant, action, outcome));
    }

    @Test
    @Timeout(180)
    void activationGivesAReadyLimitedContainerWhoseSecretsAreNotInItsConfiguration() throws Exception {
        String slug = tenant("st-new");
        tenants.setQuota(StorageFixtures.TEST, slug, quota(slug, "0.5", "256M", "20M", "10M"));

        StorageView v = activateReady(slug);

        String name = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        assertEquals(List.of(name), DockerCli.containers("berth.tenant=" + slug));
        assertEquals(slug, inspect(name, "{{index .Config.Labels \"berth.tenant\"}}"));
        assertEquals(v.id().toString(), inspect(name, "{{index .Config.Labels \"berth.instance\"}}"));
        assertEquals("host", inspect(name, "{{.HostConfig.NetworkMode}}"));
        assertEquals("unless-stopped", inspect(name, "{{.HostConfig.RestartPolicy.Name}}"));
        assertEquals(String.valueOf(256L << 20), inspect(name, "{{.HostConfig.Memory}}"));
        assertEquals("50000/100000", inspect(name, "{{.HostConfig.CpuQuota}}/{{.HostConfig.CpuPeriod}}"));
        assertEquals(String.valueOf(20L << 20), inspect(name, "{{range .HostConfig.BlkioDeviceReadBps}}{{.Rate}}{{end}}"));
        assertEquals(String.valueOf(10L << 20), inspect(name, "{{range .HostConfig.BlkioDeviceWriteBps}}{{.Rate}}{{end}}"));
        assertEquals(String.valueOf(config.pidsLimit()), inspect(name, "{{.HostConfig.PidsLimit}}"));
        assertEquals(InstanceSpec.volumeName(DockerCli.TEST_SCOPE, slug), inspect(name, "{{range .Mounts}}{{.Name}}{{end}}"));
        assertTrue(inspect(name, "{{json .Config.Cmd}}").contains("127.0.0.1:" + v.port()));

        InstanceAccess access = access(slug);
        assertEquals("https://127.0.0.1:" + v.port(), access.endpoint());
        String everything = DockerCli.run("inspect", name);
        assertFalse(everything.contains(access.rootPassword()), "the root password is not in docker inspect");
        assertFalse(everything.contains(access.rootUser()), "nor the root user");
        assertTrue(everything.contains("MINIO_ROOT_PASSWORD_FILE=/run/secrets/berth-root-password"));
        String sealed = QuarkusTransaction.requiringNew().call(() ->
                StorageInstance.<StorageInstance>findById(v.id()).rootPasswordSealed);
        assertFalse(sealed.contains(access.rootPassword()));
        assertTrue(sealed.startsWith("v1:"));

        StorageFixtures.put(access, "data", "hello.txt", "hello " + slug);
        assertEquals("hello " + slug, StorageFixtures.get(access, "data", "hello.txt"));
        var wrong = new InstanceAccess(access.tenantId(), access.endpoint(), "minioadmin", "minioadmin");
        assertEquals("InvalidAccessKeyId", dev.berth.support.S3.outcome(() -> StorageFixtures.get(wrong, "data", "hello.txt")),
                "MinIO's default credentials do not work");
        assertEquals(1, audited(slug, "storage.activate", Outcome.OK));
        assertEquals(1, audited(slug, "storage.ready", Outcome.OK));
    }

    @Test
    @Timeout(180)
    void aKilledContainerIsReadyAgainAfterOnePassWithItsData() throws Exception {
        String slug = tenant("st-kill");
        StorageView v = activateReady(slug);
        StorageFixtures.put(access(slug), "data", "before.txt", "written before the kill");
        String name = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        String id = inspect(name, "{{.Id}}");

        DockerCli.run("kill", name);
        assertEquals("exited", inspect(name, "{{.State.Status}}"), "docker does not restart a killed container by itself");

        reconciler.reconcileAll(); // one reconcile period

        assertEquals("READY", storage.of(slug).status());
        assertEquals("running", inspect(name, "{{.State.Status}}"));
        assertEquals(id, inspect(name, "{{.Id}}"), "started again, not recreated");
        assertEquals("written before the kill", StorageFixtures.get(access(slug), "data", "before.txt"));
        assertEquals(1, audited(slug, "storage.start", Outcome.OK));
        assertEquals(v.port(), storage.of(slug).port());
    }

    @Test
    @Timeout(180)
    void aRemovedContainerIsRecreatedOnItsVolume() throws Exception {
        String slug = tenant("st-gone");
        activateReady(slug);
        StorageFixtures.put(access(slug), "data", "kept.txt", "survives the container");
        String name = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        String before = inspect(name, "{{.Id}}");

        DockerCli.run("rm", "-f", name);
        reconciler.reconcileAll();

        assertEquals("READY", storage.of(slug).status());
        assertNotEquals(before, inspect(name, "{{.Id}}"));
        assertEquals("survives the container", StorageFixtures.get(access(slug), "data", "kept.txt"));
        assertEquals(1, audited(slug, "storage.recreate", Outcome.OK));
    }

    @Test
    @Timeout(180)
    void aContainerLeftByAReplicaThatDiedMidProvisioningIsAdoptedOnceItsClaimRunsOut() throws Exception {
        String slug = tenant("st-crash");
        long tenantId = tenants.idOf(slug);
        int port = config.portMax() - 1; // clear of what the other tests are handed
        // What a replica had done when it died: the row placed and claimed, the container created, not started.
        long id = QuarkusTransaction.requiringNew().call(() -> {
            var i = new StorageInstance();
            i.tenantId = tenantId;
            i.status = InstanceStatus.CREATING;
            i.hostId = localHost;
            i.port = port;
            i.containerName = InstanceSpec.containerName(config.scope(), slug);
            i.volumeName = InstanceSpec.volumeName(config.scope(), slug);
            i.rootUser = "berthcrashtest";
            i.rootPasswordSealed = sealedPassword("crash-test-password-0123456789");
            i.requestedBy = "alice";
            i.claimOwner = "replica-that-died/0000";
            i.claimUntil = Instant.now().plusSeconds(3600);
            i.createdAt = Instant.now();
            i.updatedAt = Instant.now();
            i.persist();
            return i.id;
        });
        var spec = InstanceSpec.of(config.scope(), slug, id, config.image(), "127.0.0.1", port,
                reconciler.limits(tenants.quota(slug)), "berthcrashtest", "crash-test-password-0123456789");
        var ep = hosts.endpoint(localHost);
        runtime.ensureVolume(ep, spec.volume(), spec.labels());
        runtime.create(ep, spec);

        reconciler.reconcileAll(); // the claim is still the dead replica's: nobody touches the instance
        assertEquals("CREATING", storage.of(slug).status());
        assertEquals("created", inspect(spec.name(), "{{.State.Status}}"));
        assertTrue(reconciler.orphans().stream().noneMatch(o -> o.container().equals(spec.name())), "not an orphan: it has a record");

        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update("claimUntil = ?1 where id = ?2",
                Instant.now().minusSeconds(1), id)); // the lease runs out
        reconciler.reconcileAll();

        StorageView v = storage.of(slug);
        assertEquals("READY", v.status(), () -> "last error: " + v.lastError());
        assertEquals(List.of(spec.name()), DockerCli.containers("berth.tenant=" + slug), "adopted, no duplicate");
        assertTrue(reconciler.orphans().stream().noneMatch(o -> slug.equals(o.tenant())), "no orphan");
        StorageFixtures.put(access(slug), "data", "x", "adopted");
        assertEquals("berthcrashtest", access(slug).rootUser());
        QuarkusTransaction.requiringNew().run(() -> assertEquals(null, StorageInstance.<StorageInstance>findById(id).claimOwner));
    }

    @Test
    @Timeout(300)
    void aPortTakenOutsideBerthFailsWithTheLogTailAndTheRetryTakesAnotherPort() throws Exception {
        String slug = tenant("st-port");
        // The local engine registered once more with a loopback address of its own: no instance of an earlier run
        // listens there, so the port placement chooses is the lowest of the range, which this test holds first.
        HostView own = hosts.create(StorageFixtures.TEST, new HostInput("storage-test-port-" + slug, HostKind.DOCKER.name(),
                "unix:///var/run/docker.sock", "127.0.0.7", "", true, null, null, null));
        var others = hosts.enabled(HostKind.DOCKER).stream().filter(h -> h.id() != own.id()).toList();
        int next = config.portMin();
        StorageView v;
        try (var squatter = new java.net.ServerSocket()) { // another program on the storage host holds that port
            squatter.bind(new java.net.InetSocketAddress("127.0.0.7", next));
            others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), false));
            long id;
            try {
                id = storage.activate(StorageFixtures.TEST, slug).instance().id();
                reconciler.kick(id).join();
            } finally {
                others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), true));
            }
            // The first attempt fails on the port; the retry, after its backoff, takes another one.
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
            while (!"READY".equals(storage.of(slug).status()) && System.nanoTime() < until) {
                reconciler.kick(id).join();
            }
            v = storage.of(slug);
            assertEquals("READY", v.status(), () -> "last error: " + storage.of(slug).lastError());
            List<AuditEvent> trail = QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>list(
                    "tenant = ?1 and action in ('storage.reconcile', 'storage.ready') order by id", slug));
            assertEquals(List.of("storage.reconcile", "storage.ready"), trail.stream().map(e -> e.action).toList(), "one failure, audited once");
            AuditEvent failure = trail.get(0);
            assertEquals(Outcome.FAILED, failure.outcome);
            assertTrue(failure.reason.contains(":" + next) && failure.reason.contains("Last lines of its log")
                    && failure.reason.contains("already in use"), "the container's log tail says why: " + failure.reason);
            assertFalse(trail.get(1).at.isBefore(failure.at.plus(config.retryBase())), "the retry waited for its backoff");
            assertEquals(own.name(), v.host());
            assertNotEquals(next, v.port(), "the retry took another port");
            assertEquals(1, DockerCli.containers("berth.tenant=" + slug).size(), "one container, the failed one removed");
        }
        storage.delete(StorageFixtures.TEST, v.id(), "delete", slug);
        hosts.delete(StorageFixtures.TEST, own.id());
    }

    @Test
    @Timeout(300)
    void anUnreachableDockerHostIsReportedAndTheInstanceConvergesWhenItReturns() throws Exception {
        String steady = tenant("st-steady");
        activateReady(steady); // on the local host, through the socket
        try (var proxy = new UnixSocketProxy(Path.of("/var/run/docker.sock"))) {
            HostView remote = hosts.create(StorageFixtures.TEST, new HostInput("storage-test-proxy-" + proxy.port(),
                    HostKind.DOCKER.name(), "tcp://127.0.0.1:" + proxy.port(), "127.0.0.1", "", true, null, null, null));
            String slug = tenant("st-away");
            var others = hosts.enabled(HostKind.DOCKER).stream().filter(h -> h.id() != remote.id()).toList();
            others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), false)); // place it on the proxied host
            StorageView v;
            try {
                v = activateReady(slug);
            } finally {
                others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), true));
            }
            assertEquals(remote.name(), v.host());
            StorageFixtures.put(access(slug), "data", "away.txt", "written before the host went away");

            proxy.stop();
            reconciler.reconcileAll();

            StorageView away = storage.of(slug);
            assertEquals("UNREACHABLE", away.status());
            assertTrue(away.lastError().contains("127.0.0.1:" + proxy.port()), away.lastError());
            assertTrue(directory.readyInstance(tenants.idOf(slug)).isEmpty());
            StorageView adminSees = storage.list(0, 500).items().stream().filter(i -> i.id().equals(v.id())).findFirst().orElseThrow();
            assertEquals("UNREACHABLE", adminSees.status());
            assertNotNull(adminSees.lastError());
            assertEquals("READY", storage.of(steady).status(), "instances on other hosts are untouched");
            assertEquals(1, audited(slug, "storage.reconcile", Outcome.FAILED));
            assertThrows(ConflictException.class, () -> hosts.delete(StorageFixtures.TEST, remote.id()),
                    "a Docker host with an instance cannot be removed");

            proxy.start();
            reconciler.kick(v.id()).join(); // retried (the admin's "now" instead of waiting for the backoff)

            assertEquals("READY", storage.of(slug).status());
            assertEquals("written before the host went away", StorageFixtures.get(access(slug), "data", "away.txt"));
            assertEquals(1, DockerCli.containers("berth.tenant=" + slug).size());

            storage.delete(StorageFixtures.TEST, v.id(), "delete", slug);
            hosts.delete(StorageFixtures.TEST, remote.id());
        }
    }

    @Test
    @Timeout(180)
    void twoActivationsAtOnceGiveOneInstance() throws Exception {
        String slug = tenant("st-twice");
        var start = new CountDownLatch(1);
        Callable<StorageService.Activation> activate = () -> {
            start.await();
            return storage.activate(StorageFixtures.TEST, slug);
        };
        List<Future<StorageService.Activation>> results = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(activate));
            }
            start.countDown();
        }
        var activations = new ArrayList<StorageService.Activation>();
        for (var f : results) {
            activations.add(f.get());
        }
        assertEquals(1, activations.stream().filter(StorageService.Activation::created).count());
        assertEquals(1, activations.stream().map(a -> a.instance().id()).distinct().count());
        long tenantId = tenants.idOf(slug);
        assertEquals(1L, QuarkusTransaction.requiringNew().call(() -> StorageInstance.count("tenantId", tenantId)));

        reconciler.kick(activations.getFirst().instance().id()).join();
        reconciler.reconcileAll();
        assertEquals("READY", storage.of(slug).status());
        assertEquals(1, DockerCli.containers("berth.tenant=" + slug).size());
        assertEquals(1, audited(slug, "storage.activate", Outcome.OK));
    }

    @Test
    @Timeout(240)
    void aQuotaChangeResizesTheRunningContainer() throws Exception {
        String slug = tenant("st-quota");
        tenants.setQuota(StorageFixtures.TEST, slug, quota(slug, "1", "256M", "20M", "10M"));
        StorageView v = activateReady(slug);
        StorageFixtures.put(access(slug), "data", "q.txt", "sized");
        String name = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        String id = inspect(name, "{{.Id}}");

        tenants.setQuota(StorageFixtures.TEST, slug, quota(slug, "0.25", "384M", "20M", "10M"));
        reconciler.kick(v.id()).join();

        assertEquals(String.valueOf(384L << 20), inspect(name, "{{.HostConfig.Memory}}"));
        assertEquals("25000", inspect(name, "{{.HostConfig.CpuQuota}}"));
        assertEquals(id, inspect(name, "{{.Id}}"), "memory and CPU change in place");
        assertEquals("READY", storage.of(slug).status());

        tenants.setQuota(StorageFixtures.TEST, slug, quota(slug, "0.25", "384M", "20M", "5M"));
        reconciler.kick(v.id()).join();

        assertEquals(String.valueOf(5L << 20), inspect(name, "{{range .HostConfig.BlkioDeviceWriteBps}}{{.Rate}}{{end}}"));
        assertNotEquals(id, inspect(name, "{{.Id}}"), "block-I/O rates only change with a new container");
        assertEquals("READY", storage.of(slug).status());
        assertEquals("sized", StorageFixtures.get(access(slug), "data", "q.txt"));
        assertEquals(2, audited(slug, "storage.limits", Outcome.OK));
    }

    @Test
    @Timeout(240)
    void anAdministratorSuspendsResumesAndDeletes() throws Exception {
        String slug = tenant("st-admin");
        StorageView v = activateReady(slug);
        StorageFixtures.put(access(slug), "data", "a.txt", "kept");
        String name = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        String volume = InstanceSpec.volumeName(DockerCli.TEST_SCOPE, slug);

        assertEquals("SUSPENDED", storage.suspend(StorageFixtures.TEST, v.id()).status());
        assertEquals("exited", inspect(name, "{{.State.Status}}"));
        reconciler.reconcileAll();
        assertEquals("exited", inspect(name, "{{.State.Status}}"), "the reconciler leaves a suspended instance stopped");
        assertTrue(directory.readyInstance(tenants.idOf(slug)).isEmpty());

        storage.resume(StorageFixtures.TEST, v.id());
        reconciler.kick(v.id()).join();
        assertEquals("READY", storage.of(slug).status());
        assertEquals("kept", StorageFixtures.get(access(slug), "data", "a.txt"));

        var wrongName = assertThrows(InvalidInputException.class, () -> storage.delete(StorageFixtures.TEST, v.id(), "keep", "acme"));
        assertEquals("confirm", wrongName.errors().getFirst().field());
        var noChoice = assertThrows(InvalidInputException.class, () -> storage.delete(StorageFixtures.TEST, v.id(), "maybe", slug));
        assertEquals("data", noChoice.errors().getFirst().field());
        assertEquals(List.of(name), DockerCli.containers("berth.tenant=" + slug), "nothing deleted on bad input");

        storage.delete(StorageFixtures.TEST, v.id(), "keep", slug);
        assertTrue(DockerCli.containers("berth.tenant=" + slug).isEmpty());
        assertTrue(DockerCli.volumeExists(volume), "data kept");
        assertEquals("NOT_ACTIVATED", storage.of(slug).status());

        StorageView again = activateReady(slug); // the kept volume comes back with the new instance
        assertEquals("kept", StorageFixtures.get(access(slug), "data", "a.txt"));
        storage.delete(StorageFixtures.TEST, again.id(), "delete", slug);
        assertFalse(DockerCli.volumeExists(volume), "data deleted");
        assertEquals(2, audited(slug, "storage.delete", Outcome.OK));
        assertEquals(2, audited(slug, "storage.delete", Outcome.FAILED));
    }

    @Test
    @Timeout(120)
    void aBerthLabelledContainerWithoutARecordIsReportedAsAnOrphanAndLeftAlone() {
        String name = "berth-test-orphan-" + Long.toString(System.nanoTime() % 1_000_000L, 36);
        DockerCli.run("create", "--name", name, "--label", "berth.scope=" + DockerCli.TEST_SCOPE, "--label",
                "berth.tenant=nobody", "--label", "berth.instance=987654321", config.image());

        // Seen on every pass, reported on the first only: the audit log does not grow by one row per pass.
        for (int pass = 0; pass < 3; pass++) {
            reconciler.reconcileAll();
        }

        assertTrue(reconciler.orphans().stream().anyMatch(o -> o.container().equals(name) && "987654321".equals(o.instance())),
                reconciler.orphans().toString());
        assertEquals(1, (long) QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "tenant = 'nobody' and action = 'storage.orphan' and outcome = ?1 and target like ?2", Outcome.FAILED, name + " on %")));
        assertEquals("created", inspect(name, "{{.State.Status}}"), "left untouched");
        DockerCli.run("rm", "-f", name);
    }

    private QuotaInput quota(String slug, String cpus, String memory, String read, String write) {
        var q = tenants.quota(slug).asInput();
        return new QuotaInput(q.vms(), q.vcpus(), q.memory(), q.buckets(), q.storageSoft(), q.storageHard(), q.accessKeys(),
                cpus, memory, read, write);
    }

    @Inject
    dev.berth.common.SecretBox secrets;

    private String sealedPassword(String plain) {
        return secrets.seal(plain);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
