package dev.berth.storage.usage;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hibernate.Session;

/**
 * Storage usage kept incrementally from the instance's bucket events (created, removed, delete marker), so that
 * pages and the hard limit never list objects: the cost of an event is a few indexed rows, whatever the bucket
 * holds. Removal events carry no size and an overwrite's event not the size it replaced, so every version's size is
 * kept in {@link StoredObject}. Events of one bucket are applied under a lock on its {@link BucketUsage} row (any
 * replica may receive them), and ordered by MinIO's sequencer: a replayed or late event never undoes a newer one.
 * A full listing ({@link #rebuild}) only reconciles, rarely or on demand.
 */
@ApplicationScoped
public class UsageLedger {
    public enum Kind {
        /** A version written (Put, Post, Copy, CompleteMultipartUpload); replaces the null version in place. */
        CREATED,
        /** A delete marker written (a delete in a versioned bucket): counted, holds no data. */
        DELETE_MARKER,
        /** One version removed for good (a delete without versioning, or of a named version). */
        REMOVED,
        /** Every version of the key removed (MinIO's force delete). */
        REMOVED_ALL
    }

    /** One event as the ledger needs it; {@code versionId} is "" for the null version. */
    public record Event(String bucket, String key, String versionId, long size, long seq, Instant time, Kind kind) {
        public Event {
            versionId = versionId == null || "null".equals(versionId) ? "" : versionId;
        }
    }

    /** One version found by a reconciling listing. */
    public record Listed(String key, String versionId, long size, boolean deleteMarker, boolean latest, Instant lastModified) {
    }

    /** What the hard limit counts of objects, and whether every bucket of the tenant is counted exactly. */
    public record Totals(long bytes, int buckets, int uncounted) {
    }

    /**
     * Applies the events in order, in the caller's transaction (with the tenant's total: one commit per delivery, see
     * {@link StorageLimitEnforcer#applyEvents}). The caller tries twice: both targets deliver each event, and the first
     * event of a bucket Berth has no row for may meet its twin creating that row (the second try finds it).
     */
    void applyInTransaction(long tenantId, List<Event> events) {
        Map<String, BucketUsage> rows = new HashMap<>();
        for (Event e : events) {
            BucketUsage u = rows.computeIfAbsent(e.bucket(), b -> lockRow(tenantId, b));
            applyOne(tenantId, u, e);
            u.updatedAt = Instant.now();
        }
    }

