package dev.berth.storage.usage;

import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.audit.Actor;
import dev.berth.storage.BucketBenchmark;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.support.Storage;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * How many bucket events a second Berth applies (issue 14), posted to its endpoint as a MinIO instance sends them: one
 * record per request, every event twice (the direct target at once, the queued target's replay a little later), two
 * senders at a time (one per target; MinIO's instance has one CPU, so one worker each). {@code N} creations of new
 * objects, then {@code N} overwrites, then {@code N} removals; the ledger must end exact. No MinIO call on the path:
 * this is Berth's own cost per event. Results in target/bench/usage-events.json.
 */
@QuarkusTest
class UsageEventsBenchmark {
    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    UsageLedger ledger;
    @Inject
    InstanceDirectory instances;
    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Test
    void eventsPerSecond() throws Exception {
        int n = Integer.getInteger("berth.bench.events", 3000);
        String slug = unique("evbench");
        tenants.create(Actor.system("bench"), slug, slug);
        tenants.setQuota(Actor.system("bench"), slug, new QuotaInput("1", "1", "1G", "5", "900G", "1000G", "5", "1", "1G", "0", "0"));
        Storage.ready(slug);
        long id = tenants.idOf(slug);
        try {
            buckets.create(new Actor("bench", null, "bench"), slug, "data");
            String token = InstanceSpec.eventsToken(instances.readyInstance(id).orElseThrow().rootPassword());
            URI uri = URI.create(StorageEventResource.url("http://127.0.0.1:" + port, id));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(); // as MinIO sends
            long base = UsageLedger.seqOf(Instant.now());
            // Warm-up (the JIT, the pools): as many events to a bucket of their own, not measured.
            phase(http, uri, uri, token, n, i -> event("warm", "s3:ObjectCreated:Put", "w" + i, 512, base + i));
            // Both ways: every delivery applied before the answer (instances made before the direct target was marked),
            // and the direct target's applied in batches behind the answer (EventBatcher).
            double[][] rate = new double[2][3];
            for (int mode = 0; mode < 2; mode++) {
                URI first = mode == 0 ? uri : URI.create(uri + "?delivery=" + StorageEventResource.DIRECT);
                long b = base + (mode + 1) * 3L * n;
                String p = "m" + mode + "-";
                rate[mode][0] = phase(http, first, uri, token, n, i -> event("data", "s3:ObjectCreated:Put", p + i, 512, b + i));
                assertEquals(n, ledger.bucket(id, "data").currentObjects);
                rate[mode][1] = phase(http, first, uri, token, n, i -> event("data", "s3:ObjectCreated:Put", p + i, 1024, b + n + i));
                assertEquals(n * 1024L, ledger.bucket(id, "data").currentBytes);
                rate[mode][2] = phase(http, first, uri, token, n, i -> event("data", "s3:ObjectRemoved:Delete", p + i, 0, b + 2L * n + i));
                assertEquals(0, ledger.bucket(id, "data").currentObjects);
            }
            // The floor: the same requests carrying no event (token check, parsing, the answer), in the same run.
            double floor = phase(http, uri, uri, token, n, i -> "{\"Records\":[]}");
            String json = String.format(Locale.ROOT, """
                    {"when":"%s","events":%d,"deliveriesPerEvent":2,"senders":2,
                     "eventsPerSecond":{"bothAppliedBeforeAnswer":{"created":%.0f,"overwritten":%.0f,"removed":%.0f},
                       "directBatched":{"created":%.0f,"overwritten":%.0f,"removed":%.0f}},"emptyRequestsPerSecond":%.0f,
                     "load":"%s"}
                    """, Instant.now(), n, rate[0][0], rate[0][1], rate[0][2], rate[1][0], rate[1][1], rate[1][2], floor, BucketBenchmark.loadAverage());
            Path out = Path.of("target", "bench");
            Files.createDirectories(out);
            Files.writeString(out.resolve("usage-events.json"), json);
            System.out.println("BENCHMARK usage-events: " + json);
        } finally {
            Storage.remove(slug);
        }
    }

    /**
     * Events a second until both senders are done (every event applied: the queued twin is applied before its answer):
     * each event sent to {@code first} (the direct target), and again to {@code queued} by a sender starting 100 ms later.
     */
    private static double phase(HttpClient http, URI first, URI queued, String token, int n,
                                java.util.function.IntFunction<String> body) throws Exception {
        long t0 = System.nanoTime();
        try (ExecutorService senders = Executors.newFixedThreadPool(2)) {
            Future<?> direct = senders.submit(() -> send(http, first, token, 0, n, body));
            Future<?> replay = senders.submit(() -> {
                Thread.sleep(100);
                return send(http, queued, token, 0, n, body);
            });
            direct.get();
            replay.get();
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private static Void send(HttpClient http, URI uri, String token, int from, int to, java.util.function.IntFunction<String> body)
            throws Exception {
        for (int i = from; i < to; i++) {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", StorageEventResource.SCHEME + " " + token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.apply(i))).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 != 2) {
                throw new AssertionError("event " + i + ": " + r.statusCode());
            }
        }
        return null;
    }

    private static String event(String bucket, String name, String key, long size, long seq) {
        return """
                {"EventName":"%1$s","Key":"%6$s/%2$s","Records":[{"eventVersion":"2.0","eventSource":"minio:s3",\
                "eventTime":"%5$s","eventName":"%1$s","s3":{"bucket":{"name":"%6$s"},\
                "object":{"key":"%2$s","size":%3$d,"sequencer":"%4$X"}}}]}""".formatted(name, key, size, seq, Instant.now(), bucket);
    }
}
