package dev.berth.common;

import static dev.berth.support.PackagedApp.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.support.DemoUser;
import dev.berth.support.PackagedApp;
import dev.berth.support.PrivatePostgres;
import dev.berth.support.SocketProxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Berth's dependencies go away and come back under a running portal (the packaged PostgreSQL build,
 * target/postgresql/quarkus-app), and Berth recovers by itself: no 5xx except while the dependency is down, clear
 * messages meanwhile. Nothing shared is stopped: PostgreSQL is a cluster of the test's own ({@link PrivatePostgres}),
 * Keycloak and libvirtd are reached through proxies the test closes ({@link SocketProxy}). Docker's restart is in
 * {@code storage.DockerTlsEngineTest} (a second real dockerd of the test's own).
 */
class DependencyRestartIT {
    static final Path APP = Path.of("target", "postgresql", "quarkus-app");
    static final Path LOGS = Path.of("target", "dependency-restart-it");
    static final Duration START = Duration.ofMinutes(3);
    /** How long Berth may take to answer normally again once the dependency is back (a bound, not a measurement). */
    static final Duration RECOVERY = Duration.ofSeconds(15);
    /** After PostgreSQL accepts connections again (pg_ctl -w returned), requests sent this much later must all succeed. */
    static final Duration GRACE = Duration.ofSeconds(2);

    static PrivatePostgres pg;
    static SocketProxy keycloak;
    static SocketProxy libvirt;
    static Path dir;
    static PackagedApp.Process portal;
    static String domainName;
    static String alice;
    static String carol;
    static long machineId;

    static String oidc() {
        return "http://127.0.0.1:" + keycloak.port() + "/realms/berth";
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("berth-deps-");
        pg = new PrivatePostgres();
        pg.createDatabase("berth");
        keycloak = SocketProxy.tcp(Integer.parseInt(URI.create(PackagedApp.oidcUrl()).getPort() + ""));
        libvirt = SocketProxy.unix(dir.resolve("libvirt.sock"), Path.of("/run/libvirt/libvirt-sock"));
        domainName = "berth-it-deps-" + UUID.randomUUID().toString().substring(0, 8);
        Path xml = dir.resolve("domain.xml");
        Files.writeString(xml, """
                <domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
                <os><type arch='x86_64'>hvm</type></os></domain>""".formatted(domainName));
        virsh("define", xml.toString());

        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_PROFILE", "prod,postgresql");
        env.put("BERTH_DB_URL", pg.jdbcUrl("berth"));
        env.put("BERTH_DB_USER", "berth");
        env.put("BERTH_DB_PASSWORD", "berth");
        env.put("BERTH_OIDC_URL", oidc());
        env.put("BERTH_DEVELOPMENT_MODE", "true"); // the development realm's client secret is public
        env.put("BERTH_PROBE_INTERVAL", "2s");
        env.put("BERTH_PROBE_TIMEOUT", "2s");
        env.put("BERTH_KVM_CALL_TIMEOUT", "2s");
        env.put("BERTH_STATS_INTERVAL", "off");
        env.put("BERTH_STORAGE_RECONCILE_INTERVAL", "off");
        env.put("BERTH_STORAGE_USAGE_INTERVAL", "off");
        env.put("BERTH_LOG_JSON", "false");
        portal = new PackagedApp.Process("deps", APP, LOGS, env);
        portal.awaitReady(START);

        alice = token(DemoUser.ALICE);
        carol = token(DemoUser.CAROL);
        assertEquals(200, PackagedApp.get(portal.url("/api/v1/me"), alice).statusCode()); // acme exists from here
        var host = PackagedApp.post(portal.url("/api/v1/admin/hosts"), carol, Map.of("name", "kvm-deps", "kind", "KVM",
                "uri", "qemu:///system?socket=" + dir.resolve("libvirt.sock"), "enabled", true));
        assertEquals(201, host.statusCode(), host.body());
        long hostId = PackagedApp.json(host.body()).path("id").asLong();
        String uuid = virsh("domuuid", domainName).strip();
        var assigned = PackagedApp.post(portal.url("/api/v1/admin/vms/assignments"), carol,
                Map.of("tenant", "acme", "domains", List.of(Map.of("hostId", hostId, "uuid", uuid))));
        assertEquals(201, assigned.statusCode(), assigned.body());
        machineId = PackagedApp.json(assigned.body()).path("ids").get(0).asLong();
    }

    @AfterAll
    static void stop() throws Exception {
        if (portal != null) {
            portal.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
        if (libvirt != null) {
            libvirt.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (domainName != null) {
            try {
                virsh("undefine", domainName);
            } catch (IllegalStateException e) {
                // not defined
            }
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A token through the proxy: its issuer is the address the portal knows Keycloak by. */
    static String token(DemoUser user) {
        String body = "grant_type=password&client_id=berth-portal&client_secret=berth-dev-secret-do-not-use-in-production"
                + "&scope=openid&username=" + URLEncoder.encode(user.username(), StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(user.password(), StandardCharsets.UTF_8);
        HttpResponse<String> r = PackagedApp.send(HttpRequest.newBuilder(URI.create(oidc() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(200, r.statusCode(), r.body());
        return PackagedApp.json(r.body()).path("access_token").asText();
    }

    static String virsh(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of("virsh", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("virsh " + String.join(" ", args) + ": " + out);
        }
        return out;
    }

    /** A request sent at {@code at} and answered (or failed) at {@code done}. */
    record Answer(long at, long done, String route, int status, String body) {
    }

    /** Requests sent every 100 ms by a background thread until {@link #close()}: what a user sees during the outage. */
    static final class Traffic implements AutoCloseable {
        final List<Answer> answers = new CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private final Thread thread;

        Traffic(Map<String, String> routesAndTokens) {
            thread = Thread.ofPlatform().name("traffic").start(() -> {
                while (running) {
                    routesAndTokens.forEach((route, token) -> {
                        long at = System.nanoTime();
                        try {
                            var r = PackagedApp.HTTP.send(PackagedApp.request(portal.url(route), token).timeout(Duration.ofSeconds(20)).GET().build(),
                                    HttpResponse.BodyHandlers.ofString());
                            answers.add(new Answer(at, System.nanoTime(), route, r.statusCode(), r.body()));
                        } catch (Exception e) {
                            answers.add(new Answer(at, System.nanoTime(), route, -1, e.toString()));
                        }
                    });
                    PackagedApp.sleep(Duration.ofMillis(100));
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }

    @Test
    @Timeout(120)
    void postgresqlRestartedTheConnectionPoolReconnects() throws Exception {
        var routesAndTokens = Map.of("/api/v1/me", alice, "/api/v1/admin/tenants", carol, "/api/v1/vms", alice);
        Traffic traffic = new Traffic(routesAndTokens);
        int routes = routesAndTokens.size();
        await("a first answer on every route", RECOVERY, () -> traffic.answers.size() >= routes);
        long down = System.nanoTime();
        pg.stop();
        // The point of the test, not a wait for something: the database stays away long enough for several rounds
        // of requests to meet it (a round every ~100 ms plus its answers).
        PackagedApp.sleep(Duration.ofSeconds(4));
        pg.start();
        long up = System.nanoTime();
        // Two rounds on every route sent after the grace: the recovery's evidence (their status is asserted below).
        await("two rounds of requests sent " + GRACE.toSeconds() + " s after PostgreSQL was back", RECOVERY,
                () -> traffic.answers.stream().filter(a -> a.at >= up + GRACE.toNanos()).count() >= 2L * routes);
        traffic.close();

        List<Answer> all = traffic.answers;
        // Answered before the stop began; in flight at any moment of the outage (or its first seconds after); sent later.
        List<Answer> before = all.stream().filter(a -> a.done < down).toList();
        List<Answer> during = all.stream().filter(a -> a.done >= down && a.at < up + GRACE.toNanos()).toList();
        List<Answer> after = all.stream().filter(a -> a.at >= up + GRACE.toNanos()).toList();
        assertFalse(before.isEmpty() || during.isEmpty() || after.isEmpty(), "traffic in every phase");
        assertTrue(before.stream().allMatch(a -> a.status == 200), () -> "before: " + summary(before));
        assertTrue(after.stream().allMatch(a -> a.status == 200), () -> "after recovery: " + summary(after));
        // While it is down: a clear 503 that says what is missing, never a 500 or a dropped connection.
        for (Answer a : during) {
            assertTrue(a.status == 200 || a.status == 503, () -> "during: " + summary(during));
            if (a.status == 503) {
                assertTrue(a.body.contains("The database is unavailable right now"), a.body);
            }
        }
        long firstOkAfter = all.stream().filter(a -> a.at >= up && a.status == 200).mapToLong(a -> a.at).min().orElseThrow();
        System.out.printf("[deps] PostgreSQL down %.1f s; first 200 %.1f s after it was back; answers during: %s%n",
                (up - down) / 1e9, (firstOkAfter - up) / 1e9, summary(during));
    }

    @Test
    @Timeout(120)
    void keycloakUnavailablePagesSaySoAndTheApiKeepsWorking() throws Exception {
        assertEquals(302, PackagedApp.get(portal.url("/machines"), null).statusCode(), "sign-in redirects while Keycloak answers");
        keycloak.stop();
        try {
            var api = PackagedApp.get(portal.url("/api/v1/me"), alice);
            assertEquals(200, api.statusCode(), "a valid token is checked with the keys Berth already has: " + api.body());
            assertEquals(200, PackagedApp.get(portal.url("/api/v1/vms"), alice).statusCode());

            // The last answer (up) is trusted for SignInAvailability.FRESH (5 s), then the provider is asked again.
            await("pages say sign-in is unavailable", Duration.ofSeconds(10), () -> PackagedApp.get(portal.url("/machines"), null).statusCode() == 503);
            var page = PackagedApp.get(portal.url("/machines"), null);
            assertEquals(503, page.statusCode(), page.body());
            assertTrue(page.body().contains("Sign-in is unavailable"), page.body());
            assertTrue(page.headers().firstValue("Retry-After").isPresent());
        } finally {
            keycloak.start();
        }
        await("sign-in redirects again", RECOVERY, () -> PackagedApp.get(portal.url("/machines"), null).statusCode() == 302);
        assertEquals(200, PackagedApp.get(portal.url("/api/v1/me"), token(DemoUser.ALICE)).statusCode());
    }

    @Test
    @Timeout(120)
    void libvirtdGoneAndBackMachinePagesRecoverWithoutRestartingBerth() throws Exception {
        assertEquals("SHUTOFF", machine().path("machine").path("state").asText());
        libvirt.stop();
        try {
            JsonNode away = machine();
            assertEquals("UNKNOWN", away.path("machine").path("state").asText(), away.toString());
            assertFalse(away.path("error").asText().isBlank(), "says why: " + away);
            var page = PackagedApp.get(portal.url("/machines/" + machineId), alice);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("state unknown"), page.body());
        } finally {
            libvirt.start();
        }
        await("the machine's state is known again", RECOVERY, () -> "SHUTOFF".equals(machine().path("machine").path("state").asText()));
        var page = PackagedApp.get(portal.url("/machines/" + machineId), alice);
        assertEquals(200, page.statusCode());
        assertFalse(page.body().contains("state unknown"), page.body());
    }

    static JsonNode machine() {
        var r = PackagedApp.get(portal.url("/api/v1/vms/" + machineId), alice);
        assertEquals(200, r.statusCode(), r.body());
        return PackagedApp.json(r.body());
    }

    static String summary(List<Answer> answers) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (Answer a : answers) {
            counts.merge(a.route + " " + a.status + (a.status == 200 ? "" : " " + a.body.substring(0, Math.min(120, a.body.length()))), 1, Integer::sum);
        }
        return counts.toString();
    }
}
