package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.SilentServer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Machines through the API against libvirt's test driver: assignment, isolation between tenants, actions. */
@QuarkusTest
class MachinesApiTest {
    static final String VM01 = "f1ee7000-0001-4000-8000-000000000001"; // running, 2 vCPUs, 1 GiB, all virtio
    static final String VM02 = "f1ee7000-0001-4000-8000-000000000002"; // running, ide disk, e1000 NIC
    static final String VM04 = "f1ee7000-0001-4000-8000-000000000004"; // shut off; the power test starts and stops it
    static final String VM08 = "f1ee7000-0001-4000-8000-000000000008"; // shut off, left alone

    int fleet1;
    int fleet2;

    @jakarta.inject.Inject
    StatsHistory history;

    static int registerKvm(String file) {
        var body = Map.of("name", unique(file.replace(".xml", "")), "kind", "KVM",
                "uri", "test://" + Path.of("src/test/resources/libvirt", file).toAbsolutePath());
        return as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
    }

    static void generousQuota(String tenant) {
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 10);
        q.put("storageSoft", "1T"); q.put("storageHard", "2T"); q.put("accessKeys", 10); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
    }

    static List<Integer> assign(String tenant, int host, String... uuids) {
        var domains = java.util.Arrays.stream(uuids).map(u -> Map.of("hostId", host, "uuid", u)).toList();
        return as(DemoUser.CAROL).body(Map.of("tenant", tenant, "domains", domains)).when().post("/api/v1/admin/vms/assignments")
                .then().statusCode(201).extract().path("ids");
    }

    @BeforeEach
    void hosts() {
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        generousQuota("acme");
        fleet1 = registerKvm("fleet-1.xml");
        fleet2 = registerKvm("fleet-2.xml");
    }

    @Test
    void discoveryFindsEveryDomainOnEveryHost() {
        as(DemoUser.CAROL).when().get("/api/v1/admin/vms").then().statusCode(200)
                .body("domains.findAll { it.hostId == " + fleet1 + " }", hasSize(12))
                .body("domains.findAll { it.hostId == " + fleet2 + " }", hasSize(10))
                .body("domains.find { it.uuid == '" + VM08 + "' && it.hostId == " + fleet1 + " }.state", equalTo("SHUTOFF"))
                .body("domains.find { it.uuid == '" + VM01 + "' && it.hostId == " + fleet1 + " }.state", equalTo("RUNNING"));
        as(DemoUser.CAROL).queryParam("name", "fleet2-vm0").when().get("/api/v1/admin/vms").then().statusCode(200)
                .body("domains.name", hasItem("fleet2-vm01")).body("domains.name", not(hasItem("fleet1-vm01")));
    }

    @Test
    void aliceSeesExactlyHerMachinesAcrossHostsAndBobNone() {
        List<Integer> ids = assign("acme", fleet1, VM01, VM02);
        List<Integer> more = assign("acme", fleet2, "f1ee7000-0002-4000-8000-000000000001");
        Instant asked = Instant.now();
        String stateAt = as(DemoUser.ALICE).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                .extract().path("items.find { it.id == " + ids.get(0) + " }.stateAt");
        // The host's answer may be shared for berth.compute.list-max-age (1 s), never older
        Instant reported = Instant.parse(stateAt);
        assertTrue(!reported.isBefore(asked.minusSeconds(1).minusMillis(1)) && !reported.isAfter(Instant.now()), stateAt);
        // the list page says it too, as a <time> a person can hover for the exact moment
        String page = io.restassured.RestAssured.given().auth().oauth2(DemoUser.ALICE.token()).queryParam("size", 500)
                .get("/machines").then().statusCode(200).extract().asString();
        java.util.regex.Matcher said = java.util.regex.Pattern.compile("id=\"machine-" + ids.get(0)
                + "-state-at\">reported <time class=\"berth-time\" datetime=\"([^\"]+)\"").matcher(page);
        assertTrue(said.find(), "no reported time for machine " + ids.get(0));
        Instant shown = Instant.parse(said.group(1));
        assertTrue(!shown.isBefore(asked.minusSeconds(2)) && !shown.isAfter(Instant.now()), said.group(1));
        as(DemoUser.ALICE).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                .body("items.id", hasItems(ids.get(0), ids.get(1), more.get(0)))
                .body("items.find { it.id == " + ids.get(0) + " }.name", equalTo("fleet1-vm01"))
                .body("items.find { it.id == " + ids.get(0) + " }.state", equalTo("RUNNING"))
                // running when Berth first saw it: the uptime is a lower bound
                .body("items.find { it.id == " + ids.get(0) + " }.runningSince", notNullValue())
                .body("items.find { it.id == " + ids.get(0) + " }.runningSinceExact", equalTo(false));
        as(DemoUser.BOB).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                .body("items.id", not(hasItem(ids.get(0))));
        // bob: alice's machine answers exactly like one that does not exist
        var foreign = as(DemoUser.BOB).when().get("/api/v1/vms/" + ids.get(0)).then().statusCode(404).extract();
        var unknown = as(DemoUser.BOB).when().get("/api/v1/vms/99999999").then().statusCode(404).extract();
        assertEquals(unknown.path("title"), (Object) foreign.path("title"));
        assertEquals("There is no machine " + ids.get(0) + ".", foreign.path("detail"));
        as(DemoUser.BOB).when().post("/api/v1/vms/" + ids.get(0) + "/actions/poweroff").then().statusCode(404);
        as(DemoUser.BOB).when().get("/api/v1/vms/" + ids.get(0) + "/stats").then().statusCode(404);
        given().when().get("/api/v1/vms").then().statusCode(401);
        // Exactly this test's three refusals (read, poweroff, stats) on this machine; the unknown id is not one.
        as(DemoUser.CAROL).queryParam("actor", "bob").queryParam("outcome", "DENIED").queryParam("action", "vm.access")
                .queryParam("size", 500).when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.findAll { it.target == 'machine " + ids.get(0) + "' }", hasSize(3))
                .body("items.findAll { it.target == 'machine 99999999' }", hasSize(0));
    }

    @Test
    void powerActionsFollowTheStateAndAreAudited() {
        int id = assign("acme", fleet1, VM04).get(0);
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/shutdown").then().statusCode(409)
                .body("detail", equalTo("fleet1-vm04 is shut off; only a running machine can be shut down."));
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                .body("machine.state", equalTo("SHUTOFF")).body("machine.runningSince", nullValue());
        // Started by Berth: the uptime is exact from now on, and the detail remembers the instant of the start.
        Instant before = Instant.now();
        String started = as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(200)
                .body("state", equalTo("RUNNING")).body("runningSinceExact", equalTo(true))
                .extract().path("runningSince");
        Instant after = Instant.now();
        Instant since = Instant.parse(started);
        assertTrue(!since.isBefore(before.minusMillis(1)) && !since.isAfter(after),
                "runningSince " + since + " must lie within the start call [" + before + ", " + after + "]");
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                .body("machine.runningSince", equalTo(started)).body("machine.runningSinceExact", equalTo(true));
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(409)
                .body("detail", containsString("is running"));
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().statusCode(200).body("now.vcpus", equalTo(1));
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/poweroff").then().statusCode(200).body("state", equalTo("SHUTOFF"))
                .body("runningSince", nullValue());
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).body("machine.runningSince", nullValue());
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/dance").then().statusCode(400)
                .body("errors[0].field", equalTo("action"));
        as(DemoUser.CAROL).queryParam("actor", "alice").queryParam("action", "vm.").queryParam("tenant", "acme").queryParam("size", 500)
                .when().get("/api/v1/admin/audit").then().statusCode(200)
                .body("items.action", hasItems("vm.start", "vm.poweroff", "vm.shutdown"));
    }

    @Test
    void detailShowsFactsAndTuningAdvice() {
        int id = assign("acme", fleet1, VM02).get(0);
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200)
                .body("machine.name", equalTo("fleet1-vm02"))
                .body("detail.disks.bus", hasItem("ide"))
                .body("detail.nics.model", hasItem("e1000"))
                .body("advice.problem", hasItems("on the emulated IDE bus", "model e1000"));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/machines/" + id).then().statusCode(200)
                .body(containsString("id=\"advice\"")).body(containsString("on the emulated IDE bus"))
                .body(containsString("id=\"action-start\""));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/machines/advice").then().statusCode(200)
                .body(containsString("fleet1-vm02")).body(containsString("on the emulated IDE bus"));
        given().auth().oauth2(DemoUser.BOB.token()).when().get("/machines/advice").then().statusCode(200)
                .body(not(containsString("fleet1-vm02")));
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/vms/advice").then().statusCode(200)
                .body(containsString("fleet1-vm11")).body(containsString("cache mode writethrough"));
    }

    @Test
    void statsAreSampledIntoAnHourOfHistoryAndDrawn() throws InterruptedException {
        int id = assign("acme", fleet1, "f1ee7000-0001-4000-8000-000000000006").get(0);
        history.sampleAll();
        Thread.sleep(1100); // two samples must be apart in time to give a rate
        history.sampleAll();
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().statusCode(200)
                .body("now.vcpus", equalTo(3))
                .body("lastHour", hasSize(greaterThanOrEqualTo(1)));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/machines/" + id + "/graphs").then().statusCode(200)
                .body(containsString("<polyline")).body(containsString("<strong>CPU</strong>: <span class=\"berth-graph-latest\">"));
        given().auth().oauth2(DemoUser.BOB.token()).when().get("/machines/" + id + "/graphs").then().statusCode(404);
    }

    @Test
    void quotaIsCheckedBeforeAnythingIsAssigned() {
        var q = new HashMap<String, Object>();
        q.put("vms", 1); q.put("vcpus", 2); q.put("memory", "1 GiB"); q.put("buckets", 1);
        q.put("storageSoft", "1G"); q.put("storageHard", "1G"); q.put("accessKeys", 1); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        String tenant = unique("small");
        as(DemoUser.CAROL).body(Map.of("slug", tenant)).when().post("/api/v1/admin/tenants").then().statusCode(201);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
        var domains = List.of(Map.of("hostId", fleet2, "uuid", "f1ee7000-0002-4000-8000-000000000002"),
                Map.of("hostId", fleet2, "uuid", "f1ee7000-0002-4000-8000-000000000003"));
        as(DemoUser.CAROL).body(Map.of("tenant", tenant, "domains", domains)).when().post("/api/v1/admin/vms/assignments")
                .then().statusCode(409).body("detail", containsString("would have 2 machines (quota 1)"));
        as(DemoUser.CAROL).queryParam("assigned", true).queryParam("host", "").when().get("/api/v1/admin/vms").then()
                .body("domains.findAll { it.tenant == '" + tenant + "' }", hasSize(0));
        as(DemoUser.CAROL).body(Map.of("tenant", tenant, "domains", List.of(Map.of("hostId", fleet2, "uuid", "no-such-uuid"))))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(400).body("errors[0].field", equalTo("domains"));
    }

    @Test
    void aMachineWhoseDomainDisappearedIsMissingNotAnError() {
        int id = assign("acme", fleet2, "f1ee7000-0002-4000-8000-000000000009").get(0);
        // The host now points at another definition in which that domain does not exist.
        var body = new HashMap<String, Object>(as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + fleet2).then().extract().path(""));
        as(DemoUser.CAROL).body(Map.of("name", body.get("name"), "kind", "KVM",
                        "uri", "test://" + Path.of("src/test/resources/libvirt/fleet-3.xml").toAbsolutePath()))
                .when().put("/api/v1/admin/hosts/" + fleet2).then().statusCode(200);
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).body("machine.missing", equalTo(true));
        given().auth().oauth2(DemoUser.ALICE.token()).queryParam("state", "missing").when().get("/machines").then().statusCode(200)
                .body(containsString("missing"));
    }

    @Test
    @Timeout(60) // a hang guard, not a measurement
    void aHostThatHangsShowsItsMachinesAsStateUnknown() throws Exception {
        try (var silent = new SilentServer()) {
            var body = Map.of("name", unique("kvm-hang"), "kind", "KVM", "uri", "qemu+tcp://127.0.0.1:" + silent.port() + "/system");
            int host = as(DemoUser.CAROL).body(body).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            long tenantId = QuarkusTransaction.requiringNew().call(() -> dev.berth.tenancy.Tenant.findBySlug("acme").orElseThrow().id);
            long id = QuarkusTransaction.requiringNew().call(() -> {
                var a = new VmAssignment(); // assigned while the host still answered
                a.tenantId = tenantId;
                a.hostId = (long) host;
                a.domainUuid = "aaaaaaaa-0000-4000-8000-000000000001";
                a.name = "stuck-1";
                a.vcpus = 1;
                a.memoryBytes = 1L << 30;
                a.assignedAt = Instant.now();
                a.assignedBy = "test";
                a.persist();
                return a.id;
            });
            assign("acme", fleet1, "f1ee7000-0001-4000-8000-000000000005");
            as(DemoUser.ALICE).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                    .body("items.find { it.id == " + id + " }.state", equalTo("UNKNOWN"))
                    .body("items.find { it.id == " + id + " }.note", containsString("timed out"))
                    .body("items.find { it.name == 'fleet1-vm05' }.state", equalTo("RUNNING"));
            as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/start").then().statusCode(409)
                    .body("detail", containsString("does not answer"));
        }
    }

    @Test
    void aHostWithAssignedMachinesIsNotRemoved() {
        int id = assign("acme", fleet2, "f1ee7000-0002-4000-8000-000000000004").get(0);
        as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + fleet2).then().statusCode(409)
                .body("detail", containsString("VM fleet2-vm04 of tenant acme"));
        as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + fleet2).then().statusCode(200); // still there
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).body("machine.state", equalTo("SHUTOFF"));
        // without its machines it goes
        as(DemoUser.CAROL).body(Map.of("ids", List.of(id))).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
        as(DemoUser.CAROL).when().delete("/api/v1/admin/hosts/" + fleet2).then().statusCode(204);
        as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + fleet2).then().statusCode(404);
    }

    @Test
    void unassigningAMachineEndsTheTenantsAccess() {
        int id = assign("acme", fleet1, "f1ee7000-0001-4000-8000-000000000003").get(0);
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(200).body("machine.name", equalTo("fleet1-vm03"));
        as(DemoUser.CAROL).body(Map.of("ids", List.of(id))).when().delete("/api/v1/admin/vms/assignments").then().statusCode(204);
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id).then().statusCode(404)
                .body("detail", equalTo("There is no machine " + id + "."));
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + id + "/actions/poweroff").then().statusCode(404);
        as(DemoUser.ALICE).when().get("/api/v1/vms/" + id + "/stats").then().statusCode(404);
        as(DemoUser.ALICE).queryParam("size", 500).when().get("/api/v1/vms").then().statusCode(200)
                .body("items.id", not(hasItem(id)));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/machines/" + id).then().statusCode(404);
        // the domain itself is untouched on its host, only no longer acme's
        as(DemoUser.CAROL).when().get("/api/v1/admin/vms").then().statusCode(200)
                .body("domains.find { it.uuid == 'f1ee7000-0001-4000-8000-000000000003' && it.hostId == " + fleet1 + " }.state",
                        equalTo("RUNNING"))
                .body("domains.find { it.uuid == 'f1ee7000-0001-4000-8000-000000000003' && it.hostId == " + fleet1 + " }.tenant",
                        nullValue());
    }
}
