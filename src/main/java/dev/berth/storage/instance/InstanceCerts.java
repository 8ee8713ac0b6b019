package dev.berth.storage.instance;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.SecretBox;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Each instance's certificate: issued when it has none, renewed before expiry or when the storage address or the CA
 * changed, and recorded as applied once the instance has been (re)started with it. Writes go through the instance's
 * claim ({@link InstanceClaims#write}), so two replicas never issue for one instance at once.
 */
@ApplicationScoped
public class InstanceCerts {
    private static final String ACTOR = "system:storage-tls";

    @Inject
    TlsAuthority authority;
    @Inject
    TlsConfig config;
    @Inject
    SecretBox secrets;
    @Inject
    InstanceClaims claims;
    @Inject
    AuditLog audit;

    /** What the reconciler needs: the files' content, and whether the running instance still has an older one. */
    public record Current(String serial, InstanceSpec.Tls tls, boolean applied, Instant notAfter) {
        @Override
        public String toString() {
            return "Current[serial=" + serial + ", applied=" + applied + ", notAfter=" + notAfter + "]";
        }
    }

    /** The instance's valid certificate for {@code address}, issued now if it has none that will do. */
    public Current ensure(InstanceRow r, String slug, String address) throws InstanceClaims.LostClaim {
        Instant now = Instant.now();
        InstanceCertificate c = find(r.id());
        if (c != null && !authority.needsNew(c.certPem, c.subjectAlt, address, c.notAfter, now)) {
            return current(c);
        }
        TlsAuthority.Issued issued = authority.issue(address, config.certLifetime());
        String sealed = secrets.seal(issued.keyPem());
        String why = c == null ? "first certificate" : !address.equals(c.subjectAlt) ? "storage address changed to " + address
                : c.notAfter.isAfter(now.plus(config.renewWindow())) ? "issuer changed" : "renewed before expiry " + c.notAfter;
        claims.write(r.id(), i -> {
            InstanceCertificate row = InstanceCertificate.findById(r.id());
            if (row == null) {
                row = new InstanceCertificate();
                row.instanceId = r.id();
            }
            row.certPem = issued.certPem();
            row.keySealed = sealed;
            row.serial = issued.serial();
            row.subjectAlt = issued.subjectAlt();
            row.notBefore = issued.notBefore();
            row.notAfter = issued.notAfter();
            row.issuedAt = now;
            row.persist();
        });
        audit.record(ACTOR, slug, "storage.certificate", r.containerName(), Outcome.OK,
                why + "; serial " + issued.serial() + ", valid until " + issued.notAfter(), null);
        return current(find(r.id()));
    }

    /** The instance now runs with this certificate. */
    public void applied(long instanceId, String serial) throws InstanceClaims.LostClaim {
        claims.write(instanceId, i -> {
            InstanceCertificate row = InstanceCertificate.findById(instanceId);
            if (row != null) {
                row.appliedSerial = serial;
            }
        });
    }

    /** When each instance's certificate expires, for the admin page (instances without one are absent). */
    public Map<Long, Instant> expiries() {
        return QuarkusTransaction.joiningExisting().call(() -> InstanceCertificate.<InstanceCertificate>listAll().stream()
                .collect(Collectors.toMap(c -> c.instanceId, c -> c.notAfter)));
    }

    public Optional<Instant> expiry(long instanceId) {
        return Optional.ofNullable(find(instanceId)).map(c -> c.notAfter);
    }

    private Current current(InstanceCertificate c) {
        return new Current(c.serial, new InstanceSpec.Tls(c.certPem, secrets.open(c.keySealed)), c.serial.equals(c.appliedSerial), c.notAfter);
    }

    private static InstanceCertificate find(long id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            InstanceCertificate c = InstanceCertificate.findById(id);
            if (c != null) {
                InstanceCertificate.getEntityManager().detach(c);
            }
            return c;
        });
    }
}
