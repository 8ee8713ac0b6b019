package dev.berth.storage.usage;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.MinioObjectStore;
import dev.berth.storage.ObjectStore;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageException;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.key.AccessKey;
import dev.berth.storage.key.Credentials;
import dev.berth.storage.key.KeyMode;
import dev.berth.storage.key.KeyPolicy;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A key's place in the quota is taken under the tenant's lock, and MinIO's answer is awaited outside it. The instance
 * is real; only its first key creation is held back (the real adapter with that one method overridden), so the
 * tests can look at the moment between the reservation and MinIO's answer.
 */
@QuarkusTest
class KeyReservationTest {
    @Inject
    StorageConfig config;
    @Inject
    TlsAuthority tls;
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    TenantService tenants;
    @Inject
    StorageService storage;

    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean held = new AtomicBoolean();
    private final AtomicBoolean refuseNext = new AtomicBoolean();
    private MinioObjectStore real;
    /** A thread of its own per request: the common pool has a single thread on two cores and would queue the second. */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    private String bucket;

    @BeforeEach
    void holdTheFirstKeyCreation() {
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
        bucket = unique("resv");
        Storage.bucket(DemoUser.ALICE, bucket);
        // The real adapter with its real clients; only its key creation can be held back or refused.
        real = new MinioObjectStore(config, tls) {
            @Override
            public void createKey(InstanceAccess at, NewKey key) {
                if (refuseNext.getAndSet(false)) {
                    throw new StorageException("creating access key: refused by the test", null);
                }
                if (held.compareAndSet(false, true)) {
                    entered.countDown();
                    try {
                        release.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.createKey(at, key);
            }
        };
        QuarkusMock.installMockForType(real, MinioObjectStore.class);
    }

    @AfterEach
    void giveTheQuotaBack() {
        release.countDown();
        clients.close(); // waits for a request still out
        setKeyQuota(200);
    }

    private CompletableFuture<Response> createKeyAsync() {
        return CompletableFuture.supplyAsync(() -> as(DemoUser.ALICE).body(Map.of("mode", "read-write", "description", "reservation test"))
                .when().post("/api/v1/buckets/" + bucket + "/keys").andReturn(), clients);
    }

    private long acme() {
        return tenants.idOf("acme");
    }

    private long keysOf(String condition) {
        return QuarkusTransaction.requiringNew().call(() -> AccessKey.count("tenantId = ?1 and " + condition, acme()));
    }

    @Test
    void anotherKeyIsMadeWhileTheFirstWaitsForTheInstance() throws Exception {
        CompletableFuture<Response> first = createKeyAsync();
        try {
            assertTrue(entered.await(60, TimeUnit.SECONDS), "the first creation reached the instance");
            assertEquals(1, keysOf("pendingSince is not null"), "its row is written, pending, before MinIO answers");
            String listed = as(DemoUser.ALICE).get("/api/v1/buckets/" + bucket + "/keys").then().statusCode(200).extract().asString();
            assertFalse(listed.contains("reservation test"), "a key still being made is not listed");

            // With the lock held across MinIO's answer, this one would wait for the first (which waits for the test).
            Response second = createKeyAsync().get(60, TimeUnit.SECONDS);
            assertEquals(201, second.statusCode(), second.asString());
            assertFalse(first.isDone(), "the second key was made while the first still waited for the instance");
        } finally {
            release.countDown();
        }
        Response done = first.get(60, TimeUnit.SECONDS);
        assertEquals(201, done.statusCode(), done.asString());
        assertEquals(0, keysOf("pendingSince is not null"));
        var key = done.jsonPath();
        S3 s3 = S3.as(key.getString("endpoint"), key.getString("key.accessKey"), key.getString("secretKey"));
        s3.put(bucket, "hello.txt", "made after the wait");
        assertEquals("made after the wait", s3.get(bucket, "hello.txt"));
    }

    @Test
    void aKeyBeingMadeHoldsItsPlaceInTheQuota() throws Exception {
        setKeyQuota((int) keysOf("1 = 1") + 1);
        CompletableFuture<Response> first = createKeyAsync();
        try {
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            Response second = createKeyAsync().get(60, TimeUnit.SECONDS);
            assertEquals(409, second.statusCode(), second.asString());
            assertTrue(second.asString().contains("access-key quota is reached"), second.asString());
        } finally {
            release.countDown();
        }
        assertEquals(201, first.get(60, TimeUnit.SECONDS).statusCode());
        as(DemoUser.ALICE).body(Map.of("mode", "read-only")).when().post("/api/v1/buckets/" + bucket + "/keys")
                .then().statusCode(409).body("detail", containsString("access-key quota is reached"));
    }

    @Test
    void aRefusedCreationGivesItsPlaceBack() {
        held.set(true); // nothing is held back in this test
        setKeyQuota((int) keysOf("1 = 1") + 1);
        refuseNext.set(true);
        as(DemoUser.ALICE).body(Map.of("mode", "read-write")).when().post("/api/v1/buckets/" + bucket + "/keys")
                .then().statusCode(409).body("detail", containsString("refused by the test"));
        assertEquals(0, keysOf("pendingSince is not null"));
        as(DemoUser.ALICE).body(Map.of("mode", "read-write")).when().post("/api/v1/buckets/" + bucket + "/keys")
                .then().statusCode(201);
    }

    @Test
    void aReservationLeftByACrashIsDroppedWithItsKey() throws Exception {
        held.set(true);
        InstanceAccess at = storage.readyInstance(acme()).orElseThrow();
        String accessKey = Credentials.accessKey();
        String secret = Credentials.secretKey();
        // As a portal killed after MinIO made the key and before the row was confirmed leaves it.
        real.createKey(at, new ObjectStore.NewKey(accessKey, secret, KeyPolicy.of(bucket, KeyMode.READ_WRITE, false), "crashed", null));
        // Checked before the row exists: once it does, the enforcer's own scheduled pass may drop it at any moment.
        assertEquals("OK", S3.outcome(() -> S3.as(at.endpoint(), accessKey, secret).put(bucket, "before.txt", "x")));
        Instant longAgo = Instant.now().minus(StorageLimitEnforcer.ABANDONED_AFTER).minus(Duration.ofHours(1));
        QuarkusTransaction.requiringNew().run(() -> {
            var k = new AccessKey();
            k.tenantId = acme();
            k.accessKey = accessKey;
            k.bucket = bucket;
            k.mode = KeyMode.READ_WRITE;
            k.createdBy = "alice";
            k.createdAt = longAgo;
            k.pendingSince = longAgo;
            k.persist();
        });

        for (int pass = 0; pass < 3; pass++) { // dropped once, audited once (by these passes or a scheduled one)
            enforcer.check(acme());
        }
        assertEquals(0, QuarkusTransaction.requiringNew().call(() -> AccessKey.count("accessKey", accessKey)));
        assertEquals("InvalidAccessKeyId", S3.outcome(() -> S3.as(at.endpoint(), accessKey, secret).put(bucket, "after.txt", "x")));
        assertEquals(1, QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = 'key.create' and outcome = dev.berth.audit.Outcome.FAILED and target like ?1 and reason like 'abandoned%'",
                accessKey + "%")));
    }

