package dev.berth.storage.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DatabasePass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What tc printed on this machine (captured from the helper image with one instance capped at 20 MiB/s on port 29150,
 * instance 7, scope berth-test-bandwidth, after a 64 MiB download), and the plans made from such observations.
 */
@Tag(DatabasePass.INDEPENDENT)
class TcTest {
    static final String SCOPE = "berth-test-bandwidth";

    static String observed() throws IOException {
        try (var in = TcTest.class.getResourceAsStream("/storage/tc-observed.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsTheRulesTheirLabelRatesAndCounters() throws IOException {
        var rules = Tc.parse(observed(), SCOPE);
        assertEquals("lo", rules.device());
        assertEquals(1, rules.rules().size());
        var r = rules.rules().getFirst();
        assertEquals(29150, r.port());
        assertEquals(7L, r.instanceId());
        assertTrue(r.ourScope());
        assertTrue(r.complete());
        assertEquals(20971500, r.egressRate()); // 167772 kbit/s as tc rounds it: within 0.01 % of 20 MiB/s
        assertEquals(20971500, r.ingressRate());
        assertEquals(67177776, r.egressBytes());
        assertEquals(34395, r.ingressBytes());
    }

    @Test
    void anotherScopesLabelIsNotOurs() throws IOException {
        var r = Tc.parse(observed(), "berth").rules().getFirst();
        assertFalse(r.ourScope());
        assertEquals(null, r.instanceId());
        assertFalse(r.complete());
    }

    @Test
    void aMissingPartMakesTheRulesIncomplete() throws IOException {
        String text = observed();
        String withoutIfbClass = text.substring(0, text.indexOf("@ifbclasses")) + "@ifbclasses\n" + text.substring(text.indexOf("@ifbfilters"));
        var r = Tc.parse(withoutIfbClass, SCOPE).rules().getFirst();
        assertFalse(r.complete());
        assertEquals(7L, r.instanceId());
    }

    @Test
    void theHelpersErrorIsTheMessage() {
        var e = assertThrows(IllegalStateException.class, () -> Tc.parse("berth-error: lo has a root qdisc Berth did not make (qdisc fq 0: root)\n", SCOPE));
        assertEquals("lo has a root qdisc Berth did not make (qdisc fq 0: root)", e.getMessage());
        assertThrows(IllegalStateException.class, () -> Tc.parse("@dev lo\n@qdisc\n", SCOPE), "cut short: no @end");
    }

    @Test
    void scriptsTakeAnAddressOnlyAndShapeOnlyByPort() {
        assertThrows(IllegalArgumentException.class, () -> Tc.observeScript("127.0.0.1; reboot"));
        String s = Tc.applyScript("127.0.0.1", SCOPE, List.of(new TrafficShaper.Cap(7, 29150, 20L << 20)), List.of());
        assertTrue(s.contains("htb default 0"), "unclassified traffic is not shaped");
        s.lines().filter(l -> l.contains("tc filter add")).forEach(l -> assertTrue(l.contains("match u16 29150 0xffff"), l));
        assertTrue(s.contains("cookie " + Tc.cookie(SCOPE, 7)));
        assertTrue(s.contains("flock"));
    }

    // ------------------------------------------------------------------ plans

    static TrafficShaper.HostRules rules(TrafficShaper.Rule... r) {
        return new TrafficShaper.HostRules("lo", List.of(r));
    }

    static TrafficShaper.Rule rule(int port, Long instance, boolean ours, long rate, boolean complete) {
        return new TrafficShaper.Rule(port, instance, ours, rate, rate, complete, 0, 0);
    }

    static BandwidthService.Plan plan(List<BandwidthServiceWant> wants, Set<Long> known, TrafficShaper.HostRules seen) {
        return BandwidthService.plan(wants.stream().map(BandwidthServiceWant::want).toList(), known, seen, 29100, 29199);
    }

    /** Shorthand for the service's private record. */
    record BandwidthServiceWant(long id, int port, long rate, Integer rulesPort) {
        BandwidthService.Want want() {
            return new BandwidthService.Want(id, 1, port, rate, rulesPort);
        }
    }

    @Test
    void aWantedCapMissingIsMadeAndCalledRestoredWhenItWasMadeBefore() {
        var p = plan(List.of(new BandwidthServiceWant(7, 29150, 1 << 20, null), new BandwidthServiceWant(8, 29151, 1 << 20, 29151)),
                Set.of(7L, 8L), rules());
        assertEquals(List.of(29150, 29151), p.set().stream().map(TrafficShaper.Cap::port).toList());
        assertEquals("applied", p.why().get(29150));
        assertTrue(p.why().get(29151).startsWith("restored"));
    }

    @Test
    void aDifferentRateIsChangedAndAnEqualOneLeftAlone() {
        var p = plan(List.of(new BandwidthServiceWant(7, 29150, 4_000_000, 29150), new BandwidthServiceWant(8, 29151, 20L << 20, 29151)),
                Set.of(7L, 8L), rules(rule(29150, 7L, true, 20971500, true), rule(29151, 8L, true, 20971500, true)));
        assertEquals(List.of(29150), p.set().stream().map(TrafficShaper.Cap::port).toList());
        assertTrue(p.why().get(29150).startsWith("changed from"));
    }

    @Test
    void ourRulesWithoutACapAreRemovedUnknownOnesReportedOthersLeftAlone() {
        var p = plan(List.of(new BandwidthServiceWant(7, 29150, 0, 29150)), Set.of(7L),
                rules(rule(29150, 7L, true, 1 << 20, true),      // ours, cap removed
                        rule(29160, 99L, true, 1 << 20, true),   // ours, no such instance: orphan
                        rule(29170, null, false, 1 << 20, false), // unlabelled in our range: orphan
                        rule(29050, null, false, 1 << 20, true))); // another deployment's range: not ours to judge
        assertEquals(List.of(29150), p.remove());
        assertEquals(List.of(29160, 29170), p.orphans().stream().map(TrafficShaper.Rule::port).toList());
        assertTrue(p.set().isEmpty());
    }
}
