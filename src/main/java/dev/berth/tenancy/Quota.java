package dev.berth.tenancy;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A quota an administrator set for one tenant (absent: the configured defaults apply). */
@Entity
@Table(name = "quota")
public class Quota extends PanacheEntityBase {
    @Id
    @Column(name = "tenant_id")
    public Long tenantId;
    @Column(name = "max_vms")
    public int maxVms;
    @Column(name = "max_vcpus")
    public int maxVcpus;
    @Column(name = "max_memory_bytes")
    public long maxMemoryBytes;
    @Column(name = "max_buckets")
    public int maxBuckets;
    @Column(name = "storage_soft_bytes")
    public long storageSoftBytes;
    @Column(name = "storage_hard_bytes")
    public long storageHardBytes;
    @Column(name = "max_access_keys")
    public int maxAccessKeys;
    @Column(name = "container_millicpus")
    public int containerMilliCpus;
    @Column(name = "container_memory_bytes")
    public long containerMemoryBytes;
    @Column(name = "container_read_bps")
    public long containerReadBps;
    @Column(name = "container_write_bps")
    public long containerWriteBps;
    /** Network bandwidth cap of the storage instance, bytes per second each way; 0 = unlimited (V13). */
    @Column(name = "network_rate")
    public long networkRate;
    /** null: set before the disk quota existed; the default applies. */
    @Column(name = "max_disk_bytes")
    public Long maxDiskBytes;
    @Column(name = "updated_at")
    public Instant updatedAt;

    QuotaLimits limits(long defaultDiskBytes) {
        return new QuotaLimits(maxVms, maxVcpus, maxMemoryBytes, maxBuckets, storageSoftBytes, storageHardBytes,
                maxAccessKeys, containerMilliCpus, containerMemoryBytes, containerReadBps, containerWriteBps,
                networkRate, maxDiskBytes == null ? defaultDiskBytes : maxDiskBytes);
    }

    void set(QuotaLimits l) {
        maxVms = l.vms();
        maxVcpus = l.vcpus();
        maxMemoryBytes = l.memoryBytes();
        maxBuckets = l.buckets();
        storageSoftBytes = l.storageSoftBytes();
        storageHardBytes = l.storageHardBytes();
        maxAccessKeys = l.accessKeys();
        containerMilliCpus = l.containerMilliCpus();
        containerMemoryBytes = l.containerMemoryBytes();
        containerReadBps = l.containerReadBps();
        containerWriteBps = l.containerWriteBps();
        networkRate = l.networkRate();
        maxDiskBytes = l.diskBytes();
        updatedAt = Instant.now();
    }
}
