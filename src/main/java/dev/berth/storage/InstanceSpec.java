package dev.berth.storage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What an instance's container looks like: names, labels, MinIO's command line and credential files. Pure. */
public final class InstanceSpec {
    public static final String LABEL_SCOPE = "berth.scope";
    public static final String LABEL_TENANT = "berth.tenant";
    public static final String LABEL_INSTANCE = "berth.instance";
    static final String USER_FILE = "/run/secrets/berth-root-user";
    static final String PASSWORD_FILE = "/run/secrets/berth-root-password";
    static final String DATA = "/data";

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

    /** "http://127.0.0.1:19000", with brackets for IPv6. */
    public static String endpoint(String address, int port) {
        return "http://" + hostPort(address, port);
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
        return of(scope, tenantSlug, instanceId, image, address, port, limits, rootUser, rootPassword, null);
    }

    /**
     * As above; {@code staleUploadsExpiry} (null: MinIO's default, 24 h) is the age at which MinIO's own sweep
     * deletes the parts of incomplete multipart uploads. Berth aborts the uploads it can list at that age; MinIO
     * lists them from memory only, so after a restart its sweep is what removes the older ones.
     */
    public static ContainerRuntime.ContainerSpec of(String scope, String tenantSlug, long instanceId, String image,
                                                    String address, int port, ContainerRuntime.Limits limits,
                                                    String rootUser, String rootPassword, java.time.Duration staleUploadsExpiry) {
        var env = new LinkedHashMap<String, String>();
        env.put("MINIO_ROOT_USER_FILE", USER_FILE);
        env.put("MINIO_ROOT_PASSWORD_FILE", PASSWORD_FILE);
        env.put("MINIO_BROWSER", "off");
        if (staleUploadsExpiry != null && staleUploadsExpiry.toSeconds() > 0) {
            env.put("MINIO_API_STALE_UPLOADS_EXPIRY", staleUploadsExpiry.toSeconds() + "s"); // Go duration syntax
        }
        return new ContainerRuntime.ContainerSpec(containerName(scope, tenantSlug), image,
                labels(scope, tenantSlug, instanceId), env,
                List.of("server", DATA, "--address", hostPort(address, port)),
                volumeName(scope, tenantSlug), DATA, limits, files(rootUser, rootPassword));
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
