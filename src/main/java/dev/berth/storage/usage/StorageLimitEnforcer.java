package dev.berth.storage.usage;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ByteSize;
import dev.berth.common.Leases;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.ObjectStore;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageException;
import dev.berth.storage.bucket.BucketRules;
import dev.berth.storage.bucket.BucketService;
import dev.berth.storage.key.AccessKey;
import dev.berth.storage.key.KeyMode;
import dev.berth.storage.key.KeyPolicy;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The hard storage limit, enforced by Berth (MinIO's bucket quota is best effort: a background scanner updates
 * usage late, so a bucket can overshoot by far). Usage is the {@link UsageLedger}'s (kept from the instance's bucket
 * events, no object listed) plus the parts of multipart uploads never completed (listed per bucket: MinIO sends no
 * event for parts). At or past the hard limit, every read-write key gets the drain policy (read, list, delete, abort
 * uploads; no PutObject, so no UploadPart either); below it, their own policy back. While blocked, each check
 * re-asserts the drain policy, so a key created at the same moment cannot slip through. Checks run when applied events
 * put a tenant on the other side of its limit ({@link #applyEvents}, from the database alone) and every
 * {@code berth.storage.usage-interval} for every tenant (which also reconciles the buckets that are due, lists the
 * uploads, disables keys whose expiry has passed and aborts uploads older than
 * {@code berth.storage.incomplete-upload-max-age}).
 *
 * <p>Stale uploads are aborted here rather than by a bucket lifecycle rule: MinIO does not implement the
 * {@code AbortIncompleteMultipartUpload} action (its lifecycle parser leaves it out), its lifecycle runs in the
 * late background scanner, and a rule on the tenant's own buckets could be replaced by the tenant. Here the pass
 * that counts the uploads aborts them in the same scan, under the lease, and audits it.
 *
 * <p>Delay bound: writes stop one event delivery + one policy update per read-write key after usage reaches the
 * limit; for buckets not kept from events, one interval + one listing + the policy updates (README, "The hard limit").
 * What is written during that window is the overshoot.
 *
 * <p>Scheduled passes run on the one replica that holds the {@value #LEASE} lease ({@link Leases}).
 */
@ApplicationScoped
public class StorageLimitEnforcer {
    /** The database lease of the scheduled pass (hard limit and key expiry): one replica at a time. */
    public static final String LEASE = "storage-usage";
    private static final Logger LOG = Logger.getLogger(StorageLimitEnforcer.class);

    @Inject
    ObjectStore store;
    @Inject
    InstanceDirectory instances;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;
    @Inject
    StorageConfig config;
    @Inject
    Leases leases;
    @Inject
    UsageLedger ledger;

    /**
     * What one check found and did, for tests and the benchmark. {@code usageBytes} includes
     * {@code incompleteBytes}, the parts of the incomplete uploads left after aborting the stale ones.
     */
    public record Check(long tenantId, long usageBytes, long hardBytes, boolean blocked, boolean changed, Instant at,
                        long incompleteBytes, int incompleteUploads, int abortedUploads, long abortedBytes) {
    }

    private volatile Check last;
    /** Beyond four call timeouts: no creation in progress can still be waiting for MinIO after that. */
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);
    /**
     * One check per tenant at a time in this replica: the scheduled pass and one fired by a suspension (or a test)
     * would otherwise interleave, and the one that measured before the other's abort could put back a stale block.
     */
    private final Map<Long, ReentrantLock> locks = new ConcurrentHashMap<>();

    @Scheduled(every = "${berth.storage.usage-interval:30s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "storage-usage")
    void scheduled() {
        Duration interval = DurationConverter.parseDuration(config.usageInterval());
        // Only the replica holding the lease checks: two would audit every switch twice and race on key policies.
        // A round is one scan and a few policy updates per tenant; the lease outlives a missed round.
        leases.runExclusively(LEASE, interval.multipliedBy(2).plus(config.callTimeout().multipliedBy(3)), this::checkAll);
    }

    public void checkAll() {
        List<Long> ids = QuarkusTransaction.requiringNew().call(() -> {
            var all = new TreeSet<Long>(StorageUsage.getEntityManager()
                    .createQuery("select u.tenantId from StorageUsage u", Long.class).getResultList());
            all.addAll(AccessKey.getEntityManager()
                    .createQuery("select distinct k.tenantId from AccessKey k", Long.class).getResultList());
            return List.copyOf(all);
        });
        for (Long id : ids) {
            try {
                reconcileDue(id, false);
                check(id);
            } catch (RuntimeException e) {
                LOG.warnf("Storage check of tenant %d failed: %s", id, e.getMessage());
            }
        }
    }

    /**
     * Measures one tenant, aborts its stale uploads, blocks or unblocks its writes, disables expired keys. Empty
     * when it has no ready instance.
     */
    public Optional<Check> check(long tenantId) {
        return check(tenantId, config.incompleteUploadMaxAge());
    }

    /** As {@link #check(long)}, aborting uploads begun longer than {@code incompleteUploadMaxAge} ago. */
    public Optional<Check> check(long tenantId, Duration incompleteUploadMaxAge) {
        return check(tenantId, incompleteUploadMaxAge, false);
    }

    /** {@code fast}: usage from the database alone (after events), no call to the instance but the policy updates. */
    private Optional<Check> check(long tenantId, Duration incompleteUploadMaxAge, boolean fast) {
        ReentrantLock lock = locks.computeIfAbsent(tenantId, id -> new ReentrantLock());
        lock.lock();
        try {
            return checkLocked(tenantId, incompleteUploadMaxAge, fast);
        } finally {
            lock.unlock();
        }
    }

    private Optional<Check> checkLocked(long tenantId, Duration incompleteUploadMaxAge, boolean fast) {
        Optional<InstanceAccess> ready = instances.readyInstance(tenantId);
        if (ready.isEmpty()) {
            return Optional.empty();
        }
        InstanceAccess at = ready.get();
        String slug = tenants.slugOf(tenantId);
        if (slug == null) {
            return Optional.empty();
        }
        int buckets;
        long objectBytes;
        List<ObjectStore.IncompleteUpload> left;
        List<ObjectStore.IncompleteUpload> aborted;
        long incompleteBytes;
        int incompleteUploads;
        if (fast) {
            // After events: everything from the database (the ledger, and the uploads as the last pass found them), so
            // that only the policy updates reach the instance.
            StorageUsage recorded = QuarkusTransaction.requiringNew().call(() -> BucketService.usageRow(tenantId));
            buckets = recorded.buckets;
            objectBytes = QuarkusTransaction.requiringNew().call(() -> ledger.objectBytes(tenantId));
            left = List.of();
            aborted = List.of();
            incompleteBytes = recorded.incompleteBytes;
            incompleteUploads = recorded.incompleteUploads;
        } else {
            ObjectStore.Usage measured;
            try {
                // No object is listed here: bytes of objects come from the ledger (kept from the instance's events),
                // uploads from their own listing, which grows with the uploads in progress, not with the objects stored.
                Instant listedAt = Instant.now();
                List<String> names = store.bucketNames(at);
                buckets = names.size();
                UsageLedger.Totals totals = ledger.totals(tenantId, names, listedAt);
                measured = new ObjectStore.Usage(totals.bytes(), store.incompleteUploads(at, names));
            } catch (StorageException e) {
                QuarkusTransaction.requiringNew().run(() -> BucketService.usageRow(tenantId).lastError = truncate(e.getMessage()));
                throw e;
            }
            objectBytes = measured.objectBytes();
            aborted = abortStale(at, slug, measured.incomplete(), incompleteUploadMaxAge);
            var gone = new HashSet<>(aborted);
            left = measured.incomplete().stream().filter(u -> !gone.contains(u)).toList();
            incompleteBytes = left.stream().mapToLong(ObjectStore.IncompleteUpload::bytes).sum();
            incompleteUploads = left.size();
        }
        long usage = objectBytes + incompleteBytes;
        QuotaLimits quota = tenants.quota(slug);
        boolean blocked = BucketRules.writesBlocked(usage, quota);
        boolean wasBlocked = QuarkusTransaction.requiringNew().call(() -> BucketService.usageRow(tenantId).writesBlocked);
        // Keys still being made are left to their creation, which re-reads the block once MinIO has the key.
        List<AccessKey> keys = QuarkusTransaction.requiringNew().call(() -> AccessKey.<AccessKey>list(
                "tenantId = ?1 and pendingSince is null", tenantId));
        if (blocked || wasBlocked) {
            for (AccessKey k : keys) {
                if (k.mode == KeyMode.READ_WRITE) {
                    store.setKeyPolicy(at, k.accessKey, KeyPolicy.of(k.bucket, k.mode, blocked), k.shouldBeEnabled());
                }
            }
        }
        // Recorded only after every policy is in place: a failure half-way is retried at the next check.
        Instant now = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> {
            StorageUsage u = BucketService.usageRow(tenantId);
            u.buckets = buckets;
            u.bytes = usage;
            u.incompleteBytes = incompleteBytes;
            u.incompleteUploads = incompleteUploads;
            u.measuredAt = now;
            u.lastError = null;
            if (blocked != u.writesBlocked) {
                u.writesBlocked = blocked;
                u.blockedSince = blocked ? now : null;
            }
        });
        if (blocked != wasBlocked) {
            String reason = ByteSize.format(usage) + " (" + usage + " bytes) used, hard limit " + ByteSize.format(quota.storageHardBytes());
            audit.record(Actor.system("storage-limit").username(), slug, blocked ? "storage.writes.stop" : "storage.writes.resume",
                    keys.size() + " keys", Outcome.OK, reason, null);
            LOG.infof("Tenant %s: writes %s (%s)", slug, blocked ? "stopped" : "resumed", reason);
        }
        disableExpired(at, slug, keys, now);
        dropAbandoned(at, slug, tenantId, now);
        followSuspension(at, slug, tenantId, now);
        Check check = new Check(tenantId, usage, quota.storageHardBytes(), blocked, blocked != wasBlocked, now, incompleteBytes,
                incompleteUploads, aborted.size(), aborted.stream().mapToLong(ObjectStore.IncompleteUpload::bytes).sum());
        last = check;
        return Optional.of(check);
    }

    /**
     * Aborts the uploads begun before now minus {@code maxAge}; the rest keep counting. Only AbortMultipartUpload is
     * called, which deletes an upload's parts and never a completed object. One audit row per pass that aborted any.
     */
    private List<ObjectStore.IncompleteUpload> abortStale(InstanceAccess at, String slug, List<ObjectStore.IncompleteUpload> uploads,
                                                          Duration maxAge) {
        Instant cutoff = Instant.now().minus(maxAge);
        var aborted = new ArrayList<ObjectStore.IncompleteUpload>();
        for (ObjectStore.IncompleteUpload u : uploads) {
            if (!u.initiated().isBefore(cutoff)) {
                continue;
            }
            try {
                store.abortUpload(at, u);
                aborted.add(u);
            } catch (StorageException e) {
                if (e.notFound()) { // its bucket was deleted meanwhile, and the upload with it
                    aborted.add(u);
                } else { // still counts; the next pass tries again
                    LOG.warnf("Could not abort upload %s of %s in %s: %s", u.uploadId(), u.key(), u.bucket(), e.getMessage());
                }
            }
        }
        if (!aborted.isEmpty()) {
            long bytes = aborted.stream().mapToLong(ObjectStore.IncompleteUpload::bytes).sum();
            String target = aborted.size() + (aborted.size() == 1 ? " upload in " : " uploads in ")
                    + aborted.stream().map(ObjectStore.IncompleteUpload::bucket).distinct().sorted().collect(Collectors.joining(", "));
            String reason = ByteSize.format(bytes) + " (" + bytes + " bytes) of parts; not completed within "
                    + maxAge.toString().substring(2).toLowerCase() + " (begun before " + cutoff + ")";
            audit.record(Actor.system("upload-expiry").username(), slug, "storage.uploads.abort", target, Outcome.OK, reason, null);
            LOG.infof("Tenant %s: aborted %s (%s)", slug, target, reason);
        }
        return aborted;
    }

    /** MinIO expires service accounts itself too; Berth disables them as well, so its list and MinIO agree. */
    private void disableExpired(InstanceAccess at, String slug, List<AccessKey> keys, Instant now) {
        for (AccessKey k : keys) {
            if (k.expiresAt != null && !k.expiresAt.isAfter(now) && k.disabledAt == null) {
                try {
                    store.setKeyEnabled(at, k.accessKey, false);
                } catch (StorageException e) {
                    if (!e.notFound()) { // MinIO may have removed the expired account already
                        LOG.warnf("Could not disable expired key %s: %s", k.accessKey, e.getMessage());
                        continue;
                    }
                }
                QuarkusTransaction.requiringNew().run(() -> AccessKey.update("disabledAt = ?1 where id = ?2", now, k.id));
                audit.record(Actor.system("key-expiry").username(), slug, "key.expire", k.accessKey + " (" + k.bucket + ")",
                        Outcome.OK, "expired " + k.expiresAt, null);
            }
        }
    }

    /**
     * A key row still pending long after any creation could still be waiting for MinIO (the portal stopped between the
     * reservation and MinIO's answer): the key, if MinIO made it, is deleted (its secret was never shown) and the row
     * gives its place in the quota back.
     */
    private void dropAbandoned(InstanceAccess at, String slug, long tenantId, Instant now) {
        Instant before = now.minus(config.callTimeout().multipliedBy(4)).minus(ABANDONED_AFTER);
        List<AccessKey> abandoned = QuarkusTransaction.requiringNew().call(() -> AccessKey.<AccessKey>list(
                "tenantId = ?1 and pendingSince < ?2", tenantId, before));
        for (AccessKey k : abandoned) {
            try {
                store.deleteKey(at, k.accessKey);
            } catch (StorageException e) {
                LOG.warnf("Could not delete abandoned key %s of %s: %s", k.accessKey, slug, e.getMessage());
                continue;
            }
            if (QuarkusTransaction.requiringNew().call(() -> AccessKey.delete("id = ?1 and pendingSince is not null", k.id)) > 0) {
                audit.record(Actor.system("key-expiry").username(), slug, "key.create", k.accessKey + " (" + k.bucket + ")",
                        Outcome.FAILED, "abandoned: still being created since " + k.pendingSince, null);
            }
        }
    }

    /**
     * A tenant suspended without data access has every key disabled on its instance (recorded as suspended_at); on
     * resume, or when the administrator keeps data access, exactly those come back. Converges at every pass, so a
     * suspension made while the instance was unreachable takes effect when it answers again.
     */
    private void followSuspension(InstanceAccess at, String slug, long tenantId, Instant now) {
        boolean cutOff = tenants.get(slug).dataCutOff();
        List<AccessKey> keys = QuarkusTransaction.requiringNew().call(() -> AccessKey.<AccessKey>list(
                "tenantId = ?1 and pendingSince is null", tenantId));
        for (AccessKey k : keys) {
            if (k.disabledAt != null || cutOff == (k.suspendedAt != null)) {
                continue; // expired keys stay off; the others are already as they should be
            }
            try {
                store.setKeyEnabled(at, k.accessKey, !cutOff);
            } catch (StorageException e) {
                if (!e.notFound()) {
                    LOG.warnf("Could not %s key %s of suspended tenant %s: %s", cutOff ? "disable" : "enable", k.accessKey, slug, e.getMessage());
                }
                continue;
            }
            // Conditional, so that two passes at once (the scheduled one and the one the suspension fired) record it once.
            int changed = QuarkusTransaction.requiringNew().call(() -> cutOff
                    ? AccessKey.update("suspendedAt = ?1 where id = ?2 and suspendedAt is null", now, k.id)
                    : AccessKey.update("suspendedAt = null where id = ?1 and suspendedAt is not null", k.id));
            if (changed == 0) {
                continue;
            }
            audit.record(Actor.system("tenant-suspension").username(), slug, cutOff ? "key.suspend" : "key.unsuspend",
                    k.accessKey + " (" + k.bucket + ")", Outcome.OK, cutOff ? "tenant suspended without data access" : "tenant resumed", null);
        }
    }

    /** Applies a suspension or resume at once (the scheduled pass would within one interval). */
    void onSuspension(@jakarta.enterprise.event.Observes dev.berth.tenancy.SuspensionChanged change) {
        try {
            check(change.tenantId());
        } catch (RuntimeException e) {
            LOG.warnf("Keys of tenant %s follow its suspension at the next pass: %s", change.slug(), e.getMessage());
        }
    }

    /**
     * Lists in full, and points at Berth's webhook again, each bucket of the tenant that is not counted exactly (older
     * than the event feed, or its instance has no Berth target) or was last reconciled more than
     * {@code berth.storage.usage-reconcile-interval} ago; {@code all}: every bucket now (an administrator's request).
     * The only place where objects are listed; never on a page or an event. Returns the buckets listed.
     */
    public int reconcileDue(long tenantId, boolean all) {
        Optional<InstanceAccess> ready = instances.readyInstance(tenantId);
        if (ready.isEmpty()) {
            return 0;
        }
        InstanceAccess at = ready.get();
        List<String> names = store.bucketNames(at);
        Map<String, BucketUsage> rows = ledger.buckets(tenantId);
        Instant due = Instant.now().minus(config.usageReconcileInterval());
        int listed = 0;
        for (String name : names) {
            BucketUsage u = rows.get(name);
            Instant last = u == null ? null : u.reconciledAt != null ? u.reconciledAt : u.countedSince;
            if (!all && u != null && u.countedSince != null && last != null && last.isAfter(due)) {
                continue;
            }
            boolean watched = config.eventsUrl().isPresent() && store.watch(at, name);
            Instant start = Instant.now();
            var listing = new ArrayList<UsageLedger.Listed>();
            try {
                store.listVersions(at, name, listing::add);
            } catch (StorageException e) {
                if (e.notFound()) {
                    continue; // deleted meanwhile
                }
                throw e;
            }
            ledger.rebuild(tenantId, name, start, listing, watched);
            listed++;
        }
        return listed;
    }

    /** Checks for writes at once, off the caller's thread, unless one is already waiting for this tenant. */
    private final Map<Long, Boolean> pending = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService soon = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    /**
     * Applies a delivery of events and records the tenant's new usage, in one transaction (one commit per delivery);
     * when usage is now on the other side of its hard limit than its keys are, checks it at once, off the caller's
     * thread (the scheduled pass would within one interval). This is what makes the limit react in about a second
     * whatever the object count: no listing, a few rows read. Tried twice (see {@link UsageLedger#applyInTransaction}).
     */
    public void applyEvents(long tenantId, List<UsageLedger.Event> events) {
        events = markersRemoved(tenantId, events);
        boolean differs;
        try {
            differs = applyOnce(tenantId, events);
        } catch (jakarta.persistence.PersistenceException e) {
            differs = applyOnce(tenantId, events);
        }
        if (differs) {
            checkSoon(tenantId);
        }
    }

    /**
     * MinIO reports the removal of a delete marker (a delete naming the marker's version) as
     * {@code s3:ObjectRemoved:DeleteMarkerCreated} with the marker's version id, and through DeleteObject even with the
     * marker's own sequencer: the same event as its creation, but for its time. A new marker always gets a new version
     * id, so such an event for a version the ledger has already, or sent well after the version's time, is looked up on
     * the instance (one request, from the key on) and applied as a removal when the version is gone. Left as received
     * when the instance cannot say (a reconcile corrects it).
     */
    private List<UsageLedger.Event> markersRemoved(long tenantId, List<UsageLedger.Event> events) {
        List<UsageLedger.Event> out = events;
        for (int i = 0; i < events.size(); i++) {
            UsageLedger.Event e = events.get(i);
            if (e.kind() != UsageLedger.Kind.DELETE_MARKER) {
                continue;
            }
            boolean late = e.time() != null && e.time().isAfter(UsageLedger.instantOf(e.seq()).plusSeconds(1));
            if (!late && !ledger.hasVersion(tenantId, e.bucket(), e.key(), e.versionId())) {
                continue;
            }
            Optional<InstanceAccess> at = instances.readyInstance(tenantId);
            try {
                if (at.isEmpty() || store.versionExists(at.get(), e.bucket(), e.key(), e.versionId())) {
                    continue;
                }
            } catch (StorageException ex) {
                LOG.warnf("Could not tell whether delete marker %s of %s in %s was removed: %s", e.versionId(), e.key(), e.bucket(), ex.getMessage());
                continue;
            }
            if (out == events) {
                out = new ArrayList<>(events);
            }
            out.set(i, new UsageLedger.Event(e.bucket(), e.key(), e.versionId(), 0, e.seq(), e.time(), UsageLedger.Kind.REMOVED));
        }
        return out;
    }

    private boolean applyOnce(long tenantId, List<UsageLedger.Event> events) {
        return QuarkusTransaction.requiringNew().call(() -> {
            ledger.applyInTransaction(tenantId, events);
            String slug = tenants.slugOf(tenantId);
            if (slug == null) {
                return false;
            }
            QuotaLimits quota = tenants.quota(slug);
            StorageUsage u = BucketService.usageRow(tenantId);
            long bytes = ledger.objectBytes(tenantId) + u.incompleteBytes;
            // A targeted update: the enforcer may be recording a block on the same row at this moment.
            StorageUsage.update("bytes = ?1 where tenantId = ?2", bytes, tenantId);
            return BucketRules.writesBlocked(bytes, quota) != u.writesBlocked;
        });
    }

    private void checkSoon(long tenantId) {
        if (pending.putIfAbsent(tenantId, Boolean.TRUE) == null) {
            soon.submit(() -> {
                pending.remove(tenantId);
                try {
                    check(tenantId, config.incompleteUploadMaxAge(), true);
                } catch (RuntimeException e) {
                    LOG.warnf("Storage check of tenant %d after its events failed (the scheduled pass retries): %s", tenantId, e.getMessage());
                }
            });
        }
    }

    public Check last() {
        return last;
    }

    private static String truncate(String s) {
        return org.apache.commons.lang3.StringUtils.abbreviate(s, "…", 500);
    }
}
