package dev.berth.tenancy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MeApiTest {
    @Inject
    TenantService tenants;

    @Test
    void anonymousGets401() {
        given().when().get("/api/v1/me").then().statusCode(401);
    }

    @Test
    void aForgedTokenGets401() {
        given().auth().oauth2("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl")
                .when().get("/api/v1/me").then().statusCode(401);
    }

    @Test
    void aTokenIssuedToAnotherClientGets401OnTheApiAndThePages() {
        // A genuine, correctly signed token of the same realm and user, but obtained by admin-cli for its own use.
        String foreign = given().formParam("grant_type", "password").formParam("client_id", "admin-cli")
                .formParam("username", DemoUser.ALICE.username()).formParam("password", DemoUser.ALICE.password())
                .when().post(dev.berth.support.Keycloak.realmUrl() + "/protocol/openid-connect/token")
                .then().statusCode(200).extract().path("access_token");
        given().auth().oauth2(foreign).when().get("/api/v1/me").then().statusCode(401);
        given().auth().oauth2(foreign).redirects().follow(false).when().get("/machines").then().statusCode(401);
        given().auth().oauth2(DemoUser.ALICE.token()).when().get("/api/v1/me").then().statusCode(200);
    }

    @Test
    void aliceIsInAcme() {
        given().auth().oauth2(DemoUser.ALICE.token())
                .when().get("/api/v1/me")
                .then().statusCode(200)
                .body("username", equalTo("alice"))
                .body("tenants.slug", contains("acme"))
                .body("currentTenant.slug", equalTo("acme"))
                .body("roles", not(hasItem(Roles.ADMIN)));
    }

    @Test
    void aTenantIsCreatedOnItsFirstMembersFirstSignIn() {
        // globex usually exists already (any earlier test of the run made it): it steps aside under another slug,
        // with everything it owns, so that bob's request meets a database without it.
        String away = "globex-away-" + Long.toString(System.nanoTime() % 1_000_000L, 36);
        Long old = QuarkusTransaction.requiringNew().call(() -> {
            var t = Tenant.findBySlug("globex");
            t.ifPresent(x -> x.slug = away);
            return t.map(x -> x.id).orElse(null);
        });
        try {
            java.time.Instant before = java.time.Instant.now();
            given().auth().oauth2(DemoUser.BOB.token()).when().get("/api/v1/me").then().statusCode(200)
                    .body("currentTenant.slug", equalTo("globex"));
            Tenant made = QuarkusTransaction.requiringNew().call(() -> Tenant.findBySlug("globex").orElseThrow(
                    () -> new AssertionError("no tenant globex after bob's first request")));
            assertTrue(old == null || !made.id.equals(old), "a new tenant, not the one set aside");
            assertTrue(!made.createdAt.isBefore(before.minusMillis(1)), "created by this request: " + made.createdAt + " < " + before);
            assertTrue(!made.suspended, "a new tenant is active");
        } finally {
            if (old != null) { // the new one goes (nothing refers to it yet), the old one comes back
                QuarkusTransaction.requiringNew().run(() -> {
                    Tenant.delete("slug = ?1 and id <> ?2", "globex", old);
                    Tenant.<Tenant>findById(old).slug = "globex";
                });
            }
        }
    }

    @Test
    void bobIsInGlobexAndNeverSeesAcme() {
        given().auth().oauth2(DemoUser.BOB.token())
                .when().get("/api/v1/me")
                .then().statusCode(200)
                .body("username", equalTo("bob"))
                .body("tenants.slug", contains("globex"))
                .body("currentTenant.slug", equalTo("globex"))
                .body(not(containsString("acme")));
    }

    @Test
    void bobCannotActForAcme() {
        given().auth().oauth2(DemoUser.BOB.token()).header("X-Berth-Tenant", "acme")
                .when().get("/api/v1/me")
                .then().statusCode(403)
                .contentType("application/problem+json")
                .body("status", equalTo(403))
                .body("detail", equalTo("You are not a member of tenant 'acme'."));
    }

    @Test
    void carolIsAdminWithoutTenant() {
        given().auth().oauth2(DemoUser.CAROL.token())
                .when().get("/api/v1/me")
                .then().statusCode(200)
                .body("username", equalTo("carol"))
                .body("roles", hasItem(Roles.ADMIN))
                .body("tenants", empty())
                .body("currentTenant", nullValue());
    }

    @Test
    void daveChoosesBetweenHisTenants() {
        given().auth().oauth2(DemoUser.DAVE.token())
                .when().get("/api/v1/me")
                .then().statusCode(200)
                .body("tenants.slug", contains("acme", "globex"))
                .body("currentTenant.slug", equalTo("acme"));
        given().auth().oauth2(DemoUser.DAVE.token()).header("X-Berth-Tenant", "globex")
                .when().get("/api/v1/me")
                .then().statusCode(200)
                .body("currentTenant.slug", equalTo("globex"));
    }
}
