package dev.berth.storage.bucket;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.ObjectStore;
import dev.berth.storage.StorageConfig;
import dev.berth.storage.StorageDataDeleted;
import dev.berth.storage.StorageException;
import dev.berth.storage.StorageNotActiveException;
import dev.berth.storage.instance.TlsAuthority;
import dev.berth.storage.key.AccessKey;
import dev.berth.storage.key.Credentials;
import dev.berth.storage.key.KeyMode;
import dev.berth.storage.key.KeyPolicy;
import dev.berth.storage.key.KeyView;
import dev.berth.storage.key.MountInstructions;
import dev.berth.storage.usage.BucketUsage;
import dev.berth.storage.usage.StorageUsage;
import dev.berth.storage.usage.UsageLedger;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantLocks;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantUsage;
import dev.berth.tenancy.UsageSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Buckets and access keys of a tenant's instance: rules and quotas checked first, then the instance, then the
 * database, every change audited. The instance is the truth about buckets; the database about keys (the secret
 * never reaches it).
 */
@ApplicationScoped
public class BucketService implements UsageSource {
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
    dev.berth.tenancy.CurrentUser user;
    @Inject
    TenantLocks locks;
    @Inject
    TlsAuthority tls;
    @Inject
    UsageLedger ledger;

    /**
     * A bucket's usage as kept by the {@link UsageLedger}: {@code countedSince} null when it is not known exactly yet
     * (the figures are then what the last listing found, or nothing); {@code updatedAt} is when the figures last changed,
     * {@code reconciledAt} when the bucket was last listed in full.
     */
    public record Recorded(long currentObjects, long currentBytes, long noncurrentVersions, long noncurrentBytes, long deleteMarkers,
                           Instant countedSince, Instant updatedAt, Instant reconciledAt) {
        public static Recorded of(BucketUsage u) {
            return u == null ? new Recorded(0, 0, 0, 0, 0, null, null, null)
                    : new Recorded(u.currentObjects, u.currentBytes, u.noncurrentVersions, u.noncurrentBytes, u.deleteMarkers,
                    u.countedSince, u.updatedAt, u.reconciledAt);
        }

        public boolean exact() {
            return countedSince != null;
        }

        /** For the page: how current the figures are. */
        public String asOf() {
            if (exact()) {
                return "kept from the instance's events since " + KeyView.when(countedSince);
            }
            return reconciledAt == null ? "not measured yet" : "as listed " + KeyView.when(reconciledAt);
        }
    }

    /** A bucket row: the bucket, how many keys it has, and its usage as recorded (never listed on a page). */
    public record BucketView(ObjectStore.BucketInfo info, int keys, Recorded usage) {
        public String name() {
            return info.name();
        }

        public String size() {
            return dev.berth.common.ByteSize.format(info.sizeBytes());
        }

        public String lastChange() {
            return KeyView.when(info.lastModified());
        }
    }

    /** A key just created: its record, the secret (this one time only) and the snippets that carry it. */
    public record CreatedKey(KeyView key, String endpoint, String secretKey, List<MountInstructions.ToolSnippets> mount,
                             String download) {
        @Override
        public String toString() {
            return "CreatedKey[" + key.accessKey() + "]";
        }
    }

    /**
     * Where the tenant's storage stands against its quota. {@code bytes} is what the hard limit counts, of which
     * {@code incompleteUploadBytes} are parts of {@code incompleteUploads} multipart uploads never completed.
     */
    public record StorageState(long bytes, Instant measuredAt, boolean writesBlocked, QuotaLimits quota, String warning,
                               long incompleteUploadBytes, int incompleteUploads) {
    }

    // ------------------------------------------------------------------ buckets

