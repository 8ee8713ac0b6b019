package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.DatabasePass;
import dev.berth.tenancy.QuotaLimits;
import dev.berth.tenancy.TenantUsage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The deciding code of self-service machines: names, quota with disk, image minimums, placement, the XML Berth writes. */
@Tag(DatabasePass.INDEPENDENT)
class CreationRulesTest {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    static QuotaLimits quota(int vms, int vcpus, long memory, long disk) {
        return new QuotaLimits(vms, vcpus, memory, 10, 0, 0, 10, 1000, 1 << 30, 0, 0, 0, disk);
    }

    @ParameterizedTest
    @ValueSource(strings = {"web-1", "a", "db2", "x-y-z"})
    void goodNames(String name) {
        assertTrue(Creation.nameRefusal(name).isEmpty(), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "Web", "1st", "web-", "a.b", "a/b", "../etc", "<b>x</b>", "x'y", "a b", "web_1",
            "name]]><metadata/>", "ünïcode", "abcdefghijklmnopqrstuvwxyz0123456789"})
    void hostileNamesAreRefused(String name) {
        assertFalse(Creation.nameRefusal(name).isEmpty(), name);
    }

    @Test
    void quotaCountsMachinesVcpusMemoryAndDisk() {
        var size = new Creation.Size(2, 2 * GIB, 20 * GIB);
        var q = quota(3, 8, 8 * GIB, 50 * GIB);
        assertTrue(Creation.quotaRefusal("acme", q, new TenantUsage(2, 6, 6 * GIB, 0, 0, 0, 30 * GIB), size).isEmpty());
        String disk = Creation.quotaRefusal("acme", q, new TenantUsage(2, 6, 6 * GIB, 0, 0, 0, 31 * GIB), size).orElseThrow();
        assertTrue(disk.contains("51 GiB of disk (quota 50 GiB)"), disk);
        String all = Creation.quotaRefusal("acme", q, new TenantUsage(3, 7, 7 * GIB, 0, 0, 0, 40 * GIB), size).orElseThrow();
        assertTrue(all.contains("4 machines (quota 3)") && all.contains("9 vCPUs (quota 8)") && all.contains("of memory"), all);
    }

    @Test
    void flavourMustMeetTheImageMinimums() {
        assertTrue(Creation.fitRefusal("debian", 4 * GIB, 512 * MIB, "small", new Creation.Size(1, 512 * MIB, 4 * GIB)).isEmpty());
        String r = Creation.fitRefusal("debian", 4 * GIB, 512 * MIB, "tiny", new Creation.Size(1, 256 * MIB, 2 * GIB)).orElseThrow();
        assertTrue(r.contains("disk 2 GiB < 4 GiB") && r.contains("memory 256 MiB < 512 MiB"), r);
    }

    static Creation.Candidate host(long id, String name, boolean answered, long memory, long used, long usedVcpus) {
        return new Creation.Candidate(id, name, answered, 4, memory, usedVcpus, used);
    }

    @Test
    void placementSkipsHostsThatDoNotAnswerAndTakesTheMostMemoryLeft() {
        var size = new Creation.Size(2, 2 * GIB, 10 * GIB);
        var p = Creation.place(List.of(host(1, "down", false, 64 * GIB, 0, 0), host(2, "busy", true, 16 * GIB, 10 * GIB, 4),
                host(3, "roomy", true, 16 * GIB, 2 * GIB, 4)), size, 4);
        assertEquals(3L, p.hostId());
        var none = Creation.place(List.of(host(1, "down", false, 64 * GIB, 0, 0), host(2, "full", true, 8 * GIB, 7 * GIB, 0),
                host(3, "cpus", true, 64 * GIB, 0, 15)), size, 4);
        assertNull(none.hostId());
        assertTrue(none.why().contains("down does not answer") && none.why().contains("full has 1 GiB of memory left")
                && none.why().contains("cpus has 1 vCPUs left"), none.why());
        assertTrue(Creation.place(List.of(new Creation.Candidate(1, "new", true, null, null, 0, 0)), size, 4).why().contains("not been probed"));
        assertEquals("no enabled KVM host holds this image", Creation.place(List.of(), size, 4).why());
        // equal memory left: fewer committed vCPUs, then the name
        assertEquals(6L, Creation.place(List.of(host(4, "b", true, 8 * GIB, 0, 3), host(5, "a", true, 8 * GIB, 0, 3),
                host(6, "c", true, 8 * GIB, 0, 1)), size, 4).hostId());
        assertEquals(5L, Creation.place(List.of(host(4, "b", true, 8 * GIB, 0, 3), host(5, "a", true, 8 * GIB, 0, 3)), size, 4).hostId());
    }

