package dev.berth.compute;

import static dev.berth.support.Api.as;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench ConcurrencyBenchmark}. 16 concurrent clients on bob's token, 20
 * test-driver KVM hosts with 2 of globex's machines each: throughput and latency percentiles of the machine list
 * against {@code /api/v1/me} (the cost of any authenticated request) in the same run, alternating periods so drift
 * hits both. Results in target/bench/concurrency.json.
 */
@QuarkusTest
class ConcurrencyBenchmark {
    static final int HOSTS = 20;
    static final int DOMAINS = 2;
    static final int CLIENTS = 16;
    static final Duration PERIOD = Duration.ofMillis(Long.getLong("berth.bench.period-ms", 7500));

    @io.quarkus.test.common.http.TestHTTPResource("/")
    URI base;

    record Result(long requests, long errors, double seconds, List<Long> latenciesMicros) {
    }

    @Test
    void machineListUnderConcurrentClients() throws Exception {
        Path dir = Path.of("target", "bench").toAbsolutePath();
        Files.createDirectories(dir);
        as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        var q = new HashMap<String, Object>(Map.of("vms", 100000, "vcpus", 100000, "memory", "1000T", "buckets", 1,
                "storageSoft", "1G", "storageHard", "1G", "accessKeys", 1, "containerCpus", 1, "containerMemory", "1G",
                "containerReadBps", 0));
        q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/globex/quota").then().statusCode(200);
        for (int h = 0; h < HOSTS; h++) {
            Path file = dir.resolve("concurrency-host-%02d.xml".formatted(h));
            Files.writeString(file, hostXml(h));
            int id = as(DemoUser.CAROL).body(Map.of("name", "conc-%02d-%d".formatted(h, System.nanoTime() % 100000), "kind", "KVM",
                    "uri", "test://" + file)).when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            var domains = new ArrayList<Map<String, Object>>();
            for (int d = 0; d < DOMAINS; d++) {
                domains.add(Map.of("hostId", id, "uuid", uuid(h, d)));
            }
            as(DemoUser.CAROL).body(Map.of("tenant", "globex", "domains", domains)).when().post("/api/v1/admin/vms/assignments")
                    .then().statusCode(201);
        }
        String token = DemoUser.BOB.token();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        load(http, token, "/api/v1/me", Duration.ofSeconds(3)); // warm-up
        load(http, token, "/api/v1/vms", Duration.ofSeconds(3));
        var me = new ArrayList<Result>();
        var vms = new ArrayList<Result>();
        for (int i = 0; i < 2; i++) {
            me.add(load(http, token, "/api/v1/me", PERIOD));
            vms.add(load(http, token, "/api/v1/vms", PERIOD));
        }
        Result m = merge(me), v = merge(vms);
        String json = String.format(Locale.ROOT, """
                {"when":"%s","hosts":%d,"machines":%d,"clients":%d,"seconds":%.1f,
                 "me":{"requestsPerSecond":%.0f,"p50Ms":%.2f,"p99Ms":%.2f,"errors":%d},
                 "vms":{"requestsPerSecond":%.0f,"p50Ms":%.2f,"p99Ms":%.2f,"errors":%d},
                 "vmsThroughputOverMe":%.2f,"load":"%s"}
                """, Instant.now(), HOSTS, HOSTS * DOMAINS, CLIENTS, m.seconds() + v.seconds(),
                m.requests() / m.seconds(), pct(m, 0.50), pct(m, 0.99), m.errors(),
                v.requests() / v.seconds(), pct(v, 0.50), pct(v, 0.99), v.errors(),
                (v.requests() / v.seconds()) / (m.requests() / m.seconds()), MachineListBenchmark.loadAverage());
        Files.writeString(dir.resolve("concurrency.json"), json);
        System.out.println("BENCHMARK concurrency: " + json);
    }

    Result load(HttpClient http, String token, String path, Duration period) throws InterruptedException {
        long deadline = System.nanoTime() + period.toNanos();
        var errors = new AtomicLong();
        List<List<Long>> perClient = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            List<Long> mine = new ArrayList<>();
            perClient.add(mine);
            threads.add(Thread.ofPlatform().start(() -> {
                HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                        .header("Accept", "application/json").build();
                while (System.nanoTime() < deadline) {
                    long s = System.nanoTime();
                    try {
                        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    mine.add((System.nanoTime() - s) / 1000);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Long> all = new ArrayList<>();
        perClient.forEach(all::addAll);
        return new Result(all.size(), errors.get(), seconds, all);
    }

    static Result merge(List<Result> rs) {
        List<Long> all = new ArrayList<>();
        rs.forEach(r -> all.addAll(r.latenciesMicros()));
        return new Result(rs.stream().mapToLong(Result::requests).sum(), rs.stream().mapToLong(Result::errors).sum(),
                rs.stream().mapToDouble(Result::seconds).sum(), all);
    }

    static double pct(Result r, double p) {
        List<Long> s = new ArrayList<>(r.latenciesMicros());
        Collections.sort(s);
        return s.isEmpty() ? 0 : s.get((int) Math.min(s.size() - 1, Math.round(p * (s.size() - 1)))) / 1000.0;
    }

    static String uuid(int h, int d) {
        return MachineListBenchmark.uuid("c0c0c000", h, d);
    }

    static String hostXml(int h) {
        return MachineListBenchmark.hostXml("conc", "c0c0c000", h, DOMAINS);
    }
}
