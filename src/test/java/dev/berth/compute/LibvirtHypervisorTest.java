package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.hosts.Endpoint;
import dev.berth.support.SilentServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * LibvirtHypervisor against libvirt's in-process test driver (Debian libvirt0) with the fleet host files, and
 * against a loopback host that never answers. Every expected value is written in fleet-N.xml (see the rules in
 * their header comments). The test driver keeps domain state per connection and the adapter keeps one connection
 * per URI, so each test copies the host files into its own directory (fresh state, fresh connection).
 */
@Tag(DatabasePass.INDEPENDENT)
class LibvirtHypervisorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long MIB = 1024L * 1024;
    private static final String NO_SUCH_UUID = "f1ee7000-0009-4000-8000-000000000099";
    /** The test driver's virDomainGetBlockInfo answers the same synthetic numbers for every disk. */
    private static final long TEST_DRIVER_CAPACITY = 1_099_506_450_432L;

    @TempDir
    Path dir;

    private final LibvirtHypervisor hypervisor = new LibvirtHypervisor();

    @AfterEach
    void closeConnections() {
        hypervisor.close();
    }

    @Test
    @Timeout(60)
    void listsEveryDomainOfEachFleetHostWithItsState() throws Exception {
        List<DomainSummary> one = hypervisor.listDomains(fleet(1), TIMEOUT);
        List<DomainSummary> two = hypervisor.listDomains(fleet(2), TIMEOUT);
        List<DomainSummary> three = hypervisor.listDomains(fleet(3), TIMEOUT);

        assertEquals(32, one.size() + two.size() + three.size());
        assertEquals(List.of("fleet1-vm01", "fleet1-vm02", "fleet1-vm03", "fleet1-vm04", "fleet1-vm05",
                "fleet1-vm06", "fleet1-vm07", "fleet1-vm08", "fleet1-vm09", "fleet1-vm10", "fleet1-vm11",
                "fleet1-vm12"), one.stream().map(DomainSummary::name).toList());
        assertEquals(Map.of(DomainState.RUNNING, 9L, DomainState.SHUTOFF, 3L), countByState(one));
        assertEquals(Map.of(DomainState.RUNNING, 7L, DomainState.SHUTOFF, 2L, DomainState.PAUSED, 1L),
                countByState(two));
        assertEquals(Map.of(DomainState.RUNNING, 8L, DomainState.SHUTOFF, 2L), countByState(three));

        assertEquals(List.of("fleet1-vm04", "fleet1-vm08", "fleet1-vm12"), names(one, DomainState.SHUTOFF));
        assertEquals(List.of("fleet2-vm05"), names(two, DomainState.PAUSED));
        assertEquals(List.of("fleet3-vm04", "fleet3-vm08"), names(three, DomainState.SHUTOFF));

        // vcpu 1 + n % 4, memory 512 MiB x (1 + n % 8)
        assertEquals(new DomainSummary("f1ee7000-0001-4000-8000-000000000001", "fleet1-vm01", DomainState.RUNNING,
                2, 1024 * MIB), one.get(0));
        assertEquals(new DomainSummary("f1ee7000-0001-4000-8000-000000000004", "fleet1-vm04", DomainState.SHUTOFF,
                1, 2560 * MIB), one.get(3));
        assertEquals(new DomainSummary("f1ee7000-0002-4000-8000-000000000005", "fleet2-vm05", DomainState.PAUSED,
                2, 3072 * MIB), two.get(4));
    }

    @Test
    @Timeout(60)
    void aLegacyDomainIsReportedWithIdeWritethroughAndE1000() throws Exception {
        DomainDetail vm11 = hypervisor.describe(fleet(1), "f1ee7000-0001-4000-8000-000000000011", TIMEOUT);

        assertEquals(new DomainSummary("f1ee7000-0001-4000-8000-000000000011", "fleet1-vm11", DomainState.RUNNING,
                4, 2048 * MIB), vm11.summary());
        assertEquals(List.of(new DomainDetail.Disk("hda", "ide", "qcow2", "writethrough",
                "/var/lib/libvirt/images/fleet1-vm11.qcow2", TEST_DRIVER_CAPACITY,
                true /* the test driver's allocation (1 TiB) exceeds its capacity */)), vm11.disks());
        assertEquals(List.of(new DomainDetail.Nic("e1000", "52:54:00:f1:00:0b", "default", null)), vm11.nics());
        assertEquals(new DomainDetail.Graphics("vnc", -1, "127.0.0.1"), vm11.graphics());
    }

    @Test
    @Timeout(60)
    void describeReadsEveryDiskNicAndGraphicsAsDefined() throws Exception {
        Endpoint host = fleet(1);

        DomainDetail vm10 = hypervisor.describe(host, "f1ee7000-0001-4000-8000-000000000010", TIMEOUT);
        assertEquals(List.of(
                new DomainDetail.Disk("vda", "virtio", "raw", "writeback", "/var/lib/libvirt/images/fleet1-vm10.img",
                        TEST_DRIVER_CAPACITY, null /* raw: not a qcow2 question */),
                new DomainDetail.Disk("vdb", "virtio", "raw", "none", "/dev/vg1/fleet1-vm10-data",
                        TEST_DRIVER_CAPACITY, null)), vm10.disks());
        assertEquals(List.of(new DomainDetail.Nic("virtio", "52:54:00:f1:00:0a", null, "br1")), vm10.nics());
        assertNull(vm10.graphics());

        // the cdrom hdc is not a disk
        DomainDetail vm03 = hypervisor.describe(host, "f1ee7000-0001-4000-8000-000000000003", TIMEOUT);
        assertEquals(List.of(new DomainDetail.Disk("sda", "sata", "qcow2", "writethrough",
                "/var/lib/libvirt/images/fleet1-vm03.qcow2", TEST_DRIVER_CAPACITY, true)), vm03.disks());
        assertEquals(List.of(new DomainDetail.Nic("rtl8139", "52:54:00:f1:00:03", "default", null)), vm03.nics());

        // shut off, no cache attribute, two NICs
        DomainDetail vm12 = hypervisor.describe(host, "f1ee7000-0001-4000-8000-000000000012", TIMEOUT);
        assertEquals(DomainState.SHUTOFF, vm12.summary().state());
        assertEquals(List.of(new DomainDetail.Disk("sda", "sata", "raw", null, "/var/lib/libvirt/images/fleet1-vm12.img",
                TEST_DRIVER_CAPACITY, null)), vm12.disks());
        assertEquals(List.of(new DomainDetail.Nic("rtl8139", "52:54:00:f1:00:0c", null, "br1"),
                new DomainDetail.Nic("virtio", "52:54:00:f1:01:0c", null, "br-storage")), vm12.nics());

        DomainDetail vm07 = hypervisor.describe(host, "f1ee7000-0001-4000-8000-000000000007", TIMEOUT);
        assertEquals(List.of(), vm07.nics());
        assertEquals("virtio", vm07.disks().get(0).bus());
        assertEquals("writethrough", vm07.disks().get(0).cache());

        DomainDetail spice = hypervisor.describe(fleet(3), "f1ee7000-0003-4000-8000-000000000009", TIMEOUT);
        assertEquals(new DomainDetail.Graphics("spice", 5930, "127.0.0.1"), spice.graphics());
    }

    @Test
    @Timeout(60)
    void anUnknownUuidIsNotFound() throws Exception {
        Endpoint host = fleet(2);

        DomainNotFoundException e = assertThrows(DomainNotFoundException.class,
                () -> hypervisor.describe(host, NO_SUCH_UUID, TIMEOUT));
        assertEquals("no domain with UUID " + NO_SUCH_UUID + " on this host", e.getMessage());
        assertThrows(DomainNotFoundException.class, () -> hypervisor.stats(host, NO_SUCH_UUID, TIMEOUT));
        assertThrows(DomainNotFoundException.class,
                () -> hypervisor.act(host, NO_SUCH_UUID, PowerAction.START, TIMEOUT));
        // the connection is still good after a "not found"
        assertEquals(10, hypervisor.listDomains(host, TIMEOUT).size());
    }

    @Test
    @Timeout(60)
    void powerActionsChangeTheDomainsState() throws Exception {
        Endpoint host = fleet(1);
        String vm04 = "f1ee7000-0001-4000-8000-000000000004";
        assertEquals(DomainState.SHUTOFF, state(host, vm04));

        hypervisor.act(host, vm04, PowerAction.START, TIMEOUT);
        assertEquals(DomainState.RUNNING, state(host, vm04));

        HypervisorException twice = assertThrows(HypervisorException.class,
                () -> hypervisor.act(host, vm04, PowerAction.START, TIMEOUT));
        // libvirt's words, unchanged: deciding whether an action makes sense is the caller's job
        assertEquals("internal error: Domain 'fleet1-vm04' is already running", twice.getMessage());

        hypervisor.act(host, vm04, PowerAction.REBOOT, TIMEOUT);
        assertEquals(DomainState.RUNNING, state(host, vm04));

        hypervisor.act(host, vm04, PowerAction.POWEROFF, TIMEOUT);
        assertEquals(DomainState.SHUTOFF, state(host, vm04));

        String vm01 = "f1ee7000-0001-4000-8000-000000000001";
        hypervisor.act(host, vm01, PowerAction.SHUTDOWN, TIMEOUT); // the test driver's guest obeys at once
        assertEquals(DomainState.SHUTOFF, state(host, vm01));
        assertEquals(Map.of(DomainState.RUNNING, 8L, DomainState.SHUTOFF, 4L),
                countByState(hypervisor.listDomains(host, TIMEOUT)));

        HypervisorException off = assertThrows(HypervisorException.class,
                () -> hypervisor.act(host, vm01, PowerAction.POWEROFF, TIMEOUT));
        assertTrue(off.getMessage().contains("not running"), off.getMessage());
    }

    @Test
    @Timeout(60)
    void statsOfARunningDomainAreCountersOfAShutOffOneAnError() throws Exception {
        Endpoint host = fleet(1);

        DomainStats vm10 = hypervisor.stats(host, "f1ee7000-0001-4000-8000-000000000010", TIMEOUT);
        assertTrue(vm10.cpuTimeNanos() >= 0, vm10.toString());
        assertEquals(3, vm10.vcpus());
        // the test driver reports no memory statistics: the allocation, 512 MiB x 3
        assertEquals(1536 * MIB, vm10.memoryUsedBytes());
        // synthetic but positive numbers from the test driver: two disks and one NIC were read
        assertTrue(vm10.diskReadBytes() > 0 && vm10.diskWriteBytes() > 0, vm10.toString());
        assertTrue(vm10.netRxBytes() > 0 && vm10.netTxBytes() > 0, vm10.toString());

        DomainStats noNic = hypervisor.stats(host, "f1ee7000-0001-4000-8000-000000000007", TIMEOUT);
        assertEquals(0, noNic.netRxBytes());
        assertEquals(0, noNic.netTxBytes());
        assertTrue(noNic.diskReadBytes() > 0, noNic.toString());

        DomainStats paused = hypervisor.stats(fleet(2), "f1ee7000-0002-4000-8000-000000000005", TIMEOUT);
        assertEquals(2, paused.vcpus());

        HypervisorException off = assertThrows(HypervisorException.class,
                () -> hypervisor.stats(host, "f1ee7000-0001-4000-8000-000000000008", TIMEOUT));
        assertEquals("machine is not running", off.getMessage());
    }

    @Test
    @Timeout(60)
    void aHungHostTimesOutWhileOtherHostsKeepAnswering() throws Exception {
        Endpoint healthy = fleet(3);
        SilentServer silent = new SilentServer();
        String uri = "qemu+tcp://127.0.0.1:" + silent.port() + "/system";
        Endpoint hung = new Endpoint(uri, null);
        try (silent) {

            CompletableFuture<List<DomainSummary>> stuck = CompletableFuture.supplyAsync(
                    () -> unchecked(() -> hypervisor.listDomains(hung, Duration.ofSeconds(3))),
                    command -> Thread.ofPlatform().daemon().start(command));
            while (silent.acceptedConnections() == 0 && !stuck.isDone()) {
                Thread.sleep(20);
            }
            assertFalse(stuck.isDone(), "libvirt connected to the silent host and waits");

            assertEquals(10, hypervisor.listDomains(healthy, TIMEOUT).size()); // while the other call hangs

            CompletionException e = assertThrows(CompletionException.class, stuck::join);
            HypervisorException timedOut = assertInstanceOf(HypervisorException.class, e.getCause());
            assertEquals("timed out after 3s talking to " + uri, timedOut.getMessage());

            // The abandoned thread still sits in libvirt for the hung host: that host stays unanswered …
            HypervisorException again = assertThrows(HypervisorException.class,
                    () -> hypervisor.listDomains(hung, Duration.ofMillis(300)));
            assertEquals("timed out after 300ms talking to " + uri, again.getMessage());
            assertEquals(1, silent.acceptedConnections(), "calls to one host wait their turn, no second socket");
            // … and the healthy host is not affected.
            assertEquals(DomainState.RUNNING,
                    state(healthy, "f1ee7000-0003-4000-8000-000000000001"));
        }
        // The silent host closed its sockets: the stuck call ends, the broken connection is dropped, and the
        // next call connects anew (and is refused, since nobody listens any more).
        while (true) {
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> hypervisor.listDomains(hung, Duration.ofSeconds(2)));
            // Until then a call may still time out, or meet the old connection's reset as it is dropped.
            if (!e.getMessage().startsWith("timed out") && !e.getMessage().contains("Connection reset by peer")) {
                assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
                return;
            }
            Thread.sleep(100);
        }
    }

    @Test
    @Timeout(60)
    void aMissingHostFileGivesLibvirtsMessage() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.listDomains(
                new Endpoint("test:///nonexistent/berth-no-such-fleet.xml", null), TIMEOUT));
        assertTrue(e.getMessage().contains("/nonexistent/berth-no-such-fleet.xml"), e.getMessage());
    }

    @Test
    void aBlankUriIsRefusedBeforeLibvirt() {
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> hypervisor.listDomains(new Endpoint(" ", null), TIMEOUT));
        assertEquals("no libvirt connection URI given", e.getMessage());
    }

    @Test
    @Timeout(60)
    void afterCloseCallsAreRefused() throws Exception {
        Endpoint host = fleet(2);
        assertEquals(10, hypervisor.listDomains(host, TIMEOUT).size());

        hypervisor.close();

        HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.listDomains(host, TIMEOUT));
        assertTrue(e.getMessage().contains("shut down"), e.getMessage());
    }

    // --- the XML parser on its own: cases the test driver cannot produce ---------------------------------------

    @Test
    void theParserReadsNetworkAndVolumeSourcesAndListenElements() throws Exception {
        DomainXml.Parsed parsed = DomainXml.parse("""
                <domain type='kvm'>
                  <name>x</name>
                  <devices>
                    <disk type='network' device='disk'>
                      <driver name='qemu' type='raw' cache='none'/>
                      <source protocol='rbd' name='pool/image-1'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                    <disk type='volume' device='disk'>
                      <source pool='tank' volume='data-1'/>
                      <target dev='sdb' bus='scsi'/>
                    </disk>
                    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
                    <interface type='network'>
                      <mac address='52:54:00:00:00:01'/>
                      <source network='tenant-net'/>
                      <target dev='vnet3'/>
                    </interface>
                    <interface type='bridge'>
                      <mac address='52:54:00:00:00:02'/>
                      <source bridge='br0'/>
                      <model type='virtio'/>
                    </interface>
                    <graphics type='vnc' port='5901' autoport='no'><listen type='address' address='0.0.0.0'/></graphics>
                    <graphics type='spice'/>
                  </devices>
                </domain>
                """);

        assertEquals(List.of(new DomainXml.Disk("vda", "virtio", "raw", "none", "pool/image-1"),
                new DomainXml.Disk("sdb", "scsi", null, null, "tank/data-1")), parsed.disks());
        assertEquals(List.of(new DomainXml.Nic(null, "52:54:00:00:00:01", "tenant-net", null, "vnet3"),
                new DomainXml.Nic("virtio", "52:54:00:00:00:02", null, "br0", null)), parsed.nics());
        assertEquals(new DomainDetail.Graphics("vnc", 5901, "0.0.0.0"), parsed.graphics());

        DomainXml.Parsed bare = DomainXml.parse("<domain><devices><graphics type='vnc'/></devices></domain>");
        assertEquals(new DomainDetail.Graphics("vnc", -1, null), bare.graphics());
    }

    @Test
    void theParserRefusesDoctypesAndEntities() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
                <domain><name>&leak;</name></domain>
                """;
        HypervisorException e = assertThrows(HypervisorException.class, () -> DomainXml.parse(xxe));
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());

        assertThrows(HypervisorException.class, () -> DomainXml.parse("<domain><devices>"));
        assertThrows(HypervisorException.class, () -> DomainXml.parse("<network/>"));
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** A fresh copy of fleet-N.xml in this test's directory, as a test:/// endpoint. */
    private Endpoint fleet(int n) throws IOException {
        Path copy = dir.resolve("fleet-" + n + ".xml");
        if (!Files.exists(copy)) {
            try (InputStream in = getClass().getResourceAsStream("/libvirt/fleet-" + n + ".xml")) {
                assertTrue(in != null, "fleet-" + n + ".xml on the test class path");
                Files.copy(in, copy);
            }
        }
        return new Endpoint("test://" + copy.toAbsolutePath(), null);
    }

    private DomainState state(Endpoint host, String uuid) throws HypervisorException {
        return hypervisor.describe(host, uuid, TIMEOUT).summary().state();
    }

    private static Map<DomainState, Long> countByState(List<DomainSummary> domains) {
        return domains.stream().collect(Collectors.groupingBy(DomainSummary::state, Collectors.counting()));
    }

    private static List<String> names(List<DomainSummary> domains, DomainState state) {
        return domains.stream().filter(d -> d.state() == state).map(DomainSummary::name).toList();
    }

    private interface Call<T> {
        T call() throws HypervisorException;
    }

    private static <T> T unchecked(Call<T> call) {
        try {
            return call.call();
        } catch (HypervisorException e) {
            throw new CompletionException(e);
        }
    }
}
