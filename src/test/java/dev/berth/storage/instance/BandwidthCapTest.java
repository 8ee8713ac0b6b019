package dev.berth.storage.instance;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.Outcome;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageFixtures;
import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The network cap against the real kernel, dockerd and MinIO on loopback: bytes through a real instance, over TLS,
 * in both directions, with the cap applied at activation, changed live, removed, restored after the rules were
 * taken away by hand, and an orphan rule reported. The tc rules are looked at independently of Berth's adapter
 * (the docker CLI runs the helper image with {@code tc ... show}). Every rule on this run's port range is removed
 * before and after the class, so a failed run leaves loopback as it found it.
 *
 * <p>The throughput bounds are the cap's meaning (an upper bound cannot fail because the machine is slow); the lower
 * bounds are generous sanity checks that the traffic still flows.
 */
@QuarkusTest
class BandwidthCapTest {
    private static final long MIB = 1024 * 1024;

    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    BandwidthService bandwidth;
    @Inject
    TrafficShaper shaper;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    InstanceDirectory directory;
    @Inject
    StorageConfig config;

    long localHost;

    @BeforeAll
    static void clean() {
        removeAllRulesOfThisRun();
    }

    @AfterAll
    static void cleanUp() {
        removeAllRulesOfThisRun();
        DockerCli.cleanUp();
        for (String c : DockerCli.lines("ps", "-aq", "--filter", "label=berth.helper.scope=" + DockerCli.TEST_SCOPE)) {
            DockerCli.run("rm", "-f", c);
        }
    }

    /** Docker hosts other tests left registered (several on 127.0.0.1, the same loopback): off while this class runs. */
    private java.util.List<HostView> others = java.util.List.of();

