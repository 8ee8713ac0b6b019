package dev.berth.storage.instance;

import dev.berth.storage.usage.StorageEventResource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What an instance's container looks like: names, labels, MinIO's command line and credential files. Pure. */
public final class InstanceSpec {
    public static final String LABEL_SCOPE = "berth.scope";
    public static final String LABEL_TENANT = "berth.tenant";
    public static final String LABEL_INSTANCE = "berth.instance";
    /** On containers that serve TLS: one without it predates TLS and is recreated on its volume (migration). */
    public static final String LABEL_TLS = "berth.tls";
    static final String TLS_VERSION = "1";
    /** MinIO's certificate directory: {@code public.crt} and {@code private.key}, written like the credentials. */
    static final String CERTS_DIR = "/run/secrets/berth-certs";
    static final String USER_FILE = "/run/secrets/berth-root-user";
    static final String PASSWORD_FILE = "/run/secrets/berth-root-password";
    static final String DATA = "/data";
    /** MinIO reads more settings from this file ({@code MINIO_CONFIG_ENV_FILE}): the event target, whose token is a secret. */
    static final String ENV_FILE = "/run/secrets/berth-minio-env";
    /**
     * The two webhook targets that send each bucket's object events to Berth: every event goes through both. The
     * queued one is durable (MinIO's persistent queue, below) but MinIO sends from that queue only every 3 s; the
     * direct one sends at once but drops what Berth does not take. Berth's ledger applies an event once whichever
     * comes first (events are ordered by their sequencer), so usage follows in well under a second and nothing is
     * lost while Berth is down.
     */
    public static final String EVENT_TARGET = "BERTH";
    public static final String EVENT_TARGET_DIRECT = "BERTHNOW";
    public static final List<String> EVENT_TARGET_ARNS = List.of("arn:minio:sqs::" + EVENT_TARGET + ":webhook",
            "arn:minio:sqs::" + EVENT_TARGET_DIRECT + ":webhook");
    /**
     * MinIO's persistent queue of the target, in the volume: events wait there (up to {@link #EVENT_QUEUE_LIMIT})
     * while Berth does not answer, across restarts of the instance. A top-level name MinIO cannot take for a bucket.
     */
    static final String EVENT_QUEUE_DIR = DATA + "/.berth-events";
    static final int EVENT_QUEUE_LIMIT = 100_000;

    private InstanceSpec() {
    }

    /** Deterministic, so a replica that resumes someone else's provisioning finds what was already made. */
    public static String containerName(String scope, String tenantSlug) {
        return scope + "-minio-" + tenantSlug;
    }

    /** Per tenant: an instance deleted with "keep data" and activated again finds its data. */
    public static String volumeName(String scope, String tenantSlug) {
        return scope + "-minio-" + tenantSlug + "-data";
    }

    public static Map<String, String> labels(String scope, String tenantSlug, long instanceId) {
        var labels = new LinkedHashMap<String, String>();
        labels.put(LABEL_SCOPE, scope);
        labels.put(LABEL_TENANT, tenantSlug);
        labels.put(LABEL_INSTANCE, Long.toString(instanceId));
        return labels;
    }

    /** "https://127.0.0.1:19000", with brackets for IPv6: every instance speaks TLS only. */
    public static String endpoint(String address, int port) {
        return "https://" + hostPort(address, port);
    }

    /** The instance's certificate and private key (PEM), written into the container before every start. */
    public record Tls(String certPem, String keyPem) {
        @Override
        public String toString() {
            return "Tls[…]";
        }
    }

    static String hostPort(String address, int port) {
        return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    }

