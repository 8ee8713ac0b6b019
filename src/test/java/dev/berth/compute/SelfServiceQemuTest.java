package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A machine with a bucket on the local libvirtd (real QEMU, real storage pool, real MinIO instance), without an OS to
 * boot: the overlay is made by qemu-img through libvirt, the seed ISO is uploaded into the pool, the domain with its
 * restricted user-mode network is defined and started. The machine's key is in the seed and works; the secret is not in
 * the domain XML or any API answer; deleting removes domain, overlay, seed and key. (The guest that mounts the bucket
 * needs the Debian test image; see README.)
 */
@QuarkusTest
class SelfServiceQemuTest {
    static final String URI = RealQemuTest.env("BERTH_TEST_LIBVIRT_URI", "qemu:///system");

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    static String virsh(String... args) throws Exception {
        var c = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        c.addAll(List.of(args));
        return run(c.toArray(String[]::new));
    }

    static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            System.err.println("cleaning up: " + e);
        }
    }

    @Test
    @Timeout(300) // a hang guard, not a measurement
    void aMachineGetsItsOwnKeyThroughTheSeedAndLosesEverythingWhenDeleted() throws Exception {
        String pool = "berth-test-ss-" + ProcessHandle.current().pid();
        Path dir = Path.of("/var/lib/libvirt/images", pool);
        var cleaner = new dev.berth.audit.Actor("selfservice-test", null, null);
        var catalog = io.quarkus.arc.Arc.container().instance(Catalog.class).get();
        var hostService = io.quarkus.arc.Arc.container().instance(dev.berth.hosts.HostService.class).get();
        Integer host = null;
        Integer image = null;
        Integer flavour = null;
        Files.createDirectories(dir);
        virsh("pool-create-as", pool, "dir", "--target", dir.toString());
        try {
            virsh("vol-create-as", pool, "base.qcow2", "64M", "--format", "qcow2");
            as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
            MachinesApiTest.generousQuota("acme"); // first: a quota change restarts the instance with its new limits
            Storage.ready("acme");
            String bucket = unique("ss-vm");
            Storage.bucket(DemoUser.ALICE, bucket);
            host = as(DemoUser.CAROL).body(Map.of("name", unique("ss-qemu"), "kind", "KVM", "uri", URI, "labels", "network=restricted,virt=qemu"))
                    .post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            as(DemoUser.CAROL).post("/api/v1/admin/hosts/" + host + "/probe").then().statusCode(200).body("status", equalTo("up"));
            String imageName = unique("ss-empty");
            image = as(DemoUser.CAROL).body(Map.of("name", imageName, "os", "none (an empty disk)", "minDisk", "64M", "minMemory", "64M",
                    "cloudInit", true, "hostId", host, "pool", pool, "volume", "base.qcow2")).post("/api/v1/admin/images")
                    .then().log().ifValidationFails().statusCode(201).body("format", equalTo("qcow2")).extract().path("id");
            String flavourName = unique("ss-tiny");
            flavour = as(DemoUser.CAROL).body(Map.of("name", flavourName, "vcpus", "1", "memory", "128 MiB", "disk", "1 GiB"))
                    .post("/api/v1/admin/flavours").then().statusCode(201).extract().path("id");

            String name = "vm-" + SelfServiceApiTest.suffix();
            var created = as(DemoUser.ALICE).body(Map.of("name", name, "image", imageName, "flavour", flavourName, "bucket", bucket))
                    .post("/api/v1/vms").then().statusCode(202).extract();
            int id = created.path("id");
            JsonPath done = SelfServiceApiTest.ready(DemoUser.ALICE, id);
            assertEquals("READY", done.getString("status"), done.prettify());
            String key = done.getString("accessKey");
            assertNotNull(key, done.prettify());
            as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").then().statusCode(200).body("accessKey", hasItem(key));
            String uuid = as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().statusCode(200)
                    .body("machine.state", equalTo("RUNNING")).body("madeByBerth", equalTo(true)).extract().path("machine.uuid");

            String volumes = virsh("vol-list", pool);
            assertTrue(volumes.contains(uuid + ".qcow2") && volumes.contains(uuid + "-seed.iso"), volumes);
            String xml = virsh("dumpxml", "acme." + name);
            assertTrue(xml.contains("cache='none'") && xml.contains("io='native'") && xml.contains("restrict=on")
                    && xml.contains("guestfwd=tcp:10.0.2.100:9000-cmd:/usr/bin/socat STDIO TCP:127.0.0.1:"), xml);
            String overlay = run("qemu-img", "info", "-U", dir.resolve(uuid + ".qcow2").toString());
            assertTrue(overlay.contains("backing file: " + dir.resolve("base.qcow2")), overlay);

            // the seed holds the machine's key and secret; the secret opens the bucket and appears nowhere else
            Path iso = Files.createTempFile("berth-seed-", ".iso");
            try {
                virsh("vol-download", "--pool", pool, uuid + "-seed.iso", iso.toString());
                String userData = run("isoinfo", "-R", "-i", iso.toString(), "-x", "/user-data");
                assertTrue(run("isoinfo", "-d", "-i", iso.toString()).contains("Volume id: cidata"));
                var c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(userData.substring(userData.indexOf('\n') + 1));
                String[] credentials = c.get("write_files").get(0).get("content").asText().strip().split(":", 2);
                assertEquals(key, credentials[0]);
                String secret = credentials[1];
                String endpoint = as(DemoUser.ALICE).get("/api/v1/storage").then().extract().path("endpoint");
                S3.as(endpoint, key, secret).put(bucket, "from-the-seed", "works");
                assertFalse(xml.contains(secret), "secret in the domain XML");
                for (String answer : List.of(created.asString(), as(DemoUser.ALICE).get("/api/v1/vms/" + id + "/creation").asString(),
                        as(DemoUser.ALICE).get("/api/v1/vms/" + id).asString(), as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").asString())) {
                    assertFalse(answer.contains(secret), "secret in an API answer: " + answer);
                }

                as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
                String after = virsh("vol-list", pool);
                assertFalse(after.contains(uuid), after);
                assertFalse(virsh("list", "--all", "--name").contains("acme." + name));
                as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").then().statusCode(200).body("accessKey", not(hasItem(key)));
                String refused = S3.outcome(() -> S3.as(endpoint, key, secret).list(bucket));
                assertFalse(refused.equals("OK"), "the revoked key still works: " + refused);
            } finally {
                Files.deleteIfExists(iso);
            }
            as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
        } finally { // best effort, so that a failure above is the one reported
            var creation = io.quarkus.arc.Arc.container().instance(MachineCreation.class).get();
            if (host != null) {
                long h = host;
                for (VmAssignment a : io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(
                        () -> VmAssignment.<VmAssignment>list("hostId", h))) {
                    quietly(() -> creation.delete(cleaner, "acme", a.id, a.name));
                }
            }
            Integer i = image;
            Integer f = flavour;
            Integer h = host;
            quietly(() -> catalog.deleteImage(cleaner, i));
            quietly(() -> catalog.deleteFlavour(cleaner, f));
            quietly(() -> hostService.delete(cleaner, h));
            new ProcessBuilder("virsh", "-q", "-c", URI, "pool-destroy", pool).start().waitFor(30, TimeUnit.SECONDS);
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