    private static BucketUsage lockRow(long tenantId, String bucket) {
        EntityManager em = BucketUsage.getEntityManager();
        BucketUsage.Id id = new BucketUsage.Id(tenantId, bucket);
        BucketUsage u = em.find(BucketUsage.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (u == null) { // a bucket Berth did not make or whose row went: counted, but not exactly until reconciled
            u = new BucketUsage();
            u.id = id;
            u.updatedAt = Instant.now();
            em.persist(u);
            em.flush();
            u = em.find(BucketUsage.class, id, LockModeType.PESSIMISTIC_WRITE);
        }
        return u;
    }

    private static void applyOne(long tenantId, BucketUsage u, Event e) {
        EntityManager em = StoredObject.getEntityManager();
        switch (e.kind()) {
            case CREATED, DELETE_MARKER -> {
                // One query for both rows this needs: the same version (a replay, or the null version overwritten) and
                // the key's current version (which becomes non-current). Both by the primary key's prefix.
                StoredObject same = null;
                StoredObject prev = null;
                for (StoredObject o : em.createQuery("from StoredObject o where o.id.tenantId = ?1 and o.id.bucket = ?2 "
                                + "and o.id.key = ?3 and (o.id.versionId = ?4 or o.latest = true)", StoredObject.class)
                        .setParameter(1, tenantId).setParameter(2, e.bucket()).setParameter(3, e.key()).setParameter(4, e.versionId())
                        .getResultList()) {
                    if (o.id.versionId().equals(e.versionId())) {
                        same = o;
                    }
                    if (o.latest && (prev == null || o.seq > prev.seq)) {
                        prev = o;
                    }
                }
                if (same != null && same.seq >= e.seq()) {
                    return; // replayed, or older than what is recorded
                }
                boolean newest = prev == null || prev == same || prev.seq <= e.seq();
                if (newest && prev != null && prev != same) {
                    count(u, prev, -1);
                    prev.latest = false;
                    count(u, prev, +1);
                }
                StoredObject row = same;
                if (row == null) {
                    row = new StoredObject();
                    row.id = new StoredObject.Id(tenantId, e.bucket(), e.key(), e.versionId());
                } else {
                    count(u, row, -1);
                }
                row.size = e.kind() == Kind.DELETE_MARKER ? 0 : e.size();
                row.deleteMarker = e.kind() == Kind.DELETE_MARKER;
                row.seq = e.seq();
                row.latest = newest;
                count(u, row, +1);
                if (same == null) {
                    em.persist(row);
                }
                if (e.kind() == Kind.CREATED && e.time() != null && (u.lastModified == null || e.time().isAfter(u.lastModified))) {
                    u.lastModified = e.time();
                }
            }
            case REMOVED -> {
                StoredObject row = em.find(StoredObject.class, new StoredObject.Id(tenantId, e.bucket(), e.key(), e.versionId()));
                if (row == null || row.seq > e.seq()) {
                    return; // gone already, or written again after this removal
                }
                remove(em, u, row);
            }
            case REMOVED_ALL -> {
                for (StoredObject row : em.createQuery("from StoredObject o where o.id.tenantId = ?1 and o.id.bucket = ?2 and o.id.key = ?3 "
                        + "and o.seq <= ?4", StoredObject.class).setParameter(1, tenantId).setParameter(2, e.bucket())
                        .setParameter(3, e.key()).setParameter(4, e.seq()).getResultList()) {
                    remove(em, u, row);
                }
            }
        }
    }

    private static void remove(EntityManager em, BucketUsage u, StoredObject row) {
        count(u, row, -1);
        em.remove(row);
        em.flush();
        if (row.latest) { // the newest remaining version becomes the current one
            StoredObject next = em.createQuery("from StoredObject o where o.id.tenantId = ?1 and o.id.bucket = ?2 and o.id.key = ?3 "
                    + "order by o.seq desc", StoredObject.class).setParameter(1, row.id.tenantId()).setParameter(2, row.id.bucket())
                    .setParameter(3, row.id.key()).setMaxResults(1).getResultStream().findFirst().orElse(null);
            if (next != null) {
                count(u, next, -1);
                next.latest = true;
                count(u, next, +1);
            }
        }
    }

    /** Adds ({@code sign} 1) or takes away (-1) what one version counts for in its bucket's row. */
    static void count(BucketUsage u, StoredObject o, int sign) {
        if (o.deleteMarker) {
            u.deleteMarkers += sign;
        } else if (o.latest) {
            u.currentObjects += sign;
            u.currentBytes += sign * o.size;
        } else {
            u.noncurrentVersions += sign;
            u.noncurrentBytes += sign * o.size;
        }
    }

    /** A bucket just made through Berth: empty, so counted exactly from now on (a leftover row of the same name goes). */
    public void created(long tenantId, String bucket, boolean watched) {
        QuarkusTransaction.requiringNew().run(() -> {
            dropRows(tenantId, bucket);
            var u = new BucketUsage();
            u.id = new BucketUsage.Id(tenantId, bucket);
            u.updatedAt = Instant.now();
            u.countedSince = watched ? u.updatedAt : null;
            u.persist();
        });
    }

    public void deleted(long tenantId, String bucket) {
        QuarkusTransaction.requiringNew().run(() -> dropRows(tenantId, bucket));
    }

    private static void dropRows(long tenantId, String bucket) {
        // The bucket's row first, as events take it: in the other order the two would deadlock.
        BucketUsage.getEntityManager().find(BucketUsage.class, new BucketUsage.Id(tenantId, bucket), LockModeType.PESSIMISTIC_WRITE);
        StoredObject.delete("id.tenantId = ?1 and id.bucket = ?2", tenantId, bucket);
        BucketUsage.delete("id.tenantId = ?1 and id.bucket = ?2", tenantId, bucket);
    }

    /** Every tenant's rows go with its instance's data. */
    public void forget(long tenantId) {
        QuarkusTransaction.requiringNew().run(() -> {
            BucketUsage.getEntityManager().createQuery("from BucketUsage u where u.id.tenantId = ?1", BucketUsage.class)
                    .setParameter(1, tenantId).setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList();
            StoredObject.delete("id.tenantId", tenantId);
            BucketUsage.delete("id.tenantId", tenantId);
        });
    }

    /** The rows of the tenant's buckets, by name: one indexed query, whatever the buckets hold. */
    public Map<String, BucketUsage> buckets(long tenantId) {
        var all = new HashMap<String, BucketUsage>();
        QuarkusTransaction.joiningExisting().call(() -> BucketUsage.<BucketUsage>list("id.tenantId", tenantId))
                .forEach(u -> all.put(u.id.bucket(), u));
        return all;
    }

    /** Bytes of every object version of the tenant as kept: one aggregate over its bucket rows. */
    public long objectBytes(long tenantId) {
        return QuarkusTransaction.joiningExisting().call(() -> BucketUsage.getEntityManager().createQuery(
                "select coalesce(sum(u.currentBytes + u.noncurrentBytes), 0) from BucketUsage u where u.id.tenantId = ?1", Long.class)
                .setParameter(1, tenantId).getSingleResult());
    }

    public BucketUsage bucket(long tenantId, String bucket) {
        return QuarkusTransaction.joiningExisting().call(() -> BucketUsage.findById(new BucketUsage.Id(tenantId, bucket)));
    }

    /**
     * Sum over the tenant's existing buckets (as listed at {@code listedAt}); rows of buckets that no longer exist are
     * dropped, unless written since the listing (a bucket created meanwhile).
     */
    public Totals totals(long tenantId, List<String> existing, Instant listedAt) {
        Set<String> names = new HashSet<>(existing);
        Map<String, BucketUsage> rows = QuarkusTransaction.requiringNew().call(() -> buckets(tenantId));
        long bytes = 0;
        int uncounted = 0;
        for (String name : names) {
            BucketUsage u = rows.get(name);
            if (u == null || u.countedSince == null) {
                uncounted++;
            }
            bytes += u == null ? 0 : u.bytes();
        }
        for (BucketUsage row : rows.values()) {
            if (!names.contains(row.id.bucket()) && row.updatedAt.isBefore(listedAt)) {
                deleted(tenantId, row.id.bucket());
            }
        }
        return new Totals(bytes, names.size(), uncounted);
    }

    /**
     * Replaces the bucket's index by a full listing taken from {@code scanStart} on. Rows written by events applied
     * since then are newer than the listing and stay; the rest is what the listing found. {@code watched}: the bucket
     * sends events, so it is counted exactly from now on; otherwise it stays uncounted and is listed again next pass.
     */
    public void rebuild(long tenantId, String bucket, Instant scanStart, List<Listed> listing, boolean watched) {
        long startSeq = seqOf(scanStart);
        QuarkusTransaction.requiringNew().timeout(600).run(() -> {
            BucketUsage u = lockRow(tenantId, bucket);
            EntityManager em = StoredObject.getEntityManager();
            em.flush();
            em.createQuery("delete from StoredObject o where o.id.tenantId = ?1 and o.id.bucket = ?2 and o.seq < ?3")
                    .setParameter(1, tenantId).setParameter(2, bucket).setParameter(3, startSeq).executeUpdate();
            Set<String> newer = new HashSet<>(em.createQuery("select o.id.key from StoredObject o where o.id.tenantId = ?1 "
                    + "and o.id.bucket = ?2", String.class).setParameter(1, tenantId).setParameter(2, bucket).getResultList());
            em.unwrap(Session.class).doWork(c -> {
                try (PreparedStatement ps = c.prepareStatement("insert into stored_object (tenant_id, bucket, object_key, version_id, "
                        + "size, delete_marker, latest, seq) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    int n = 0;
                    for (Listed l : listing) {
                        if (newer.contains(l.key())) {
                            continue; // an event since the scan began knows better
                        }
                        ps.setLong(1, tenantId);
                        ps.setString(2, bucket);
                        ps.setString(3, l.key());
                        ps.setString(4, l.versionId() == null || "null".equals(l.versionId()) ? "" : l.versionId());
                        ps.setLong(5, l.deleteMarker() ? 0 : l.size());
                        ps.setBoolean(6, l.deleteMarker());
                        ps.setBoolean(7, l.latest());
                        ps.setLong(8, l.lastModified() == null ? 0 : seqOf(l.lastModified()));
                        ps.addBatch();
                        if (++n % 1000 == 0) {
                            ps.executeBatch();
                        }
                    }
                    ps.executeBatch();
                }
            });
            Object[] sums = (Object[]) em.createNativeQuery("select "
                    + "coalesce(sum(case when not delete_marker and latest then 1 else 0 end), 0), "
                    + "coalesce(sum(case when not delete_marker and latest then size else 0 end), 0), "
                    + "coalesce(sum(case when not delete_marker and not latest then 1 else 0 end), 0), "
                    + "coalesce(sum(case when not delete_marker and not latest then size else 0 end), 0), "
                    + "coalesce(sum(case when delete_marker then 1 else 0 end), 0) "
                    + "from stored_object where tenant_id = ?1 and bucket = ?2").setParameter(1, tenantId).setParameter(2, bucket)
                    .getSingleResult();
            u.currentObjects = ((Number) sums[0]).longValue();
            u.currentBytes = ((Number) sums[1]).longValue();
            u.noncurrentVersions = ((Number) sums[2]).longValue();
            u.noncurrentBytes = ((Number) sums[3]).longValue();
            u.deleteMarkers = ((Number) sums[4]).longValue();
            Instant last = listing.stream().filter(l -> !l.deleteMarker() && l.lastModified() != null).map(Listed::lastModified)
                    .max(Instant::compareTo).orElse(null);
            if (last != null && (u.lastModified == null || last.isAfter(u.lastModified))) {
                u.lastModified = last;
            }
            Instant now = Instant.now();
            u.reconciledAt = now;
            u.countedSince = watched ? (u.countedSince == null ? now : u.countedSince) : null;
            u.updatedAt = now;
        });
    }

    /** Whether the ledger has this version of the key (any kind). */
    boolean hasVersion(long tenantId, String bucket, String key, String versionId) {
        return QuarkusTransaction.joiningExisting().call(() -> StoredObject.findById(new StoredObject.Id(tenantId, bucket, key, versionId)) != null);
    }

    static Instant instantOf(long seq) {
        return Instant.ofEpochSecond(Math.floorDiv(seq, 1_000_000_000L), Math.floorMod(seq, 1_000_000_000L));
    }

    /** MinIO's sequencer is the event's time in nanoseconds; listings are put on the same scale. */
    static long seqOf(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