    /**
     * MinIO reads its root credentials from files ({@code MINIO_ROOT_USER_FILE}/{@code _PASSWORD_FILE}); the
     * environment only names them, so {@code docker inspect} shows paths, never the secrets.
     */
    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword) {
        return of(scope, tenantSlug, instanceId, image, address, port, limits, rootUser, rootPassword, null, null, null);
    }

    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword, java.time.Duration staleUploadsExpiry) {
        return of(scope, tenantSlug, instanceId, image, address, port, limits, rootUser, rootPassword, staleUploadsExpiry, null, null);
    }

    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword, java.time.Duration staleUploadsExpiry,
                                                    Tls tls) {
        return of(scope, tenantSlug, instanceId, image, address, port, limits, rootUser, rootPassword, staleUploadsExpiry, tls, null);
    }

    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword, java.time.Duration staleUploadsExpiry,
                                                    String eventsUrl) {
        return of(scope, tenantSlug, instanceId, image, address, port, limits, rootUser, rootPassword, staleUploadsExpiry, null, eventsUrl);
    }

    /**
     * As above; {@code staleUploadsExpiry} (null: MinIO's default, 24 h) is the age at which MinIO's own sweep
     * deletes the parts of incomplete multipart uploads. Berth aborts the uploads it can list at that age; MinIO
     * lists them from memory only, so after a restart its sweep is what removes the older ones. {@code tls} (null:
     * plain HTTP) is the instance's certificate; {@code eventsUrl} (null: none) is where its webhook targets post
     * bucket events, e.g. {@code http://berth:8080/internal/storage/events/7}; their settings, token included, go in a file.
     */
    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword, java.time.Duration staleUploadsExpiry,
                                                    Tls tls, String eventsUrl) {
        var env = new LinkedHashMap<String, String>();
        env.put("MINIO_ROOT_USER_FILE", USER_FILE);
        env.put("MINIO_ROOT_PASSWORD_FILE", PASSWORD_FILE);
        env.put("MINIO_BROWSER", "off");
        if (staleUploadsExpiry != null && staleUploadsExpiry.toSeconds() > 0) {
            env.put("MINIO_API_STALE_UPLOADS_EXPIRY", staleUploadsExpiry.toSeconds() + "s"); // Go duration syntax
        }
        var labels = labels(scope, tenantSlug, instanceId);
        var command = new java.util.ArrayList<>(List.of("server", DATA, "--address", hostPort(address, port)));
        var files = files(rootUser, rootPassword);
        if (tls != null) {
            // With a certificate in its certs dir MinIO serves HTTPS only on the port (plain HTTP is refused).
            labels.put(LABEL_TLS, TLS_VERSION);
            command.addAll(List.of("--certs-dir", CERTS_DIR));
            files.put(CERTS_DIR + "/public.crt", tls.certPem());
            files.put(CERTS_DIR + "/private.key", tls.keyPem());
        }
        if (eventsUrl != null) {
            env.put("MINIO_CONFIG_ENV_FILE", ENV_FILE);
            files.put(ENV_FILE, eventTarget(eventsUrl, eventsToken(rootPassword)));
        }
        return new ContainerRuntime.ContainerSpec(containerName(scope, tenantSlug), image, labels, env, List.copyOf(command),
                volumeName(scope, tenantSlug), DATA, limits, files);
    }

    /** The webhook target's settings, as MinIO reads them from its env file. */
    static String eventTarget(String eventsUrl, String token) {
        String t = "_" + EVENT_TARGET + "=";
        String d = "_" + EVENT_TARGET_DIRECT + "=";
        return "MINIO_NOTIFY_WEBHOOK_ENABLE" + t + "on\n"
                + "MINIO_NOTIFY_WEBHOOK_ENDPOINT" + t + eventsUrl + "\n"
                + "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN" + t + StorageEventResource.SCHEME + " " + token + "\n"
                + "MINIO_NOTIFY_WEBHOOK_QUEUE_DIR" + t + EVENT_QUEUE_DIR + "\n"
                + "MINIO_NOTIFY_WEBHOOK_QUEUE_LIMIT" + t + EVENT_QUEUE_LIMIT + "\n"
                + "MINIO_NOTIFY_WEBHOOK_ENABLE" + d + "on\n"
                + "MINIO_NOTIFY_WEBHOOK_ENDPOINT" + d + eventsUrl + "?delivery=" + StorageEventResource.DIRECT + "\n"
                + "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN" + d + StorageEventResource.SCHEME + " " + token + "\n";
    }

    /**
     * The token an instance's events carry: derived from its root password, so any replica can check it without
     * storing another secret, and it changes with the password. HMAC, so the token does not reveal the password.
     */
    public static String eventsToken(String rootPassword) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(rootPassword.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal("berth-minio-events".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Written before every start: the credentials, and the data directory itself, so that an empty volume
     * becomes writable by the image's unprivileged user (an image FROM scratch has no /data to copy from).
     */
    public static Map<String, String> files(String rootUser, String rootPassword) {
        var files = new LinkedHashMap<String, String>();
        files.put(USER_FILE, rootUser);
        files.put(PASSWORD_FILE, rootPassword);
        return files;
    }
}
