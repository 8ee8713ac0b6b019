package dev.berth.storage;

import static dev.berth.support.Api.as;
import static io.restassured.RestAssured.given;

import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.key.KeyMode;
import dev.berth.storage.key.KeyPolicy;
import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import dev.berth.tenancy.TenantService;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.RemoveBucketArgs;
import io.minio.admin.MinioAdminClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Bucket creation and key creation through Berth's API against the raw MinIO calls (makeBucket,
 * addServiceAccount with the same policy) on the same instance, interleaved in the same run. Goal: under
 * 300 ms each. Results in target/bench/buckets.json.
 */
@QuarkusTest
public class BucketBenchmark {
    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    static final int ROUNDS = 25;

    @Inject
    InstanceDirectory instances;
    @Inject
    TenantService tenants;

    @Test
    void bucketAndKeyCreation() throws Exception {
        as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
        InstanceAccess at = instances.readyInstance(tenants.idOf("acme")).orElseThrow();
        var trusting = dev.berth.support.S3.trusting(io.quarkus.arc.Arc.container().instance(TlsAuthority.class).get());
        MinioClient s3 = MinioClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(trusting).build();
        MinioAdminClient admin = MinioAdminClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(trusting).build();
        String token = DemoUser.ALICE.token();
        String run = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        String keyBucket = "bench-keys-" + run;
        Storage.bucket(DemoUser.ALICE, keyBucket);
        var rawBuckets = new ArrayList<String>();
        var apiBuckets = new ArrayList<String>();
        var rawKeys = new ArrayList<String>();
        var apiKeys = new ArrayList<String>();

        int warm = 3;
        long[] rawBucket = new long[ROUNDS], apiBucket = new long[ROUNDS], rawKey = new long[ROUNDS], apiKey = new long[ROUNDS];
        for (int i = -warm; i < ROUNDS; i++) { // interleaved: drift on a noisy machine hits both alike
            String raw = "bench-raw-" + run + "-" + (i + warm);
            String api = "bench-api-" + run + "-" + (i + warm);
            long t0 = System.nanoTime();
            s3.makeBucket(MakeBucketArgs.builder().bucket(raw).build());
            long t1 = System.nanoTime();
            given().auth().oauth2(token).contentType("application/json").body(Map.of("name", api)).post("/api/v1/buckets").then().statusCode(201);
            long t2 = System.nanoTime();
            String ak = "BKBENCH" + run.toUpperCase(Locale.ROOT) + (i + warm);
            ak = ak.substring(0, Math.min(20, ak.length()));
            admin.addServiceAccount(ak, "benchsecret-" + run + "-0123456789", null,
                    KeyPolicy.of(keyBucket, KeyMode.READ_WRITE, false), null, "raw", null);
            long t3 = System.nanoTime();
            String created = given().auth().oauth2(token).contentType("application/json").body(Map.of("mode", "read-write"))
                    .post("/api/v1/buckets/" + keyBucket + "/keys").then().statusCode(201).extract().path("key.accessKey");
            long t4 = System.nanoTime();
            rawBuckets.add(raw);
            apiBuckets.add(api);
            rawKeys.add(ak);
            apiKeys.add(created);
            if (i >= 0) {
                rawBucket[i] = (t1 - t0) / 1000;
                apiBucket[i] = (t2 - t1) / 1000;
                rawKey[i] = (t3 - t2) / 1000;
                apiKey[i] = (t4 - t3) / 1000;
            }
        }
        for (String b : rawBuckets) {
            s3.removeBucket(RemoveBucketArgs.builder().bucket(b).build());
        }
        for (String k : rawKeys) {
            admin.deleteServiceAccount(k);
        }
        for (String b : apiBuckets) {
            as(DemoUser.ALICE).delete("/api/v1/buckets/" + b).then().statusCode(204);
        }
        as(DemoUser.ALICE).delete("/api/v1/buckets/" + keyBucket).then().statusCode(204); // revokes apiKeys with it

        String json = String.format(Locale.ROOT, """
                {"when":"%s","rounds":%d,
                 "bucketCreate":{"rawMs":{"median":%.2f,"min":%.2f,"max":%.2f},"apiMs":{"median":%.2f,"min":%.2f,"max":%.2f},"apiOverRaw":%.2f},
                 "keyCreate":{"rawMs":{"median":%.2f,"min":%.2f,"max":%.2f},"apiMs":{"median":%.2f,"min":%.2f,"max":%.2f},"apiOverRaw":%.2f},
                 "goalMs":300,"load":"%s"}
                """, Instant.now(), ROUNDS,
                median(rawBucket), min(rawBucket), max(rawBucket), median(apiBucket), min(apiBucket), max(apiBucket), median(apiBucket) / median(rawBucket),
                median(rawKey), min(rawKey), max(rawKey), median(apiKey), min(apiKey), max(apiKey), median(apiKey) / median(rawKey),
                loadAverage());
        Path dir = Path.of("target", "bench");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("buckets.json"), json);
        System.out.println("BENCHMARK buckets: " + json);
    }

    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static double median(long[] us) {
        long[] s = us.clone();
        Arrays.sort(s);
        return (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0) / 1000.0;
    }

    static double min(long[] us) {
        return Arrays.stream(us).min().orElse(0) / 1000.0;
    }

    static double max(long[] us) {
        return Arrays.stream(us).max().orElse(0) / 1000.0;
    }
}
