package dev.berth.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import dev.berth.support.Keycloak;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URL;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.Cookie;

/**
 * Cross-site request forgery on a real browser session: the session cookie comes from signing in through Keycloak's
 * form in Chromium, then each request carries it as a browser would, with or without Origin and Referer. A state
 * change must name this portal; bearer-token requests (not forgeable) are left alone; sign-out is a same-origin POST.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SameOriginTest {
    @TestHTTPResource("/")
    URL portal;

    Map<String, String> session;
    String self;

    @BeforeAll
    void signIn() throws Exception {
        self = portal.getProtocol() + "://" + portal.getHost() + ":" + portal.getPort();
        session = aliceSession();
    }

    private Map<String, String> aliceSession() throws Exception {
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            b.open("/");
            Map<String, String> cookies = new HashMap<>();
            for (Cookie c : b.driver.manage().getCookies()) {
                cookies.put(c.getName(), c.getValue());
            }
            assertTrue(cookies.keySet().stream().anyMatch(n -> n.startsWith("q_session")), "a session cookie: " + cookies.keySet());
            return cookies;
        }
    }

    private RequestSpecification browser(Map<String, String> cookies) {
        return given().redirects().follow(false).cookies(cookies);
    }

    /** alice switching to her own tenant: allowed (303) once the request is known to come from a Berth page. */
    private Response switchTenant(Map<String, String> headers) {
        return browser(session).headers(headers).contentType("application/x-www-form-urlencoded")
                .formParam("slug", "acme").when().post("/tenant");
    }

    @Test
    void theSessionWorks() {
        browser(session).when().get("/").then().statusCode(200).body(containsString("id=\"dashboard-tenant\">acme<"));
    }

    @Test
    void aFormPostWithNeitherOriginNorRefererIsRefusedAndAudited() {
        switchTenant(Map.of()).then().statusCode(403).contentType(containsString("text/html"))
                .body(containsString("neither Origin nor Referer"));
        List<Map<String, Object>> denied = Api.as(DemoUser.CAROL).queryParam("actor", "alice").queryParam("outcome", "DENIED")
                .queryParam("size", 200).when().get("/api/v1/admin/audit").then().statusCode(200).extract().path("items");
        assertTrue(denied.stream().anyMatch(e -> "POST /tenant".equals(e.get("target"))
                && String.valueOf(e.get("reason")).contains("neither Origin nor Referer")), "audited: " + denied);
    }

    @Test
    void aFormPostFromThePortalsOwnOriginIsAccepted() {
        switchTenant(Map.of("Origin", self)).then().statusCode(303);
    }

    @Test
    void aFormPostWithOnlyASameOriginRefererIsAccepted() {
        switchTenant(Map.of("Referer", self + "/machines?q=x")).then().statusCode(303);
    }

    @Test
    void aFormPostWithAForeignRefererIsRefused() {
        switchTenant(Map.of("Referer", "http://attacker.invalid/berth-lookalike")).then().statusCode(403)
                .body(containsString("cross-site Referer http://attacker.invalid"));
        // the same host on another port is another origin
        switchTenant(Map.of("Referer", portal.getProtocol() + "://" + portal.getHost() + ":1/")).then().statusCode(403);
    }

    @Test
    void anOpaqueOriginIsRefused() {
        switchTenant(Map.of("Origin", "null", "Referer", self + "/")).then().statusCode(403);
    }

    @Test
    void aBearerTokenRequestNeedsNeitherHeader() {
        // a script with a token: no browser adds it by itself, so nothing to forge
        given().auth().oauth2(DemoUser.ALICE.token()).redirects().follow(false)
                .contentType("application/x-www-form-urlencoded").formParam("slug", "acme")
                .when().post("/tenant").then().statusCode(303);
    }

    @Test
    void aClientThatAsksForJsonGetsTheRefusalAsAProblem() {
        // (the API itself takes bearer tokens only: a session cookie there is an anonymous request, answered 401)
        switchTenant(Map.of("Accept", "application/json")).then().statusCode(403)
                .contentType("application/problem+json").body("status", equalTo(403));
    }

    @Test
    void getLogoutDoesNotSignOut() {
        browser(session).when().get("/logout").then().statusCode(303).header("Location", "/sign-out");
        browser(session).when().get("/sign-out").then().statusCode(200)
                .body(containsString("<form method=\"post\" action=\"/logout\">"));
        browser(session).when().get("/").then().statusCode(200); // still signed in
    }

    @Test
    void aCrossSiteSignOutIsRefused() {
        browser(session).when().post("/logout").then().statusCode(403);
        browser(session).header("Origin", "http://attacker.invalid").when().post("/logout").then().statusCode(403);
        browser(session).header("Referer", "http://attacker.invalid/").when().post("/logout").then().statusCode(403);
        browser(session).when().put("/logout").then().statusCode(405);
        browser(session).when().get("/").then().statusCode(200); // still signed in
    }

    @Test
    void aSameOriginSignOutEndsTheSessionAtTheIdentityProvider() throws Exception {
        Map<String, String> own = aliceSession(); // its own session: the other tests keep theirs
        Response out = browser(own).header("Origin", self).when().post("/logout");
        out.then().statusCode(302)
                .header("Location", startsWith(Keycloak.realmUrl() + "/protocol/openid-connect/logout"))
                .header("Location", containsString("post_logout_redirect_uri="));
        assertTrue(out.headers().getValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("q_session") && c.contains("Max-Age=0")),
                "the session cookie is removed: " + out.headers().getValues("Set-Cookie"));
    }
}
