package dev.berth.common;

import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import dev.berth.support.PackagedApp;
import dev.berth.support.PrivatePostgres;
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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Not a test: run with {@code ./berth bench SoakBenchmark} (10 minutes; {@code -Dberth.soak.minutes=2} for a short
 * run). The packaged PostgreSQL build (target/postgresql/quarkus-app, its scheduled probes, sampling, reconciler and
 * usage pass on) against a PostgreSQL cluster of its own, a libvirt test-driver host with 12 machines (6 for acme, 6
 * for globex), the local Docker engine with both tenants' MinIO instances, and 50 simulated users — members of acme
 * and globex and an administrator, each with a token from Keycloak renewed before it expires — each sending one
 * request after another with 0.5-1.5 s of think time, in a mix of machine list and detail, bucket list, usage, audit
 * reads and, now and then, a key created and revoked. Results: errors (anything but the expected status), p50/p99 per
 * route, and the portal's resident memory at start, after the warm-up and at the end → target/bench/soak.json.
 */
class SoakBenchmark {
    static final Path APP = Path.of("target", "postgresql", "quarkus-app");
    static final String SCOPE = "berth-soak";
    static final int USERS = Integer.getInteger("berth.soak.users", 50);
    static final Duration DURATION = Duration.ofSeconds((long) (Double.parseDouble(System.getProperty("berth.soak.minutes", "10")) * 60));
    static final Duration WARM_UP = Duration.ofSeconds(Math.min(60, DURATION.toSeconds() / 5));
    static final Duration TOKEN_RENEWAL = Duration.ofMinutes(4); // the development realm's tokens live 10 minutes

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    final Map<String, ConcurrentLinkedQueue<Long>> latencies = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
    final Map<DemoUser, String> tokens = new ConcurrentHashMap<>();
    PackagedApp.Process portal;

