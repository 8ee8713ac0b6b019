package dev.berth.hosts;

import dev.berth.support.SilentServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * DockerConnector against the local engine (unix socket), against loopback sockets that refuse or hang, and against
 * malformed TLS material. Mutual TLS against a real engine with --tlsverify: {@code storage.DockerTlsEngineTest}. Certificates are made per run with the
 * JDK's keytool; nothing leaves 127.0.0.1.
 */
@Tag(DatabasePass.INDEPENDENT)
class DockerConnectorTest {
    private static final Path LOCAL_SOCKET = Path.of("/var/run/docker.sock");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String PASS = "test-store-pass";

    @TempDir
    static Path dir;

    /** engine: self-signed for IP 127.0.0.1 (it is also the CA we trust). client: self-signed RSA. */
    static String enginePem;
    static String clientCertPem;
    static String clientKeyPem;
    static KeyStore engineStore;
    static KeyStore clientStore;

    private final DockerConnector connector = new DockerConnector();

    @BeforeAll
    static void makeCertificates() throws Exception {
        engineStore = keytool("engine", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1");
        clientStore = keytool("client", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=berth-test-client");
        enginePem = pem("CERTIFICATE", engineStore.getCertificate("engine").getEncoded());
        clientCertPem = pem("CERTIFICATE", clientStore.getCertificate("client").getEncoded());
        clientKeyPem = pem("PRIVATE KEY", clientStore.getKey("client", PASS.toCharArray()).getEncoded());
    }

    @Test
    @Timeout(60)
    void localEngineGivesWhatItsInfoEndpointSays() throws Exception {
        // The same engine asked without docker-java, before and after. Other suites create and remove containers on
        // it, so the counts are compared on a round in which they did not change around the probe.
        HostFacts facts;
        JsonNode info;
        while (true) {
            JsonNode before = rawInfo(LOCAL_SOCKET);
            facts = connector.probe(new Endpoint("unix://" + LOCAL_SOCKET, null), TIMEOUT);
            info = rawInfo(LOCAL_SOCKET);
            if (before.get("Containers").equals(info.get("Containers"))
                    && before.get("ContainersRunning").equals(info.get("ContainersRunning"))) {
                break;
            }
        }
        assertTrue(facts.cpus() > 0);
        assertTrue(facts.memoryBytes() > 0);
        assertFalse(facts.version().isBlank());
        assertEquals(info.get("NCPU").asInt(), facts.cpus());
        assertEquals(info.get("MemTotal").asLong(), facts.memoryBytes());
        assertEquals(info.get("ServerVersion").asText(), facts.version());
        assertEquals(info.get("Containers").asInt(), facts.containers());
        assertEquals(info.get("ContainersRunning").asInt(), facts.runningContainers());
        assertNull(facts.freeMemoryBytes(), "docker info has no free memory");
        assertNull(facts.runningDomains());
        assertNull(facts.totalDomains());
    }

    @Test
    @Timeout(60)
    void aHangingTcpEndpointTimesOut() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            String uri = "tcp://127.0.0.1:" + silent.port();

            HostProbeException e = assertThrows(HostProbeException.class,
                    () -> connector.probe(new Endpoint(uri, null), Duration.ofSeconds(2)));

            assertEquals("timed out after 2s connecting to " + uri, e.getMessage());
            assertTrue(silent.acceptedConnections() >= 1);
            // The probe thread was interrupted and closed its connections: it does not linger like libvirt's.
            while (silent.hungUpByClient() < silent.acceptedConnections()) {
                Thread.sleep(50);
            }
        }
    }

