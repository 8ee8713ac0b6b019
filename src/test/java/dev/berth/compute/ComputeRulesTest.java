package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantUsage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/** The deciding code of machines: which actions a state allows, quota on assignment, tuning advice, filters. */
@Tag(DatabasePass.INDEPENDENT)
class ComputeRulesTest {
    @ParameterizedTest
    @CsvSource({
            "SHUTOFF, START, true", "CRASHED, START, true", "RUNNING, START, false", "PAUSED, START, false",
            "RUNNING, SHUTDOWN, true", "SHUTOFF, SHUTDOWN, false", "PAUSED, SHUTDOWN, false",
            "RUNNING, REBOOT, true", "SHUTOFF, REBOOT, false",
            "RUNNING, POWEROFF, true", "PAUSED, POWEROFF, true", "SHUTDOWN, POWEROFF, true", "SHUTOFF, POWEROFF, false",
            "UNKNOWN, START, false", "UNKNOWN, POWEROFF, false"})
    void actionsFollowTheState(DomainState state, PowerAction action, boolean allowed) {
        assertEquals(allowed, PowerRules.refusal("web-1", state, action).isEmpty());
    }

    @Test
    void refusalsSayWhy() {
        assertEquals(Optional.of("web-1 is running; only a shut-off or crashed machine can be started."),
                PowerRules.refusal("web-1", DomainState.RUNNING, PowerAction.START));
        assertEquals(Optional.of("web-1 is already off."), PowerRules.refusal("web-1", DomainState.SHUTOFF, PowerAction.POWEROFF));
        assertTrue(PowerRules.refusal("web-1", DomainState.UNKNOWN, PowerAction.START).orElseThrow().contains("does not answer"));
    }

    static QuotaLimits quota(int vms, int vcpus, long memory) {
        return new QuotaLimits(vms, vcpus, memory, 1, 1, 1, 1, 1000, 1L << 30, 0, 0);
    }

    static DomainSummary vm(int vcpus, long memoryGiB) {
        return new DomainSummary("u", "vm", DomainState.RUNNING, vcpus, memoryGiB << 30);
    }

    @Test
    void assignmentStaysWithinQuota() {
        var now = new TenantUsage(1, 2, 4L << 30, 0, 0, 0);
        assertEquals(Optional.empty(), AssignmentRules.quotaRefusal("acme", quota(3, 6, 12L << 30), now, List.of(vm(2, 4), vm(2, 4))));
        assertEquals(Optional.of("Refused: acme would have 4 machines (quota 3), 8 vCPUs (quota 6), 16 GiB of memory (quota 12 GiB). "
                        + "Raise its quota or assign fewer machines."),
                AssignmentRules.quotaRefusal("acme", quota(3, 6, 12L << 30), now, List.of(vm(2, 4), vm(2, 4), vm(2, 4))));
    }

    @Test
    void tuningAdviceFlagsWhatOurNotesWarnAbout() {
        var disks = List.of(
                new DomainDetail.Disk("hda", "ide", "qcow2", "writethrough", "/var/lib/a.qcow2", null, false),
                new DomainDetail.Disk("vda", "virtio", "qcow2", "none", "/var/lib/b.qcow2", null, null),
                new DomainDetail.Disk("vdb", "virtio", "raw", "writeback", "/dev/sdb", null, null));
        var nics = List.of(new DomainDetail.Nic("e1000", "52:54:00:00:00:01", null, "br0"),
                new DomainDetail.Nic("virtio", "52:54:00:00:00:02", "default", null));
        var detail = new DomainDetail(new DomainSummary("u", "legacy", DomainState.RUNNING, 1, 1), disks, nics, null);
        var advice = TuningAdvice.of(detail);
        assertEquals(List.of("disk hda: on the emulated IDE bus", "disk hda: cache mode writethrough",
                        "disk hda: qcow2 image without preallocation", "NIC 52:54:00:00:00:01: model e1000"),
                advice.stream().map(a -> a.subject() + ": " + a.problem()).toList());
    }

