package dev.berth.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.Keycloak;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import java.net.URI;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The browser-side defences come with every kind of response, not only with pages. */
@QuarkusTest
class SecurityHeadersTest {
    static ValidatableResponse hardened(ValidatableResponse r) {
        return r.header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "same-origin")
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .header("Content-Security-Policy", containsString("object-src 'none'"));
    }

    /** The page policy: scripts and styles from this origin only — no inline code, no eval. */
    static ValidatableResponse strict(ValidatableResponse r) {
        String csp = hardened(r).extract().header("Content-Security-Policy");
        String scripts = directive(csp, "script-src");
        assertTrue(scripts.equals("script-src 'self'"), csp);
        assertTrue(directive(csp, "style-src").equals("style-src 'self'"), csp);
        assertTrue(directive(csp, "connect-src").equals("connect-src 'self'"), csp);
        assertTrue(directive(csp, "default-src").equals("default-src 'self'"), csp);
        assertFalse(csp.contains("unsafe"), csp);
        return r;
    }

    static String directive(String csp, String name) {
        return Arrays.stream(csp.split(";")).map(String::trim).filter(d -> d.startsWith(name + " ")).findFirst().orElse("");
    }

    @Test
    void aPage() {
        strict(given().auth().oauth2(DemoUser.ALICE.token()).when().get("/").then().statusCode(200));
    }

    @Test
    void anApiAnswer() {
        strict(given().auth().oauth2(DemoUser.ALICE.token()).when().get("/api/v1/me").then().statusCode(200));
        strict(given().when().get("/api/v1/me").then().statusCode(401));
    }

    @Test
    void errorPages() {
        strict(given().auth().oauth2(DemoUser.ALICE.token()).when().get("/no/such/page").then().statusCode(404));
        strict(given().auth().oauth2(DemoUser.ALICE.token()).when().get("/admin").then().statusCode(403)
                .contentType(containsString("text/html")));
    }

    @Test
    void staticFilesAndTheSignInRedirect() {
        strict(given().when().get("/static/css/berth.css").then().statusCode(200));
        strict(given().when().get("/static/js/forms.js").then().statusCode(200).contentType(containsString("javascript")));
        strict(given().redirects().follow(false).when().get("/machines").then().statusCode(302));
    }

    @Test
    void formsMayEndAtTheIdentityProviderOnly() {
        // sign-out (and a sign-in after an expired session) answers a form post with a redirect to the provider
        String csp = given().when().get("/static/css/berth.css").then().extract().header("Content-Security-Policy");
        URI realm = URI.create(Keycloak.realmUrl());
        assertTrue(directive(csp, "form-action").equals("form-action 'self' " + realm.getScheme() + "://" + realm.getAuthority()), csp);
    }

    @Test
    void swaggerUiHasItsOwnPolicyBecauseItsPageRunsInlineScripts() {
        hardened(given().when().get("/q/swagger-ui/").then().statusCode(200))
                .header("Content-Security-Policy", containsString("script-src 'self' 'unsafe-inline'"))
                .header("Content-Security-Policy", not(containsString("unsafe-eval")));
    }

    @Test
    void noPageCarriesInlineScript() {
        for (String path : new String[]{"/", "/machines", "/storage", "/storage/buckets", "/usage", "/sign-out"}) {
            given().auth().oauth2(DemoUser.ALICE.token()).when().get(path).then().statusCode(200)
                    .body(not(containsString("<script>"))).body(not(containsString(" onsubmit=")))
                    .body(not(containsString(" onclick="))).body(not(containsString(" onchange=")))
                    .body(not(containsString(" style=")))
                    .body(containsString("<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false,\"allowScriptTags\":false}'>"));
        }
        given().auth().oauth2(DemoUser.CAROL.token()).when().get("/admin/hosts").then().statusCode(200)
                .body(not(containsString(" style=")));
        given().when().get("/signed-out").then().statusCode(200).header("X-Frame-Options", equalTo("DENY"));
    }
}
