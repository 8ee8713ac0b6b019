package dev.berth.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.endsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PagesTest {
    @TestHTTPResource("/")
    java.net.URL base;
    int port;

    @BeforeEach
    void port() {
        port = base.getPort();
    }
    @Test
    void aliceSeesAcmeAndNoAdminLink() {
        Storage.remove("acme"); // whatever an earlier test class left: acme has no storage here
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/")
                .then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("id=\"dashboard-tenant\">acme</strong>"))
                .body(containsString("id=\"card-machines\""))
                .body(containsString("No storage yet"))
                .body(containsString("id=\"card-storage-activate\""))
                .body(not(containsString("id=\"nav-admin\"")));
    }

    @Test
    void theStorageCardShowsTheInstanceAndItsBuckets() {
        Storage.ready("globex");
        try {
            String bucket = dev.berth.support.Api.unique("card");
            Storage.bucket(DemoUser.BOB, bucket);
            given().auth().oauth2(DemoUser.BOB.token()).when().get("/")
                    .then().statusCode(200)
                    .body(not(containsString("No storage yet")))
                    .body(containsString("id=\"card-storage-status\""))
                    .body(containsString("Ready"))
                    .body(containsString("href=\"/storage/buckets\" id=\"card-storage-buckets-link\""))
                    .body(containsString("href=\"/storage\" id=\"card-storage-link\""));
            String card = given().auth().oauth2(DemoUser.BOB.token()).when().get("/").then().extract().asString();
            int buckets = dev.berth.support.Api.as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(200)
                    .extract().path("items.size()");
            org.junit.jupiter.api.Assertions.assertTrue(card.contains(">" + buckets + " bucket" + (buckets == 1 ? "" : "s") + ", "),
                    "bucket count " + buckets + " on the card");
            Storage.suspend("globex");
            given().auth().oauth2(DemoUser.BOB.token()).when().get("/")
                    .then().statusCode(200)
                    .body(containsString("id=\"card-storage-status\""))
                    .body(not(containsString("id=\"card-storage-buckets-link\"")));
        } finally {
            Storage.remove("globex");
        }
    }

    @Test
    void bobNeverSeesAcme() {
        given().auth().oauth2(DemoUser.BOB.token()).when().get("/")
                .then().statusCode(200)
                .body(containsString("id=\"dashboard-tenant\">globex</strong>"))
                .body(not(containsString("acme")));
    }

    @Test
    void carolSeesTheAdminSection() {
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/")
                .then().statusCode(200)
                .body(containsString("id=\"nav-admin\""))
                .body(containsString("id=\"dashboard-admin-only\""));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/api/v1/me").then().statusCode(200);
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin")
                .then().statusCode(200)
                .body(containsString("Administration"))
                .body(containsString("<td class=\"pf-v5-c-table__td\">acme</td>"));
    }

    @Test
    void aUserWithoutTenantIsToldSo() {
        given().auth().oauth2(DemoUser.ERIN.token()).when().get("/")
                .then().statusCode(200)
                .body(containsString("id=\"no-tenant\""))
                .body(containsString("You do not belong to a tenant"));
        given().auth().oauth2(DemoUser.ERIN.token()).when().get("/machines")
                .then().statusCode(200).body(containsString("id=\"no-tenant\""));
    }

    /** Menu items a role can use, and only those: tenant items lead nowhere without a tenant, Admin only for admins. */
    @Test
    void theMenuFollowsTheRole() {
        assertEquals(List.of("nav-dashboard", "nav-machines", "nav-storage", "nav-buckets", "nav-usage"), menu(DemoUser.ALICE, "/"));
        assertEquals(List.of("nav-dashboard", "nav-admin"), menu(DemoUser.CAROL, "/"));
        assertEquals(List.of("nav-dashboard"), menu(DemoUser.ERIN, "/"));
        assertEquals(List.of("nav-dashboard", "nav-machines", "nav-storage", "nav-buckets", "nav-usage"), menu(DemoUser.DAVE, "/machines"));
        String page = given().auth().oauth2(DemoUser.ALICE.token()).when().get("/storage/buckets").then().statusCode(200).extract().asString();
        assertTrue(page.contains("href=\"/storage/buckets\" class=\"pf-v5-c-nav__link pf-m-current\" id=\"nav-buckets\" aria-current=\"page\""), page);
        assertTrue(page.contains("class=\"pf-v5-c-nav__link\" id=\"nav-storage\">"), "only the deepest section is current");
    }

    private static List<String> menu(DemoUser user, String path) {
        String page = given().auth().oauth2(user.token()).when().get(path).then().statusCode(200).extract().asString();
        var ids = new java.util.ArrayList<String>();
        var m = java.util.regex.Pattern.compile("class=\"pf-v5-c-nav__link[^\"]*\" id=\"(nav-[a-z]+)\"").matcher(page);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    @Test
    void switchingTenantStaysInTheSection() {
        for (String section : List.of("/machines", "/storage", "/storage/buckets", "/usage", "/")) {
            Api.form(DemoUser.DAVE).formParam("slug", "globex").formParam("return", section).when().post("/tenant")
                    .then().statusCode(303).header("Location", endsWith("://localhost:" + port + section));
        }
        // Never anywhere else: not another site, not a resource of the tenant just left.
        for (String elsewhere : List.of("https://attacker.invalid/", "//attacker.invalid", "/machines/42", "/admin", "")) {
            Api.form(DemoUser.DAVE).formParam("slug", "globex").formParam("return", elsewhere).when().post("/tenant")
                    .then().statusCode(303).header("Location", endsWith("://localhost:" + port + "/"));
        }
        String page = given().auth().oauth2(DemoUser.DAVE.token()).when().get("/storage/buckets").then().statusCode(200).extract().asString();
        assertTrue(page.contains("<input type=\"hidden\" name=\"return\" value=\"/storage/buckets\">"), "the switcher says where to return");
    }

    @Test
    void daveSwitchesTenantAndTheChoiceIsRemembered() {
        String cookie = given().auth().oauth2(DemoUser.DAVE.token()).redirects().follow(false)
                .contentType("application/x-www-form-urlencoded").formParam("slug", "globex")
                .when().post("/tenant")
                .then().statusCode(303).header("Location", startsWith("http"))
                .extract().cookie("berth-tenant");
        given().auth().oauth2(DemoUser.DAVE.token()).cookie("berth-tenant", cookie).when().get("/")
                .then().statusCode(200)
                .body(containsString("id=\"dashboard-tenant\">globex</strong>"))
                .body(containsString("id=\"tenant-switch\""));
    }

    @Test
    void aliceCannotSwitchIntoGlobex() {
        given().auth().oauth2(DemoUser.ALICE.token()).redirects().follow(false)
                .contentType("application/x-www-form-urlencoded").formParam("slug", "globex")
                .when().post("/tenant")
                .then().statusCode(403).contentType(containsString("text/html"))
                .body(containsString("not a member of tenant"));
    }

    @Test
    void aStaleTenantCookieFallsBackToAMembership() {
        given().auth().oauth2(DemoUser.ALICE.token()).cookie("berth-tenant", "globex").when().get("/")
                .then().statusCode(200)
                .body(containsString("id=\"dashboard-tenant\">acme</strong>"))
                .body(not(containsString("globex")));
    }

    @Test
    void aCrossSiteFormPostIsRefused() {
        given().auth().oauth2(DemoUser.DAVE.token()).redirects().follow(false)
                .header("Origin", "http://attacker.invalid")
                .contentType("application/x-www-form-urlencoded").formParam("slug", "globex")
                .when().post("/tenant")
                .then().statusCode(403);
    }

    @Test
    void unknownPagesAndApiPathsAnswerAClear404() {
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/no/such/page")
                .then().statusCode(404).contentType(containsString("text/html"))
                .body(containsString("Not Found")).body(containsString("Request id"))
                .body(not(containsString("Unable to find matching target resource method")));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/api/v1/no-such-thing")
                .then().statusCode(404).contentType("application/problem+json")
                .body("status", equalTo(404)).body("title", equalTo("Not Found"));
    }

    /** Error pages keep the frame: header, the user's menu, a main landmark, a way back and the request id. */
    @Test
    void errorPagesRenderInsideTheLayout() {
        for (String path : List.of("/no/such/page", "/machines/999999999", "/admin")) {
            var r = given().auth().oauth2(DemoUser.ALICE.token()).accept("text/html").when().get(path).then()
                    .contentType(containsString("text/html")).extract();
            assertTrue(r.statusCode() == 404 || r.statusCode() == 403, path + " " + r.statusCode());
            String page = r.asString();
            assertTrue(page.contains("<main class=\"pf-v5-c-page__main\""), path + ": main landmark");
            assertTrue(page.contains("id=\"nav-machines\""), path + ": alice's menu in " + page);
            assertTrue(page.contains("id=\"username\">alice<"), path + ": who is signed in");
            assertTrue(page.contains("id=\"error-back\""), path + ": a way back");
            assertTrue(page.contains("id=\"error-request-id\">" + r.header("X-Request-Id") + "<"), path + ": the request id");
        }
        // Without anyone signed in the frame is there too, with nothing that needs a user.
        String page = given().accept("text/html").when().get("/static/no-such-file.css").then().statusCode(404).extract().asString();
        assertTrue(page.contains("<main class=\"pf-v5-c-page__main\""), page);
        assertFalse(page.contains("id=\"sign-out\""), page);
    }

    @Test
    void badApiInputIsAProblemNamingTheField() {
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/api/v1/admin/tenants?size=0")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem("size"));
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/api/v1/admin/tenants?page=abc")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void forbiddenAdminApiIsAProblem() {
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/api/v1/admin/tenants")
                .then().statusCode(403).contentType("application/problem+json").body("status", equalTo(403));
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/admin")
                .then().statusCode(403).contentType(containsString("text/html"))
                .body(containsString("You do not have access"));
    }

    @Test
    void healthReadinessIncludesTheDatabase() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem(containsString("Database")));
    }

    @Test
    void openApiDocumentsTheApi() {
        given().when().get("/q/openapi?format=json")
                .then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/me"))
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/admin/tenants"));
        given().when().get("/q/swagger-ui/").then().statusCode(200);
    }
}
