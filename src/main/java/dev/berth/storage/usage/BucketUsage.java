package dev.berth.storage.usage;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;

/**
 * One bucket's usage as kept from MinIO's events (V11): what pages show and the hard limit sums, so neither lists
 * objects. {@link #countedSince} null means not known exactly yet (a bucket older than the event feed, until a
 * reconciling listing).
 */
@Entity
@Table(name = "bucket_usage")
public class BucketUsage extends PanacheEntityBase {
    @Embeddable
    public record Id(@Column(name = "tenant_id") Long tenantId, @Column(name = "bucket") String bucket) implements Serializable {
    }

    @EmbeddedId
    public Id id;
    @Column(name = "current_objects", nullable = false)
    public long currentObjects;
    @Column(name = "current_bytes", nullable = false)
    public long currentBytes;
    @Column(name = "noncurrent_versions", nullable = false)
    public long noncurrentVersions;
    @Column(name = "noncurrent_bytes", nullable = false)
    public long noncurrentBytes;
    @Column(name = "delete_markers", nullable = false)
    public long deleteMarkers;
    @Column(name = "last_modified")
    public Instant lastModified;
    @Column(name = "counted_since")
    public Instant countedSince;
    @Column(name = "reconciled_at")
    public Instant reconciledAt;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public long bytes() {
        return currentBytes + noncurrentBytes;
    }
}
