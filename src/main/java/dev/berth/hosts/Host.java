package dev.berth.hosts;

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

@Entity
@Table(name = "host")
public class Host extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(nullable = false, unique = true)
    public String name;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public HostKind kind;
    @Column(nullable = false)
    public String uri;
    @Column(name = "storage_address")
    public String storageAddress;
    @Column(nullable = false)
    public String labels = "";
    @Column(nullable = false)
    public boolean enabled = true;
    @Column(name = "tls_ca_pem")
    public String tlsCaPem;
    @Column(name = "tls_cert_pem")
    public String tlsCertPem;
    /** The client key, sealed by SecretBox; never in clear. */
    @Column(name = "tls_key_sealed")
    public String tlsKeySealed;

    @Column(name = "probe_up")
    public Boolean probeUp;
    @Column(name = "probe_latency_ms")
    public Long probeLatencyMs;
    @Column(name = "probe_error")
    public String probeError;
    @Column(name = "probed_at")
    public Instant probedAt;
    @Column(name = "cap_version")
    public String capVersion;
    @Column(name = "cap_cpus")
    public Integer capCpus;
    @Column(name = "cap_memory_bytes")
    public Long capMemoryBytes;
    @Column(name = "cap_free_memory_bytes")
    public Long capFreeMemoryBytes;
    @Column(name = "cap_running_domains")
    public Integer capRunningDomains;
    @Column(name = "cap_total_domains")
    public Integer capTotalDomains;
    @Column(name = "cap_containers")
    public Integer capContainers;
    @Column(name = "cap_running_containers")
    public Integer capRunningContainers;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