    /**
     * Every bucket with its recorded usage: one call to the instance for the names, one for each bucket's versioning,
     * and the ledger's rows; no object is listed, so the time does not grow with what the buckets hold.
     */
    public List<BucketView> buckets(String slug) {
        Target t = target(slug);
        List<ObjectStore.BucketEntry> all = call(() -> store.bucketEntries(t.access()));
        Map<String, BucketUsage> usage = ledger.buckets(t.tenantId());
        Map<String, Long> keyCounts = QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>list("tenantId = ?1 and pendingSince is null", t.tenantId()))
                .stream().collect(Collectors.groupingBy(k -> k.bucket, Collectors.counting()));
        var views = new java.util.ArrayList<BucketView>();
        for (ObjectStore.BucketEntry e : all) {
            boolean versioning;
            try {
                versioning = store.versioning(t.access(), e.name());
            } catch (StorageException x) {
                if (x.notFound()) {
                    continue; // deleted between the two calls
                }
                throw new ConflictException("The storage instance did not answer as expected: " + x.getMessage());
            }
            views.add(view(e, versioning, usage.get(e.name()), keyCounts.getOrDefault(e.name(), 0L).intValue()));
        }
        return views;
    }

    private static BucketView view(ObjectStore.BucketEntry e, boolean versioning, BucketUsage u, int keys) {
        Recorded r = Recorded.of(u);
        return new BucketView(new ObjectStore.BucketInfo(e.name(), e.createdAt(), r.currentBytes() + r.noncurrentBytes(),
                r.currentObjects() + r.noncurrentVersions(), u == null ? null : u.lastModified, versioning), keys, r);
    }

    public BucketView bucket(String slug, String name) {
        Target t = target(slug);
        ObjectStore.BucketInfo info = existing(t, name);
        int keys = (int) (long) QuarkusTransaction.joiningExisting().call(() -> AccessKey.count("tenantId = ?1 and bucket = ?2 and pendingSince is null", t.tenantId(), name));
        BucketUsage u = ledger.bucket(t.tenantId(), name);
        return view(new ObjectStore.BucketEntry(name, info.createdAt()), info.versioning(), u, keys);
    }

    public BucketView create(Actor actor, String slug, String name) {
        Target t = target(slug);
        // The count and the creation under the tenant's lock: parallel requests never pass the quota together.
        return locks.exclusive(t.tenantId(), () -> create(actor, slug, t, name));
    }

    private BucketView create(Actor actor, String slug, Target t, String name) {
        List<String> names = call(() -> store.bucketNames(t.access()));
        try {
            BucketRules.checkNewBucket(name, names);
        } catch (InvalidInputException e) {
            audit.record(actor.username(), slug, "bucket.create", name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
        Optional<String> refusal = BucketRules.bucketQuotaRefusal(tenants.quota(slug), names.size());
        if (refusal.isPresent()) {
            audit.record(actor.username(), slug, "bucket.create", name, Outcome.FAILED, refusal.get(), actor.requestId());
            throw new ConflictException(refusal.get());
        }
        try {
            store.createBucket(t.access(), name);
        } catch (StorageException e) {
            audit.record(actor.username(), slug, "bucket.create", name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The storage instance refused to create " + name + ": " + e.getMessage());
        }
        // Events from the start: the bucket is empty and no key can write to it yet, so it is counted exactly from now on.
        boolean watched = false;
        try {
            watched = config.eventsUrl().isPresent() && store.watch(t.access(), name);
        } catch (StorageException e) { // counted by listing until the next pass points it at Berth
            org.jboss.logging.Logger.getLogger(BucketService.class).warnf("Bucket %s of %s sends no events yet: %s", name, slug, e.getMessage());
        }
        ledger.created(t.tenantId(), name, watched);
        audit.record(actor.username(), slug, "bucket.create", name, Outcome.OK, null, actor.requestId());
        bumpBuckets(t.tenantId(), names.size() + 1);
        // new and empty: nothing to ask the instance
        return view(new ObjectStore.BucketEntry(name, Instant.now()), false, ledger.bucket(t.tenantId(), name), 0);
    }

    /**
     * Deletes a bucket with its objects and its keys. A bucket that holds objects goes only when {@code confirm}
     * repeats its name: the caller has seen the object count.
     */
    public void delete(Actor actor, String slug, String name, String confirm) {
        Target t = target(slug);
        ObjectStore.BucketInfo info = existing(t, name);
        Recorded recorded = Recorded.of(ledger.bucket(t.tenantId(), name));
        long objects = recorded.currentObjects() + recorded.noncurrentVersions() + recorded.deleteMarkers();
        // Recorded as empty: events in flight or a bucket not counted exactly yet may hide objects, so one short
        // listing (at most one entry) decides whether the name must be typed.
        boolean atLeast = false;
        if (objects == 0 && !call(() -> store.empty(t.access(), name))) {
            objects = 1;
            atLeast = true;
        }
        if (objects > 0 && !name.equals(confirm)) {
            String reason = name + " holds " + (atLeast ? "at least " : "") + objects + " object" + (objects == 1 ? "" : "s") + " ("
                    + dev.berth.common.ByteSize.format(recorded.currentBytes() + recorded.noncurrentBytes()) + "); type the bucket's name to delete it with everything in it.";
            audit.record(actor.username(), slug, "bucket.delete", name, Outcome.FAILED, "not confirmed", actor.requestId());
            throw InvalidInputException.of("confirm", reason);
        }
        List<AccessKey> keys = QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>list("tenantId = ?1 and bucket = ?2", t.tenantId(), name));
        try {
            for (AccessKey k : keys) {
                store.deleteKey(t.access(), k.accessKey);
                QuarkusTransaction.requiringNew().run(() -> AccessKey.deleteById(k.id));
                audit.record(actor.username(), slug, "key.revoke", k.accessKey + " (" + name + ")", Outcome.OK, "bucket deleted", actor.requestId());
            }
            store.deleteBucket(t.access(), name);
        } catch (StorageException e) {
            audit.record(actor.username(), slug, "bucket.delete", name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The storage instance refused to delete " + name + ": " + e.getMessage());
        }
        audit.record(actor.username(), slug, "bucket.delete", name,
                Outcome.OK, objects + " objects, " + (recorded.currentBytes() + recorded.noncurrentBytes()) + " bytes", actor.requestId());
        ledger.deleted(t.tenantId(), name); // the freed bytes may lift a block at the next check
    }

    public BucketView setVersioning(Actor actor, String slug, String name, boolean enabled) {
        Target t = target(slug);
        mustExist(t, name);
        String action = enabled ? "bucket.versioning.on" : "bucket.versioning.off";
        try {
            store.setVersioning(t.access(), name, enabled);
        } catch (StorageException e) {
            audit.record(actor.username(), slug, action, name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The storage instance refused to change versioning of " + name + ": " + e.getMessage());
        }
        audit.record(actor.username(), slug, action, name, Outcome.OK, null, actor.requestId());
        return bucket(slug, name);
    }

    // ------------------------------------------------------------------ keys

    public List<KeyView> keys(String slug, String bucket) {
        Target t = target(slug);
        mustExist(t, bucket);
        Instant now = Instant.now();
        return QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>list(
                "tenantId = ?1 and bucket = ?2 and pendingSince is null order by createdAt", t.tenantId(), bucket)).stream().map(k -> KeyView.of(k, now)).toList();
    }

    /** Every key of a tenant, whoever created it: for members and administrators alike. */
    public List<KeyView> allKeys(String slug) {
        long tenantId = tenants.idOf(slug);
        Instant now = Instant.now();
        return QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>list(
                "tenantId = ?1 and pendingSince is null order by bucket, createdAt", tenantId)).stream().map(k -> KeyView.of(k, now)).toList();
    }

    public CreatedKey createKey(Actor actor, String slug, String bucket, BucketRules.KeyInput input) {
        Target t = target(slug);
        mustExist(t, bucket);
        BucketRules.KeyRequest request;
        try {
            request = BucketRules.checkKey(input, Instant.now());
        } catch (InvalidInputException e) {
            audit.record(actor.username(), slug, "key.create", bucket, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
        String accessKey = Credentials.accessKey();
        String secret = Credentials.secretKey();
        // Only the count and the reservation run under the tenant's lock; MinIO's answer (up to the call timeout) is
        // awaited outside it, so that one slow instance call does not queue every other key request of the tenant.
        AccessKey record = locks.exclusive(t.tenantId(), () -> reserveKey(actor, slug, t, bucket, request, accessKey));
        // A key made while writes are stopped starts stopped too; the enforcer lifts it with the others.
        boolean blocked = writesBlocked(t.tenantId());
        try {
            store.createKey(t.access(), new ObjectStore.NewKey(accessKey, secret, KeyPolicy.of(bucket, request.mode(), blocked),
                    request.description(), request.expiresAt()));
        } catch (StorageException e) {
            QuarkusTransaction.requiringNew().run(() -> AccessKey.deleteById(record.id));
            audit.record(actor.username(), slug, "key.create", bucket, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The storage instance refused to create the key: " + e.getMessage());
        }
        Instant confirmedAt = Instant.now();
        int confirmed = QuarkusTransaction.requiringNew().call(() -> AccessKey.update(
                "pendingSince = null, createdAt = ?1 where id = ?2", confirmedAt, record.id));
        if (confirmed == 0) { // its bucket was deleted (and its keys with it) while MinIO made the key
            store.deleteKey(t.access(), accessKey);
            audit.record(actor.username(), slug, "key.create", bucket, Outcome.FAILED, "bucket deleted meanwhile", actor.requestId());
            throw new NotFoundException("There is no bucket " + bucket + ".");
        }
        record.pendingSince = null;
        record.createdAt = confirmedAt;
        // The enforcer skips pending keys: a stop or resume it made since the policy was chosen is applied here.
        boolean nowBlocked = writesBlocked(t.tenantId());
        if (nowBlocked != blocked && request.mode() == KeyMode.READ_WRITE) {
            try {
                store.setKeyPolicy(t.access(), accessKey, KeyPolicy.of(bucket, request.mode(), nowBlocked), true);
            } catch (StorageException e) { // the enforcer re-applies every policy at each pass while writes are stopped
                org.jboss.logging.Logger.getLogger(BucketService.class).warnf("Key %s follows the write stop at the next check: %s",
                        accessKey, e.getMessage());
            }
        }
        ensureUsageRow(t.tenantId());
        audit.record(actor.username(), slug, "key.create", accessKey + " (" + bucket + ", " + request.mode().label() + ")",
                Outcome.OK, request.expiresAt() == null ? null : "expires " + request.expiresAt(), actor.requestId());
        var target = new MountInstructions.Target(t.access().endpoint(), config.region(), bucket, accessKey, secret, request.mode(),
                tls.caPem());
        return new CreatedKey(KeyView.of(record, Instant.now()), target.url(), secret, MountInstructions.all(target),
                MountInstructions.download(target));
    }

    /** Counts the tenant's keys, pending ones included, and writes the new key's row as pending: its place in the quota. */
    private AccessKey reserveKey(Actor actor, String slug, Target t, String bucket, BucketRules.KeyRequest request, String accessKey) {
        int keys = (int) (long) QuarkusTransaction.joiningExisting().call(() -> AccessKey.count("tenantId", t.tenantId()));
        Optional<String> refusal = BucketRules.keyQuotaRefusal(tenants.quota(slug), keys);
        if (refusal.isPresent()) {
            audit.record(actor.username(), slug, "key.create", bucket, Outcome.FAILED, refusal.get(), actor.requestId());
            throw new ConflictException(refusal.get());
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            var k = new AccessKey();
            k.tenantId = t.tenantId();
            k.accessKey = accessKey;
            k.bucket = bucket;
            k.mode = request.mode();
            k.description = request.description();
            k.createdBy = actor.username();
            k.createdAt = Instant.now();
            k.expiresAt = request.expiresAt();
            k.pendingSince = k.createdAt;
            k.persist();
            return k;
        });
    }

    public void revoke(Actor actor, String slug, String bucket, String accessKey) {
        Target t = target(slug);
        AccessKey k = ownedKey(t, bucket, accessKey);
        try {
            store.deleteKey(t.access(), k.accessKey);
        } catch (StorageException e) {
            audit.record(actor.username(), slug, "key.revoke", accessKey, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The storage instance refused to revoke " + accessKey + ": " + e.getMessage());
        }
        QuarkusTransaction.requiringNew().run(() -> AccessKey.deleteById(k.id));
        audit.record(actor.username(), slug, "key.revoke", accessKey + " (" + bucket + ")", Outcome.OK,
                actor.username().equals(k.createdBy) ? null : "created by " + k.createdBy, actor.requestId());
    }

    /** An administrator revokes any key of a tenant, by access key alone (its creator may be long gone). */
    public void revokeAny(Actor actor, String slug, String accessKey) {
        long tenantId = tenants.idOf(slug);
        AccessKey k = QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>find(
                "tenantId = ?1 and accessKey = ?2 and pendingSince is null", tenantId, accessKey).firstResult());
        if (k == null) {
            throw new NotFoundException("Tenant " + slug + " has no access key " + accessKey + ".");
        }
        revoke(actor, slug, k.bucket, accessKey);
    }

    /** The snippets of an existing key: the secret is shown only once, so they carry {@code <SECRET>}. */
    public MountInstructions.ToolSnippets mount(String slug, String bucket, String accessKey, MountInstructions.Tool tool) {
        return MountInstructions.of(tool, mountTarget(slug, bucket, accessKey));
    }

    public MountInstructions.Target mountTarget(String slug, String bucket, String accessKey) {
        Target t = target(slug);
        AccessKey k = ownedKey(t, bucket, accessKey);
        return new MountInstructions.Target(t.access().endpoint(), config.region(), bucket, k.accessKey, null, k.mode, tls.caPem());
    }

    public KeyView key(String slug, String bucket, String accessKey) {
        return KeyView.of(ownedKey(target(slug), bucket, accessKey), Instant.now());
    }

    // ------------------------------------------------------------------ usage and limits

    /** From the database only: quota bars and admin lists never wait for an instance. */
    @Override
    public TenantUsage usage(long tenantId) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            int keys = (int) AccessKey.count("tenantId", tenantId);
            StorageUsage u = StorageUsage.findById(tenantId);
            return new TenantUsage(0, 0, 0, u == null ? 0 : u.buckets, u == null ? 0 : u.bytes, keys);
        });
    }

    public StorageState state(String slug) {
        long id = tenants.idOf(slug);
        QuotaLimits q = tenants.quota(slug);
        StorageUsage u = QuarkusTransaction.joiningExisting().call(() -> StorageUsage.<StorageUsage>findById(id));
        long bytes = u == null ? 0 : u.bytes;
        long incomplete = u == null ? 0 : u.incompleteBytes;
        boolean blocked = u != null && u.writesBlocked;
        return new StorageState(bytes, u == null ? null : u.measuredAt, blocked, q,
                BucketRules.storageWarning(bytes, incomplete, q, blocked).orElse(null), incomplete, u == null ? 0 : u.incompleteUploads);
    }

    public boolean active(String slug) {
        return instances.readyInstance(tenants.idOf(slug)).isPresent();
    }

    boolean writesBlocked(long tenantId) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            StorageUsage u = StorageUsage.findById(tenantId);
            return u != null && u.writesBlocked;
        });
    }

    private void bumpBuckets(long tenantId, int buckets) {
        QuarkusTransaction.requiringNew().run(() -> usageRow(tenantId).buckets = buckets);
    }

    private void ensureUsageRow(long tenantId) {
        QuarkusTransaction.requiringNew().run(() -> usageRow(tenantId));
    }

    /** The tenant's usage row, created on first use: the enforcer checks every tenant that has one. */
    public static StorageUsage usageRow(long tenantId) {
        StorageUsage u = StorageUsage.findById(tenantId);
        if (u == null) {
            u = new StorageUsage();
            u.tenantId = tenantId;
            u.persist();
        }
        return u;
    }

    /** The instance and its data are gone: so are its keys and buckets. Kept data keeps them (MinIO stores keys in the volume). */
    void onDataDeleted(@Observes StorageDataDeleted deleted) {
        QuarkusTransaction.requiringNew().run(() -> {
            AccessKey.delete("tenantId", deleted.tenantId());
            StorageUsage.deleteById(deleted.tenantId());
        });
        ledger.forget(deleted.tenantId());
    }

    // ------------------------------------------------------------------ internals

    /** The tenant and its ready instance. */
    record Target(long tenantId, InstanceAccess access) {
    }

    Target target(String slug) {
        long id = tenants.idOf(slug);
        InstanceAccess access = instances.readyInstance(id).orElseThrow(() -> new StorageNotActiveException(slug));
        return new Target(id, access);
    }

    private ObjectStore.BucketInfo existing(Target t, String name) {
        if (BucketRules.nameProblem(name).isPresent()) {
            throw new NotFoundException("There is no bucket " + name + ".");
        }
        try {
            return store.bucket(t.access(), name);
        } catch (StorageException e) {
            if (e.notFound()) {
                throw new NotFoundException("There is no bucket " + name + ".");
            }
            throw new ConflictException(e.getMessage());
        }
    }

    /** Existence only: no listing of the bucket's objects. */
    private void mustExist(Target t, String name) {
        boolean exists;
        try {
            exists = BucketRules.nameProblem(name).isEmpty() && store.exists(t.access(), name);
        } catch (StorageException e) {
            throw new ConflictException(e.getMessage());
        }
        if (!exists) {
            throw new NotFoundException("There is no bucket " + name + ".");
        }
    }

    private AccessKey ownedKey(Target t, String bucket, String accessKey) {
        AccessKey k = QuarkusTransaction.joiningExisting().call(() -> AccessKey.<AccessKey>find(
                "tenantId = ?1 and bucket = ?2 and accessKey = ?3 and pendingSince is null", t.tenantId(), bucket, accessKey).firstResult());
        if (k == null) {
            boolean elsewhere = QuarkusTransaction.joiningExisting().call(() -> AccessKey.count(
                    "tenantId <> ?1 and accessKey = ?2", t.tenantId(), accessKey) > 0);
            if (elsewhere) { // another tenant's key: refused exactly like an unknown one, and recorded
                Actor actor = user.actor();
                audit.record(actor.username(), actor.tenant(), "key.access", accessKey, Outcome.DENIED,
                        "belongs to another tenant", actor.requestId());
            }
            throw new NotFoundException("Bucket " + bucket + " has no access key " + accessKey + ".");
        }
        return k;
    }

    private static <T> T call(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (StorageException e) {
            throw new ConflictException("The storage instance did not answer as expected: " + e.getMessage());
        }
    }
}
