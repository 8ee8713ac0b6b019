package dev.berth.support;

import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test stand-in for the instance lifecycle (issue 5): one real MinIO server process per tenant, started on first
 * use from {@code $BERTH_MINIO_BIN} on 127.0.0.1 with random root credentials and a temporary data directory,
 * stopped at JVM exit. When real provisioning is merged, this class is the one to replace.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class ProcessMinioInstances implements InstanceDirectory {
    /** Tenants whose storage a test switched off: they have no ready instance (the instance keeps running). */
    public static final Set<Long> INACTIVE = ConcurrentHashMap.newKeySet();

    private static final Map<Long, Running> RUNNING = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Running(Process process, Path dir, InstanceAccess access) {
    }

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.values().forEach(ProcessMinioInstances::stop)));
    }

    @Override
    public Optional<InstanceAccess> readyInstance(long tenantId) {
        if (INACTIVE.contains(tenantId)) {
            return Optional.empty();
        }
        return Optional.of(RUNNING.computeIfAbsent(tenantId, ProcessMinioInstances::start).access());
    }

    private static Running start(long tenantId) {
        String bin = System.getenv("BERTH_MINIO_BIN");
        if (bin == null || !new File(bin).canExecute()) {
            throw new IllegalStateException("BERTH_MINIO_BIN does not name the MinIO binary: eval \"$(./berth env)\"");
        }
        try {
            Path dir = Files.createTempDirectory("berth-minio-" + tenantId + "-");
            int port = freePort();
            int console = freePort();
            String user = "root" + hex(6);
            String password = hex(20);
            var pb = new ProcessBuilder(bin, "server", dir.resolve("data").toString(),
                    "--address", "127.0.0.1:" + port, "--console-address", "127.0.0.1:" + console, "--quiet")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("minio.log").toFile());
            pb.environment().put("MINIO_ROOT_USER", user);
            pb.environment().put("MINIO_ROOT_PASSWORD", password);
            pb.environment().put("MINIO_BROWSER", "off");
            pb.environment().put("MINIO_UPDATE", "off");
            Process process = pb.start();
            String endpoint = "http://127.0.0.1:" + port;
            awaitReady(process, endpoint, dir);
            awaitIam(endpoint, user, password);
            return new Running(process, dir, new InstanceAccess(tenantId, endpoint, user, password));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start MinIO for tenant " + tenantId, e);
        }
    }

    private static void awaitReady(Process process, String endpoint, Path dir) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("MinIO exited: " + Files.readString(dir.resolve("minio.log")));
            }
            try {
                var r = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/minio/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("MinIO did not become ready in 60 s: " + Files.readString(dir.resolve("minio.log")));
    }

    /** Ready answers before IAM is loaded ("Server not initialized yet"); a signed call succeeds only after. */
    private static void awaitIam(String endpoint, String user, String password) throws IOException {
        var client = io.minio.MinioClient.builder().endpoint(endpoint).credentials(user, password).build();
        Exception last = null;
        for (int i = 0; i < 600; i++) {
            try {
                client.listBuckets();
                return;
            } catch (Exception e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw new IllegalStateException("MinIO at " + endpoint + " did not accept signed requests in 60 s", last);
    }

    private static void stop(Running r) {
        r.process().destroy();
        try {
            r.process().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(r.dir())) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // best effort at exit
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
