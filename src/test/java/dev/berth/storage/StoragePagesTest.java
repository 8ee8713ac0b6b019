package dev.berth.storage;

import static dev.berth.support.Api.form;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.hosts.HostService;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tenant's Storage page with its polled status part, and the admin pages with the typed confirmation. */
@QuarkusTest
class StoragePagesTest {
    @Inject
    HostService hosts;
    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;

    @BeforeEach
    void clean() {
        StorageFixtures.localDockerHost(hosts);
        StorageFixtures.removeInstances(storage, reconciler, "acme");
    }

    @AfterEach
    void cleanAfter() {
        StorageFixtures.removeInstances(storage, reconciler, "acme");
    }

    @Test
    @Timeout(180)
    void aliceActivatesFromThePageAndTheStatusPartStopsPollingWhenReady() {
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/storage").then().statusCode(200)
                .body(containsString("id=\"activate-storage\""))
                .body(containsString("Storage is not activated"));

        String fragment = form(DemoUser.ALICE).header("HX-Request", "true").when().post("/storage/activate")
                .then().statusCode(200).extract().asString();
        assertTrue(fragment.contains("Storage is being activated."), fragment);
        assertTrue(fragment.contains("hx-trigger=\"every 1s\""), "polls while on its way");

        form(DemoUser.ALICE).when().post("/storage/activate").then().statusCode(303); // without JavaScript: a redirect
        reconciler.kick(storage.of("acme").id()).join();

        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/storage/status").then().statusCode(200)
                .body(containsString("data-status=\"READY\""))
                .body(not(containsString("hx-trigger")))
                .body(containsString("id=\"storage-endpoint\">https://127.0.0.1:"));
        given().auth().oauth2(DemoUser.BOB.token()).when().get("/storage").then().statusCode(200)
                .body(not(containsString("acme")));
    }

    @Test
    void erinIsToldWhyThereIsNoStorageAndCarolIsSentToTheAdminList() {
        given().auth().oauth2(DemoUser.ERIN.token()).when().get("/storage").then().statusCode(200)
                .body(containsString("id=\"no-tenant\""));
        given().auth().oauth2(DemoUser.CAROL.token()).redirects().follow(false).when().get("/storage")
                .then().statusCode(303).header("Location", containsString("/admin/storage"));
    }

    @Test
    @Timeout(180)
    void carolDeletesOnlyAfterTypingTheTenantsName() {
        form(DemoUser.ALICE).when().post("/storage/activate").then().statusCode(303);
        long id = storage.of("acme").id();
        reconciler.kick(id).join();

        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/storage").then().statusCode(200)
                .body(containsString("id=\"instance-" + id + "\""))
                .body(containsString("id=\"tab-storage\""));
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/storage/" + id + "/delete").then().statusCode(200)
                .body(containsString("Type <strong>acme</strong> to confirm"));

        form(DemoUser.CAROL).formParam("data", "delete").formParam("confirm", "acm").when()
                .post("/admin/storage/" + id + "/delete").then().statusCode(400)
                .body(containsString("type the tenant&#39;s name exactly: acme"));
        assertEquals(1, DockerCli.containers("berth.tenant=acme").size());

        form(DemoUser.CAROL).formParam("data", "delete").formParam("confirm", "acme").when()
                .post("/admin/storage/" + id + "/delete").then().statusCode(303);
        assertEquals(0, DockerCli.containers("berth.tenant=acme").size());
    }
}
