package dev.berth.common;

import static dev.berth.support.PackagedApp.await;
import static dev.berth.support.PackagedApp.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import dev.berth.support.PackagedApp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Berth processes (the PostgreSQL build of the packaged jar, target/postgresql/quarkus-app) against one PostgreSQL
 * database ({@value #DB}, its own: the suite's berth_test is shared). Scheduled host probes and stats sampling run
 * every 2 s in both; only the replica holding the lease may do them. Checked: while both run, exactly one of them
 * probes and holds each lease; when it stops (SIGTERM, as on a rolling update), the other takes over; when it comes
 * back, it does not probe while the other holds the lease. And: the same storage activation sent to both at once
 * makes exactly one instance, one container, no orphan.
 */
class LeaseTwoProcessesIT {
    static final String DB = "berth_lease_test";
    static final String JDBC = "jdbc:postgresql://127.0.0.1:5432/" + DB;
    static final Path APP = Path.of("target", "postgresql", "quarkus-app");
    static final Path LOGS = Path.of("target", "lease-it");
    static final Duration START = Duration.ofMinutes(3);
    static final Duration TAKEOVER = Duration.ofMinutes(1);

    @BeforeAll
    static void freshDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection(JDBC, "berth", "berth"); var st = c.createStatement()) {
            // Each run starts from an empty schema; Flyway migrates it at the first start.
            st.execute("drop schema if exists public cascade");
            st.execute("create schema public");
        }
    }

    static PackagedApp.Process start(String name) throws Exception {
        return start(name, Map.of());
    }

    static PackagedApp.Process start(String name, Map<String, String> more) throws Exception {
        Map<String, String> env = new HashMap<>(more);
        env.put("QUARKUS_PROFILE", "prod,postgresql");
        env.put("BERTH_DB_URL", JDBC);
        env.put("BERTH_DB_USER", "berth");
        env.put("BERTH_DB_PASSWORD", "berth");
        env.put("BERTH_OIDC_URL", PackagedApp.oidcUrl());
        env.put("BERTH_DEVELOPMENT_MODE", "true"); // the development realm's client secret is public
        env.put("BERTH_PROBE_INTERVAL", "2s");
        env.put("BERTH_PROBE_TIMEOUT", "2s");
        env.put("BERTH_STATS_INTERVAL", "2s");
        env.put("BERTH_LEASE_HOLDER", name);
        env.put("BERTH_LOG_JSON", "false");
        var p = new PackagedApp.Process(name, APP, LOGS, env);
        p.awaitReady(START);
        return p;
    }

    static double probes(PackagedApp.Process p) {
        return metric(p.metrics(), "berth_host_probe_seconds_count");
    }

    static double reconcilePasses(PackagedApp.Process p) {
        return metric(p.metrics(), "berth_reconcile_loops_total", "loop=\"storage\"");
    }

    static boolean holds(PackagedApp.Process p, String lease) {
        return metric(p.metrics(), "berth_lease_held", "lease=\"" + lease + "\"") == 1;
    }

    static String holderInDatabase(String lease) throws Exception {
        try (Connection c = DriverManager.getConnection(JDBC, "berth", "berth");
             var st = c.prepareStatement("select holder from lease where name = ? and expires_at > current_timestamp")) {
            st.setString(1, lease);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Waits until {@code holder} renews {@code lease} (its expiry moves on) and answers the new expiry. */
    static java.time.OffsetDateTime awaitRenewal(String lease, String holder) throws Exception {
        java.time.OffsetDateTime first = expiry(lease, holder);
        long deadline = System.nanoTime() + TAKEOVER.toNanos();
        while (System.nanoTime() < deadline) {
            java.time.OffsetDateTime now = expiry(lease, holder);
            if (first != null && now != null && now.isAfter(first)) {
                return now;
            }
            first = first == null ? now : first;
            Thread.sleep(20); // a renewal every 2 s: this is caught within a few ms of it
        }
        throw new AssertionError(holder + " did not renew " + lease + " within " + TAKEOVER.toSeconds() + " s");
    }

    static java.time.OffsetDateTime expiry(String lease, String holder) throws Exception {
        try (Connection c = DriverManager.getConnection(JDBC, "berth", "berth");
             var st = c.prepareStatement("select expires_at from lease where name = ? and holder like ?")) {
            st.setString(1, lease);
            st.setString(2, holder + "%");
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getObject(1, java.time.OffsetDateTime.class) : null;
            }
        }
    }

    static java.time.OffsetDateTime acquiredAt(String lease) throws Exception {
        try (Connection c = DriverManager.getConnection(JDBC, "berth", "berth");
             var st = c.prepareStatement("select acquired_at from lease where name = ?")) {
            st.setString(1, lease);
            try (ResultSet rs = st.executeQuery()) {
                assertTrue(rs.next(), "no " + lease + " lease");
                return rs.getObject(1, java.time.OffsetDateTime.class);
            }
        }
    }

    /** Watches both for {@code rounds} probe rounds of the holder: never both hold a lease, the other never probes. */
    static void onlyOneWorks(PackagedApp.Process holder, PackagedApp.Process other, int rounds) throws Exception {
        double otherBefore = probes(other);
        double target = probes(holder) + rounds;
        await(rounds + " probe rounds by " + holder.name, TAKEOVER, () -> {
            for (String lease : new String[] {"host-probes", "vm-stats"}) {
                boolean h = holds(holder, lease);
                boolean o = holds(other, lease);
                assertFalse(h && o, "both hold " + lease);
            }
            assertEquals(otherBefore, probes(other), other.name + " probed while " + holder.name + " held the lease");
            return probes(holder) >= target;
        });
        assertTrue(holderInDatabase("host-probes").startsWith(holder.name + "/"), holderInDatabase("host-probes"));
        assertTrue(holds(holder, "vm-stats") && !holds(other, "vm-stats"), "stats sampling stays with " + holder.name);
    }

    @Test
    void twoProcessesNeverProbeTogetherAndTheSecondTakesOver() throws Exception {
        try (var a = start("replica-a")) {
            // Something to probe: a libvirt test-driver host (in-process, no daemon), registered through the API.
            var created = PackagedApp.post(a.url("/api/v1/admin/hosts"), PackagedApp.token(DemoUser.CAROL),
                    Map.of("name", "lease-kvm-" + UUID.randomUUID().toString().substring(0, 8), "kind", "KVM", "uri", "test:///default"));
            assertEquals(201, created.statusCode(), created.body());
            await("replica-a's first scheduled probe", START, () -> probes(a) > 0);

            try (var b = start("replica-b")) {
                onlyOneWorks(a, b, 3);

                // SIGTERM right after a renewed its lease: that lease then runs a full TTL (HostProber: 2 × the 2 s
                // interval + the 2 s probe timeout = 6 s) past the signal. b can take it before that expiry only if a
                // released it on shutdown; after it, any replica could. Both instants come from the database's clock.
                java.time.OffsetDateTime heldUntil = awaitRenewal("host-probes", "replica-a/");
                a.stop();
                // a hang guard only: the bound that matters is the expiry below
                await("replica-b takes over the probes", TAKEOVER, () -> probes(b) > 0 && holds(b, "host-probes"));
                assertTrue(holderInDatabase("host-probes").startsWith("replica-b/"));
                java.time.OffsetDateTime taken = acquiredAt("host-probes");
                System.out.printf("LeaseTwoProcessesIT: replica-b took the lease %d ms before replica-a's would have expired%n",
                        java.time.Duration.between(taken, heldUntil).toMillis());
                assertTrue(taken.isBefore(heldUntil), "replica-b took the lease at " + taken + ", not before replica-a's lease "
                        + "expired on its own at " + heldUntil + ": the lease was not released on shutdown");

                try (var again = start("replica-a2")) { // back after the "rolling update": b keeps the work
                    onlyOneWorks(b, again, 3);
                }
            }
        }
    }

    /**
     * With room for 2 buckets and 2 keys, 20 creations of each at the same moment, 10 through each replica: exactly 2
     * succeed (the others get 409), and the instance and the database hold exactly 2.
     */
    static void quotasHoldAcrossReplicas(PackagedApp.Process a, PackagedApp.Process b, String carol, String alice) throws Exception {
        var quota = (com.fasterxml.jackson.databind.node.ObjectNode) PackagedApp.json(
                PackagedApp.get(a.url("/api/v1/admin/tenants/acme/quota"), carol).body());
        quota.put("buckets", 2).put("accessKeys", 2); // container limits unchanged: the instance keeps running
        var set = PackagedApp.send(PackagedApp.request(a.url("/api/v1/admin/tenants/acme/quota"), carol)
                .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString(quota.toString())).build());
        assertEquals(200, set.statusCode(), set.body());

        List<Integer> buckets = race(20, i -> PackagedApp.post((i % 2 == 0 ? a : b).url("/api/v1/buckets"), alice, Map.of("name", "race-" + i)));
        assertEquals(2, buckets.stream().filter(s -> s == 201).count(), "bucket creations that succeeded: " + buckets);
        assertTrue(buckets.stream().allMatch(s -> s == 201 || s == 409), "every other one refused with 409: " + buckets);
        var list = PackagedApp.json(PackagedApp.get(b.url("/api/v1/buckets"), alice).body());
        assertEquals(2, list.path("items").size(), list.toString());

        String bucket = list.path("items").get(0).path("name").asText();
        List<Integer> keys = race(20, i -> PackagedApp.post((i % 2 == 0 ? a : b).url("/api/v1/buckets/" + bucket + "/keys"), alice,
                Map.of("mode", "read-only")));
        assertEquals(2, keys.stream().filter(s -> s == 201).count(), "key creations that succeeded: " + keys);
        assertTrue(keys.stream().allMatch(s -> s == 201 || s == 409), "every other one refused with 409: " + keys);
        var after = PackagedApp.json(PackagedApp.get(a.url("/api/v1/buckets/" + bucket + "/keys"), alice).body());
        assertEquals(2, after.size(), after.toString());
    }

    /** n requests released at the same moment; their status codes. */
    static List<Integer> race(int n, java.util.function.IntFunction<java.net.http.HttpResponse<String>> request) throws Exception {
        return dev.berth.support.Race.of(n, i -> request.apply(i).statusCode());
    }

    /** Containers and volumes of this test's own storage scope: never another run's, never production's. */
    static final String SCOPE = "berth-it-replicas";

    static Map<String, String> storageEnv() {
        return Map.of("BERTH_STORAGE_SCOPE", SCOPE, "BERTH_STORAGE_PORT_MIN", "29600", "BERTH_STORAGE_PORT_MAX", "29699",
                "BERTH_STORAGE_RECONCILE_INTERVAL", "2s");
    }

    static List<String> containers() {
        return DockerCli.lines("ps", "-a", "--format", "{{.Names}}", "--filter", "label=berth.scope=" + SCOPE);
    }

    static void removeScope() {
        containers().forEach(c -> DockerCli.run("rm", "-f", c));
        DockerCli.lines("volume", "ls", "-q", "--filter", "label=berth.scope=" + SCOPE).forEach(v -> DockerCli.run("volume", "rm", "-f", v));
    }

    @Test
    void twoProcessesActivatingOneTenantsStorageAtOnceMakeOneInstance() throws Exception {
        removeScope();
        try (var a = start("storage-a", storageEnv()); var b = start("storage-b", storageEnv())) {
            String carol = PackagedApp.token(DemoUser.CAROL);
            var host = PackagedApp.post(a.url("/api/v1/admin/hosts"), carol, Map.of("name", "it-docker-" + UUID.randomUUID().toString().substring(0, 8),
                    "kind", "DOCKER", "uri", "unix:///var/run/docker.sock", "storageAddress", "127.0.0.1"));
            assertEquals(201, host.statusCode(), host.body());
            String alice = PackagedApp.token(DemoUser.ALICE);
            assertEquals(200, PackagedApp.get(a.url("/api/v1/me"), alice).statusCode()); // acme is born on first sight

            // Both replicas get the same request at the same moment, as behind a load balancer.
            var gate = new CountDownLatch(1);
            var pool = Executors.newFixedThreadPool(2);
            try {
                var fromA = pool.submit(() -> { gate.await(); return PackagedApp.post(a.url("/api/v1/storage"), alice, Map.of()); });
                var fromB = pool.submit(() -> { gate.await(); return PackagedApp.post(b.url("/api/v1/storage"), alice, Map.of()); });
                gate.countDown();
                int sa = fromA.get().statusCode();
                int sb = fromB.get().statusCode();
                assertTrue((sa == 202 || sa == 200) && (sb == 202 || sb == 200), sa + " " + fromA.get().body() + " / " + sb + " " + fromB.get().body());
                assertEquals(PackagedApp.json(fromA.get().body()).path("id").asLong(), PackagedApp.json(fromB.get().body()).path("id").asLong(),
                        "both replicas answer with the same instance");
            } finally {
                pool.shutdownNow();
            }
            await("acme's instance ready, as both replicas see it", START, () ->
                    "READY".equals(PackagedApp.json(PackagedApp.get(a.url("/api/v1/storage"), alice).body()).path("status").asText())
                            && "READY".equals(PackagedApp.json(PackagedApp.get(b.url("/api/v1/storage"), alice).body()).path("status").asText()));
            // Both reconcile every 2 s; three more full passes each to (not) double-act.
            double passesA = reconcilePasses(a) + 3;
            double passesB = reconcilePasses(b) + 3;
            await("three more reconcile passes in each replica", TAKEOVER, () -> reconcilePasses(a) >= passesA && reconcilePasses(b) >= passesB);
            assertEquals(1, containers().size(), "containers of the scope: " + containers());
            var admin = PackagedApp.json(PackagedApp.get(b.url("/api/v1/admin/storage"), carol).body());
            assertEquals(1, admin.path("total").asInt(), admin.toString());
            assertEquals(0, admin.path("orphans").size(), admin.toString());

            quotasHoldAcrossReplicas(a, b, carol, alice);

            long id = admin.path("items").get(0).path("id").asLong();
            var deleted = PackagedApp.send(PackagedApp.request(a.url("/api/v1/admin/storage/" + id + "?data=delete&confirm=acme"), carol)
                    .DELETE().build());
            assertTrue(deleted.statusCode() < 300, deleted.statusCode() + " " + deleted.body());
        } finally {
            removeScope();
        }
    }
}
