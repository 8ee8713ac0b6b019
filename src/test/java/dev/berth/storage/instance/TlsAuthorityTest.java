package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.common.SecretBox;
import dev.berth.support.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Certificates as the issuer makes them, with an operator-supplied CA (RSA, made by openssl here): what a server
 * certificate for a storage address must hold, when it is replaced, and that the trust manager trusts this CA alone.
 */
class TlsAuthorityTest {
    private Path dir;

    @BeforeEach
    void operatorCa() throws Exception {
        dir = Files.createTempDirectory("berth-ca-test");
        for (String name : List.of("ca", "other")) {
            Shell.Result r = Shell.run(null, "cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days " + (name.equals("ca") ? 3650 : 30) + " -subj '/CN=" + name
                    + " CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout " + name
                    + ".key -out " + name + ".crt");
            assertEquals(0, r.exit(), r.output());
        }
    }

    @AfterEach
    void remove() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private TlsAuthority authority(String ca, Duration renewBefore) {
        var a = new TlsAuthority();
        a.secrets = new SecretBox(() -> "ZGV2LW9ubHktYmVydGgtc2VjcmV0cy1rZXktMzJieXQ=");
        a.config = new TlsConfig() {
            public Duration certLifetime() { return Duration.ofDays(90); }
            public Optional<Duration> renewBefore() { return Optional.ofNullable(renewBefore); }
            public Duration caLifetime() { return Duration.ofDays(3650); }
            public Optional<String> caCertFile() { return Optional.of(dir.resolve(ca + ".crt").toString()); }
            public Optional<String> caKeyFile() { return Optional.of(dir.resolve(ca + ".key").toString()); }
        };
        return a;
    }

    @Test
    void aServerCertificateForTheStorageAddressSignedByTheCa() throws Exception {
        TlsAuthority a = authority("ca", null);
        TlsAuthority.Issued issued = a.issue("127.0.0.1", Duration.ofDays(90));
        X509Certificate cert = TlsAuthority.parseCert(issued.certPem());
        X509Certificate ca = TlsAuthority.parseCert(Files.readString(dir.resolve("ca.crt")));
        cert.verify(ca.getPublicKey());
        assertEquals(List.of(List.of(7, "127.0.0.1")), cert.getSubjectAlternativeNames().stream().map(List::copyOf).toList(), "IP SAN");
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "server authentication");
        assertFalse(issued.toString().contains("PRIVATE"), "the key stays out of logs");
        assertTrue(issued.keyPem().startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8, as MinIO reads it");
        long days = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays();
        assertTrue(days >= 89 && days <= 90, days + " days");

        X509Certificate capped = TlsAuthority.parseCert(authority("other", null).issue("127.0.0.1", Duration.ofDays(90)).certPem());
        X509Certificate other = TlsAuthority.parseCert(Files.readString(dir.resolve("other.crt")));
        assertFalse(capped.getNotAfter().after(other.getNotAfter()), "never outlives its issuer (a CA of 30 days here)");

        X509Certificate dns = TlsAuthority.parseCert(a.issue("storage-1.example.org", Duration.ofDays(1)).certPem());
        assertEquals(List.of(List.of(2, "storage-1.example.org")), dns.getSubjectAlternativeNames().stream().map(List::copyOf).toList(), "DNS SAN");
    }

    @Test
    void replacedNearExpiryOnAnotherAddressOrUnderAnotherCa() throws Exception {
        TlsAuthority a = authority("ca", Duration.ofDays(30));
        TlsAuthority.Issued issued = a.issue("127.0.0.1", Duration.ofDays(90));
        Instant now = Instant.now();
        assertFalse(a.needsNew(issued.certPem(), "127.0.0.1", "127.0.0.1", issued.notAfter(), now));
        assertTrue(a.needsNew(null, null, "127.0.0.1", null, now), "none yet");
        assertTrue(a.needsNew(issued.certPem(), "127.0.0.1", "127.0.0.7", issued.notAfter(), now), "the storage address changed");
        assertTrue(a.needsNew(issued.certPem(), "127.0.0.1", "127.0.0.1", issued.notAfter(), now.plus(Duration.ofDays(61))), "within 30 days of expiry");
        assertFalse(a.needsNew(issued.certPem(), "127.0.0.1", "127.0.0.1", issued.notAfter(), now.plus(Duration.ofDays(59))));
        assertTrue(authority("other", Duration.ofDays(30)).needsNew(issued.certPem(), "127.0.0.1", "127.0.0.1", issued.notAfter(), now),
                "the operator changed CA");
    }

    @Test
    void theTrustManagerTrustsThisCaAlone() throws Exception {
        TlsAuthority a = authority("ca", null);
        TlsAuthority other = authority("other", null);
        X509Certificate ours = TlsAuthority.parseCert(a.issue("127.0.0.1", Duration.ofDays(1)).certPem());
        X509Certificate theirs = TlsAuthority.parseCert(other.issue("127.0.0.1", Duration.ofDays(1)).certPem());
        a.trustManager().checkServerTrusted(new X509Certificate[] {ours}, "ECDHE_ECDSA");
        assertThrows(CertificateException.class, () -> a.trustManager().checkServerTrusted(new X509Certificate[] {theirs}, "ECDHE_ECDSA"));
        assertEquals(1, a.trustManager().getAcceptedIssuers().length, "not the system store");
        assertTrue(a.caPem().startsWith("-----BEGIN CERTIFICATE-----"));
        assertEquals(95, a.caFingerprint().length(), "SHA-256, hex with colons");
    }
}
