package dev.berth.compute;

import static dev.berth.support.Api.as;

import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench ConcurrencyBenchmark}. 16 concurrent connections of wrk on bob's token, 20
 * test-driver KVM hosts with 2 of globex's machines each: throughput and latency percentiles of the machine list
 * against {@code /api/v1/me} (the cost of any authenticated request) in the same run, alternating periods so drift
 * hits both. Results in target/bench/concurrency.json.
 */
@QuarkusTest
class ConcurrencyBenchmark {
    static final int HOSTS = 20;
    static final int DOMAINS = 2;
    static final int CLIENTS = 16;
    static final Duration PERIOD = Duration.ofMillis(Long.getLong("berth.bench.period-ms", 15000));

    @io.quarkus.test.common.http.TestHTTPResource("/")
    URI base;

    record Result(long requests, long errors, double seconds, double p50Ms, double p99Ms) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "{\"requestsPerSecond\":%.0f,\"p50Ms\":%.2f,\"p99Ms\":%.2f,\"errors\":%d}",
                    requests / seconds, p50Ms, p99Ms, errors);
        }
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
        Path script = dir.resolve("concurrency-wrk.lua");
        Files.writeString(script, WRK_SCRIPT);
        for (int i = 0; i < 2; i++) { // warm-up, two periods each: C2 takes that long on 2 cores (pools, the hosts' first calls)
            wrk(script, token, "/api/v1/me", PERIOD);
            wrk(script, token, "/api/v1/vms", PERIOD);
        }
        var me = new ArrayList<Result>();
        var vms = new ArrayList<Result>();
        for (int i = 0; i < 2; i++) {
            me.add(wrk(script, token, "/api/v1/me", PERIOD));
            vms.add(wrk(script, token, "/api/v1/vms", PERIOD));
        }
        Result m = merge(me), v = merge(vms);
        String json = String.format(Locale.ROOT, """
                {"when":"%s","client":"wrk -t2 -c%d, %d s periods alternating","hosts":%d,"machines":%d,"clients":%d,"seconds":%.1f,
                 "me":{"requestsPerSecond":%.0f,"p50Ms":%.2f,"p99Ms":%.2f,"errors":%d,"periods":%s},
                 "vms":{"requestsPerSecond":%.0f,"p50Ms":%.2f,"p99Ms":%.2f,"errors":%d,"periods":%s},
                 "vmsThroughputOverMe":%.2f,"load":"%s"}
                """, Instant.now(), CLIENTS, PERIOD.toSeconds(), HOSTS, HOSTS * DOMAINS, CLIENTS, m.seconds() + v.seconds(),
                m.requests() / m.seconds(), m.p50Ms(), m.p99Ms(), m.errors(), me,
                v.requests() / v.seconds(), v.p50Ms(), v.p99Ms(), v.errors(), vms,
                (v.requests() / v.seconds()) / (m.requests() / m.seconds()), MachineListBenchmark.loadAverage());
        Files.writeString(dir.resolve("concurrency.json"), json);
        System.out.println("BENCHMARK concurrency: " + json);
    }

    /** wrk's summary of one period, printed by the script's done(): requests, errors, microseconds, percentiles. */
    static final String WRK_SCRIPT = """
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("BERTH-WRK %d %d %d %d %d\\n", summary.requests,
                e.connect + e.read + e.write + e.timeout + e.status, summary.duration,
                latency:percentile(50), latency:percentile(99)))
            end
            """;

    /**
     * One period of wrk (2 threads, {@link #CLIENTS} connections) on bob's token. wrk is the client: a Java
     * client in this JVM would take as much of the 2 cores as the portal it measures.
     */
    Result wrk(Path script, String token, String path, Duration period) throws Exception {
        String bin = System.getenv().getOrDefault("BERTH_WRK_BIN", "wrk");
        Process p = new ProcessBuilder(bin, "-t2", "-c" + CLIENTS, "-d" + period.toSeconds() + "s", "-s", script.toString(),
                "-H", "Authorization: Bearer " + token, "-H", "Accept: application/json", base.resolve(path).toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("wrk failed (./berth bench installs it): " + out);
        }
        String line = out.lines().filter(l -> l.startsWith("BERTH-WRK ")).findFirst()
                .orElseThrow(() -> new AssertionError("no summary from wrk: " + out));
        String[] f = line.split(" ");
        return new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]) / 1e6,
                Long.parseLong(f[4]) / 1000.0, Long.parseLong(f[5]) / 1000.0);
    }

    /** Periods together: requests, errors and time add up; of the percentiles, the worse period's (wrk keeps no samples). */
    static Result merge(List<Result> rs) {
        return new Result(rs.stream().mapToLong(Result::requests).sum(), rs.stream().mapToLong(Result::errors).sum(),
                rs.stream().mapToDouble(Result::seconds).sum(), rs.stream().mapToDouble(Result::p50Ms).max().orElse(0),
                rs.stream().mapToDouble(Result::p99Ms).max().orElse(0));
    }

    static String uuid(int h, int d) {
        return MachineListBenchmark.uuid("c0c0c000", h, d);
    }

    static String hostXml(int h) {
        return MachineListBenchmark.hostXml("conc", "c0c0c000", h, DOMAINS);
    }
}
