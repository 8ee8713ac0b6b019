package dev.berth.hosts;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.transport.SSLConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * How Berth talks to a Docker engine, shared by the host probe and the storage adapter: docker-java with the
 * Apache HttpClient 5 transport over {@code unix:///path} or {@code tcp://host:port}, the latter with client
 * TLS when the endpoint carries PEM material.
 *
 * <p>The HTTP client has connect and response timeouts, but a unix socket ignores read timeouts and a TLS
 * handshake has its own waits, so every call also runs on its own thread bounded by {@code timeout}.
 * On timeout that thread is interrupted and the client closed, which closes its connections.
 *
 * <p>TLS keys never touch the disk: the PEMs are parsed with the JDK (X.509 via {@link CertificateFactory},
 * PKCS#8 keys via {@link KeyFactory}) into an in-memory key store. Error messages name the PEM that is wrong,
 * never its content.
 *
 * <p>Only the Docker adapters (this class, {@link DockerConnector}, {@code storage.instance.DockerRuntime}) import
 * {@code com.github.dockerjava}.
 */
public final class DockerClients {
    private static final String CONVERT_HINT = "convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem";
    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private DockerClients() {
    }

    /** Work done with a connected client; the client is closed afterwards. */
    @FunctionalInterface
    public interface Call<T> {
        T apply(DockerClient client) throws Exception;
    }

    /** The engine answered, with an error status: the host is reachable, the request was refused. */
    public static final class EngineAnswered extends HostProbeException {
        private final int status;

        EngineAnswered(String message, int status, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * Connects, runs {@code work}, disconnects; returns or throws within {@code timeout} (plus a small margin)
     * even when the engine accepts the connection and then never answers.
     *
     * @throws EngineAnswered when the engine refused the request (HTTP error status)
     * @throws HostProbeException when the engine could not be reached, timed out, or the endpoint is wrong
     */
    public static <T> T call(Endpoint endpoint, Duration timeout, Call<T> work) throws HostProbeException {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        URI uri = parseEndpoint(endpoint);
        // Built before any connection: a broken PEM is the admin's mistake, not the host's.
        SSLContext tls = endpoint.tls() == null ? null : PemTls.sslContext(endpoint.tls());

        // Built here, not in the worker, so that a timeout can close it from this thread: the interrupt alone is
        // not enough, because HttpClient treats the ClosedByInterruptException as retryable and reconnects (a
        // unix socket then waits forever for an engine that never answers). Closing the client closes its
        // connections, which ends any wait, and a retry finds the pool shut down.
        DockerHttpClient http = httpClient(uri, tls, timeout);
        FutureTask<T> task = new FutureTask<>(() -> {
            try (http; DockerClient client = DockerClientImpl.getInstance(config(uri), http)) {
                return work.apply(client);
            }
        });
        // A platform thread, not a virtual one: docker-java reads unix sockets through JNA, and a native read pins
        // its carrier. A few engines that never answer would otherwise pin every carrier and stall all of
        // Berth's virtual threads (seen in DockerConnectorTest on 2 cores).
        Thread.ofPlatform().daemon().name("docker-call").start(task);
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(task, http);
            throw timedOut(uri, timeout);
        } catch (ExecutionException e) {
            throw toProbeException(uri, timeout, e.getCause());
        } catch (InterruptedException e) {
            abandon(task, http);
            Thread.currentThread().interrupt();
            throw new HostProbeException("interrupted while calling " + uri, e);
        }
    }

    private static void abandon(FutureTask<?> task, DockerHttpClient http) {
        task.cancel(true);
        try {
            http.close();
        } catch (IOException | RuntimeException e) {
            // closing is all that is left to do; the caller already reports the timeout
        }
    }

    private static DefaultDockerClientConfig config(URI uri) {
        // Not createDefaultConfigBuilder(): DOCKER_HOST, DOCKER_CERT_PATH and friends of the portal's own
        // environment must not leak into calls to registered hosts. TLS comes from the endpoint's PEMs only.
        return new DefaultDockerClientConfig.Builder()
                .withDockerHost(uri.toString())
                .withDockerTlsVerify(false)
                .build();
    }

    private static DockerHttpClient httpClient(URI uri, SSLContext tls, Duration timeout) {
        SSLConfig sslConfig = tls == null ? null : () -> tls;
        return new ApacheDockerHttpClient.Builder()
                .dockerHost(uri)
                .sslConfig(sslConfig)
                .maxConnections(2)
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build();
    }

    private static URI parseEndpoint(Endpoint endpoint) throws HostProbeException {
        String text = endpoint.uri();
        if (text == null || text.isBlank()) {
            throw new HostProbeException("no Docker endpoint given (unix:///path/docker.sock or tcp://host:port)");
        }
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new HostProbeException("not a Docker endpoint URI: " + text + " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "unix" -> {
                if (endpoint.tls() != null) {
                    throw new HostProbeException("TLS material is only used with tcp:// endpoints, not " + text);
                }
                String path = uri.getPath();
                if (path == null || path.isEmpty()) {
                    throw new HostProbeException("no socket path in " + text + " (use unix:///var/run/docker.sock)");
                }
                // Checked here because docker-java only says "No such file or directory" without the path.
                if (!Files.exists(Path.of(path))) {
                    throw new HostProbeException("no such socket: " + path);
                }
            }
            case "tcp" -> {
                if (uri.getHost() == null || uri.getPort() < 0) {
                    throw new HostProbeException("a tcp:// Docker endpoint needs a host and a port: " + text);
                }
            }
            default -> throw new HostProbeException(
                    "unsupported Docker endpoint " + text + ": use unix:///path/docker.sock or tcp://host:port");
        }
        return uri;
    }

    private static HostProbeException timedOut(URI uri, Duration timeout) {
        return new HostProbeException("timed out after " + describe(timeout) + " connecting to " + uri);
    }

    /** Walks the cause chain (docker-java wraps I/O errors in RuntimeException) to the reason an admin can act on. */
    private static HostProbeException toProbeException(URI uri, Duration timeout, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DockerException e) {
                return new EngineAnswered("Docker engine at " + uri + " answered HTTP " + e.getHttpStatus()
                        + ": " + String.valueOf(e.getMessage()).strip(), e.getHttpStatus(), e);
            }
            if (t instanceof SocketTimeoutException || t instanceof InterruptedIOException) {
                return new HostProbeException(timedOut(uri, timeout).getMessage(), failure);
            }
            String reason = t.getMessage() == null ? "" : t.getMessage();
            // tcp gives a ConnectException, a unix socket without a listener a plain SocketException
            if (t instanceof IOException && reason.contains("Connection refused")) {
                return new HostProbeException("connection refused: " + uri, failure);
            }
            if (t instanceof ConnectException) {
                return new HostProbeException("cannot connect to " + uri + ": " + reason, failure);
            }
            if (t instanceof NoSuchFileException) {
                return new HostProbeException("no such socket: " + uri.getPath(), failure);
            }
            if (t instanceof UnknownHostException) {
                return new HostProbeException("unknown host: " + uri.getHost(), failure);
            }
            if (t instanceof SSLException) {
                return new HostProbeException("TLS with " + uri + " failed: " + reason, failure);
            }
        }
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new HostProbeException("probe of " + uri + " failed: " + root, failure);
    }

    /** "2s", or "1500ms" when the timeout is not whole seconds. */
    static String describe(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }

    /**
     * Client TLS from PEM text, in memory. Exceptions carry no cause from key parsing and never quote the PEM:
     * the key is a secret and HostProbeException messages are shown and logged.
     */
    static final class PemTls {
        private PemTls() {
        }

        static SSLContext sslContext(Endpoint.TlsMaterial material) throws HostProbeException {
            List<X509Certificate> cas = certificates("CA certificate", material.caPem());
            List<X509Certificate> chain = certificates("client certificate", material.certPem());
            PrivateKey key = privateKey(material.keyPem());
            requireMatch(chain.getFirst(), key);
            try {
                char[] password = randomPassword(); // the in-memory key store wants one; it never leaves this method
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, password);

                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, cas.get(i));
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);

                SSLContext context = SSLContext.getInstance("TLS");
                context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new HostProbeException("cannot build the TLS context from the endpoint's PEMs: "
                        + e.getClass().getSimpleName());
            }
        }

        private static List<X509Certificate> certificates(String what, String pem) throws HostProbeException {
            if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
                throw new HostProbeException(what + " is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
            }
            try {
                List<X509Certificate> certs = new ArrayList<>();
                for (Certificate c : CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                    certs.add((X509Certificate) c);
                }
                if (certs.isEmpty()) {
                    throw new HostProbeException(what + " PEM holds no certificate");
                }
                return certs;
            } catch (CertificateException e) {
                throw new HostProbeException(what + " PEM is malformed: " + e.getMessage());
            }
        }

        private static PrivateKey privateKey(String pem) throws HostProbeException {
            Matcher block = pem == null ? null : PEM_BLOCK.matcher(pem);
            if (block == null || !block.find()) {
                throw new HostProbeException("client key is not PEM (expected -----BEGIN PRIVATE KEY-----)");
            }
            String label = block.group(1);
            switch (label) {
                case "PRIVATE KEY" -> { }
                case "RSA PRIVATE KEY" -> throw new HostProbeException(
                        "client key is PKCS#1 (BEGIN RSA PRIVATE KEY); only PKCS#8 (BEGIN PRIVATE KEY) is supported: "
                                + CONVERT_HINT);
                case "EC PRIVATE KEY" -> throw new HostProbeException(
                        "client key is SEC1 (BEGIN EC PRIVATE KEY); only PKCS#8 (BEGIN PRIVATE KEY) is supported: "
                                + CONVERT_HINT);
                case "ENCRYPTED PRIVATE KEY" -> throw new HostProbeException(
                        "client key is encrypted; store it unencrypted in PKCS#8: " + CONVERT_HINT);
                default -> throw new HostProbeException(
                        "client key PEM holds " + label + ", not a private key (expected -----BEGIN PRIVATE KEY-----)");
            }
            byte[] der;
            try {
                // Strict decoder: the MIME one would silently skip stray characters of a damaged key.
                der = Base64.getDecoder().decode(block.group(2).replaceAll("\\s", ""));
            } catch (IllegalArgumentException e) {
                throw new HostProbeException("client key PEM is malformed: its body is not Base64");
            }
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
            // PKCS#8 names its algorithm inside; trying the JDK's factories is simpler than reading the DER.
            for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (GeneralSecurityException e) {
                    // not this algorithm (or not a key at all): try the next
                }
            }
            throw new HostProbeException("client key PEM is malformed: not a PKCS#8 RSA, EC or EdDSA private key");
        }

        /** Catches a swapped key or certificate here, with a clear message, instead of in the TLS handshake. */
        private static void requireMatch(X509Certificate cert, PrivateKey key) throws HostProbeException {
            String algorithm = switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA
            };
            try {
                byte[] challenge = new byte[32];
                new SecureRandom().nextBytes(challenge);
                Signature signer = Signature.getInstance(algorithm);
                signer.initSign(key);
                signer.update(challenge);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance(algorithm);
                verifier.initVerify(cert.getPublicKey());
                verifier.update(challenge);
                if (verifier.verify(signature)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // different key types: a mismatch as well
            }
            throw new HostProbeException("client certificate (" + cert.getSubjectX500Principal().getName()
                    + ") does not belong to the client key");
        }

        private static char[] randomPassword() {
            byte[] bytes = new byte[24];
            new SecureRandom().nextBytes(bytes);
            return Base64.getEncoder().encodeToString(bytes).toCharArray();
        }
    }
}
