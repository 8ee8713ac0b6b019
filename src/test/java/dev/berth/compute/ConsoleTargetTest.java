package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.Outcome;
import dev.berth.compute.ConsoleTest.Rfb;
import dev.berth.support.DemoUser;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where a console may connect, and what anonymous junk costs. Test-driver domains (a host XML written at run time)
 * whose {@code <graphics>} name TCP servers of this test on 127.0.0.1: an HTTP server, one that says nothing, a
 * fake VNC server, a port below the console range and Keycloak's 8180. Only the fake VNC server is relayed.
 * Shares the application of {@link ConsoleTest} (same profile).
 */
@QuarkusTest
@TestProfile(RealQemuTest.RealHost.class)
class ConsoleTargetTest {
    static final String HTTP_ANSWER = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nnot a VNC one\n";
    static final String DESKTOP = "berth-fake-vnc";

    static Path dir;
    static FakeServer http;
    static FakeServer silent;
    static FakeServer vnc;
    static ServerSocketChannel below; // a listener on a port under the console range: it must never see a connection
    static Map<String, String> uuids = new java.util.HashMap<>();
    static Integer host;
    static Map<String, Integer> machines = new java.util.HashMap<>();
    static int port;

    @TestHTTPResource("/")
    URL portal;

    @BeforeAll
    static void serversAndHost() throws Exception {
        http = new FakeServer(FakeServer::http);
        silent = new FakeServer(FakeServer::silent);
        vnc = new FakeServer(FakeServer::vnc);
        below = belowTheRange();
        dir = Files.createTempDirectory("berth-console-target-");
        StringBuilder domains = new StringBuilder();
        domain(domains, "http", http.port());
        domain(domains, "silent", silent.port());
        domain(domains, "vnc", vnc.port());
        domain(domains, "below", ((InetSocketAddress) below.getLocalAddress()).getPort());
        domain(domains, "keycloak", 8180); // what the report showed: Keycloak's answer in alice's console
        Files.writeString(dir.resolve("host.xml"), """
                <node>
                  <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads><mhz>2400</mhz><model>x86_64</model></cpu>
                  <memory>8388608</memory>
                %s</node>
                """.formatted(domains));
    }

    /** A running test-driver domain whose VNC display is "listening" on 127.0.0.1:port. */
    static void domain(StringBuilder out, String role, int port) {
        String uuid = UUID.randomUUID().toString();
        uuids.put(role, uuid);
        out.append("""
                  <domain type='test'>
                    <name>target-%s</name>
                    <uuid>%s</uuid>
                    <memory unit='KiB'>65536</memory>
                    <vcpu>1</vcpu>
                    <os><type arch='x86_64'>hvm</type></os>
                    <devices><graphics type='vnc' port='%d' autoport='no' listen='127.0.0.1'/></devices>
                  </domain>
                """.formatted(role, uuid, port));
    }

    static ServerSocketChannel belowTheRange() throws IOException {
        for (int p = 5899; p >= 5800; p--) {
            try {
                ServerSocketChannel c = ServerSocketChannel.open();
                c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                c.configureBlocking(false);
                return c;
            } catch (IOException e) {
                // taken: the next one
            }
        }
        throw new IOException("no free port in 5800-5899 on 127.0.0.1");
    }

