package dev.berth.storage.usage;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A tenant's storage as last measured and whether its writes are stopped. Kept in the database so pages and
 * quota bars read it without scanning the instance, and so every replica agrees on the block.
 */
@Entity
@Table(name = "storage_usage")
public class StorageUsage extends PanacheEntityBase {
    @Id
    @Column(name = "tenant_id")
    public Long tenantId;
    @Column(nullable = false)
    public int buckets;
    /** Everything the hard limit counts: objects (every version) and {@link #incompleteBytes}. */
    @Column(nullable = false)
    public long bytes;
    /** Parts of multipart uploads neither completed nor aborted, as last measured. */
    @Column(name = "incomplete_bytes", nullable = false)
    public long incompleteBytes;
    @Column(name = "incomplete_uploads", nullable = false)
    public int incompleteUploads;
    @Column(name = "measured_at")
    public Instant measuredAt;
    @Column(name = "writes_blocked", nullable = false)
    public boolean writesBlocked;
    @Column(name = "blocked_since")
    public Instant blockedSince;
    @Column(name = "last_error")
    public String lastError;
}
