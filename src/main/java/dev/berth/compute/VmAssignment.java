package dev.berth.compute;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A domain assigned to a tenant. Name, vCPUs and memory are what the domain had when assigned (or last
 * seen): quotas count them even while the host is down.
 */
@Entity
@Table(name = "vm_assignment")
public class VmAssignment extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "tenant_id", nullable = false)
    public Long tenantId;
    @Column(name = "host_id", nullable = false)
    public Long hostId;
    @Column(name = "domain_uuid", nullable = false)
    public String domainUuid;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public int vcpus;
    @Column(name = "memory_bytes", nullable = false)
    public long memoryBytes;
    @Column(name = "assigned_at", nullable = false)
    public Instant assignedAt;
    @Column(name = "assigned_by", nullable = false)
    public String assignedBy;
    /** When Berth started it or first saw it running; null while it is not known to run (see {@link Uptime}). */
    @Column(name = "running_since")
    public Instant runningSince;
    @Column(name = "running_since_exact", nullable = false)
    public boolean runningSinceExact;

    Uptime uptime() {
        return new Uptime(runningSince, runningSinceExact);
    }
}
