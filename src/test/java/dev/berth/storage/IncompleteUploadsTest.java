package dev.berth.storage;

import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditEvent;
import dev.berth.common.ByteSize;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.usage.StorageLimitEnforcer;
import dev.berth.support.DockerCli;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.support.Shell;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.MinioAsyncClient;
import io.minio.messages.Part;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * Parts of multipart uploads never completed fill a tenant's volume like objects do: they count against the hard
 * limit (writes stop), and once older than the configured age the pass aborts them (writes resume) without touching
 * completed objects. Real per-tenant instance, uploads made with the tenant's own read-write key; its own tenant.
 */
@QuarkusTest
class IncompleteUploadsTest {
    static final int KIB = 1024;

    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    StorageConfig config;

    @Test
    void incompleteUploadsCountAgainstTheHardLimitAndStaleOnesAreAborted() throws Exception {
        Actor actor = new Actor("alice", null, "incomplete-uploads-test");
        String slug = unique("uploads");
        tenants.create(Actor.system("test"), slug, slug);
        tenants.setQuota(Actor.system("test"), slug, new QuotaInput("1", "1", "1G", "5", "512K", "1M", "5", "1", "1G", "0", "0"));
        Storage.ready(slug);
        try {
            uploadsCountAndExpire(actor, slug);
        } finally {
            Storage.remove(slug);
        }
    }

    private void uploadsCountAndExpire(Actor actor, String slug) throws Exception {
        long tenantId = tenants.idOf(slug);
        buckets.create(actor, slug, "data");
        BucketService.CreatedKey rw = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-write", null, null));
        S3 writer = S3.as(rw.endpoint(), rw.key().accessKey(), rw.secretKey());
        // The raw multipart calls are public on minio-java's async client: a VM's client that stops half-way.
        MinioAsyncClient uploader = MinioAsyncClient.builder().endpoint(rw.endpoint())
                .credentials(rw.key().accessKey(), rw.secretKey())
                .httpClient(S3.trusting(io.quarkus.arc.Arc.container().instance(TlsAuthority.class).get())).build();

        // Completed objects, one of them assembled from a multipart upload: the abort must leave both alone.
        byte[] kept = filled(100 * KIB, 'k');
        writer.put("data", "kept.bin", kept);
        byte[] assembled = filled(50 * KIB, 'a');
        String done = uploader.createMultipartUploadAsync("data", null, "assembled.bin", null, null).get().result().uploadId();
        String etag = uploader.uploadPartAsync("data", null, "assembled.bin", new ByteArrayInputStream(assembled), assembled.length,
                done, 1, null, null).get().etag();
        uploader.completeMultipartUploadAsync("data", null, "assembled.bin", done, new Part[] {new Part(1, etag)}, null, null).get();
        long objects = kept.length + assembled.length;

        // 1200 KiB of parts, never completed: past the 1 MiB hard limit while every listing of objects says 150 KiB.
        String stuck = uploader.createMultipartUploadAsync("data", null, "stuck.bin", null, null).get().result().uploadId();
        for (int part = 1; part <= 2; part++) {
            byte[] data = filled(600 * KIB, 's');
            uploader.uploadPartAsync("data", null, "stuck.bin", new ByteArrayInputStream(data), data.length, stuck, part, null, null).get();
        }
        long parts = 1200 * KIB;

        // (a) With the configured age (a day) nothing is aborted yet, and the parts count.
        StorageLimitEnforcer.Check counted = enforcer.check(tenantId).orElseThrow();
        assertEquals(objects + parts, counted.usageBytes(), "objects and the parts of the incomplete upload");
        assertTrue(counted.blocked());
        assertEquals("AccessDenied", S3.outcome(() -> writer.put("data", "probe.txt", "p")), "writes stop at the hard limit");
        assertEquals("AccessDenied", outcome(() -> uploader.uploadPartAsync("data", null, "stuck.bin",
                new ByteArrayInputStream(new byte[KIB]), KIB, stuck, 3, null, null).get()), "so do further parts");
        BucketService.StorageState blocked = buckets.state(slug);
        assertTrue(blocked.writesBlocked());
        assertEquals(objects + parts, blocked.bytes());
        assertTrue(blocked.warning().contains(ByteSize.format(parts) + " are parts of multipart uploads never completed"), blocked.warning());
        assertEquals(2, uploader.listPartsAsync("data", null, "stuck.bin", 1000, 0, stuck, null, null).get().result().partList().size());
        assertTrue(incomplete(rw).contains("\"key\":\"stuck.bin\""), "the upload is still there");

        // The instance's own sweep is set to the same age: it removes what MinIO's listing forgets in a restart.
        String container = InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug);
        assertTrue(DockerCli.lines("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container)
                .contains("MINIO_API_STALE_UPLOADS_EXPIRY=" + config.incompleteUploadMaxAge().toSeconds() + "s"));

        // (b) Past the age (zero: anything begun before now), the pass aborts the upload: usage drops, writes resume.
        StorageLimitEnforcer.Check aborted = enforcer.check(tenantId, Duration.ZERO).orElseThrow();
        assertEquals(objects, aborted.usageBytes());
        assertFalse(aborted.blocked());
        assertEquals("NoSuchUpload", outcome(() -> uploader.listPartsAsync("data", null, "stuck.bin", 1000, 0, stuck, null, null).get()));
        assertFalse(incomplete(rw).contains("\"key\""), "ListMultipartUploads is empty");
        assertEquals("OK", S3.outcome(() -> writer.put("data", "probe.txt", "p")), "writes resume");
        assertEquals(new String(kept), writer.get("data", "kept.bin"));
        assertEquals(new String(assembled), writer.get("data", "assembled.bin"));
        BucketService.StorageState after = buckets.state(slug);
        assertFalse(after.writesBlocked());
        assertNull(after.warning());

        var audited = QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>list(
                "tenant = ?1 and action = 'storage.uploads.abort'", slug));
        assertEquals(1, audited.size(), "one row for the pass");
        assertEquals("system:upload-expiry", audited.get(0).actor);
        assertEquals("1 upload in data", audited.get(0).target);
        assertTrue(audited.get(0).reason.contains("(" + parts + " bytes)"), audited.get(0).reason);
        buckets.delete(actor, slug, "data", "data");
    }

    /** What mc, a client independent of minio-java, lists as incomplete uploads in the bucket with the tenant's key (JSON lines). */
    private static String incomplete(BucketService.CreatedKey key) throws Exception {
        Path home = Files.createTempDirectory("berth-mc");
        // The instance speaks TLS only: mc trusts the storage CA from its config directory, as the snippets set it up.
        Files.createDirectories(home.resolve("certs/CAs"));
        Files.writeString(home.resolve("certs/CAs/berth-ca.crt"),
                io.quarkus.arc.Arc.container().instance(TlsAuthority.class).get().caPem());
        String url = key.endpoint().replace("://", "://" + key.key().accessKey() + ":" + key.secretKey() + "@");
        Shell.Result ls = Shell.run(home, "mc ls --incomplete --recursive --json t/data",
                Map.of("MC_HOST_t", url, "MC_CONFIG_DIR", home.toString()));
        assertEquals(0, ls.exit(), ls.output());
        return ls.output();
    }

    private interface Call {
        void run() throws Exception;
    }

    /** The S3 error code of an asynchronous call, or "OK". */
    private static String outcome(Call call) {
        return S3.outcome(() -> {
            try {
                call.run();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        });
    }

    private static byte[] filled(int size, char c) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) c);
        return b;
    }
}
