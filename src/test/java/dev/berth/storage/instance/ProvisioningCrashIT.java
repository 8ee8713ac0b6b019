package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.support.DemoUser;
import dev.berth.support.DockerCli;
import dev.berth.support.PackagedApp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A crash at each provisioning step converges: the packaged portal (H2 build, target/quarkus-app, a fresh data directory
 * per step) is killed with SIGKILL while acme's instance is at the step — held there by the development-mode hook
 * {@link DevPause} just before the step's end is recorded, so the step's work is done on the host and the database
 * does not know it yet. Restarted on the same data directory without the hook, it must bring the instance to READY
 * with exactly one container of the scope and no orphan, within a bound derived from the configuration passed here.
 *
 * <p>The claim lease is set far beyond that bound: the dead process's claim must be taken over because its process is
 * gone ({@link HolderProcess}), not because the lease ran out.
 */
class ProvisioningCrashIT {
    static final Path APP = Path.of("target", "quarkus-app");
    static final Path LOGS = Path.of("target", "provisioning-crash-it");
    static final String SCOPE = "berth-it-crash";
    static final Duration START = Duration.ofMinutes(3);
    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CLAIM_LEASE = Duration.ofMinutes(10);
    /** The reconciler's first scheduled pass comes this long after start (Reconciler.scheduled, delayed = "3s"). */
    static final Duration FIRST_PASS = Duration.ofSeconds(3);
    /** Engine calls of one provisioning run besides the wait for MinIO: inspect, volume ×2, create, inspect, start, inspect. */
    static final int ENGINE_CALLS = 8;

    static Map<String, String> env(Path data) {
        Map<String, String> env = new HashMap<>();
        env.put("BERTH_DEVELOPMENT_MODE", "true"); // the development realm's client secret is public; the hook needs it
        env.put("BERTH_DATA_DIR", data.toString());
        env.put("BERTH_OIDC_URL", PackagedApp.oidcUrl());
        env.put("BERTH_PROBE_INTERVAL", "off");
        env.put("BERTH_STATS_INTERVAL", "off");
        env.put("BERTH_STORAGE_USAGE_INTERVAL", "off");
        env.put("BERTH_LOG_JSON", "false");
        env.put("BERTH_STORAGE_SCOPE", SCOPE);
        env.put("BERTH_STORAGE_PORT_MIN", "29900");
        env.put("BERTH_STORAGE_PORT_MAX", "29949");
        env.put("BERTH_STORAGE_RECONCILE_INTERVAL", INTERVAL.toSeconds() + "s");
        env.put("BERTH_STORAGE_READY_TIMEOUT", READY_TIMEOUT.toSeconds() + "s");
        env.put("BERTH_STORAGE_CALL_TIMEOUT", CALL_TIMEOUT.toSeconds() + "s");
        env.put("BERTH_STORAGE_CLAIM_LEASE", CLAIM_LEASE.toMinutes() + "m");
        return env;
    }

    static List<String> containers() {
        return DockerCli.lines("ps", "-a", "--format", "{{.Names}} {{.State}}", "--filter", "label=berth.scope=" + SCOPE);
    }

    @BeforeAll
    @AfterAll
    static void removeScope() {
        DockerCli.lines("ps", "-aq", "--filter", "label=berth.scope=" + SCOPE).forEach(c -> DockerCli.run("rm", "-f", c));
        DockerCli.lines("volume", "ls", "-q", "--filter", "label=berth.scope=" + SCOPE).forEach(v -> DockerCli.run("volume", "rm", "-f", v));
    }

    static JsonNode admin(PackagedApp.Process p, String carol) {
        var r = PackagedApp.get(p.url("/api/v1/admin/storage"), carol);
        assertEquals(200, r.statusCode(), r.body());
        return PackagedApp.json(r.body());
    }

    static String status(PackagedApp.Process p, String carol) {
        JsonNode items = admin(p, carol).path("items");
        return items.isEmpty() ? "" : items.get(0).path("status").asText();
    }

