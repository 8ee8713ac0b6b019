package dev.berth.support;

import static dev.berth.support.Api.as;

import dev.berth.hosts.HostService;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.instance.Reconciler;
import dev.berth.storage.StorageFixtures;
import dev.berth.storage.instance.StorageService;
import dev.berth.storage.instance.StorageView;
import dev.berth.tenancy.TenantService;
import io.quarkus.arc.Arc;
import java.util.HashMap;
import java.util.Map;

/**
 * Storage test helpers: real per-tenant MinIO instances (through {@link StorageService} and the reconciler, on the
 * local engine registered as a Docker host), and buckets and keys through the public API.
 */
public final class Storage {
    /** A member of each demo tenant: their first request makes the tenant exist. */
    private static final Map<String, DemoUser> MEMBER = Map.of("acme", DemoUser.ALICE, "globex", DemoUser.BOB);

    private Storage() {
    }

    private static <T> T bean(Class<T> type) {
        return Arc.container().instance(type).get();
    }

    /**
     * Each tenant's instance, READY and answering signed requests: activated if it has none (a container left behind
     * by an earlier run under the same name is removed first: its credentials are unknown to this database), resumed
     * if suspended, reused if ready. The scheduled reconciler is off in tests, so this drives it.
     */
    public static void ready(String... slugs) {
        StorageService storage = bean(StorageService.class);
        StorageFixtures.localDockerHost(bean(HostService.class));
        for (String slug : slugs) {
            if (MEMBER.containsKey(slug)) {
                as(MEMBER.get(slug)).when().get("/api/v1/me").then().statusCode(200);
            }
            StorageView v = storage.of(slug);
            if (v.id() == null) {
                DockerCli.lines("ps", "-aq", "--filter", "label=berth.scope=" + DockerCli.TEST_SCOPE,
                        "--filter", "label=berth.tenant=" + slug).forEach(c -> DockerCli.run("rm", "-f", c));
                String volume = InstanceSpec.volumeName(DockerCli.TEST_SCOPE, slug);
                if (DockerCli.volumeExists(volume)) {
                    DockerCli.run("volume", "rm", "-f", volume);
                }
                storage.activate(StorageFixtures.TEST, slug);
            } else if (v.suspended()) {
                storage.resume(StorageFixtures.TEST, v.id());
            }
            awaitReady(slug);
        }
    }

    /** Waits (driving the reconciler) until the tenant's instance is ready; fails with its state after two minutes. */
    public static InstanceAccess awaitReady(String slug) {
        StorageService storage = bean(StorageService.class);
        Reconciler reconciler = bean(Reconciler.class);
        long tenantId = bean(TenantService.class).idOf(slug);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            var ready = storage.readyInstance(tenantId);
            if (ready.isPresent()) {
                return ready.get();
            }
            StorageView v = storage.of(slug);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("storage of " + slug + " not ready: " + v.status() + " " + v.lastError());
            }
            reconciler.kick(v.id()).join();
            sleep(200);
        }
    }

    /** Stops the tenant's instance (an administrator's suspend): it has no ready instance until {@link #resume}. */
    public static void suspend(String slug) {
        StorageService storage = bean(StorageService.class);
        StorageView after = storage.suspend(StorageFixtures.TEST, storage.of(slug).id());
        if (!"SUSPENDED".equals(after.status())) {
            throw new AssertionError("storage of " + slug + " not suspended: " + after.status() + " " + after.lastError());
        }
    }

    public static void resume(String slug) {
        StorageService storage = bean(StorageService.class);
        storage.resume(StorageFixtures.TEST, storage.of(slug).id());
        awaitReady(slug);
    }

    /** Deletes the tenants' instances with their data (and so Berth's records of their keys), containers and all. */
    public static void remove(String... slugs) {
        StorageFixtures.removeInstances(bean(StorageService.class), bean(Reconciler.class), slugs);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Enough buckets and keys for a test class, with the storage limits given. Container limits: 1 CPU, 1 GiB, no
     * block-I/O limit; a running instance gets them from the reconciler (a changed I/O rate recreates the container),
     * so this returns once it is ready again.
     */
    public static void quota(String tenant, String soft, String hard) {
        if (MEMBER.containsKey(tenant)) {
            as(MEMBER.get(tenant)).when().get("/api/v1/me").then().statusCode(200);
        }
        var q = new HashMap<String, Object>();
        q.put("vms", 1000); q.put("vcpus", 4000); q.put("memory", "4 TiB"); q.put("buckets", 100);
        q.put("storageSoft", soft); q.put("storageHard", hard); q.put("accessKeys", 200); q.put("containerCpus", 1);
        q.put("containerMemory", "1G"); q.put("containerReadBps", 0); q.put("containerWriteBps", 0);
        as(DemoUser.CAROL).body(q).when().put("/api/v1/admin/tenants/" + tenant + "/quota").then().statusCode(200);
        StorageView v = bean(StorageService.class).of(tenant);
        if (v.id() != null && !v.suspended()) {
            bean(Reconciler.class).kick(v.id()).join();
            awaitReady(tenant);
        }
    }

    public static void bucket(DemoUser user, String name) {
        as(user).body(Map.of("name", name)).when().post("/api/v1/buckets").then().statusCode(201);
    }

    /** A new key: its JSON (key, endpoint, secretKey, mount, download). */
    public static io.restassured.path.json.JsonPath key(DemoUser user, String bucket, String mode) {
        return as(user).body(Map.of("mode", mode, "description", "test key")).when().post("/api/v1/buckets/" + bucket + "/keys")
                .then().statusCode(201).extract().jsonPath();
    }
}
