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

    // ---- machines Berth made (issue 20); all null/false/0 for assigned ones
    /** Berth created it from an image: a tenant may delete it. Assigned machines never are deleted by Berth. */
    @Column(name = "made_by_berth", nullable = false)
    public boolean madeByBerth;
    /** {@link Creation.Status} of a Berth-made machine; null for assigned ones. */
    public String status;
    /** The creation step in progress or last done ({@link Creation.Step}). */
    public String step;
    /** When the creation last finished a step (or was reserved): a CREATING row that stays quiet too long was interrupted. */
    @Column(name = "step_at")
    public Instant stepAt;
    @Column(name = "last_error")
    public String lastError;
    @Column(name = "disk_bytes", nullable = false)
    public long diskBytes;
    @Column(name = "image_id")
    public Long imageId;
    @Column(name = "flavour_name")
    public String flavourName;
    public String pool;
    @Column(name = "overlay_volume")
    public String overlayVolume;
    @Column(name = "seed_volume")
    public String seedVolume;
    public String bucket;
    @Column(name = "bucket_read_only", nullable = false)
    public boolean bucketReadOnly;
    /** The machine's own access key (scoped to {@link #bucket}); revoked with the machine. */
    @Column(name = "access_key")
    public String accessKey;

    Uptime uptime() {
        return new Uptime(runningSince, runningSinceExact);
    }
}
