package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.compute.ConsoleRules.Refusal;
import dev.berth.compute.ConsoleRules.Target;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * The deciding code of consoles: ticket refusals, when a machine has a console, where Berth may connect for its VNC
 * server and what must answer there, and how many refused tickets are audited.
 */
@Tag(DatabasePass.INDEPENDENT)
class ConsoleRulesTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final ConsoleRules.Ticket ALICE_7 = new ConsoleRules.Ticket("alice", 7, NOW.plusSeconds(30), null);

    @Test
    void aFreshTicketOfTheSignedInUserForThisMachineOpensIt() {
        assertEquals(Optional.empty(), ConsoleRules.refusal("t", ALICE_7, 7, "alice", NOW));
        assertEquals(Optional.empty(), ConsoleRules.refusal("t", ALICE_7, 7, null, NOW), "the ticket alone authenticates");
    }

    @Test
    void everyOtherTicketIsRefusedWithItsReason() {
        assertEquals(Optional.of(Refusal.MISSING), ConsoleRules.refusal(null, null, 7, "alice", NOW));
        assertEquals(Optional.of(Refusal.MISSING), ConsoleRules.refusal(" ", null, 7, null, NOW));
        assertEquals(Optional.of(Refusal.UNKNOWN), ConsoleRules.refusal("t", null, 7, "alice", NOW));
        assertEquals(Optional.of(Refusal.OTHER_USER), ConsoleRules.refusal("t", ALICE_7, 7, "bob", NOW));
        assertEquals(Optional.of(Refusal.OTHER_MACHINE), ConsoleRules.refusal("t", ALICE_7, 8, "alice", NOW));
        var used = new ConsoleRules.Ticket("alice", 7, NOW.plusSeconds(30), NOW.minusSeconds(1));
        assertEquals(Optional.of(Refusal.USED), ConsoleRules.refusal("t", used, 7, "alice", NOW));
        assertEquals(Optional.of(Refusal.EXPIRED), ConsoleRules.refusal("t", ALICE_7, 7, "alice", NOW.plusSeconds(30)));
        // a foreign ticket is named foreign even when it is used up as well: no hint that it was ever valid
        assertEquals(Optional.of(Refusal.OTHER_USER), ConsoleRules.refusal("t", used, 7, "bob", NOW.plusSeconds(60)));
        for (Refusal r : Refusal.values()) {
            assertTrue(r.message.getBytes(StandardCharsets.UTF_8).length <= 123, "fits a close frame: " + r);
        }
    }

    static MachineView machine(DomainState state, boolean missing) {
        return new MachineView(7, "web-1", 1, "kvm-1", "u", state, missing, 1, 1 << 30, null);
    }

    @Test
    void aConsoleNeedsARunningMachineWithAVncPort() {
        var vnc = new DomainDetail.Graphics("vnc", 5900, "127.0.0.1");
        assertEquals(Optional.empty(), ConsoleRules.unavailable(machine(DomainState.RUNNING, false), vnc));
        assertEquals(Optional.of("web-1 is shut off: start it to open its console."),
                ConsoleRules.unavailable(machine(DomainState.SHUTOFF, false), vnc));
        assertTrue(ConsoleRules.unavailable(machine(DomainState.RUNNING, true), vnc).orElseThrow().contains("missing"));
        assertTrue(ConsoleRules.unavailable(machine(DomainState.UNKNOWN, false), vnc).orElseThrow().contains("does not answer"));
        assertTrue(ConsoleRules.unavailable(machine(DomainState.RUNNING, false), null).orElseThrow().contains("no graphical display"));
        assertTrue(ConsoleRules.unavailable(machine(DomainState.RUNNING, false), new DomainDetail.Graphics("spice", 5901, null))
                .orElseThrow().contains("VNC only"));
        assertTrue(ConsoleRules.unavailable(machine(DomainState.RUNNING, false), new DomainDetail.Graphics("vnc", -1, "127.0.0.1"))
                .orElseThrow().contains("no TCP port"));
    }

    @Test
    void theButtonSaysWhyItIsDisabled() {
        assertNull(ConsoleRules.buttonRefusal(machine(DomainState.RUNNING, false), "vnc"));
        assertNull(ConsoleRules.buttonRefusal(machine(DomainState.RUNNING, false), null), "unknown display: the console page tells");
        assertEquals("web-1 has no graphical display.", ConsoleRules.buttonRefusal(machine(DomainState.RUNNING, false), "none"));
        assertTrue(ConsoleRules.buttonRefusal(machine(DomainState.SHUTOFF, false), "vnc").contains("shut off"));
        assertNull(ConsoleRules.display("<script>"));
        assertEquals("vnc", ConsoleRules.display("VNC"));
    }

    static final ConsoleRules.PortPolicy PORTS = new ConsoleRules.PortPolicy(5900, 65535, ConsoleRules.ports("6443,8080,8180,8443,9000,10250"));

    @ParameterizedTest
    @CsvSource({
            // libvirt URI, listen, expected host
            "qemu:///system, 127.0.0.1, 127.0.0.1",
            "qemu:///system, , 127.0.0.1",
            "qemu:///system, 0.0.0.0, 127.0.0.1",
            "qemu:///system, ::, 127.0.0.1",
            "qemu:///system, localhost, 127.0.0.1",
            "qemu:///system, ::1, ::1",
            "test:///tmp/host.xml, 127.0.0.1, 127.0.0.1",
            "qemu+ssh://root@localhost/system, 127.0.0.1, 127.0.0.1",
            "qemu+ssh://root@kvm1.example/system, 0.0.0.0, kvm1.example",
            "qemu+tls://kvm1.example/system, , kvm1.example",
            "qemu+tcp://[2001:db8::5]/system, ::, 2001:db8::5",
            // the registered host, not the address the domain's XML names
            "qemu+ssh://root@kvm1.example/system, 192.0.2.10, kvm1.example",
            "qemu+ssh://root@kvm1.example/system, 198.51.100.7, kvm1.example"})
    void theVncServerIsReachedOnTheMachinesOwnHost(String uri, String listen, String host) throws Exception {
        assertEquals(new Target(host, 5901), ConsoleRules.target(uri, new DomainDetail.Graphics("vnc", 5901, listen), PORTS));
    }

    @Test
    void aRemoteVncServerOnItsOwnLoopbackIsUnreachable() {
        var e = assertThrows(ConsoleRules.UnreachableException.class,
                () -> ConsoleRules.target("qemu+ssh://root@kvm1.example/system", new DomainDetail.Graphics("vnc", 5901, "127.0.0.1"), PORTS));
        assertTrue(e.getMessage().contains("loopback of host kvm1.example"), e.getMessage());
        assertFalse(e.forbidden);
        assertThrows(ConsoleRules.UnreachableException.class,
                () -> ConsoleRules.target("qemu:///system", new DomainDetail.Graphics("vnc", -1, "127.0.0.1"), PORTS));
    }

    @ParameterizedTest
    @CsvSource({"192.0.2.10", "198.51.100.7", "127.evil.example", "kvm2.example", "169.254.169.254"})
    void aLocalDomainNamesNoAddressButLoopback(String listen) {
        var e = assertThrows(ConsoleRules.UnreachableException.class,
                () -> ConsoleRules.target("qemu:///system", new DomainDetail.Graphics("vnc", 5901, listen), PORTS));
        assertTrue(e.forbidden, "refused, not merely unreachable");
        assertTrue(e.getMessage().contains("loopback only"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"22", "80", "443", "5432", "5899", "8080", "8180", "9000", "10250"})
    void portsOutsideTheConsoleRangeOrExcludedAreRefused(int port) {
        for (String uri : new String[] {"qemu:///system", "qemu+ssh://root@kvm1.example/system"}) {
            var e = assertThrows(ConsoleRules.UnreachableException.class,
                    () -> ConsoleRules.target(uri, new DomainDetail.Graphics("vnc", port, "0.0.0.0"), PORTS));
            assertTrue(e.forbidden);
            assertTrue(e.getMessage().contains("port " + port + " is not a console port"), e.getMessage());
        }
    }

    @Test
    void thePortPolicyIsTheRangeWithoutTheExclusions() {
        assertTrue(PORTS.allows(5900));
        assertTrue(PORTS.allows(65535));
        assertTrue(PORTS.allows(8179));
        assertFalse(PORTS.allows(5899));
        assertFalse(PORTS.allows(8180));
        var narrow = new ConsoleRules.PortPolicy(5900, 5999, ConsoleRules.ports("none"))
                .excluding(ConsoleRules.ports(" 5910 - 5919, 5950"));
        assertTrue(narrow.allows(5909));
        assertFalse(narrow.allows(5910));
        assertFalse(narrow.allows(5919));
        assertTrue(narrow.allows(5920));
        assertFalse(narrow.allows(5950));
        assertFalse(narrow.allows(6000));
        assertEquals("5900-5999 without 5910-5919, 5950", narrow.toString());
        assertEquals(List.of(), ConsoleRules.ports(""));
        for (String wrong : new String[] {"http", "9000-8000", "0", "70000", "1-2-3"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ConsoleRules.ports(wrong), wrong);
            assertTrue(e.getMessage().contains("berth.console.excluded-ports"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new ConsoleRules.PortPolicy(6000, 5900, List.of()));
    }

    @Test
    void onlyAnRfbBannerOpensThePipe() {
        for (String ok : new String[] {"RFB 003.008\n", "RFB 003.007\n", "RFB 003.003\n"}) {
            assertTrue(ConsoleRules.rfbBanner(ok.getBytes(StandardCharsets.US_ASCII)), ok);
        }
        for (String no : new String[] {"HTTP/1.1 200 OK\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "RFB 003.008", "RFB 003.009\n",
                "RFB 004.001\n", "rfb 003.008\n", "RFB 003.008\r", "", "\0\0\0\0\0\0\0\0\0\0\0\0"}) {
            assertFalse(ConsoleRules.rfbBanner(no.getBytes(StandardCharsets.US_ASCII)), no);
        }
        assertFalse(ConsoleRules.rfbBanner(null));
        assertEquals("HTTP/1.1 200", ConsoleRules.printable("HTTP/1.1 200 OK".getBytes(StandardCharsets.US_ASCII), 15));
        assertEquals("a\\x00\\x22\\x5c", ConsoleRules.printable(new byte[] {'a', 0, '"', '\\'}, 4));
    }

    // --- the audit bound for refused tickets --------------------------------------------------------------------

    @Test
    void refusalsAreAuditedUpToTheBoundPerSourceAndMinute() {
        var budget = new RefusalAuditBudget(10, 100);
        Instant minute = Instant.parse("2026-11-22T10:00:00Z");
        int audited = 0;
        int reported = 0;
        for (int i = 0; i < 200; i++) {
            var d = budget.take("203.0.113.9", minute.plusMillis(i * 250L)); // 50 s: one window
            audited += d.audit() ? 1 : 0;
            reported += "address".equals(d.overBound()) ? 1 : 0;
        }
        assertEquals(10, audited);
        assertEquals(1, reported, "going over the bound is logged once per source and window");
        assertTrue(budget.take("203.0.113.10", minute.plusSeconds(59)).audit(), "another source has its own bound");
        assertTrue(budget.take("203.0.113.9", minute.plusSeconds(60)).audit(), "the next minute starts afresh");
    }

    @Test
    void theTotalBoundHoldsForManySourcesAndBoundsMemory() {
        var budget = new RefusalAuditBudget(10, 100);
        Instant minute = Instant.parse("2026-11-22T10:00:00Z");
        int audited = 0;
        int reported = 0;
        for (int i = 0; i < 10_000; i++) {
            var d = budget.take("198.51." + (i / 250) + "." + (i % 250), minute);
            audited += d.audit() ? 1 : 0;
            reported += "total".equals(d.overBound()) ? 1 : 0;
        }
        assertEquals(100, audited);
        assertEquals(1, reported, "going over the total is logged once per window");
        assertEquals(100, budget.tracked(), "sources beyond the total are not remembered");
        budget.take("198.51.0.1", minute.plusSeconds(120));
        assertEquals(1, budget.tracked(), "an old window is dropped whole");
        var none = new RefusalAuditBudget(0, 100);
        for (int i = 0; i < 50; i++) {
            assertFalse(none.take("198.51.100." + i, minute).audit());
        }
        assertEquals(0, none.tracked());
    }

    @Test
    void anIpv6ClientCountsByItsSlash64() {
        assertEquals(RefusalAuditBudget.key("2001:db8:1:2::1"), RefusalAuditBudget.key("2001:db8:1:2:ffff:1:2:3"));
        assertEquals("2001:db8:1:2::/64", RefusalAuditBudget.key("[2001:db8:1:2::1]"));
        assertNotEquals(RefusalAuditBudget.key("2001:db8:1:2::1"), RefusalAuditBudget.key("2001:db8:1:3::1"));
        assertEquals("127.0.0.1", RefusalAuditBudget.key("127.0.0.1"));
        assertEquals("127.0.0.1", RefusalAuditBudget.key("::ffff:127.0.0.1"));
        assertEquals("unknown", RefusalAuditBudget.key(null));
        assertEquals("zz:not-an-address", RefusalAuditBudget.key("zz:not-an-address"), "never a DNS lookup, kept as text");
    }

    // --- shared mode -------------------------------------------------------------------------------------------

    static byte[] client(String version, int security, int authBytes, int shared) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(version.getBytes(StandardCharsets.US_ASCII));
        out.write(security);
        out.writeBytes(new byte[authBytes]);
        out.write(shared);
        out.writeBytes(new byte[] {2, 0, 0, 0}); // the start of SetPixelFormat: never touched
        return out.toByteArray();
    }

    /** Feeds the stream in pieces of every size, as TCP and WebSocket frames may cut it. */
    static byte[] filtered(byte[] stream, int piece) {
        var f = new RfbSharedFlag();
        byte[] copy = stream.clone();
        for (int i = 0; i < copy.length; i += piece) {
            f.filter(copy, i, Math.min(piece, copy.length - i));
        }
        return copy;
    }

    @Test
    void everyClientIsPutInSharedMode() {
        for (int piece = 1; piece <= 40; piece++) {
            byte[] none = client("RFB 003.008\n", 1, 0, 0);
            byte[] expected = client("RFB 003.008\n", 1, 0, 1);
            assertArrayEquals(expected, filtered(none, piece), "security None, pieces of " + piece);
            byte[] vncAuth = client("RFB 003.007\n", 2, 16, 0);
            assertArrayEquals(client("RFB 003.007\n", 2, 16, 1), filtered(vncAuth, piece), "VNC auth, pieces of " + piece);
        }
        byte[] alreadyShared = client("RFB 003.008\n", 1, 0, 1);
        assertArrayEquals(alreadyShared, filtered(alreadyShared, 5));
    }

    @Test
    void exchangesItDoesNotKnowPassUnchanged() {
        byte[] v33 = client("RFB 003.003\n", 0, 0, 0); // 3.3: the server chooses the security type
        assertArrayEquals(v33, filtered(v33, 3));
        byte[] vencrypt = client("RFB 003.008\n", 19, 0, 0);
        assertArrayEquals(vencrypt, filtered(vencrypt, 7));
    }
}