    @Test
    void fiftyUsersForTenMinutes() throws Exception {
        removeScope();
        Path out = Path.of("target", "bench").toAbsolutePath();
        Files.createDirectories(out);
        try (var pg = new PrivatePostgres()) {
            pg.createDatabase("berth");
            Map<String, String> env = new HashMap<>();
            env.put("QUARKUS_PROFILE", "prod,postgresql");
            env.put("BERTH_DB_URL", pg.jdbcUrl("berth"));
            env.put("BERTH_DB_USER", "berth");
            env.put("BERTH_DB_PASSWORD", "berth");
            env.put("BERTH_OIDC_URL", PackagedApp.oidcUrl());
            env.put("BERTH_DEVELOPMENT_MODE", "true");
            env.put("BERTH_STORAGE_SCOPE", SCOPE);
            env.put("BERTH_STORAGE_PORT_MIN", "29360");
            env.put("BERTH_STORAGE_PORT_MAX", "29379");
            env.put("BERTH_LOG_JSON", "false");
            portal = new PackagedApp.Process("soak", APP, Path.of("target", "soak"), env);
            try {
                portal.awaitReady(Duration.ofMinutes(3));
                long rssStart = portal.rssBytes();
                setUp();
                String load0 = MachineListBenchmarkLoad.now();
                long t0 = System.nanoTime();
                long warmEnd = t0 + WARM_UP.toNanos();
                long end = t0 + DURATION.toNanos();
                List<long[]> rss = Collections.synchronizedList(new ArrayList<>());
                Thread sampler = Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < end) {
                        rss.add(new long[] {(System.nanoTime() - t0) / 1_000_000_000L, portal.rssBytes()});
                        PackagedApp.sleep(Duration.ofSeconds(10));
                    }
                });
                Thread renewer = Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < end) {
                        PackagedApp.sleep(Duration.ofSeconds(10));
                        if (System.nanoTime() - lastRenewal > TOKEN_RENEWAL.toNanos()) {
                            renewTokens();
                        }
                    }
                });
                long[] rssWarm = {-1};
                List<Thread> users = new ArrayList<>();
                for (int u = 0; u < USERS; u++) {
                    DemoUser who = u % 10 == 9 ? DemoUser.CAROL : (u % 2 == 0 ? DemoUser.ALICE : DemoUser.BOB);
                    users.add(Thread.ofPlatform().name("user-" + u).start(() -> user(who, warmEnd, end)));
                }
                PackagedApp.sleep(WARM_UP);
                rssWarm[0] = portal.rssBytes();
                for (Thread t : users) {
                    t.join();
                }
                sampler.join();
                renewer.join();
                long rssEnd = portal.rssBytes();
                write(out, rssStart, rssWarm[0], rssEnd, rss, load0, MachineListBenchmarkLoad.now());
            } finally {
                portal.stop();
                removeScope();
            }
        }
    }

    static void removeScope() {
        DockerCli.lines("ps", "-aq", "--filter", "label=berth.scope=" + SCOPE).forEach(c -> DockerCli.run("rm", "-f", c));
        DockerCli.lines("volume", "ls", "-q", "--filter", "label=berth.scope=" + SCOPE).forEach(v -> DockerCli.run("volume", "rm", "-f", v));
    }

    volatile long lastRenewal;
    final Map<String, List<Long>> machines = new HashMap<>();

    void renewTokens() {
        for (DemoUser u : List.of(DemoUser.ALICE, DemoUser.BOB, DemoUser.CAROL)) {
            tokens.put(u, PackagedApp.token(u));
        }
        lastRenewal = System.nanoTime();
    }

    void setUp() throws Exception {
        renewTokens();
        String carol = tokens.get(DemoUser.CAROL);
        check(PackagedApp.get(portal.url("/api/v1/me"), tokens.get(DemoUser.ALICE)), 200);
        check(PackagedApp.get(portal.url("/api/v1/me"), tokens.get(DemoUser.BOB)), 200);
        Path fleet = Path.of("src", "test", "resources", "libvirt", "fleet-1.xml").toAbsolutePath();
        var kvm = check(PackagedApp.post(portal.url("/api/v1/admin/hosts"), carol, Map.of("name", "soak-kvm", "kind", "KVM",
                "uri", "test://" + fleet, "enabled", true)), 201);
        long kvmId = PackagedApp.json(kvm.body()).path("id").asLong();
        check(PackagedApp.post(portal.url("/api/v1/admin/hosts"), carol, Map.of("name", "soak-docker", "kind", "DOCKER",
                "uri", "unix:///var/run/docker.sock", "storageAddress", "127.0.0.1", "enabled", true)), 201);
        var domains = PackagedApp.json(PackagedApp.get(portal.url("/api/v1/admin/vms?host=soak-kvm"), carol).body()).path("domains");
        for (String tenant : List.of("acme", "globex")) {
            var refs = new ArrayList<Map<String, Object>>();
            for (int i = tenant.equals("acme") ? 0 : 6, n = i + 6; i < n && i < domains.size(); i++) {
                refs.add(Map.of("hostId", kvmId, "uuid", domains.get(i).path("uuid").asText()));
            }
            var ids = PackagedApp.json(check(PackagedApp.post(portal.url("/api/v1/admin/vms/assignments"), carol,
                    Map.of("tenant", tenant, "domains", refs)), 201).body()).path("ids");
            List<Long> list = new ArrayList<>();
            ids.forEach(id -> list.add(id.asLong()));
            machines.put(tenant, list);
        }
        for (DemoUser member : List.of(DemoUser.ALICE, DemoUser.BOB)) {
            PackagedApp.post(portal.url("/api/v1/storage"), tokens.get(member), Map.of());
        }
        for (DemoUser member : List.of(DemoUser.ALICE, DemoUser.BOB)) {
            PackagedApp.await("storage ready", Duration.ofMinutes(3), () -> "READY".equals(PackagedApp.json(
                    PackagedApp.get(portal.url("/api/v1/storage"), tokens.get(member)).body()).path("status").asText()));
            for (int b = 0; b < 3; b++) {
                check(PackagedApp.post(portal.url("/api/v1/buckets"), tokens.get(member), Map.of("name", "soak-" + b)), 201);
            }
        }
    }

    static HttpResponse<String> check(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.uri() + ": " + r.statusCode() + " " + r.body());
        }
        return r;
    }

    void user(DemoUser who, long warmEnd, long end) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String tenant = who == DemoUser.ALICE ? "acme" : "globex";
        while (System.nanoTime() < end) {
            boolean measured = System.nanoTime() > warmEnd;
            if (who == DemoUser.CAROL) {
                int pick = rnd.nextInt(3);
                if (pick == 0) {
                    call(measured, "GET /api/v1/admin/audit", () -> get("/api/v1/admin/audit?size=50", who), 200);
                } else if (pick == 1) {
                    call(measured, "GET /api/v1/admin/tenants", () -> get("/api/v1/admin/tenants", who), 200);
                } else {
                    call(measured, "GET /api/v1/admin/storage", () -> get("/api/v1/admin/storage", who), 200);
                }
            } else {
                int pick = rnd.nextInt(100);
                if (pick < 30) {
                    call(measured, "GET /api/v1/vms", () -> get("/api/v1/vms", who), 200);
                } else if (pick < 50) {
                    List<Long> mine = machines.get(tenant);
                    long id = mine.get(rnd.nextInt(mine.size()));
                    call(measured, "GET /api/v1/vms/{id}", () -> get("/api/v1/vms/" + id, who), 200);
                } else if (pick < 72) {
                    call(measured, "GET /api/v1/buckets", () -> get("/api/v1/buckets", who), 200);
                } else if (pick < 87) {
                    call(measured, "GET /api/v1/quota", () -> get("/api/v1/quota", who), 200);
                } else if (pick < 97) {
                    call(measured, "GET /api/v1/buckets/{name}/keys", () -> get("/api/v1/buckets/soak-" + rnd.nextInt(3) + "/keys", who), 200);
                } else {
                    String bucket = "soak-" + rnd.nextInt(3);
                    HttpResponse<String> created = call(measured, "POST /api/v1/buckets/{name}/keys",
                            () -> send(HttpRequest.newBuilder(URI.create(portal.url("/api/v1/buckets/" + bucket + "/keys")))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"mode\":\"read-only\",\"description\":\"soak\"}")), who), 201);
                    if (created != null && created.statusCode() == 201) {
                        String key = PackagedApp.json(created.body()).path("key").path("accessKey").asText();
                        call(measured, "DELETE /api/v1/buckets/{name}/keys/{key}",
                                () -> send(HttpRequest.newBuilder(URI.create(portal.url("/api/v1/buckets/" + bucket + "/keys/" + key))).DELETE(), who), 204);
                    }
                }
            }
            PackagedApp.sleep(Duration.ofMillis(500 + rnd.nextInt(1000)));
        }
    }

    HttpResponse<String> get(String path, DemoUser who) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(portal.url(path))).GET(), who);
    }

    HttpResponse<String> send(HttpRequest.Builder b, DemoUser who) throws Exception {
        return http.send(b.header("Authorization", "Bearer " + tokens.get(who)).header("Accept", "application/json")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    interface Call {
        HttpResponse<String> run() throws Exception;
    }

    HttpResponse<String> call(boolean measured, String route, Call call, int expected) {
        long s = System.nanoTime();
        HttpResponse<String> r = null;
        String problem = null;
        try {
            r = call.run();
            if (r.statusCode() != expected) {
                problem = r.statusCode() + " " + r.body().substring(0, Math.min(200, r.body().length()));
            }
        } catch (Exception e) {
            problem = e.toString();
        }
        long micros = (System.nanoTime() - s) / 1000;
        // Errors count in the warm-up too: only latencies wait for it.
        if (problem != null) {
            errors.computeIfAbsent(route, k -> new AtomicLong()).incrementAndGet();
            if (errorSamples.size() < 20) {
                errorSamples.add(route + ": " + problem);
            }
        }
        if (measured) {
            latencies.computeIfAbsent(route, k -> new ConcurrentLinkedQueue<>()).add(micros);
        }
        return r;
    }

    static double pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1)))) / 1000.0;
    }

    void write(Path out, long rssStart, long rssWarm, long rssEnd, List<long[]> rss, String load0, String load1) throws Exception {
        var routes = new TreeMap<String, String>();
        long total = 0;
        long totalErrors = 0;
        for (var e : latencies.entrySet()) {
            List<Long> s = new ArrayList<>(e.getValue());
            Collections.sort(s);
            long errs = errors.getOrDefault(e.getKey(), new AtomicLong()).get();
            total += s.size();
            routes.put(e.getKey(), String.format(Locale.ROOT, "{\"requests\":%d,\"p50Ms\":%.1f,\"p99Ms\":%.1f,\"maxMs\":%.1f,\"errors\":%d}",
                    s.size(), pct(s, 0.5), pct(s, 0.99), pct(s, 1.0), errs));
        }
        for (var e : errors.values()) {
            totalErrors += e.get();
        }
        // Growth over the steady part: the last 80 % of the run against the sample at its start.
        long steadyFrom = DURATION.toSeconds() / 5;
        long rssSteadyStart = rss.stream().filter(r -> r[0] >= steadyFrom).findFirst().map(r -> r[1]).orElse(rssWarm);
        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.ROOT, "{\"when\":\"%s\",\"users\":%d,\"minutes\":%.1f,\"warmUpSeconds\":%d,\"requests\":%d,\"errors\":%d,",
                Instant.now(), USERS, DURATION.toSeconds() / 60.0, WARM_UP.toSeconds(), total, totalErrors));
        json.append(String.format(Locale.ROOT, "\"rssMiB\":{\"start\":%.0f,\"afterWarmUp\":%.0f,\"end\":%.0f,\"steadyGrowthPercent\":%.1f},",
                rssStart / 1048576.0, rssWarm / 1048576.0, rssEnd / 1048576.0, 100.0 * (rssEnd - rssSteadyStart) / rssSteadyStart));
        json.append("\"heapMax\":\"-Xmx384m\",\"load\":{\"start\":\"").append(load0).append("\",\"end\":\"").append(load1).append("\"},");
        json.append("\"routes\":{");
        json.append(String.join(",", routes.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue()).toList()));
        json.append("},\"rssSamples\":[");
        json.append(String.join(",", rss.stream().map(r -> "[" + r[0] + "," + r[1] / 1048576 + "]").toList()));
        json.append("],\"errorSamples\":[");
        json.append(String.join(",", errorSamples.stream().map(s -> PackagedApp.JSON.valueToTree(s).toString()).toList()));
        json.append("]}\n");
        Files.writeString(out.resolve("soak.json"), json);
        System.out.println("BENCHMARK soak: " + json);
    }

    /** The machine's load average, as the other benchmarks note it. */
    static final class MachineListBenchmarkLoad {
        static String now() {
            try {
                return Files.readString(Path.of("/proc/loadavg")).strip();
            } catch (Exception e) {
                return "unknown";
            }
        }
    }
}
