package dev.berth.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.instance.ContainerRuntime;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.InstanceStatus;
import dev.berth.storage.instance.Placement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/** Placement, ports, backoff and the container's shape: the pure rules, without an engine. */
@Tag(DatabasePass.INDEPENDENT)
class StorageRulesTest {
    private static final long GIB = 1L << 30;

    @Test
    void theHostWithTheMostFreeMemoryThatFitsIsChosen() {
        var a = new Placement.Candidate(1, "a", 16 * GIB, 14 * GIB, null); // 2 GiB free
        var b = new Placement.Candidate(2, "b", 8 * GIB, 2 * GIB, null);   // 6 GiB free
        var c = new Placement.Candidate(3, "c", 64 * GIB, 0, "unreachable: connection refused");
        assertEquals(2, Placement.choose(List.of(a, b, c), GIB).host().hostId());
        assertEquals(2, Placement.choose(List.of(a, b, c), 6 * GIB).host().hostId());
    }

    @Test
    void tiesGoByName() {
        var x = new Placement.Candidate(1, "x", 8 * GIB, 0, null);
        var w = new Placement.Candidate(2, "w", 8 * GIB, 0, null);
        assertEquals("w", Placement.choose(List.of(x, w), GIB).host().name());
    }

    @Test
    void whenNothingFitsTheRefusalNamesEveryHost() {
        var a = new Placement.Candidate(1, "a", 4 * GIB, 3 * GIB, null);
        var c = new Placement.Candidate(3, "c", null, 0, "unreachable: timed out after 4s");
        Placement.Decision d = Placement.choose(List.of(c, a), 2 * GIB);
        assertNull(d.host());
        assertEquals("No Docker host can hold a container of 2 GiB: a (1 GiB free); c (unreachable: timed out after 4s).", d.refusal());
        assertTrue(Placement.choose(List.of(), GIB).refusal().startsWith("No Docker host is registered"));
    }

    @Test
    void theLowestFreePortIsHandedOut() {
        assertEquals(19000, Placement.freePort(Set.of(), 19000, 19002).getAsInt());
        assertEquals(19001, Placement.freePort(Set.of(19000, 19002), 19000, 19002).getAsInt());
        assertFalse(Placement.freePort(Set.of(19000, 19001, 19002), 19000, 19002).isPresent());
    }

    @Test
    void backoffDoublesUpToItsCap() {
        Duration base = Duration.ofSeconds(5);
        Duration max = Duration.ofMinutes(5);
        assertEquals(Duration.ofSeconds(5), Placement.backoff(1, base, max));
        assertEquals(Duration.ofSeconds(10), Placement.backoff(2, base, max));
        assertEquals(Duration.ofSeconds(40), Placement.backoff(4, base, max));
        assertEquals(max, Placement.backoff(12, base, max));
        assertEquals(max, Placement.backoff(1000, base, max));
    }

