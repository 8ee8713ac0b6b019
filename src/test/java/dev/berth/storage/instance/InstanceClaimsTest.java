package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageFixtures;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Claims in the database (no host involved; the reconciler's schedule is off in %test): a dead holder of this machine
 * loses its claim at once, a live one never does, and the heartbeat renews exactly the claims this replica holds.
 */
@QuarkusTest
class InstanceClaimsTest {
    @Inject
    InstanceClaims claims;
    @Inject
    TenantService tenants;
    @Inject
    StorageConfig config;

    /** A row of a tenant of its own, claimed by {@code owner} for an hour (null: unclaimed). */
    long instance(String owner) {
        String slug = "claims-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        tenants.create(StorageFixtures.TEST, slug, slug);
        long tenantId = tenants.idOf(slug);
        return QuarkusTransaction.requiringNew().call(() -> {
            var i = new StorageInstance();
            i.tenantId = tenantId;
            i.status = InstanceStatus.CREATING;
            i.containerName = InstanceSpec.containerName(config.scope(), slug);
            i.volumeName = InstanceSpec.volumeName(config.scope(), slug);
            i.rootUser = "claimstest";
            i.rootPasswordSealed = "not-used";
            i.requestedBy = "alice";
            i.claimOwner = owner;
            i.claimUntil = owner == null ? null : Instant.now().plusSeconds(3600);
            i.createdAt = Instant.now();
            i.updatedAt = Instant.now();
            i.persist();
            return i.id;
        });
    }

    static StorageInstance row(long id) {
        return QuarkusTransaction.requiringNew().call(() -> StorageInstance.<StorageInstance>findById(id));
    }

    static void setClaim(long id, String owner, Instant until) {
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update("claimOwner = ?1, claimUntil = ?2 where id = ?3", owner, until, id));
    }

    /** "<where>" of this machine and PID namespace, as this process writes it. */
    static String here() {
        String mine = HolderProcess.current().owner("x");
        return mine.substring(2).split("\\.")[0];
    }

    @Test
    void theClaimOfAProcessOfThisMachineThatIsGoneIsTakenAtOnce() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
        long id = instance("crashed-portal/" + here() + "." + gone.pid() + ".0.0000");
        assertTrue(claims.claim(id), "its lease has an hour to run, but its process is gone");
        assertEquals(claims.owner(), row(id).claimOwner);
        claims.release(id);
        assertNull(row(id).claimOwner);
    }

    @Test
    void theClaimOfALiveProcessOrOfOneElsewhereWaitsForItsLease() throws Exception {
        Process live = new ProcessBuilder("sleep", "120").start();
        try {
            long start = live.info().startInstant().orElseThrow().getEpochSecond();
            String liveOwner = "other-portal/" + here() + "." + live.pid() + "." + start + ".0000";
            long a = instance(liveOwner);
            assertFalse(claims.claim(a));
            assertEquals(liveOwner, row(a).claimOwner);

            String elsewhere = "other-machine/000000000000.999999.0.0000"; // its pids mean nothing here
            long b = instance(elsewhere);
            assertFalse(claims.claim(b));
            setClaim(b, elsewhere, Instant.now().minusSeconds(1)); // its lease ran out
            assertTrue(claims.claim(b));
            claims.release(b);
        } finally {
            live.destroyForcibly();
        }
    }

    @Test
    void theHeartbeatRenewsTheClaimsThisReplicaHoldsAndNoOthers() {
        long held = instance(null);
        long takenOver = instance(null);
        long released = instance(null);
        assertTrue(claims.claim(held) && claims.claim(takenOver) && claims.claim(released));
        claims.release(released);
        Instant soon = Instant.now().plusSeconds(1);
        setClaim(held, claims.owner(), soon);         // about to run out
        // Taken over by another replica meanwhile, whose claim runs long: it must not expire during the test, or a
        // reconciler retry left by an earlier test class could legitimately take it (the full suite did).
        Instant othersUntil = Instant.now().plusSeconds(600);
        setClaim(takenOver, "other-replica/x", othersUntil);

        // A beat comes every third of the lease: within one lease, "held" is renewed to about a lease from then.
        Instant renewedPast = Instant.now().plus(config.claimLease().dividedBy(2));
        dev.berth.support.PackagedApp.await("a heartbeat", config.claimLease(), () -> row(held).claimUntil.isAfter(renewedPast));
        assertEquals(claims.owner(), row(held).claimOwner);
        StorageInstance other = row(takenOver);
        assertEquals("other-replica/x", other.claimOwner);
        // A heartbeat that touched it would have set about a lease from now: far earlier than the other replica's time.
        assertTrue(other.claimUntil.isAfter(othersUntil.minusSeconds(1)), "another replica's claim is not renewed: " + other.claimUntil);
        assertNull(row(released).claimOwner);
        assertNull(row(released).claimUntil);
        claims.release(held);
    }
}
