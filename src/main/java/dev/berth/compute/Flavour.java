package dev.berth.compute;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A named machine size; offered to every tenant, or to one when {@link #tenantId} is set. */
@Entity
@Table(name = "vm_flavour")
public class Flavour extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public int vcpus;
    @Column(name = "memory_bytes", nullable = false)
    public long memoryBytes;
    @Column(name = "disk_bytes", nullable = false)
    public long diskBytes;
    @Column(name = "tenant_id")
    public Long tenantId;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "created_by", nullable = false)
    public String createdBy;
}
