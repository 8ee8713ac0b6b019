package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DatabasePass;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole promise on a real guest: the Debian test image the launcher builds (debootstrap: systemd, cloud-init, s3fs;
 * a kernel from the archive) boots under TCG on the local libvirtd as a machine alice creates through the API with a
 * bucket to mount. Its only network is QEMU's restricted user-mode one, which reaches the tenant's storage instance and
 * nothing else. The guest's cloud-init mounts the bucket and writes {@code hello-from-<machine>} through the mount; the
 * test reads that object over S3 from Berth's side, then deletes the machine and checks that its overlay, seed, key and
 * quota are gone. Runs once (H2): what it proves does not depend on the database. Also records the time from the POST
 * to the object (target/bench/vm-first-boot.json), one sample, no assertion on it.
 */
@QuarkusTest
@Tag(DatabasePass.INDEPENDENT)
class GuestBootTest {
    static final String URI = SelfServiceQemuTest.URI;
    /** A bound, not a measurement: 65-95 s on an idle machine, 3-4 min at load 15 (-Dberth.test.guest.firstBootSeconds). */
    static final Duration FIRST_BOOT = Duration.ofSeconds(Integer.getInteger("berth.test.guest.firstBootSeconds", 420));
    static final String CMDLINE = "root=/dev/vda rw console=ttyS0 net.ifnames=0";

    /** The launcher's guest image: BERTH_TEST_GUEST_DIR (./berth env), else the one build under its directory. */
    static Path guestDir() throws IOException {
        String env = System.getenv("BERTH_TEST_GUEST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path parent = Path.of("/var/lib/libvirt/images/berth-guest");
        try (Stream<Path> dirs = Files.isDirectory(parent) ? Files.list(parent) : Stream.empty()) {
            return dirs.filter(d -> Files.exists(d.resolve("rootfs.qcow2"))).max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new AssertionError("no Debian test guest under " + parent + ": ./berth stack builds it"));
        }
    }

