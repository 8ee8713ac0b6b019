package dev.berth.storage.key;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A key Berth created in a tenant's instance. It belongs to the tenant, not to its creator: a creator who left
 * the tenant leaves the key listed and revocable by the other members and by administrators.
 */
@Entity
@Table(name = "access_key")
public class AccessKey extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "tenant_id", nullable = false)
    public Long tenantId;
    @Column(name = "access_key", nullable = false)
    public String accessKey;
    @Column(nullable = false)
    public String bucket;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public KeyMode mode;
    public String description;
    @Column(name = "created_by", nullable = false)
    public String createdBy;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "expires_at")
    public Instant expiresAt;
    /** When Berth disabled the key in MinIO because it expired. */
    @Column(name = "disabled_at")
    public Instant disabledAt;
    /** When Berth disabled the key in MinIO because its tenant was suspended without data access; null otherwise. */
    @Column(name = "suspended_at")
    public Instant suspendedAt;

    /**
     * Set while the key is being made in MinIO: the row holds the key's place in the quota before the instance is
     * asked. A row left pending by a crash is removed by the storage check after {@code berth.storage.call-timeout}
     * has long passed.
     */
    @Column(name = "pending_since")
    public Instant pendingSince;

    /** Whether the key should work in MinIO now: neither expired (and disabled) nor cut off by a suspension. */
    public boolean shouldBeEnabled() {
        return disabledAt == null && suspendedAt == null;
    }
}
