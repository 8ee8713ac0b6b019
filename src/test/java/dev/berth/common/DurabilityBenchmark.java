package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What durability costs: the packaged portal on its embedded H2 database twice at once — as shipped (every commit
 * written before the answer, WRITE_DELAY=0) and with H2's default (written up to 500 ms later) — taking the same
 * acknowledged writes (an administrator's quota change, one transaction plus its audit row), interleaved.
 * Needs target/quarkus-app (./berth bench packages first). Results in target/bench/durability.json.
 */
class DurabilityBenchmark {
    static final int ROUNDS = 10;
    static final int PER_ROUND = 30;

    static PackagedApp.Process start(String name, String writeDelay) throws Exception {
        Path data = Files.createTempDirectory("berth-durability");
        Map<String, String> env = PackagedApp.quietEmbedded(data);
        env.put("BERTH_DEVELOPMENT_MODE", "true");
        env.put("BERTH_DB_URL", "jdbc:h2:file:" + data.resolve("berth") + ";DB_CLOSE_ON_EXIT=FALSE" + writeDelay);
        var p = new PackagedApp.Process(name, Path.of("target", "quarkus-app"), Path.of("target", "bench"), env);
        p.awaitReady(Duration.ofMinutes(3));
        return p;
    }

    static long write(PackagedApp.Process p, String token, int buckets) {
        String body = "{\"vms\":10,\"vcpus\":20,\"memory\":\"64 GiB\",\"buckets\":" + buckets + ",\"storageSoft\":\"1 GiB\","
                + "\"storageHard\":\"2 GiB\",\"accessKeys\":10,\"containerCpus\":1,\"containerMemory\":\"1 GiB\","
                + "\"containerReadBps\":0,\"containerWriteBps\":0}";
        long t0 = System.nanoTime();
        int status = PackagedApp.send(PackagedApp.request(p.url("/api/v1/admin/tenants/acme/quota"), token)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build()).statusCode();
        long micros = (System.nanoTime() - t0) / 1000;
        assertEquals(200, status);
        return micros;
    }

    static double percentile(List<Long> values, double p) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1)))) / 1000.0;
    }

    @Test
    void writeLatencyWithAndWithoutDurableCommits() throws Exception {
        String carol = PackagedApp.token(DemoUser.CAROL);
        String alice = PackagedApp.token(DemoUser.ALICE);
        try (var durable = start("durable", ""); var lazy = start("lazy", ";WRITE_DELAY=500")) {
            for (var p : List.of(durable, lazy)) { // acme exists, and the first requests warm the JIT
                assertEquals(200, PackagedApp.get(p.url("/api/v1/me"), alice).statusCode());
                for (int i = 0; i < 50; i++) {
                    write(p, carol, 1000 + i);
                }
            }
            List<Long> d = new ArrayList<>();
            List<Long> l = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) { // interleaved rounds: the machine's load falls on both alike
                for (int i = 0; i < PER_ROUND; i++) {
                    d.add(write(durable, carol, 2000 + i));
                }
                for (int i = 0; i < PER_ROUND; i++) {
                    l.add(write(lazy, carol, 2000 + i));
                }
            }
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            String json = String.format(Locale.ROOT, """
                    {"benchmark": "durability", "writes_each": %d, "load_average": %.2f,
                     "durable_write_delay_0": {"median_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f},
                     "h2_default_write_delay_500": {"median_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f},
                     "median_ratio": %.2f}
                    """, d.size(), load, percentile(d, 0.5), percentile(d, 0.95), percentile(d, 0.99),
                    percentile(l, 0.5), percentile(l, 0.95), percentile(l, 0.99), percentile(d, 0.5) / percentile(l, 0.5));
            Files.createDirectories(Path.of("target", "bench"));
            Files.writeString(Path.of("target", "bench", "durability.json"), json);
            System.out.println("BENCHMARK durability: " + json);
        }
    }
}
