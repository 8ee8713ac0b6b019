package dev.berth.storage;

import static dev.berth.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.berth.hosts.HostService;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.DockerCli;
import dev.berth.tenancy.TenantService;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The storage API as alice (acme), bob (globex) and carol (admin) use it, against the real engine and MinIO. */
@QuarkusTest
class StorageApiTest {
    @Inject
    HostService hosts;
    @Inject
    StorageService storage;
    @Inject
    TenantService tenants;
    @Inject
    InstanceDirectory directory;
    @Inject
    Reconciler reconciler;

    @BeforeEach
    void clean() {
        StorageFixtures.localDockerHost(hosts);
        StorageFixtures.removeInstances(storage, reconciler, "acme", "globex");
    }

    @AfterEach
    void cleanAfter() {
        StorageFixtures.removeInstances(storage, reconciler, "acme", "globex");
    }

    /** Polls as a client would until the instance stops changing by itself. */
    private static JsonPath settled(DemoUser user) throws InterruptedException {
        for (int i = 0; ; i++) {
            JsonPath now = as(user).when().get("/api/v1/storage").then().statusCode(200).extract().jsonPath();
            if (!now.getBoolean("inProgress") || i > 600) {
                return now;
            }
            Thread.sleep(200);
        }
    }

    @Test
    @Timeout(240)
    void aliceAndBobEachGetTheirOwnInstance() throws Exception {
        // before activation the limits shown are the tenant's quota, not defaults of the page
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200); // acme exists from alice's first request on
        var quota = tenants.quota("acme");
        JsonPath before = as(DemoUser.ALICE).when().get("/api/v1/storage").then().statusCode(200)
                .body("status", equalTo("NOT_ACTIVATED")).extract().jsonPath();
        assertEquals(quota.containerMemoryBytes(), before.getLong("limits.memoryBytes"));
        assertEquals(quota.containerMilliCpus() / 1000.0, before.getDouble("limits.cpus"), 1e-9);

        String created = as(DemoUser.ALICE).when().post("/api/v1/storage").then().statusCode(202)
                .header("Location", containsString("/api/v1/storage"))
                .body("tenant", equalTo("acme")).extract().asString();
        as(DemoUser.ALICE).when().post("/api/v1/storage").then().statusCode(200); // once is enough
        as(DemoUser.BOB).when().post("/api/v1/storage").then().statusCode(202).body("tenant", equalTo("globex"));

        JsonPath alice = settled(DemoUser.ALICE);
        JsonPath bob = settled(DemoUser.BOB);
        assertEquals("READY", alice.getString("status"), alice.prettify());
        assertEquals("READY", bob.getString("status"), bob.prettify());
        assertNotEquals(alice.getString("endpoint"), bob.getString("endpoint"));
        assertEquals(List.of("done", "done", "done", "done", "done"), alice.getList("steps.state"));

        InstanceAccess a = directory.readyInstance(tenants.idOf("acme")).orElseThrow();
        InstanceAccess b = directory.readyInstance(tenants.idOf("globex")).orElseThrow();
        assertNotEquals(a.rootUser(), b.rootUser());
        assertNotEquals(a.rootPassword(), b.rootPassword());
        assertEquals(List.of(InstanceSpec.containerName(DockerCli.TEST_SCOPE, "acme")), DockerCli.containers("berth.tenant=acme"));
        assertEquals(List.of(InstanceSpec.containerName(DockerCli.TEST_SCOPE, "globex")), DockerCli.containers("berth.tenant=globex"));
        assertFalse(created.contains(a.rootPassword()) || alice.prettify().contains(a.rootPassword()), "never the root password");

