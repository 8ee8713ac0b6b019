package dev.berth.storage;

import static dev.berth.support.Api.as;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.common.BerthMeters;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.usage.BucketUsage;
import dev.berth.storage.usage.UsageLedger;
import dev.berth.support.DemoUser;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.tenancy.TenantService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Storage at scale (issue 14): {@code berth.bench.scale.objects} small objects (default 200,000, as the issue asks)
 * uploaded with {@code mc mirror} straight to acme's instance, not through Berth, in chunks of 10,000 within a budget of
 * {@code berth.bench.scale.upload-minutes} (default 30; the count reached is recorded). Measured in the same run: the bucket list and the
 * bucket (API and page) on the empty bucket and on the full one, against the raw listing of the same objects (what
 * Berth used to do per view); the hard limit's delay after crossing and after deleting (5 trials each); Berth's own
 * calls to the idle instance per check. Results in target/bench/scale.json.
 */
@QuarkusTest
class ScaleBenchmark {
    static final int ROUNDS = 15;
    static final int OBJECT_BYTES = 512;
    static final int CHUNK = 10_000;

    @Inject
    InstanceDirectory instances;
    @Inject
    TenantService tenants;
    @Inject
    UsageLedger ledger;
    @Inject
    MeterRegistry registry;
    @Inject
    StorageConfig config;

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    /** Medians in ms of the four views, interleaved round by round. */
    record Views(double apiList, double apiBucket, double pageList, double pageBucket) {
    }

    private Views views(String token, String bucket) {
        long[][] t = new long[4][ROUNDS];
        for (int i = -3; i < ROUNDS; i++) {
            long t0 = System.nanoTime();
            given().auth().oauth2(token).get("/api/v1/buckets").then().statusCode(200);
            long t1 = System.nanoTime();
            given().auth().oauth2(token).get("/api/v1/buckets/" + bucket).then().statusCode(200);
            long t2 = System.nanoTime();
            given().auth().oauth2(token).get("/storage/buckets").then().statusCode(200);
            long t3 = System.nanoTime();
            given().auth().oauth2(token).get("/storage/buckets/" + bucket).then().statusCode(200);
            long t4 = System.nanoTime();
            if (i >= 0) {
                t[0][i] = t1 - t0;
                t[1][i] = t2 - t1;
                t[2][i] = t3 - t2;
                t[3][i] = t4 - t3;
            }
        }
        return new Views(median(t[0]), median(t[1]), median(t[2]), median(t[3]));
    }

    private long minioCalls() {
        return registry.find(BerthMeters.BACKEND_CALL).tag("backend", "minio").timers().stream().mapToLong(Timer::count).sum();
    }

