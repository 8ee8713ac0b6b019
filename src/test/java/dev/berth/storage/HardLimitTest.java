package dev.berth.storage;

import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditEvent;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.storage.bucket.BucketService;
import dev.berth.support.S3;
import dev.berth.support.Storage;
import dev.berth.tenancy.QuotaInput;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The hard limit holds: write past it, and the scheduled check (every second in tests) turns every read-write key
 * into a read-and-delete key (the delay is measured and reported, not asserted); delete, and writes are accepted again. Its own tenant,
 * so no other test's data counts.
 */
@QuarkusTest
class HardLimitTest {
    static final int KIB = 1024;

    @Inject
    TenantService tenants;
    @Inject
    BucketService buckets;
    @Inject
    StorageConfig config;

    /** How long a wait may last before the test gives up: a hang guard, not a measurement. */
    static final Duration HANG_GUARD = Duration.ofMinutes(2);

    private boolean awaitBlocked(String slug, boolean blocked, Duration bound) throws InterruptedException {
        for (long end = System.nanoTime() + bound.toNanos(); System.nanoTime() < end; Thread.sleep(50)) {
            if (buckets.state(slug).writesBlocked() == blocked) {
                return true;
            }
        }
        return false;
    }

    @Test
    void writesStopAtTheHardLimitAndResumeAfterDeleting() throws Exception {
        Actor actor = new Actor("alice", null, "hard-limit-test");
        String slug = unique("limit");
        tenants.create(Actor.system("test"), slug, slug);
        tenants.setQuota(Actor.system("test"), slug, new QuotaInput("1", "1", "1G", "5", "512K", "1M", "5", "1", "1G", "0", "0"));
        Storage.ready(slug);
        try {
            limitHolds(actor, slug);
        } finally {
            Storage.remove(slug);
        }
    }

    private void limitHolds(Actor actor, String slug) throws Exception {
        buckets.create(actor, slug, "data");
        BucketService.CreatedKey rw = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-write", null, null));
        BucketService.CreatedKey ro = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-only", null, null));
        S3 writer = S3.as(rw.endpoint(), rw.key().accessKey(), rw.secretKey());
        S3 reader = S3.as(ro.endpoint(), ro.key().accessKey(), ro.secretKey());

        // Measured and reported, not asserted: the enforcer visits every tenant with buckets or keys one after
        // another, each with calls bounded by the call timeout, so its worst case grows with the tenants other tests
        // left behind. The README's figure (one interval + one scan + one policy update per key) is reported beside it.
        Duration interval = Duration.parse("PT" + config.usageInterval().toUpperCase());
        Duration bound = interval.plus(config.callTimeout().multipliedBy(2));
        Duration guard = HANG_GUARD;

        writer.put("data", "a.bin", new byte[600 * KIB]);
        writer.put("data", "b.bin", new byte[600 * KIB]); // 1200 KiB: past the 1 MiB hard limit
        long crossed = System.nanoTime();
        int accepted = 0;
        String refusal = "OK";
        while (refusal.equals("OK") && System.nanoTime() - crossed < guard.toNanos()) {
            int n = accepted;
            refusal = S3.outcome(() -> writer.put("data", "probe-" + n + ".txt", "p"));
            if (refusal.equals("OK")) {
                accepted++;
                Thread.sleep(50);
            }
        }
        Duration delay = Duration.ofNanos(System.nanoTime() - crossed);
        assertEquals("AccessDenied", refusal, "writes past the hard limit are refused");
        // the policies change first, then the check records the state (a failure half-way is retried)
        assertTrue(awaitBlocked(slug, true, guard));

        // A read-write key made while writes are stopped starts drained (BucketService.createKey, KeyPolicy). The
        // enforcer would drain it at its next check too (every second here), so the write follows the creation at once.
        BucketService.CreatedKey late = buckets.createKey(actor, slug, "data", new BucketRules.KeyInput("read-write", null, null));
        S3 lateWriter = S3.as(late.endpoint(), late.key().accessKey(), late.secretKey());
        assertEquals("AccessDenied", S3.outcome(() -> lateWriter.put("data", "late.txt", "x")), "a key made while blocked starts drained");
        assertEquals(600 * KIB, lateWriter.get("data", "a.bin").length(), "and reads");

        // reading, listing and deleting still work: the tenant can always free space
        assertEquals(600 * KIB, reader.get("data", "a.bin").length());
        assertTrue(writer.list("data").contains("b.bin"));
        writer.delete("data", "b.bin");
        long freed = System.nanoTime();
        String outcome = "AccessDenied";
        while (!outcome.equals("OK") && System.nanoTime() - freed < guard.toNanos()) {
            outcome = S3.outcome(() -> writer.put("data", "after.txt", "back"));
            if (!outcome.equals("OK")) {
                Thread.sleep(50);
            }
        }
        Duration lift = Duration.ofNanos(System.nanoTime() - freed);
        assertEquals("OK", outcome, "writes are accepted again after deleting");
        assertTrue(awaitBlocked(slug, false, guard));
        assertEquals("AccessDenied", S3.outcome(() -> reader.put("data", "ro.txt", "x")), "the read-only key stayed read-only");
        assertEquals("OK", S3.outcome(() -> lateWriter.put("data", "late.txt", "x")), "the key made while blocked writes now");

        long events = 0;
        for (long end = System.nanoTime() + guard.toNanos(); events < 2 && System.nanoTime() < end; Thread.sleep(50)) {
            events = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                    "tenant = ?1 and action in ('storage.writes.stop', 'storage.writes.resume')", slug));
        }
        assertEquals(2, events);

        Path out = Path.of("target", "bench");
        Files.createDirectories(out);
        Files.writeString(out.resolve("hard-limit.json"), "{\"interval_ms\": " + interval.toMillis() + ", \"readme_bound_ms\": " + bound.toMillis()
                + ", \"writes_refused_after_ms\": " + delay.toMillis() + ", \"writes_accepted_in_window\": " + accepted
                + ", \"writes_resumed_after_ms\": " + lift.toMillis() + "}\n");
        System.out.printf("hard limit: refused after %d ms (%d writes slipped in), resumed after %d ms, README's bound %d ms%n",
                delay.toMillis(), accepted, lift.toMillis(), bound.toMillis());
        buckets.delete(actor, slug, "data", "data");
    }
}
