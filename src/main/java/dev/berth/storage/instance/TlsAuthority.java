package dev.berth.storage.instance;

import dev.berth.common.SecretBox;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * The certificate authority of tenants' instances: Berth's own (made once, its key sealed in {@code tls_authority})
 * or the operator's ({@link TlsConfig#caCertFile()}/{@link TlsConfig#caKeyFile()}). Issues each instance's
 * certificate (subject alternative name: the Docker host's storage address) and gives Berth's own clients a trust
 * manager that trusts exactly this CA: not the system store, not everything.
 *
 * <p>X.509 is Bouncy Castle's (bcpkix); keys are ECDSA P-256 (MinIO serves them; fast to make).
 */
@ApplicationScoped
public class TlsAuthority {
    private static final String SIGNATURE = "SHA256withECDSA";

    @Inject
    TlsConfig config;
    @Inject
    SecretBox secrets;

    private final SecureRandom random = new SecureRandom();
    private volatile Ca ca;

    /** The CA in use: its certificate (PEM and parsed) and key. */
    private record Ca(String pem, X509Certificate cert, PrivateKey key, X509TrustManager trust) {
    }

    /** A freshly issued certificate: PEM certificate, PEM private key (in clear: seal before storing). */
    public record Issued(String certPem, String keyPem, String serial, String subjectAlt, Instant notBefore, Instant notAfter) {
        @Override
        public String toString() { // the key stays out of logs
            return "Issued[serial=" + serial + ", subjectAlt=" + subjectAlt + ", notAfter=" + notAfter + "]";
        }
    }

    /** The CA certificate, PEM: what tenants' VMs install to trust their instance. */
    public String caPem() {
        return ca().pem();
    }

    /** SHA-256 fingerprint of the CA certificate, hex with colons (as openssl prints it). */
    public String caFingerprint() {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(ca().cert().getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the operator supplied the CA (else Berth made its own). */
    public boolean operatorSupplied() {
        return config.caCertFile().isPresent();
    }

    /** A certificate for an instance reachable at {@code address} (an IP address or a DNS name), valid {@code lifetime}. */
    public Issued issue(String address, Duration lifetime) {
        Ca authority = ca();
        try {
            KeyPair pair = ecKeyPair();
            Instant notBefore = Instant.now().minus(Duration.ofMinutes(5)); // a little clock skew between hosts
            Instant notAfter = notBefore.plus(lifetime).plus(Duration.ofMinutes(5));
            if (notAfter.isAfter(authority.cert().getNotAfter().toInstant())) {
                notAfter = authority.cert().getNotAfter().toInstant(); // never outlive the issuer
            }
            BigInteger serial = new BigInteger(128, random);
            var ext = new JcaX509ExtensionUtils();
            org.bouncycastle.cert.X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(authority.cert(), serial, Date.from(notBefore), Date.from(notAfter),
                    new X500Name("CN=" + address.replaceAll("[,=+<>#;\"\\\\]", "_")), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(subjectAlt(address)))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(authority.cert()));
            X509Certificate cert = sign(builder, authority.key());
            return new Issued(pem(cert), pem(pair.getPrivate()), serial.toString(16), address, notBefore, notAfter);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a certificate for " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether a stored certificate must be replaced: it is not signed by the CA in use (the operator changed CA), it
     * names another address (the host's storage address changed), or less than the renewal window is left.
     */
    public boolean needsNew(String certPem, String subjectAlt, String address, Instant notAfter, Instant now) {
        if (certPem == null || !address.equals(subjectAlt) || !notAfter.isAfter(now.plus(config.renewWindow()))) {
            return true;
        }
        try {
            parseCert(certPem).verify(ca().cert().getPublicKey());
            return false;
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return true;
        }
    }

    /** Trusts certificates issued by the CA in use, and nothing else (the CA is read when first needed). */
    public X509TrustManager trustManager() {
        return delegating;
    }

    /** A TLS context for Berth's clients of tenants' instances: this CA only, host names verified by the client. */
    public SSLContext sslContext() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {delegating}, random);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Forgets the CA read so far (an operator's files replaced; tests). The next use reads it again. */
    public void reload() {
        ca = null;
    }

    // ------------------------------------------------------------------ internals

    private Ca ca() {
        Ca known = ca;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (ca == null) {
                ca = load();
            }
            return ca;
        }
    }

    private Ca load() {
        try {
            if (config.caCertFile().isPresent() != config.caKeyFile().isPresent()) {
                throw new IllegalStateException("berth.storage.tls.ca-cert-file and ca-key-file go together: set both or neither");
            }
            if (config.caCertFile().isPresent()) {
                String certPem = Files.readString(Path.of(config.caCertFile().get()));
                String keyPem = Files.readString(Path.of(config.caKeyFile().get()));
                return ca(certPem, parseKey(keyPem));
            }
            TlsAuthorityRow row = QuarkusTransaction.requiringNew().call(() -> TlsAuthorityRow.findById(1));
            if (row == null) {
                Issued made = makeCa();
                try {
                    QuarkusTransaction.requiringNew().run(() -> {
                        var r = new TlsAuthorityRow();
                        r.id = 1;
                        r.certPem = made.certPem();
                        r.keySealed = secrets.seal(made.keyPem());
                        r.createdAt = Instant.now();
                        r.persist();
                    });
                } catch (RuntimeException e) {
                    // another replica made it at the same moment: the primary key kept theirs, use it
                    if (QuarkusTransaction.requiringNew().call(() -> TlsAuthorityRow.findById(1)) == null) {
                        throw new IllegalStateException("cannot store the storage CA: " + e.getMessage(), e);
                    }
                }
                row = QuarkusTransaction.requiringNew().call(() -> TlsAuthorityRow.findById(1));
            }
            return ca(row.certPem, parseKey(secrets.open(row.keySealed)));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the storage CA: " + e.getMessage(), e);
        }
    }

    private Ca ca(String certPem, PrivateKey key) throws IOException, GeneralSecurityException {
        X509Certificate cert = parseCert(certPem);
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("berth-storage-ca", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
        return new Ca(certPem.strip() + "\n", cert, key, tm);
    }

    private Issued makeCa() {
        try {
            KeyPair pair = ecKeyPair();
            Instant notBefore = Instant.now().minus(Duration.ofMinutes(5));
            Instant notAfter = notBefore.plus(config.caLifetime());
            BigInteger serial = new BigInteger(128, random);
            // The random part tells two deployments' CAs apart in a VM's trust store.
            X500Name name = new X500Name("CN=Berth storage CA " + serial.toString(16).substring(0, 8) + ",O=Berth");
            var ext = new JcaX509ExtensionUtils();
            org.bouncycastle.cert.X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial, Date.from(notBefore), Date.from(notAfter), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0)) // issues leaf certificates only
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            return new Issued(pem(cert), pem(pair.getPrivate()), serial.toString(16), name.toString(), notBefore, notAfter);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot make the storage CA: " + e.getMessage(), e);
        }
    }

    private KeyPair ecKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder builder, PrivateKey key)
            throws org.bouncycastle.operator.OperatorCreationException, CertificateException {
        String algorithm = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : SIGNATURE; // an operator's CA may be RSA
        X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder(algorithm).build(key));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    static GeneralName[] subjectAlt(String address) {
        boolean ip = address.contains(":") || address.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        return new GeneralName[] {new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, address)};
    }

    static X509Certificate parseCert(String pem) throws IOException, CertificateException {
        try (var parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (!(o instanceof X509CertificateHolder holder)) {
                throw new CertificateException("not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        }
    }

    static PrivateKey parseKey(String pem) throws IOException {
        try (var parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            var converter = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IOException("not a PEM private key (PKCS#8, RSA or EC)");
        }
    }

    static String pem(Object o) throws IOException {
        var out = new StringWriter();
        try (var w = new JcaPEMWriter(out)) {
            w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
        }
        return out.toString();
    }

    /** Delegates to the current CA's trust manager, so a CA read later (or changed) needs no new client. */
    private final X509ExtendedTrustManager delegating = new X509ExtendedTrustManager() {
        private X509ExtendedTrustManager tm() {
            return (X509ExtendedTrustManager) ca().trust();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("Berth's storage clients authenticate no clients");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tm().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            tm().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            tm().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {ca().cert()};
        }
    };
}
