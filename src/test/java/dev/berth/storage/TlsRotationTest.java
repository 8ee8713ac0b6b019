package dev.berth.storage;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.key.MountInstructions;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Shell;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Certificates with a one-minute lifetime, renewed when less than 40 s is left: the reconciler replaces the instance's
 * certificate before it expires and restarts MinIO with it, and a bucket mounted with s3fs before keeps working after.
 */
@QuarkusTest
@TestProfile(TlsRotationTest.ShortLived.class)
class TlsRotationTest {
    public static class ShortLived implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("berth.storage.tls.cert-lifetime", "60s", "berth.storage.tls.renew-before", "40s");
        }
    }

    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    TlsAuthority tls;

    @org.junit.jupiter.api.BeforeEach // not @BeforeAll: RestAssured learns the test port per test
    void fresh() {
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.remove("acme"); // an instance left by another class carries a long-lived certificate
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    @Test
    void aShortLivedCertificateIsReplacedBeforeExpiryAndAMountedBucketKeepsWorking() throws Exception {
        String bucket = unique("rotate");
        Storage.bucket(DemoUser.ALICE, bucket);
        var created = Storage.key(DemoUser.ALICE, bucket, "read-write");
        String endpoint = created.getString("endpoint");
        Path root = Files.createTempDirectory("berth-rotate-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path home = Files.createDirectories(root.resolve("home"));
        Path mp = root.resolve("mnt").resolve(bucket);
        S3 s3 = S3.as(endpoint, created.getString("key.accessKey"), created.getString("secretKey"));
        try {
            for (String id : new String[] {"s3fs-ca", "s3fs-passwd", "s3fs-mount"}) {
                String text = created.getString("mount.snippets.flatten().find { it.id == '" + id + "' }.text")
                        .replace(MountInstructions.CONFIG_DIR, root + MountInstructions.CONFIG_DIR).replace("/mnt/" + bucket, mp.toString());
                Shell.Result r = Shell.run(home, text);
                assertEquals(0, r.exit(), id + ": " + r.output());
            }
            Shell.awaitMounted(mp, null, null);
            Files.writeString(mp.resolve("before.txt"), "written before the rotation");
            assertEquals("written before the rotation", await(() -> s3.get(bucket, "before.txt")));

            X509Certificate first = presented(endpoint);
            Instant firstExpiry = first.getNotAfter().toInstant();
            long id = storage.of("acme").id();
            X509Certificate now = first;
            Instant replacedAt = null;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (now.getSerialNumber().equals(first.getSerialNumber()) && System.nanoTime() < deadline) {
                reconciler.kick(id).join(); // what the scheduled pass does every interval
                Storage.awaitReady("acme");
                now = presented(endpoint);
                replacedAt = Instant.now();
                Thread.sleep(1000);
            }
            assertNotEquals(first.getSerialNumber(), now.getSerialNumber(), "the certificate was not replaced");
            assertTrue(replacedAt.isBefore(firstExpiry), "replaced at " + replacedAt + ", after the old one expired at " + firstExpiry);
            assertTrue(now.getNotAfter().after(first.getNotAfter()), "the new certificate lives longer");
            assertEquals(now.getNotAfter().toInstant().getEpochSecond(), storage.get(id).tls().certificateNotAfter().getEpochSecond(),
                    "the admin page shows the new expiry");

            // the mount made before the restart goes on: both ways
            s3.put(bucket, "after.txt", "written over S3 after the rotation");
            assertEquals("written over S3 after the rotation", awaitFile(mp.resolve("after.txt")));
            Files.writeString(mp.resolve("through-mount-after.txt"), "written through the mount after the rotation");
            assertEquals("written through the mount after the rotation", await(() -> s3.get(bucket, "through-mount-after.txt")));
            assertEquals("written before the rotation", Files.readString(mp.resolve("before.txt")));
        } finally {
            Shell.unmount(mp);
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    /** The certificate the instance presents now (verified against the CA: the handshake fails otherwise). */
    private X509Certificate presented(String endpoint) throws Exception {
        URI u = URI.create(endpoint);
        try (var socket = (SSLSocket) tls.sslContext().getSocketFactory().createSocket(u.getHost(), u.getPort())) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    interface Read {
        String get() throws Exception;
    }

    /** s3fs uploads on close and MinIO may still be starting: a few tries. */
    private static String await(Read read) throws Exception {
        Exception last = null;
        for (int i = 0; i < 100; i++) {
            try {
                return read.get();
            } catch (Exception e) {
                last = e;
                Thread.sleep(200);
            }
        }
        throw last;
    }

    private static String awaitFile(Path p) throws Exception {
        return await(() -> Files.readString(p));
    }
}
