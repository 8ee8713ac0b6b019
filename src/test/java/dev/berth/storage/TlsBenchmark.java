package dev.berth.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.berth.storage.instance.InstanceHealth;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.support.DockerCli;
import dev.berth.support.S3;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * Not a test: run with {@code ./berth bench TlsBenchmark}. What encryption costs a tenant: one 256 MiB PUT and one GET
 * through HTTPS (a certificate from Berth's CA, the client trusting that CA alone, as Berth's and the snippets' clients
 * do) against the plain-HTTP baseline, on the same MinIO: one image, one data volume, one port, the instance's limits
 * (1 CPU, 1 GiB), started alternately with and without its certificate directory, rounds interleaved in the same run.
 * The restart between rounds is not timed. Results go to target/bench/tls.json.
 */
@QuarkusTest
class TlsBenchmark {
    static final int ROUNDS = Integer.getInteger("berth.bench.rounds", 3);
    static final long OBJECT = 256L << 20;
    static final String USER = "benchroot";
    static final String PASSWORD = "bench-password-123";

    @Inject
    TlsAuthority tls;
    @Inject
    InstanceHealth health;
    @Inject
    StorageConfig config;

    @AfterAll
    static void cleanUp() {
        DockerCli.cleanUp();
    }

    @Test
    void httpsAgainstPlainHttpOnTheSameInstance() throws Exception {
        int port = config.portMax() - 1;
        String name = DockerCli.TEST_SCOPE + "-tls-bench";
        String volume = name + "-data";
        Path certs = Files.createTempDirectory("berth-bench-certs", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        TlsAuthority.Issued cert = tls.issue("127.0.0.1", Duration.ofDays(1));
        Files.writeString(certs.resolve("public.crt"), cert.certPem());
        Files.writeString(certs.resolve("private.key"), cert.keyPem());
        Files.setPosixFilePermissions(certs.resolve("private.key"), PosixFilePermissions.fromString("rw-r--r--")); // a throwaway key
        Map<String, List<Double>> put = Map.of("https", new ArrayList<>(), "http", new ArrayList<>());
        Map<String, List<Double>> get = Map.of("https", new ArrayList<>(), "http", new ArrayList<>());
        try {
            for (int round = 0; round < ROUNDS; round++) {
                for (String scheme : round % 2 == 0 ? List.of("https", "http") : List.of("http", "https")) {
                    start(name, volume, port, scheme.equals("https") ? certs : null);
                    String endpoint = scheme + "://127.0.0.1:" + port;
                    health.awaitReady(endpoint, USER, PASSWORD, Duration.ofSeconds(60));
                    var builder = MinioClient.builder().endpoint(endpoint).credentials(USER, PASSWORD);
                    if (scheme.equals("https")) {
                        builder.httpClient(S3.trusting(tls));
                    }
                    MinioClient s3 = builder.build();
                    if (!s3.bucketExists(BucketExistsArgs.builder().bucket("bench").build())) {
                        s3.makeBucket(MakeBucketArgs.builder().bucket("bench").build());
                    }
                    String object = "object-" + round + "-" + scheme;
                    long t0 = System.nanoTime();
                    try (InputStream in = new Repeating(OBJECT)) {
                        s3.putObject(PutObjectArgs.builder().bucket("bench").object(object).stream(in, OBJECT, 16L << 20).build());
                    }
                    put.get(scheme).add(mibPerSecond(System.nanoTime() - t0));
                    long t1 = System.nanoTime();
                    long read = 0;
                    byte[] buffer = new byte[1 << 20];
                    try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket("bench").object(object).build())) {
                        for (int n; (n = in.read(buffer)) > 0; ) {
                            read += n;
                        }
                    }
                    get.get(scheme).add(mibPerSecond(System.nanoTime() - t1));
                    if (read != OBJECT) {
                        throw new IllegalStateException("read " + read + " bytes");
                    }
                }
            }
        } finally {
            DockerCli.run("rm", "-f", name);
            DockerCli.run("volume", "rm", "-f", volume);
            try (var files = Files.walk(certs)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        var result = new LinkedHashMap<String, Object>();
        result.put("at", Instant.now().toString());
        result.put("objectBytes", OBJECT);
        result.put("rounds", ROUNDS);
        result.put("container", "1 CPU, 1 GiB, host network, 127.0.0.1");
        for (String op : List.of("put", "get")) {
            var m = op.equals("put") ? put : get;
            double https = median(m.get("https"));
            double http = median(m.get("http"));
            result.put(op, Map.of("httpsMiBps", m.get("https"), "httpMiBps", m.get("http"), "httpsMedianMiBps", round(https),
                    "httpMedianMiBps", round(http), "httpsOverHttp", Math.round(https / http * 1000) / 1000.0));
        }
        result.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
        Path out = Path.of("target", "bench", "tls.json");
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println("tls benchmark: " + Files.readString(out));
    }

    /** The same container each time, with or without its certificate directory (then MinIO serves plain HTTP). */
    private void start(String name, String volume, int port, Path certs) {
        DockerCli.run("rm", "-f", name);
        var args = new ArrayList<>(List.of("run", "-d", "--name", name, "--label", "berth.scope=" + DockerCli.TEST_SCOPE,
                "--network", "host", "--cpus", "1", "--memory", "1g", "--memory-swap", "1g",
                "--mount", "type=volume,source=" + volume + ",target=/data,volume-label=berth.scope=" + DockerCli.TEST_SCOPE,
                "--user", "0:0", "-e", "MINIO_ROOT_USER=" + USER, "-e", "MINIO_ROOT_PASSWORD=" + PASSWORD, "-e", "MINIO_BROWSER=off"));
        if (certs != null) {
            args.addAll(List.of("-v", certs + ":/certs:ro"));
        }
        args.addAll(List.of(config.image(), "server", "/data", "--address", "127.0.0.1:" + port));
        if (certs != null) {
            args.addAll(List.of("--certs-dir", "/certs"));
        }
        DockerCli.run(args.toArray(String[]::new));
    }

    private static double mibPerSecond(long nanos) {
        return round(OBJECT / (1024.0 * 1024.0) / (nanos / 1e9));
    }

    private static double median(List<Double> values) {
        var sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** n bytes from an 8 MiB random block, repeated: random to MinIO, nearly free for the client to make. */
    static final class Repeating extends InputStream {
        private static final byte[] BLOCK = new byte[8 << 20];

        static {
            new Random(42).nextBytes(BLOCK);
        }

        private long left;
        private long position;

        Repeating(long n) {
            left = n;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return BLOCK[(int) (position++ % BLOCK.length)] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int start = (int) (position % BLOCK.length);
            int n = (int) Math.min(Math.min(len, left), BLOCK.length - start);
            System.arraycopy(BLOCK, start, b, off, n);
            position += n;
            left -= n;
            return n;
        }
    }
}
