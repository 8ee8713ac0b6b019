package dev.berth.storage.instance;

import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.Actor;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.usage.StorageLimitEnforcer;
import dev.berth.storage.usage.UsageLedger;
import dev.berth.support.DockerCli;
import dev.berth.support.PackagedApp;
import dev.berth.support.S3;
import dev.berth.support.SocketProxy;
import dev.berth.support.Storage;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Usage events survive Berth being away (issue 14): the instance's webhook targets reach this portal only through a
 * proxy the test closes, as Berth going down does. Objects written meanwhile wait in the instance's persistent queue
 * (files in its volume), survive a restart of the instance, and are applied once Berth answers again: the ledger then
 * matches a listing of the bucket. Events that are lost for good (here: the bucket no longer sends any) leave the
 * ledger short until a reconciling listing, which fixes it. Real MinIO instance, its own tenant and application (the
 * events address is the proxy's).
 */
@QuarkusTest
@TestProfile(EventsOutageTest.BehindProxy.class)
class EventsOutageTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String PORT = "berth.test.events-proxy-port";

    /** The events address is a proxy in front of the test port; the port is chosen once per JVM (a system property). */
    public static class BehindProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            if (System.getProperty(PORT) == null) {
                System.setProperty(PORT, Integer.toString(PackagedApp.freePort()));
            }
            return Map.of("berth.storage.events-url", "http://127.0.0.1:" + System.getProperty(PORT));
        }
    }

    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    UsageLedger ledger;
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    InstanceDirectory instances;
    @Inject
    TlsAuthority tls;

    record Listing(long objects, long bytes) {
    }

    @Test
    void eventsWaitInTheInstancesQueueWhileBerthIsAwayAndLostOnesAreReconciled() throws Exception {
        int testPort = Integer.getInteger("quarkus.http.test-port", 8081);
        Actor actor = new Actor("alice", null, "events-outage-test");
        String slug = unique("outage");
        tenants.create(Actor.system("test"), slug, slug);
        tenants.setQuota(Actor.system("test"), slug, new QuotaInput("1", "1", "1G", "5", "512M", "1G", "5", "1", "1G", "0", "0"));
        try (SocketProxy berth = SocketProxy.tcp(Integer.getInteger(PORT), testPort)) {
            Storage.ready(slug);
            long id = tenants.idOf(slug);
            InstanceAccess at = instances.readyInstance(id).orElseThrow();
            MinioClient root = root(at);
            buckets.create(actor, slug, "data");
            BucketService.CreatedKey rw = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-write", null, null));
            S3 s3 = S3.as(rw.endpoint(), rw.key().accessKey(), rw.secretKey());
            s3.put("data", "before.bin", new byte[1000]);
            s3.put("data", "gone.bin", new byte[500]);
            awaitListing(id, root, "events through the proxy");

            // Berth away: nothing reaches it; the writes and a delete wait in the queued target's files.
            berth.stop();
            for (int i = 0; i < 20; i++) {
                s3.put("data", "during/" + i + ".bin", new byte[100 + i]);
            }
            s3.delete("data", "gone.bin");
            Path queue = queueDir(slug);
            long queued = 0;
            for (long end = System.nanoTime() + WAIT.toNanos(); queued < 21 && System.nanoTime() < end; Thread.sleep(100)) {
                queued = files(queue);
            }
            assertTrue(queued >= 21, "21 events in the instance's queue, found " + queued);
            BucketService.Recorded away = BucketService.Recorded.of(ledger.bucket(id, "data"));
            assertEquals(2, away.currentObjects(), "nothing applied while Berth is away");
            assertEquals(1500, away.currentBytes());

            // The instance restarts meanwhile: the queue is in its volume, so the events are still there.
            DockerCli.run("restart", InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug));
            assertTrue(files(queue) >= 21, "the queue survives the restart");
            root = root(at); // new connections: the old ones went with the process
            s3 = S3.as(rw.endpoint(), rw.key().accessKey(), rw.secretKey());
            for (long end = System.nanoTime() + WAIT.toNanos(); ; Thread.sleep(200)) {
                try {
                    listing(root);
                    break;
                } catch (Exception e) {
                    if (System.nanoTime() > end) {
                        throw e;
                    }
                }
            }

            // Berth answers again: the queued target sends what waited (it retries every 3 s).
            berth.start();
            Listing after = awaitListing(id, root, "the queued events applied once Berth answers again");
            assertEquals(21, after.objects());

            // Events lost for good (the bucket sends none: as with a full queue, or a queue lost with its volume):
            // the ledger is short until a reconciling listing, which also points the bucket at Berth again.
            root.deleteBucketNotification(io.minio.DeleteBucketNotificationArgs.builder().bucket("data").build());
            for (int i = 0; i < 5; i++) {
                s3.put("data", "unseen/" + i + ".bin", new byte[2000]);
            }
            Thread.sleep(4000); // longer than the queued target's retry interval: nothing comes
            assertEquals(21, BucketService.Recorded.of(ledger.bucket(id, "data")).currentObjects(), "lost events are not counted");
            assertEquals(1, enforcer.reconcileDue(id, true));
            Listing reconciled = listing(root);
            assertEquals(26, reconciled.objects());
            BucketService.Recorded fixed = BucketService.Recorded.of(ledger.bucket(id, "data"));
            assertEquals(reconciled.objects(), fixed.currentObjects(), "the reconcile counts what the events missed");
            assertEquals(reconciled.bytes(), fixed.currentBytes());
            s3.put("data", "after-reconcile.bin", new byte[7]);
            assertEquals(27, awaitListing(id, root, "events again after the reconcile").objects());
        } catch (AssertionError e) {
            System.out.println(String.join("\n", DockerCli.lines("logs", "--tail", "40",
                    InstanceSpec.containerName(DockerCli.TEST_SCOPE, slug))));
            throw e;
        } finally {
            Storage.remove(slug);
        }
    }

    private MinioClient root(InstanceAccess at) {
        return MinioClient.builder().endpoint(at.endpoint()).credentials(at.rootUser(), at.rootPassword()).httpClient(S3.trusting(tls)).build();
    }

    /** Waits until the ledger's current objects and bytes are those of a listing of the bucket. */
    private Listing awaitListing(long id, MinioClient root, String what) throws Exception {
        Listing l = null;
        BucketService.Recorded r = null;
        for (long end = System.nanoTime() + WAIT.toNanos(); System.nanoTime() < end; Thread.sleep(200)) {
            try {
                l = listing(root);
            } catch (java.io.IOException e) {
                continue; // the instance is starting again
            }
            r = BucketService.Recorded.of(ledger.bucket(id, "data"));
            if (r.currentObjects() == l.objects() && r.currentBytes() == l.bytes()) {
                return l;
            }
        }
        throw new AssertionError(what + ": listed " + l + ", recorded " + r);
    }

    private static Listing listing(MinioClient root) throws Exception {
        long objects = 0;
        long bytes = 0;
        for (Result<Item> r : root.listObjects(ListObjectsArgs.builder().bucket("data").recursive(true).build())) {
            objects++;
            bytes += r.get().size();
        }
        return new Listing(objects, bytes);
    }

    /** The queued target's directory in the instance's volume, as the Docker host sees it. */
    private static Path queueDir(String slug) {
        String mount = DockerCli.run("volume", "inspect", "-f", "{{.Mountpoint}}", InstanceSpec.volumeName(DockerCli.TEST_SCOPE, slug)).trim();
        return Path.of(mount).resolve(InstanceSpec.EVENT_QUEUE_DIR.substring(InstanceSpec.DATA.length() + 1));
    }

    /** Events waiting: one file each, in a directory per target under the queue directory. */
    private static long files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
