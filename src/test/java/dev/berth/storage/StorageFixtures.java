package dev.berth.storage;

import dev.berth.audit.Actor;
import dev.berth.hosts.HostInput;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.StorageView;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.support.S3;
import io.minio.MinioClient;

/** What the storage tests share: the local engine as a Docker host, and S3 calls as a tenant's client makes them. */
public final class StorageFixtures {
    public static final String LOCAL_HOST = "storage-test-local";
    public static final Actor TEST = new Actor("storage-test", null, null);

    private StorageFixtures() {
    }

    /** The local engine, registered once per run (other tests' Docker hosts may exist beside it). */
    public static long localDockerHost(HostService hosts) {
        return hosts.list().stream().filter(h -> h.name().equals(LOCAL_HOST)).findFirst().map(HostView::id)
                .orElseGet(() -> hosts.create(TEST, new HostInput(LOCAL_HOST, HostKind.DOCKER.name(),
                        "unix:///var/run/docker.sock", "127.0.0.1", "", true, null, null, null)).id());
    }

    /** Deletes these tenants' instances with their data, after any run under way on them. */
    /** Activates the tenant's storage and waits for the run that follows, as the page's polling would; READY or fails. */
    public static StorageView activateReady(StorageService storage, Reconciler reconciler, String slug) {
        long id = storage.activate(TEST, slug).instance().id();
        reconciler.kick(id).join();
        StorageView v = storage.of(slug);
        org.junit.jupiter.api.Assertions.assertEquals("READY", v.status(), () -> "last error: " + v.lastError());
        return v;
    }

    public static void removeInstances(StorageService storage, Reconciler reconciler, String... slugs) {
        for (String slug : slugs) {
            StorageView v;
            try {
                v = storage.of(slug);
            } catch (dev.berth.common.NotFoundException e) {
                continue; // the tenant does not exist yet (born on its first member's sign-in)
            }
            if (v.id() != null) {
                reconciler.kick(v.id()).join();
                storage.delete(TEST, v.id(), "delete", slug);
            }
        }
    }

    public static MinioClient s3(InstanceAccess access) {
        return MinioClient.builder().endpoint(access.endpoint()).credentials(access.rootUser(), access.rootPassword())
                .httpClient(S3.trusting(io.quarkus.arc.Arc.container().instance(TlsAuthority.class).get())).build();
    }

    /** The instance as its root sees it. */
    static S3 root(InstanceAccess access) {
        return S3.as(access.endpoint(), access.rootUser(), access.rootPassword());
    }

    public static void put(InstanceAccess access, String bucket, String key, String content) throws Exception {
        root(access).bucket(bucket).put(bucket, key, content);
    }

    public static String get(InstanceAccess access, String bucket, String key) throws Exception {
        return root(access).get(bucket, key);
    }
}