    @BeforeEach
    void registered() {
        if (host != null) {
            return;
        }
        port = portal.getPort();
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        host = as(DemoUser.CAROL).body(Map.of("name", unique("console-target"), "kind", "KVM",
                        "uri", "test://" + dir.resolve("host.xml").toAbsolutePath()))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        for (var role : uuids.entrySet()) {
            machines.put(role.getKey(), MachinesApiTest.assign("acme", host, role.getValue()).get(0));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (host != null) {
                as(DemoUser.CAROL).port(port).body(Map.of("ids", List.copyOf(machines.values()))).when()
                        .delete("/api/v1/admin/vms/assignments").then().statusCode(204);
                as(DemoUser.CAROL).port(port).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
            }
        } finally {
            for (var s : new AutoCloseable[] {http, silent, vnc, below}) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    // --------------------------------------------------------------------------------------------- the target

    @Test
    @Timeout(180) // hang guards, not measurements
    void aServerThatDoesNotGreetAsVncGetsNoByteRelayedEitherWay() throws Exception {
        try (Rfb viewer = open("http")) {
            // what an attacker's page would send through the tunnel: it must never reach the server
            viewer.send("GET /realms/berth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Rfb.Closed closed = viewer.closed();
            assertEquals(ConsoleService.CLOSE_UNREACHABLE, closed.code(), closed.toString());
            assertTrue(closed.reason().contains("not a VNC server"), closed.reason());
            assertEquals(0, viewer.received(), "not one byte of the HTTP answer reached the browser");
        }
        assertEquals(0L, http.bytesFromClient(), "not one byte of the browser reached the server");
        ConsoleTest.awaitAudit("console.open", "DENIED", "target-http", "no RFB greeting");
        notOpened("target-http");
    }

    @Test
    @Timeout(180)
    void aServerThatSaysNothingIsClosedWhenNoGreetingComes() throws Exception {
        try (Rfb viewer = open("silent")) {
            viewer.send("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            Rfb.Closed closed = viewer.closed(); // after berth.console.connect-timeout
            assertEquals(ConsoleService.CLOSE_UNREACHABLE, closed.code(), closed.toString());
            assertTrue(closed.reason().contains("not a VNC server"), closed.reason());
            assertEquals(0, viewer.received());
        }
        assertEquals(0L, silent.bytesFromClient(), "nothing of the browser reached the server");
        ConsoleTest.awaitAudit("console.open", "DENIED", "target-silent", "no RFB greeting");
        notOpened("target-silent");
    }

    @Test
    @Timeout(180)
    void portsOutsideTheConsoleRangeAreRefusedBeforeConnecting() throws Exception {
        int low = ((InetSocketAddress) below.getLocalAddress()).getPort();
        for (var role : Map.of("below", low, "keycloak", 8180).entrySet()) {
            try (Rfb viewer = open(role.getKey())) {
                Rfb.Closed closed = viewer.closed();
                assertEquals(ConsoleService.CLOSE_REFUSED, closed.code(), role + ": " + closed);
                assertTrue(closed.reason().contains("port " + role.getValue()), closed.reason());
                assertEquals(0, viewer.received());
            }
            ConsoleTest.awaitAudit("console.open", "DENIED", "target-" + role.getKey(), "port " + role.getValue());
            notOpened("target-" + role.getKey());
        }
        // The refusal came before any connect: nothing is waiting in the listener's accept queue.
        assertNull(below.accept(), "Berth connected to a port outside the console range");
    }

    @Test
    @Timeout(180)
    void aVncServerStillOpensEndToEnd() throws Exception {
        try (Rfb viewer = open("vnc")) {
            assertEquals(DESKTOP, viewer.handshake(0));
            viewer.frameUpdate();
        }
        assertEquals(1, vnc.sharedFlag.poll(60, TimeUnit.SECONDS), "the ClientInit reached the server, made shared");
        ConsoleTest.awaitAudit("console.open", "OK", "target-vnc", "VNC at 127.0.0.1:" + vnc.port());
        ConsoleTest.awaitAudit("console.close", "OK", "target-vnc", "closed by the viewer");
    }

    // --------------------------------------------------------------------------------------------- junk tickets

    @jakarta.inject.Inject
    ConsoleService consoles;
    @jakarta.inject.Inject
    ConsoleConfig config;

    @Test
    @Timeout(300)
    void junkTicketsAreAllCountedButOnlyABoundedNumberIsAudited() throws Exception {
        // One window for the whole test, started empty: a minute turning over mid-test would allow a second bound.
        consoles.useClock(java.time.Clock.fixed(java.time.Instant.parse("2030-01-01T00:00:30Z"), java.time.ZoneOffset.UTC));
        consoles.resetRefusalAudits();
        try {
            sendJunk();
        } finally {
            consoles.useClock(null);
            consoles.resetRefusalAudits(); // ConsoleTest's refusals from this address are audited again
        }
    }

    void sendJunk() throws Exception {
        long junkMachine = 1_000_000_000L + (System.nanoTime() & 0xffffff); // a machine nobody has: only junk names it
        String target = "machine " + junkMachine;
        double countedBefore = refusedMetric("");
        double unauditedBefore = refusedMetric("audited=\"false\"");
        int connections = 200;
        var client = HttpClient.newHttpClient();
        var closes = new ArrayList<CompletableFuture<Integer>>();
        for (int i = 0; i < connections; i++) {
            // half without a ticket, half with one nobody issued
            String query = i % 2 == 0 ? "" : "?ticket=" + UUID.randomUUID().toString().replace("-", "");
            closes.add(junk(client, URI.create("ws://" + portal.getHost() + ":" + port + ConsoleService.WEBSOCKET_PATH
                    + junkMachine + query)));
            if (closes.size() % 20 == 0) { // 20 at a time
                for (var c : closes.subList(closes.size() - 20, closes.size())) {
                    assertEquals(ConsoleService.CLOSE_REFUSED, c.get(60, TimeUnit.SECONDS));
                }
            }
        }
        // Each refusal is audited (or not) before its close frame is sent: the count is final now.
        long audited = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = ?1 and target = ?2 and outcome = ?3", "console.open", target, Outcome.DENIED));
        assertEquals(config.auditRefusalsPerAddress(), audited, "audit rows for " + connections + " junk tickets from one address");
        assertEquals(10, config.auditRefusalsPerAddress(), "the documented default");
        assertEquals(connections, refusedMetric("") - countedBefore, 0.0, "every refusal counted");
        assertEquals(connections - audited, refusedMetric("audited=\"false\"") - unauditedBefore, 0.0, "the rest counted as not audited");
    }

    // --------------------------------------------------------------------------------------------- helpers

    Rfb open(String role) {
        var t = ConsoleTest.ticket(DemoUser.ALICE, "/api/v1/vms/" + machines.get(role) + "/console");
        return Rfb.open(URI.create("ws://" + portal.getHost() + ":" + portal.getPort() + t.getString("websocketPath")
                + "?ticket=" + t.getString("ticket")), null);
    }

    static void notOpened(String machineName) {
        long opened = QuarkusTransaction.requiringNew().call(() -> AuditEvent.count(
                "action = ?1 and target = ?2 and outcome = ?3", "console.open", machineName, Outcome.OK));
        assertEquals(0, opened, machineName + " was never reported open");
    }

    /** Sum of berth_console_tickets_refused_total over the series whose tags contain {@code tag}, as Prometheus scrapes it. */
    static double refusedMetric(String tag) {
        String text = RestAssured.given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(l -> l.startsWith("berth_console_tickets_refused_total{") && l.contains(tag))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Opens a console WebSocket with a junk ticket; completes with the close code. */
    static CompletableFuture<Integer> junk(HttpClient client, URI uri) {
        var closed = new CompletableFuture<Integer>();
        var received = new AtomicLong();
        client.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                received.addAndGet(data.remaining());
                ws.request(1);
                return null;
            }

            @Override
            public java.util.concurrent.CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                closed.complete(received.get() == 0 ? code : -1);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closed.completeExceptionally(error);
            }
        }).exceptionally(e -> {
            closed.completeExceptionally(e);
            return null;
        });
        return closed;
    }

    /** A TCP server on 127.0.0.1 for the domains to point at; counts what the client sends until it hangs up. */
    static final class FakeServer implements AutoCloseable {
        interface Behaviour {
            void serve(FakeServer server, Socket socket, InputStream in, OutputStream out) throws IOException;
        }

        private final ServerSocket socket;
        private final AtomicLong fromClient = new AtomicLong();
        private final LinkedBlockingQueue<Long> hungUp = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<Integer> sharedFlag = new LinkedBlockingQueue<>();

        FakeServer(Behaviour behaviour) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().name("fake-server-" + socket.getLocalPort()).start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        Thread.ofVirtual().start(() -> {
                            try (s) {
                                behaviour.serve(this, s, s.getInputStream(), s.getOutputStream());
                            } catch (IOException e) {
                                // the proxy hung up
                            } finally {
                                hungUp.add(fromClient.get());
                            }
                        });
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        /** Bytes the client had sent when its (last) connection ended: waits for that end. */
        long bytesFromClient() throws InterruptedException {
            Long n = hungUp.poll(60, TimeUnit.SECONDS);
            assertFalse(n == null, "the connection to the fake server on port " + port() + " never ended");
            return n;
        }

        /** Reads and counts until the client hangs up. */
        void drain(InputStream in) throws IOException {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                fromClient.addAndGet(n);
            }
        }

        byte[] read(InputStream in, int n) throws IOException {
            byte[] b = in.readNBytes(n);
            fromClient.addAndGet(b.length);
            if (b.length < n) {
                throw new IOException("client hung up");
            }
            return b;
        }

        /** Answers at once, as a web server asked "GET /" would, ends its side, and reads whatever comes. */
        static void http(FakeServer server, Socket socket, InputStream in, OutputStream out) throws IOException {
            out.write(HTTP_ANSWER.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.shutdownOutput(); // a proxy that relays would now close the console "normally", with the answer shown
            server.drain(in);
        }

        /** Accepts and says nothing, like a service that waits for its client to speak first. */
        static void silent(FakeServer server, Socket socket, InputStream in, OutputStream out) throws IOException {
            server.drain(in);
        }

        /** RFB 3.8, security None, a 640x480 desktop; answers one update request with an empty update. */
        static void vnc(FakeServer server, Socket socket, InputStream in, OutputStream out) throws IOException {
            out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            server.read(in, 12);
            out.write(new byte[] {1, 1}); // one security type: None
            out.flush();
            server.read(in, 1);
            out.write(new byte[4]); // SecurityResult OK
            out.flush();
            server.sharedFlag.add((int) server.read(in, 1)[0]);
            byte[] name = DESKTOP.getBytes(StandardCharsets.US_ASCII);
            ByteBuffer init = ByteBuffer.allocate(24 + name.length);
            init.putShort((short) 640).putShort((short) 480);
            init.put(new byte[] {32, 24, 0, 1, 0, (byte) 255, 0, (byte) 255, 0, (byte) 255, 16, 8, 0, 0, 0, 0});
            init.putInt(name.length).put(name);
            out.write(init.array());
            out.flush();
            server.read(in, 10); // FramebufferUpdateRequest
            out.write(new byte[] {0, 0, 0, 0}); // FramebufferUpdate, no rectangles
            out.flush();
            server.drain(in);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
