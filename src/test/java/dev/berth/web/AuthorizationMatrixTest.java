package dev.berth.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.support.DemoUser;
import dev.berth.support.Keycloak;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every route of the portal, for anonymous, alice (acme), bob (globex) and carol (admin). A new route
 * belongs in this table.
 */
@QuarkusTest
class AuthorizationMatrixTest {
    static final int LOGIN = -1; // page: redirect to the identity provider

    static Stream<Arguments> routes() {
        return Stream.of(
                // method, path, anonymous, alice, bob, carol
                Arguments.of("GET", "/", LOGIN, 200, 200, 200),
                Arguments.of("GET", "/machines", LOGIN, 200, 200, 200),
                Arguments.of("GET", "/storage", LOGIN, 200, 200, 200),
                Arguments.of("GET", "/admin", LOGIN, 403, 403, 200),
                Arguments.of("POST", "/tenant", LOGIN, 403, 403, 403),
                Arguments.of("GET", "/api/v1/me", 401, 200, 200, 200),
                Arguments.of("GET", "/api/v1/admin/tenants", 401, 403, 403, 200),
                Arguments.of("GET", "/signed-out", 200, 200, 200, 200),
                Arguments.of("GET", "/q/health/ready", 200, 200, 200, 200),
                Arguments.of("GET", "/q/openapi", 200, 200, 200, 200));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void route(String method, String path, int anonymous, int alice, int bob, int carol) {
        check(method, path, null, anonymous);
        check(method, path, DemoUser.ALICE, alice);
        check(method, path, DemoUser.BOB, bob);
        check(method, path, DemoUser.CAROL, carol);
    }

    private void check(String method, String path, DemoUser user, int expected) {
        RequestSpecification request = given().redirects().follow(false);
        if (user != null) {
            request = request.auth().oauth2(user.token());
        }
        if (method.equals("POST")) {
            // /tenant switches to a tenant none of the three belongs to except through their own membership.
            request = request.contentType("application/x-www-form-urlencoded").formParam("slug", "initech");
        }
        Response response = request.request(method, path);
        String who = user == null ? "anonymous" : user.username();
        if (expected == LOGIN) {
            assertEquals(302, response.statusCode(), who + " " + method + " " + path);
            response.then().header("Location", startsWith(Keycloak.realmUrl() + "/protocol/openid-connect/auth"));
        } else {
            assertEquals(expected, response.statusCode(), who + " " + method + " " + path);
        }
    }
}
