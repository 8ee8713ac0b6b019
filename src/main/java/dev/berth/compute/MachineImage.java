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
 * A base image an administrator registered: a volume already in a libvirt storage pool of one KVM host. The same
 * name on several hosts is one image to tenants; placement chooses among the hosts that hold it.
 */
@Entity
@Table(name = "vm_image")
public class MachineImage extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String os;
    @Column(nullable = false)
    public String format;
    @Column(name = "min_disk_bytes", nullable = false)
    public long minDiskBytes;
    @Column(name = "min_memory_bytes", nullable = false)
    public long minMemoryBytes;
    @Column(name = "cloud_init", nullable = false)
    public boolean cloudInit;
    @Column(name = "host_id", nullable = false)
    public Long hostId;
    @Column(nullable = false)
    public String pool;
    @Column(nullable = false)
    public String volume;
    /** Where the host keeps the volume, as libvirt said at registration: the overlays' backing file. */
    @Column(name = "volume_path", nullable = false)
    public String volumePath;
    /** Direct kernel boot (an image without a boot loader): paths on the host, or null to boot the disk. */
    public String kernel;
    public String initrd;
    public String cmdline;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "created_by", nullable = false)
    public String createdBy;
}