    @BeforeEach
    void host() {
        localHost = StorageFixtures.localDockerHost(hosts);
        others = hosts.enabled(dev.berth.hosts.HostKind.DOCKER).stream().filter(h -> h.id() != localHost).toList();
        others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), false));
    }

    @org.junit.jupiter.api.AfterEach
    void otherHostsBack() {
        others.forEach(h -> hosts.setEnabled(StorageFixtures.TEST, h.id(), true));
    }

    /** Every rule on this run's ports, of any label, and what Berth added to loopback if nothing else is left. */
    static void removeAllRulesOfThisRun() {
        int min = Integer.parseInt(System.getenv().getOrDefault("BERTH_TEST_STORAGE_PORT_MIN", "29000"));
        int max = Integer.parseInt(System.getenv().getOrDefault("BERTH_TEST_STORAGE_PORT_MAX", "29099"));
        String script = Tc.applyScript("127.0.0.1", DockerCli.TEST_SCOPE, List.of(), IntStream.rangeClosed(min, max).boxed().toList());
        tcCli(script);
    }

    static String tcCli(String script) {
        return DockerCli.run("run", "--rm", "--network", "host", "--cap-add", "NET_ADMIN", "-v", "/run/lock:/run/lock",
                tcImage(), "sh", "-c", script);
    }

    static String tcImage() {
        return System.getenv().getOrDefault("BERTH_TC_IMAGE", "berth/tc-helper:latest");
    }

    /** What tc shows for this port on loopback, read without Berth's adapter. */
    static String shown(int port) {
        String hex = Integer.toHexString(port);
        return tcCli("tc class show dev lo | grep 'b1:" + hex + " ' ; tc filter show dev lo parent b1: prio " + port
                + " 2>/dev/null | grep flowid; tc filter show dev lo parent ffff: prio " + port + " 2>/dev/null | grep mirred;"
                + " tc class show dev bifb-lo 2>/dev/null | grep 'b1:" + hex + " '; true");
    }

    private String tenant(String prefix) {
        String slug = prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        tenants.create(StorageFixtures.TEST, slug, slug);
        return slug;
    }

    private void cap(String slug, String rate) {
        var q = tenants.quota(slug).asInput();
        tenants.setQuota(StorageFixtures.TEST, slug, new QuotaInput(q.vms(), q.vcpus(), q.memory(), q.buckets(), q.storageSoft(),
                q.storageHard(), q.accessKeys(), q.containerCpus(), q.containerMemory(), "0", "0", rate, q.disk()));
    }

    private StorageView activateReady(String slug) {
        return StorageFixtures.activateReady(storage, reconciler, slug);
    }

    private MinioClient client(String slug) {
        return StorageFixtures.s3(directory.readyInstance(tenants.idOf(slug)).orElseThrow());
    }

    /** MiB/s of one PUT of {@code bytes} through S3. */
    static double put(MinioClient s3, String bucket, String key, long bytes) throws Exception {
        long t = System.nanoTime();
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(new Pattern(bytes), bytes, 16 * MIB).build());
        return bytes / (double) MIB / ((System.nanoTime() - t) / 1e9);
    }

    /** MiB/s of one GET of the whole object. */
    static double get(MinioClient s3, String bucket, String key) throws Exception {
        long t = System.nanoTime();
        long n = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
            }
        }
        return n / (double) MIB / ((System.nanoTime() - t) / 1e9);
    }

    /** Incompressible-looking bytes without holding them all. */
    static final class Pattern extends InputStream {
        private static final byte[] BLOCK = new byte[1 << 20];

        static {
            new Random(17).nextBytes(BLOCK);
        }

        private final long size;
        private long pos;

        Pattern(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            return pos < size ? BLOCK[(int) (pos++ % BLOCK.length)] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            int from = (int) (pos % BLOCK.length);
            int n = (int) Math.min(Math.min(len, size - pos), BLOCK.length - from);
            System.arraycopy(BLOCK, from, b, off, n);
            pos += n;
            return n;
        }
    }

    private static long audited(String tenant, String action, String reasonLike) {
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "tenant = ?1 and action = ?2 and outcome = ?3 and reason like ?4", tenant, action, Outcome.OK, "%" + reasonLike + "%"));
    }

    @Test
    @Timeout(300)
    void theCapHoldsBothWaysChangesLiveAndGoesWithTheCapAndTheInstance() throws Exception {
        String slug = tenant("bw-cap");
        cap(slug, "8 MiB/s");
        StorageView v = activateReady(slug);
        int port = v.port();
        assertEquals("applied", v.network().state(), () -> "network: " + v.network());
        assertEquals(8 * MIB, v.network().capBytesPerSecond());
        String rules = shown(port);
        assertTrue(rules.contains("rate 67108Kbit"), rules); // 8 MiB/s = 67,108,864 bit/s, egress and ingress (IFB) classes
        assertEquals(2, rules.lines().filter(l -> l.contains("rate 67108Kbit")).count(), rules);
        assertTrue(rules.contains("flowid b1:" + Integer.toHexString(port)), rules);

        MinioClient s3 = client(slug);
        s3.makeBucket(MakeBucketArgs.builder().bucket("data").build());
        double up = put(s3, "data", "a", 16 * MIB);
        double down = get(s3, "data", "a");
        assertTrue(up <= 8 * 1.15, "upload at " + up + " MiB/s under a cap of 8 MiB/s");
        assertTrue(down <= 8 * 1.15, "download at " + down + " MiB/s under a cap of 8 MiB/s");
        assertTrue(up >= 4 && down >= 4, "traffic still flows near the cap: up " + up + ", down " + down);

        // Throughput between two passes, on the admin API and page: what went through the classes, no more than the cap.
        reconciler.reconcileAll();
        get(s3, "data", "a");
        reconciler.reconcileAll();
        var meter = bandwidth.meter(v.id()).orElseThrow();
        assertTrue(meter.egressBytesPerSecond() > 0 && meter.egressBytesPerSecond() <= 8 * MIB * 1.15, "meter: " + meter);
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/api/v1/admin/storage?size=200").then().statusCode(200)
                .body("items.find { it.id == " + v.id() + " }.network.capBytesPerSecond", equalTo((int) (8 * MIB)))
                .body("items.find { it.id == " + v.id() + " }.network.state", equalTo("applied"))
                .body("items.find { it.id == " + v.id() + " }.network.egressBytesPerSecond", greaterThan(0f))
                .body("storageHosts.find { it.id == " + localHost + " }.cgroupVersion", equalTo("1"))
                .body("storageHosts.find { it.id == " + localHost + " }.networkDevice", equalTo("lo"));
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/storage?size=200").then().statusCode(200)
                .body(containsString("8 MiB/s (67 Mbit/s)"))
                .body(containsString("buffered writes unthrottled"))
                .body(containsString("shaped on <code>lo</code>"));

        // Changed live: the same container (not restarted), the new rate in the kernel at once.
        String containerId = DockerCli.run("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug));
        cap(slug, "32 Mbit/s"); // 4 MB/s
        reconciler.kick(v.id()).join();
        String changed = shown(port);
        assertEquals(2, changed.lines().filter(l -> l.contains("rate 32Mbit")).count(), changed);
        double slower = get(s3, "data", "a");
        assertTrue(slower <= 4e6 / MIB * 1.15, "download at " + slower + " MiB/s under a cap of 32 Mbit/s");
        assertEquals(containerId, DockerCli.run("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug)),
                "the instance was not restarted");
        assertEquals(1, audited(slug, "storage.bandwidth", "changed from"));

        // Unlimited: the rules go, and the traffic is no longer held at the old cap.
        cap(slug, "unlimited");
        reconciler.kick(v.id()).join();
        assertEquals("", shown(port).strip(), "no rule left for port " + port);
        double free = get(s3, "data", "a");
        assertTrue(free > 8, "download at " + free + " MiB/s without a cap");
        assertEquals("no cap", storage.of(slug).network().state());

        // A cap again, then the instance goes: its rules go with it.
        cap(slug, "8 MiB/s");
        reconciler.kick(v.id()).join();
        assertTrue(shown(port).contains("rate 67108Kbit"));
        storage.delete(StorageFixtures.TEST, v.id(), "delete", slug);
        assertEquals("", shown(port).strip(), "no rule left after the instance was deleted");
        assertEquals(1, audited(slug, "storage.bandwidth", "removed with the instance"));
    }

    @Test
    void theTenantSeesItsCapOnItsStoragePage() {
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/storage").then().statusCode(200); // acme is born on sign-in
        var before = tenants.quota("acme").asInput();
        try {
            cap("acme", "200 Mbit/s");
            given().auth().oauth2(DemoUser.ALICE.token()).when().get("/storage").then().statusCode(200)
                    .body(containsString("23.8 MiB/s (200 Mbit/s)"));
            given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/tenants/acme").then().statusCode(200)
                    .body(containsString("value=\"200 Mbit/s\""));
        } finally {
            tenants.setQuota(StorageFixtures.TEST, "acme", before);
        }
    }

    @Test
    @Timeout(300)
    void aReconcilePassRestoresMissingRulesAndReportsAnOrphan() throws Exception {
        String slug = tenant("bw-rec");
        cap(slug, "16 MiB/s");
        StorageView v = activateReady(slug);
        int port = v.port();
        assertTrue(shown(port).contains("flowid"));

        // As after a host reboot: the rules are gone (taken away behind Berth's back).
        String hex = Integer.toHexString(port);
        tcCli("tc filter del dev lo parent ffff: prio " + port + "; tc filter del dev lo parent b1: prio " + port
                + "; tc class del dev lo classid b1:" + hex + "; tc filter del dev bifb-lo parent b1: prio " + port
                + "; tc class del dev bifb-lo classid b1:" + hex);
        assertEquals("", shown(port).strip());
        reconciler.reconcileAll();
        String back = shown(port);
        assertEquals(2, back.lines().filter(l -> l.contains("rate 134217Kbit")).count(), back);
        assertEquals(1, audited(slug, "storage.bandwidth", "restored"));

        // A rule with this deployment's label for an instance that has no record: reported, left untouched.
        int orphanPort = config.portMax();
        long ghost = 9_000_000_000L + port;
        shaper.apply(hosts.endpoint(localHost), "127.0.0.1", List.of(new TrafficShaper.Cap(ghost, orphanPort, MIB)), List.of());
        reconciler.reconcileAll();
        var orphan = bandwidth.orphans().stream().filter(o -> o.port() == orphanPort).findFirst();
        assertTrue(orphan.isPresent(), "orphans: " + bandwidth.orphans());
        assertEquals(ghost, orphan.get().instance());
        assertEquals("lo", orphan.get().device());
        assertTrue(shown(orphanPort).contains("flowid"), "the orphan is left untouched");
        assertEquals(1L, (long) QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = ?1 and target like ?2", "storage.bandwidth.orphan", "port " + orphanPort + " %")));
        assertNotNull(storage.list(0, 50).bandwidthOrphans());
        assertTrue(storage.list(0, 50).bandwidthOrphans().stream().anyMatch(o -> o.port() == orphanPort));

        shaper.apply(hosts.endpoint(localHost), "127.0.0.1", List.of(), List.of(orphanPort));
        StorageFixtures.removeInstances(storage, reconciler, slug);
        assertFalse(shown(port).contains("flowid"));
    }
}