    @Test
    void theContainerNamesItsSecretsOnlyByPath() {
        var limits = new ContainerRuntime.Limits(500, 256L << 20, 0, 10L << 20, 512);
        var spec = InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "s3cr3t-password");
        assertEquals("berth-minio-acme", spec.name());
        assertEquals("berth-minio-acme-data", spec.volume());
        assertEquals("7", spec.labels().get("berth.instance"));
        assertEquals("acme", spec.labels().get("berth.tenant"));
        assertEquals(List.of("server", "/data", "--address", "127.0.0.1:19003"), spec.command());
        assertFalse(spec.env().toString().contains("s3cr3t"), "the environment holds paths, not secrets");
        assertFalse(spec.toString().contains("s3cr3t"), "nor does the spec's text");
        assertEquals("s3cr3t-password", spec.files().get(spec.env().get("MINIO_ROOT_PASSWORD_FILE")));
        assertEquals("https://[::1]:19003", InstanceSpec.endpoint("::1", 19003));
    }

    @Test
    void theCertificateGoesInLikeTheCredentialsAndMinioServesHttpsOnly() {
        var limits = new ContainerRuntime.Limits(500, 256L << 20, 0, 10L << 20, 512);
        var spec = InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "pw", null,
                new InstanceSpec.Tls("CERT-PEM", "KEY-PEM-s3cr3t"));
        assertEquals(List.of("server", "/data", "--address", "127.0.0.1:19003", "--certs-dir", "/run/secrets/berth-certs"), spec.command());
        assertEquals("CERT-PEM", spec.files().get("/run/secrets/berth-certs/public.crt"));
        assertEquals("KEY-PEM-s3cr3t", spec.files().get("/run/secrets/berth-certs/private.key"));
        assertEquals("1", spec.labels().get(InstanceSpec.LABEL_TLS), "marks containers that serve TLS (others are migrated)");
        assertFalse(spec.env().toString().contains("s3cr3t") || spec.toString().contains("s3cr3t"), "the key is in a file only");
        assertFalse(spec.labels().containsKey(InstanceSpec.LABEL_TLS) && InstanceSpec.of("berth", "acme", 7, "berth/minio:x",
                "127.0.0.1", 19003, limits, "rootuser", "pw").labels().containsKey(InstanceSpec.LABEL_TLS));
    }

    @Test
    void minioSweepsIncompleteUploadsAtBerthsAgeInGoDurationSyntax() {
        var limits = new ContainerRuntime.Limits(500, 256L << 20, 0, 10L << 20, 512);
        var spec = InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "pw",
                java.time.Duration.ofMinutes(90));
        assertEquals("5400s", spec.env().get("MINIO_API_STALE_UPLOADS_EXPIRY"));
        assertFalse(InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "pw")
                .env().containsKey("MINIO_API_STALE_UPLOADS_EXPIRY"), "without an age, MinIO keeps its default");
    }

    @Test
    void theEventTargetsAndTheirTokenAreInAFileNotTheEnvironment() {
        var limits = new ContainerRuntime.Limits(500, 256L << 20, 0, 10L << 20, 512);
        var spec = InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "s3cr3t-password",
                null, "http://berth:8080/internal/storage/events/7");
        String token = InstanceSpec.eventsToken("s3cr3t-password");
        assertFalse(spec.env().toString().contains(token), "the environment names the file only");
        String file = spec.files().get(spec.env().get("MINIO_CONFIG_ENV_FILE"));
        // Both targets: the queued one (durable, in the volume) and the direct one (at once), with the instance's token.
        assertTrue(file.contains("MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_BERTH=/data/.berth-events\n"), file);
        assertTrue(file.contains("MINIO_NOTIFY_WEBHOOK_ENABLE_BERTHNOW=on\n"), file);
        assertFalse(file.contains("QUEUE_DIR_BERTHNOW"), "the direct target has no queue");
        assertTrue(file.contains("MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_BERTH=BerthEvents " + token + "\n"), file);
        assertTrue(file.contains("MINIO_NOTIFY_WEBHOOK_ENDPOINT_BERTHNOW=http://berth:8080/internal/storage/events/7?delivery=direct\n"), file);
        assertFalse(file.contains("s3cr3t"), "the token does not reveal the password");
        assertFalse(token.equals(InstanceSpec.eventsToken("another-password")), "another instance, another token");
        assertFalse(InstanceSpec.of("berth", "acme", 7, "berth/minio:x", "127.0.0.1", 19003, limits, "rootuser", "pw")
                .env().containsKey("MINIO_CONFIG_ENV_FILE"), "without an events address, no targets");
    }

    @Test
    void statusesTellProgress() {
        assertTrue(InstanceStatus.WAITING.inProgress());
        assertFalse(InstanceStatus.READY.inProgress());
        assertFalse(InstanceStatus.FAILED.inProgress());
        assertEquals(List.of(InstanceStatus.PLACING, InstanceStatus.CREATING, InstanceStatus.STARTING,
                InstanceStatus.WAITING, InstanceStatus.READY), InstanceStatus.STEPS);
    }
}
