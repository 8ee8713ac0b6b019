package dev.berth.storage;

import static dev.berth.support.Api.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.berth.audit.Actor;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.usage.StorageLimitEnforcer;
import dev.berth.storage.usage.UsageLedger;
import dev.berth.support.DockerCli;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Usage kept from a real MinIO instance's bucket events (its webhook target posts to this test's portal): writes,
 * overwrites, deletes, versions and delete markers change the bucket's recorded figures without any listing, and a
 * full reconciling listing finds the same. Its own tenant.
 */
@QuarkusTest
class UsageEventsTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    UsageLedger ledger;
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    InstanceDirectory instances;
    @Inject
    TlsAuthority tls;

    private BucketService.Recorded await(long tenantId, String bucket, Predicate<BucketService.Recorded> done, String what)
            throws InterruptedException {
        BucketService.Recorded r = null;
        for (long end = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < end; Thread.sleep(50)) {
            r = BucketService.Recorded.of(ledger.bucket(tenantId, bucket));
            if (done.test(r)) {
                return r;
            }
        }
        throw new AssertionError(what + ": recorded " + r);
    }

    @Test
    void eventsKeepTheUsage() throws Exception {
        Actor actor = new Actor("alice", null, "usage-events-test");
        String slug = unique("events");
        tenants.create(Actor.system("test"), slug, slug);
        tenants.setQuota(Actor.system("test"), slug, new QuotaInput("1", "1", "1G", "5", "512M", "1G", "5", "1", "1G", "0", "0"));
        Storage.ready(slug);
        long id = tenants.idOf(slug);
        try {
            buckets.create(actor, slug, "data");
            BucketService.Recorded fresh = BucketService.Recorded.of(ledger.bucket(id, "data"));
            assertNotNull(fresh.countedSince(), "a bucket made through Berth sends events and is counted from its creation");
            BucketService.CreatedKey rw = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-write", null, null));
            S3 s3 = S3.as(rw.endpoint(), rw.key().accessKey(), rw.secretKey());

            s3.put("data", "a.bin", new byte[100]);
            s3.put("data", "dir/b c+d.bin", new byte[300]); // a key MinIO URL-encodes in its events
            s3.put("data", "a.bin", new byte[200]); // overwrite: the 100 bytes are gone
            await(id, "data", r -> r.currentObjects() == 2 && r.currentBytes() == 500, "two objects, 500 bytes");
            s3.delete("data", "dir/b c+d.bin");
            await(id, "data", r -> r.currentObjects() == 1 && r.currentBytes() == 200, "the delete took 300 bytes away");

            buckets.setVersioning(actor, slug, "data", true);
            s3.put("data", "a.bin", new byte[50]); // the 200-byte null version becomes non-current
            await(id, "data", r -> r.currentBytes() == 50 && r.noncurrentVersions() == 1 && r.noncurrentBytes() == 200, "a version");
            s3.delete("data", "a.bin"); // a delete marker: nothing freed
            BucketService.Recorded marked = await(id, "data", r -> r.deleteMarkers() == 1, "a delete marker");
            assertEquals(0, marked.currentObjects());
            assertEquals(2, marked.noncurrentVersions());
            assertEquals(250, marked.noncurrentBytes());

            // The API shows the recorded figures.
            BucketService.BucketView v = buckets.bucket(slug, "data");
            assertEquals(250, v.info().sizeBytes());
            assertEquals(2, v.info().objects());

            // A full listing finds the same (and keeps the bucket counted from events).
            assertEquals(1, enforcer.reconcileDue(id, true));
            BucketService.Recorded listed = BucketService.Recorded.of(ledger.bucket(id, "data"));
            assertEquals(marked.currentObjects(), listed.currentObjects());
            assertEquals(marked.noncurrentVersions(), listed.noncurrentVersions());
            assertEquals(marked.noncurrentBytes(), listed.noncurrentBytes());
            assertEquals(marked.deleteMarkers(), listed.deleteMarkers());
            assertNotNull(listed.countedSince());
            assertNotNull(listed.reconciledAt());

            // And after the listing, events go on counting from it (how soon is printed, not asserted).
            long t0 = System.nanoTime();
            s3.put("data", "c.bin", new byte[1000]);
            await(id, "data", r -> r.currentObjects() == 1 && r.currentBytes() == 1000, "events after a reconcile");
            System.out.printf("usage events: a write counted %d ms after it was acknowledged%n", (System.nanoTime() - t0) / 1_000_000);

            // Versions removed by id (the root user's client: a key's policy may not allow it): the delete marker goes,
            // so the newest remaining version is current again; then the old null version goes for good.
            InstanceAccess at = instances.readyInstance(id).orElseThrow();
            MinioClient root = MinioClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword())
                    .httpClient(S3.trusting(tls)).build();
            String marker = null;
            for (Result<Item> r : root.listObjects(ListObjectsArgs.builder().bucket("data").prefix("a.bin").includeVersions(true).build())) {
                if (r.get().isDeleteMarker()) {
                    marker = r.get().versionId();
                }
            }
            assertNotNull(marker);
            root.removeObject(RemoveObjectArgs.builder().bucket("data").object("a.bin").versionId(marker).build());
            await(id, "data", r -> r.deleteMarkers() == 0 && r.currentObjects() == 2 && r.currentBytes() == 1050
                    && r.noncurrentVersions() == 1 && r.noncurrentBytes() == 200, "the delete marker removed: a.bin current again");
            root.removeObject(RemoveObjectArgs.builder().bucket("data").object("a.bin").versionId("null").build());
            await(id, "data", r -> r.noncurrentVersions() == 0 && r.noncurrentBytes() == 0 && r.currentBytes() == 1050,
                    "a non-current version removed by its id");

            // A multipart upload, completed: counted from its CompleteMultipartUpload event with its whole size.
            int big = 6 * 1024 * 1024;
            root.putObject(PutObjectArgs.builder().bucket("data").object("big.bin")
                    .stream(new java.io.ByteArrayInputStream(new byte[big]), -1, 5 * 1024 * 1024).build());
            await(id, "data", r -> r.currentObjects() == 3 && r.currentBytes() == 1050 + big, "a completed multipart upload");
        } catch (AssertionError e) {
            System.out.println(String.join("\n", DockerCli.lines("logs", "--tail", "40",
                    InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug))));
            throw e;
        } finally {
            Storage.remove(slug);
        }
    }

    @Test
    void eventsNeedTheInstancesToken() {
        // No token, a token of another scheme, a wrong one: refused before anything is read.
        String body = "{\"Records\":[]}";
        given().contentType("application/json").body(body).post("/internal/storage/events/1").then().statusCode(401);
        given().header("Authorization", "Bearer x").contentType("application/json").body(body).post("/internal/storage/events/1")
                .then().statusCode(401);
        given().header("Authorization", "BerthEvents 00").contentType("application/json").body(body).post("/internal/storage/events/1")
                .then().statusCode(401);
        given().header("Authorization", "BerthEvents 00").contentType("application/json").body(body).post("/internal/storage/events/x")
                .then().statusCode(404);
    }
}
