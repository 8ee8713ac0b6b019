package dev.berth.storage.instance;

import dev.berth.storage.StorageConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

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
 * <li>heartbeat: every third of the lease, one UPDATE extends the claims this replica holds, so a step may take
 *     longer than the lease (waiting for MinIO takes up to the ready timeout) and the lease can stay short.</li>
 * <li>release: clear the claim, only if it is still ours. A replica that dies never releases: its heartbeat stops,
 *     its lease runs out and another replica takes over, and every step it resumes is idempotent (volumes and
 *     containers have deterministic names and are adopted when found).</li>
 * <li>a dead holder's claim is taken at once, not after its lease, when this replica can see for certain that the
 *     holder no longer runs: same machine and PID namespace, its process gone ({@link HolderProcess}). That is
 *     the portal restarted after a crash; a live holder is never judged dead, so two replicas still never act
 *     on one instance.</li>
 * </ol>
 * Work on the host itself (create, start) is done outside transactions, between these writes.
 */
@ApplicationScoped
public class InstanceClaims {
    private static final Logger LOG = Logger.getLogger(InstanceClaims.class);

    @Inject
    StorageConfig config;

    private final HolderProcess process = HolderProcess.current();
    private final String owner = process.owner(replicaName());
    /** The instances this replica holds a claim on: what the heartbeat renews. */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService heartbeat;

    /** The claim would have been taken over, or the instance deleted: stop working on it. */
    public static class LostClaim extends Exception {
        LostClaim(long id) {
            super("lost the claim on storage instance " + id);
        }
    }

    public String owner() {
        return owner;
    }

    @PostConstruct
    void startHeartbeat() {
        long every = Math.max(1, config.claimLease().toMillis() / 3);
        heartbeat = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("storage-claims-heartbeat").factory());
        heartbeat.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    public boolean claim(long id) {
        Instant now = Instant.now();
        boolean got = QuarkusTransaction.requiringNew().call(() -> StorageInstance.update(
                "claimOwner = ?1, claimUntil = ?2 where id = ?3 and (claimOwner is null or claimUntil < ?4)",
                owner, now.plus(config.claimLease()), id, now)) == 1 || takeOverFromDeadHolder(id, now);
        if (got) {
            held.add(id);
        }
        return got;
    }

    /** The holder's process is gone for certain (see {@link HolderProcess}): it can never write again. */
    private boolean takeOverFromDeadHolder(long id, Instant now) {
        List<String> holders = QuarkusTransaction.requiringNew().call(() -> StorageInstance.getEntityManager()
                .createQuery("select i.claimOwner from StorageInstance i where i.id = :id", String.class)
                .setParameter("id", id).getResultList());
        String holder = holders.isEmpty() ? null : holders.get(0);
        if (holder == null || holder.equals(owner) || !process.deadHere(holder)) {
            return false;
        }
        // Conditional on the same dead holder: of two replicas doing this at once, one wins.
        boolean got = QuarkusTransaction.requiringNew().call(() -> StorageInstance.update(
                "claimOwner = ?1, claimUntil = ?2 where id = ?3 and claimOwner = ?4",
                owner, now.plus(config.claimLease()), id, holder)) == 1;
        if (got) {
            LOG.infof("storage instance %d: took over the claim of %s, a process of this machine that no longer runs", id, holder);
        }
        return got;
    }

    public void release(long id) {
        held.remove(id);
        QuarkusTransaction.requiringNew().run(() -> StorageInstance.update(
                "claimOwner = null, claimUntil = null where id = ?1 and claimOwner = ?2", id, owner));
    }

    /** Extends this replica's claims; one that was taken over meanwhile is not touched (its next write fails). */
    void renew() {
        if (held.isEmpty()) {
            return;
        }
        List<Long> ids = List.copyOf(held);
        try {
            QuarkusTransaction.requiringNew().run(() -> StorageInstance.update(
                    "claimUntil = ?1 where claimOwner = ?2 and id in ?3", Instant.now().plus(config.claimLease()), owner, ids));
        } catch (RuntimeException e) { // the next beat tries again; a claim that runs out meanwhile fails its next write
            LOG.warnf("storage claims %s not renewed: %s", ids, e.getMessage());
        }
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
            if (!i.isPersistent()) { // deleted: nothing left to hold
                held.remove(id);
                return InstanceRow.of(i);
            }
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
