package dev.berth.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.support.DemoUser;
import dev.berth.support.Keycloak;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every route of the portal, for anonymous, alice (acme), bob (globex), carol (admin) and bob again while globex is
 * suspended. A new route
 * belongs in this table. Bodies are empty or refer to things that do not exist, so an allowed call
 * answers 400/404 and changes nothing; what matters is who gets past the door.
 */
@QuarkusTest
class AuthorizationMatrixTest {
    static final int LOGIN = -1; // page: redirect to the identity provider
    static final String FORM = "form";
    static final String JSON = "json";
    static final String BUCKET = "authz-acme";
    private static boolean bucketMade;

    static Stream<Arguments> routes() {
        return Stream.of(
                // method, path, body, anonymous, alice, bob, carol, bob while globex is suspended
                Arguments.of("GET", "/", null, LOGIN, 200, 200, 200, 200),
                Arguments.of("GET", "/machines", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("GET", "/storage", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("GET", "/storage/status", null, LOGIN, 200, 200, 404, 200),
                // Activation is allowed for members and really activates (removed again after the class).
                Arguments.of("POST", "/storage/activate", FORM, LOGIN, 303, 303, 404, 403),
                Arguments.of("GET", "/api/v1/storage", null, 401, 200, 200, 404, 200),
                Arguments.of("POST", "/api/v1/storage", null, 401, 200, 200, 404, 403),
                Arguments.of("GET", "/admin/storage", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/storage/99999999/suspend", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/storage/99999999/resume", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/admin/storage/99999999/delete", null, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/storage/99999999/delete", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/storage", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/storage/99999999/suspend", null, 401, 403, 403, 404, 403),
                Arguments.of("POST", "/api/v1/admin/storage/99999999/resume", null, 401, 403, 403, 404, 403),
                Arguments.of("DELETE", "/api/v1/admin/storage/99999999?data=keep&confirm=acme", null, 401, 403, 403, 404, 403),
                Arguments.of("POST", "/tenant", FORM, LOGIN, 403, 403, 403, 403),
                Arguments.of("GET", "/machines/99999999", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("GET", "/machines/99999999/state", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("GET", "/machines/99999999/graphs", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("POST", "/machines/99999999/actions/start", FORM, LOGIN, 404, 404, 404, 403),
                Arguments.of("GET", "/machines/99999999/console", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("POST", "/machines/99999999/console/ticket", FORM, LOGIN, 404, 404, 404, 403),
                Arguments.of("GET", "/admin/vms/99999999/console", null, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/vms/99999999/console/ticket", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/api/v1/vms/99999999/console", null, 401, 404, 404, 404, 403),
                Arguments.of("POST", "/api/v1/admin/vms/99999999/console", null, 401, 403, 403, 404, 403),
                // the console WebSocket: its ticket authenticates it, so a plain GET is a 400 for everyone
                // (refused tickets: ConsoleTest)
                Arguments.of("GET", "/console/ws/99999999", null, 400, 400, 400, 400, 400),
                Arguments.of("GET", "/admin/vms", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("GET", "/machines/advice", null, LOGIN, 200, 200, 404, 200),
                Arguments.of("GET", "/admin/vms/advice", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/vms/assign", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("POST", "/admin/vms/unassign", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/vms", null, 401, 200, 200, 404, 200),
                Arguments.of("GET", "/api/v1/vms/99999999", null, 401, 404, 404, 404, 404),
                Arguments.of("GET", "/api/v1/vms/99999999/stats", null, 401, 404, 404, 404, 404),
                Arguments.of("POST", "/api/v1/vms/99999999/actions/start", null, 401, 404, 404, 404, 403),
                Arguments.of("GET", "/api/v1/admin/vms", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/vms/assignments", JSON, 401, 403, 403, 400, 403),
                Arguments.of("DELETE", "/api/v1/admin/vms/assignments", JSON, 401, 403, 403, 400, 403),
                Arguments.of("GET", "/signed-out", null, 200, 200, 200, 200, 200),
                // sign-out (SameOriginFilter, before authentication): a GET only leads to the page with the button; a
                // POST without Origin/Referer is refused before OIDC sees it; a token request has no session to end
                Arguments.of("GET", "/logout", null, 303, 303, 303, 303, 303),
                Arguments.of("POST", "/logout", FORM, 403, 404, 404, 404, 404),
                Arguments.of("PUT", "/logout", null, 405, 405, 405, 405, 405),
                Arguments.of("GET", "/sign-out", null, LOGIN, 200, 200, 200, 200),
                Arguments.of("GET", "/admin", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("GET", "/admin/hosts", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("GET", "/admin/hosts/new", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/hosts", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("GET", "/admin/hosts/999999", null, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/hosts/999999", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/hosts/999999/enabled", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/admin/hosts/999999/delete", null, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/hosts/999999/delete", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/hosts/999999/probe", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/admin/tenants", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/tenants", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("GET", "/admin/tenants/globex", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/tenants/globex/quota", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("POST", "/admin/tenants/no-such/suspended", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/admin/tenants/no-such/name", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/admin/audit", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("GET", "/admin/audit/export", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("GET", "/api/v1/me", null, 401, 200, 200, 200, 200),
                Arguments.of("GET", "/api/v1/quota", null, 401, 200, 200, 404, 200),
                Arguments.of("GET", "/api/v1/admin/hosts", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/hosts", JSON, 401, 403, 403, 400, 403),
                Arguments.of("GET", "/api/v1/admin/hosts/999999", null, 401, 403, 403, 404, 403),
                Arguments.of("PUT", "/api/v1/admin/hosts/999999", JSON, 401, 403, 403, 404, 403),
                Arguments.of("DELETE", "/api/v1/admin/hosts/999999", null, 401, 403, 403, 404, 403),
                Arguments.of("POST", "/api/v1/admin/hosts/999999/probe", null, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/tenants", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/tenants", JSON, 401, 403, 403, 400, 403),
                Arguments.of("GET", "/api/v1/admin/tenants/globex", null, 401, 403, 403, 200, 403),
                Arguments.of("PUT", "/api/v1/admin/tenants/no-such", JSON, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/tenants/globex/quota", null, 401, 403, 403, 200, 403),
                Arguments.of("PUT", "/api/v1/admin/tenants/globex/quota", JSON, 401, 403, 403, 400, 403),
                Arguments.of("GET", "/api/v1/admin/audit", null, 401, 403, 403, 200, 403),
                Arguments.of("GET", "/api/v1/admin/audit/export", null, 401, 403, 403, 200, 403),
                // buckets: authz-acme is a real, empty acme bucket (made before the table runs); bob and carol get
                // the 404 of an unknown bucket. Changes go to buckets that do not exist, so nothing changes.
                Arguments.of("GET", "/storage/buckets", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("POST", "/storage/buckets", FORM, LOGIN, 400, 400, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET, null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/no-such-bucket/versioning", FORM, LOGIN, 404, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/delete", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/no-such-bucket/delete", FORM, LOGIN, 404, 404, 404, 403),
                Arguments.of("POST", "/storage/buckets/" + BUCKET + "/keys", FORM, LOGIN, 400, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/keys/BKNOSUCHKEY/revoke", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/" + BUCKET + "/keys/BKNOSUCHKEY/revoke", FORM, LOGIN, 404, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/keys/BKNOSUCHKEY/mount", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("GET", "/usage", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("GET", "/admin/tenants/globex/keys", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/tenants/globex/keys/BKNOSUCHKEY/revoke", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/tenants/globex/keys", null, 401, 403, 403, 200, 403),
                Arguments.of("DELETE", "/api/v1/admin/tenants/globex/keys/BKNOSUCHKEY", null, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/buckets", null, 401, 200, 200, 404, 200),
                Arguments.of("POST", "/api/v1/buckets", JSON, 401, 400, 400, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET, null, 401, 200, 404, 404, 404),
                Arguments.of("DELETE", "/api/v1/buckets/no-such-bucket", null, 401, 404, 404, 404, 403),
                Arguments.of("PUT", "/api/v1/buckets/" + BUCKET + "/versioning", JSON, 401, 400, 404, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET + "/keys", null, 401, 200, 404, 404, 404),
                Arguments.of("POST", "/api/v1/buckets/" + BUCKET + "/keys", JSON, 401, 400, 404, 404, 403),
                Arguments.of("DELETE", "/api/v1/buckets/" + BUCKET + "/keys/BKNOSUCHKEY", null, 401, 404, 404, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET + "/keys/BKNOSUCHKEY/mount?tool=s3fs", null, 401, 404, 404, 404, 404),
                Arguments.of("GET", "/q/health/ready", null, 200, 200, 200, 200, 200),
                Arguments.of("GET", "/q/openapi", null, 200, 200, 200, 200, 200));
    }

    /** The storage the activation rows started is removed with its data, containers and all. */
    @AfterAll
    static void removeActivatedStorage() {
        var storage = io.quarkus.arc.Arc.container().instance(dev.berth.storage.StorageService.class).get();
        var reconciler = io.quarkus.arc.Arc.container().instance(dev.berth.storage.Reconciler.class).get();
        for (String slug : new String[]{"acme", "globex"}) {
            var v = storage.of(slug);
            if (v.id() != null) {
                reconciler.kick(v.id()).join();
                storage.delete(new dev.berth.audit.Actor("authorization-test", null, null), v.id(), "delete", slug);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void route(String method, String path, String body, int anonymous, int alice, int bob, int carol, int suspended) {
        if (!bucketMade) { // alice's bucket, for the rows where bob must not tell it from an unknown one
            // Ready instances for acme and globex: the bucket rows reach a real instance (activation finds them).
            Storage.ready("acme", "globex");
            int status = given().auth().oauth2(DemoUser.ALICE.token()).contentType("application/json")
                    .body("{\"name\": \"" + BUCKET + "\"}").post("/api/v1/buckets").statusCode();
            assertEquals(true, status == 201 || status == 400, "bucket " + BUCKET + ": " + status); // 400: made by an earlier run
            bucketMade = true;
        }
        // bob signs in first so that globex exists before carol looks at it
        check(method, path, body, null, anonymous);
        check(method, path, body, DemoUser.BOB, bob);
        check(method, path, body, DemoUser.ALICE, alice);
        check(method, path, body, DemoUser.CAROL, carol);
        // The fifth column: bob while globex is suspended (keeping data access: no key is touched). Reads stay,
        // every change of the tenant is refused, routes of other roles answer as before.
        var tenants = io.quarkus.arc.Arc.container().instance(dev.berth.tenancy.TenantService.class).get();
        var admin = new dev.berth.audit.Actor("authorization-test", null, null);
        tenants.setSuspended(admin, "globex", true, true);
        try {
            check(method, path, body, DemoUser.BOB, suspended);
        } finally {
            tenants.setSuspended(admin, "globex", false, false);
        }
    }

    private void check(String method, String path, String body, DemoUser user, int expected) {
        RequestSpecification request = given().redirects().follow(false);
        if (user != null) {
            request = request.auth().oauth2(user.token());
        }
        if (FORM.equals(body)) {
            // /tenant names a tenant none of them belongs to; the admin forms are empty.
            request = request.contentType("application/x-www-form-urlencoded")
                    .formParam("slug", path.equals("/tenant") ? "initech" : "");
        } else if (JSON.equals(body)) {
            request = request.contentType("application/json").body("{}");
        }
        Response response = request.request(method, path);
        String who = user == null ? "anonymous" : user.username();
        if (expected == LOGIN) {
            assertEquals(302, response.statusCode(), who + " " + method + " " + path);
            response.then().header("Location", startsWith(Keycloak.realmUrl() + "/protocol/openid-connect/auth"));
        } else {
            assertEquals(expected, response.statusCode(), who + " " + method + " " + path + ": " + response.asString());
        }
    }
}
