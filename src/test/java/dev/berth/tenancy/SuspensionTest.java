package dev.berth.tenancy;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.form;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A suspended tenant is read-only, pages and API alike, every refusal audited; its keys stop working unless the
 * administrator kept data access, and work again on resume. Against globex's real MinIO instance.
 */
@QuarkusTest
class SuspensionTest {
    static final String SUSPENDED = "Tenant globex is suspended";

    @BeforeEach
    void storage() {
        Storage.quota("globex", "1 GiB", "2 GiB");
        Storage.ready("globex");
    }

    @AfterEach
    void resume() {
        suspend(false, false);
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("globex");
    }

    static void suspend(boolean suspended, boolean keepDataAccess) {
        as(DemoUser.CAROL).body(Map.of("suspended", suspended, "keepDataAccess", keepDataAccess))
                .when().put("/api/v1/admin/tenants/globex").then().statusCode(200).body("tenant.suspended", equalTo(suspended));
    }

    static long deniedFor(String path) {
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "outcome = dev.berth.audit.Outcome.DENIED and tenant = 'globex' and target like ?1", "%" + path));
    }

    @Test
    void everyChangeIsRefusedAndAuditedReadsStay() {
        String bucket = unique("susp");
        Storage.bucket(DemoUser.BOB, bucket);
        suspend(true, false);

        // API: each change is a 403 problem naming the suspension, refused before the route looks anything up
        as(DemoUser.BOB).body(Map.of("name", unique("more"))).when().post("/api/v1/buckets").then().statusCode(403)
                .contentType(containsString("application/problem+json")).body("detail", containsString(SUSPENDED));
        as(DemoUser.BOB).body(Map.of("mode", "read-only")).when().post("/api/v1/buckets/" + bucket + "/keys").then().statusCode(403)
                .body("detail", containsString(SUSPENDED));
        as(DemoUser.BOB).body(Map.of("enabled", true)).when().put("/api/v1/buckets/" + bucket + "/versioning").then().statusCode(403);
        as(DemoUser.BOB).delete("/api/v1/buckets/" + bucket).then().statusCode(403);
        as(DemoUser.BOB).body("{}").when().post("/api/v1/storage").then().statusCode(403);
        as(DemoUser.BOB).body("{}").when().post("/api/v1/vms/1/actions/start").then().statusCode(403).body("detail", containsString(SUSPENDED));
        as(DemoUser.BOB).body("{}").when().post("/api/v1/vms/1/console").then().statusCode(403);
        // pages: the same refusal as an HTML page
        form(DemoUser.BOB).formParam("name", unique("page")).when().post("/storage/buckets").then().statusCode(403)
                .contentType(containsString("text/html")).body(containsString(SUSPENDED));
        form(DemoUser.BOB).when().post("/machines/1/actions/start").then().statusCode(403);
        // reads stay, and the bucket is still there
        as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(200).body("items.name", hasItem(bucket));
        // an administrator may not hand a suspended tenant new machines (refused before any host is asked)
        as(DemoUser.CAROL).body(Map.of("tenant", "globex", "domains", java.util.List.of(Map.of("hostId", 1, "uuid", "x"))))
                .when().post("/api/v1/admin/vms/assignments").then().statusCode(403).body("detail", containsString(SUSPENDED));

        assertTrue(deniedFor("/api/v1/buckets") >= 1 && deniedFor("/api/v1/storage") >= 1 && deniedFor("/storage/buckets") >= 1,
                "refusals audited as DENIED for globex");
        // alice's acme is not suspended: the guard is per tenant
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200).body("currentTenant.suspended", equalTo(false));
    }

    @Test
    void keysAreDisabledUnlessDataAccessIsKeptAndComeBackOnResume() throws Exception {
        String bucket = unique("keys");
        Storage.bucket(DemoUser.BOB, bucket);
        JsonPath key = Storage.key(DemoUser.BOB, bucket, "read-write");
        S3 s3 = S3.as(key.getString("endpoint"), key.getString("key.accessKey"), key.getString("secretKey"));
        s3.put(bucket, "before.txt", "before");

        suspend(true, false); // default: data access cut off
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> s3.get(bucket, "before.txt")), "a suspended tenant's key is disabled");
        as(DemoUser.BOB).get("/api/v1/buckets/" + bucket + "/keys").then().statusCode(200)
                .body("find { it.accessKey == '" + key.getString("key.accessKey") + "' }.suspended", equalTo(true));

        suspend(false, false);
        assertEquals("before", s3.get(bucket, "before.txt"), "resume re-enables the key");
        s3.put(bucket, "after.txt", "after");

        suspend(true, true); // keep data access: the portal is read-only, the key still works
        assertEquals("after", s3.get(bucket, "after.txt"));
        s3.put(bucket, "kept.txt", "kept");
        as(DemoUser.BOB).body(Map.of("name", unique("no"))).when().post("/api/v1/buckets").then().statusCode(403);

        long audited = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action in ('key.suspend', 'key.unsuspend') and target like ?1", key.getString("key.accessKey") + "%"));
        assertEquals(2, audited, "one disable and one enable, each audited");
    }
}