        StorageFixtures.put(a, "acme-data", "only-acme", "acme's");
        var bobWithAcmesObject = new InstanceAccess(b.tenantId(), b.endpoint(), b.rootUser(), b.rootPassword());
        assertEquals("NoSuchBucket", S3.outcome(() -> StorageFixtures.get(bobWithAcmesObject, "acme-data", "only-acme")),
                "globex's instance has no acme data");
        var acmesRootOnGlobex = new InstanceAccess(b.tenantId(), b.endpoint(), a.rootUser(), a.rootPassword());
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> StorageFixtures.get(acmesRootOnGlobex, "acme-data", "only-acme")),
                "acme's root is unknown to globex's instance");

        var dockerHosts = hosts.list().stream().filter(h -> h.kind() == dev.berth.hosts.HostKind.DOCKER && h.enabled())
                .map(dev.berth.hosts.HostView::name).toList();
        // Orphans are reported as the reconciler last saw them: a pass from before this class recreated globex's
        // instance still shows the container of the instance an earlier class removed. One pass now, then look.
        reconciler.reconcileAll();
        as(DemoUser.CAROL).queryParam("size", 500).when().get("/api/v1/admin/storage").then().statusCode(200)
                .body("items.tenant", hasItem("acme"))
                .body("items.tenant", hasItem("globex"))
                // placed on one of the enabled Docker hosts (other test classes register this engine too)
                .body("items.find { it.tenant == 'acme' }.host", org.hamcrest.Matchers.in(dockerHosts))
                .body("items.find { it.tenant == 'acme' }.port", equalTo(Integer.parseInt(a.endpoint().substring(a.endpoint().lastIndexOf(':') + 1))))
                // ready for seconds or minutes by now: the uptime the page shows, in its own format
                .body("items.find { it.tenant == 'acme' }.uptime", org.hamcrest.Matchers.matchesPattern("\\d+ (s|min)"))
                .body("total", org.hamcrest.Matchers.greaterThanOrEqualTo(2))
                .body("orphans.findAll { it.tenant == 'acme' || it.tenant == 'globex' }", org.hamcrest.Matchers.hasSize(0));
    }

    @Test
    @Timeout(240)
    void carolSuspendsResumesAndDeletesWithConfirmation() throws Exception {
        as(DemoUser.ALICE).when().post("/api/v1/storage").then().statusCode(202);
        long id = settledId();

        as(DemoUser.CAROL).when().post("/api/v1/admin/storage/" + id + "/suspend").then().statusCode(200)
                .body("status", equalTo("SUSPENDED")).body("suspended", equalTo(true));
        as(DemoUser.ALICE).when().get("/api/v1/storage").then().body("status", equalTo("SUSPENDED"));
        as(DemoUser.CAROL).when().post("/api/v1/admin/storage/" + id + "/resume").then().statusCode(200)
                .body("suspended", equalTo(false));
        assertEquals("READY", settled(DemoUser.ALICE).getString("status"));
        as(DemoUser.CAROL).when().post("/api/v1/admin/storage/" + id + "/reboot").then().statusCode(404)
                .contentType(containsString("application/problem+json"));

        as(DemoUser.CAROL).when().delete("/api/v1/admin/storage/" + id).then().statusCode(400)
                .contentType(containsString("application/problem+json")).body("errors[0].field", equalTo("data"));
        as(DemoUser.CAROL).queryParam("data", "delete").queryParam("confirm", "globex")
                .when().delete("/api/v1/admin/storage/" + id).then().statusCode(400)
                .body("errors[0].field", equalTo("confirm"));
        assertEquals(1, DockerCli.containers("berth.tenant=acme").size(), "nothing deleted on bad input");

        as(DemoUser.CAROL).queryParam("data", "delete").queryParam("confirm", "acme")
                .when().delete("/api/v1/admin/storage/" + id).then().statusCode(204);
        as(DemoUser.ALICE).when().get("/api/v1/storage").then().body("status", equalTo("NOT_ACTIVATED"));
        assertEquals(List.of(), DockerCli.containers("berth.tenant=acme"));
        assertFalse(DockerCli.volumeExists(InstanceSpec.volumeName(DockerCli.TEST_SCOPE, "acme")));
        as(DemoUser.CAROL).queryParam("data", "delete").queryParam("confirm", "acme")
                .when().delete("/api/v1/admin/storage/" + id).then().statusCode(404);
    }

    private long settledId() throws InterruptedException {
        JsonPath v = settled(DemoUser.ALICE);
        assertEquals("READY", v.getString("status"), v.prettify());
        return v.getLong("id");
    }
}
