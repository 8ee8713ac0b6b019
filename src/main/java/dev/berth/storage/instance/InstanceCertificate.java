package dev.berth.storage.instance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** The TLS certificate of one instance (V12); its key sealed by SecretBox. Written only under the instance's claim. */
@Entity
@Table(name = "instance_certificate")
public class InstanceCertificate extends PanacheEntityBase {
    @Id
    @Column(name = "instance_id")
    public Long instanceId;
    @Column(name = "cert_pem", nullable = false)
    public String certPem;
    /** Sealed by SecretBox; never in clear. */
    @Column(name = "key_sealed", nullable = false)
    public String keySealed;
    @Column(nullable = false)
    public String serial;
    /** The storage address the certificate names (IP or DNS name). */
    @Column(name = "subject_alt", nullable = false)
    public String subjectAlt;
    @Column(name = "not_before", nullable = false)
    public Instant notBefore;
    @Column(name = "not_after", nullable = false)
    public Instant notAfter;
    /** The serial the running container was last started with; differs from {@link #serial} until it restarted. */
    @Column(name = "applied_serial")
    public String appliedSerial;
    @Column(name = "issued_at", nullable = false)
    public Instant issuedAt;
}
