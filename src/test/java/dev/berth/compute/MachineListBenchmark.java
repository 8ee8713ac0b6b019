package dev.berth.compute;

import static dev.berth.support.Api.as;
import static io.restassured.RestAssured.given;

import dev.berth.hosts.Endpoint;
import dev.berth.support.DemoUser;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench}. Builds 20 test-driver hosts × 50 domains, assigns all 1,000 to
 * one tenant, then times the machine-list API and page against a raw parallel libvirt fan-out over the same
 * hosts, in the same run, and writes the numbers to target/bench/machine-list.json.
 */
@QuarkusTest
class MachineListBenchmark {
    static final int HOSTS = 20;
    static final int DOMAINS = 50;
    static final int ROUNDS = Integer.getInteger("berth.bench.rounds", 30);

    @Inject
    Hypervisor hypervisor;
    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URI base;

    @Test
    void machineListAgainstRawFanOut() throws Exception {
        Path dir = Path.of("target", "bench").toAbsolutePath();
        Files.createDirectories(dir);
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        var q = new HashMap<String, Object>(Map.of("vms", 100000, "vcpus", 100000, "memory", "1000T", "buckets", 1,
                "storageSoft", "1G", "storageHard", "1G", "accessKeys", 1, "containerCpus", 1, "containerMemory", "1G",
                "containerReadBps", 0));
        q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/acme/quota").then().statusCode(200);

        var endpoints = new ArrayList<Endpoint>();
        for (int h = 0; h < HOSTS; h++) {
            Path file = dir.resolve("bench-host-%02d.xml".formatted(h));
            Files.writeString(file, hostXml(h));
            String uri = "test://" + file;
            endpoints.add(new Endpoint(uri, null));
            int id = as(DemoUser.CAROL).body(Map.of("name", "bench-%02d-%d".formatted(h, System.nanoTime() % 100000), "kind", "KVM", "uri", uri))
                    .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
            var domains = new ArrayList<Map<String, Object>>();
            for (int d = 0; d < DOMAINS; d++) {
                domains.add(Map.of("hostId", id, "uuid", uuid(h, d)));
            }
            as(DemoUser.CAROL).body(Map.of("tenant", "acme", "domains", domains)).when().post("/api/v1/admin/vms/assignments")
                    .then().statusCode(201);
        }
        String token = DemoUser.ALICE.token();
        var pool = Executors.newVirtualThreadPerTaskExecutor();
        Supplier<Integer> raw = () -> endpoints.stream()
                .map(e -> CompletableFuture.supplyAsync(() -> {
                    try {
                        return hypervisor.listDomains(e, Duration.ofSeconds(5)).size();
                    } catch (HypervisorException ex) {
                        throw new IllegalStateException(ex);
                    }
                }, pool)).toList().stream().mapToInt(CompletableFuture::join).sum();
        // A plain keep-alive JDK client: RestAssured costs several milliseconds per request on the client side,
        // which would be charged to Berth. The raw path pays no HTTP at all, so this is still Berth's worst case.
        var http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.util.function.Function<String, Integer> get = path -> {
            try {
                var res = http.send(java.net.http.HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                        .header("Accept", path.startsWith("/api") ? "application/json" : "text/html").build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() != 200) {
                    throw new IllegalStateException(path + " answered " + res.statusCode());
                }
                return res.body().length();
            } catch (java.io.IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        Supplier<Integer> api = () -> get.apply("/api/v1/vms?size=50");
        // The cost of any authenticated request (HTTP on loopback, token check, tenant lookup), to tell it apart.
        Supplier<Integer> me = () -> get.apply("/api/v1/me");
        Supplier<Integer> page = () -> get.apply("/machines");
        Supplier<Integer> total = () -> given().auth().oauth2(token).queryParam("size", 1).when().get("/api/v1/vms")
                .then().statusCode(200).extract().path("total");

        for (int i = 0; i < 5; i++) { // warm up connections, JIT and caches on all three paths
            raw.get();
            api.get();
            page.get();
            me.get();
        }
        long[] rawMs = new long[ROUNDS], apiMs = new long[ROUNDS], pageMs = new long[ROUNDS], meMs = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) { // interleaved, so drift on a noisy machine hits all three alike
            rawMs[i] = time(() -> raw.get());
            apiMs[i] = time(() -> api.get());
            pageMs[i] = time(() -> page.get());
            meMs[i] = time(() -> me.get());
        }
        int seen = total.get();
        double rawMedian = median(rawMs), apiMedian = median(apiMs), pageMedian = median(pageMs), meMedian = median(meMs);
        String json = String.format(Locale.ROOT, """
                {"when":"%s","hosts":%d,"domainsPerHost":%d,"assignedSeenByApi":%d,"rounds":%d,
                 "rawFanOutMs":{"median":%.2f,"min":%.2f,"max":%.2f},
                 "apiMs":{"median":%.2f,"min":%.2f,"max":%.2f},
                 "pageMs":{"median":%.2f,"min":%.2f,"max":%.2f},
                 "authenticatedRequestMs":{"median":%.2f,"min":%.2f,"max":%.2f},
                 "apiOverRaw":%.2f,"pageOverRaw":%.2f,"load":"%s"}
                """, Instant.now(), HOSTS, DOMAINS, seen, ROUNDS, rawMedian, min(rawMs), max(rawMs), apiMedian, min(apiMs), max(apiMs),
                pageMedian, min(pageMs), max(pageMs), meMedian, min(meMs), max(meMs), apiMedian / rawMedian, pageMedian / rawMedian,
                loadAverage());
        Files.writeString(dir.resolve("machine-list.json"), json);
        System.out.println("BENCHMARK machine list: " + json);
    }

    /** The machine's load while measuring: numbers from a busy machine say so. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static String uuid(int h, int d) {
        return uuid("be0c0000", h, d);
    }

    static String uuid(String prefix, int h, int d) {
        return "%s-%04d-4000-8000-%012d".formatted(prefix, h, d);
    }

    static String hostXml(int h) {
        return hostXml("bench", "be0c0000", h, DOMAINS);
    }

    /** A libvirt test-driver host file: {@code domains} running domains named {@code <name>-hNN-vmNN}. */
    static String hostXml(String name, String uuidPrefix, int h, int domains) {
        var sb = new StringBuilder("<node>\n  <cpu><nodes>1</nodes><sockets>1</sockets><cores>16</cores><threads>2</threads><mhz>2400</mhz></cpu>\n  <memory>268435456</memory>\n");
        for (int d = 0; d < domains; d++) {
            sb.append("""
                      <domain type='test'>
                        <name>%s-h%02d-vm%02d</name><uuid>%s</uuid>
                        <memory unit='KiB'>1048576</memory><vcpu>2</vcpu>
                        <os><type arch='x86_64'>hvm</type></os>
                        <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='/var/lib/bench/%02d-%02d.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>
                      </domain>
                    """.formatted(name, h, d, uuid(uuidPrefix, h, d), h, d));
        }
        return sb.append("</node>\n").toString();
    }

    static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1000; // µs
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
