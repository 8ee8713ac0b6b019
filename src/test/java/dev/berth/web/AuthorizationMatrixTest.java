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
    /** Real resources of acme for the placeholders in the paths, made once before the first row. */
    private static java.util.Map<String, String> real;
    private static int host = -1;

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
                // The storage CA certificate is no secret, but like everything else it is for signed-in users.
                Arguments.of("GET", "/storage/ca.crt", null, LOGIN, 200, 200, 200, 200),
                Arguments.of("GET", "/api/v1/storage/ca", null, 401, 200, 200, 200, 200),
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
                Arguments.of("POST", "/api/v1/admin/storage/99999999/reconcile-usage", null, 401, 403, 403, 404, 403),
                // MinIO's webhook target, not people: only the instance's own token opens it (UsageEventsTest). A signed-in
                // member of a suspended tenant meets the SuspensionGuard first (MinIO signs in as nobody, so it is not).
                Arguments.of("POST", "/internal/storage/events/1", JSON, 401, 401, 401, 401, 403),
                Arguments.of("POST", "/tenant", FORM, LOGIN, 403, 403, 403, 403),
                // {vm}: a real, running acme machine with a VNC display (made before the table runs). Alice reaches it (start:
                // 409, it runs already, so nothing changes; a console ticket: 409, the test driver's display has no TCP
                // port); bob gets the 404 of an unknown machine; carol belongs to no tenant.
                Arguments.of("GET", "/machines/{vm}", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("GET", "/machines/{vm}/state", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("GET", "/machines/{vm}/graphs", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/machines/{vm}/actions/start", FORM, LOGIN, 303, 404, 404, 403),
                Arguments.of("GET", "/machines/{vm}/console", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/machines/{vm}/console/ticket", FORM, LOGIN, 409, 404, 404, 403),
                Arguments.of("GET", "/admin/vms/{vm}/console", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/vms/{vm}/console/ticket", FORM, LOGIN, 403, 403, 409, 403),
                Arguments.of("GET", "/admin/vms/99999999/console", null, LOGIN, 403, 403, 404, 403),
                Arguments.of("POST", "/api/v1/vms/{vm}/console", null, 401, 409, 404, 404, 403),
                Arguments.of("POST", "/api/v1/admin/vms/{vm}/console", null, 401, 403, 403, 409, 403),
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
                Arguments.of("GET", "/api/v1/vms/{vm}", null, 401, 200, 404, 404, 404),
                Arguments.of("GET", "/api/v1/vms/{vm}/stats", null, 401, 200, 404, 404, 404),
                Arguments.of("POST", "/api/v1/vms/{vm}/actions/start", null, 401, 409, 404, 404, 403),
                Arguments.of("GET", "/api/v1/vms/99999999", null, 401, 404, 404, 404, 404),
                // ---- self-service machines (issue 20). {vm} is assigned, not made by Berth: alice may not delete it (409)
                // nor follow a creation it never had (409); an allowed create with an empty body is a 400.
                Arguments.of("POST", "/api/v1/vms", JSON, 401, 400, 400, 404, 403),
                Arguments.of("GET", "/api/v1/vms/{vm}/creation", null, 401, 409, 404, 404, 404),
                Arguments.of("DELETE", "/api/v1/vms/{vm}?confirm=x", null, 401, 409, 404, 404, 403),
                Arguments.of("DELETE", "/api/v1/vms/99999999?confirm=x", null, 401, 404, 404, 404, 403),
                Arguments.of("GET", "/api/v1/images", null, 401, 200, 200, 404, 200),
                Arguments.of("GET", "/api/v1/flavours", null, 401, 200, 200, 404, 200),
                Arguments.of("GET", "/api/v1/admin/images", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/images", JSON, 401, 403, 403, 400, 403),
                Arguments.of("DELETE", "/api/v1/admin/images/99999999", null, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/flavours", null, 401, 403, 403, 200, 403),
                Arguments.of("POST", "/api/v1/admin/flavours", JSON, 401, 403, 403, 400, 403),
                Arguments.of("DELETE", "/api/v1/admin/flavours/99999999", null, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/machines/new", null, LOGIN, 200, 200, 404, 200),
                Arguments.of("POST", "/machines/new", FORM, LOGIN, 400, 400, 404, 403),
                Arguments.of("GET", "/machines/{vm}/creation", null, LOGIN, 409, 404, 404, 404),
                Arguments.of("GET", "/machines/{vm}/creation/status", null, LOGIN, 409, 404, 404, 404),
                Arguments.of("GET", "/machines/{vm}/delete", null, LOGIN, 409, 404, 404, 404),
                Arguments.of("POST", "/machines/{vm}/delete", FORM, LOGIN, 409, 404, 404, 403),
                Arguments.of("GET", "/admin/images", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/images", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("POST", "/admin/images/99999999/delete", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/admin/flavours", null, LOGIN, 403, 403, 200, 403),
                Arguments.of("POST", "/admin/flavours", FORM, LOGIN, 403, 403, 400, 403),
                Arguments.of("POST", "/admin/flavours/99999999/delete", FORM, LOGIN, 403, 403, 404, 403),
                // ---- end of self-service machines
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
                // buckets: authz-acme is a real, empty acme bucket and {key} a real acme key in it (made before the table
                // runs); bob and carol get the 404 of an unknown bucket or key. Rows where alice's call really changes
                // something ({doomed…} buckets, {keyRevoke}/{keyDelete} keys) get a fresh resource of their own.
                Arguments.of("GET", "/storage/buckets", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("POST", "/storage/buckets", FORM, LOGIN, 400, 400, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET, null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/" + BUCKET + "/versioning", FORM, LOGIN, 303, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/delete", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/{doomedPage}/delete", FORM, LOGIN, 303, 404, 404, 403),
                Arguments.of("POST", "/storage/buckets/" + BUCKET + "/keys", FORM, LOGIN, 400, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/keys/{key}/revoke", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("POST", "/storage/buckets/" + BUCKET + "/keys/{keyRevoke}/revoke", FORM, LOGIN, 303, 404, 404, 403),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/keys/{key}/mount", null, LOGIN, 200, 404, 404, 404),
                Arguments.of("GET", "/storage/buckets/" + BUCKET + "/keys/BKNOSUCHKEY/mount", null, LOGIN, 404, 404, 404, 404),
                Arguments.of("GET", "/usage", null, LOGIN, 200, 200, 303, 200),
                Arguments.of("GET", "/admin/tenants/globex/keys", null, LOGIN, 403, 403, 200, 403),
                // an acme key named under globex is unknown there, even to an administrator (and stays unrevoked)
                Arguments.of("POST", "/admin/tenants/globex/keys/{key}/revoke", FORM, LOGIN, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/admin/tenants/globex/keys", null, 401, 403, 403, 200, 403),
                Arguments.of("DELETE", "/api/v1/admin/tenants/globex/keys/{key}", null, 401, 403, 403, 404, 403),
                Arguments.of("GET", "/api/v1/buckets", null, 401, 200, 200, 404, 200),
                Arguments.of("POST", "/api/v1/buckets", JSON, 401, 400, 400, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET, null, 401, 200, 404, 404, 404),
                Arguments.of("DELETE", "/api/v1/buckets/{doomedApi}", null, 401, 204, 404, 404, 403),
                Arguments.of("PUT", "/api/v1/buckets/" + BUCKET + "/versioning", JSON, 401, 400, 404, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET + "/keys", null, 401, 200, 404, 404, 404),
                Arguments.of("POST", "/api/v1/buckets/" + BUCKET + "/keys", JSON, 401, 400, 404, 404, 403),
                Arguments.of("DELETE", "/api/v1/buckets/" + BUCKET + "/keys/{keyDelete}", null, 401, 204, 404, 404, 403),
                Arguments.of("GET", "/api/v1/buckets/" + BUCKET + "/keys/{key}/mount?tool=s3fs", null, 401, 200, 404, 404, 404),
                Arguments.of("GET", "/q/health/ready", null, 200, 200, 200, 200, 200),
                Arguments.of("GET", "/q/openapi", null, 200, 200, 200, 200, 200));
    }

    /**
     * The rows name acme's real resources by placeholder: bob must not tell them from unknown ones, while alice
     * reaches them (a 404 for an id that exists nowhere proves nothing about who may see it).
     */
    private static String substitute(String path) {
        if (real == null) {
            real = makeRealResources();
        }
        for (var e : real.entrySet()) {
            path = path.replace("{" + e.getKey() + "}", e.getValue());
        }
        assertEquals(false, path.contains("{"), "unknown placeholder in " + path);
        return path;
    }

    private static java.util.Map<String, String> makeRealResources() {
        given().auth().oauth2(DemoUser.ALICE.token()).get("/api/v1/me").then().statusCode(200);
        given().auth().oauth2(DemoUser.BOB.token()).get("/api/v1/me").then().statusCode(200);
        // Ready instances for acme and globex: the bucket rows reach a real instance (activation finds them). Room
        // for the keys and buckets below, whatever quota an earlier test class left.
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme", "globex");
        int status = given().auth().oauth2(DemoUser.ALICE.token()).contentType("application/json")
                .body("{\"name\": \"" + BUCKET + "\"}").post("/api/v1/buckets").statusCode();
        assertEquals(true, status == 201 || status == 400, "bucket " + BUCKET + ": " + status); // 400: made by an earlier run
        var m = new java.util.HashMap<String, String>();
        m.put("key", Storage.key(DemoUser.ALICE, BUCKET, "read-only").getString("key.accessKey"));
        m.put("keyRevoke", Storage.key(DemoUser.ALICE, BUCKET, "read-only").getString("key.accessKey"));
        m.put("keyDelete", Storage.key(DemoUser.ALICE, BUCKET, "read-only").getString("key.accessKey"));
        for (String doomed : new String[]{"doomedPage", "doomedApi"}) {
            String name = dev.berth.support.Api.unique("authz-doomed");
            Storage.bucket(DemoUser.ALICE, name);
            m.put(doomed, name);
        }
        // fleet1-vm01 of the test driver: running, with a VNC display; assigned to acme
        var hostBody = java.util.Map.of("name", dev.berth.support.Api.unique("authz-kvm"), "kind", "KVM",
                "uri", "test://" + java.nio.file.Path.of("src/test/resources/libvirt/fleet-1.xml").toAbsolutePath());
        host = dev.berth.support.Api.as(DemoUser.CAROL).body(hostBody).post("/api/v1/admin/hosts").then().statusCode(201)
                .extract().path("id");
        var domains = java.util.List.of(java.util.Map.of("hostId", host, "uuid", "f1ee7000-0001-4000-8000-000000000001"));
        java.util.List<Integer> ids = dev.berth.support.Api.as(DemoUser.CAROL)
                .body(java.util.Map.of("tenant", "acme", "domains", domains)).post("/api/v1/admin/vms/assignments")
                .then().statusCode(201).extract().path("ids");
        m.put("vm", String.valueOf(ids.get(0)));
        return m;
    }

    /** The storage the activation rows started is removed with its data, containers and all. */
    @AfterAll
    static void removeActivatedStorage() {
        if (real != null && host >= 0) { // the machine and its host go first: a host with machines cannot be removed
            var cleaner = new dev.berth.audit.Actor("authorization-test", null, null);
            io.quarkus.arc.Arc.container().instance(dev.berth.compute.MachineService.class).get()
                    .unassign(cleaner, java.util.List.of(Long.parseLong(real.get("vm"))));
            io.quarkus.arc.Arc.container().instance(dev.berth.hosts.HostService.class).get().delete(cleaner, host);
        }
        var storage = io.quarkus.arc.Arc.container().instance(dev.berth.storage.instance.StorageService.class).get();
        var reconciler = io.quarkus.arc.Arc.container().instance(dev.berth.storage.instance.Reconciler.class).get();
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
        path = substitute(path);
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