    @Test
    void withoutAdviceOnlyDevicesThatExistArePraised() {
        var summary = new DomainSummary("u", "bare", DomainState.RUNNING, 1, 1);
        assertEquals("Nothing to tune: this machine has no disks and no network interfaces.",
                TuningAdvice.noAdvice(new DomainDetail(summary, List.of(), List.of(), null)));
        String disksOnly = TuningAdvice.noAdvice(new DomainDetail(summary,
                List.of(new DomainDetail.Disk("vda", "virtio", "raw", "none", "/dev/sdb", null, null)), List.of(), null));
        assertEquals("Nothing to improve: 1 disk on virtio with a sensible cache mode; no network interfaces.", disksOnly);
        String nicsOnly = TuningAdvice.noAdvice(new DomainDetail(summary, List.of(),
                List.of(new DomainDetail.Nic("virtio", "52:54:00:00:00:02", "default", null)), null));
        assertEquals("Nothing to improve: no disks; 1 network interface on virtio.", nicsOnly);
    }

    @Test
    void graphsHaveAxesTimeMarksAndAValuePerSample() {
        var start = java.time.Instant.parse("2026-12-01T01:00:07Z");
        var points = new java.util.ArrayList<StatsPoint>();
        for (int i = 0; i <= 240; i++) { // an hour of 15 s samples, memory from 100 to 340 MiB
            points.add(new StatsPoint(start.plusSeconds(15L * i), 50, (100L + i) << 20, 0, 0, 0, 0));
        }
        Graph memory = Graph.all(points, 128L << 20).get(1);
        assertEquals(List.of("0 B", "256 MiB", "512 MiB"), memory.yTicks().stream().map(Graph.Tick::label).toList(),
                "a rounded top with binary units");
        assertEquals(List.of("01:15", "01:30", "01:45", "02:00"), memory.xTicks().stream().map(Graph.Tick::label).toList(),
                "time marks every quarter hour, UTC");
        assertEquals(241, memory.dots().size());
        assertEquals("02:00:07 UTC: 340 MiB", memory.dots().get(240).label(), "the hover of the newest sample");
        assertEquals("allocated 128 MiB", memory.limit().label(), "the machine's memory as a line");
        assertTrue(memory.about().contains("QEMU") && memory.about().contains("128 MiB"), memory.about());
        assertEquals(Graph.RIGHT, memory.dots().get(240).x(), 0.01, "the newest sample at the right edge");
    }

    @Test
    void filtersBySearchAndState() {
        var list = List.of(
                new MachineView(1, "web-1", 1, "h", "u1", DomainState.RUNNING, false, 1, 1, null),
                new MachineView(2, "web-2", 1, "h", "u2", DomainState.SHUTOFF, false, 1, 1, null),
                new MachineView(3, "db-1", 1, "h", "u3", DomainState.UNKNOWN, true, 1, 1, "gone"));
        assertEquals(List.of("web-1", "web-2"), MachineFilter.apply(list, "WEB", null).stream().map(MachineView::name).toList());
        assertEquals(List.of("web-2"), MachineFilter.apply(list, "", "shutoff").stream().map(MachineView::name).toList());
        assertEquals(List.of("db-1"), MachineFilter.apply(list, null, "missing").stream().map(MachineView::name).toList());
        assertThrows(InvalidInputException.class, () -> MachineFilter.apply(list, null, "sleeping"));
    }

    @Test
    void uptimeIsRememberedFromTheFirstSightingAndForgottenWhenStopped() {
        var t0 = java.time.Instant.parse("2026-11-23T10:00:00Z");
        var seen = Uptime.NONE.observe(DomainState.RUNNING, false, t0).orElseThrow();
        assertEquals(new Uptime(t0, false), seen);
        assertEquals(Optional.empty(), seen.observe(DomainState.RUNNING, false, t0.plusSeconds(60)), "no write while nothing changes");
        assertEquals(Optional.empty(), seen.observe(DomainState.UNKNOWN, false, t0.plusSeconds(60)), "an unanswering host teaches nothing");
        assertEquals(Optional.of(Uptime.NONE), seen.observe(DomainState.SHUTOFF, false, t0.plusSeconds(60)));
        assertEquals(Optional.of(Uptime.NONE), seen.observe(DomainState.RUNNING, true, t0.plusSeconds(60)), "missing");
        assertEquals(Optional.empty(), Uptime.NONE.observe(DomainState.SHUTOFF, false, t0));
        assertEquals("≥ 2 h 5 min", seen.text(t0.plusSeconds(7500)));
        assertEquals("3 d 4 h", Uptime.startedAt(t0).text(t0.plusSeconds(3 * 86400 + 4 * 3600 + 59)));
        assertEquals("< 1 min", Uptime.startedAt(t0).text(t0.plusSeconds(59)));
        assertEquals(null, Uptime.NONE.text(t0));
    }
}
