package dev.berth.web;

import static dev.berth.support.Api.form;
import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The admin forms: inline messages for bad input (nothing saved), a flash after a change, confirmation first. */
@QuarkusTest
class AdminPagesTest {
    @Test
    void aBadHostFormComesBackWithMessagesBesideTheFields() {
        form(DemoUser.CAROL).formParam("name", "").formParam("kind", "KVM").formParam("uri", "http://nope")
                .formParam("tlsKeyPem", "-----BEGIN PRIVATE KEY-----SECRET-----END PRIVATE KEY-----")
                .when().post("/admin/hosts")
                .then().statusCode(400).contentType(containsString("text/html"))
                .body(containsString("id=\"error-name\">is required</span>"))
                .body(containsString("id=\"error-uri\">must start with qemu+ssh://"))
                .body(containsString("value=\"http://nope\""))
                .body(not(containsString("SECRET")));
    }

    @Test
    void registeringAHostRedirectsWithAFlashThatShowsOnce() {
        String name = unique("kvm-page");
        String cookie = form(DemoUser.CAROL).formParam("name", name).formParam("kind", "KVM").formParam("uri", "test:///default")
                .formParam("enabled", "on")
                .when().post("/admin/hosts")
                .then().statusCode(303).header("Location", containsString("/admin/hosts"))
                .extract().cookie("berth-flash");
        String message = URLDecoder.decode(cookie, StandardCharsets.UTF_8);
        given().auth().oauth2(DemoUser.CAROL.token()).cookie("berth-flash", cookie).when().get("/admin/hosts")
                .then().statusCode(200)
                .body(containsString(message.replace("'", "&#39;")))
                .body(containsString(name))
                .header("Set-Cookie", containsString("berth-flash=; Path=/; Max-Age=0"));
    }

    @Test
    void removingAHostAsksFirst() {
        String name = unique("kvm-rm");
        form(DemoUser.CAROL).formParam("name", name).formParam("kind", "KVM").formParam("uri", "test:///default")
                .when().post("/admin/hosts").then().statusCode(303);
        int id = dev.berth.support.Api.as(DemoUser.CAROL).when().get("/api/v1/admin/hosts")
                .then().extract().path("find { it.name == '" + name + "' }.id");
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts/" + id + "/delete")
                .then().statusCode(200).body(containsString("Remove host " + name + "?")).body(containsString("id=\"confirm-delete\""));
        form(DemoUser.CAROL).when().post("/admin/hosts/" + id + "/delete").then().statusCode(303);
        dev.berth.support.Api.as(DemoUser.CAROL).when().get("/api/v1/admin/hosts/" + id).then().statusCode(404);
    }

    @Test
    void theQuotaFormAcceptsHumanUnitsAndExplainsMistakes() {
        given().auth().oauth2(DemoUser.BOB.token()).when().get("/").then().statusCode(200); // globex exists
        form(DemoUser.CAROL)
                .formParam("vms", "4").formParam("vcpus", "8").formParam("memory", "16G").formParam("buckets", "5")
                .formParam("storageSoft", "900 GiB").formParam("storageHard", "800GiB").formParam("accessKeys", "-3")
                .formParam("containerCpus", "0.5").formParam("containerMemory", "512M")
                .formParam("containerReadBps", "50M").formParam("containerWriteBps", "25M")
                .when().post("/admin/tenants/globex/quota")
                .then().statusCode(400)
                .body(containsString("id=\"error-storageSoft\">must not be larger than the hard limit (800 GiB)"))
                .body(containsString("id=\"error-accessKeys\">must not be negative"))
                .body(containsString("value=\"900 GiB\""));
        form(DemoUser.CAROL)
                .formParam("vms", "4").formParam("vcpus", "8").formParam("memory", "16G").formParam("buckets", "5")
                .formParam("storageSoft", "700 GiB").formParam("storageHard", "800GiB").formParam("accessKeys", "3")
                .formParam("containerCpus", "0.5").formParam("containerMemory", "512M")
                .formParam("containerReadBps", "50M").formParam("containerWriteBps", "0")
                .when().post("/admin/tenants/globex/quota")
                .then().statusCode(303);
        dev.berth.support.Api.as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/globex/quota").then()
                .body("storageSoft", equalTo("700 GiB")).body("containerMemory", equalTo("512 MiB"))
                .body("containerWriteBps", equalTo("0"));
    }

    @Test
    void tenantListSearchesAndPages() {
        for (int i = 0; i < 22; i++) {
            dev.berth.support.Api.as(DemoUser.CAROL).body(java.util.Map.of("slug", "page-" + i + "-" + unique("t")))
                    .when().post("/api/v1/admin/tenants").then().statusCode(201);
        }
        given().auth().oauth2(DemoUser.CAROL.token()).queryParam("q", "page-").when().get("/admin/tenants")
                .then().statusCode(200).body(containsString("id=\"page-next\"")).body(containsString("Page 1 of"));
        given().auth().oauth2(DemoUser.CAROL.token()).queryParam("q", "no-tenant-matches-this").when().get("/admin/tenants")
                .then().statusCode(200).body(containsString("No tenant matches"));
    }

    @Test
    void auditPageFiltersAndLinksTheExport() {
        given().auth().oauth2(DemoUser.CAROL.token()).queryParam("outcome", "OK").queryParam("actor", "carol").when().get("/admin/audit")
                .then().statusCode(200).body(containsString("href=\"/admin/audit/export?actor=carol&amp;outcome=OK\""));
        given().auth().oauth2(DemoUser.CAROL.token()).queryParam("from", "not-a-date").when().get("/admin/audit")
                .then().statusCode(400).body(containsString("id=\"error-from\""));
    }
}