    static MachineXml.DomainSpec spec(String name, MachineXml.Network network) {
        return new MachineXml.DomainSpec("kvm", name, "6d2c1f5e-0000-4000-8000-000000000001", "acme", "web-1", 2, 2 * GIB,
                "/var/lib/libvirt/images/6d2c.qcow2", "/var/lib/libvirt/images/debian-12.qcow2", null, network, null);
    }

    @Test
    void theDiskIsAQcow2OverlayOnVirtioWithoutHostCacheAndNativeIo() throws Exception {
        String xml = MachineXml.domain(spec("acme.web-1", new MachineXml.Network.Bridge("br0")));
        DomainXml.Parsed parsed = DomainXml.parse(xml);
        DomainXml.Disk disk = parsed.disks().get(0);
        assertEquals("virtio", disk.bus());
        assertEquals("qcow2", disk.format());
        assertEquals("none", disk.cache());
        assertEquals("/var/lib/libvirt/images/debian-12.qcow2", disk.backingFile());
        assertTrue(xml.contains("io=\"native\""), xml);
        assertEquals("virtio", parsed.nics().get(0).model());
        assertEquals("br0", parsed.nics().get(0).bridge());
        assertTrue(xml.contains("<memory unit=\"KiB\">2097152</memory>") && xml.contains("<vcpu>2</vcpu>"), xml);
        assertTrue(xml.contains("<graphics autoport=\"yes\" listen=\"127.0.0.1\" type=\"vnc\"/>"), xml);
    }

    @Test
    void tuningAdviceIsEmptyForTheMachinesBerthMakes() throws Exception {
        DomainXml.Parsed parsed = DomainXml.parse(MachineXml.domain(spec("acme.web-1", new MachineXml.Network.Bridge("br0"))));
        // as the adapter reports it: an overlay is thin (allocation far below capacity), which is not a fault
        var disks = parsed.disks().stream().map(d -> new DomainDetail.Disk(d.target(), d.bus(), d.format(), d.cache(), d.source(),
                10 * GIB, false, d.backingFile())).toList();
        var nics = parsed.nics().stream().map(n -> new DomainDetail.Nic(n.model(), n.mac(), n.network(), n.bridge())).toList();
        var summary = new DomainSummary("u", "acme.web-1", DomainState.RUNNING, 2, 2 * GIB);
        assertEquals(List.of(), TuningAdvice.of(new DomainDetail(summary, disks, nics, null)));
        // the same thin qcow2 without a backing store is still advised about
        var standalone = disks.stream().map(d -> new DomainDetail.Disk(d.target(), d.bus(), d.format(), d.cache(), d.source(), 10 * GIB, false)).toList();
        assertEquals(1, TuningAdvice.of(new DomainDetail(summary, standalone, nics, null)).size());
    }

    @Test
    void valuesAreEscapedNotPasted() throws Exception {
        // names are refused before they get here; the XML is still built so that no value can add markup
        String xml = MachineXml.domain(spec("a'\"<x>&</name><devices>", new MachineXml.Network.Bridge("br0'/><x a='")));
        assertTrue(xml.contains("<name>a'\"&lt;x&gt;&amp;&lt;/name&gt;&lt;devices&gt;</name>"), xml);
        assertEquals(1, DomainXml.parse(xml).nics().size());
        assertEquals("br0'/><x a='", DomainXml.parse(xml).nics().get(0).bridge());
    }

    @Test
    void restrictedNetworkIsUserModeWithOneForwardedPort() throws Exception {
        String xml = MachineXml.domain(spec("acme.web-1", new MachineXml.Network.Restricted("10.0.2.100", 9000, 29201)));
        assertTrue(xml.contains("restrict=on") && xml.contains("guestfwd=tcp:10.0.2.100:9000-cmd:/usr/bin/socat STDIO TCP:127.0.0.1:29201"), xml);
        assertEquals(List.of(), DomainXml.parse(xml).nics()); // no <interface>: no bridge, tap or NAT
        assertTrue(xml.contains("seccomp-sandbox"), xml);
        assertEquals(1, xml.split("xmlns:qemu=").length - 1, xml);
    }

