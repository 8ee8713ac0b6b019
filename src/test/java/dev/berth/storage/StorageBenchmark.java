package dev.berth.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.berth.hosts.HostService;
import dev.berth.storage.instance.InstanceHealth;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.support.DockerCli;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench}. In the same run, interleaved:
 * <ul>
 * <li>activation to ready through Berth (API-level service call, then the status it reports) against a bare
 *     {@code docker run} of the same image to the same readiness (health endpoint plus an admin call);</li>
 * <li>the write throughput MinIO's own PUTs see with and without the quota's block-I/O write limit.</li>
 * </ul>
 * Results go to target/bench/storage.json.
 */
@QuarkusTest
class StorageBenchmark {
    static final int RUNS = Integer.getInteger("berth.bench.rounds", 7);
    static final long OBJECT = 256L << 20; // large enough that MinIO writes it in big direct-I/O chunks
    static final long WRITE_LIMIT = 20L << 20;

    @Inject
    StorageService storage;
    @Inject
    Reconciler reconciler;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    InstanceHealth health;
    @Inject
    StorageConfig config;

    @AfterAll
    static void cleanUp() {
        DockerCli.cleanUp();
    }

    @Test
    void activationAndBlockIo() throws Exception {
        StorageFixtures.localDockerHost(hosts);
        var berth = new ArrayList<Double>();
        var bare = new ArrayList<Double>();
        for (int i = 0; i < RUNS; i++) {
            bare.add(bareRun(i));
            berth.add(activation("bench-" + i + "-" + Long.toString(System.nanoTime() % 100000, 36)));
        }
        double berthMedian = median(berth);
        double bareMedian = median(bare);

        var io = new LinkedHashMap<String, Object>();
        double unlimited = putThroughput(throttledTenant("0"), "unlimited");
        double limited = putThroughput(throttledTenant((WRITE_LIMIT >> 20) + "M"), "limited");
        io.put("objectBytes", OBJECT);
        io.put("writeLimitBytesPerSecond", WRITE_LIMIT);
        io.put("unlimitedMiBps", round(unlimited));
        io.put("limitedMiBps", round(limited));
        io.put("limitHeld", limited <= (WRITE_LIMIT >> 20) * 1.2);

        var result = new LinkedHashMap<String, Object>();
        result.put("at", Instant.now().toString());
        result.put("runs", RUNS);
        result.put("activationToReadyMs", Map.of("berth", berth, "bareDockerRun", bare,
                "berthMedian", round(berthMedian), "bareMedian", round(bareMedian),
                "ratio", round(berthMedian / bareMedian)));
        result.put("blockIo", io);
        result.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
        Path out = Path.of("target", "bench", "storage.json");
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println("storage benchmark: " + Files.readString(out));
    }

    /** Activation as a tenant asks for it, until Berth reports READY; then the instance and its data go. */
    private double activation(String slug) throws Exception {
        tenants.create(StorageFixtures.TEST, slug, slug);
        long start = System.nanoTime();
        long id = storage.activate(StorageFixtures.TEST, slug).instance().id();
        while (!"READY".equals(storage.of(slug).status())) {
            if ("FAILED".equals(storage.of(slug).status())) {
                throw new IllegalStateException(storage.of(slug).lastError());
            }
            Thread.sleep(5);
        }
        double ms = (System.nanoTime() - start) / 1e6;
        reconciler.kick(id).join();
        storage.delete(StorageFixtures.TEST, id, "delete", slug);
        return ms;
    }

    /** The same image by hand: docker run, then the same readiness check. */
    private double bareRun(int i) throws Exception {
        int port = config.portMax() - 10 - i;
        String name = "berth-test-bare-" + i + "-" + Long.toString(System.nanoTime() % 100000, 36);
        long start = System.nanoTime();
        DockerCli.run("run", "-d", "--name", name, "--label", "berth.scope=" + DockerCli.TEST_SCOPE, "--network", "host",
                "--user", "0:0", "--mount", "type=volume,source=" + name + ",target=/data,volume-label=berth.scope=" + DockerCli.TEST_SCOPE,
                "-e", "MINIO_ROOT_USER=benchroot", "-e", "MINIO_ROOT_PASSWORD=bench-password-123",
                config.image(), "server", "/data", "--address", "127.0.0.1:" + port);
        health.awaitReady("http://127.0.0.1:" + port, "benchroot", "bench-password-123", Duration.ofSeconds(60));
        double ms = (System.nanoTime() - start) / 1e6;
        DockerCli.run("rm", "-f", name);
        DockerCli.run("volume", "rm", "-f", name);
        return ms;
    }

    private InstanceAccess throttledTenant(String writeLimit) throws Exception {
        String slug = "bench-io-" + Long.toString(System.nanoTime() % 100000, 36);
        tenants.create(StorageFixtures.TEST, slug, slug);
        var q = tenants.quota(slug).asInput();
        tenants.setQuota(StorageFixtures.TEST, slug, new QuotaInput(q.vms(), q.vcpus(), q.memory(), q.buckets(),
                q.storageSoft(), q.storageHard(), q.accessKeys(), "2", "1G", "0", writeLimit));
        long id = storage.activate(StorageFixtures.TEST, slug).instance().id();
        reconciler.kick(id).join();
        return storage.readyInstance(tenants.idOf(slug)).orElseThrow(() -> new IllegalStateException(storage.of(slug).lastError()));
    }

    /** MiB/s of one large PUT, random bytes (MinIO does not compress or dedupe them). */
    private static double putThroughput(InstanceAccess access, String label) throws Exception {
        MinioClient s3 = StorageFixtures.s3(access);
        if (!s3.bucketExists(BucketExistsArgs.builder().bucket("bench").build())) {
            s3.makeBucket(MakeBucketArgs.builder().bucket("bench").build());
        }
        long start = System.nanoTime();
        try (InputStream in = new RandomStream(OBJECT)) {
            s3.putObject(PutObjectArgs.builder().bucket("bench").object(label).stream(in, OBJECT, 16L << 20).build());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return OBJECT / (1024.0 * 1024.0) / seconds;
    }

    private static double median(List<Double> values) {
        var sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** n pseudo-random bytes without holding them in memory. */
    static final class RandomStream extends InputStream {
        private final Random random = new Random(42);
        private long left;

        RandomStream(long n) {
            left = n;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return random.nextInt(256);
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            left -= n;
            return n;
        }
    }
}
