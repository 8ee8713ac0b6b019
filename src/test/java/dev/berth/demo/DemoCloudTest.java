package dev.berth.demo;

import static dev.berth.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.compute.MachineService;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo cloud of {@code ./berth run}, seeded against the real parts: libvirt's test driver (the fleet), the local
 * libvirtd ({@code qemu:///system}: one real TCG machine per demo tenant, from the busybox image {@code ./berth stack}
 * builds) and the local dockerd (probed). Seeding twice changes nothing. The test's real machines are named
 * {@code berth-test-demo-*} (the launcher removes leftovers) and removed afterwards.
 */
@QuarkusTest
@TestProfile(DemoCloudTest.Demo.class)
class DemoCloudTest {
    // The pid, not a random value: the profile and the test class are loaded by different class loaders.
    static final String PREFIX = "berth-test-demo-" + ProcessHandle.current().pid() + "-";
    static final String LIBVIRT = System.getenv().getOrDefault("BERTH_TEST_LIBVIRT_URI", "qemu:///system");

    /** Demo off at start (the test seeds itself), the real machines' image copied where QEMU can read it. */
    public static class Demo implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path dir = imageDir();
            return Map.of("berth.demo.enabled", "false",
                    "berth.demo.domain-prefix", PREFIX,
                    "berth.demo.libvirt-uri", LIBVIRT,
                    "berth.demo.dir", dir.resolve("fleet").toString(),
                    "berth.demo.kernel", dir.resolve("vmlinuz").toString(),
                    "berth.demo.initrd", dir.resolve("initrd.cpio.gz").toString(),
                    "berth.compute.call-timeout", "10s"); // a real libvirtd on a loaded 2-core machine
        }
    }

    /** Named by the pid as well: the profile's class loader and the test's each call this. */
    static final Path IMAGE = Path.of(System.getProperty("java.io.tmpdir"), PREFIX + "image");

    static synchronized Path imageDir() {
        Path dir = IMAGE;
        if (Files.isReadable(dir.resolve("initrd.cpio.gz"))) {
            return dir;
        }
        try {
            Path cache = Path.of(System.getenv().getOrDefault("BERTH_CACHE_DIR", System.getProperty("user.home") + "/.cache/berth"));
            Path kernel = Path.of(System.getenv().getOrDefault("BERTH_TEST_KERNEL", cache.resolve("vm/vmlinuz").toString()));
            Path initrd = Path.of(System.getenv().getOrDefault("BERTH_TEST_INITRD", cache.resolve("vm/initramfs.cpio.gz").toString()));
            assertTrue(Files.isReadable(kernel) && Files.isReadable(initrd), "no test VM image: run ./berth stack first");
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.copy(kernel, dir.resolve("vmlinuz"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(initrd, dir.resolve("initrd.cpio.gz"), StandardCopyOption.REPLACE_EXISTING);
            for (String f : List.of("vmlinuz", "initrd.cpio.gz")) {
                Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
            }
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Inject
    DemoCloud demo;
    @Inject
    HostService hosts;
    @Inject
    MachineService machines;

    @Test
    @Timeout(240) // a hang guard, not a measurement
    void seedsAWorkingSmallCloudOnceAndIdempotently() throws Exception {
        DemoCloud.Seeded first = demo.seed();
        assertFalse(first.skipped());
        assertEquals(5, first.hostsCreated(), "docker, kvm and three fleet hosts");
        assertEquals(2, first.domainsDefined(), "one real machine per demo tenant");
        assertEquals(2, first.domainsStarted());
        assertEquals(10, first.assigned(), "four fleet domains and the real machine, for each of acme and globex");

        List<HostView> demoHosts = hosts.list().stream().filter(h -> "true".equals(h.labels().get("demo"))).toList();
        assertEquals(List.of("demo-docker", "demo-fleet-1", "demo-fleet-2", "demo-fleet-3", "demo-kvm"),
                demoHosts.stream().map(HostView::name).sorted().toList());
        var discovery = machines.discover();
        assertEquals(Map.of(), discovery.unreachableHosts());
        assertEquals(12, discovery.domains().stream().filter(d -> d.host().startsWith("demo-fleet-")).count());

        // The local dockerd answers through the registered host (storage needs it).
        HostView docker = demoHosts.stream().filter(h -> h.name().equals("demo-docker")).findFirst().orElseThrow();
        as(DemoUser.CAROL).when().post("/api/v1/admin/hosts/" + docker.id() + "/probe").then().statusCode(200)
                .body("lastProbe.up", equalTo(true));

        // alice (acme) sees her machines in every state, the real one running; bob (globex) his own.
        as(DemoUser.ALICE).when().get("/api/v1/vms?size=50").then().statusCode(200)
                .body("total", equalTo(5))
                .body("items.name", hasItems("web-1", "db-1", "batch-1", "cache-1", PREFIX + "acme"))
                .body("items.state", hasItems("RUNNING", "PAUSED", "SHUTOFF"))
                .body("items.find { it.name == '" + PREFIX + "acme' }.state", equalTo("RUNNING"));
        as(DemoUser.BOB).when().get("/api/v1/vms?size=50").then().statusCode(200)
                .body("total", equalTo(5))
                .body("items.name", hasItems("api-2", PREFIX + "globex"));

        // Again: nothing new, whether the whole seeding (skipped once done) or each item.
        assertTrue(demo.seed().skipped());
        DemoCloud.Seeded again = demo.apply();
        assertEquals(new DemoCloud.Seeded(false, 0, 0, 0, 0), again);
        assertEquals(5, hosts.list().size());
        assertEquals(1, virsh("list", "--all", "--name").lines().filter(l -> l.equals(PREFIX + "acme")).count());
    }

    @Test
    void refusedOutsideDevelopmentMode() {
        assertNotNull(DemoCloud.problem(false, true));
        assertNull(DemoCloud.problem(true, true));
        assertNull(DemoCloud.problem(false, false));
    }

    @AfterAll
    static void removeRealMachines() throws Exception {
        for (String tenant : DemoCloud.TENANTS) {
            virsh("destroy", PREFIX + tenant);
            virsh("undefine", PREFIX + tenant);
        }
        if (Files.isDirectory(IMAGE)) {
            try (Stream<Path> files = Files.walk(IMAGE)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static String virsh(String... args) throws Exception {
        var command = new ArrayList<>(List.of("virsh", "-q", "-c", LIBVIRT));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
