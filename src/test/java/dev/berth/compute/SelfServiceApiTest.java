package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.hosts.HostService;
import dev.berth.support.DemoUser;
import dev.berth.support.Race;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tenants create and delete machines through the API against libvirt's test driver (no boot): the overlay, definition
 * and start really happen there. Quota refusal, the race for the last quota, placement with a host down, hostile names,
 * and that assigned machines cannot be deleted.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SelfServiceApiTest {
    static final long GIB = 1L << 30;

    @Inject
    Hypervisor hypervisor;
    @Inject
    HostService hostService;
    @Inject
    MachineCreation creation;
    @Inject
    Catalog catalog;

    int hostA;
    int hostB;
    String image;
    String small;
    String acmeOnly;
    final List<Integer> images = new ArrayList<>();
    final List<Integer> flavours = new ArrayList<>();

    static int host(String file) {
        var body = Map.of("name", unique(file.replace(".xml", "")), "kind", "KVM",
                "uri", "test://" + Path.of("src/test/resources/libvirt", file).toAbsolutePath());
        int id = as(DemoUser.CAROL).body(body).post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        as(DemoUser.CAROL).post("/api/v1/admin/hosts/" + id + "/probe").then().statusCode(200).body("status", equalTo("up"));
        return id;
    }

    /** Once, before the first test (RestAssured knows the test port only from then on). */
    @org.junit.jupiter.api.BeforeEach
    void catalogue() {
        if (image != null) {
            return;
        }
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        as(DemoUser.BOB).get("/api/v1/me").then().statusCode(200);
        hostA = host("selfservice-a.xml");
        hostB = host("selfservice-b.xml");
        image = unique("ss-debian");
        for (int h : new int[]{hostA, hostB}) {
            images.add(as(DemoUser.CAROL).body(Map.of("name", image, "os", "Debian 12", "minDisk", "2 GiB", "minMemory", "256 MiB",
                    "cloudInit", true, "hostId", h, "pool", "images", "volume", "debian-12.qcow2"))
                    .post("/api/v1/admin/images").then().statusCode(201).body("format", equalTo("qcow2")).extract().path("id"));
        }
        small = unique("ss-small");
        acmeOnly = unique("ss-acme");
        flavours.add(as(DemoUser.CAROL).body(Map.of("name", small, "vcpus", "1", "memory", "512 MiB", "disk", "4 GiB"))
                .post("/api/v1/admin/flavours").then().statusCode(201).extract().path("id"));
        flavours.add(as(DemoUser.CAROL).body(Map.of("name", acmeOnly, "vcpus", "2", "memory", "1 GiB", "disk", "8 GiB", "tenant", "acme"))
                .post("/api/v1/admin/flavours").then().statusCode(201).extract().path("id"));
    }

    @AfterAll
    void cleanUp() {
        if (image == null) {
            return;
        }
        // through the services: RestAssured forgets the test port after the last test. Machines first (a test that
        // failed half-way may leave some), then the catalogue and the hosts.
        var cleaner = new dev.berth.audit.Actor("selfservice-test", null, null);
        var rows = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> VmAssignment.<VmAssignment>list(
                "hostId in ?1", List.of((long) hostA, (long) hostB)));
        for (VmAssignment a : rows) {
            for (int i = 0; i < 600 && "CREATING".equals(io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(
                    () -> VmAssignment.<VmAssignment>findById(a.id).status)); i++) {
                try {
                    Thread.sleep(100); // a creation still under way finishes first
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            creation.delete(cleaner, "acme", a.id, a.name);
        }
        images.forEach(i -> catalog.deleteImage(cleaner, i));
        flavours.forEach(f -> catalog.deleteFlavour(cleaner, f));
        for (int h : new int[]{hostA, hostB}) {
            hostService.delete(cleaner, h);
        }
        var tenants = io.quarkus.arc.Arc.container().instance(dev.berth.tenancy.TenantService.class).get();
        tenants.setQuota(cleaner, "acme", tenants.defaultLimits().asInput());
    }

    static void quota(String vms, String disk) {
        var q = new HashMap<String, Object>();
        q.put("vms", vms); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 10);
        q.put("storageSoft", "1T"); q.put("storageHard", "2T"); q.put("accessKeys", 10); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0); q.put("disk", disk);
        as(DemoUser.CAROL).body(q).put("/api/v1/admin/tenants/acme/quota").then().statusCode(200);
    }

    /** Six characters for a machine name (a-z0-9), whatever the length of {@code unique}'s. */
    static String suffix() {
        String n = Long.toString(System.nanoTime(), 36);
        return n.substring(n.length() - 6);
    }

    static JsonPath usage() {
        return as(DemoUser.ALICE).get("/api/v1/quota").then().statusCode(200).extract().jsonPath();
    }

    static io.restassured.response.Response create(DemoUser who, String name, String image, String flavour) {
        return as(who).body(Map.of("name", name, "image", image, "flavour", flavour)).post("/api/v1/vms");
    }

    static JsonPath ready(DemoUser who, int id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            JsonPath p = as(who).get("/api/v1/vms/" + id + "/creation").then().statusCode(200).extract().jsonPath();
            if (!"CREATING".equals(p.getString("status")) || System.nanoTime() > deadline) {
                return p;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    String uriOf(int host) {
        return hostService.get(host).uri();
    }

    @Test
    void aTenantCreatesAMachineAndDeletesItAndItsDisk() throws Exception {
        quota("1000", "1 TiB");
        long diskBefore = usage().getLong("usage.diskBytes");
        String name = "web-" + SelfServiceApiTest.suffix();
        int id = create(DemoUser.ALICE, name, image, acmeOnly).then().statusCode(202)
                .body("status", equalTo("CREATING")).body("name", equalTo(name)).extract().path("id");
        JsonPath done = ready(DemoUser.ALICE, id);
        assertEquals("READY", done.getString("status"), done.prettify());
        assertEquals(8 * GIB, usage().getLong("usage.diskBytes") - diskBefore);
        // placed on the host with the most memory left, running, and nothing to advise about
        as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().statusCode(200)
                .body("machine.hostId", equalTo(hostA)).body("machine.state", equalTo("RUNNING")).body("machine.name", equalTo(name))
                .body("advice", org.hamcrest.Matchers.empty())
                .body("detail.disks[0].cache", equalTo("none")).body("detail.disks[0].bus", equalTo("virtio"))
                .body("detail.disks[0].format", equalTo("qcow2"));
        String uuid = as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().extract().path("machine.uuid");
        var endpoint = hostService.endpoint(hostA);
        assertTrue(hypervisor.volume(endpoint, "images", uuid + ".qcow2", Duration.ofSeconds(5)).isPresent());
        // bob neither sees nor deletes it
        as(DemoUser.BOB).get("/api/v1/vms/" + id + "/creation").then().statusCode(404);
        as(DemoUser.BOB).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(404);
        // the name must be typed
        as(DemoUser.ALICE).delete("/api/v1/vms/" + id).then().statusCode(400).body("errors[0].field", equalTo("confirm"));
        as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
        as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().statusCode(404);
        assertTrue(hypervisor.volume(endpoint, "images", uuid + ".qcow2", Duration.ofSeconds(5)).isEmpty(), "overlay deleted");
        assertTrue(hypervisor.listDomains(endpoint, Duration.ofSeconds(5)).stream().noneMatch(d -> d.uuid().equals(uuid)), "undefined");
        assertEquals(diskBefore, usage().getLong("usage.diskBytes"), "quota freed");
        as(DemoUser.CAROL).get("/api/v1/admin/audit?action=vm.delete&size=5").then().statusCode(200)
                .body("items.target", hasItem(containsString(name)));
    }

    @Test
    void followingACreationWithWaitAnswersOnceItIsDone() {
        quota("1000", "1 TiB");
        String name = "wait-" + suffix();
        int id = create(DemoUser.ALICE, name, image, small).then().statusCode(202).extract().path("id");
        // one request, no polling: it returns when the machine runs
        as(DemoUser.ALICE).get("/api/v1/vms/" + id + "/creation?wait=30").then().statusCode(200)
                .body("status", equalTo("READY")).body("steps.state", org.hamcrest.Matchers.everyItem(equalTo("done")));
        as(DemoUser.ALICE).get("/api/v1/vms/" + id + "/creation?wait=31").then().statusCode(400)
                .body("errors[0].field", equalTo("wait"));
        as(DemoUser.ALICE).get("/api/v1/vms/" + id + "/creation?wait=soon").then().statusCode(400);
        as(DemoUser.BOB).get("/api/v1/vms/" + id + "/creation?wait=5").then().statusCode(404);
        as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
    }

    @Test
    void beyondTheDiskQuotaIsRefusedWithTheReason() {
        long used = usage().getLong("usage.diskBytes");
        quota("1000", (used + 6 * GIB) + "");
        String name = "big-" + SelfServiceApiTest.suffix();
        create(DemoUser.ALICE, name, image, acmeOnly).then().statusCode(409)
                .body("detail", containsString("of disk (quota")).body("detail", containsString(name.isEmpty() ? "" : "acme"));
        quota("1000", "1 TiB");
    }

    @Test
    void twoCreatesRacingForTheLastMachineGetOneMachine() throws Exception {
        int vms = usage().getInt("usage.vms");
        quota(String.valueOf(vms + 1), "1 TiB");
        String stem = "race-" + unique("x").substring(2, 7).replaceAll("[^a-z0-9]", "a");
        List<Integer> codes = Race.of(2, i -> create(DemoUser.ALICE, stem + "-" + i, image, small).statusCode());
        assertEquals(List.of(202, 409), codes.stream().sorted().toList(), codes.toString());
        assertEquals(vms + 1, usage().getInt("usage.vms"));
        // and twelve for the next one: a check that is not atomic with the reservation lets several through here
        quota(String.valueOf(vms + 2), "1 TiB");
        codes = Race.of(12, i -> create(DemoUser.ALICE, stem + "-b" + i, image, small).statusCode());
        assertEquals(1, codes.stream().filter(c -> c == 202).count(), codes.toString());
        assertTrue(codes.stream().allMatch(c -> c == 202 || c == 409), codes.toString());
        assertEquals(vms + 2, usage().getInt("usage.vms"));
        quota("1000", "1 TiB");
    }

    @Test
    void placementSkipsAHostThatDoesNotAnswer() throws Exception {
        quota("1000", "1 TiB");
        var a = hostService.get(hostA);
        var down = Map.of("name", a.name(), "kind", "KVM", "uri", "qemu+tcp://127.0.0.1:1/system");
        as(DemoUser.CAROL).body(down).put("/api/v1/admin/hosts/" + hostA).then().statusCode(200);
        try {
            String name = "pl-" + SelfServiceApiTest.suffix();
            int id = create(DemoUser.ALICE, name, image, small).then().statusCode(202).extract().path("id");
            assertEquals("READY", ready(DemoUser.ALICE, id).getString("status"));
            as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().body("machine.hostId", equalTo(hostB));
            as(DemoUser.ALICE).delete("/api/v1/vms/" + id + "?confirm=" + name).then().statusCode(204);
        } finally {
            var up = Map.of("name", a.name(), "kind", "KVM", "uri", a.uri());
            as(DemoUser.CAROL).body(up).put("/api/v1/admin/hosts/" + hostA).then().statusCode(200);
        }
    }

    @Test
    void hostileAndBadInputIsRefusedBeforeAnyHostIsTouched() {
        for (String name : new String[]{"<script>alert(1)</script>", "../../etc/passwd", "a'b", "Web", "x]]><devices/>", ""}) {
            create(DemoUser.ALICE, name, image, small).then().statusCode(400).body("errors.field", hasItem("name"));
        }
        create(DemoUser.ALICE, "ok", "no-such-image", small).then().statusCode(400).body("errors.field", hasItem("image"));
        create(DemoUser.ALICE, "ok", image, "no-such").then().statusCode(400).body("errors.field", hasItem("flavour"));
        // a flavour offered to acme only is unknown to globex
        create(DemoUser.BOB, "ok", image, acmeOnly).then().statusCode(400).body("errors.field", hasItem("flavour"));
        as(DemoUser.BOB).get("/api/v1/flavours").then().statusCode(200).body("name", not(hasItem(acmeOnly))).body("name", hasItem(small));
        as(DemoUser.ALICE).get("/api/v1/flavours").then().statusCode(200).body("name", hasItem(acmeOnly));
        as(DemoUser.ALICE).get("/api/v1/images").then().statusCode(200).body("name", hasItem(image));
        as(DemoUser.ALICE).contentType("application/json").body("not json").post("/api/v1/vms").then().statusCode(400);
    }

    @Test
    void anAssignedMachineIsNeverDeletedByItsTenant() {
        int fleet = MachinesApiTest.registerKvm("fleet-3.xml");
        int vm = MachinesApiTest.assign("acme", fleet, "f1ee7000-0003-4000-8000-000000000005").get(0);
        try {
            String name = as(DemoUser.ALICE).get("/api/v1/vms/" + vm).then().statusCode(200).extract().path("machine.name");
            as(DemoUser.ALICE).delete("/api/v1/vms/" + vm + "?confirm=" + name).then().statusCode(409)
                    .body("detail", containsString("assigned by an administrator"));
            as(DemoUser.ALICE).get("/api/v1/vms/" + vm).then().statusCode(200);
        } finally {
            as(DemoUser.CAROL).body(Map.of("ids", List.of(vm))).delete("/api/v1/admin/vms/assignments").then().statusCode(204);
            as(DemoUser.CAROL).delete("/api/v1/admin/hosts/" + fleet).then().statusCode(204);
        }
    }

    @Test
    void imagesMustBeOnTheirHost() {
        as(DemoUser.CAROL).body(Map.of("name", unique("ss-x"), "os", "x", "minDisk", "1G", "minMemory", "1G", "hostId", hostA,
                "pool", "images", "volume", "no-such.qcow2")).post("/api/v1/admin/images").then().statusCode(400)
                .body("errors.field", hasItem("volume"));
        as(DemoUser.CAROL).body(Map.of("name", unique("ss-x"), "os", "x", "minDisk", "1G", "minMemory", "1G", "hostId", hostA,
                "pool", "images", "volume", "debian-12.qcow2", "format", "raw")).post("/api/v1/admin/images").then().statusCode(400)
                .body("errors.field", hasItem("format"));
        as(DemoUser.ALICE).get("/api/v1/admin/images").then().statusCode(403);
    }

    @Test
    void thePagesCreateShowProgressAndDeleteWhenTheNameIsTyped() throws Exception {
        quota("1000", "1 TiB");
        var page = io.restassured.RestAssured.given().auth().oauth2(DemoUser.ALICE.token());
        page.get("/machines/new").then().statusCode(200).body(containsString("value=\"" + image + "\""))
                .body(containsString("value=\"" + acmeOnly + "\""));
        dev.berth.support.Api.form(DemoUser.ALICE).formParam("name", "Bad Name").formParam("image", image).formParam("flavour", small)
                .post("/machines/new").then().statusCode(400).body(containsString("id=\"error-name\""));
        String name = unique("pg"); // 5 or 6 base-36 characters after the prefix
        String location = dev.berth.support.Api.form(DemoUser.ALICE).formParam("name", name).formParam("image", image)
                .formParam("flavour", small).post("/machines/new").then().statusCode(303).extract().header("Location");
        assertTrue(location.matches(".*/machines/\\d+/creation"), location);
        int id = Integer.parseInt(location.replaceAll(".*/machines/(\\d+)/creation", "$1"));
        page.get("/machines/" + id + "/creation").then().statusCode(200).body(containsString("id=\"creation-steps\""));
        assertEquals("READY", ready(DemoUser.ALICE, id).getString("status"));
        page.get("/machines/" + id + "/creation/status").then().statusCode(200).body(containsString("data-status=\"READY\""))
                .body(not(containsString("hx-trigger"))); // done: it stops polling
        page.get("/machines/" + id).then().statusCode(200).body(containsString("id=\"delete-machine\""));
        page.get("/machines/" + id + "/delete").then().statusCode(200).body(containsString("Type the machine's name"));
        dev.berth.support.Api.form(DemoUser.ALICE).formParam("confirm", "not-" + name).post("/machines/" + id + "/delete")
                .then().statusCode(400).body(containsString("id=\"error-confirm\""));
        dev.berth.support.Api.form(DemoUser.ALICE).formParam("confirm", name).post("/machines/" + id + "/delete")
                .then().statusCode(303).header("Location", containsString("/machines"));
        as(DemoUser.ALICE).get("/api/v1/vms/" + id).then().statusCode(404);
        // the administrator's pages list the catalogue
        var admin = io.restassured.RestAssured.given().auth().oauth2(DemoUser.CAROL.token());
        admin.get("/admin/images").then().statusCode(200).body(containsString(image));
        admin.get("/admin/flavours").then().statusCode(200).body(containsString(acmeOnly));
        dev.berth.support.Api.form(DemoUser.CAROL).formParam("name", "x").formParam("vcpus", "many").post("/admin/flavours")
                .then().statusCode(400).body(containsString("is not a whole number"));
    }
}