    @Test
    void aReservationWhoseKeyMinioNeverMadeIsDroppedToo() {
        InstanceAccess at = storage.readyInstance(acme()).orElseThrow();
        String accessKey = Credentials.accessKey();
        // As a portal killed after the reservation and before MinIO was asked leaves it: MinIO has no such key.
        Instant longAgo = Instant.now().minus(StorageLimitEnforcer.ABANDONED_AFTER).minus(Duration.ofHours(1));
        QuarkusTransaction.requiringNew().run(() -> {
            var k = new AccessKey();
            k.tenantId = acme();
            k.accessKey = accessKey;
            k.bucket = bucket;
            k.mode = KeyMode.READ_WRITE;
            k.createdBy = "alice";
            k.createdAt = longAgo;
            k.pendingSince = longAgo;
            k.persist();
        });
        for (int pass = 0; pass < 3; pass++) {
            enforcer.check(acme());
        }
        assertEquals(0, QuarkusTransaction.requiringNew().call(() -> AccessKey.count("accessKey", accessKey)));
        assertEquals(1, QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = 'key.create' and outcome = dev.berth.audit.Outcome.FAILED and target like ?1 and reason like 'abandoned%'",
                accessKey + "%")));
    }

    private static void setKeyQuota(int keys) {
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 100);
        q.put("storageSoft", "1 GiB"); q.put("storageHard", "2 GiB"); q.put("accessKeys", keys); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/acme/quota").then().statusCode(200);
    }
}
