package dev.berth.storage.instance;

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

/** The desired MinIO instance of one tenant and what Berth last saw of it (see V4 for the claim protocol). */
@Entity
@Table(name = "storage_instance")
public class StorageInstance extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "tenant_id", nullable = false)
    public Long tenantId;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public InstanceStatus status;
    /** Desired: stopped by an administrator. */
    @Column(nullable = false)
    public boolean suspended;
    @Column(name = "host_id")
    public Long hostId;
    public Integer port;
    @Column(name = "container_name", nullable = false)
    public String containerName;
    @Column(name = "volume_name", nullable = false)
    public String volumeName;
    @Column(name = "container_id")
    public String containerId;
    @Column(name = "root_user", nullable = false)
    public String rootUser;
    /** Sealed by SecretBox; never in clear. */
    @Column(name = "root_password_sealed", nullable = false)
    public String rootPasswordSealed;
    @Column(name = "last_error")
    public String lastError;
    @Column(nullable = false)
    public int attempts;
    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;
    @Column(name = "claim_owner")
    public String claimOwner;
    @Column(name = "claim_until")
    public Instant claimUntil;
    /** The port on which network-cap rules were last made on the host (V13); null: none known there. */
    @Column(name = "network_rules_port")
    public Integer networkRulesPort;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "ready_at")
    public Instant readyAt;
    @Column(name = "requested_by", nullable = false)
    public String requestedBy;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