    @Test
    @Timeout(900) // a hang guard
    void aDebianGuestMountsItsBucketAtFirstBootAndWritesThroughIt() throws Exception {
        Path guest = guestDir();
        for (String f : new String[]{"rootfs.qcow2", "vmlinuz", "initrd.img"}) {
            assertTrue(Files.isReadable(guest.resolve(f)), guest.resolve(f) + " (./berth stack builds the guest image)");
        }
        String pool = "berth-test-guest-" + ProcessHandle.current().pid();
        Path dir = Path.of("/var/lib/libvirt/images", pool);
        var cleaner = new dev.berth.audit.Actor("guest-test", null, null);
        var catalog = io.quarkus.arc.Arc.container().instance(Catalog.class).get();
        var hostService = io.quarkus.arc.Arc.container().instance(dev.berth.hosts.HostService.class).get();
        Integer host = null;
        Integer image = null;
        Integer flavour = null;
        String bucket = null;
        Console console = null;
        Files.createDirectories(dir);
        try {
            // the pool holds the base image as a hard link (same file system): nothing copied, and the pool's deletion
            // leaves the launcher's build in place
            try {
                Files.createLink(dir.resolve("debian.qcow2"), guest.resolve("rootfs.qcow2"));
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(guest.resolve("rootfs.qcow2"), dir.resolve("debian.qcow2"));
            }
            SelfServiceQemuTest.virsh("pool-create-as", pool, "dir", "--target", dir.toString());
            as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
            SelfServiceApiTest.quota("1000", "1 TiB"); // first: a quota change restarts the instance with its new limits
            Storage.ready("acme");
            String theBucket = unique("guest");
            bucket = theBucket;
            Storage.bucket(DemoUser.ALICE, theBucket);
            host = as(DemoUser.CAROL).body(Map.of("name", unique("guest-qemu"), "kind", "KVM", "uri", URI, "labels", "network=restricted,virt=qemu"))
                    .post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            as(DemoUser.CAROL).post("/api/v1/admin/hosts/" + host + "/probe").then().statusCode(200).body("status", equalTo("up"));
            String imageName = unique("debian-test");
            image = as(DemoUser.CAROL).body(Map.ofEntries(Map.entry("name", imageName), Map.entry("os", "Debian (test guest)"),
                            Map.entry("minDisk", "2G"), Map.entry("minMemory", "512M"), Map.entry("cloudInit", true), Map.entry("hostId", host),
                            Map.entry("pool", pool), Map.entry("volume", "debian.qcow2"), Map.entry("kernel", guest.resolve("vmlinuz").toString()),
                            Map.entry("initrd", guest.resolve("initrd.img").toString()), Map.entry("cmdline", CMDLINE)))
                    .post("/api/v1/admin/images").then().log().ifValidationFails().statusCode(201).extract().path("id");
            String flavourName = unique("guest-small");
            flavour = as(DemoUser.CAROL).body(Map.of("name", flavourName, "vcpus", "1", "memory", "1 GiB", "disk", "3 GiB"))
                    .post("/api/v1/admin/flavours").then().statusCode(201).extract().path("id");
            // Berth's own view of the bucket: a read-only key of alice's (not the machine's)
            // (retried: an instance just restarted with its new quota may not answer its admin API in time on a loaded machine)
            JsonPath reader = null;
            for (int attempt = 1; reader == null; attempt++) {
                var r = as(DemoUser.ALICE).body(Map.of("mode", "read-only", "description", "guest test reader"))
                        .post("/api/v1/buckets/" + theBucket + "/keys");
                if (r.statusCode() == 201) {
                    reader = r.jsonPath();
                } else if (r.statusCode() != 409 || attempt == 6) {
                    throw new AssertionError("a reader key for " + theBucket + ": " + r.statusCode() + " " + r.asString());
                } else {
                    Thread.sleep(5000);
                }
            }
            String endpoint = as(DemoUser.ALICE).get("/api/v1/storage").then().extract().path("endpoint");
            S3 berthSide = S3.as(endpoint, reader.getString("key.accessKey"), reader.getString("secretKey"));
            JsonPath before = SelfServiceApiTest.usage();

            String name = "g-" + SelfServiceApiTest.suffix();
            String object = "hello-from-" + name;
            long t0 = System.nanoTime();
            int id = as(DemoUser.ALICE).body(Map.of("name", name, "image", imageName, "flavour", flavourName, "bucket", bucket))
                    .post("/api/v1/vms").then().statusCode(202).extract().path("id");
            JsonPath done = SelfServiceApiTest.ready(DemoUser.ALICE, id);
            assertEquals("READY", done.getString("status"), done.prettify());
            double runningS = (System.nanoTime() - t0) / 1e9;
            String key = done.getString("accessKey");
            assertNotNull(key, done.prettify());
            String uuid = as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().statusCode(200).extract().path("machine.uuid");
            String xml = SelfServiceQemuTest.virsh("dumpxml", "acme." + name);
            assertTrue(xml.contains("restrict=on") && !xml.contains("<interface"), "the guest's only network is the restricted one: " + xml);
            console = Console.follow(xml);

            // the guest's first boot: polled over S3 until the object is there, within the bound
            String content = null;
            long deadline = t0 + FIRST_BOOT.toNanos();
            while (System.nanoTime() < deadline) {
                // s3fs creates the object empty when the file is opened and uploads its content when it is closed
                if (berthSide.list(theBucket).contains(object)) {
                    String now = berthSide.get(theBucket, object);
                    if (!now.isEmpty()) {
                        content = now;
                        break;
                    }
                }
                Thread.sleep(1000);
            }
            double firstBootS = (System.nanoTime() - t0) / 1e9;
            assertNotNull(content, "no " + object + " with content in " + theBucket + " " + FIRST_BOOT.toSeconds() + " s after the POST; the guest's console:\n"
                    + console.tail(6000));
            assertEquals(name, content.strip(), "the file the guest wrote through its mount");
            record(runningS, firstBootS);

            // the machine's key, as the seed hands it to the guest: it works now, and must not once the machine is gone
            String secret = seedSecret(pool, uuid, key);
            assertEquals("OK", S3.outcome(() -> S3.as(endpoint, key, secret).list(theBucket)));
            assertFalse(xml.contains(secret), "secret in the domain XML");

            as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
            String volumes = SelfServiceQemuTest.virsh("vol-list", pool);
            assertFalse(volumes.contains(uuid), "overlay or seed left in the pool: " + volumes);
            assertTrue(volumes.contains("debian.qcow2"), "the image's base volume stays: " + volumes);
            assertFalse(SelfServiceQemuTest.virsh("list", "--all", "--name").contains("acme." + name));
            assertEquals("InvalidAccessKeyId", S3.outcome(() -> S3.as(endpoint, key, secret).list(theBucket)), "the machine's key after delete");
            JsonPath after = SelfServiceApiTest.usage();
            assertEquals(before.getLong("usage.diskBytes"), after.getLong("usage.diskBytes"), "disk quota freed");
            assertEquals(before.getInt("usage.vms"), after.getInt("usage.vms"), "machine quota freed");
            assertEquals(before.getLong("usage.memoryBytes"), after.getLong("usage.memoryBytes"), "memory quota freed");
            assertEquals(before.getInt("usage.accessKeys"), after.getInt("usage.accessKeys"), "access key quota freed");
        } finally { // best effort, so that a failure above is the one reported
            if (console != null) {
                console.close();
            }
            var creation = io.quarkus.arc.Arc.container().instance(MachineCreation.class).get();
            if (host != null) {
                long h = host;
                for (VmAssignment a : io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(
                        () -> VmAssignment.<VmAssignment>list("hostId", h))) {
                    SelfServiceQemuTest.quietly(() -> creation.delete(cleaner, "acme", a.id, a.name));
                }
            }
            Integer i = image;
            Integer f = flavour;
            Integer h = host;
            String b = bucket;
            SelfServiceQemuTest.quietly(() -> catalog.deleteImage(cleaner, i));
            SelfServiceQemuTest.quietly(() -> catalog.deleteFlavour(cleaner, f));
            SelfServiceQemuTest.quietly(() -> hostService.delete(cleaner, h));
            if (b != null) {
                SelfServiceQemuTest.quietly(() -> as(DemoUser.ALICE).delete("/api/v1/buckets/" + b + "?confirm=" + b));
            }
            var tenants = io.quarkus.arc.Arc.container().instance(dev.berth.tenancy.TenantService.class).get();
            SelfServiceQemuTest.quietly(() -> tenants.setQuota(cleaner, "acme", tenants.defaultLimits().asInput()));
            new ProcessBuilder("virsh", "-q", "-c", URI, "pool-destroy", pool).start().waitFor(30, TimeUnit.SECONDS);
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The secret in the seed's user-data (its first file, ACCESS_KEY:SECRET), read back from the pool. */
    static String seedSecret(String pool, String uuid, String key) throws Exception {
        Path iso = Files.createTempFile("berth-seed-", ".iso");
        try {
            SelfServiceQemuTest.virsh("vol-download", "--pool", pool, uuid + "-seed.iso", iso.toString());
            String userData = SelfServiceQemuTest.run("isoinfo", "-R", "-i", iso.toString(), "-x", "/user-data");
            var c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(userData.substring(userData.indexOf('\n') + 1));
            String[] credentials = c.get("write_files").get(0).get("content").asText().strip().split(":", 2);
            assertEquals(key, credentials[0]);
            return credentials[1];
        } finally {
            Files.deleteIfExists(iso);
        }
    }

    /** One sample, written for the README (not asserted: speed is a benchmark's business). */
    static void record(double runningS, double firstBootS) throws IOException {
        Path out = Path.of("target", "bench", "vm-first-boot.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, """
                {"benchmark": "vm-first-boot", "libvirt": "%s", "guest": "Debian test image (debootstrap), direct kernel boot, TCG",
                 "flavour": "1 vCPU, 1 GiB, 3 GiB disk", "postToRunningS": %.1f, "postToFirstBootFileS": %.1f, "loadavgAfter": "%s"}
                """.formatted(URI, runningS, firstBootS, Files.readString(Path.of("/proc/loadavg")).strip()));
        System.out.println(Files.readString(out));
    }

    /** The guest's serial console (a pty on the host), read as it comes: shown when the first boot does not finish. */
    static final class Console implements AutoCloseable {
        private final StringBuilder text = new StringBuilder();
        private final InputStream in;

        private Console(InputStream in) {
            this.in = in;
            Thread.ofPlatform().daemon().name("guest-console").start(() -> { // a blocking read of a pty: not a virtual thread
                byte[] buf = new byte[4096];
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        synchronized (text) {
                            text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        }
                    }
                } catch (IOException closed) {
                    // the domain stopped or the test closed it
                }
            });
        }

        static Console follow(String domainXml) throws IOException {
            var m = java.util.regex.Pattern.compile("<console type='pty' tty='([^']+)'").matcher(domainXml);
            if (!m.find()) {
                return new Console(InputStream.nullInputStream());
            }
            return new Console(Files.newInputStream(Path.of(m.group(1))));
        }

        String tail(int chars) {
            synchronized (text) {
                return text.length() <= chars ? text.toString() : text.substring(text.length() - chars);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
