package dev.berth.storage;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.storage.key.AccessKey;
import dev.berth.storage.usage.StorageLimitEnforcer;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Buckets and keys through the API against a real MinIO per tenant; keys tried with a real S3 client. */
@QuarkusTest
class BucketsApiTest {
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    TenantService tenants;

    @BeforeEach
    void quotas() {
        io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.quota("globex", "1 GiB", "2 GiB");
        Storage.ready("acme", "globex");
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme", "globex");
    }

    @Test
    void bucketsAreCreatedListedVersionedAndDeleted() {
        String name = unique("data");
        as(DemoUser.ALICE).body(Map.of("name", name)).when().post("/api/v1/buckets")
                .then().statusCode(201).header("Location", containsString("/api/v1/buckets/" + name))
                .body("name", equalTo(name)).body("objects", equalTo(0)).body("versioning", equalTo(false));
        as(DemoUser.ALICE).get("/api/v1/buckets").then().statusCode(200).body("items.name", hasItem(name));
        as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(200).body("items.name", not(hasItem(name)));
        as(DemoUser.BOB).get("/api/v1/buckets/" + name).then().statusCode(404);

        as(DemoUser.ALICE).body(Map.of("enabled", true)).when().put("/api/v1/buckets/" + name + "/versioning")
                .then().statusCode(200).body("versioning", equalTo(true));
        as(DemoUser.ALICE).body(Map.of()).when().put("/api/v1/buckets/" + name + "/versioning")
                .then().statusCode(400).body("errors[0].field", equalTo("enabled"));
        as(DemoUser.ALICE).body(Map.of("enabled", false)).when().put("/api/v1/buckets/" + name + "/versioning")
                .then().statusCode(200).body("versioning", equalTo(false));

        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(204);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name).then().statusCode(404);
        long audited = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action in ('bucket.create', 'bucket.delete', 'bucket.versioning.on') and target = ?1 and outcome = dev.berth.audit.Outcome.OK", name));
        assertEquals(3, audited);
    }

    @Test
    void badNamesDuplicatesAndCaseAreRefusedAndNothingIsCreated() {
        String name = unique("dup");
        Storage.bucket(DemoUser.ALICE, name);
        Map<String, String> bad = Map.of(
                "ab", "3 to 63 characters",
                "Has_Underscore", "only lower-case letters, digits, dots and hyphens",
                "-leading", "begin and end with a letter or digit",
                "two..dots", "two adjacent dots",
                "127.0.1.10", "IP address",
                "xn--reserved", "reserved prefix",
                name.toUpperCase(), "must be lower case",
                name, "already exists");
        List<String> before = as(DemoUser.ALICE).get("/api/v1/buckets").then().extract().path("items.name");
        bad.forEach((n, rule) -> as(DemoUser.ALICE).body(Map.of("name", n)).when().post("/api/v1/buckets")
                .then().statusCode(400).contentType(containsString("application/problem+json"))
                .body("errors[0].field", equalTo("name")).body("errors[0].message", containsString(rule)));
        as(DemoUser.ALICE).body("{}").when().post("/api/v1/buckets").then().statusCode(400).body("errors[0].message", equalTo("is required"));
        List<String> after = as(DemoUser.ALICE).get("/api/v1/buckets").then().extract().path("items.name");
        assertEquals(before, after);
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(204);
    }

    @Test
    void nonEmptyBucketNeedsItsNameTyped() throws Exception {
        String name = unique("full");
        Storage.bucket(DemoUser.ALICE, name);
        JsonPath key = Storage.key(DemoUser.ALICE, name, "read-write");
        S3 s3 = S3.as(key.getString("endpoint"), key.getString("key.accessKey"), key.getString("secretKey"));
        s3.put(name, "a.txt", "a");
        s3.put(name, "dir/b.txt", "b");
        // Usage follows the instance's events (tens of milliseconds): wait for them, at most 10 s.
        for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; Thread.sleep(50)) {
            if (Integer.valueOf(2).equals(as(DemoUser.ALICE).get("/api/v1/buckets/" + name).then().extract().path("objects"))) {
                break;
            }
        }
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name).then().statusCode(200).body("objects", equalTo(2)).body("keys", equalTo(1));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(400)
                .body("errors[0].field", equalTo("confirm")).body("errors[0].message", containsString("holds 2 objects"));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name + "?confirm=wrong").then().statusCode(400);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name).then().statusCode(200);
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name + "?confirm=" + name).then().statusCode(204);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name).then().statusCode(404);
        // its keys went with it, in Berth and in MinIO
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> s3.list(name)));
    }

    @Test
    void keysAreScopedToTheirBucketAndMode() throws Exception {
        String a = unique("keys-a");
        String b = unique("keys-b");
        Storage.bucket(DemoUser.ALICE, a);
        Storage.bucket(DemoUser.ALICE, b);
        JsonPath rw = Storage.key(DemoUser.ALICE, a, "read-write");
        JsonPath ro = Storage.key(DemoUser.ALICE, a, "read-only");
        JsonPath rwB = Storage.key(DemoUser.ALICE, b, "read-write");
        String endpoint = rw.getString("endpoint");
        S3 writer = S3.as(endpoint, rw.getString("key.accessKey"), rw.getString("secretKey"));
        S3 reader = S3.as(endpoint, ro.getString("key.accessKey"), ro.getString("secretKey"));
        S3 otherWriter = S3.as(endpoint, rwB.getString("key.accessKey"), rwB.getString("secretKey"));

        writer.put(a, "hello.txt", "hello");
        otherWriter.put(b, "secret.txt", "of b");
        assertEquals("hello", reader.get(a, "hello.txt"));
        assertEquals(List.of("hello.txt"), reader.list(a));
        assertEquals("AccessDenied", S3.outcome(() -> reader.put(a, "nope.txt", "x")), "a read-only key cannot write");
        assertEquals("AccessDenied", S3.outcome(() -> reader.delete(a, "hello.txt")), "a read-only key cannot delete");
        assertEquals("AccessDenied", S3.outcome(() -> writer.list(b)), "a key for A cannot list B");
        assertEquals("AccessDenied", S3.outcome(() -> writer.get(b, "secret.txt")), "a key for A cannot read B");
        assertEquals("AccessDenied", S3.outcome(() -> writer.put(b, "x.txt", "x")), "a key for A cannot write B");

        // the list shows mode, creator and description, never a secret
        String keys = as(DemoUser.ALICE).get("/api/v1/buckets/" + a + "/keys").then().statusCode(200)
                .body("accessKey", hasItem(rw.getString("key.accessKey")))
                .body("find { it.accessKey == '" + ro.getString("key.accessKey") + "' }.mode", equalTo("read-only"))
                .body("find { it.accessKey == '" + ro.getString("key.accessKey") + "' }.createdBy", equalTo("alice"))
                .extract().asString();
        assertFalse(keys.contains(rw.getString("secretKey")));

        // revoked: fails at once
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + a + "/keys/" + rw.getString("key.accessKey")).then().statusCode(204);
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> writer.list(a)));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + a + "/keys/" + rw.getString("key.accessKey")).then().statusCode(404);

        // bob cannot see or revoke acme's keys, and his own key means nothing to acme's instance
        as(DemoUser.BOB).get("/api/v1/buckets/" + a + "/keys").then().statusCode(404);
        as(DemoUser.BOB).delete("/api/v1/buckets/" + a + "/keys/" + ro.getString("key.accessKey")).then().statusCode(404);
        String bobs = unique("bobs");
        Storage.bucket(DemoUser.BOB, bobs);
        JsonPath bobKey = Storage.key(DemoUser.BOB, bobs, "read-write");
        assertFalse(bobKey.getString("endpoint").equals(endpoint), "each tenant has its own instance");
        S3 bobAtAcme = S3.as(endpoint, bobKey.getString("key.accessKey"), bobKey.getString("secretKey"));
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> bobAtAcme.list(a)));
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> bobAtAcme.list(bobs)));
        assertEquals("hello", reader.get(a, "hello.txt"), "bob's attempts changed nothing");

        as(DemoUser.ALICE).delete("/api/v1/buckets/" + a + "?confirm=" + a).then().statusCode(204);
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + b + "?confirm=" + b).then().statusCode(204);
        as(DemoUser.BOB).delete("/api/v1/buckets/" + bobs).then().statusCode(204);
    }

    @Test
    void badKeyRequestsAreRefusedAndNothingIsCreated() {
        String name = unique("badkeys");
        Storage.bucket(DemoUser.ALICE, name);
        as(DemoUser.ALICE).body(Map.of("mode", "read-write", "description", "x".repeat(257))).when()
                .post("/api/v1/buckets/" + name + "/keys").then().statusCode(400)
                .body("errors[0].field", equalTo("description")).body("errors[0].message", containsString("at most 256"));
        as(DemoUser.ALICE).body(Map.of("mode", "write-only")).when().post("/api/v1/buckets/" + name + "/keys")
                .then().statusCode(400).body("errors[0].field", equalTo("mode"));
        as(DemoUser.ALICE).body(Map.of("mode", "read-only", "expiresAt", "yesterday")).when().post("/api/v1/buckets/" + name + "/keys")
                .then().statusCode(400).body("errors[0].field", equalTo("expiresAt"));
        as(DemoUser.ALICE).body(Map.of("mode", "read-only", "expiresAt", "2001-01-01")).when().post("/api/v1/buckets/" + name + "/keys")
                .then().statusCode(400).body("errors[0].message", containsString("15 minutes"));
        as(DemoUser.ALICE).body(Map.of("mode", "read-only")).when().post("/api/v1/buckets/no-such-bucket-here/keys").then().statusCode(404);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name + "/keys").then().statusCode(200).body("size()", equalTo(0));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(204);
    }

    @Test
    void expiredKeyFails() throws Exception {
        String name = unique("expiry");
        Storage.bucket(DemoUser.ALICE, name);
        JsonPath key = as(DemoUser.ALICE).body(Map.of("mode", "read-write", "expiresAt", "30d")).when()
                .post("/api/v1/buckets/" + name + "/keys").then().statusCode(201).extract().jsonPath();
        String ak = key.getString("key.accessKey");
        S3 s3 = S3.as(key.getString("endpoint"), ak, key.getString("secretKey"));
        s3.put(name, "x.txt", "x");
        // MinIO will not expire a key sooner than 15 minutes; move Berth's record of the expiry into the past
        QuarkusTransaction.requiringNew().run(() -> AccessKey.update("expiresAt = ?1 where accessKey = ?2", Instant.now().minusSeconds(1), ak));
        enforcer.check(tenants.idOf("acme"));
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> s3.list(name)), "an expired key fails");
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name + "/keys").then().statusCode(200)
                .body("find { it.accessKey == '" + ak + "' }.expired", equalTo(true));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name + "?confirm=" + name).then().statusCode(204);
    }

    @Test
    void keysOfAFormerMemberStayListedAndRevocable() {
        String name = unique("former");
        Storage.bucket(DemoUser.ALICE, name);
        String ak = Storage.key(DemoUser.ALICE, name, "read-only").getString("key.accessKey");
        // "ghost" left acme: its keys are the tenant's, so dave (another acme member) sees and revokes them
        QuarkusTransaction.requiringNew().run(() -> AccessKey.update("createdBy = 'ghost' where accessKey = ?1", ak));
        as(DemoUser.DAVE).header("X-Berth-Tenant", "acme").get("/api/v1/buckets/" + name + "/keys").then().statusCode(200)
                .body("find { it.accessKey == '" + ak + "' }.createdBy", equalTo("ghost"));
        as(DemoUser.DAVE).header("X-Berth-Tenant", "acme").delete("/api/v1/buckets/" + name + "/keys/" + ak).then().statusCode(204);
        long audited = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = 'key.revoke' and actor = 'dave' and reason = 'created by ghost'"));
        assertTrue(audited >= 1);

        // administrators see every key of a tenant and revoke any of them
        String other = Storage.key(DemoUser.ALICE, name, "read-write").getString("key.accessKey");
        as(DemoUser.CAROL).get("/api/v1/admin/tenants/acme/keys").then().statusCode(200).body("accessKey", hasItem(other));
        as(DemoUser.CAROL).delete("/api/v1/admin/tenants/globex/keys/" + other).then().statusCode(404);
        as(DemoUser.CAROL).delete("/api/v1/admin/tenants/acme/keys/" + other).then().statusCode(204);
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name + "/keys").then().statusCode(200).body("size()", equalTo(0));
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(204);
    }

    @Test
    void mountInstructionsCarryAPlaceholderAfterCreation() {
        String name = unique("mount");
        Storage.bucket(DemoUser.ALICE, name);
        JsonPath key = Storage.key(DemoUser.ALICE, name, "read-only");
        String ak = key.getString("key.accessKey");
        String secret = key.getString("secretKey");
        assertTrue(key.getString("download").contains(secret), "the download at creation carries the secret");
        for (String tool : List.of("s3fs", "rclone", "mc", "awscli")) {
            String body = as(DemoUser.ALICE).get("/api/v1/buckets/" + name + "/keys/" + ak + "/mount?tool=" + tool)
                    .then().statusCode(200).body("tool", equalTo(tool)).extract().asString();
            assertTrue(body.contains("<SECRET>"), tool);
            assertFalse(body.contains(secret), tool);
            assertTrue(body.contains(key.getString("endpoint")), tool);
        }
        as(DemoUser.ALICE).get("/api/v1/buckets/" + name + "/keys/" + ak + "/mount?tool=ftp").then().statusCode(400)
                .body("errors[0].field", equalTo("tool"));
        as(DemoUser.BOB).get("/api/v1/buckets/" + name + "/keys/" + ak + "/mount?tool=s3fs").then().statusCode(404);
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + name).then().statusCode(204);
    }

    @Test
    void storageThatIsNotActiveSaysSo() {
        String bucket = unique("kept");
        Storage.bucket(DemoUser.BOB, bucket);
        Storage.suspend("globex"); // the administrator's suspend: the container is stopped
        try {
            as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(409)
                    .contentType(containsString("application/problem+json"))
                    .body("detail", containsString("Storage is not active"));
            as(DemoUser.BOB).body(Map.of("name", "some-bucket")).when().post("/api/v1/buckets").then().statusCode(409);
            as(DemoUser.ALICE).get("/api/v1/buckets").then().statusCode(200); // acme's instance is another one
        } finally {
            Storage.resume("globex");
        }
        as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(200).body("items.name", hasItem(bucket)); // data kept
        as(DemoUser.BOB).delete("/api/v1/buckets/" + bucket).then().statusCode(204);
    }

    @Test
    void bucketQuotaIsEnforcedWithTheReason() {
        List<String> existing = as(DemoUser.BOB).get("/api/v1/buckets").then().statusCode(200).extract().path("items.name");
        var q = new java.util.HashMap<String, Object>();
        q.put("vms", 10); q.put("vcpus", 10); q.put("memory", "1G"); q.put("buckets", existing.size() + 1);
        q.put("storageSoft", "1G"); q.put("storageHard", "2G"); q.put("accessKeys", 1); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/globex/quota").then().statusCode(200);
        String one = unique("quota");
        Storage.bucket(DemoUser.BOB, one);
        as(DemoUser.BOB).body(Map.of("name", unique("quota"))).when().post("/api/v1/buckets").then().statusCode(409)
                .body("detail", containsString("bucket quota is reached"));
        Storage.key(DemoUser.BOB, one, "read-only");
        as(DemoUser.BOB).body(Map.of("mode", "read-only")).when().post("/api/v1/buckets/" + one + "/keys").then().statusCode(409)
                .body("detail", containsString("access-key quota is reached"));
        Storage.quota("globex", "1 GiB", "2 GiB");
        as(DemoUser.BOB).delete("/api/v1/buckets/" + one).then().statusCode(204);
    }
}