    static boolean logSays(PackagedApp.Process p, String text) {
        try {
            return Files.readString(p.log).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    static String secretsKey() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return java.util.Base64.getEncoder().encodeToString(key);
    }

    /** The hook cannot ride along into a deployment: without development mode, the portal does not start with it. */
    @Test
    void theHookIsRefusedOutsideDevelopmentMode() throws Exception {
        Map<String, String> env = env(Files.createTempDirectory("berth-provisioning-crash-prod"));
        env.put("BERTH_DEVELOPMENT_MODE", "false");
        env.put("BERTH_SESSION_SECRET", UUID.randomUUID() + "-" + UUID.randomUUID()); // real secrets: only the hook is wrong
        env.put("BERTH_SECRETS_KEY", secretsKey());
        env.put("BERTH_OIDC_SECRET", UUID.randomUUID().toString());
        env.put("BERTH_STORAGE_DEV_PAUSE_AT", "CREATING");
        env.put("BERTH_STORAGE_DEV_PAUSE", "10m");
        try (var p = new PackagedApp.Process("hook-in-production", APP, LOGS, env)) {
            Integer code = p.exitCode(START);
            assertNotNull(code, "the portal runs with the hook outside development mode; log: " + p.tail());
            assertNotEquals(0, code);
            assertTrue(Files.readString(p.log).contains("are a crash-test hook: Berth refuses them outside development mode"), p.tail());
        }
    }

    @ParameterizedTest
    @EnumSource(value = InstanceStatus.class, names = {"PLACING", "CREATING", "STARTING", "WAITING"})
    void aCrashAtThisStepConvergesAfterRestart(InstanceStatus step) throws Exception {
        removeScope();
        Path data = Files.createTempDirectory("berth-provisioning-crash-" + step.name().toLowerCase());
        String carol = PackagedApp.token(DemoUser.CAROL);
        String alice = PackagedApp.token(DemoUser.ALICE);

        Map<String, String> paused = env(data);
        paused.put("BERTH_STORAGE_DEV_PAUSE_AT", step.name());
        paused.put("BERTH_STORAGE_DEV_PAUSE", "10m");
        var first = new PackagedApp.Process("crash-" + step + "-first", APP, LOGS, paused);
        String atKill;
        try {
            first.awaitReady(START);
            var host = PackagedApp.post(first.url("/api/v1/admin/hosts"), carol, Map.of("name", "crash-docker-"
                    + UUID.randomUUID().toString().substring(0, 8), "kind", "DOCKER", "uri", "unix:///var/run/docker.sock",
                    "storageAddress", "127.0.0.1"));
            assertEquals(201, host.statusCode(), host.body());
            assertEquals(200, PackagedApp.get(first.url("/api/v1/me"), alice).statusCode()); // acme is born on first sight
            var activated = PackagedApp.post(first.url("/api/v1/storage"), alice, Map.of());
            assertEquals(202, activated.statusCode(), activated.body());

            String pausedLine = "before leaving " + step + " (berth.storage.dev-pause-at)";
            PackagedApp.await("the reconciler paused at the end of " + step + " (log " + first.log + ")", START,
                    () -> logSays(first, pausedLine));
            assertEquals(step.name(), status(first, carol), "the step the database records while paused");
            atKill = containers().toString();
        } finally {
            first.kill();
        }

        long t0 = System.nanoTime();
        var second = new PackagedApp.Process("crash-" + step + "-restart", APP, LOGS, env(data));
        try (second) {
            second.awaitReady(START);
            Duration start = Duration.ofNanos(System.nanoTime() - t0);
            // Once it answers: its first pass, one more interval, the engine calls and the wait for MinIO.
            Duration bound = start.plus(FIRST_PASS).plus(INTERVAL).plus(CALL_TIMEOUT.multipliedBy(ENGINE_CALLS)).plus(READY_TIMEOUT);
            PackagedApp.await("READY after a crash at " + step + " (log " + second.log + ")",
                    bound.minus(Duration.ofNanos(System.nanoTime() - t0)), () -> "READY".equals(status(second, carol)));
            Duration ready = Duration.ofNanos(System.nanoTime() - t0);

            String container = SCOPE + "-minio-acme";
            assertEquals(List.of(container + " running"), containers(), "exactly one container of the scope, running");
            // No orphan as of a pass that began after READY (the list is the last pass's).
            String passAtReady = admin(second, carol).path("lastPass").asText();
            PackagedApp.await("a reconciler pass after READY", INTERVAL.multipliedBy(2).plus(CALL_TIMEOUT).plus(FIRST_PASS),
                    () -> !admin(second, carol).path("lastPass").asText().equals(passAtReady));
            JsonNode after = admin(second, carol);
            assertEquals(1, after.path("total").asInt(), after.toString());
            assertEquals(0, after.path("orphans").size(), after.toString());
            assertEquals("READY", after.path("items").get(0).path("status").asText(), after.toString());
            // MinIO works with the root credentials in the database: a bucket is created through it.
            var bucket = PackagedApp.post(second.url("/api/v1/buckets"), alice, Map.of("name", "after-crash"));
            assertEquals(201, bucket.statusCode(), bucket.body());
            assertTrue(logSays(second, "took over the claim of"), "the dead process's claim was taken over (log " + second.log + ")");

            Files.createDirectories(LOGS);
            Files.writeString(LOGS.resolve("results.txt"), String.format("%-8s killed with %s; restart answered after %.1f s,"
                            + " READY %.1f s after the restart (%.1f s after it answered); bound %.0f s%n", step, atKill,
                    start.toMillis() / 1000.0, ready.toMillis() / 1000.0, ready.minus(start).toMillis() / 1000.0, bound.toMillis() / 1000.0),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } finally {
            removeScope();
        }
    }
}