    @Test
    void pagesAndTheHardLimitDoNotGrowWithObjects() throws Exception {
        int asked = Integer.getInteger("berth.bench.scale.objects", 200_000);
        // Bounded: the upload goes in chunks of 10,000 and stops after the chunk that passes the budget (the machine's
        // MinIO, one CPU, takes small objects at about 100 a second); what was uploaded is what is measured.
        long budgetNs = TimeUnit.MINUTES.toNanos(Long.getLong("berth.bench.scale.upload-minutes", 30));
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "900 GiB", "1000 GiB");
        Storage.ready("acme");
        long tenantId = tenants.idOf("acme");
        InstanceAccess at = instances.readyInstance(tenantId).orElseThrow();
        String run = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        String bucket = "scale-" + run;
        Storage.bucket(DemoUser.ALICE, bucket);
        String token = DemoUser.ALICE.token();
        TlsAuthority tls = io.quarkus.arc.Arc.container().instance(TlsAuthority.class).get();
        MinioClient raw = MinioClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword())
                .httpClient(S3.trusting(tls)).build();

        Views empty = views(token, bucket);

        // Upload with a real client, straight to the instance.
        Path dir = Files.createTempDirectory("berth-scale");
        byte[] body = new byte[OBJECT_BYTES];
        Arrays.fill(body, (byte) 'x');
        for (int i = 0; i < asked; i++) {
            Path d = dir.resolve("c" + (i / CHUNK)).resolve("d" + (i / 1000));
            if (i % 1000 == 0) {
                Files.createDirectories(d);
            }
            Files.write(d.resolve("o" + i), body);
        }
        String mc = System.getenv().getOrDefault("BERTH_MC_BIN", "mc");
        Path mcConfig = Files.createTempDirectory("berth-scale-mc");
        var env = Map.of("MC_CONFIG_DIR", mcConfig.toString());
        Files.createDirectories(mcConfig.resolve("certs/CAs"));
        Files.writeString(mcConfig.resolve("certs/CAs/berth-ca.crt"), tls.caPem()); // the instance speaks TLS only
        long u0 = System.nanoTime();
        exec(env, mc, "alias", "set", "bench", at.endpoint(), at.rootUser(), at.rootPassword());
        int objects = 0;
        while (objects < asked && System.nanoTime() - u0 < budgetNs) {
            int chunk = objects / CHUNK;
            exec(env, mc, "mirror", "--quiet", dir.resolve("c" + chunk).toString(), "bench/" + bucket + "/c" + chunk);
            objects = Math.min(asked, (chunk + 1) * CHUNK);
            System.out.printf("scale: %d objects uploaded after %.0f s, %d counted%n", objects, (System.nanoTime() - u0) / 1e9,
                    ledger.bucket(tenantId, bucket).currentObjects);
        }
        long uploadedNs = System.nanoTime() - u0;
        // Events are applied as they come; wait until the ledger has all of them (how long after the upload ended).
        long w0 = System.nanoTime();
        long counted = 0;
        while (counted < objects && System.nanoTime() - w0 < TimeUnit.MINUTES.toNanos(10)) {
            BucketUsage u = ledger.bucket(tenantId, bucket);
            counted = u == null ? 0 : u.currentObjects;
            Thread.sleep(200);
        }
        long eventLagNs = System.nanoTime() - w0;
        double eventsPerSecond = objects / ((uploadedNs + eventLagNs) / 1e9);
        deleteTree(dir); // the uploaded copies: up to 200,000 files
        deleteTree(mcConfig);
        assertEquals(objects, counted, "every object counted from its event");

        Views full = views(DemoUser.ALICE.token(), bucket); // a fresh token: the upload outlasts one
        // The raw listing the pages used to make on every view (the same objects, for the ratio to the old way).
        long l0 = System.nanoTime();
        long listed = 0;
        for (Result<Item> r : raw.listObjects(ListObjectsArgs.builder().bucket(bucket).recursive(true).includeVersions(true).build())) {
            r.get();
            listed++;
        }
        long rawListNs = System.nanoTime() - l0;
        assertEquals(objects, listed);

        // Berth's own calls to the idle instance: the scheduled check runs every usage-interval (1 s in tests).
        long c0 = minioCalls();
        long p0 = System.nanoTime();
        Thread.sleep(20_000);
        long calls = minioCalls() - c0;
        double seconds = (System.nanoTime() - p0) / 1e9;
        double intervalS = Double.parseDouble(config.usageInterval().replace("s", ""));
        double callsPerCheck = calls / (seconds / intervalS);

        // The hard limit, 5 trials: 1 MiB of room, a 2 MiB write crosses it, then deleting it frees the room.
        long usage = objects * (long) OBJECT_BYTES;
        Storage.quota("acme", (usage / 1024 + 512) + " KiB", (usage / 1024 + 1024) + " KiB");
        var key = Storage.key(DemoUser.ALICE, bucket, "read-write");
        S3 writer = S3.as(key.getString("endpoint"), key.getString("key.accessKey"), key.getString("secretKey"));
        int trials = 5;
        long[] refused = new long[trials];
        long[] accepted = new long[trials];
        int[] slipped = new int[trials];
        for (int t = 0; t < trials; t++) {
            writer.put(bucket, "big.bin", new byte[2 * 1024 * 1024]);
            long crossed = System.nanoTime();
            int n = 0;
            while (S3.outcome(() -> writer.put(bucket, "probe.txt", "p")).equals("OK") && System.nanoTime() - crossed < 60_000_000_000L) {
                n++;
                Thread.sleep(20);
            }
            refused[t] = System.nanoTime() - crossed;
            slipped[t] = n;
            writer.delete(bucket, "big.bin");
            long freed = System.nanoTime();
            while (!S3.outcome(() -> writer.put(bucket, "probe.txt", "p")).equals("OK") && System.nanoTime() - freed < 60_000_000_000L) {
                Thread.sleep(20);
            }
            accepted[t] = System.nanoTime() - freed;
        }

        String json = String.format(Locale.ROOT, """
                {"when":"%s","objects":%d,"objectsAsked":%d,"objectBytes":%d,"uploadWithMcS":%.1f,"eventsCountedAfterUploadS":%.1f,
                 "eventsAppliedPerSecondFromUploadStart":%.0f,
                 "emptyMs":{"apiList":%.1f,"apiBucket":%.1f,"pageList":%.1f,"pageBucket":%.1f},
                 "fullMs":{"apiList":%.1f,"apiBucket":%.1f,"pageList":%.1f,"pageBucket":%.1f},
                 "fullOverEmpty":{"apiList":%.2f,"apiBucket":%.2f,"pageList":%.2f,"pageBucket":%.2f},"goal":1.2,
                 "rawListingOfTheBucketMs":%.1f,
                 "hardLimit":{"refusedAfterMs":{"median":%.0f,"all":%s},"writesSlippedIn":%s,"acceptedAgainAfterMs":{"median":%.0f,"all":%s},"goalMs":2000},
                 "idle":{"berthCallsPerCheck":%.2f,"checkIntervalS":%.0f,"callsPerMinuteAtDefault30s":%.1f},
                 "load":"%s"}
                """, Instant.now(), objects, asked, OBJECT_BYTES, uploadedNs / 1e9, eventLagNs / 1e9, eventsPerSecond,
                empty.apiList(), empty.apiBucket(), empty.pageList(), empty.pageBucket(),
                full.apiList(), full.apiBucket(), full.pageList(), full.pageBucket(),
                full.apiList() / empty.apiList(), full.apiBucket() / empty.apiBucket(), full.pageList() / empty.pageList(),
                full.pageBucket() / empty.pageBucket(), rawListNs / 1e6,
                median(refused), ms(refused), Arrays.toString(slipped), median(accepted), ms(accepted),
                callsPerCheck, intervalS, callsPerCheck * 2, BucketBenchmark.loadAverage());
        Path out = Path.of("target", "bench");
        Files.createDirectories(out);
        Files.writeString(out.resolve("scale.json"), json);
        System.out.println("BENCHMARK scale: " + json);
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void exec(Map<String, String> env, String... command) throws Exception {
        var pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().remove("AWS_CA_BUNDLE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command[0], command[1]) + " failed: " + out);
        }
    }

    private static double median(long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0) / 1e6;
    }

    private static String ms(long[] ns) {
        return Arrays.toString(Arrays.stream(ns).map(n -> n / 1_000_000).toArray());
    }
}
