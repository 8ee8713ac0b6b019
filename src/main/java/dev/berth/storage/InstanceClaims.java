package dev.berth.storage;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.net.InetAddress;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Who may work on an instance, decided by the database so that several Berth replicas sharing it never act
 * twice on one instance.
 *
 * <p>Protocol (portable SQL, H2 and PostgreSQL alike):
 * <ol>
 * <li>claim: {@code UPDATE storage_instance SET claim_owner = me, claim_until = now + lease WHERE id = ? AND
 *     (claim_owner IS NULL OR claim_until < now)}. The database serializes concurrent UPDATEs of one row, so
 *     exactly one worker, of this replica or another, sees "1 row"; the others leave the instance alone.</li>
 * <li>every write while working: {@code SELECT … FOR UPDATE}, check {@code claim_owner = me}, change, extend
 *     {@code claim_until} (a heartbeat), commit. A replica whose claim ran out and was taken over gets
 *     {@link LostClaim} at its next write and stops, without writing.</li>
 * <li>release: clear the claim, only if it is still ours. A replica that dies never releases: its lease
 *     runs out and another replica takes over, and every step it resumes is idempotent (volumes and containers
 *     have deterministic names and are adopted when found).</li>
 * </ol>
 * Work on the host itself (create, start) is done outside transactions, between these writes.
 */
@ApplicationScoped
public class InstanceClaims {
    @Inject
    StorageConfig config;

    private final String owner = replicaName() + "/" + UUID.randomUUID().toString().substring(0, 8);

    /** The claim would have been taken over, or the instance deleted: stop working on it. */
    public static class LostClaim extends Exception {
        LostClaim(long id) {
            super("lost the claim on storage instance " + id);
        }
    }

    public String owner() {
        return owner;
    }

    public boolean claim(long id) {
        Instant now = Instant.now();
        return QuarkusTransaction.requiringNew().call(() -> StorageInstance.update(
                "claimOwner = ?1, claimUntil = ?2 where id = ?3 and (claimOwner is null or claimUntil < ?4)",
                owner, now.plus(config.claimLease()), id, now)) == 1;
    }

    public void release(long id) {
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update(
                "claimOwner = null, claimUntil = null where id = ?1 and claimOwner = ?2", id, owner));
    }

    /** The instance as it is now (null when deleted), without claiming it. */
    public InstanceRow read(long id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            StorageInstance i = StorageInstance.findById(id);
            return i == null ? null : InstanceRow.of(i);
        });
    }

    /** Changes the instance while holding the claim (row locked until commit) and renews the lease. */
    public InstanceRow write(long id, Consumer<StorageInstance> change) throws LostClaim {
        InstanceRow row = QuarkusTransaction.requiringNew().call(() -> {
            StorageInstance i = StorageInstance.findById(id, LockModeType.PESSIMISTIC_WRITE);
            if (i == null || !owner.equals(i.claimOwner)) {
                return null;
            }
            change.accept(i);
            Instant now = Instant.now();
            i.updatedAt = now;
            i.claimUntil = now.plus(config.claimLease());
            return InstanceRow.of(i);
        });
        if (row == null) {
            throw new LostClaim(id);
        }
        return row;
    }

    private static String replicaName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "berth";
        }
    }
}