    @Test
    void hostsSayHowTheirGuestsConnect() {
        assertEquals(new MachineXml.Network.None(), MachineXml.network(Map.of()));
        assertEquals(new MachineXml.Network.Bridge("br0"), MachineXml.network(Map.of("network", "bridge:br0")));
        assertEquals(new MachineXml.Network.Libvirt("lan"), MachineXml.network(Map.of("network", "libvirt:lan")));
        assertEquals("test", MachineXml.domainType("test:///x.xml", Map.of()));
        assertEquals("kvm", MachineXml.domainType("qemu+ssh://h/system", Map.of()));
        assertEquals("qemu", MachineXml.domainType("qemu:///system", Map.of("virt", "qemu")));
    }

    @Test
    void overlayVolumeNamesItsBase() {
        String xml = MachineXml.overlayVolume("u.qcow2", 10 * GIB, "/pool/debian.qcow2", "qcow2");
        assertTrue(xml.contains("<capacity unit=\"bytes\">10737418240</capacity>") && xml.contains("<path>/pool/debian.qcow2</path>"), xml);
        assertEquals("qcow2", MachineXml.volumeFormat(xml));
    }

    static CloudInit.Mount mount(boolean readOnly, CloudInit.Relay relay) {
        return new CloudInit.Mount("data", "BKMACHINE1", "s3cr3t-Value'\"$(x)", readOnly,
                "data /mnt/data fuse.s3fs _netdev,passwd_file=/etc/berth/data.passwd-s3fs,url=https://127.0.0.1:29201 0 0",
                "/etc/berth/data.passwd-s3fs", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", relay);
    }

    @Test
    void theSeedWritesTheKeyRootOnlyMountsFromFstabAndWritesHello() throws Exception {
        String userData = CloudInit.userData("web-1", "ssh-ed25519 AAAA alice@x", mount(false, new CloudInit.Relay(29201, "10.0.2.100", 9000)));
        assertTrue(userData.startsWith("#cloud-config\n"), userData);
        var c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(userData.substring("#cloud-config\n".length()));
        assertEquals("web-1", c.get("hostname").asText());
        assertEquals("ssh-ed25519 AAAA alice@x", c.get("ssh_authorized_keys").get(0).asText());
        var passwd = c.get("write_files").get(0);
        assertEquals("/etc/berth/data.passwd-s3fs", passwd.get("path").asText());
        assertEquals("0600", passwd.get("permissions").asText());
        assertEquals("BKMACHINE1:s3cr3t-Value'\"$(x)\n", passwd.get("content").asText()); // escaped by JSON, never by hand
        assertTrue(c.get("write_files").get(1).get("append").asBoolean());
        String runcmd = c.get("runcmd").toString();
        assertTrue(runcmd.contains("[\"mount\",\"/mnt/data\"]") && runcmd.contains("hello-from-web-1")
                && runcmd.contains("berth-storage-relay.service") && runcmd.contains("update-ca-certificates"), runcmd);
        assertTrue(c.get("write_files").toString().contains("TCP-LISTEN:29201,bind=127.0.0.1,fork,reuseaddr TCP:10.0.2.100:9000"));
        // read-only: no hello (it could not be written); no relay without a restricted network
        String ro = CloudInit.userData("web-1", null, mount(true, null));
        assertFalse(ro.contains("hello-from") || ro.contains("relay") || ro.contains("ssh_authorized_keys"), ro);
        assertFalse(mount(false, null).toString().contains("s3cr3t"));
        assertTrue(CloudInit.metaData("6d2c", "web-1").contains("\"instance-id\" : \"6d2c\""));
    }

    @Test
    void theSeedIsADiskOfTheDomainNotItsContent() throws Exception {
        var s = spec("acme.web-1", new MachineXml.Network.None());
        String xml = MachineXml.domain(new MachineXml.DomainSpec(s.type(), s.name(), s.uuid(), s.tenant(), s.machine(), s.vcpus(),
                s.memoryBytes(), s.overlayPath(), s.basePath(), "/pool/u-seed.iso", s.network(),
                new MachineXml.KernelBoot("/boot/vmlinuz", "/boot/initrd.img", "root=/dev/vda rw console=ttyS0")));
        assertTrue(xml.contains("device=\"cdrom\"") && xml.contains("<source file=\"/pool/u-seed.iso\"/>") && xml.contains("<readonly/>"), xml);
        assertTrue(xml.contains("<kernel>/boot/vmlinuz</kernel>") && xml.contains("<cmdline>root=/dev/vda rw console=ttyS0</cmdline>"), xml);
        assertEquals(1, DomainXml.parse(xml).disks().size()); // the seed is a cdrom, not a disk the advice looks at
    }
}
