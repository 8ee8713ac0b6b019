package dev.berth.storage;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.instance.InstanceHealth;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.StorageView;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.key.MountInstructions;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Shell;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The instance speaks TLS only, and every client verifies it: plain HTTP to the instance's port gets no S3 answer, and
 * the snippets' own commands (s3fs, rclone, mc, AWS CLI) as well as Berth's clients refuse a server on the same address
 * that presents a certificate of another CA (README, "Encrypted mounts").
 */
@QuarkusTest
class TlsTest {
    @Inject
    StorageService storage;
    @Inject
    InstanceHealth health;
    @Inject
    ObjectStore store;
    @Inject
    TlsAuthority tls;

    private final List<Path> roots = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();

    @BeforeEach
    void ready() {
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : servers) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (Path root : roots) {
            Shell.unmount(root.resolve("mnt").resolve("x"));
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    @Test
    void plainHttpToTheInstancePortIsRefused() throws Exception {
        StorageView v = storage.of("acme");
        String https = v.endpoint();
        assertTrue(https.startsWith("https://127.0.0.1:"), https);
        String http = https.replace("https://", "http://");
        var access = storage.readyInstance(storage.of("acme").id() == null ? -1 : tenantId()).orElseThrow();

        // Go's TLS server answers a plain request with 400 and says why; no S3 handler ever sees it
        Shell.Result curl = Shell.run(null, "curl -sS -w ' %{http_code}' " + http + "/minio/health/ready");
        assertTrue(curl.output().endsWith(" 400") && curl.output().contains("HTTP request to an HTTPS server"), curl.output());
        assertFalse(health.isReady(http, access.rootUser(), access.rootPassword()), "plain HTTP is not ready");
        String outcome = S3.outcome(() -> S3.as(http, access.rootUser(), access.rootPassword()).bucket("plain-http"));
        assertNotEquals("OK", outcome);
        // and the same credentials over HTTPS work (the refusal is the scheme's, not the credentials')
        assertTrue(health.isReady(https, access.rootUser(), access.rootPassword()));
    }

    @Test
    void everyClientRefusesAServerWithAnotherCasCertificate() throws Exception {
        String bucket = unique("tls");
        Storage.bucket(DemoUser.ALICE, bucket);
        var created = Storage.key(DemoUser.ALICE, bucket, "read-write");
        String real = created.getString("endpoint");
        Path root = Files.createTempDirectory("berth-tls-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        roots.add(root);

        // An impostor on the instance's address: a TLS server whose certificate (SAN 127.0.0.1) another CA signed
        int port = freePort();
        String impostor = "https://127.0.0.1:" + port;
        Shell.Result made = Shell.run(root, String.join("\n", "cd " + root,
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Other CA' "
                        + "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout other-ca.key -out other-ca.crt",
                "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' -keyout leaf.key -out leaf.csr",
                "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > leaf.ext",
                "openssl x509 -req -in leaf.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 1 -extfile leaf.ext -out leaf.crt"));
        assertEquals(0, made.exit(), made.output());
        Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert", "leaf.crt", "-key", "leaf.key", "-www", "-quiet")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(root.resolve("s_server.log").toFile()).start();
        servers.add(server);
        awaitListening(port);
        // it is a working TLS server: a client that trusts the other CA gets its page
        Shell.Result control = Shell.run(root, "curl -sS -o /dev/null -w '%{http_code}' --cacert " + root + "/other-ca.crt " + impostor + "/");
        assertEquals("200", control.output(), control.output());

        Case c = new Case(bucket, created, root, real, impostor);
        // s3fs, verbatim: it checks the server before it serves the mount, and gives up on the certificate
        c.run("s3fs-ca");
        c.run("s3fs-passwd");
        Shell.Result s3fs = Shell.run(c.home(), c.snippet("s3fs-mount"));
        try {
            Thread.sleep(3000);
            Shell.Result ls = Shell.run(c.home(), "ls " + c.mountPoint() + "/");
            assertTrue(s3fs.exit() != 0 || !Shell.mounted(c.mountPoint()) || ls.exit() != 0,
                    "s3fs served the impostor: " + s3fs.output() + ls.output());
        } finally {
            Shell.unmount(c.mountPoint());
        }

        // rclone: the mount comes up (rclone connects lazily) but serves nothing: a listing gets no answer (rclone
        // retries the refused handshake) ...
        c.run("rclone-ca");
        c.run("rclone-config-file");
        c.run("rclone-mount");
        try {
            Shell.awaitMounted(c.mountPoint(), null, null);
            Shell.Result ls = Shell.run(c.home(), "timeout 15 ls " + c.mountPoint() + "/");
            assertNotEquals(0, ls.exit(), "the impostor's listing: " + ls.output());
        } finally {
            Shell.unmount(c.mountPoint());
        }
        // ... and the same remote, flags and CA file in a one-shot listing say why
        String lsf = c.snippet("rclone-mount").lines().filter(l -> l.startsWith("rclone mount")).findFirst().orElseThrow()
                .replace("rclone mount", "rclone lsf").replace(" " + c.mountPoint() + " ", " ").replaceAll(" --(vfs-cache-mode \\S+|allow-other|umask \\S+|daemon)", "")
                + " --retries 1 --low-level-retries 1";
        Shell.Result why = Shell.run(c.home(), lsf);
        assertNotEquals(0, why.exit(), lsf + ": " + why.output());
        assertTrue(why.output().contains("certificate"), lsf + ": " + why.output());

        // mc and the AWS CLI: the command fails and says why
        c.run("mc-ca");
        c.run("mc-ca-install");
        Shell.Result alias = Shell.run(c.home(), c.snippet("mc-alias"));
        Shell.Result mcLs = Shell.run(c.home(), c.snippet("mc-use"));
        assertNotEquals(0, mcLs.exit(), alias.output() + mcLs.output());
        assertTrue((alias.output() + mcLs.output()).contains("certificate"), alias.output() + mcLs.output());
        c.run("awscli-ca");
        Path aws = Files.createDirectories(c.home().resolve(".aws"));
        Files.writeString(aws.resolve("credentials"), c.snippet("awscli-credentials"));
        Files.writeString(aws.resolve("config"), c.snippet("awscli-config"));
        Shell.Result awsLs = Shell.run(c.home(), c.snippet("awscli-use"));
        assertNotEquals(0, awsLs.exit(), awsLs.output());
        assertTrue(awsLs.output().contains("SSL validation failed") || awsLs.output().contains("CERTIFICATE_VERIFY_FAILED"), awsLs.output());

        // Berth's own clients: health check and the object store
        var access = storage.readyInstance(tenantId()).orElseThrow();
        assertFalse(health.isReady(impostor, access.rootUser(), access.rootPassword()));
        var fake = new InstanceAccess(access.tenantId(), impostor, access.rootUser(), access.rootPassword());
        StorageException e = assertThrows(StorageException.class, () -> store.bucketNames(fake));
        assertTrue(e.getMessage().contains("PKIX") || e.getMessage().toLowerCase().contains("certif"), e.getMessage());
        // and the same snippets against the real instance work (the refusals are the impostor's doing)
        Shell.Result realLs = Shell.run(c.home(), c.snippet("awscli-use").replace(impostor, real));
        assertEquals(0, realLs.exit(), realLs.output());
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    @Test
    void theCaIsServedToSignedInUsersAndMatchesTheInstance() throws Exception {
        String api = as(DemoUser.ALICE).accept("application/x-pem-file").get("/api/v1/storage/ca").then().statusCode(200)
                .extract().asString();
        var json = as(DemoUser.ALICE).get("/api/v1/storage/ca").then().statusCode(200).extract().jsonPath();
        assertEquals(api, json.getString("certificate"));
        assertEquals(tls.caFingerprint(), json.getString("sha256Fingerprint"));
        assertEquals(tls.caPem(), api);
        assertTrue(api.startsWith("-----BEGIN CERTIFICATE-----"));
        var view = as(DemoUser.ALICE).get("/api/v1/storage").then().statusCode(200).extract().jsonPath();
        assertEquals("/api/v1/storage/ca", view.getString("tls.caUrl"));
        assertEquals(tls.caFingerprint(), view.getString("tls.caFingerprint"));
        assertTrue(view.getString("tls.certificateNotAfter") != null, "the instance's certificate expiry is shown");
        // curl with the downloaded CA alone reaches the instance
        Path ca = Files.createTempFile("berth-ca", ".crt");
        Files.writeString(ca, api);
        Shell.Result r = Shell.run(null, "curl -sS -o /dev/null -w '%{http_code}' --cacert " + ca + " " + view.getString("endpoint") + "/minio/health/ready");
        Files.delete(ca);
        assertEquals("200", r.output(), r.output());
    }

    private long tenantId() {
        return io.quarkus.arc.Arc.container().instance(dev.berth.tenancy.TenantService.class).get().idOf("acme");
    }

    private static int freePort() throws IOException {
        for (int p = 29299; p > 29250; p--) { // this run's storage range, from the top: instances take the lowest
            try (var s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
                return p;
            } catch (IOException e) {
                // taken
            }
        }
        throw new IOException("no free port");
    }

    private static void awaitListening(int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the impostor did not listen on " + port);
    }

    /** The key's snippets with the paths moved into {@code root} and the endpoint replaced by the impostor's. */
    record Case(String bucket, io.restassured.path.json.JsonPath created, Path root, String real, String impostor) {
        String snippet(String id) {
            String text = created.getString("mount.snippets.flatten().find { it.id == '" + id + "' }.text");
            if (text == null) {
                throw new AssertionError("no snippet " + id);
            }
            return text.replace(MountInstructions.CONFIG_DIR, root + MountInstructions.CONFIG_DIR)
                    .replace("/mnt/" + bucket, mountPoint().toString()).replace(real, impostor);
        }

        Path mountPoint() {
            return root.resolve("mnt").resolve("x");
        }

        Path home() throws IOException {
            return Files.createDirectories(root.resolve("home"));
        }

        void run(String id) throws Exception {
            Shell.Result r = Shell.run(home(), snippet(id));
            assertEquals(0, r.exit(), id + " failed: " + r.output());
        }
    }
}