    @Test
    @Timeout(60)
    void aHangingUnixSocketTimesOut() throws Exception {
        // docker-java's unix socket has no read timeout: only the probe's own deadline ends this wait.
        Path path = dir.resolve("silent.sock");
        List<SocketChannel> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel silent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.bind(UnixDomainSocketAddress.of(path));
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            String uri = "unix://" + path;

            HostProbeException e = assertThrows(HostProbeException.class,
                    () -> connector.probe(new Endpoint(uri, null), Duration.ofSeconds(2)));

            assertEquals("timed out after 2s connecting to " + uri, e.getMessage());
            assertFalse(accepted.isEmpty(), "the probe connected and then waited");
        } finally {
            for (SocketChannel channel : accepted) {
                channel.close();
            }
        }
    }

    @Test
    @Timeout(60)
    void aHangingTlsHandshakeTimesOut() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            String uri = "tcp://127.0.0.1:" + silent.port();

            HostProbeException e = assertThrows(HostProbeException.class,
                    () -> connector.probe(new Endpoint(uri, validTls()), Duration.ofSeconds(2)));

            assertEquals("timed out after 2s connecting to " + uri, e.getMessage());
        }
    }

    @Test
    @Timeout(60)
    void aRefusedPortSaysConnectionRefused() throws Exception {
        String uri = "tcp://127.0.0.1:" + SilentServer.refusedPort();

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint(uri, null), TIMEOUT));

        assertEquals("connection refused: " + uri, e.getMessage());
    }

    @Test
    void aMissingUnixSocketSaysSo() {
        Path missing = dir.resolve("nope.sock");

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("unix://" + missing, null), TIMEOUT));

        assertEquals("no such socket: " + missing, e.getMessage());
    }

    @Test
    @Timeout(60)
    void aUnixPathWithoutListenerSaysConnectionRefused() throws Exception {
        Path dead = dir.resolve("dead.sock");
        try (SocketChannel listener = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dead)); // the socket file exists, nobody listens
            String uri = "unix://" + dead;

            HostProbeException e = assertThrows(HostProbeException.class,
                    () -> connector.probe(new Endpoint(uri, null), TIMEOUT));

            assertEquals("connection refused: " + uri, e.getMessage());
        }
    }

    @Test
    void otherSchemesAreRefusedWithTheFormsWeAccept() {
        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("http://127.0.0.1:2375", null), TIMEOUT));
        assertEquals("unsupported Docker endpoint http://127.0.0.1:2375: use unix:///path/docker.sock or tcp://host:port",
                e.getMessage());
    }

    @Test
    void aMalformedKeyGivesAClearErrorWithoutTheKey() {
        String secret = "U0VDUkVULUtFWS1NQVRFUklBTC1ETy1OT1QtTE9H"; // valid Base64, not a key
        var tls = new Endpoint.TlsMaterial(enginePem, clientCertPem,
                "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("tcp://127.0.0.1:2376", tls), TIMEOUT));

        assertEquals("client key PEM is malformed: not a PKCS#8 RSA, EC or EdDSA private key", e.getMessage());
        assertNoSecret(e, secret);
    }

    @Test
    void aKeyWithBrokenBase64GivesAClearErrorWithoutTheKey() {
        String secret = "not*base64*SECRET";
        var tls = new Endpoint.TlsMaterial(enginePem, clientCertPem,
                "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("tcp://127.0.0.1:2376", tls), TIMEOUT));

        assertEquals("client key PEM is malformed: its body is not Base64", e.getMessage());
        assertNoSecret(e, secret);
    }

    @Test
    void aPkcs1KeyIsRefusedWithTheConversionCommand() {
        String secret = "TUlJRW93SUJBQUtDQVFFQXNlY3JldA==";
        var tls = new Endpoint.TlsMaterial(enginePem, clientCertPem,
                "-----BEGIN RSA PRIVATE KEY-----\n" + secret + "\n-----END RSA PRIVATE KEY-----\n");

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("tcp://127.0.0.1:2376", tls), TIMEOUT));

        assertTrue(e.getMessage().startsWith("client key is PKCS#1 (BEGIN RSA PRIVATE KEY)"), e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
        assertNoSecret(e, secret);
    }

    @Test
    void aMalformedCaCertificateIsNamed() {
        var tls = new Endpoint.TlsMaterial("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                clientCertPem, clientKeyPem);

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("tcp://127.0.0.1:2376", tls), TIMEOUT));

        assertTrue(e.getMessage().startsWith("CA certificate PEM is malformed"), e.getMessage());
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        var swapped = new Endpoint.TlsMaterial(enginePem, enginePem, clientKeyPem);

        HostProbeException e = assertThrows(HostProbeException.class,
                () -> connector.probe(new Endpoint("tcp://127.0.0.1:2376", swapped), TIMEOUT));

        assertEquals("client certificate (CN=127.0.0.1) does not belong to the client key", e.getMessage());
    }

    @Test
    void tlsMaterialHidesTheKeyInItsToString() {
        assertFalse(validTls().toString().contains("PRIVATE KEY"));
    }

    // --- helpers --------------------------------------------------------------------------------------------

    private static Endpoint.TlsMaterial validTls() {
        return new Endpoint.TlsMaterial(enginePem, clientCertPem, clientKeyPem);
    }

    private static void assertNoSecret(Throwable e, String secret) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(secret), "key material in: " + t);
        }
    }

    /** A key pair and self-signed certificate from the JDK's own keytool, valid for one day. */
    private static KeyStore keytool(String alias, String... options) throws Exception {
        Path store = dir.resolve(alias + ".p12");
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", alias, "-validity", "1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", PASS, "-keypass", PASS));
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), "keytool: " + output);
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keyStore.load(in, PASS.toCharArray());
        }
        return keyStore;
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /** GET /info straight over the unix socket (HTTP/1.0: the engine closes when done). */
    private static JsonNode rawInfo(Path socket) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap("GET /info HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                response.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = response.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("HTTP/1.0 200") || text.startsWith("HTTP/1.1 200"), text);
            return new ObjectMapper().readTree(text.substring(text.indexOf("\r\n\r\n") + 4));
        }
    }

    /** The PEM texts given to the connector are the stores' own certificates and key, for the names the tests use. */
    @Test
    void theTestCertificatesAreWhatTheTestsAssume() throws Exception {
        var x509 = java.security.cert.CertificateFactory.getInstance("X.509");
        var engine = (java.security.cert.X509Certificate) x509.generateCertificate(
                new java.io.ByteArrayInputStream(enginePem.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(engineStore.getCertificate("engine"), engine);
        assertTrue(engine.getSubjectAlternativeNames().stream().anyMatch(san -> (Integer) san.get(0) == 7 && "127.0.0.1".equals(san.get(1))),
                "engine certificate for IP 127.0.0.1: " + engine.getSubjectAlternativeNames());
        var client = (java.security.cert.X509Certificate) x509.generateCertificate(
                new java.io.ByteArrayInputStream(clientCertPem.getBytes(StandardCharsets.US_ASCII)));
        assertEquals("CN=berth-test-client", client.getSubjectX500Principal().getName());
        PrivateKey key = (PrivateKey) clientStore.getKey("client", PASS.toCharArray());
        String body = clientKeyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey fromPem = java.security.KeyFactory.getInstance("RSA")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        assertEquals(key, fromPem);
        assertTrue(clientKeyPem.startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8, the form the connector reads");
    }
}
