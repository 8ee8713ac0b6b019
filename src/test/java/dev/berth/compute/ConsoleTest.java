package dev.berth.compute;

import static dev.berth.support.Api.as;
import static dev.berth.support.Api.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Consoles against a real QEMU domain (TCG, VNC on 127.0.0.1) on the local libvirtd: tickets through the API, the
 * RFB handshake through Berth's WebSocket proxy, every refused way in (each audited), shared mode with two viewers,
 * noVNC in headless Chromium, and a machine that shuts down under an open console. One domain for the class,
 * started once; the methods run in order and the last one shuts it down.
 */
@QuarkusTest
@TestProfile(RealQemuTest.RealHost.class) // the same longer libvirt timeout, so both classes share one application
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleTest {
    static final long WAIT_SECONDS = 90; // bounds for polling, not expectations

    static QemuDomain vm;
    static Integer host;
    static Integer fleet;
    static int machine;   // the real VM, assigned to acme
    static int other;     // a test-driver machine of acme without graphics
    static int port;      // RestAssured forgets the test port after each test; @AfterAll needs it

    @TestHTTPResource("/")
    URL portal;

    @BeforeAll
    static void defineAndStart() throws Exception {
        vm = QemuDomain.define("console");
        var start = vm.virsh(60, "start", vm.name);
        if (start.rc() != 0) {
            fail("virsh start " + vm.name + ": " + start.out().strip());
        }
    }

    @BeforeEach
    void assigned() throws Exception {
        if (host != null) {
            return;
        }
        port = portal.getPort();
        as(DemoUser.ALICE).when().get("/api/v1/me").then().statusCode(200);
        as(DemoUser.BOB).when().get("/api/v1/me").then().statusCode(200);
        MachinesApiTest.generousQuota("acme");
        host = as(DemoUser.CAROL).body(Map.of("name", unique("qemu-console"), "kind", "KVM", "uri", vm.uri))
                .when().post("/api/v1/admin/hosts").then().statusCode(201).extract().path("id");
        machine = MachinesApiTest.assign("acme", host, vm.uuid).get(0);
        fleet = MachinesApiTest.registerKvm("fleet-1.xml");
        other = MachinesApiTest.assign("acme", fleet, MachinesApiTest.VM02).get(0); // running, no <graphics>
        RealQemuTest.await("the guest's line \"berth-test-vm: up\"", WAIT_SECONDS, vm::guestUp);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (host != null) {
                as(DemoUser.CAROL).port(port).body(Map.of("ids", List.of(machine, other))).when()
                        .delete("/api/v1/admin/vms/assignments").then().statusCode(204);
                as(DemoUser.CAROL).port(port).when().delete("/api/v1/admin/hosts/" + host).then().statusCode(204);
                as(DemoUser.CAROL).port(port).when().delete("/api/v1/admin/hosts/" + fleet).then().statusCode(204);
            }
        } finally {
            if (vm != null) {
                vm.close();
            }
        }
    }

    // --------------------------------------------------------------------------------------------- the way in

    @Test
    @Order(1)
    @Timeout(180) // hang guards, not measurements
    void aFreshTicketOpensTheRfbStreamOfTheMachine() throws Exception {
        JsonPath t = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console");
        assertEquals("/console/ws/" + machine, t.getString("websocketPath"));
        assertEquals(43, t.getString("ticket").length(), "256 bits, base64url without padding");
        Instant expires = Instant.parse(t.getString("expiresAt"));
        assertTrue(expires.isAfter(Instant.now()), "expires in the future: " + expires);

        // the ticket alone authenticates the WebSocket: no cookie, no token
        try (Rfb viewer = Rfb.open(ws(t), null)) {
            assertEquals("QEMU (" + vm.name + ")", viewer.handshake(0), "QEMU names the desktop after the domain");
            viewer.frameUpdate();
        }
        awaitAudit("console.close", "OK", vm.name, "closed by the viewer");
        audited("console.open", "OK", vm.name, "VNC at 127.0.0.1:");
        audited("console.ticket", "OK", vm.name, "expires");
    }

    @Test
    @Order(2)
    @Timeout(180)
    void twoViewersAtOnceStayConnectedBecauseBerthKeepsThemShared() throws Exception {
        try (Rfb first = Rfb.open(ws(ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console")), null)) {
            first.handshake(0); // asks for exclusive access: Berth makes it shared
            try (Rfb second = Rfb.open(ws(ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console")), null)) {
                second.handshake(0); // with exclusive access QEMU would now drop the first viewer
                second.frameUpdate();
                first.frameUpdate();
            }
        }
    }

    @Test
    @Order(3)
    @Timeout(180)
    void anAdministratorOpensAnyTenantsConsole() throws Exception {
        as(DemoUser.CAROL).when().post("/api/v1/vms/" + machine + "/console").then().statusCode(404); // carol has no tenant
        JsonPath t = ticket(DemoUser.CAROL, "/api/v1/admin/vms/" + machine + "/console");
        try (Rfb viewer = Rfb.open(ws(t), DemoUser.CAROL)) {
            assertEquals("QEMU (" + vm.name + ")", viewer.handshake(1));
        }
        as(DemoUser.ALICE).when().post("/api/v1/admin/vms/" + machine + "/console").then().statusCode(403);
        as(DemoUser.CAROL).when().post("/api/v1/admin/vms/99999999/console").then().statusCode(404);
    }

    // --------------------------------------------------------------------------------------------- refusals

    @Test
    @Order(4)
    @Timeout(180)
    void everyOtherWayInIsRefusedAndAudited() throws Exception {
        String path = "/console/ws/" + machine;

        // no ticket
        assertRefused(Rfb.open(uri(path), null), "No console ticket");
        audited("console.open", "DENIED", "machine " + machine, "No console ticket");

        // a ticket nobody issued
        assertRefused(Rfb.open(uri(path + "?ticket=" + "A".repeat(43)), null), "Unknown console ticket");
        audited("console.open", "DENIED", "machine " + machine, "Unknown console ticket");

        // used twice
        JsonPath once = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console");
        try (Rfb viewer = Rfb.open(ws(once), DemoUser.ALICE)) {
            viewer.handshake(1);
        }
        assertRefused(Rfb.open(ws(once), DemoUser.ALICE), "used already");
        audited("console.open", "DENIED", "machine " + machine, "single-use. Ticket of alice for machine " + machine);

        // expired before it was used (the row made older: no waiting in a test)
        JsonPath late = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console");
        String hash = ConsoleService.hash(late.getString("ticket"));
        int rows = QuarkusTransaction.requiringNew().call(() -> ConsoleTicket.update(
                "expiresAt = ?1 where ticketHash = ?2", Instant.now().minusSeconds(1), hash));
        assertEquals(1, rows);
        assertRefused(Rfb.open(ws(late), DemoUser.ALICE), "expired");
        audited("console.open", "DENIED", "machine " + machine, "expired");

        // bob cannot even get a ticket for alice's machine: 404 like an unknown id, audited
        as(DemoUser.BOB).when().post("/api/v1/vms/" + machine + "/console").then().statusCode(404)
                .body("detail", equalTo("There is no machine " + machine + "."));
        audited("vm.access", "DENIED", "machine " + machine, "belongs to another tenant");

        // alice's ticket in bob's hands (his token on the WebSocket): refused, and void for alice afterwards
        JsonPath stolen = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console");
        assertRefused(Rfb.open(ws(stolen), DemoUser.BOB), "belongs to another user");
        audited("console.open", "DENIED", "machine " + machine, "belongs to another user. Ticket of alice for machine " + machine);
        assertRefused(Rfb.open(ws(stolen), DemoUser.ALICE), "used already");

        // a ticket for machine A presented for machine B
        JsonPath forA = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console");
        assertRefused(Rfb.open(uri("/console/ws/" + other + "?ticket=" + forA.getString("ticket")), DemoUser.ALICE),
                "for another machine");
        audited("console.open", "DENIED", "machine " + other, "for another machine. Ticket of alice for machine " + machine);

        // a machine without a display gets no ticket, and says why
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + other + "/console").then().statusCode(409)
                .body("detail", equalTo("fleet1-vm02 has no graphical display (no <graphics> device in its definition)."));
        audited("console.ticket", "FAILED", "fleet1-vm02", "no graphical display");

        // a plain GET is not a console
        io.restassured.RestAssured.given().when().get(path).then().statusCode(400).body(containsString("WebSocket"));
    }

    @jakarta.inject.Inject
    ConsoleService consoles;

    /** Single use holds under a race: the conditional UPDATE lets exactly one of many simultaneous redemptions win. */
    @Test
    @Order(5)
    @Timeout(180)
    void ofManySimultaneousRedemptionsExactlyOneWins() throws Exception {
        String ticket = ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console").getString("ticket");
        int racers = 8;
        var start = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(racers);
        try {
            var results = new java.util.ArrayList<java.util.concurrent.Future<String>>();
            for (int i = 0; i < racers; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        return "opened " + consoles.redeem(ticket, machine, null, "race", "race").machineName();
                    } catch (ConsoleService.Refused e) {
                        return e.code + " " + e.getMessage();
                    }
                }));
            }
            start.countDown();
            var outcomes = new java.util.ArrayList<String>();
            for (var r : results) {
                outcomes.add(r.get(120, TimeUnit.SECONDS));
            }
            assertEquals(1, outcomes.stream().filter(o -> o.equals("opened " + vm.name)).count(), outcomes.toString());
            assertEquals(racers - 1, outcomes.stream().filter(o -> o.equals(ConsoleService.CLOSE_REFUSED + " "
                    + ConsoleRules.Refusal.USED.message)).count(), outcomes.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Tickets do not pile up: an hour after expiry the purge deletes them, used or not; fresh ones stay. */
    @Test
    @Order(5)
    void oldTicketsArePurged() {
        String old = ConsoleService.hash(ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console").getString("ticket"));
        String fresh = ConsoleService.hash(ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console").getString("ticket"));
        QuarkusTransaction.requiringNew().run(() -> ConsoleTicket.update("expiresAt = ?1 where ticketHash = ?2",
                Instant.now().minus(java.time.Duration.ofMinutes(61)), old));
        consoles.purge();
        assertEquals(0L, QuarkusTransaction.requiringNew().call(() -> ConsoleTicket.count("ticketHash", old)));
        assertEquals(1L, QuarkusTransaction.requiringNew().call(() -> ConsoleTicket.count("ticketHash", fresh)));
    }

    // --------------------------------------------------------------------------------------------- the page

    @Test
    @Order(6)
    @Timeout(240)
    void aliceSeesHerMachinesScreenInTheBrowser() throws Exception {
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            b.open("/machines/" + other);
            assertEquals("true", b.visible(By.id("action-console")).getDomAttribute("disabled"));
            b.visible(By.id("console-why")); // why the button is disabled
            b.open("/machines/" + machine);
            b.visible(By.id("action-console")).click();
            b.wait.until(ExpectedConditions.attributeToBe(By.id("console-status"), "data-state", "connected"));
            b.visible(By.cssSelector("#console-screen canvas"));
            // The kernel's boot log is on the screen by now (the guest said "up" on its serial line before this test):
            // wait until the canvas has drawn something that is not background.
            b.wait.until(d -> Boolean.TRUE.equals(b.driver.executeScript("""
                    const c = document.querySelector('#console-screen canvas');
                    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    for (let i = 0; i < data.length; i += 4) { if (data[i] + data[i + 1] + data[i + 2] > 200) return true; }
                    return false;""")));
            assertEquals("false", String.valueOf(b.driver.findElement(By.id("console-cad")).getDomProperty("disabled")));
            assertTrue(!b.driver.findElement(By.id("console-message")).isDisplayed(), "no message while all is well");
            b.driver.executeScript("window.scrollTo(0, 0)");
            b.screenshot("console.png", "console.png");

            b.driver.findElement(By.id("console-reconnect")).click(); // a fresh ticket, a new session
            b.wait.until(ExpectedConditions.attributeToBe(By.id("console-status"), "data-state", "connected"));
            // noVNC (a module from /static) and its same-origin WebSocket work under the page's CSP
            assertEquals(java.util.List.of(), b.consoleMessages().stream().filter(m -> m.contains("Content Security Policy")).toList());

            // a running machine without a display: the console page says so instead of a broken console
            b.open("/machines/" + other + "/console");
            b.visible(By.id("console-unavailable"));
        }
        awaitAudit("console.close", "OK", vm.name, "closed by the viewer");
    }

    /** Last: the machine shuts down under two open consoles, a script's and a browser's; both close with a message. */
    @Test
    @Order(7)
    @Timeout(240)
    void aMachineThatShutsDownClosesItsConsolesWithAMessage() throws Exception {
        try (var b = new Browser(portal);
             Rfb viewer = Rfb.open(ws(ticket(DemoUser.ALICE, "/api/v1/vms/" + machine + "/console")), DemoUser.ALICE)) {
            viewer.handshake(1);
            b.signIn(DemoUser.ALICE);
            b.open("/machines/" + machine + "/console");
            b.wait.until(ExpectedConditions.attributeToBe(By.id("console-status"), "data-state", "connected"));

            as(DemoUser.ALICE).when().post("/api/v1/vms/" + machine + "/actions/poweroff").then().statusCode(200);
            Rfb.Closed closed = viewer.closed();
            assertEquals(1000, closed.code());
            assertEquals("The machine shut down.", closed.reason());
            b.wait.until(ExpectedConditions.attributeToBe(By.id("console-status"), "data-state", "disconnected"));
            assertEquals("The machine shut down.", b.visible(By.id("console-message")).getText());
            b.screenshot("console-machine-shut-down.png");

            b.open("/machines/" + machine + "/console");
            assertTrue(b.visible(By.id("console-unavailable")).getText().contains("is shut off"));
        }
        awaitAudit("console.close", "OK", vm.name, "The machine shut down.");
        as(DemoUser.ALICE).when().post("/api/v1/vms/" + machine + "/console").then().statusCode(409)
                .body("detail", equalTo(vm.name + " is shut off: start it to open its console."));
    }

    // --------------------------------------------------------------------------------------------- helpers

    static JsonPath ticket(DemoUser user, String path) {
        return as(user).when().post(path).then().statusCode(201).extract().jsonPath();
    }

    URI ws(JsonPath ticket) {
        return uri(ticket.getString("websocketPath") + "?ticket=" + ticket.getString("ticket"));
    }

    URI uri(String path) {
        return URI.create("ws://" + portal.getHost() + ":" + portal.getPort() + path);
    }

    static void assertRefused(Rfb viewer, String reason) throws Exception {
        try (viewer) {
            Rfb.Closed closed = viewer.closed();
            assertEquals(ConsoleService.CLOSE_REFUSED, closed.code(), closed.toString());
            assertTrue(closed.reason().contains(reason), closed.reason());
            assertEquals(0, viewer.received(), "not one byte of the machine's screen");
        }
    }

    static void audited(String action, String outcome, String target, String reason) {
        List<Map<String, Object>> items = as(DemoUser.CAROL).queryParam("action", action).queryParam("outcome", outcome)
                .queryParam("size", 500).when().get("/api/v1/admin/audit").then().statusCode(200).extract().path("items");
        assertTrue(items.stream().anyMatch(e -> target.equals(e.get("target"))
                        && String.valueOf(e.get("reason")).contains(reason)),
                "no " + action + " " + outcome + " on " + target + " saying \"" + reason + "\" in " + items);
    }

    /** Close events are written after the socket closed, off the event loop: poll for them. */
    static void awaitAudit(String action, String outcome, String target, String reason) throws InterruptedException {
        RealQemuTest.poll(WAIT_SECONDS, () -> {
            try {
                audited(action, outcome, target, reason);
                return true;
            } catch (AssertionError e) {
                return false;
            }
        });
        audited(action, outcome, target, reason);
    }

    /** A minimal RFB client over the JDK's WebSocket: enough to prove the stream is the machine's. */
    static final class Rfb implements WebSocket.Listener, AutoCloseable {
        record Closed(int code, String reason) {
        }

        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private final CompletableFuture<Closed> closed = new CompletableFuture<>();
        private byte[] pending = new byte[0];
        private long received;
        private WebSocket socket;

        static Rfb open(URI uri, DemoUser user) {
            var rfb = new Rfb();
            var builder = HttpClient.newHttpClient().newWebSocketBuilder();
            if (user != null) {
                builder.header("Authorization", "Bearer " + user.token());
            }
            rfb.socket = builder.buildAsync(uri, rfb).orTimeout(60, TimeUnit.SECONDS).join();
            return rfb;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            received += bytes.length;
            chunks.add(bytes);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Closed(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        long received() {
            return received;
        }

        Closed closed() {
            return closed.orTimeout(60, TimeUnit.SECONDS).join();
        }

        byte[] read(int n) throws InterruptedException {
            var out = new ByteArrayOutputStream();
            out.writeBytes(pending);
            while (out.size() < n) {
                byte[] chunk = chunks.poll(60, TimeUnit.SECONDS);
                if (chunk == null) {
                    fail("no more bytes from the console after " + out.size() + " of " + n
                            + (closed.isDone() ? "; closed: " + closed.join() : ""));
                }
                out.writeBytes(chunk);
            }
            byte[] all = out.toByteArray();
            pending = java.util.Arrays.copyOfRange(all, n, all.length);
            return java.util.Arrays.copyOf(all, n);
        }

        void send(byte... bytes) {
            socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(60, TimeUnit.SECONDS).join();
        }

        int width;
        int height;

        /** RFB 3.8 with security None up to ServerInit; returns the desktop name. */
        String handshake(int shared) throws InterruptedException {
            String version = new String(read(12), StandardCharsets.US_ASCII);
            assertTrue(version.matches("RFB 003\\.00[378]\n"), "the server's banner: " + version);
            send("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            int count = read(1)[0] & 0xff;
            assertNotEquals(0, count, "the server offers security types");
            byte[] types = read(count);
            assertTrue(new String(types, StandardCharsets.ISO_8859_1).indexOf(1) >= 0, "security None offered");
            send((byte) 1);
            assertArrayEquals(new byte[4], read(4), "SecurityResult OK");
            send((byte) shared);
            ByteBuffer init = ByteBuffer.wrap(read(24));
            width = init.getShort(0) & 0xffff;
            height = init.getShort(2) & 0xffff;
            assertTrue(width > 0 && height > 0, width + "x" + height);
            int nameLength = init.getInt(20);
            return new String(read(nameLength), StandardCharsets.UTF_8);
        }

        /** Asks for the whole screen and reads the FramebufferUpdate header: this viewer is still served. */
        void frameUpdate() throws InterruptedException {
            send((byte) 3, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0,
                    (byte) (width >> 8), (byte) width, (byte) (height >> 8), (byte) height);
            assertEquals(0, read(1)[0], "FramebufferUpdate");
        }

        @Override
        public void close() {
            if (!socket.isOutputClosed()) {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(30, TimeUnit.SECONDS)
                        .exceptionally(e -> null).join();
            }
        }
    }
}
