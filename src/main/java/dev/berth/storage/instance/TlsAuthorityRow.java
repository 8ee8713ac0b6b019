package dev.berth.storage.instance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** Berth's own certificate authority (V12): one row, its key sealed by SecretBox. Unused with an operator's CA. */
@Entity
@Table(name = "tls_authority")
public class TlsAuthorityRow extends PanacheEntityBase {
    @Id
    public Integer id;
    @Column(name = "cert_pem", nullable = false)
    public String certPem;
    @Column(name = "key_sealed", nullable = false)
    public String keySealed;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
