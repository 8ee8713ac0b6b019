package dev.berth.common;

import static dev.berth.support.PackagedApp.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import dev.berth.support.PackagedApp;
import dev.berth.support.PrivatePostgres;
import dev.berth.support.S3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backup and restore as the README tells an operator: {@code pg_dump -Fc} of Berth's database while the portal runs,
 * {@code pg_restore} into an empty database (of a PostgreSQL cluster of the test's own), the portal started on it.
 * Every row of every table comes back as it was dumped; the portal serves the tenant, hosts, assignment, instance and
 * key; the reconciler adopts the running MinIO container (same container id, not restarted) and the key made before
 * the backup still writes to its bucket.
 */
class BackupRestoreIT {
    static final Path APP = Path.of("target", "postgresql", "quarkus-app");
    static final Path LOGS = Path.of("target", "backup-restore-it");
    static final Duration START = Duration.ofMinutes(3);
    static final String SCOPE = "berth-it-backup";
    static final List<String> TABLES = List.of("tenant", "host", "quota", "vm_assignment", "storage_instance", "access_key",
            "storage_usage", "audit_event", "tenant_lock", "flyway_schema_history");

    static PrivatePostgres pg;

    @BeforeAll
    static void cluster() throws Exception {
        removeScope();
        pg = new PrivatePostgres();
    }

    @AfterAll
    static void cleanUp() {
        if (pg != null) {
            pg.close();
        }
        removeScope();
    }

    static void removeScope() {
        DockerCli.lines("ps", "-aq", "--filter", "label=berth.scope=" + SCOPE).forEach(c -> DockerCli.run("rm", "-f", c));
        DockerCli.lines("volume", "ls", "-q", "--filter", "label=berth.scope=" + SCOPE).forEach(v -> DockerCli.run("volume", "rm", "-f", v));
    }

    static PackagedApp.Process portal(String name, String database) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_PROFILE", "prod,postgresql");
        env.put("BERTH_DB_URL", pg.jdbcUrl(database));
        env.put("BERTH_DB_USER", "berth");
        env.put("BERTH_DB_PASSWORD", "berth");
        env.put("BERTH_OIDC_URL", PackagedApp.oidcUrl());
        env.put("BERTH_DEVELOPMENT_MODE", "true"); // the development realm's client secret is public; the same secrets key for both
        env.put("BERTH_PROBE_INTERVAL", "off");
        env.put("BERTH_STATS_INTERVAL", "off");
        env.put("BERTH_STORAGE_USAGE_INTERVAL", "off");
        env.put("BERTH_STORAGE_RECONCILE_INTERVAL", "2s");
        env.put("BERTH_STORAGE_SCOPE", SCOPE);
        env.put("BERTH_STORAGE_PORT_MIN", "29380");
        env.put("BERTH_STORAGE_PORT_MAX", "29399");
        env.put("BERTH_LOG_JSON", "false");
        var p = new PackagedApp.Process(name, APP, LOGS, env);
        p.awaitReady(START);
        return p;
    }

    static Map<String, String> rows(String database) throws Exception {
        Map<String, String> all = new LinkedHashMap<>();
        for (String t : TABLES) {
            all.put(t, pg.psql(database, "select * from " + t + " order by 1"));
        }
        return all;
    }

    /** storage_instance's claim_owner and claim_until (the column at {@code owner} and the next) blanked. */
    static Map<String, String> withoutClaims(Map<String, String> rows, int owner) {
        Map<String, String> out = new LinkedHashMap<>(rows);
        out.computeIfPresent("storage_instance", (t, text) -> text.lines().map(line -> {
            String[] cells = line.split("\\|", -1);
            if (cells.length > owner + 1) {
                cells[owner] = "";
                cells[owner + 1] = "";
            }
            return String.join("|", cells);
        }).collect(java.util.stream.Collectors.joining("\n")));
        return out;
    }

    static List<String> containers() {
        return DockerCli.lines("ps", "-a", "--format", "{{.ID}} {{.State}}", "--filter", "label=berth.scope=" + SCOPE);
    }

    @Test
    @Timeout(300)
    void aDumpRestoredIntoAnEmptyDatabaseBringsEveryRecordBackAndAdoptsTheRunningContainer() throws Exception {
        pg.createDatabase("berth");
        String alice = PackagedApp.token(DemoUser.ALICE);
        String carol = PackagedApp.token(DemoUser.CAROL);
        String keyId;
        String secret;
        long machineId;
        try (var first = portal("backup-first", "berth")) {
            assertEquals(200, PackagedApp.get(first.url("/api/v1/me"), alice).statusCode());
            var docker = PackagedApp.post(first.url("/api/v1/admin/hosts"), carol, Map.of("name", "docker-backup", "kind", "DOCKER",
                    "uri", "unix:///var/run/docker.sock", "storageAddress", "127.0.0.1", "enabled", true));
            assertEquals(201, docker.statusCode(), docker.body());
            var kvm = PackagedApp.post(first.url("/api/v1/admin/hosts"), carol, Map.of("name", "kvm-backup", "kind", "KVM",
                    "uri", "test:///default", "enabled", true));
            assertEquals(201, kvm.statusCode(), kvm.body());
            var discovered = PackagedApp.json(PackagedApp.get(first.url("/api/v1/admin/vms?host=kvm-backup"), carol).body());
            JsonNode domain = discovered.path("domains").get(0);
            var assigned = PackagedApp.post(first.url("/api/v1/admin/vms/assignments"), carol, Map.of("tenant", "acme",
                    "domains", List.of(Map.of("hostId", PackagedApp.json(kvm.body()).path("id").asLong(), "uuid", domain.path("uuid").asText()))));
            assertEquals(201, assigned.statusCode(), assigned.body());
            machineId = PackagedApp.json(assigned.body()).path("ids").get(0).asLong();

            var activated = PackagedApp.post(first.url("/api/v1/storage"), alice, Map.of());
            assertTrue(activated.statusCode() == 202 || activated.statusCode() == 200, activated.body());
            await("acme's storage ready", Duration.ofMinutes(2), () -> "READY".equals(storage(first, alice).path("status").asText()));
            assertEquals(201, PackagedApp.post(first.url("/api/v1/buckets"), alice, Map.of("name", "backed-up")).statusCode());
            var key = PackagedApp.post(first.url("/api/v1/buckets/backed-up/keys"), alice, Map.of("mode", "read-write", "description", "before the backup"));
            assertEquals(201, key.statusCode(), key.body());
            JsonNode k = PackagedApp.json(key.body());
            keyId = k.path("key").path("accessKey").asText();
            secret = k.path("secretKey").asText();
            assertFalse(keyId.isBlank() || secret.isBlank(), key.body());

            pg.dump("berth", pg.dir.resolve("berth.dump")); // online, while the portal runs
        }
        Map<String, String> dumped = rows("berth");
        List<String> before = containers();
        assertEquals(1, before.size(), before.toString());
        String containerId = before.getFirst().split(" ")[0];
        String startedAt = DockerCli.run("inspect", "--format", "{{.State.StartedAt}}", containerId);

        pg.createDatabase("berth_restored");
        pg.restore(pg.dir.resolve("berth.dump"), "berth_restored");
        // An instance's claim is a running process's lease, not state: a reconcile pass may have taken one between
        // the dump and the stop. Compared without it; the restored portal waits out a dumped claim like any other.
        Map<String, String> restoredRows = rows("berth_restored");
        int claimColumn = Integer.parseInt(pg.psql("berth", "select ordinal_position from information_schema.columns"
                + " where table_name = 'storage_instance' and column_name = 'claim_owner'").strip()) - 1;
        assertEquals(withoutClaims(dumped, claimColumn), withoutClaims(restoredRows, claimColumn), "every row of every table, as dumped");

        try (var restored = portal("backup-restored", "berth_restored")) {
            assertEquals(List.of(containerId + " running"), containers(), "the same container, running");
            JsonNode s = storage(restored, alice);
            assertEquals("READY", s.path("status").asText(), s.toString());
            // The reconciler has run on the restored state: two full passes (its first comes 3 s after start, then every 2 s).
            await("two reconcile passes of the restored portal", START, () ->
                    PackagedApp.metric(restored.metrics(), "berth_reconcile_loops_total", "loop=\"storage\"") >= 2);
            assertEquals(List.of(containerId + " running"), containers(), "adopted, not recreated");
            assertEquals(startedAt, DockerCli.run("inspect", "--format", "{{.State.StartedAt}}", containerId), "not restarted");
            assertTrue(PackagedApp.get(restored.url("/api/v1/admin/hosts"), carol).body().contains("docker-backup"));
            assertTrue(PackagedApp.get(restored.url("/api/v1/admin/hosts"), carol).body().contains("kvm-backup"));
            assertEquals(200, PackagedApp.get(restored.url("/api/v1/vms/" + machineId), alice).statusCode());
            String keys = PackagedApp.get(restored.url("/api/v1/buckets/backed-up/keys"), alice).body();
            assertTrue(keys.contains(keyId), keys);
            String ca = PackagedApp.json(PackagedApp.send(PackagedApp.request(restored.url("/api/v1/storage/ca"), alice)
                    .header("Accept", "application/json").GET().build()).body()).path("certificate").asText();
            S3.as(s.path("endpoint").asText(), keyId, secret, ca).put("backed-up", "after-restore.txt", "the key made before the backup");
            assertTrue(PackagedApp.get(restored.url("/api/v1/admin/audit?action=storage.activate"), carol).body().contains("storage.activate"));
        }
    }

    static JsonNode storage(PackagedApp.Process p, String token) {
        var r = PackagedApp.get(p.url("/api/v1/storage"), token);
        assertEquals(200, r.statusCode(), r.body());
        return PackagedApp.json(r.body());
    }
}
