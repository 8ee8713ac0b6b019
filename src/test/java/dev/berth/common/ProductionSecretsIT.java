package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.PackagedApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged portal (embedded H2 build, production profile) as a deployment would start it: without development mode
 * it refuses to start on a missing or published development secret and names the variable; with real secrets it runs.
 */
class ProductionSecretsIT {
    static final Path APP = Path.of("target", "quarkus-app");
    static final Path LOGS = Path.of("target", "production-secrets-it");

    static Map<String, String> env(Map<String, String> secrets) throws Exception {
        Map<String, String> env = PackagedApp.quietEmbedded(Files.createTempDirectory("berth-prod-secrets"));
        env.putAll(secrets);
        env.remove("BERTH_DEVELOPMENT_MODE");
        return env;
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void refusesDevelopmentSecretsAndNamesEachVariable() throws Exception {
        try (var p = new PackagedApp.Process("defaults", APP, LOGS, env(Map.of()))) {
            Integer code = p.exitCode(Duration.ofMinutes(2));
            assertNotNull(code, "the portal kept running on development secrets; log: " + p.tail());
            assertNotEquals(0, code);
            String log = Files.readString(p.log);
            for (String variable : new String[] {"BERTH_SESSION_SECRET", "BERTH_SECRETS_KEY", "BERTH_OIDC_SECRET"}) {
                assertTrue(log.contains(variable + " is a development value"), variable + " not named; log: " + p.tail());
            }
        }
        // Two real secrets, the third still the published one: refused, and only that one is named.
        try (var p = new PackagedApp.Process("one-left", APP, LOGS, env(Map.of("BERTH_SESSION_SECRET", random(33),
                "BERTH_SECRETS_KEY", random(32), "BERTH_OIDC_SECRET", "berth-dev-secret-do-not-use-in-production")))) {
            Integer code = p.exitCode(Duration.ofMinutes(2));
            assertNotNull(code, "the portal kept running on the development OIDC secret; log: " + p.tail());
            String log = Files.readString(p.log);
            assertTrue(log.contains("BERTH_OIDC_SECRET is a development value"), p.tail());
            assertTrue(!log.contains("BERTH_SECRETS_KEY is") && !log.contains("BERTH_SESSION_SECRET is"), p.tail());
        }
    }

    @Test
    void startsWithRealSecrets() throws Exception {
        try (var p = new PackagedApp.Process("real-secrets", APP, LOGS, env(Map.of("BERTH_SESSION_SECRET", random(33),
                "BERTH_SECRETS_KEY", random(32), "BERTH_OIDC_SECRET", random(24))))) {
            p.awaitReady(Duration.ofMinutes(3));
            assertEquals(200, PackagedApp.get(p.url("/q/health/ready"), null).statusCode());
        }
    }
}
